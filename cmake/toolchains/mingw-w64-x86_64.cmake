# Cross toolchain for the Windows leg: mingw-w64 (posix thread model) for x86_64 Windows, tests
# run under Wine through ci/wine/run. Used by ci/windows-wine:
#   cmake -S . -B build/windows -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# Only the mingw sysroot is searched: the host's /usr/include and libraries never leak in. The
# header-only host libraries the build needs (Boost, nlohmann) are exposed one by one through a
# build-dir include directory (see the CMAKE_CROSSCOMPILING block of the top-level CMakeLists.txt).
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static libgcc/libstdc++/winpthread: the test binaries need no DLLs next to them under Wine.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Windows 10 API level (CancelIoEx, GetNamedPipeClientProcessId, PIPE_REJECT_REMOTE_CLIENTS).
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX UNICODE
                        _UNICODE)

set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/../../ci/wine/run)

# Shared part of the qemu-user toolchains (s390x-linux-gnu.cmake, aarch64-linux-gnu.cmake): a
# Debian cross compiler `${PIPECHECK_TRIPLE}-g++` and its sysroot /usr/${PIPECHECK_TRIPLE}; every
# target program (test discovery, ctest, the CLI tests) runs through
# `qemu-${PIPECHECK_QEMU_CPU} -L /usr/${PIPECHECK_TRIPLE}` (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)

set(CMAKE_C_COMPILER ${PIPECHECK_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${PIPECHECK_TRIPLE}-g++)

# Only the target's sysroot is searched: the host's /usr/include and libraries never leak in. The
# header-only host library the build needs (nlohmann) is exposed through a build-dir include
# directory (cmake/cross_dependencies.cmake).
set(CMAKE_FIND_ROOT_PATH /usr/${PIPECHECK_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(PIPECHECK_QEMU qemu-${PIPECHECK_QEMU_CPU} REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${PIPECHECK_QEMU} -L /usr/${PIPECHECK_TRIPLE})

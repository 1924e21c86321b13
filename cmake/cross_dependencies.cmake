# Dependencies of the cross builds (included by the top-level CMakeLists.txt when
# CMAKE_CROSSCOMPILING): the Windows leg (mingw-w64, ci/windows-wine) and the qemu-user legs
# (s390x, aarch64: ci/qemu-leg). The host's header-only libraries are exposed WITHOUT the rest of
# the host's /usr/include: a build-dir include directory holds symlinks to boost/ and nlohmann/
# only. GoogleTest/GoogleMock are compiled for the target from Debian's sources
# (/usr/src/googletest, package libgtest-dev).
set(PIPECHECK_HOST_INCLUDE /usr/include CACHE PATH "Where the host's boost/ and nlohmann/ headers are")
set(PIPECHECK_GOOGLETEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest sources to build for the target")

set(cross_include ${CMAKE_BINARY_DIR}/cross-include)
file(MAKE_DIRECTORY ${cross_include})
foreach(library boost nlohmann)
  if(NOT EXISTS ${PIPECHECK_HOST_INCLUDE}/${library})
    message(FATAL_ERROR "cross build: ${PIPECHECK_HOST_INCLUDE}/${library} is missing "
                        "(install libboost1.81-dev and nlohmann-json3-dev: ci/bootstrap)")
  endif()
  file(CREATE_LINK ${PIPECHECK_HOST_INCLUDE}/${library} ${cross_include}/${library} SYMBOLIC)
endforeach()

add_library(pipecheck_cross_nlohmann INTERFACE)
target_include_directories(pipecheck_cross_nlohmann SYSTEM INTERFACE ${cross_include})
add_library(nlohmann_json::nlohmann_json ALIAS pipecheck_cross_nlohmann)

add_library(pipecheck_cross_boost INTERFACE)
target_include_directories(pipecheck_cross_boost SYSTEM INTERFACE ${cross_include})
if(WIN32)
  target_link_libraries(pipecheck_cross_boost INTERFACE ws2_32 mswsock)  # Boost.Asio on Windows
endif()
add_library(Boost::headers ALIAS pipecheck_cross_boost)
add_library(Boost::boost ALIAS pipecheck_cross_boost)

set(gtest_force_shared_crt OFF CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(${PIPECHECK_GOOGLETEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
foreach(target gtest gtest_main gmock gmock_main)
  # Third-party code: not held to the project's -Wall -Wextra -Wpedantic -Werror.
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS -w)
  if(NOT TARGET GTest::${target})
    add_library(GTest::${target} ALIAS ${target})
  endif()
endforeach()

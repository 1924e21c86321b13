# Big-endian leg (ci/qemu-leg s390x): Debian's g++-s390x-linux-gnu, programs run under
# `qemu-s390x -L /usr/s390x-linux-gnu`. See docs/platforms.md.
#   cmake -S . -B build/s390x -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/s390x-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(PIPECHECK_TRIPLE s390x-linux-gnu)
set(PIPECHECK_QEMU_CPU s390x)
include(${CMAKE_CURRENT_LIST_DIR}/linux-qemu.cmake)

# arm64 leg (ci/qemu-leg aarch64): Debian's g++-aarch64-linux-gnu, programs run under
# `qemu-aarch64 -L /usr/aarch64-linux-gnu`. See docs/platforms.md.
#   cmake -S . -B build/aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PIPECHECK_TRIPLE aarch64-linux-gnu)
set(PIPECHECK_QEMU_CPU aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-qemu.cmake)

// target_arch.hpp — the architecture this binary was compiled for, in the spelling of HASH-4.
//
// Shared by identity_posix.cpp and identity_windows.cpp so both resolve `arch=*` the same way:
//   std::string current_arch() { return std::string(detail::kTargetArch); }
// Empty on an architecture HASH-4 has no name for (the s390x leg, ci/qemu-leg).
#pragma once

#include <string_view>

namespace pipecheck::detail {

#if defined(__x86_64__) || defined(_M_X64) || defined(_M_AMD64)
inline constexpr std::string_view kTargetArch = "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
inline constexpr std::string_view kTargetArch = "arm64";
#elif defined(__i386__) || defined(_M_IX86)
inline constexpr std::string_view kTargetArch = "x86";
#elif defined(__arm__) || defined(_M_ARM)
inline constexpr std::string_view kTargetArch = "arm";
#else
// An architecture HASH-4 has no name for (s390x, ppc64le, riscv64, ...): `*` cannot stand for it,
// so make_handshake refuses `*` naming the field; explicit architectures hash as anywhere else.
inline constexpr std::string_view kTargetArch = "";
#endif

// This machine in the compiler's words, for the error that refuses `*` where kTargetArch is empty.
#if defined(__s390x__)
inline constexpr std::string_view kMachine = "s390x";
#elif defined(__powerpc64__)
inline constexpr std::string_view kMachine = "ppc64";
#elif defined(__riscv)
inline constexpr std::string_view kMachine = "riscv";
#else
inline constexpr std::string_view kMachine = "this machine";
#endif

}  // namespace pipecheck::detail

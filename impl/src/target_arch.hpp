// target_arch.hpp — the architecture this binary was compiled for, in the spelling of HASH-4.
//
// Shared by identity_posix.cpp and identity_windows.cpp so both resolve `arch=*` the same way:
//   std::string current_arch() { return std::string(detail::kTargetArch); }
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
#error "pipecheck: unknown target architecture (HASH-4 knows x86, x64, arm, arm64)"
#endif

}  // namespace pipecheck::detail

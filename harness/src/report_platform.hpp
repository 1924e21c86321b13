// report_platform.hpp — what the report needs from the platform (report_posix.cpp): host and
// OS identity. Private to the harness library.
//
//   pipecheck::harness::detail::PlatformIdentity id = pipecheck::harness::detail::platform_identity();
//   run.os = id.os;
#pragma once

#include <string>

namespace pipecheck::harness::detail {

struct PlatformIdentity {
  std::string os;          // "linux", "darwin", "freebsd", "windows"
  std::string os_release;  // kernel release / Windows version
  std::string arch;        // "x64", "x86", "arm64", "arm" or the machine name as the OS says it
  std::string host;
};

PlatformIdentity platform_identity();

}  // namespace pipecheck::harness::detail

// Handshake `user` values for the unit tests, in the form this platform accepts (HASH-6: a
// canonical decimal uid on POSIX, a SID string on Windows). Usage:
//   make_handshake("pipecheck", {{"kind", "worker"}, ..., {"user", pipecheck::test_support::kUser}});
#pragma once

namespace pipecheck::test_support {

#ifdef _WIN32
inline constexpr const char* kUser = "S-1-5-21-3623811015-3361044348-30300820-1000";
inline constexpr const char* kOtherUser = "S-1-5-21-3623811015-3361044348-30300820-1001";
#else
inline constexpr const char* kUser = "1000";
inline constexpr const char* kOtherUser = "1001";
#endif

}  // namespace pipecheck::test_support

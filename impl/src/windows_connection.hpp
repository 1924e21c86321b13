// windows_connection.hpp — the Windows state behind pipecheck::Connection.
//
// The listener and dial build Connections from connected pipe handles opened for overlapped I/O;
// the peer's user SID is taken once at connect time (the peer may exit right after):
//   pipecheck::Connection c = pipecheck::detail::make_connection(std::move(pipe), peer_sid);
#pragma once

#include <optional>
#include <string>

#include "pipecheck/connection.hpp"
#include "windows_handle.hpp"

namespace pipecheck {

struct Connection::Impl {
  detail::UniqueHandle pipe;  // FILE_FLAG_OVERLAPPED
  detail::UniqueHandle io_event;
  std::string pending;  // bytes received past the last line handed out
  std::optional<std::string> peer_user;
};

namespace detail {

Connection make_connection(UniqueHandle pipe, std::optional<std::string> peer_user);

}  // namespace detail
}  // namespace pipecheck

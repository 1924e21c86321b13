// posix_connection.hpp — the POSIX state behind pipecheck::Connection, and peer credentials.
//
// The listener and dial build Connections from connected AF_UNIX descriptors:
//   pipecheck::Connection c = pipecheck::detail::make_connection(std::move(fd));
//   std::optional<uid_t> uid = pipecheck::detail::peer_uid(c_fd);
#pragma once

#include <sys/types.h>
#include <optional>
#include <string>

#include "pipecheck/connection.hpp"
#include "pipecheck/identity.hpp"
#include "posix_fd.hpp"

namespace pipecheck {

struct Connection::Impl {
  detail::UniqueFd fd;
  std::string pending;  // bytes received past the last line handed out
};

namespace detail {

// Takes a connected stream socket in blocking mode.
Connection make_connection(UniqueFd fd);

// The effective uid of the process at the other end of a connected AF_UNIX socket.
std::optional<uid_t> peer_uid(int fd);
// The PID of the process at the other end when the connection was made (SO_PEERCRED,
// LOCAL_PEERPID); nullopt where the system does not say.
std::optional<ProcessId> peer_pid(int fd);

}  // namespace detail
}  // namespace pipecheck

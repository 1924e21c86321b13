// pipecheck/listener.hpp — a rendezvous listener with an accept backlog (LSN-*).
//
// POSIX: bind + listen(queue_size) on `{dir}/{name}`, socket file 0600 in a 0700 directory.
// Windows: `queue_size` unbound pipe instances kept ready. queue_size 0 or 1 = legacy single slot.
// accept() may be called from any number of threads; close() is idempotent, safe from many
// threads at once, and makes every pending accept() return AcceptStatus::closed within 100 ms.
//
//   pipecheck::Listener lsn(hs, {.queue_size = 16});
//   std::jthread worker([&] {
//     while (true) {
//       auto a = lsn.accept();
//       if (a.status == pipecheck::AcceptStatus::closed) break;
//       if (a.connection) pipecheck::server_handshake(*a.connection, hs.hash, 1s);
//     }
//   });
//   ...
//   lsn.close();  // worker's accept() returns `closed`
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "pipecheck/connection.hpp"
#include "pipecheck/hash_profile.hpp"
#include "pipecheck/naming.hpp"

namespace pipecheck {

struct ListenOptions {
  int queue_size = 1;    // backlog / ready instances; <= 1 means the legacy single slot
  NamingOptions naming;  // root and prefix
  ProcessId pid = 0;     // 0: the current process (tests may name another, e.g. a dead one)
};

enum class AcceptStatus {
  accepted,  // connection is set
  denied,    // a peer of another user connected and was dropped (SEC-*); keep accepting
  closed,    // the listener was closed: stop accepting
  error,     // an unexpected OS error; detail says which
};

struct AcceptResult {
  AcceptStatus status = AcceptStatus::error;
  std::optional<Connection> connection;
  std::string detail;
  // With AcceptStatus::error: the errno / GetLastError() of the failing call, 0 if none. Out of
  // descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) passes: back off and accept again.
  int system_error = 0;
};

class Listener {
 public:
  // Creates the endpoint. Throws Error: address_in_use (with the holding PID), insecure_directory,
  // path_too_long, system_error. A stale endpoint of ours at the path is reclaimed first.
  Listener(const Handshake& handshake, const ListenOptions& options);
  Listener(Listener&&) noexcept;
  Listener& operator=(Listener&&) noexcept;
  ~Listener();  // closes

  AcceptResult accept();
  void close();
  bool closed() const;
  const Endpoint& endpoint() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace pipecheck

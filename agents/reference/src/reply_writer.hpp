// reply_writer.hpp — the only writer of stdout: one JSON message per line, flushed, under a mutex;
// and log() for stderr.
//
//   ReplyWriter out(stdout);
//   out.reply_ok(request_id, {{"token", "D1"}});
//   out.reply_error(request_id, ProtocolError::bad_request("not an object"));
//   log("listener L1 closed");
#pragma once

#include <cstdio>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol_error.hpp"

namespace pipecheck::agent {

// Lines longer than this break docs/formats/agent-protocol.md (Transport).
inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;

class ReplyWriter {
 public:
  explicit ReplyWriter(std::FILE* stream) : stream_(stream) {}

  void reply_ok(const nlohmann::json& id, nlohmann::json result);
  void reply_error(const nlohmann::json& id, const ProtocolError& error);

 private:
  void write_line(const nlohmann::json& message);

  std::FILE* stream_;
  std::mutex mutex_;
};

// One line on stderr, prefixed with the agent's name; safe from any thread.
void log(std::string_view message);

}  // namespace pipecheck::agent

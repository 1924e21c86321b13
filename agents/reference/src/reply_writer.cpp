#include "reply_writer.hpp"

#include <string>

namespace pipecheck::agent {

void ReplyWriter::reply_ok(const nlohmann::json& id, nlohmann::json result) {
  write_line({{"id", id}, {"ok", true}, {"result", std::move(result)}});
}

void ReplyWriter::reply_error(const nlohmann::json& id, const ProtocolError& error) {
  write_line({{"id", id}, {"ok", false}, {"error", error.to_json()}});
}

void ReplyWriter::write_line(const nlohmann::json& message) {
  // Replace invalid UTF-8 (e.g. from an OS error text) instead of throwing mid-reply.
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (line.size() + 1 > kMaxLineBytes) {
    const ProtocolError too_long("internal",
                                 "reply of " + std::to_string(line.size()) +
                                     " bytes is over the protocol's 1 MiB line limit",
                                 false);
    line = nlohmann::json{{"id", message.value("id", nlohmann::json())},
                          {"ok", false},
                          {"error", too_long.to_json()}}
               .dump();
  }
  line += '\n';
  const std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stream_);
  std::fflush(stream_);
}

void log(std::string_view message) {
  static std::mutex mutex;
  const std::string line = "pipecheck-agent: " + std::string(message) + "\n";
  const std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pipecheck::agent

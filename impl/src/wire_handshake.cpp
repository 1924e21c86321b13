// The wire handshake (WIRE-1..3), built only on Connection's public methods.
#include <chrono>

#include "encoding.hpp"
#include "pipecheck/error.hpp"
#include "pipecheck/wire_handshake.hpp"

namespace pipecheck {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kHello = "PIPECHECK/1 HELLO ";
constexpr std::string_view kAccept = "PIPECHECK/1 ACCEPT";
constexpr std::string_view kReject = "PIPECHECK/1 REJECT ";

HandshakeResult failed(std::string detail) {
  return {false, std::move(detail)};
}

// read_line folds timeout, end of stream and over-long lines into nullopt; tell them apart
// well enough for a clear message.
std::optional<std::string> read_reply(Connection& connection, std::chrono::milliseconds timeout,
                                      std::string& why_not) {
  const auto start = Clock::now();
  auto line = connection.read_line(timeout, kMaxWireLine - 1);
  if (!line) {
    why_not = Clock::now() - start >= timeout
                  ? "timeout: no complete line within " + std::to_string(timeout.count()) + " ms"
                  : "end of stream or a line over " + std::to_string(kMaxWireLine) + " bytes";
  }
  return line;
}

bool valid_hash(std::string_view hash) {
  if (hash.empty() || kHello.size() + hash.size() + 1 > kMaxWireLine) return false;
  for (unsigned char c : hash) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

bool send_line(Connection& connection, std::string_view line, std::string& why_not) {
  try {
    connection.write_all(std::string(line) + "\n");
    return true;
  } catch (const Error& e) {
    why_not = std::string("send failed: ") + e.what();
    return false;
  }
}

}  // namespace

HandshakeResult client_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout) {
  if (!valid_hash(hash))
    return failed("invalid hash " + detail::quoted(hash) +
                  " (expected printable ASCII, no spaces)");
  std::string why_not;
  if (!send_line(connection, std::string(kHello) + std::string(hash), why_not))
    return failed(why_not);
  auto reply = read_reply(connection, timeout, why_not);
  if (!reply) return failed(why_not);
  if (*reply == kAccept) return {true, "accepted"};
  if (reply->starts_with(kReject)) return failed("rejected: " + reply->substr(kReject.size()));
  return failed("bad reply " + detail::quoted(*reply) +
                " (expected \"PIPECHECK/1 ACCEPT\" or \"PIPECHECK/1 REJECT {reason}\")");
}

HandshakeResult server_handshake(Connection& connection, std::string_view hash,
                                 std::chrono::milliseconds timeout) {
  std::string why_not;
  auto hello = read_reply(connection, timeout, why_not);
  if (!hello) {
    connection.close();
    return failed(why_not);
  }
  std::string reason;
  if (!hello->starts_with(kHello)) {
    reason = "malformed hello";
  } else if (std::string_view(*hello).substr(kHello.size()) != hash) {
    reason = "hash mismatch";
  } else {
    if (!send_line(connection, kAccept, why_not)) return failed(why_not);
    return {true, "accepted"};
  }
  // WIRE-2: reject, then close. A client that is already gone does not change the outcome.
  send_line(connection, std::string(kReject) + reason, why_not);
  connection.close();
  return failed("rejected: " + reason + " (client sent " + detail::quoted(*hello) + ")");
}

}  // namespace pipecheck

// pipecheck/harness/transport.hpp — a bounded, newline-delimited line transport: the wire under
// the agent protocol client, as an interface so the client logic is unit-tested without a process.
//
//   LineEvent event = transport.read_line(deadline.at());
//   if (event.kind == LineEvent::Kind::line) handle(event.text);
//
// The real implementation (agent_process_posix.cpp) reads the agent's stdout as a non-blocking
// pipe with poll() against the deadline; it never blocks past it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pipecheck/harness/clock.hpp"

namespace pipecheck::harness {

// The longest line an agent may write (docs/formats/agent-protocol.md: at most 1 MiB per line).
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

struct LineEvent {
  enum class Kind {
    line,      // `text` holds one line without its '\n'
    timeout,   // the deadline passed before a whole line arrived
    eof,       // the peer closed its end; `text` holds any unterminated rest
    too_long,  // more than kMaxLineBytes without '\n'; `text` holds the first bytes
  };
  Kind kind = Kind::line;
  std::string text;
};

class LineTransport {
 public:
  virtual ~LineTransport() = default;
  enum class WriteResult { written, closed, timeout };
  // Writes `line` followed by '\n': `closed` when the peer no longer reads (broken pipe),
  // `timeout` when the peer does not drain its input before the deadline.
  virtual WriteResult write_line(std::string_view line, Clock::time_point deadline) = 0;
  // Returns the next line, or why there is none, no later than `deadline`.
  virtual LineEvent read_line(Clock::time_point deadline) = 0;
};

}  // namespace pipecheck::harness

// Agent reply lines, as the harness reads them from an agent's stdout: the input is what the agent
// writes (lines split at '\n'), the first byte picks the request being answered. Every outcome
// must be a result, an AgentReplyError or an AgentFailure whose report is valid UTF-8 JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/protocol_client.hpp"

namespace {

using namespace pipecheck::harness;

// Replays the input as the agent's stdout; the clock never moves, so no deadline passes.
class ScriptedAgent : public LineTransport, public Clock {
 public:
  explicit ScriptedAgent(std::string_view output) : output_(output) {}
  WriteResult write_line(std::string_view, Clock::time_point) override {
    return WriteResult::written;
  }
  LineEvent read_line(Clock::time_point) override {
    if (output_.empty()) return {LineEvent::Kind::timeout, ""};
    const std::size_t end = output_.find('\n');
    if (end == std::string_view::npos) {
      LineEvent rest{LineEvent::Kind::eof, std::string(output_)};
      output_ = {};
      return rest;
    }
    LineEvent line{LineEvent::Kind::line, std::string(output_.substr(0, end))};
    output_.remove_prefix(end + 1);
    return line;
  }
  time_point now() const override { return time_point{}; }

 private:
  std::string_view output_;
};

constexpr std::string_view kOps[] = {"hello", "listen",       "dial",      "discover",
                                     "hash",  "close",        "counters",  "fire",
                                     "exit",  "prepare_dial", "unknown_op"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view op = kOps[data[0] % std::size(kOps)];
  ScriptedAgent agent(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  ProtocolClient client("fuzz-agent", agent, agent);
  try {
    const nlohmann::json result =
        client.request(op, nlohmann::json::object(), std::chrono::hours(1));
    (void)result.dump();  // a validated result is bounded: printing it must be safe
  } catch (const AgentReplyError& e) {
    (void)e.error().dump();
  } catch (const AgentFailure& e) {
    // What lands in the report: valid UTF-8, printable with the strict handler.
    const std::string text = e.to_json().dump();
    if (!valid_utf8(text) || !valid_utf8(e.what())) std::abort();
  }
  return 0;
}

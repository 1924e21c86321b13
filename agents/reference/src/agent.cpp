#include "agent.hpp"

#include <chrono>
#include <exception>
#include <map>

#include "protocol_error.hpp"

namespace pipecheck::agent {

namespace {

const std::map<std::string_view, OpHandler>& op_table() {
  static const std::map<std::string_view, OpHandler> table{
      {"hello", op_hello},       {"hash", op_hash},
      {"discover", op_discover}, {"listen", op_listen},
      {"close", op_close},       {"counters", op_counters},
      {"dial", op_dial},         {"prepare_dial", op_prepare_dial},
      {"fire", op_fire},         {"exit", op_exit},
  };
  return table;
}

// Bound for every listener's workers to finish after close at shutdown (handshake reads are 2 s).
constexpr std::chrono::seconds kShutdownBound{5};

}  // namespace

void Agent::handle(std::string_view line) {
  nlohmann::json id;  // null until the request names one
  try {
    if (line.size() > kMaxLineBytes)
      throw ProtocolError::bad_request("request line of " + std::to_string(line.size()) +
                                       " bytes is over the 1 MiB limit");
    nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded()) throw ProtocolError::bad_request("request is not valid JSON");
    if (!request.is_object()) throw ProtocolError::bad_request("request is not a JSON object");
    if (!request.contains("id")) throw ProtocolError::bad_request("request has no 'id'");
    id = request["id"];
    if (!request.contains("op") || !request["op"].is_string())
      throw ProtocolError::bad_request("request has no string 'op'");
    for (const auto& [key, value] : request.items()) {
      if (key != "id" && key != "op" && key != "args")
        throw ProtocolError::bad_request("request has an unknown member '" + key + "'");
    }
    const std::string op = request["op"].get<std::string>();
    const auto handler = op_table().find(op);
    if (handler == op_table().end())
      throw ProtocolError::unsupported("op '" + op + "' is not implemented");
    const nlohmann::json no_args = nlohmann::json::object();
    Args args(request.contains("args") ? request["args"] : no_args);
    out_.reply_ok(id, handler->second(*this, args));
  } catch (const ProtocolError& error) {
    out_.reply_error(id, error);
  } catch (const pipecheck::Error& error) {
    out_.reply_error(id, from_impl_error(error));
  } catch (const std::exception& error) {
    out_.reply_error(id, ProtocolError("internal", error.what(), false));
  }
}

ServedListener& Agent::listener_named(const std::string& name) {
  const auto it = listeners.find(name);
  if (it == listeners.end())
    throw ProtocolError("unknown_listener",
                        "listener '" + name + "' is not a listener of this agent");
  return *it->second;
}

bool Agent::shutdown() {
  prepared_dials.clear();
  bool finished = true;
  for (auto& [name, listener] : listeners)
    finished = listener->shutdown(kShutdownBound) && finished;
  if (finished) listeners.clear();
  return finished;
}

}  // namespace pipecheck::agent

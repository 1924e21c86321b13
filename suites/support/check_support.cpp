#include "check_support.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>

#include "pipecheck/harness/outside_input.hpp"

namespace pipecheck::suites {

void run_guarded(const std::function<void()>& body) {
  try {
    body();
  } catch (const harness::AgentFailure& failure) {
    PIPECHECK_AGENT_ERROR(failure.to_json().dump(-1, ' ', false, json::error_handler_t::replace));
  } catch (const harness::AgentReplyError& reply) {
    FAIL() << reply.agent() << ": op '" << reply.op() << "' answered error " << reply.code() << ": "
           << reply.message() << " (" << reply.error().dump() << ")";
  } catch (const std::exception& e) {
    PIPECHECK_AGENT_ERROR(std::string("harness: ") + e.what());
  }
}

void run_check(std::initializer_list<std::string_view> requirements,
               const std::function<void()>& body) {
  for (const std::string_view id : requirements) harness::requirement(id);
  run_guarded(body);
}

std::unique_ptr<SuiteAgent> AgentCheck::start_agent(AgentOptions options) {
  harness::implementation(options.role, GetParam());
  return SuiteAgent::start(GetParam(), options);
}

const std::filesystem::path& AgentCheck::scratch_root() {
  if (!scratch_) scratch_.emplace(harness::ScratchDir::create("pc", "/tmp"));
  return scratch_->path();
}

json AgentCheck::check_fields() const {
  const auto* test = testing::UnitTest::GetInstance()->current_test_info();
  std::string salt = test ? std::string(test->test_suite_name()) + "." + test->name() : "check";
  return {{"kind", "conformance"}, {"version", "1.0"}, {"arch", "*"}, {"salt", salt}};
}

std::unique_ptr<SuiteAgent> start_as_uid(const std::string& implementation, unsigned uid,
                                         const std::string& role, std::string& why) {
  AgentOptions options = agent_options(role);
  options.run_as_uid = uid;
  try {
    harness::implementation(role, implementation);
    return SuiteAgent::start(implementation, options);
  } catch (const harness::AgentFailure& failure) {
    if (failure.kind() != harness::AgentFailure::Kind::spawn_failed) throw;
    why = "cannot start " + implementation + " as uid " + std::to_string(uid) + ": " +
          failure.details().detail;
    return nullptr;
  }
}

std::string describe_missing(const SuiteAgent& agent, const std::vector<std::string>& needed) {
  const auto missing = missing_capabilities(agent, needed);
  if (missing.empty()) return {};
  std::string text = agent.implementation() + " does not declare capability";
  for (const auto& capability : missing) text += " " + capability;
  return text;
}

json load_fixture(std::string_view relative) {
  const std::filesystem::path file = source_dir() / "fixtures" / relative;
  if (!std::ifstream(file)) throw std::runtime_error(file.string() + ": cannot open fixture");
  try {
    return harness::read_outside_json_file(file);
  } catch (const harness::OutsideJsonError& e) {
    throw std::runtime_error(e.what());
  }
}

const json& fixture_field(const json& object, std::string_view key, std::string_view where) {
  if (!object.is_object() || !object.contains(key)) {
    throw std::runtime_error(std::string(where) + ": missing field '" + std::string(key) +
                             "' (expected by the suites)");
  }
  return object.at(key);
}

json handshake_args(const json& fields, const std::filesystem::path& root, std::string_view profile,
                    std::string_view prefix) {
  json args{{"profile", profile}, {"fields", fields}};
  if (!root.empty()) args["root"] = root.string();
  if (!prefix.empty()) args["prefix"] = prefix;
  return args;
}

std::optional<harness::AgentReplyError> call_expecting_error(SuiteAgent& agent, std::string_view op,
                                                             const json& args, json* result) {
  try {
    json reply = agent.call(op, args);
    if (result) *result = std::move(reply);
    return std::nullopt;
  } catch (const harness::AgentReplyError& e) {
    return e;
  }
}

long long outcome_count(const json& dial_result, std::string_view outcome) {
  const auto outcomes = dial_result.find("outcomes");
  if (outcomes == dial_result.end() || !outcomes->contains(outcome)) return 0;
  return outcomes->at(outcome).get<long long>();
}

json counters_reaching(SuiteAgent& server, const json& listener_id, std::string_view key,
                       long long at_least, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    json counters = server.call("counters", {{"listener", listener_id}});
    if (counters.value(key, 0LL) >= at_least || std::chrono::steady_clock::now() >= deadline) {
      return counters;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace pipecheck::suites

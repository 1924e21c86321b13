// GoogleTest → report bridge: the listener and the helpers tests call.
#include "common/gtest_report.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include "pipecheck/harness/agent_stderr.hpp"

namespace pipecheck::harness {
namespace {

constexpr std::size_t kMaxMessageBytes = 8192;

// What the running test recorded through the helpers. Reset at every test start.
struct Recording {
  std::vector<std::string> requirements;
  nlohmann::json measurements = nlohmann::json::object();
  std::map<std::string, std::string> implementations;
  std::vector<std::string> logs;
  std::optional<Status> declared;  // unsupported, skip or error from the helpers
  std::string declared_reason;
  std::vector<std::string> failures;  // failed assertions, "file:line: text"
  std::string skip_message;
};

std::mutex recording_mutex;
Recording recording;
ReportListener::State* active_listener = nullptr;  // guarded by recording_mutex

void append_line(std::string& text, std::string_view line) {
  if (!text.empty()) text += "\n";
  text += line;
}

void declare(Status status, std::string_view reason) {
  std::lock_guard lock(recording_mutex);
  // error outranks unsupported and skip; the first reason of the winning status is kept.
  if (recording.declared == Status::error && status != Status::error) return;
  if (recording.declared != status) recording.declared_reason.clear();
  recording.declared = status;
  append_line(recording.declared_reason, reason);
}

std::string current_check_id() {
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr) return {};
  return std::string(test->test_suite_name()) + "." + test->name();
}

std::string part_location(const testing::TestPartResult& part) {
  if (part.file_name() == nullptr) return {};
  return std::string(part.file_name()) + ":" + std::to_string(part.line_number()) + ": ";
}

}  // namespace

struct ReportListener::State {
  ReportWriter writer;
  std::vector<std::string> environment_failures;
  bool environment_failure_reported = false;
  bool in_test = false;  // between OnTestStart and OnTestEnd

  explicit State(std::filesystem::path file) : writer(std::move(file), current_run_info()) {}
};

void requirement(std::string_view id) {
  std::string joined;
  {
    std::lock_guard lock(recording_mutex);
    const std::string text(id);
    if (std::find(recording.requirements.begin(), recording.requirements.end(), text) ==
        recording.requirements.end())
      recording.requirements.push_back(text);
    for (const auto& r : recording.requirements) joined += (joined.empty() ? "" : ",") + r;
  }
  testing::Test::RecordProperty("requirements", joined);
}

void measure(std::string_view name, double value) {
  measure(name, nlohmann::json(value));
}

void measure(std::string_view name, const nlohmann::json& value) {
  std::lock_guard lock(recording_mutex);
  recording.measurements[std::string(name)] = value;
}

void implementation(std::string_view role, std::string_view name) {
  std::lock_guard lock(recording_mutex);
  recording.implementations[std::string(role)] = std::string(name);
}

void log_path(const std::filesystem::path& path) {
  std::lock_guard lock(recording_mutex);
  recording.logs.push_back(path.string());
}

void record_geometry(GeometryRun geometry) {
  if (geometry.check.empty()) geometry.check = current_check_id();
  std::lock_guard lock(recording_mutex);
  if (active_listener != nullptr) active_listener->writer.add_geometry(std::move(geometry));
}

void report_implementation(const ImplementationInfo& implementation) {
  std::lock_guard lock(recording_mutex);
  if (active_listener != nullptr) active_listener->writer.add_implementation(implementation);
}

void unsupported(std::string_view reason) {
  declare(Status::unsupported, reason);
  testing::Test::RecordProperty("pipecheck_status", "unsupported");
}

void skip(std::string_view reason) {
  declare(Status::skip, reason);
  testing::Test::RecordProperty("pipecheck_status", "skip");
}

void error(std::string_view reason) {
  declare(Status::error, reason);
  testing::Test::RecordProperty("pipecheck_status", "error");
}

std::filesystem::path report_path_from(int& argc, char** argv) {
  constexpr std::string_view kFlag = "--pipecheck_report=";
  std::filesystem::path path;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) == kFlag) {
      path = std::string(arg.substr(kFlag.size()));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  if (path.empty()) {
    const char* from_env = std::getenv("PIPECHECK_REPORT");
    if (from_env != nullptr) path = from_env;
  }
  return path;
}

ReportListener::ReportListener(std::filesystem::path report_file)
    : state_(std::make_unique<State>(std::move(report_file))) {
  std::lock_guard lock(recording_mutex);
  active_listener = state_.get();
}

ReportListener::~ReportListener() {
  std::lock_guard lock(recording_mutex);
  if (active_listener == state_.get()) active_listener = nullptr;
}

void ReportListener::OnTestStart(const testing::TestInfo&) {
  std::lock_guard lock(recording_mutex);
  recording = Recording{};
  state_->in_test = true;
  take_agent_stderr();  // agents of an earlier test or of the suite's set-up
}

void ReportListener::OnTestPartResult(const testing::TestPartResult& part) {
  std::string summary = part.summary();
  // ADD_FAILURE()/FAIL() summaries start with a bare "Failed" line; the message says more.
  if (summary.rfind("Failed\n", 0) == 0) summary.erase(0, 7);
  const std::string text = part_location(part) + summary;
  std::lock_guard lock(recording_mutex);
  // Not UnitTest::current_test_info(): GoogleTest holds its own lock while calling us.
  if (!state_->in_test) {
    // Outside any test: a global environment's SetUp or TearDown.
    if (part.failed()) state_->environment_failures.push_back(text);
    return;
  }
  if (part.failed()) {
    recording.failures.push_back(text);
  } else if (part.skipped()) {
    append_line(recording.skip_message, part.message());
  }
}

void ReportListener::OnTestEnd(const testing::TestInfo& test) {
  Recording done;
  std::vector<std::string> environment_failures;
  {
    std::lock_guard lock(recording_mutex);
    done = std::move(recording);
    recording = Recording{};
    state_->in_test = false;
    environment_failures = state_->environment_failures;
  }
  Check check;
  check.id = std::string(test.test_suite_name()) + "." + test.name();
  check.requirements = std::move(done.requirements);
  check.duration_ms = static_cast<double>(test.result()->elapsed_time());
  check.implementations = std::move(done.implementations);
  check.measurements = std::move(done.measurements);
  check.logs = std::move(done.logs);

  std::string failures;
  for (const auto& f : done.failures) append_line(failures, f);
  if (done.declared == Status::error) {
    check.status = Status::error;
    check.message = done.declared_reason;
  } else if (!done.failures.empty()) {
    check.status = Status::fail;
    check.message = failures;
  } else if (!environment_failures.empty()) {
    check.status = Status::error;
    check.message = "the suite's test environment failed:";
    for (const auto& f : environment_failures) append_line(check.message, f);
    state_->environment_failure_reported = true;
  } else if (done.declared) {
    check.status = *done.declared;
    check.message = done.declared_reason;
  } else if (test.result()->Skipped()) {
    check.status = Status::skip;
    check.message = done.skip_message;
  } else {
    check.status = Status::pass;
  }
  if (check.requirements.empty()) {
    std::string was = "(it would have been " + std::string(to_string(check.status));
    if (!check.message.empty()) was += ": " + check.message;
    check.status = Status::error;
    check.message =
        "check does not name a requirement: call pipecheck::harness::requirement(\"ID\") " + was +
        ")";
  }
  std::map<std::string, std::string> agent_stderr = take_agent_stderr();
  if (check.status == Status::fail || check.status == Status::error)
    check.agent_stderr = std::move(agent_stderr);
  if (check.message.size() > kMaxMessageBytes) {
    check.message.resize(kMaxMessageBytes);
    check.message += " [truncated]";
  }
  if (check.implementations.empty()) {
    const char* impls = std::getenv("PIPECHECK_IMPLS");
    if (impls != nullptr && *impls != '\0' && std::strchr(impls, ',') == nullptr)
      check.implementations["agent"] = impls;
  }
  state_->writer.add_check(std::move(check));
}

void ReportListener::OnTestProgramEnd(const testing::UnitTest&) {
  std::vector<std::string> unreported;
  {
    std::lock_guard lock(recording_mutex);
    if (!state_->environment_failure_reported) unreported = state_->environment_failures;
  }
  if (!unreported.empty()) {
    Check check;
    check.id = "Environment.SetUpTearDown";
    check.status = Status::error;
    check.message = "the suite's test environment failed:";
    for (const auto& f : unreported) append_line(check.message, f);
    state_->writer.add_check(std::move(check));
  }
  state_->writer.finish();
}

ReportWriter& ReportListener::writer() {
  return state_->writer;
}

bool ReportListener::all_checks_ok() const {
  const auto counts = count_by_status(state_->writer.report());
  return counts.at(Status::fail) == 0 && counts.at(Status::error) == 0;
}

}  // namespace pipecheck::harness

// Unit tests of run_suites() (the library behind `pipecheck run`) and the suite manifest. The
// suite-process seam is GoogleMock: a started "suite" writes its listing or its part report the
// way a suite executable does, and says when it has exited. Real suite processes, signals and
// leftovers: cli/tests/*_run.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "pipecheck/harness/atomic_file.hpp"
#include "pipecheck/harness/report_writer.hpp"
#include "pipecheck/harness/scratch.hpp"
#include "pipecheck/harness/suite_run.hpp"

namespace pipecheck::harness {
namespace {

namespace fs = std::filesystem;
using Environment = std::map<std::string, std::string>;
using testing::_;
using testing::AllOf;
using testing::Contains;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Key;
using testing::Not;
using testing::Pair;
using testing::Return;

// Matches a path whose text contains `part`.
testing::Matcher<const fs::path&> path_with(const std::string& part) {
  return testing::ResultOf([](const fs::path& p) { return p.string(); }, HasSubstr(part));
}

class MockSuiteProcess : public SuiteProcess {
 public:
  MOCK_METHOD(bool, exited, (), (override));
  MOCK_METHOD(void, request_exit, (), (override));
  MOCK_METHOD(void, kill, (), (override));
  MOCK_METHOD(int, finish, (), (override));
};

class MockSuiteLauncher : public SuiteLauncher {
 public:
  MOCK_METHOD(std::unique_ptr<SuiteProcess>, start,
              (const fs::path& executable, const std::vector<std::string>& args,
               const fs::path& log, const Environment& environment),
              (override));
};

// Stops when told to; waits at most a millisecond (the tests poll every millisecond).
class FakeStop : public StopSource {
 public:
  std::optional<std::string> requested() override { return reason; }
  void wait_until(std::chrono::steady_clock::time_point deadline) override {
    std::this_thread::sleep_until(
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
  }
  std::optional<std::string> reason;
};

// What the run told, one line per event.
class RecordingObserver : public SuiteRunObserver {
 public:
  void suite_started(std::size_t index, std::size_t count, const Suite& suite,
                     std::size_t expected_checks) override {
    events.push_back("started " + std::to_string(index + 1) + "/" + std::to_string(count) + " " +
                     suite.name + " expecting " + std::to_string(expected_checks));
  }
  void checks(const std::vector<Check>& checks) override { last_checks = checks; }
  void suite_finished(const Suite& suite, const SuiteEnding& ending) override {
    events.push_back("finished " + suite.name + " " + ending.description);
  }
  std::vector<std::string> events;
  std::vector<Check> last_checks;
};

// A process that has already exited with `code`.
std::unique_ptr<SuiteProcess> exited_with(int code) {
  auto process = std::make_unique<testing::NiceMock<MockSuiteProcess>>();
  ON_CALL(*process, exited()).WillByDefault(Return(true));
  ON_CALL(*process, finish()).WillByDefault(Return(code));
  return process;
}

// What `suite --gtest_list_tests` prints for these ids ("Hash.Vectors" ...).
std::string listing_of(const std::vector<std::string>& ids) {
  std::string text, current;
  for (const auto& id : ids) {
    const std::string suite = id.substr(0, id.find('.'));
    if (suite != current) text += suite + ".\n";
    current = suite;
    text += "  " + id.substr(id.find('.') + 1) + "\n";
  }
  return text;
}

// Writes the part report a suite writes: its checks, under the shared run id.
void write_part(const Environment& environment, const std::vector<Check>& checks) {
  RunInfo run = current_run_info();
  run.run_id = environment.at("PIPECHECK_RUN_ID");
  run.state = RunState::complete;
  run.finished_at = run.started_at;
  Report part{{run}, {}, {}, {}};
  for (Check check : checks) {
    check.run_id = run.run_id;
    part.checks.push_back(std::move(check));
  }
  write_report(environment.at("PIPECHECK_REPORT"), part);
}

Check check(std::string id, Status status) {
  Check c;
  c.id = std::move(id);
  c.requirements = {"HASH-1"};
  c.status = status;
  return c;
}

bool is_listing(const std::vector<std::string>& args) {
  return args == std::vector<std::string>{"--gtest_list_tests"};
}

class SuiteRunTest : public testing::Test {
 protected:
  SuiteRunTest() {
    options.implementations = {"reference", "node"};
    options.report_file = scratch.path() / "out" / "report.json";
    options.poll_interval = std::chrono::milliseconds(1);
    options.term_grace = std::chrono::milliseconds(20);
  }

  Suite suite(std::string name) {
    return {std::move(name), scratch.path() / "bin" / "suite", {}, std::chrono::seconds(30)};
  }

  // Lists `ids`, then writes `done` as the part report and exits with `exit_code`.
  void behaves(const std::string& executable_name, std::vector<std::string> ids,
               std::vector<Check> done, int exit_code) {
    suites_[executable_name] = {std::move(ids), std::move(done), exit_code};
  }

  void SetUp() override {
    ON_CALL(launcher, start(_, _, _, _))
        .WillByDefault([this](const fs::path&, const std::vector<std::string>& args,
                              const fs::path& log, const Environment& environment) {
          const Behaviour& b = suites_.at(current_suite(environment, log));
          if (is_listing(args)) {
            write_file_atomically(log, listing_of(b.ids));
            return exited_with(0);
          }
          write_part(environment, b.done);
          return exited_with(b.exit_code);
        });
    // Tests expect particular starts on top of this; any other start acts as above.
    EXPECT_CALL(launcher, start(_, _, _, _)).Times(testing::AnyNumber());
  }

  // The suite a start is for: the part report or listing file is named after it.
  static std::string current_suite(const Environment& environment, const fs::path& log) {
    const auto report = environment.find("PIPECHECK_REPORT");
    if (report != environment.end() && !report->second.empty())
      return fs::path(report->second).stem().string();
    return log.stem().stem().string();  // {suite}.tests.txt
  }

  struct Behaviour {
    std::vector<std::string> ids;
    std::vector<Check> done;
    int exit_code = 0;
  };

  ScratchDir scratch = ScratchDir::create("suite-run");
  SuiteRunOptions options;
  testing::NiceMock<MockSuiteLauncher> launcher;
  FakeStop stop;
  RecordingObserver observer;
  std::map<std::string, Behaviour> suites_;
};

TEST_F(SuiteRunTest, MergesEverySuitesPartIntoOneCompleteReport) {
  behaves("suite_hash", {"Hash.Vectors", "Hash.Profile"},
          {check("Hash.Vectors", Status::pass), check("Hash.Profile", Status::fail)}, 1);
  behaves("suite_naming", {"Naming.Pid"}, {check("Naming.Pid", Status::pass)}, 0);

  const SuiteRunResult result =
      run_suites({suite("suite_hash"), suite("suite_naming")}, options, launcher, stop, observer);

  EXPECT_FALSE(result.interrupted_by);
  ASSERT_EQ(result.report.runs.size(), 1u);
  EXPECT_EQ(result.report.runs[0].state, RunState::complete);
  std::vector<std::string> ids;
  for (const auto& c : result.report.checks)
    ids.push_back(c.id + " " + std::string(to_string(c.status)));
  EXPECT_THAT(ids, ElementsAre("Hash.Vectors pass", "Hash.Profile fail", "Naming.Pid pass"));
  EXPECT_THAT(observer.events, ElementsAre("started 1/2 suite_hash expecting 2",
                                           "finished suite_hash exited with status 1",
                                           "started 2/2 suite_naming expecting 1",
                                           "finished suite_naming exited with status 0"));
  // What is in the file is what was returned.
  EXPECT_EQ(to_json(read_report(options.report_file)), to_json(result.report));
  EXPECT_EQ(result.parts_dir, scratch.path() / "out" / ".report.json.parts");
}

TEST_F(SuiteRunTest, SuitesRunWithTheirPartReportAndTheRunsImplementations) {
  behaves("suite_hash", {"Hash.Vectors"}, {check("Hash.Vectors", Status::pass)}, 0);
  const fs::path part = scratch.path() / "out" / ".report.json.parts" / "suite_hash.json";
  testing::InSequence in_order;
  // The listing runs without a part report: it would overwrite a part with an empty report.
  EXPECT_CALL(launcher, start(_, ElementsAre("--gtest_list_tests"), _,
                              AllOf(Contains(Pair("PIPECHECK_REPORT", "")),
                                    Contains(Pair("PIPECHECK_IMPLS", "reference,node")))));
  EXPECT_CALL(launcher, start(scratch.path() / "bin" / "suite", IsEmpty(),
                              part.parent_path() / "suite_hash.log",
                              AllOf(Contains(Pair("PIPECHECK_REPORT", part.string())),
                                    Contains(Pair("PIPECHECK_IMPLS", "reference,node")),
                                    Contains(Key("PIPECHECK_RUN_ID")))));

  const SuiteRunResult result =
      run_suites({suite("suite_hash")}, options, launcher, stop, observer);
  ASSERT_EQ(result.report.checks.size(), 1u);
  EXPECT_EQ(result.report.checks[0].run_id, result.report.runs[0].run_id);
}

TEST_F(SuiteRunTest, ChecksASuiteDidNotFinishBecomeErrorsSayingWhy) {
  behaves("suite_close", {"Close.Once", "Close.Twice", "Close.Races"},
          {check("Close.Once", Status::pass)}, 134);

  const SuiteRunResult result =
      run_suites({suite("suite_close")}, options, launcher, stop, observer);

  ASSERT_EQ(result.report.checks.size(), 3u);
  for (const std::string id : {"Close.Twice", "Close.Races"}) {
    const auto found = std::find_if(result.report.checks.begin(), result.report.checks.end(),
                                    [&](const Check& c) { return c.id == id; });
    ASSERT_NE(found, result.report.checks.end()) << id;
    EXPECT_EQ(found->status, Status::error);
    EXPECT_THAT(found->message, HasSubstr("suite suite_close exited with status 134 before this "
                                          "check finished (log: "));
    EXPECT_THAT(found->logs, ElementsAre(HasSubstr("suite_close.log")));
  }
  EXPECT_EQ(observer.last_checks.size(), 3u);
}

TEST_F(SuiteRunTest, ASuitePastItsTimeoutIsAskedToExitThenKilled) {
  behaves("suite_backlog", {"Backlog.Admits"}, {}, 0);
  Suite hanging = suite("suite_backlog");
  hanging.timeout = std::chrono::milliseconds(30);
  EXPECT_CALL(launcher, start(_, IsEmpty(), _, _)).WillOnce(testing::InvokeWithoutArgs([] {
    auto process = std::make_unique<MockSuiteProcess>();
    EXPECT_CALL(*process, exited()).WillRepeatedly(Return(false));
    testing::Sequence order;
    EXPECT_CALL(*process, request_exit()).InSequence(order);
    EXPECT_CALL(*process, kill()).InSequence(order);
    EXPECT_CALL(*process, finish()).InSequence(order).WillOnce(Return(128 + 9));
    return std::unique_ptr<SuiteProcess>(std::move(process));
  }));

  const SuiteRunResult result = run_suites({hanging}, options, launcher, stop, observer);

  EXPECT_FALSE(result.interrupted_by);
  ASSERT_EQ(result.report.checks.size(), 1u);
  EXPECT_EQ(result.report.checks[0].status, Status::error);
  EXPECT_THAT(result.report.checks[0].message,
              HasSubstr("suite suite_backlog timed out after 0.03 s (killed) before this check"));
}

TEST_F(SuiteRunTest, AStopRequestEndsTheRunInterruptedAndStartsNoFurtherSuite) {
  behaves("suite_hash", {"Hash.Vectors", "Hash.Profile"}, {}, 0);
  behaves("suite_naming", {"Naming.Pid"}, {}, 0);
  EXPECT_CALL(launcher, start(_, IsEmpty(), path_with("suite_hash"), _))
      .WillOnce(testing::InvokeWithoutArgs([this] {
        auto process = std::make_unique<MockSuiteProcess>();
        EXPECT_CALL(*process, exited()).WillOnce(Return(false)).WillRepeatedly(Return(true));
        // The suite flushes its part when asked to exit (SIGTERM).
        EXPECT_CALL(*process, request_exit());
        EXPECT_CALL(*process, kill());
        EXPECT_CALL(*process, finish()).WillOnce(Return(128 + 15));
        stop.reason = "SIGTERM";
        return std::unique_ptr<SuiteProcess>(std::move(process));
      }));
  EXPECT_CALL(launcher, start(_, _, path_with("suite_naming"), _)).Times(0);

  const SuiteRunResult result =
      run_suites({suite("suite_hash"), suite("suite_naming")}, options, launcher, stop, observer);

  EXPECT_EQ(result.interrupted_by, "SIGTERM");
  ASSERT_EQ(result.report.runs.size(), 1u);
  EXPECT_EQ(result.report.runs[0].state, RunState::interrupted);
  EXPECT_EQ(result.report.runs[0].interrupted_by, "SIGTERM");
  ASSERT_EQ(result.report.checks.size(), 2u);
  EXPECT_THAT(result.report.checks[0].message,
              HasSubstr("suite suite_hash was stopped by SIGTERM to pipecheck run"));
  EXPECT_EQ(read_report(options.report_file).runs[0].state, RunState::interrupted);
}

TEST_F(SuiteRunTest, ASuiteThatCannotBeListedIsOneErrorAndDoesNotRun) {
  EXPECT_CALL(launcher, start(_, ElementsAre("--gtest_list_tests"), _, _))
      .WillOnce(testing::InvokeWithoutArgs([]() -> std::unique_ptr<SuiteProcess> {
        throw std::runtime_error("exec failed: No such file or directory");
      }));
  EXPECT_CALL(launcher, start(_, IsEmpty(), _, _)).Times(0);

  const SuiteRunResult result =
      run_suites({suite("suite_wire")}, options, launcher, stop, observer);

  ASSERT_EQ(result.report.checks.size(), 1u);
  EXPECT_EQ(result.report.checks[0].id, "suite_wire.TestListing");
  EXPECT_EQ(result.report.checks[0].status, Status::error);
  EXPECT_THAT(result.report.checks[0].message,
              HasSubstr("cannot list the tests of suite suite_wire: "));
  EXPECT_THAT(result.report.checks[0].message, HasSubstr("exec failed: No such file"));
}

TEST_F(SuiteRunTest, ASuiteThatCannotStartLeavesEveryCheckAnError) {
  behaves("suite_wire", {"Wire.Hello"}, {}, 0);
  EXPECT_CALL(launcher, start(_, IsEmpty(), _, _))
      .WillOnce(testing::InvokeWithoutArgs([]() -> std::unique_ptr<SuiteProcess> {
        throw std::runtime_error("fork: Resource temporarily unavailable");
      }));

  const SuiteRunResult result =
      run_suites({suite("suite_wire")}, options, launcher, stop, observer);

  ASSERT_EQ(result.report.checks.size(), 1u);
  EXPECT_EQ(result.report.checks[0].status, Status::error);
  EXPECT_THAT(result.report.checks[0].message,
              HasSubstr("could not be run: " + (scratch.path() / "bin" / "suite").string() +
                        ": cannot run: fork: Resource temporarily unavailable"));
  EXPECT_THAT(observer.events, Contains(HasSubstr("finished suite_wire could not be run")));
}

TEST_F(SuiteRunTest, NoSuitesIsAnEmptyCompleteRun) {
  const SuiteRunResult result = run_suites({}, options, launcher, stop, observer);
  EXPECT_THAT(result.report.checks, IsEmpty());
  ASSERT_EQ(result.report.runs.size(), 1u);
  EXPECT_EQ(result.report.runs[0].state, RunState::complete);
  EXPECT_THAT(result.report.runs[0].implementations, Not(IsEmpty()));
}

class SuiteManifestTest : public testing::Test {
 protected:
  fs::path manifest(const std::string& text) {
    const fs::path file = scratch.path() / "manifest.json";
    write_file_atomically(file, text);
    return file;
  }
  ScratchDir scratch = ScratchDir::create("suite-manifest");
};

TEST_F(SuiteManifestTest, ReadsSuitesWithTheirLabelsAndTimeouts) {
  const auto suites = read_suite_manifest(manifest(R"({"format": "pipecheck-suite-manifest",
      "format_version": 1, "suites": [
        {"name": "suite_hash", "executable": "/b/suite_hash", "labels": ["conformance", "hash"],
         "timeout_s": 60},
        {"name": "suite_wire", "executable": "/b/suite_wire"}]})"));
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[0].name, "suite_hash");
  EXPECT_EQ(suites[0].executable, "/b/suite_hash");
  EXPECT_THAT(suites[0].labels, ElementsAre("conformance", "hash"));
  EXPECT_EQ(suites[0].timeout, std::chrono::seconds(60));
  EXPECT_EQ(suites[1].timeout, std::chrono::seconds(300));
}

TEST_F(SuiteManifestTest, ABrokenManifestIsAnErrorNamingTheFieldAndTheRule) {
  auto error_of = [&](const std::string& text) -> std::string {
    try {
      read_suite_manifest(manifest(text));
    } catch (const SuiteManifestError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(error_of(R"({"format": "other", "suites": []})"),
              HasSubstr("manifest.json: /format: expected \"pipecheck-suite-manifest\""));
  EXPECT_THAT(error_of(R"({"format": "pipecheck-suite-manifest", "suites": {}})"),
              HasSubstr("/suites: expected an array"));
  EXPECT_THAT(error_of(R"({"format": "pipecheck-suite-manifest", "suites": [{"name": "x"}]})"),
              HasSubstr("/suites/0/executable: expected a string"));
  EXPECT_THAT(error_of(R"({"format": "pipecheck-suite-manifest",
      "suites": [{"name": "x", "executable": "x", "timeout_s": 0}]})"),
              HasSubstr("/suites/0/timeout_s: expected an integer >= 1"));
  EXPECT_THAT(error_of(R"({"format": "pipecheck-suite-manifest",
      "suites": [{"name": "x", "executable": "x", "labels": [1]}]})"),
              HasSubstr("/suites/0/labels: expected an array of strings"));
  EXPECT_THAT(error_of("{"), HasSubstr("manifest.json"));
  EXPECT_THAT(error_of("{"), Not(HasSubstr("no error")));
  EXPECT_THROW(read_suite_manifest(scratch.path() / "missing.json"), SuiteManifestError);
}

TEST(SuiteSelection, ShortNamesAnswerAndAnUnknownNameListsTheKnownOnes) {
  const std::vector<Suite> suites = {{"suite_hash", "h", {}, {}}, {"naming_suite", "n", {}, {}}};
  EXPECT_TRUE(suite_matches(suites[0], "hash"));
  EXPECT_TRUE(suite_matches(suites[0], "suite_hash"));
  EXPECT_TRUE(suite_matches(suites[1], "naming"));
  EXPECT_FALSE(suite_matches(suites[0], "has"));
  const auto selected = select_suites(suites, {"naming", "hash"}, "m.json");
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].name, "naming_suite");
  EXPECT_EQ(selected[1].name, "suite_hash");
  try {
    select_suites(suites, {"wire"}, "m.json");
    ADD_FAILURE() << "no error for an unknown suite";
  } catch (const SuiteManifestError& e) {
    EXPECT_STREQ(e.what(), "no suite \"wire\" in m.json (known: suite_hash, naming_suite)");
  }
}

}  // namespace
}  // namespace pipecheck::harness

// Writing reports: run identity, the compiled-in schema, and the incremental ReportWriter.
#include <chrono>
#include <cstdlib>
#include <random>

#include "embedded_files.hpp"
#include "pipecheck/harness/json_schema.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_build_info.hpp"
#include "report_platform.hpp"

namespace pipecheck::harness {
namespace {

std::string compiler_name() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_FULL_VER);
#else
  return "unknown";
#endif
}

std::string random_run_id() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string id;
  for (int i = 0; i < 16; ++i) id += "0123456789abcdef"[nibble(random)];
  return id;
}

}  // namespace

std::string utc_now_rfc3339() {
  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  const auto days = floor<std::chrono::days>(now);
  const year_month_day date{days};
  const hh_mm_ss time{now - days};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()),
                int(time.subseconds().count()));
  return text;
}

RunInfo current_run_info() {
  const detail::PlatformIdentity identity = detail::platform_identity();
  RunInfo run;
  const char* shared_id = std::getenv("PIPECHECK_RUN_ID");
  run.run_id = shared_id != nullptr && *shared_id != '\0' ? shared_id : random_run_id();
  run.pipecheck_version = kPipecheckVersion;
  run.os = identity.os;
  run.os_release = identity.os_release;
  run.arch = identity.arch;
  run.compiler = compiler_name();
  run.git_commit = kGitCommit;
  run.host = identity.host;
  run.started_at = utc_now_rfc3339();
  return run;
}

const nlohmann::json& report_schema() {
  static const nlohmann::json schema =
      nlohmann::json::parse(detail::embedded_report_schema().front().second);
  return schema;
}

std::vector<std::string> validate_report(const nlohmann::json& document) {
  static const SchemaSet schemas = [] {
    SchemaSet set;
    set.add("report.schema.json", report_schema());
    return set;
  }();
  std::vector<std::string> lines;
  for (const auto& violation : schemas.validate(document, "report.schema.json"))
    lines.push_back(violation.to_string());
  return lines;
}

void write_report(const std::filesystem::path& file, const Report& report) {
  write_file_atomically(file, to_json(report).dump(2) + "\n");
}

ReportWriter::ReportWriter(std::filesystem::path file, RunInfo run) : file_(std::move(file)) {
  report_.runs.push_back(std::move(run));
  std::lock_guard lock(mutex_);
  flush_locked();
}

void ReportWriter::add_implementation(const ImplementationInfo& implementation) {
  std::lock_guard lock(mutex_);
  auto& known = report_.runs.front().implementations;
  for (const auto& i : known)
    if (i == implementation) return;
  known.push_back(implementation);
  flush_locked();
}

void ReportWriter::add_check(Check check) {
  std::lock_guard lock(mutex_);
  check.run_id = report_.runs.front().run_id;
  report_.checks.push_back(std::move(check));
  flush_locked();
}

void ReportWriter::add_geometry(GeometryRun geometry) {
  std::lock_guard lock(mutex_);
  geometry.run_id = report_.runs.front().run_id;
  report_.geometries.push_back(std::move(geometry));
  flush_locked();
}

void ReportWriter::replace(Report report) {
  std::lock_guard lock(mutex_);
  const RunInfo& mine = report_.runs.front();
  if (report.runs.empty() || report.runs.front().run_id != mine.run_id)
    throw ReportError("ReportWriter::replace: the first run must stay " + mine.run_id);
  if (mine.state == RunState::interrupted) {
    report.runs.front().state = RunState::interrupted;
    report.runs.front().interrupted_by = mine.interrupted_by;
    report.runs.front().finished_at = mine.finished_at;
  }
  report_ = std::move(report);
  flush_locked();
}

void ReportWriter::finish() {
  std::lock_guard lock(mutex_);
  RunInfo& run = report_.runs.front();
  if (run.state == RunState::running) run.state = RunState::complete;
  if (run.finished_at.empty()) run.finished_at = utc_now_rfc3339();
  flush_locked();
}

void ReportWriter::interrupt(std::string_view signal_name) {
  std::lock_guard lock(mutex_);
  RunInfo& run = report_.runs.front();
  run.state = RunState::interrupted;
  run.interrupted_by = signal_name;
  run.finished_at = utc_now_rfc3339();
  flush_locked();
  frozen_ = true;  // the process is about to end: a later write could only leave a .tmp behind
}

Report ReportWriter::report() const {
  std::lock_guard lock(mutex_);
  return report_;
}

void ReportWriter::flush_locked() const {
  if (!file_.empty() && !frozen_) write_report(file_, report_);
}

}  // namespace pipecheck::harness

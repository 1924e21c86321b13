// pipecheck/harness/report_writer.hpp — writing a report while a run goes on: the identity of
// this run, and a ReportWriter that rewrites the file atomically (atomic_file.hpp) after every
// check, so a crash loses nothing measured; an InterruptFlush marks the run `interrupted` and
// flushes on SIGINT/SIGTERM.
//
//   pipecheck::harness::ReportWriter writer("out/report.json", pipecheck::harness::current_run_info());
//   pipecheck::harness::InterruptFlush on_signal(writer);
//   writer.add_check({.id = "Hash.Vectors", .requirements = {"HASH-31"},
//                     .status = pipecheck::harness::Status::pass, .duration_ms = 12});
//   writer.finish();
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// What this process is: version, OS, arch, compiler, git commit, host, start time, a fresh run id
// (or $PIPECHECK_RUN_ID when set, so that suite executables of one `pipecheck run` share it).
RunInfo current_run_info();
std::string utc_now_rfc3339();

// The report's JSON form (report.hpp), written atomically.
void write_report(const std::filesystem::path& file, const Report& report);

// Holds a report and rewrites its file after every change. Thread-safe. With an empty path it
// only keeps the report in memory.
class ReportWriter {
 public:
  ReportWriter(std::filesystem::path file, RunInfo run);

  void add_implementation(const ImplementationInfo& implementation);
  void add_check(Check check);
  void add_geometry(GeometryRun geometry);
  // Replaces the whole report (e.g. with merged parts). The first run must stay this writer's
  // run; once interrupted it stays interrupted.
  void replace(Report report);
  void finish();                                 // state complete, finished_at set, flushed
  void interrupt(std::string_view signal_name);  // state interrupted, flushed

  Report report() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  void flush_locked() const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
  Report report_;
  bool frozen_ = false;  // set by interrupt(): no more writes
};

// While alive, SIGINT / SIGTERM (Ctrl-C / Ctrl-Break / close on Windows) mark the writer's run
// interrupted, flush it, and then end the process with the signal's default action. The handler
// only writes one byte to a pipe; a normal thread does the flushing.
class InterruptFlush {
 public:
  explicit InterruptFlush(ReportWriter& writer);
  ~InterruptFlush();
  InterruptFlush(const InterruptFlush&) = delete;
  InterruptFlush& operator=(const InterruptFlush&) = delete;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipecheck::harness

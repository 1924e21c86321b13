// suite_process.hpp — one suite executable run by `pipecheck run`, with everything it starts.
//
// The suite runs in a process group of its own (with the default signal mask and dispositions),
// so that stopping it also stops the agents it started; once it has exited, leftovers are killed
// and, on Linux, reaped (the caller becomes their child subreaper). On Windows the suite runs in a
// Job object that kills everything in it (suite_process_windows.cpp).
//
//   SuiteProcess suite("build/ci/suites/suite_hash", {}, log_file);
//   while (!suite.exited()) { ...; if (late) suite.request_exit(); }
//   int status = suite.finish();  // kills what is left of the group, reaps, returns the status
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pipecheck::cli {

class SuiteProcess {
 public:
  // Starts `executable args...` with stdin closed and stdout+stderr appended to `log`.
  // Throws std::runtime_error when it cannot be started.
  SuiteProcess(const std::filesystem::path& executable, const std::vector<std::string>& args,
               std::FILE* log);
  ~SuiteProcess();  // as finish(), ignoring its result
  SuiteProcess(const SuiteProcess&) = delete;
  SuiteProcess& operator=(const SuiteProcess&) = delete;

  bool exited();        // the suite itself has ended (it is not reaped yet on POSIX)
  void request_exit();  // SIGTERM to the suite and its agents; the suite flushes its part report
  void kill();          // SIGKILL to the suite and its agents
  int finish();         // kills what is left, reaps the suite and returns its exit code

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipecheck::cli

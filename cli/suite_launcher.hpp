// suite_launcher.hpp — the harness's seams for `pipecheck run` (pipecheck/harness/suite_run.hpp)
// filled in with this platform: suite processes (SuiteProcess, suite_process_*.cpp) and the
// process-wide stop request (StopSignal, stop_signal_*.cpp).
//
//   ProcessSuiteLauncher launcher;
//   StopSignalSource stop;
//   harness::run_suites(suites, options, launcher, stop, progress);
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipecheck/harness/suite_run.hpp"

namespace pipecheck::cli {

// Starts suites as SuiteProcess (its own process group / Job object). The environment is applied
// to this process before the start (the suite inherits it); the log is opened for appending and
// closed once the suite is finished.
class ProcessSuiteLauncher : public harness::SuiteLauncher {
 public:
  std::unique_ptr<harness::SuiteProcess> start(
      const std::filesystem::path& executable, const std::vector<std::string>& args,
      const std::filesystem::path& log,
      const std::map<std::string, std::string>& environment) override;
};

// StopSignal::instance() as the harness's StopSource.
class StopSignalSource : public harness::StopSource {
 public:
  std::optional<std::string> requested() override;
  void wait_until(std::chrono::steady_clock::time_point deadline) override;
};

}  // namespace pipecheck::cli

// The platform's suite processes and stop signal behind the harness's run_suites() seams.
#include "suite_launcher.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "stop_signal.hpp"
#include "suite_process.hpp"

namespace pipecheck::cli {
namespace {

void set_env(const std::string& name, const std::string& value) {
#ifdef _WIN32
  _putenv_s(name.c_str(), value.c_str());  // an empty value removes it
#else
  if (value.empty()) {
    unsetenv(name.c_str());
  } else {
    setenv(name.c_str(), value.c_str(), 1);
  }
#endif
}

// A SuiteProcess and the log it writes to, closed after the suite is finished.
class LoggedSuiteProcess : public harness::SuiteProcess {
 public:
  LoggedSuiteProcess(const std::filesystem::path& executable, const std::vector<std::string>& args,
                     std::FILE* log)
      : log_(log), process_(executable, args, log) {}
  ~LoggedSuiteProcess() override {
    process_.finish();
    std::fclose(log_);
  }

  bool exited() override { return process_.exited(); }
  void request_exit() override { process_.request_exit(); }
  void kill() override { process_.kill(); }
  int finish() override { return process_.finish(); }

 private:
  std::FILE* log_;
  cli::SuiteProcess process_;
};

}  // namespace

std::unique_ptr<harness::SuiteProcess> ProcessSuiteLauncher::start(
    const std::filesystem::path& executable, const std::vector<std::string>& args,
    const std::filesystem::path& log, const std::map<std::string, std::string>& environment) {
  for (const auto& [name, value] : environment) set_env(name, value);
  std::FILE* log_file = std::fopen(log.string().c_str(), "ab");
  if (log_file == nullptr) throw std::runtime_error(log.string() + ": cannot open for writing");
  try {
    return std::make_unique<LoggedSuiteProcess>(executable, args, log_file);
  } catch (...) {
    std::fclose(log_file);
    throw;
  }
}

std::optional<std::string> StopSignalSource::requested() {
  return StopSignal::instance().requested();
}

void StopSignalSource::wait_until(std::chrono::steady_clock::time_point deadline) {
  StopSignal::instance().wait_until(deadline);
}

}  // namespace pipecheck::cli

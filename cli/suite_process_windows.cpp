// Windows: the suite is a single process; request_exit() asks it to end, kill() terminates it.
// Agents it started end with their stdin (the agent protocol's end of input).
// Boost 1.81 with BOOST_PROCESS_USE_STD_FS uses boost::optional, boost::remove_pointer and
// <type_traits> without including them.
#include <boost/optional.hpp>
#include <boost/type_traits/remove_pointer.hpp>
#include <type_traits>
//
#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>

#include <optional>
#include <stdexcept>

#include "suite_process.hpp"

namespace pipecheck::cli {

namespace bp = boost::process::v2;

struct SuiteProcess::Impl {
  boost::asio::io_context context;
  std::optional<bp::process> process;
  bool reaped = false;
};

SuiteProcess::SuiteProcess(const std::filesystem::path& executable,
                           const std::vector<std::string>& args, std::FILE* log)
    : impl_(std::make_unique<Impl>()) {
  try {
    impl_->process.emplace(impl_->context, executable, args, bp::process_stdio{nullptr, log, log});
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
}

SuiteProcess::~SuiteProcess() {
  if (impl_ && !impl_->reaped) finish();
}

bool SuiteProcess::exited() {
  if (impl_->reaped) return true;
  boost::system::error_code ec;
  return !impl_->process->running(ec) || ec;
}

void SuiteProcess::request_exit() {
  boost::system::error_code ignored;
  if (!impl_->reaped) impl_->process->request_exit(ignored);
}

void SuiteProcess::kill() {
  boost::system::error_code ignored;
  if (!impl_->reaped) impl_->process->terminate(ignored);
}

int SuiteProcess::finish() {
  if (!impl_->reaped) {
    boost::system::error_code ignored;
    if (!exited()) impl_->process->terminate(ignored);
    impl_->process->wait(ignored);
    impl_->reaped = true;
  }
  return impl_->process->exit_code();
}

}  // namespace pipecheck::cli

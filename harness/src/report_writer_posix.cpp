// POSIX parts of the report writer: platform identity, SIGINT/SIGTERM flush.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "pipecheck/harness/report_writer.hpp"
#include "report_platform.hpp"

namespace pipecheck::harness {
namespace {

// The write end of the signal pipe; the handler only reads this and writes one byte.
std::atomic<int> signal_pipe_write{-1};

extern "C" void on_interrupt_signal(int signal_number) {
  const int saved_errno = errno;
  const int fd = signal_pipe_write.load();
  if (fd >= 0) {
    const unsigned char byte = static_cast<unsigned char>(signal_number);
    [[maybe_unused]] const auto written = write(fd, &byte, 1);
  }
  errno = saved_errno;
}

constexpr unsigned char kStopByte = 0;

}  // namespace

namespace detail {

PlatformIdentity platform_identity() {
  PlatformIdentity id;
  utsname names{};
  if (uname(&names) == 0) {
    id.os = names.sysname;
    std::transform(id.os.begin(), id.os.end(), id.os.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    id.os_release = names.release;
    const std::string machine = names.machine;
    if (machine == "x86_64" || machine == "amd64") {
      id.arch = "x64";
    } else if (machine == "aarch64" || machine == "arm64") {
      id.arch = "arm64";
    } else if (machine == "i386" || machine == "i686") {
      id.arch = "x86";
    } else if (machine.rfind("arm", 0) == 0) {
      id.arch = "arm";
    } else {
      id.arch = machine;
    }
    id.host = names.nodename;
  }
  return id;
}

}  // namespace detail

struct InterruptFlush::Impl {
  ReportWriter& writer;
  int pipe_read = -1;
  int pipe_write = -1;
  struct sigaction previous_int {};
  struct sigaction previous_term {};
  std::thread flusher;

  explicit Impl(ReportWriter& w) : writer(w) {}

  void run() {
    while (true) {
      unsigned char byte = kStopByte;
      const ssize_t n = read(pipe_read, &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || byte == kStopByte) return;
      const int signal_number = byte;
      writer.interrupt(signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      // End the process as the signal would have: default action, re-raised.
      signal(signal_number, SIG_DFL);
      raise(signal_number);
      return;
    }
  }
};

InterruptFlush::InterruptFlush(ReportWriter& writer) : impl_(std::make_unique<Impl>(writer)) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw ReportError(std::string("pipe2: ") + std::strerror(errno));
  impl_->pipe_read = fds[0];
  impl_->pipe_write = fds[1];
  int expected = -1;
  if (!signal_pipe_write.compare_exchange_strong(expected, impl_->pipe_write)) {
    close(fds[0]);
    close(fds[1]);
    throw ReportError("InterruptFlush: only one may be active at a time");
  }
  impl_->flusher = std::thread([impl = impl_.get()] { impl->run(); });
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &impl_->previous_int);
  sigaction(SIGTERM, &action, &impl_->previous_term);
}

InterruptFlush::~InterruptFlush() {
  sigaction(SIGINT, &impl_->previous_int, nullptr);
  sigaction(SIGTERM, &impl_->previous_term, nullptr);
  const unsigned char stop = kStopByte;
  [[maybe_unused]] const auto written = write(impl_->pipe_write, &stop, 1);
  impl_->flusher.join();
  signal_pipe_write.store(-1);
  close(impl_->pipe_read);
  close(impl_->pipe_write);
}

}  // namespace pipecheck::harness

// POSIX agent processes: spawned with Boost.Process v2 (setsid / setuid in the child), stdin and
// stdout as non-blocking pipes driven with poll() against deadlines, stderr appended to a log.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include "agent_process.hpp"
#include "pipecheck/harness/boost_process.hpp"

extern char** environ;

namespace pipecheck::harness {
namespace {

namespace bp = boost::process::v2;

constexpr std::size_t kStderrTailBytes = 4096;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void spawn_failed(const AgentSpec& spec, const std::string& why) {
  AgentFailure::Details details;
  details.kind = AgentFailure::Kind::spawn_failed;
  details.agent = spec.name;
  details.op = "start";
  std::string command;
  for (const auto& arg : spec.command) command += (command.empty() ? "" : " ") + arg;
  details.detail = "cannot start `" + command + "`: " + why;
  throw AgentFailure(std::move(details));
}

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

// Writing to a pipe whose reader died must give EPIPE, not kill the harness.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
  });
}

int milliseconds_until(Clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

std::vector<std::string> build_environment(const AgentSpec& spec) {
  std::map<std::string, std::string> vars;
  if (spec.clean_environment) {
    const char* path = ::getenv("PATH");
    const char* home = ::getenv("HOME");
    const char* tmpdir = ::getenv("TMPDIR");
    vars["PATH"] = path ? path : "/usr/local/bin:/usr/bin:/bin";
    if (home) vars["HOME"] = home;
    if (tmpdir) vars["TMPDIR"] = tmpdir;
    vars["LANG"] = "C.UTF-8";
  } else {
    for (char** entry = environ; entry && *entry; ++entry) {
      std::string_view text(*entry);
      auto eq = text.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  for (const auto& [key, value] : spec.env) vars[key] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [key, value] : vars) out.push_back(key + "=" + value);
  return out;
}

// Whether a file's mode grants `bit` (1 = execute/search) to uid/gid.
bool mode_grants(const struct stat& info, uid_t uid, gid_t gid, unsigned bit) {
  if (info.st_uid == uid) return (info.st_mode >> 6) & bit;
  if (info.st_gid == gid) return (info.st_mode >> 3) & bit;
  return info.st_mode & bit;
}

// Whether `uid`/`gid` (without supplementary groups, as the agent runs) can execute `file`:
// search permission on every directory of its real path and execute permission on the file.
bool executable_by(const std::filesystem::path& file, uid_t uid, gid_t gid) {
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(file, ec);
  if (ec) return false;
  std::filesystem::path walked = "/";
  for (const auto& part : real.relative_path()) {
    struct stat directory {};
    if (::stat(walked.c_str(), &directory) < 0 || !mode_grants(directory, uid, gid, 1)) {
      return false;
    }
    walked /= part;
  }
  struct stat info {};
  return ::stat(real.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         mode_grants(info, uid, gid, 1);
}

// The program to run, found on PATH as execvp(3) in the agent's own identity would: an agent
// that runs as another uid skips PATH entries that uid cannot use (a version manager's shims
// under root's 0700 home) instead of failing on the first match.
std::filesystem::path find_program(const std::string& name,
                                   std::optional<std::pair<uid_t, gid_t>> identity) {
  if (name.find('/') != std::string::npos) return name;
  if (!identity) return bp::environment::find_executable(name);
  const char* path = std::getenv("PATH");
  std::string_view directories = path ? path : "/usr/bin:/bin";
  while (!directories.empty()) {
    const std::size_t colon = std::min(directories.find(':'), directories.size());
    const std::filesystem::path candidate =
        std::filesystem::path(directories.substr(0, colon)) / name;
    if (executable_by(candidate, identity->first, identity->second)) return candidate;
    directories.remove_prefix(std::min(colon + 1, directories.size()));
  }
  return {};
}

// Launcher hooks. on_setup runs in the parent (the environment: Boost 1.81 defines
// process_environment::on_setup only in its compiled library); on_exec_setup runs in the child
// between fork and exec, so it makes only async-signal-safe calls.
struct ChildSetup {
  const char* const* environment = nullptr;
  bool new_session = false;
  bool change_user = false;
  uid_t uid = 0;
  gid_t gid = 0;

  bp::error_code on_setup(bp::posix::default_launcher& launcher, const std::filesystem::path&,
                          const char* const*&) const {
    launcher.env = environment;
    return {};
  }

  bp::error_code on_exec_setup(bp::posix::default_launcher&, const std::filesystem::path&,
                               const char* const*&) const {
    // Undo the harness's signal state: the agent gets default SIGPIPE and an empty mask.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (new_session && ::setsid() < 0) return {errno, bp::system_category()};
    if (change_user) {
      if (::setgroups(0, nullptr) < 0 || ::setgid(gid) < 0 || ::setuid(uid) < 0) {
        return {errno, bp::system_category()};
      }
    }
    return {};
  }
};

class PosixProcess final : public Agent::Process {
 public:
  PosixProcess(const AgentSpec& spec) : name_(spec.name), log_path_(spec.log_path) {
    ignore_sigpipe_once();
    if (spec.command.empty()) spawn_failed(spec, "the command is empty");

    if (log_path_.empty()) {
      std::string pattern = "/tmp/pc-agent-log-XXXXXX";
      UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC | O_APPEND));
      if (fd.get() < 0) spawn_failed(spec, "cannot create a stderr log: " + errno_text(errno));
      ::unlink(pattern.c_str());
      log_fd_ = std::move(fd);
    } else {
      log_fd_ = UniqueFd(
          ::open(log_path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (log_fd_.get() < 0) {
        spawn_failed(spec,
                     "cannot open the stderr log " + log_path_.string() + ": " + errno_text(errno));
      }
    }

    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) < 0) spawn_failed(spec, "pipe: " + errno_text(errno));
    UniqueFd child_stdin(in_pipe[0]);
    stdin_ = UniqueFd(in_pipe[1]);
    if (::pipe2(out_pipe, O_CLOEXEC) < 0) spawn_failed(spec, "pipe: " + errno_text(errno));
    stdout_ = UniqueFd(out_pipe[0]);
    UniqueFd child_stdout(out_pipe[1]);
    ::fcntl(stdin_.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(stdout_.get(), F_SETFL, O_NONBLOCK);

    std::vector<std::string> environment = build_environment(spec);
    std::vector<const char*> envp;
    for (const auto& entry : environment) envp.push_back(entry.c_str());
    envp.push_back(nullptr);
    ChildSetup setup;
    setup.environment = envp.data();
    setup.new_session = spec.new_session;
    if (spec.run_as_uid) {
      if (::geteuid() != 0) spawn_failed(spec, "run_as_uid needs root");
      setup.change_user = true;
      setup.uid = static_cast<uid_t>(*spec.run_as_uid);
      if (spec.run_as_gid) {
        setup.gid = static_cast<gid_t>(*spec.run_as_gid);
      } else {
        struct passwd entry {};
        struct passwd* found = nullptr;
        std::array<char, 4096> buffer{};
        ::getpwuid_r(setup.uid, &entry, buffer.data(), buffer.size(), &found);
        setup.gid = found ? found->pw_gid : static_cast<gid_t>(setup.uid);
      }
    }

    std::optional<std::pair<uid_t, gid_t>> identity;
    if (setup.change_user) identity.emplace(setup.uid, setup.gid);
    std::filesystem::path program = find_program(spec.command[0], identity);
    if (program.empty()) {
      spawn_failed(spec, "`" + spec.command[0] + "` is not on PATH" +
                             (identity ? " (as uid " + std::to_string(setup.uid) +
                                             ": no PATH entry it can execute)"
                                       : std::string()));
    }
    std::vector<std::string> args(spec.command.begin() + 1, spec.command.end());
    std::filesystem::path start_dir =
        spec.working_dir.empty() ? std::filesystem::current_path() : spec.working_dir;

    bp::error_code ec;
    {
      // Boost 1.81's launcher makes its exec-error pipe with pipe() and sets FD_CLOEXEC only
      // afterwards: a child forked by a concurrent launch in between inherits the write end, and
      // this launch then blocks reading that pipe until the other agent exits. One launch at a
      // time closes the window; the hello exchanges still run concurrently.
      static std::mutex launch_mutex;
      std::lock_guard lock(launch_mutex);
      process_.emplace(bp::posix::default_launcher()(
          io_.get_executor(), ec, program, args,
          bp::process_stdio{child_stdin.get(), child_stdout.get(), log_fd_.get()},
          bp::process_start_dir{start_dir}, setup));
    }
    if (ec) {
      process_.reset();
      spawn_failed(spec, ec.message());
    }
    pid_ = process_->id();
    pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  }

  ~PosixProcess() override { kill_and_reap(); }

  std::int64_t pid() const override { return pid_; }
  const std::filesystem::path& log_path() const override { return log_path_; }

  std::string stderr_tail() const override {
    struct stat info {};
    if (::fstat(log_fd_.get(), &info) < 0) return {};
    off_t start = info.st_size > static_cast<off_t>(kStderrTailBytes)
                      ? info.st_size - static_cast<off_t>(kStderrTailBytes)
                      : 0;
    std::string tail(static_cast<std::size_t>(info.st_size - start), '\0');
    ssize_t got = ::pread(log_fd_.get(), tail.data(), tail.size(), start);
    tail.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return tail;
  }

  WriteResult write_line(std::string_view line, Clock::time_point deadline) override {
    std::string data(line);
    data += '\n';
    std::size_t written = 0;
    while (written < data.size()) {
      if (stdin_.get() < 0) return WriteResult::closed;
      ssize_t n = ::write(stdin_.get(), data.data() + written, data.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EPIPE) return WriteResult::closed;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return WriteResult::closed;
      if (std::chrono::steady_clock::now() >= deadline) return WriteResult::timeout;
      pollfd target{stdin_.get(), POLLOUT, 0};
      ::poll(&target, 1, milliseconds_until(deadline));
    }
    return WriteResult::written;
  }

  LineEvent read_line(Clock::time_point deadline) override {
    while (true) {
      if (auto end = buffer_.find('\n', scanned_); end != std::string::npos) {
        LineEvent event{LineEvent::Kind::line, buffer_.substr(0, end)};
        buffer_.erase(0, end + 1);
        scanned_ = 0;
        return event;
      }
      scanned_ = buffer_.size();
      if (buffer_.size() > kMaxLineBytes) {
        return {LineEvent::Kind::too_long, buffer_.substr(0, 512)};
      }
      if (stdout_eof_) return {LineEvent::Kind::eof, std::exchange(buffer_, {})};
      if (std::chrono::steady_clock::now() >= deadline) return {LineEvent::Kind::timeout, {}};

      pollfd source{stdout_.get(), POLLIN, 0};
      int ready = ::poll(&source, 1, milliseconds_until(deadline));
      if (ready <= 0) continue;  // timeout or EINTR: the deadline check above decides
      std::array<char, 65536> chunk;
      ssize_t n = ::read(stdout_.get(), chunk.data(), chunk.size());
      if (n == 0) {
        stdout_eof_ = true;
      } else if (n > 0) {
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
      } else if (errno != EAGAIN && errno != EINTR) {
        stdout_eof_ = true;
      }
    }
  }

  void close_stdin() override { stdin_.reset(); }

  bool running() override {
    if (status_) return false;
    if (!process_) return false;
    int raw = 0;
    pid_t got = ::waitpid(static_cast<pid_t>(pid_), &raw, WNOHANG);
    if (got == 0) return true;
    if (got == static_cast<pid_t>(pid_)) {
      status_ = decode(raw);
    } else {
      status_ = ExitStatus{};  // already reaped elsewhere: nothing more to learn
    }
    return false;
  }

  std::optional<ExitStatus> wait_exit(Clock::time_point deadline) override {
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      if (pidfd_.get() >= 0) {
        pollfd exited{pidfd_.get(), POLLIN, 0};
        ::poll(&exited, 1, milliseconds_until(deadline));
      } else {
        // No pidfd (old kernel): check again in a few milliseconds, still bounded by deadline.
        ::poll(nullptr, 0, std::min(5, milliseconds_until(deadline)));
      }
    }
    return status_;
  }

  ExitStatus kill_and_reap() override {
    if (running()) {
      ::kill(static_cast<pid_t>(pid_), SIGKILL);
      if (!wait_exit(std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
        // Unkillable for now (uninterruptible sleep): block until the kernel lets it go.
        int raw = 0;
        if (::waitpid(static_cast<pid_t>(pid_), &raw, 0) == static_cast<pid_t>(pid_)) {
          status_ = decode(raw);
        }
      }
    }
    if (process_) {
      process_->detach();  // reaped above; keep Boost from signalling a recycled PID
      process_.reset();
    }
    stdin_.reset();
    return status_.value_or(ExitStatus{});
  }

 private:
  static ExitStatus decode(int raw) {
    ExitStatus status;
    if (WIFEXITED(raw)) status.exit_code = WEXITSTATUS(raw);
    if (WIFSIGNALED(raw)) status.signal = WTERMSIG(raw);
    return status;
  }

  std::string name_;
  std::filesystem::path log_path_;
  boost::asio::io_context io_;
  std::optional<bp::process> process_;
  std::int64_t pid_ = -1;
  UniqueFd pidfd_, stdin_, stdout_, log_fd_;
  std::string buffer_;
  std::size_t scanned_ = 0;
  bool stdout_eof_ = false;
  std::optional<ExitStatus> status_;
};

}  // namespace

std::unique_ptr<Agent::Process> Agent::Process::spawn(const AgentSpec& spec) {
  return std::make_unique<PosixProcess>(spec);
}

}  // namespace pipecheck::harness

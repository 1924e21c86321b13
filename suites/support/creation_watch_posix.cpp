// Linux part of creation_watch.hpp: inotify IN_CREATE on the directory, lstat() of each new entry
// on a watcher thread while `during` runs.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/creation_watch.hpp"

namespace pipecheck::suites {

std::vector<std::uint32_t> modes_of_new_entries(const std::filesystem::path& dir,
                                                const std::function<void()>& during) {
  const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (watch < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
  if (::inotify_add_watch(watch, dir.c_str(), IN_CREATE) < 0) {
    const std::string why = std::strerror(errno);
    ::close(watch);
    throw std::runtime_error("inotify_add_watch(" + dir.string() + "): " + why);
  }
  std::atomic<bool> stop{false};
  std::vector<std::uint32_t> seen;
  std::thread watcher([&] {
    alignas(inotify_event) char buffer[4096];
    while (!stop) {
      pollfd ready{watch, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      const ssize_t n = ::read(watch, buffer, sizeof(buffer));
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        if (event->len > 0) {
          struct stat info {};
          if (::lstat((dir / event->name).c_str(), &info) == 0) {
            seen.push_back(info.st_mode & 07777);
          }
        }
        at += ssize_t(sizeof(inotify_event) + event->len);
      }
    }
  });
  try {
    during();
  } catch (...) {
    stop = true;
    watcher.join();
    ::close(watch);
    throw;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last events
  stop = true;
  watcher.join();
  ::close(watch);
  return seen;
}

}  // namespace pipecheck::suites

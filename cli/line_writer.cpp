#include "line_writer.hpp"

#include <cerrno>
#include <csignal>
#include <thread>

#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

namespace pipecheck::cli {

namespace {

// Straight to the descriptor, not through the FILE: a write stuck on a full pipe must not hold
// the stream's lock, which exit() takes to flush it.
bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
#if defined(_WIN32)
    const int n = ::_write(fd, bytes.data() + done, static_cast<unsigned>(bytes.size() - done));
#else
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
#endif
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void ignore_broken_pipe() {
#if defined(SIGPIPE)
  std::signal(SIGPIPE, SIG_IGN);
#endif
}

std::shared_ptr<LineWriter> LineWriter::start(std::FILE* stream, std::size_t max_queued_bytes) {
  auto writer = std::make_shared<LineWriter>(stream, max_queued_bytes);
  std::thread([writer] { writer->run(); }).detach();
  return writer;
}

LineWriter::LineWriter(std::FILE* stream, std::size_t max_queued_bytes)
    : fd_(fileno(stream)), max_queued_bytes_(max_queued_bytes) {}

void LineWriter::write_line(std::string line) {
  line += '\n';
  {
    const std::lock_guard lock(mutex_);
    if (reader_gone_) return;
    if (queued_bytes_ + line.size() > max_queued_bytes_) {
      ++dropped_;
      return;
    }
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
  }
  changed_.notify_all();
}

void LineWriter::run() {
  while (true) {
    std::string line;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty(); });
      line = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= line.size();
      writing_ = true;
    }
    const bool written = write_all(fd_, line);
    {
      const std::lock_guard lock(mutex_);
      writing_ = false;
      if (!written) {
        reader_gone_ = true;
        queue_.clear();
        queued_bytes_ = 0;
      }
    }
    changed_.notify_all();
    if (!written) return;
  }
}

bool LineWriter::flush_for(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, bound,
                           [this] { return reader_gone_ || (queue_.empty() && !writing_); });
}

long long LineWriter::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

bool LineWriter::reader_gone() const {
  const std::lock_guard lock(mutex_);
  return reader_gone_;
}

}  // namespace pipecheck::cli

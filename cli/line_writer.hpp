// line_writer.hpp — stdout for a server: printing never blocks serving.
//
// Lines are queued in memory and a writer thread prints them. When nobody reads stdout the queue
// fills up to a bound and further lines are dropped (and counted), so the threads that print
// never wait; when the reader has gone (EPIPE; SIGPIPE is ignored, see ignore_broken_pipe())
// printing stops for good and serving goes on. flush_for() gives the last lines a bounded chance.
//
//   pipecheck::cli::ignore_broken_pipe();
//   auto out = pipecheck::cli::LineWriter::start(stdout);
//   out->write_line(R"({"event":"listening"})");
//   out->flush_for(std::chrono::seconds(1));
//   if (out->dropped() > 0) ...
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace pipecheck::cli {

// A write to a pipe whose reader has gone fails with EPIPE instead of killing the process.
void ignore_broken_pipe();

class LineWriter {
 public:
  // The writer thread is detached: a process may end while it is stuck in a write nobody reads.
  // Everything printed before must be flushed: the writer writes to the descriptor directly.
  static std::shared_ptr<LineWriter> start(std::FILE* stream,
                                           std::size_t max_queued_bytes = 256 * 1024);

  void write_line(std::string line);  // never blocks on the stream
  // Waits until every queued line is written or printing has stopped, at most `bound`.
  bool flush_for(std::chrono::milliseconds bound);
  long long dropped() const;
  bool reader_gone() const;

  explicit LineWriter(std::FILE* stream, std::size_t max_queued_bytes);

 private:
  void run();

  int fd_;
  const std::size_t max_queued_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;  // a line taken off the queue is being written
  bool reader_gone_ = false;
  long long dropped_ = 0;
};

}  // namespace pipecheck::cli

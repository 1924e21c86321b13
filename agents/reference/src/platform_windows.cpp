#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <cstdio>

#include "platform.hpp"

namespace pipecheck::agent {

void prepare_stdio() {
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
}

std::optional<std::int64_t> open_descriptor_count() {
  DWORD handles = 0;
  // A live process always holds handles (its stdio at least): 0 is Wine's stub, not a count.
  if (!GetProcessHandleCount(GetCurrentProcess(), &handles) || handles == 0) return std::nullopt;
  return static_cast<std::int64_t>(handles);
}

bool endpoint_exists(const std::string& path) {
  // Fails with ERROR_FILE_NOT_FOUND only when no instance of the pipe exists; a busy pipe times
  // out (ERROR_SEM_TIMEOUT) and still exists. Does not connect.
  if (WaitNamedPipeA(path.c_str(), 1)) return true;
  return GetLastError() != ERROR_FILE_NOT_FOUND;
}

std::string native_root(const std::string& root) {
  if (!root.starts_with('/')) return root;
  std::string mapped = "Z:" + root;
  for (char& c : mapped)
    if (c == '/') c = '\\';
  return mapped;
}

}  // namespace pipecheck::agent

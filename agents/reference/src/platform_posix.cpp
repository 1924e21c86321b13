#include <dirent.h>
#include <sys/stat.h>

#include <csignal>
#include <cstring>

#include "platform.hpp"

namespace pipecheck::agent {

void prepare_stdio() {
  std::signal(SIGPIPE, SIG_IGN);
}

std::optional<std::int64_t> open_descriptor_count() {
  for (const char* directory : {"/proc/self/fd", "/dev/fd"}) {
    DIR* listing = ::opendir(directory);
    if (listing == nullptr) continue;
    std::int64_t count = 0;
    while (const dirent* entry = ::readdir(listing)) {
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) ++count;
    }
    ::closedir(listing);
    return count - 1;  // the listing's own descriptor
  }
  return std::nullopt;
}

bool endpoint_exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

std::string native_root(const std::string& root) {
  return root;
}

}  // namespace pipecheck::agent

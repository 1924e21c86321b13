// Windows part of creation_watch.hpp: SEC-3's check watches unix socket files on Linux agents
// and skips every other platform first, so reaching this is a defect in a check, said as such.
#include <stdexcept>

#include "support/creation_watch.hpp"

namespace pipecheck::suites {

std::vector<std::uint32_t> modes_of_new_entries(const std::filesystem::path& dir,
                                                const std::function<void()>&) {
  throw std::logic_error("modes_of_new_entries(" + dir.string() +
                         "): file modes are a POSIX notion; a check asked for them on a Windows "
                         "host without skipping first");
}

}  // namespace pipecheck::suites

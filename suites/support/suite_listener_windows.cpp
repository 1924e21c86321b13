// Windows part of suite_listener.hpp: the suite's own listeners are AF_UNIX sockets with a kernel
// backlog, which the dial checks use only against unix agents (they skip Windows agents first),
// so reaching this on a Windows host is a defect in a check, said as such.
#include <stdexcept>

#include "support/suite_listener.hpp"

namespace pipecheck::suites {

SuiteListener::SuiteListener(std::filesystem::path path, int) : path_(std::move(path)) {
  throw std::logic_error("SuiteListener(" + path_.string() +
                         "): the suite's own listeners are AF_UNIX sockets; a check asked for "
                         "one on a Windows host without skipping first");
}

SuiteListener::~SuiteListener() = default;

int SuiteListener::fill() {
  throw std::logic_error("SuiteListener::fill on a Windows host");
}

}  // namespace pipecheck::suites

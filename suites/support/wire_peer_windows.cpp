// Windows part of wire_peer.hpp: the wire checks play their peer over AF_UNIX and skip Windows
// agents before they get here, so reaching this is a defect in a check, said as such.
#include <stdexcept>

#include "support/wire_peer.hpp"

namespace pipecheck::suites {
namespace {

[[noreturn]] void unix_only() {
  throw std::logic_error(
      "the suite's wire peer is an AF_UNIX socket: a check used it on a Windows host without "
      "skipping first");
}

}  // namespace

Stream::~Stream() = default;
Stream Stream::connect_to(const std::filesystem::path&) {
  unix_only();
}
void Stream::write(const std::string&) {
  unix_only();
}
std::optional<std::string> Stream::read_line(std::chrono::steady_clock::duration, bool*) {
  unix_only();
}
bool Stream::closed_within(std::chrono::steady_clock::duration) {
  unix_only();
}
SuiteServer::~SuiteServer() = default;
std::unique_ptr<SuiteServer> suite_server(const std::filesystem::path&) {
  unix_only();
}
std::optional<Stream> accept_within(SuiteServer&, std::chrono::steady_clock::duration) {
  unix_only();
}

}  // namespace pipecheck::suites

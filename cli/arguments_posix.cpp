#include "arguments.hpp"

namespace pipecheck::cli {

std::vector<std::string> arguments(int argc, char** argv) {
  return std::vector<std::string>(argv + 1, argv + argc);
}

}  // namespace pipecheck::cli

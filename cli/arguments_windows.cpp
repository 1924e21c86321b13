// Windows: the UTF-16 command line (GetCommandLineW), split by CommandLineToArgvW, each argument
// converted to UTF-8.
#include <windows.h>
//
#include <shellapi.h>

#include <memory>
#include <string_view>

#include "arguments.hpp"
#include "options.hpp"

namespace pipecheck::cli {

namespace {

struct LocalFreer {
  void operator()(wchar_t** memory) const { ::LocalFree(memory); }
};

std::string to_utf8(std::wstring_view wide, int position) {
  if (wide.empty()) return {};
  const int size = static_cast<int>(wide.size());
  const int length = ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide.data(), size,
                                           nullptr, 0, nullptr, nullptr);
  if (length <= 0) {
    throw UsageError("argument " + std::to_string(position) +
                     " is not valid UTF-16 (a lone surrogate): it has no UTF-8 form");
  }
  std::string utf8(static_cast<std::size_t>(length), '\0');
  ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide.data(), size, utf8.data(), length,
                        nullptr, nullptr);
  return utf8;
}

}  // namespace

std::vector<std::string> arguments(int, char**) {
  int count = 0;
  std::unique_ptr<wchar_t*, LocalFreer> wide(::CommandLineToArgvW(::GetCommandLineW(), &count));
  if (!wide) throw std::runtime_error("CommandLineToArgvW failed");
  std::vector<std::string> args;
  for (int i = 1; i < count; ++i) args.push_back(to_utf8(wide.get()[i], i));
  return args;
}

}  // namespace pipecheck::cli

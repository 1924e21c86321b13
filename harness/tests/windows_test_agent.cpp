// A Windows agent for the Win32 process backend's tests only (agent_process_windows_test.cpp):
// answers hello and exit like a real agent, and misbehaves on `listen` as its mode says.
//   harness_test_agent.exe good        listen answers; stderr says "good: started"
//   harness_test_agent.exe exit3       listen: "exit3: got listen" on stderr, exit code 3
//   harness_test_agent.exe segv        listen: an access violation (0xC0000005)
//   harness_test_agent.exe hang        listen: never answers
//   harness_test_agent.exe grandchild  listen: starts `sleep` (itself), says "grandchild <pid>"
//                                      on stderr, never answers
//   harness_test_agent.exe sleep       sleeps (the grandchild)
//   harness_test_agent.exe args A B    hello's implementation is "A|B" (argument quoting)
#include <windows.h>
//
#include <shellapi.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

void reply(const nlohmann::json& id, const nlohmann::json& result) {
  std::cout << nlohmann::json{{"id", id}, {"ok", true}, {"result", result}}.dump() << "\n"
            << std::flush;
}

// The arguments in UTF-8, as a Windows program that takes any text reads them (UTF-16).
std::vector<std::string> utf8_arguments() {
  int count = 0;
  wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const int size = ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, nullptr, 0, nullptr, nullptr);
    std::string text(static_cast<std::size_t>(size > 0 ? size - 1 : 0), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, text.data(), size, nullptr, nullptr);
    out.push_back(std::move(text));
  }
  ::LocalFree(wide);
  return out;
}

void start_grandchild() {
  wchar_t self[MAX_PATH] = {};
  ::GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring line = L"\"" + std::wstring(self) + L"\" sleep";
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION info{};
  if (!::CreateProcessW(self, line.data(), nullptr, nullptr, FALSE, CREATE_NO_WINDOW, nullptr,
                        nullptr, &startup, &info)) {
    std::fprintf(stderr, "grandchild: CreateProcessW failed %lu\n", ::GetLastError());
    return;
  }
  std::fprintf(stderr, "grandchild %lu\n", info.dwProcessId);
  std::fflush(stderr);
  ::CloseHandle(info.hThread);
  ::CloseHandle(info.hProcess);
}

}  // namespace

int main() {
  const std::vector<std::string> argv = utf8_arguments();
  const std::size_t argc = argv.size();
  const std::string mode = argc > 1 ? argv[1] : "good";
  if (mode == "sleep") {
    ::Sleep(INFINITE);
    return 0;
  }
  std::string implementation = "windows-test-agent";
  if (mode == "args") {
    implementation.clear();
    for (std::size_t i = 2; i < argc; ++i) implementation += (i > 2 ? "|" : "") + argv[i];
  }
  std::fprintf(stderr, "%s: started\n", mode.c_str());
  std::fflush(stderr);
  std::string line;
  while (std::getline(std::cin, line)) {
    const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded()) return 2;
    const std::string op = request.value("op", "");
    const nlohmann::json id = request.value("id", nlohmann::json());
    if (op == "hello") {
      reply(id, {{"protocol", 1},
                 {"implementation", implementation},
                 {"version", "0.0.1"},
                 {"platform", "windows"},
                 {"arch", "x64"},
                 {"pid", ::GetCurrentProcessId()},
                 {"capabilities", nlohmann::json::array({"listen"})}});
    } else if (op == "listen") {
      std::fprintf(stderr, "%s: got listen\n", mode.c_str());
      std::fflush(stderr);
      if (mode == "exit3") return 3;
      if (mode == "segv") {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      }
      if (mode == "grandchild") start_grandchild();
      if (mode != "good") ::Sleep(INFINITE);
      const std::string name = "pipecheck-" + std::string(32, 'a') + "-1";
      reply(id, {{"listener", "L1"}, {"name", name}, {"path", "\\\\.\\pipe\\" + name}});
    } else if (op == "exit") {
      reply(id, nlohmann::json::object());
      return 0;
    }
  }
  return 0;
}

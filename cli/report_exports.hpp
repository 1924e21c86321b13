// report_exports.hpp — the `pipecheck report` actions that export for CI: html (the dashboard),
// junit, and summary --markdown. Called from cmd_report.cpp.
//
//   pipecheck report html build/dashboard/index.html linux.json windows.json --baseline last.json
#pragma once

#include <string>
#include <vector>

namespace pipecheck::cli {

// Writes `text` to the file `out` (atomically), or to stdout when `out` is "-".
void write_output(const std::string& out, const std::string& text);

// Each takes the arguments after its action name and returns the exit code.
int report_html(const std::vector<std::string>& args);
int report_junit(const std::vector<std::string>& args);
int report_summary_markdown(const std::vector<std::string>& args);
// summary FILE --expect EXPECTED: the table, then the comparison with the known findings; exit 0
// only when every failure is listed with its status (as `pipecheck run --expect`).
int report_summary_expect(const std::string& file, const std::string& expect);

}  // namespace pipecheck::cli

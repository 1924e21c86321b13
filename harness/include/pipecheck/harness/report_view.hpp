// pipecheck/harness/report_view.hpp — what the exports (HTML dashboard, JUnit, Markdown) derive
// from a report: the implementations and platform leg of each check, the worst of statuses, and
// text made safe to show (valid UTF-8, bounded).
//
// A check's implementations are the names in its roles (agent, server, client), each once; its
// platform *leg* is where its first implementation (agent, else server, else client) ran: the
// platform and arch that implementation's agent reported in `hello`, with the host OS added when
// it differs ("windows-x64 on linux" for an agent under Wine), else the run's own os-arch.
//
//   for (const auto& check : report.checks)
//     std::cout << check_leg(report, check) << " " << to_string(check.status) << "\n";
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// Implementation names of a check in role order (agent, server, client, then other roles), once
// each; empty when the check names none.
std::vector<std::string> check_implementations(const Check& check);

// The platform leg of `implementation` in run `run_id` of `report` (see the file comment).
std::string platform_leg(const Report& report, std::string_view run_id,
                         std::string_view implementation);
std::string check_leg(const Report& report, const Check& check);

// `text` with invalid UTF-8 and control characters (except \n and \t) replaced by U+FFFD; CRLF
// becomes LF.
std::string printable_utf8(std::string_view text);
// At most `limit` bytes of valid UTF-8, cut on a character boundary, with "[... N more bytes]"
// appended when cut.
std::string bounded_text(std::string_view text, std::size_t limit);

}  // namespace pipecheck::harness

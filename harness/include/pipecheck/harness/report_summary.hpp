// pipecheck/harness/report_summary.hpp — the plain-text summary of a report (`pipecheck report
// summary`, the end of `pipecheck run`). Approved output: reports/expected/*.summary.txt.
//
//   std::cout << pipecheck::harness::summary_table(pipecheck::harness::read_report(file));
#pragma once

#include <cstddef>
#include <string>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// A plain-text table: checks per suite (the id before the first '.') and status, then who
// provides each declared capability, then every failed or errored check with its requirement ids,
// its whole message (bounded by kSummaryMessageBytes) and the stderr tails of its agents, then
// conflicts, then the interop matrix (client rows, server columns) when there is one. Ends with a
// newline.
inline constexpr std::size_t kSummaryMessageBytes = 64 * 1024;
std::string summary_table(const Report& report);

}  // namespace pipecheck::harness

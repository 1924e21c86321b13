// pipecheck/harness/report_merge.hpp — combining reports of several runs, machines or
// implementations (`pipecheck report merge`, the parts of one `pipecheck run`).
//
//   pipecheck::harness::Report all = pipecheck::harness::merge({linux, windows});
//   for (const auto& conflict : all.conflicts) std::cerr << conflict.id << "\n";
#pragma once

#include <vector>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// Runs with the same run_id are joined; a check seen twice with the same id, implementations and
// platform but a different status or message becomes a Conflict (both entries are kept).
Report merge(const std::vector<Report>& reports);

}  // namespace pipecheck::harness

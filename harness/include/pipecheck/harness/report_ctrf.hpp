// pipecheck/harness/report_ctrf.hpp — CTRF (https://ctrf.io) export of a report
// (`pipecheck report ctrf`). Approved output: reports/expected/synthetic.ctrf.json.
//
//   std::cout << pipecheck::harness::to_ctrf(report).dump(2);
#pragma once

#include <nlohmann/json.hpp>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

// pass→passed, fail→failed, skip→skipped; unsupported and error → `other`, with the pipecheck
// status in rawStatus and extra.pipecheck_status.
nlohmann::json to_ctrf(const Report& report);

}  // namespace pipecheck::harness

// pipecheck/harness/report_interop.hpp — the interop matrix of a report: servers of one
// implementation with clients of another.
//
// Derived from the checks of the interop suite (ids starting with kInteropCheckPrefix, roles
// "server" and "client"), so merged reports get it for free; the report's JSON form carries it as
// `interop` when there is at least one cell, the summary table prints it.
//
//   pipecheck::harness::InteropMatrix matrix = pipecheck::harness::interop_matrix(report);
//   if (const auto* cell = matrix.find("reference", "node")) std::cout << to_string(cell->outcome);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

inline constexpr std::string_view kInteropCheckPrefix = "Interop/";

struct InteropCell {
  std::string server;
  std::string client;
  // The worst status of its checks: error > fail > unsupported > skip > pass.
  Status outcome = Status::pass;
  std::map<std::string, Status> checks;  // test name ("RoundTrip") -> status
};

struct InteropMatrix {
  std::vector<std::string> servers;  // in order of first appearance
  std::vector<std::string> clients;
  std::vector<InteropCell> cells;  // one per (server, client) pair that ran
  const InteropCell* find(std::string_view server, std::string_view client) const;
};

InteropMatrix interop_matrix(const Report& report);

}  // namespace pipecheck::harness

// The plain-text summary table of a report.
#include "pipecheck/harness/report_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "pipecheck/harness/report_interop.hpp"

namespace pipecheck::harness {
namespace {

// At most `limit` bytes of `text`, cut at a line end where possible, saying what was left out.
std::string bounded(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = text.rfind('\n', limit);
  if (cut == std::string::npos || cut < limit / 2) cut = limit;
  return text.substr(0, cut) + "\n[... " + std::to_string(text.size() - cut) + " more bytes]";
}

// Every line of `text` with `prefix` in front; ends with a newline (nothing for empty text).
std::string indented(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string interop_table(const InteropMatrix& matrix) {
  const std::string corner = "client \\ server";
  std::size_t width = corner.size();
  for (const auto& name : matrix.clients) width = std::max(width, name.size());
  for (const auto& name : matrix.servers) width = std::max(width, name.size());
  width = std::max<std::size_t>(width, 11) + 2;  // "unsupported"
  auto pad = [&](const std::string& text) { return text + std::string(width - text.size(), ' '); };
  std::string text = "\ninterop (rows: client implementation, columns: server implementation):\n";
  std::string header = pad(corner);
  for (const auto& server : matrix.servers) header += pad(server);
  text += header.substr(0, header.find_last_not_of(' ') + 1) + "\n";
  for (const auto& client : matrix.clients) {
    std::string row = pad(client);
    for (const auto& server : matrix.servers) {
      const InteropCell* cell = matrix.find(server, client);
      row += pad(cell ? std::string(to_string(cell->outcome)) : "-");
    }
    text += row.substr(0, row.find_last_not_of(' ') + 1) + "\n";
  }
  return text;
}

// Who provides each declared capability, per implementation: the library under test, or the
// agent's own code around it (hello `provided_by`); "undeclared" when the agent did not say.
std::string provenance_table(const Report& report) {
  std::vector<const ImplementationInfo*> seen;
  for (const auto& run : report.runs)
    for (const auto& i : run.implementations)
      if (!i.capabilities.empty() &&
          std::none_of(seen.begin(), seen.end(),
                       [&](const ImplementationInfo* s) { return *s == i; }))
        seen.push_back(&i);
  if (seen.empty()) return "";
  std::string text =
      "\ncapabilities by provider (library: the library under test does it; agent: the agent's own "
      "code does it):\n";
  for (const ImplementationInfo* i : seen) {
    std::map<std::string, std::vector<std::string>> by_provider;
    for (const auto& capability : i->capabilities) {
      const auto found = i->provided_by.find(capability);
      by_provider[found == i->provided_by.end() ? "undeclared" : found->second].push_back(
          capability);
    }
    text += "  " + i->name + " " + i->version + " (" + i->platform + " " + i->arch + ")\n";
    for (const char* provider : {"library", "agent", "undeclared"}) {
      const auto found = by_provider.find(provider);
      if (found == by_provider.end()) continue;
      std::string names;
      for (const auto& capability : found->second)
        names += (names.empty() ? "" : ", ") + capability;
      text += "    " + std::string(provider) + ": " + names + "\n";
    }
  }
  return text;
}

}  // namespace

std::string summary_table(const Report& report) {
  struct Row {
    std::map<Status, int> counts;
    int total = 0;
  };
  std::map<std::string, Row> rows;
  Row total;
  for (const auto& c : report.checks) {
    Row& row = rows[c.id.substr(0, c.id.find('.'))];
    ++row.counts[c.status];
    ++row.total;
    ++total.counts[c.status];
    ++total.total;
  }
  std::size_t width = 5;
  for (const auto& [suite, row] : rows) width = std::max(width, suite.size());
  auto line = [&](const std::string& name, const Row& row) {
    char cells[96];
    std::snprintf(cells, sizeof cells, " %7d %6d %6d %6d %12d %6d\n", row.total,
                  row.counts.contains(Status::pass) ? row.counts.at(Status::pass) : 0,
                  row.counts.contains(Status::fail) ? row.counts.at(Status::fail) : 0,
                  row.counts.contains(Status::skip) ? row.counts.at(Status::skip) : 0,
                  row.counts.contains(Status::unsupported) ? row.counts.at(Status::unsupported) : 0,
                  row.counts.contains(Status::error) ? row.counts.at(Status::error) : 0);
    return name + std::string(width - name.size(), ' ') + cells;
  };
  std::string text =
      "suite" + std::string(width - 5, ' ') + "  checks   pass   fail   skip  unsupported  error\n";
  for (const auto& [suite, row] : rows) text += line(suite, row);
  text += line("total", total);
  text += provenance_table(report);

  std::string problems;
  for (const auto& c : report.checks) {
    if (c.status != Status::fail && c.status != Status::error) continue;
    std::string requirements;
    for (const auto& r : c.requirements) requirements += (requirements.empty() ? "" : ",") + r;
    std::string implementations;
    for (const auto& [role, name] : c.implementations)
      implementations += (implementations.empty() ? "" : " ") + role + "=" + name;
    problems += "  " + std::string(to_string(c.status)) + "  " + c.id + "  [" +
                (requirements.empty() ? "no requirement" : requirements) + "]";
    if (!implementations.empty()) problems += "  (" + implementations + ")";
    problems += "\n";
    problems += indented(bounded(c.message, kSummaryMessageBytes), "      ");
    for (const auto& [agent, tail] : c.agent_stderr)
      problems += "      stderr of " + agent + " (last lines):\n" +
                  indented(bounded(tail, kSummaryMessageBytes), "        | ");
  }
  if (!problems.empty()) text += "\nfailed and errored checks:\n" + problems;
  if (!report.conflicts.empty()) {
    text += "\nconflicts (the same check, implementations and platform disagree):\n";
    for (const auto& c : report.conflicts) {
      text += "  " + c.id + " on " + c.platform + ":";
      for (const auto& e : c.entries)
        text += " " + std::string(to_string(e.status)) + "@" + e.run_id;
      text += "\n";
    }
  }
  if (const InteropMatrix matrix = interop_matrix(report); !matrix.cells.empty())
    text += interop_table(matrix);
  return text;
}

}  // namespace pipecheck::harness

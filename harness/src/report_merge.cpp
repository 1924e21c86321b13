// Merging reports: runs joined by run id, duplicates dropped, disagreements kept as conflicts.
#include "pipecheck/harness/report_merge.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace pipecheck::harness {

Report merge(const std::vector<Report>& reports) {
  Report merged;
  std::map<std::string, std::size_t> run_index;
  for (const auto& report : reports) {
    for (const auto& run : report.runs) {
      auto [it, inserted] = run_index.emplace(run.run_id, merged.runs.size());
      if (inserted) {
        merged.runs.push_back(run);
        continue;
      }
      // Parts of one run (several suite executables): widen the time span, join the rest.
      RunInfo& into = merged.runs[it->second];
      if (run.started_at < into.started_at) into.started_at = run.started_at;
      if (run.finished_at.empty() || into.finished_at.empty()) {
        into.finished_at.clear();
      } else if (run.finished_at > into.finished_at) {
        into.finished_at = run.finished_at;
      }
      if (run.state == RunState::interrupted) {
        into.state = RunState::interrupted;
        into.interrupted_by = run.interrupted_by;
      } else if (run.state == RunState::running && into.state == RunState::complete) {
        into.state = RunState::running;
      }
      for (const auto& impl : run.implementations)
        if (std::find(into.implementations.begin(), into.implementations.end(), impl) ==
            into.implementations.end())
          into.implementations.push_back(impl);
    }
    merged.geometries.insert(merged.geometries.end(), report.geometries.begin(),
                             report.geometries.end());
    merged.conflicts.insert(merged.conflicts.end(), report.conflicts.begin(),
                            report.conflicts.end());
  }

  auto platform_of = [&](const Check& c) {
    auto it = run_index.find(c.run_id);
    return it == run_index.end() ? std::string() : merged.runs[it->second].os;
  };
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::string>;
  std::map<Key, std::vector<std::size_t>> seen;  // key -> indices into merged.checks
  for (const auto& report : reports) {
    for (const auto& check : report.checks) {
      Key key{check.id, check.implementations, platform_of(check)};
      auto& same = seen[key];
      bool duplicate = false;
      bool disagrees = false;
      for (std::size_t index : same) {
        const Check& other = merged.checks[index];
        if (other.status == check.status && other.message == check.message) {
          duplicate = duplicate || other.run_id == check.run_id;
        } else {
          disagrees = true;
        }
      }
      if (duplicate) continue;
      same.push_back(merged.checks.size());
      merged.checks.push_back(check);
      if (!disagrees) continue;
      auto existing =
          std::find_if(merged.conflicts.begin(), merged.conflicts.end(), [&](const Conflict& c) {
            return c.id == check.id && c.implementations == check.implementations &&
                   c.platform == std::get<2>(key);
          });
      if (existing == merged.conflicts.end()) {
        Conflict conflict{check.id, check.implementations, std::get<2>(key), {}};
        for (std::size_t index : same) {
          const Check& c = merged.checks[index];
          conflict.entries.push_back({c.run_id, c.status, c.message});
        }
        merged.conflicts.push_back(std::move(conflict));
      } else {
        existing->entries.push_back({check.run_id, check.status, check.message});
      }
    }
  }
  return merged;
}

}  // namespace pipecheck::harness

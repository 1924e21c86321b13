// pipecheck/harness/mutation_report.hpp — the mutation self-test's report (testing/mutants,
// docs/formats/mutation-report.md) as the dashboard shows it: the suite's kill rate, per
// requirement family, and every mutant the suite did not kill.
//
// The counts are recomputed from the mutants, so a report whose summary disagrees with its own
// entries is refused rather than shown. Errors name the file, the JSON path and the rule.
//
//   pipecheck::harness::MutationScore score =
//       pipecheck::harness::read_mutation_report("build/ci/reports/mutants.json");
//   if (score.kill_rate() && *score.kill_rate() < 1.0) warn(score.not_killed.size());
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipecheck::harness {

// More mutants than any catalog will hold; a bound on what one file makes us parse and show.
inline constexpr std::size_t kMaxMutants = 10000;

class MutationReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MutationScore {
  struct Family {
    std::string name;  // "LSN": the part of the requirement id before '-'
    std::size_t mutants = 0;
    std::size_t killed = 0;
    std::size_t excused = 0;
  };
  struct Mutant {
    std::string name;
    std::string requirement;  // "LSN-2"
    std::string status;       // survived or excused (killed ones are only counted)
    std::string description;
    std::string excuse;  // why it cannot be caught here (excused only)
  };
  std::string agent;  // the agent the mutants were made from ("python")
  std::string mode;   // targeted or full
  std::string finished_at;
  std::size_t mutants = 0;
  std::size_t killed = 0;
  std::size_t survived = 0;
  std::size_t excused = 0;
  std::vector<Family> families;  // sorted by name
  std::vector<Mutant> not_killed;

  // killed / (mutants - excused); none when nothing was scored.
  std::optional<double> kill_rate() const;
};

MutationScore parse_mutation_report(const nlohmann::json& document, const std::string& source);
MutationScore read_mutation_report(const std::filesystem::path& file);

}  // namespace pipecheck::harness

// `pipecheck report merge`: two report files (split at the first NUL byte) merged; the merged
// report must be schema-valid and render like any other.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_merge.hpp"
#include "pipecheck/harness/report_summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipecheck::harness;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  if (split == std::string_view::npos) return 0;
  std::vector<Report> reports;
  try {
    for (const std::string_view text : {input.substr(0, split), input.substr(split + 1)}) {
      const nlohmann::json document = parse_outside_json(text);
      if (!validate_report(document).empty()) return 0;
      reports.push_back(report_from_json(document, "fuzz.json"));
    }
    const Report merged = merge(reports);
    const nlohmann::json out = to_json(merged);
    if (!validate_report(out).empty()) std::abort();
    (void)out.dump(2);
    (void)summary_table(merged);
  } catch (const OutsideJsonError&) {
  } catch (const ReportError&) {
  }
  return 0;
}

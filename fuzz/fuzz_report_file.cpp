// A report file, as `pipecheck report validate|summary|ctrf` read it: bounded JSON, the report
// schema, report_from_json, then every rendering. Errors are ReportError / OutsideJsonError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/report.hpp"
#include "pipecheck/harness/report_ctrf.hpp"
#include "pipecheck/harness/report_interop.hpp"
#include "pipecheck/harness/report_summary.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipecheck::harness;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json document = parse_outside_json(text);
    if (!validate_report(document).empty()) return 0;
    const Report report = report_from_json(document, "fuzz.json");
    (void)to_json(report).dump(2);
    (void)to_ctrf(report).dump(2);
    (void)summary_table(report);
    (void)count_by_status(report);
    (void)interop_matrix(report);
  } catch (const OutsideJsonError&) {
  } catch (const ReportError&) {
  }
  return 0;
}

// Expected findings (fixtures/expected-findings.json, `run --expect FILE`): bounded JSON, then
// parse_expected_findings.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipecheck/harness/expected_findings.hpp"
#include "pipecheck/harness/outside_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipecheck::harness;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json document = parse_outside_json(text);
    (void)parse_expected_findings(document, "fuzz.json");
  } catch (const OutsideJsonError&) {
  } catch (const ExpectedFindingsError&) {
  }
  return 0;
}

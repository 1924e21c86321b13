// A geometry file (fixtures/geometries/*.json): bounded JSON, then parse_geometry.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipecheck/harness/geometry.hpp"
#include "pipecheck/harness/outside_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipecheck::harness;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json document = parse_outside_json(text);
    (void)parse_geometry(document, "fuzz.json");
  } catch (const OutsideJsonError&) {
  } catch (const GeometryError&) {
  }
  return 0;
}

// An implementation registry (fixtures/impls.json, `run --registry FILE`): bounded JSON, then
// parse_registry and a selection. Errors are RegistryError / OutsideJsonError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipecheck/harness/outside_input.hpp"
#include "pipecheck/harness/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pipecheck::harness;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json document = parse_outside_json(text);
    const Registry registry =
        parse_registry(document, "fuzz.json", {{"SOURCE_DIR", "/src"}, {"BUILD_DIR", "/build"}});
    (void)select_implementations(registry, "reference,node");
  } catch (const OutsideJsonError&) {
  } catch (const RegistryError&) {
  }
  return 0;
}

#include <algorithm>
#include <stdexcept>

#include "bench.hpp"

namespace bench {

nlohmann::json stats(const std::vector<double>& samples) {
  if (samples.empty()) return {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}};
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
      {"median", median}, {"min", sorted.front()}, {"max", sorted.back()}, {"samples", samples}};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

nlohmann::json handshake_args(const std::string& salt, const std::filesystem::path& root) {
  return {{"profile", "pipecheck"},
          {"fields", {{"kind", "bench"}, {"version", "1"}, {"arch", "*"}, {"salt", salt}}},
          {"root", root.string()}};
}

const pipecheck::harness::Implementation& implementation(const Context& context,
                                                         const std::string& name) {
  const auto* found = context.registry.find(name);
  if (found == nullptr) throw std::runtime_error("implementation '" + name + "' not in registry");
  return *found;
}

}  // namespace bench

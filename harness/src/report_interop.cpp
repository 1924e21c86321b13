// The interop matrix, derived from the checks of the interop suite.
#include "pipecheck/harness/report_interop.hpp"

#include <algorithm>

namespace pipecheck::harness {

const InteropCell* InteropMatrix::find(std::string_view server, std::string_view client) const {
  for (const auto& cell : cells)
    if (cell.server == server && cell.client == client) return &cell;
  return nullptr;
}

InteropMatrix interop_matrix(const Report& report) {
  InteropMatrix matrix;
  auto note = [](std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const auto& c : report.checks) {
    if (!c.id.starts_with(kInteropCheckPrefix)) continue;
    const auto server = c.implementations.find("server");
    const auto client = c.implementations.find("client");
    if (server == c.implementations.end() || client == c.implementations.end()) continue;
    note(matrix.servers, server->second);
    note(matrix.clients, client->second);
    auto cell = std::find_if(matrix.cells.begin(), matrix.cells.end(), [&](const auto& existing) {
      return existing.server == server->second && existing.client == client->second;
    });
    if (cell == matrix.cells.end())
      cell = matrix.cells.insert(matrix.cells.end(),
                                 {server->second, client->second, Status::pass, {}});
    // "Interop/Interop.RoundTrip/server_x_client_y" -> "RoundTrip"
    const std::size_t dot = c.id.find('.');
    std::string name = dot == std::string::npos ? c.id : c.id.substr(dot + 1);
    name = name.substr(0, name.find('/'));
    auto [entry, inserted] = cell->checks.emplace(name, c.status);
    if (!inserted && severity(c.status) > severity(entry->second)) entry->second = c.status;
    if (severity(c.status) > severity(cell->outcome)) cell->outcome = c.status;
  }
  return matrix;
}

}  // namespace pipecheck::harness

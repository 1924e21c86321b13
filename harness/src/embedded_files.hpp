// The files compiled into the harness (cmake/embedded_files.cmake, harness/CMakeLists.txt): each
// function returns {file name, text} pairs, so nothing reads the source tree at run time.
//
//   for (const auto& [name, text] : detail::embedded_protocol_schemas()) set.add(name, ...);
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace pipecheck::harness::detail {

using EmbeddedFiles = std::vector<std::pair<std::string_view, std::string_view>>;

const EmbeddedFiles& embedded_protocol_schemas();  // docs/formats/agent-protocol/*.schema.json
const EmbeddedFiles& embedded_report_schema();     // docs/formats/report.schema.json
const EmbeddedFiles& embedded_geometry_schema();   // docs/formats/geometry.schema.json

}  // namespace pipecheck::harness::detail

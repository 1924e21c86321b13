// pipecheck/harness/atomic_file.hpp — publishing a file atomically: readers see the old content
// or the new, never a part (reports, dashboards and exports are read while they are rewritten).
//
//   pipecheck::harness::write_file_atomically("build/ci/dashboard/index.html", html);
#pragma once

#include <filesystem>
#include <string_view>

namespace pipecheck::harness {

// Writes `text` to `file` atomically: `file.tmp` in the same directory (never through a symlink
// planted there), fsync, rename. Creates the directory. Throws ReportError (report.hpp) naming the
// file and the failed step.
void write_file_atomically(const std::filesystem::path& file, std::string_view text);

}  // namespace pipecheck::harness

// pipecheck/harness/report_markdown.hpp — `pipecheck report summary --markdown`: the per-suite
// table, the implementation × platform matrix, the interop matrix and every failure (whole
// message and agents' stderr tails, in collapsible blocks) as GitHub-flavoured Markdown, for a CI
// job summary ($GITHUB_STEP_SUMMARY, at most 1 MiB: messages are bounded).
//
//   std::cout << pipecheck::harness::summary_markdown(report);
#pragma once

#include <cstddef>
#include <string>

#include "pipecheck/harness/report.hpp"

namespace pipecheck::harness {

inline constexpr std::size_t kMarkdownMessageBytes = 8 * 1024;
inline constexpr std::size_t kMarkdownBytes = 900 * 1024;  // GitHub's job summary limit is 1 MiB

std::string summary_markdown(const Report& report);

}  // namespace pipecheck::harness

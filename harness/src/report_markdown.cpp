// Markdown summary for CI job summaries: see report_markdown.hpp.
#include "pipecheck/harness/report_markdown.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "pipecheck/harness/report_interop.hpp"
#include "pipecheck/harness/report_view.hpp"

namespace pipecheck::harness {
namespace {

// A table cell: valid UTF-8, one line, Markdown and HTML specials escaped.
std::string cell(std::string_view text, std::size_t limit = 256) {
  std::string out;
  for (char c : bounded_text(text, limit)) {
    switch (c) {
      case '|':
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
        out += '\\';
        out += c;
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A fenced block that no run of backticks in `text` can close early.
std::string fenced(std::string_view text, std::size_t limit) {
  const std::string body = bounded_text(text, limit);
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  return fence + "text\n" + body + (body.empty() || body.back() != '\n' ? "\n" : "") + fence + "\n";
}

const char* icon(Status s) {
  switch (s) {
    case Status::pass:
      return "\xE2\x9C\x85";  // ✅
    case Status::fail:
      return "\xE2\x9D\x8C";  // ❌
    case Status::error:
      return "\xF0\x9F\x92\xA5";  // 💥
    case Status::skip:
      return "\xE2\x8F\xAD";  // ⏭
    case Status::unsupported:
      return "\xE2\x9E\x96";  // ➖
  }
  return "";
}

std::string counts_text(const std::map<Status, int>& counts) {
  std::string text;
  for (int level = 4; level >= 0; --level)
    for (const auto& [s, n] : counts)
      if (severity(s) == level && n > 0)
        text += std::string(text.empty() ? "" : " ") + icon(s) + " " + std::to_string(n);
  return text;
}

}  // namespace

std::string summary_markdown(const Report& report) {
  std::string md = "## pipecheck conformance\n\n";
  std::map<Status, int> totals;
  for (const auto& c : report.checks) ++totals[c.status];
  md += std::to_string(report.checks.size()) + " checks";
  for (Status s : kAllStatuses)
    md +=
        ", " + std::string(to_string(s)) + " " + std::to_string(totals.contains(s) ? totals[s] : 0);
  md += " (" + std::to_string(report.runs.size()) + " run(s), " +
        std::to_string(report.conflicts.size()) + " conflict(s))\n\n";

  // Per suite.
  std::vector<std::string> suites;
  std::map<std::string, std::map<Status, int>> per_suite;
  for (const auto& c : report.checks) {
    const std::string suite = c.id.substr(0, c.id.find('.'));
    if (!per_suite.contains(suite)) suites.push_back(suite);
    ++per_suite[suite][c.status];
  }
  std::sort(suites.begin(), suites.end());
  md +=
      "| suite | checks | pass | fail | skip | unsupported | error "
      "|\n|---|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& suite : suites) {
    auto& counts = per_suite[suite];
    int total = 0;
    for (const auto& [s, n] : counts) total += n;
    md += "| " + cell(suite) + " | " + std::to_string(total);
    for (Status s : kAllStatuses) md += " | " + std::to_string(counts[s]);
    md += " |\n";
  }

  // Implementation × leg.
  std::vector<std::string> impls, legs;
  std::map<std::pair<std::string, std::string>, std::map<Status, int>> matrix;
  for (const auto& c : report.checks) {
    auto names = check_implementations(c);
    if (names.empty()) names.push_back("(none)");
    const std::string leg = check_leg(report, c);
    if (std::find(legs.begin(), legs.end(), leg) == legs.end()) legs.push_back(leg);
    for (const auto& n : names) {
      if (std::find(impls.begin(), impls.end(), n) == impls.end()) impls.push_back(n);
      ++matrix[{n, leg}][c.status];
    }
  }
  std::sort(legs.begin(), legs.end());
  if (!impls.empty()) {
    md += "\n### Implementation \xC3\x97 platform\n\n| implementation |";
    for (const auto& leg : legs) md += " " + cell(leg) + " |";
    md += "\n|---|";
    for (std::size_t i = 0; i < legs.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& impl : impls) {
      md += "| " + cell(impl) + " |";
      for (const auto& leg : legs) {
        auto it = matrix.find({impl, leg});
        md += " " + (it == matrix.end() ? std::string("\xE2\x80\x94") : counts_text(it->second)) +
              " |";
      }
      md += "\n";
    }
  }

  // Interop.
  if (const InteropMatrix m = interop_matrix(report); !m.cells.empty()) {
    md += "\n### Interop (rows: client, columns: server)\n\n| client \\\\ server |";
    for (const auto& s : m.servers) md += " " + cell(s) + " |";
    md += "\n|---|";
    for (std::size_t i = 0; i < m.servers.size(); ++i) md += "---|";
    md += "\n";
    for (const auto& client : m.clients) {
      md += "| " + cell(client) + " |";
      for (const auto& server : m.servers) {
        const InteropCell* c = m.find(server, client);
        if (c == nullptr) {
          md += " \xE2\x80\x94 |";
          continue;
        }
        std::string text;
        for (const auto& [name, status] : c->checks)
          text += std::string(text.empty() ? "" : " ") + icon(status) + cell(name, 64);
        md += " " + text + " |";
      }
      md += "\n";
    }
  }

  // Failures: whole messages, stderr tails; bounded as a whole for the job summary limit.
  std::string failures;
  std::size_t count = 0, left_out = 0;
  for (const auto& c : report.checks) {
    if (c.status != Status::fail && c.status != Status::error) continue;
    ++count;
    std::string entry = "<details><summary>" + std::string(icon(c.status)) + " " +
                        std::string(to_string(c.status)) + " <code>" + cell(c.id, 512) +
                        "</code> (";
    std::vector<std::string> parts;
    for (const auto& [role, name] : c.implementations) parts.push_back(role + "=" + name);
    std::string roles;
    for (const auto& p : parts) roles += (roles.empty() ? "" : " ") + p;
    entry += cell(roles.empty() ? "no implementation" : roles) + " @ " +
             cell(check_leg(report, c)) + "; requirements:";
    for (const auto& r : c.requirements) entry += " " + cell(r, 32);
    if (c.requirements.empty()) entry += " none";
    entry += ")</summary>\n\n" + fenced(c.message, kMarkdownMessageBytes);
    for (const auto& [agent, tail] : c.agent_stderr)
      entry += "\nstderr of " + cell(agent) + " (last lines):\n\n" + fenced(tail, 2048);
    entry += "\n</details>\n\n";
    if (md.size() + failures.size() + entry.size() > kMarkdownBytes) {
      ++left_out;
      continue;
    }
    failures += entry;
  }
  if (count > 0) {
    md += "\n### Failures (" + std::to_string(count) + ")\n\n" + failures;
    if (left_out > 0)
      md += "*" + std::to_string(left_out) +
            " more failure(s) left out to stay within the job summary limit: see the report or "
            "the dashboard.*\n";
  }
  return md;
}

}  // namespace pipecheck::harness

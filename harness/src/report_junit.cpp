// JUnit XML export: see report_junit.hpp.
#include "pipecheck/harness/report_junit.hpp"

#include <cstdio>
#include <map>
#include <vector>

#include "pipecheck/harness/report_view.hpp"

namespace pipecheck::harness {
namespace {

constexpr std::size_t kJunitMessageBytes = 64 * 1024;

// Valid UTF-8 (report_view strips control characters, which XML 1.0 forbids), XML-escaped.
std::string xml(std::string_view text, std::size_t limit = kJunitMessageBytes) {
  std::string out;
  for (char c : bounded_text(text, limit)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\n':
        out += "&#10;";  // kept in attributes, harmless in text
        break;
      case '\t':
        out += "&#9;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string seconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", ms / 1000);
  return text;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::string junit_xml(const Report& report) {
  struct Suite {
    std::vector<const Check*> checks;
    int failures = 0, errors = 0, skipped = 0;
    double ms = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Suite> suites;
  for (const auto& c : report.checks) {
    const std::string name = c.id.substr(0, c.id.find('.'));
    if (!suites.contains(name)) order.push_back(name);
    Suite& s = suites[name];
    s.checks.push_back(&c);
    s.ms += c.duration_ms;
    if (c.status == Status::fail) ++s.failures;
    if (c.status == Status::error) ++s.errors;
    if (c.status == Status::skip || c.status == Status::unsupported) ++s.skipped;
  }
  int failures = 0, errors = 0, skipped = 0;
  double ms = 0;
  for (const auto& [name, s] : suites) {
    failures += s.failures;
    errors += s.errors;
    skipped += s.skipped;
    ms += s.ms;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"pipecheck\" tests=\"" + std::to_string(report.checks.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
         "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + seconds(ms) + "\">\n";
  for (const auto& name : order) {
    const Suite& s = suites.at(name);
    std::string timestamp;
    std::string host;
    if (!s.checks.empty())
      for (const auto& run : report.runs)
        if (run.run_id == s.checks.front()->run_id) {
          timestamp = run.started_at.substr(0, 19);  // xs:dateTime without zone
          host = run.host;
        }
    out += "  <testsuite name=\"" + xml(name, 512) + "\" tests=\"" +
           std::to_string(s.checks.size()) + "\" failures=\"" + std::to_string(s.failures) +
           "\" errors=\"" + std::to_string(s.errors) + "\" skipped=\"" + std::to_string(s.skipped) +
           "\" time=\"" + seconds(s.ms) + "\"";
    if (!timestamp.empty()) out += " timestamp=\"" + xml(timestamp, 64) + "\"";
    if (!host.empty()) out += " hostname=\"" + xml(host, 256) + "\"";
    out += ">\n";
    for (const Check* c : s.checks) {
      const auto names = check_implementations(*c);
      std::string impls;
      for (const auto& n : names) impls += (impls.empty() ? "" : ",") + n;
      if (impls.empty()) impls = "none";
      const std::string leg = check_leg(report, *c);
      const std::string rest =
          c->id.find('.') == std::string::npos ? c->id : c->id.substr(c->id.find('.') + 1);
      out += "    <testcase classname=\"" + xml(name + "." + impls, 512) + "\" name=\"" +
             xml(rest + " [" + impls + " @ " + leg + "]", 1024) + "\" time=\"" +
             seconds(c->duration_ms) + "\">\n      <properties>\n";
      for (const auto& r : c->requirements)
        out += "        <property name=\"requirement\" value=\"" + xml(r, 64) + "\"/>\n";
      for (const auto& [role, impl] : c->implementations)
        out +=
            "        <property name=\"" + xml(role, 64) + "\" value=\"" + xml(impl, 256) + "\"/>\n";
      out += "        <property name=\"leg\" value=\"" + xml(leg, 256) + "\"/>\n";
      out += "        <property name=\"status\" value=\"" + std::string(to_string(c->status)) +
             "\"/>\n";
      out += "        <property name=\"run\" value=\"" + xml(c->run_id, 256) +
             "\"/>\n      </properties>\n";
      const std::string message =
          c->status == Status::unsupported ? "unsupported: " + c->message : c->message;
      switch (c->status) {
        case Status::pass:
          break;
        case Status::fail:
          out += "      <failure message=\"" + xml(first_line(message), 1024) +
                 "\" type=\"fail\">" + xml(message) + "</failure>\n";
          break;
        case Status::error:
          out += "      <error message=\"" + xml(first_line(message), 1024) + "\" type=\"error\">" +
                 xml(message) + "</error>\n";
          break;
        case Status::skip:
        case Status::unsupported:
          out += "      <skipped message=\"" + xml(message, 4096) + "\"/>\n";
          break;
      }
      if (!c->agent_stderr.empty()) {
        std::string text;
        for (const auto& [agent, tail] : c->agent_stderr)
          text += "--- stderr of " + agent + " (last lines) ---\n" + tail + "\n";
        out += "      <system-err>" + xml(text) + "</system-err>\n";
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace pipecheck::harness

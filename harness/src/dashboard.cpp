// The HTML dashboard and the baseline diff: see dashboard.hpp and docs/dashboard.md.
#include "pipecheck/harness/dashboard.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "pipecheck/harness/report_interop.hpp"
#include "pipecheck/harness/report_view.hpp"

namespace pipecheck::harness {
namespace {

// Escaped for HTML text and attribute values, valid UTF-8, at most `limit` bytes before escaping.
std::string esc(std::string_view text, std::size_t limit = kPageFieldBytes) {
  const std::string clean = bounded_text(text, limit);
  std::string out;
  out.reserve(clean.size() + 16);
  for (char c : clean) {
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
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Spec text: escaped, `code` spans shown as code (backticks survive escaping unchanged).
std::string spec_text(std::string_view markdown) {
  const std::string text = esc(markdown, 4096);
  std::string out;
  bool open = false;
  for (char c : text) {
    if (c == '`') {
      out += open ? "</code>" : "<code>";
      open = !open;
    } else {
      out += c;
    }
  }
  if (open) out += "</code>";
  return out;
}

std::string status_name(Status s) {
  return std::string(to_string(s));
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string percent(double fraction) {
  return fixed(fraction * 100, 1) + "%";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::string roles_text(const Check& check) {
  std::vector<std::string> parts;
  for (const auto& [role, name] : check.implementations) parts.push_back(role + "=" + name);
  return join(parts, " ");
}

// "node @ linux-x64", "server=node client=reference @ linux-x64".
std::string where_text(const Report& report, const Check& check) {
  const std::string roles = roles_text(check);
  return (roles.empty() ? std::string("no implementation") : roles) + " @ " +
         check_leg(report, check);
}

std::string geometry_where(const Report& report, const GeometryRun& g) {
  return g.server + " \u2190 " + g.client + " @ " + platform_leg(report, g.run_id, g.server);
}

constexpr std::string_view kNoImplementation = "(none)";

// A status summary: counts per status, worst first ("fail 1 · pass 3").
struct Tally {
  std::map<Status, int> counts;
  int total = 0;
  void add(Status s) {
    ++counts[s];
    ++total;
  }
  std::optional<Status> worst() const {
    std::optional<Status> w;
    for (const auto& [s, n] : counts)
      if (n > 0 && (!w || severity(s) > severity(*w))) w = s;
    return w;
  }
  std::string text() const {
    std::vector<std::string> parts;
    for (int level = 4; level >= 0; --level)
      for (const auto& [s, n] : counts)
        if (severity(s) == level && n > 0)
          parts.push_back(status_name(s) + " " + std::to_string(n));
    return join(parts, " \u00b7 ");
  }
  std::string data() const {  // "pass=3 fail=1", every status, for tests
    std::vector<std::string> parts;
    for (Status s : kAllStatuses)
      parts.push_back(status_name(s) + "=" + std::to_string(counts.contains(s) ? counts.at(s) : 0));
    return join(parts, " ");
  }
};

std::string status_class(std::optional<Status> s) {
  return s ? "s-" + status_name(*s) : "s-none";
}

constexpr std::string_view kStyle = R"css(
:root{--pass:#2e7d32;--fail:#c62828;--error:#6a1b9a;--skip:#9e9e9e;--unsupported:#5c7a99;--none:#fff}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 24px 48px;color:#1b1b1b;background:#fafafa}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;background:#fff;margin:4px 0 8px}
th,td{border:1px solid #d0d0d0;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eee;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.s-pass{background:#c8e6c9}.s-fail{background:#ffcdd2}.s-error{background:#e1bee7}
.s-skip{background:#eeeeee}.s-unsupported{background:#d5e1ee}.s-none{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f1f1f1 4px,#f1f1f1 8px);color:#888}
span.letter{display:inline-block;min-width:1.3em;text-align:center;margin:1px;border-radius:3px;font-weight:700;font-family:ui-monospace,monospace}
span.badge{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #ddd;padding:6px;margin:4px 0;max-height:32em;overflow:auto;font:12px/1.35 ui-monospace,monospace}
article.failure{border-left:4px solid var(--fail);background:#fff;margin:10px 0;padding:4px 10px}
article.failure.s-error{border-left-color:var(--error);background:#fff}
article.failure h3{margin:4px 0}
.muted{color:#666}.verdict-ok{color:var(--pass);font-weight:700}.verdict-bad{color:var(--fail);font-weight:700}
a{color:#0b57d0}td a{color:inherit}
nav a{margin-right:12px}
details>summary{cursor:pointer}
svg text{font:11px system-ui,sans-serif}
)css";

class Page {
 public:
  Page(const Report& report, const DashboardOptions& options) : report_(report), options_(options) {
    for (const auto& check : report_.checks) {
      const auto names = check_implementations(check);
      const std::string leg = check_leg(report_, check);
      note(legs_, leg);
      for (const auto& name : names) note(implementations_, name);
      if (names.empty()) note(implementations_, std::string(kNoImplementation));
    }
    std::sort(legs_.begin(), legs_.end());
  }

  std::string render() {
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    // No script, nothing from elsewhere: the page must work from file:// and a CI artifact.
    out_ +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">\n";
    out_ += "<title>" + esc(options_.title) + "</title>\n<style>" + std::string(kStyle) +
            "</style>\n</head>\n<body>\n";
    header();
    matrix();
    requirements();
    interop();
    geometries();
    failures();
    diff();
    strength();
    out_ += "</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  static void note(std::vector<std::string>& names, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }

  std::string spec_link(const std::string& id) const {
    for (const auto& r : spec_requirements())
      if (r.id == id)
        return "<a href=\"" + esc(options_.spec_url, 2048) + "#" + esc(r.anchor) + "\">" + esc(id) +
               "</a>";
    return esc(id);
  }

  void header() {
    out_ += "<header id=\"header\">\n<h1>" + esc(options_.title) + "</h1>\n";
    out_ +=
        "<nav><a href=\"#matrix\">matrix</a><a href=\"#requirements\">requirements</a>"
        "<a href=\"#interop\">interop</a><a href=\"#geometries\">busy rates</a>"
        "<a href=\"#failures\">failures</a><a href=\"#diff\">diff</a>"
        "<a href=\"#strength\">suite strength</a></nav>\n";
    Tally totals;
    for (const auto& c : report_.checks) totals.add(c.status);
    out_ += "<h2>1. Totals</h2>\n<table class=\"totals\"><tr><th>checks</th>";
    for (Status s : kAllStatuses) out_ += "<th>" + status_name(s) + "</th>";
    out_ +=
        "<th>geometries</th><th>conflicts</th></tr>\n<tr><td class=\"num\" data-total=\"checks\">" +
        std::to_string(totals.total) + "</td>";
    for (Status s : kAllStatuses) {
      const int n = totals.counts.contains(s) ? totals.counts.at(s) : 0;
      out_ += "<td class=\"num " + std::string(n > 0 ? status_class(s) : "") + "\" data-total=\"" +
              status_name(s) + "\">" + std::to_string(n) + "</td>";
    }
    out_ += "<td class=\"num\">" + std::to_string(report_.geometries.size()) +
            "</td><td class=\"num\">" + std::to_string(report_.conflicts.size()) +
            "</td></tr>\n</table>\n";
    totals_bar(totals);

    if (options_.verdict) {
      const auto& v = *options_.verdict;
      out_ += "<p id=\"verdict\" data-verdict=\"" + std::string(v.matches ? "matches" : "differs") +
              "\">Expected findings (" + esc(v.file, 1024) + "): <span class=\"" +
              (v.matches ? "verdict-ok\">matches" : "verdict-bad\">differs") + "</span></p>\n";
      out_ += "<details" + std::string(v.matches ? "" : " open") + "><summary>how</summary><pre>" +
              esc(v.details, kPageMessageBytes * 4) + "</pre></details>\n";
    } else {
      out_ +=
          "<p id=\"verdict\" data-verdict=\"none\" class=\"muted\">No expected findings given "
          "(<code>--expect</code>).</p>\n";
    }
    if (options_.mutation) {
      const auto rate = options_.mutation->kill_rate();
      out_ += "<p>Suite strength: <a href=\"#strength\">kill rate " +
              (rate ? percent(*rate) : std::string("none")) + "</a> of the mutation self-test (" +
              std::to_string(options_.mutation->survived) + " survived).</p>\n";
    }

    out_ +=
        "<h2>Runs</h2>\n<table class=\"runs\"><tr><th>run</th><th>state</th><th>os</th>"
        "<th>arch</th><th>compiler</th><th>commit</th><th>host</th><th>started</th>"
        "<th>finished</th><th>implementations</th></tr>\n";
    for (const auto& run : report_.runs) {
      std::vector<std::string> impls;
      for (const auto& i : run.implementations) {
        std::string text = esc(i.name);
        if (!i.version.empty()) text += " " + esc(i.version);
        if (!i.platform.empty())
          text += " <span class=\"muted\">(" + esc(i.platform) + "-" + esc(i.arch) + ")</span>";
        impls.push_back(text);
      }
      std::string state = std::string(to_string(run.state));
      if (run.state == RunState::interrupted) state += " by " + run.interrupted_by;
      out_ += "<tr><td><code>" + esc(run.run_id) + "</code></td><td>" + esc(state) + "</td><td>" +
              esc(run.os) + " " + esc(run.os_release) + "</td><td>" + esc(run.arch) + "</td><td>" +
              esc(run.compiler) + "</td><td><code>" + esc(run.git_commit.substr(0, 12)) +
              "</code></td><td>" + esc(run.host) + "</td><td>" + esc(run.started_at) + "</td><td>" +
              esc(run.finished_at.empty() ? std::string("\u2014") : run.finished_at) + "</td><td>" +
              join(impls, ", ") + "</td></tr>\n";
    }
    out_ += "</table>\n";
    if (!report_.conflicts.empty()) {
      out_ +=
          "<h2>Conflicts</h2>\n<p>The same check, implementations and platform with different "
          "results in different runs; every entry is kept.</p>\n<table class=\"conflicts\">"
          "<tr><th>check</th><th>platform</th><th>entries</th></tr>\n";
      for (const auto& c : report_.conflicts) {
        std::vector<std::string> entries;
        for (const auto& e : c.entries)
          entries.push_back("<span class=\"badge " + status_class(e.status) + "\">" +
                            status_name(e.status) + "</span> <code>" + esc(e.run_id) + "</code>");
        out_ += "<tr><td>" + esc(c.id) + "</td><td>" + esc(c.platform) + "</td><td>" +
                join(entries, "<br>") + "</td></tr>\n";
      }
      out_ += "</table>\n";
    }
    out_ += "</header>\n";
  }

  // One stacked bar of the totals, as inline SVG.
  void totals_bar(const Tally& totals) {
    constexpr double kWidth = 600;
    out_ +=
        "<svg class=\"totals-bar\" width=\"600\" height=\"18\" role=\"img\" "
        "aria-label=\"checks by status\">";
    double x = 0;
    static const std::map<Status, std::string> kColours = {{Status::pass, "#2e7d32"},
                                                           {Status::fail, "#c62828"},
                                                           {Status::error, "#6a1b9a"},
                                                           {Status::skip, "#9e9e9e"},
                                                           {Status::unsupported, "#5c7a99"}};
    for (Status s : kAllStatuses) {
      const int n = totals.counts.contains(s) ? totals.counts.at(s) : 0;
      if (n == 0 || totals.total == 0) continue;
      const double w = kWidth * n / totals.total;
      out_ += "<rect x=\"" + fixed(x, 1) + "\" y=\"0\" width=\"" + fixed(w, 1) +
              "\" height=\"18\" fill=\"" + kColours.at(s) + "\"><title>" + status_name(s) + " " +
              std::to_string(n) + "</title></rect>";
      x += w;
    }
    out_ += "</svg>\n";
  }

  void matrix() {
    out_ += "<section id=\"matrix\">\n<h2>2. Implementation \u00d7 platform</h2>\n";
    if (report_.checks.empty()) {
      out_ += "<p>No checks in the report.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"muted\">Counts per status; the colour is the worst status. A check "
        "counts for every implementation it names; its platform leg is where its first "
        "implementation ran. Each cell links to its checks.</p>\n";
    std::map<std::pair<std::string, std::string>, std::vector<const Check*>> cells;
    for (const auto& c : report_.checks) {
      auto names = check_implementations(c);
      if (names.empty()) names.push_back(std::string(kNoImplementation));
      const std::string leg = check_leg(report_, c);
      for (const auto& name : names) cells[{name, leg}].push_back(&c);
    }
    out_ += "<table class=\"matrix\"><tr><th>implementation \\ leg</th>";
    for (const auto& leg : legs_) out_ += "<th>" + esc(leg) + "</th>";
    out_ += "</tr>\n";
    for (std::size_t r = 0; r < implementations_.size(); ++r) {
      const std::string& impl = implementations_[r];
      out_ += "<tr data-impl=\"" + esc(impl) + "\"><th>" + esc(impl) + "</th>";
      for (std::size_t l = 0; l < legs_.size(); ++l) {
        auto it = cells.find({impl, legs_[l]});
        if (it == cells.end()) {
          out_ += "<td class=\"s-none\" data-impl=\"" + esc(impl) + "\" data-leg=\"" +
                  esc(legs_[l]) + "\" data-status=\"none\">\u2014</td>";
          continue;
        }
        Tally tally;
        for (const Check* c : it->second) tally.add(c->status);
        out_ += "<td class=\"" + status_class(tally.worst()) + "\" data-impl=\"" + esc(impl) +
                "\" data-leg=\"" + esc(legs_[l]) + "\" data-status=\"" +
                status_name(*tally.worst()) + "\" data-counts=\"" + tally.data() +
                "\"><a href=\"#cell-" + std::to_string(r) + "-" + std::to_string(l) + "\">" +
                tally.text() + "</a></td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table>\n<h3>Checks per cell</h3>\n";
    for (std::size_t r = 0; r < implementations_.size(); ++r) {
      for (std::size_t l = 0; l < legs_.size(); ++l) {
        auto it = cells.find({implementations_[r], legs_[l]});
        if (it == cells.end()) continue;
        Tally tally;
        for (const Check* c : it->second) tally.add(c->status);
        out_ += "<details id=\"cell-" + std::to_string(r) + "-" + std::to_string(l) +
                "\"><summary>" + esc(implementations_[r]) + " @ " + esc(legs_[l]) + ": " +
                tally.text() +
                "</summary>\n<table class=\"checks\"><tr><th>status</th><th>check</th>"
                "<th>roles</th><th>requirements</th><th>ms</th></tr>\n";
        std::vector<const Check*> sorted = it->second;
        std::stable_sort(sorted.begin(), sorted.end(), [](const Check* a, const Check* b) {
          return severity(a->status) > severity(b->status);
        });
        for (const Check* c : sorted) {
          std::vector<std::string> reqs;
          for (const auto& id : c->requirements) reqs.push_back(esc(id));
          out_ += "<tr><td class=\"" + status_class(c->status) + "\">" + status_name(c->status) +
                  "</td><td>" + esc(c->id, 512) + "</td><td>" + esc(roles_text(*c)) + "</td><td>" +
                  join(reqs, " ") + "</td><td class=\"num\">" + fixed(c->duration_ms, 0) +
                  "</td></tr>\n";
        }
        out_ += "</table></details>\n";
      }
    }
    out_ += "</section>\n";
  }

  void requirements() {
    out_ += "<section id=\"requirements\">\n<h2>3. Requirement \u00d7 implementation</h2>\n";
    out_ +=
        "<p class=\"muted\">Every requirement of the spec (generated from docs/spec.md at "
        "build time); a cell is the worst status of the checks that name the requirement "
        "for that implementation, \u201cnot run\u201d when none did.</p>\n";
    std::map<std::pair<std::string, std::string>, Tally> cells;  // (requirement, impl)
    std::set<std::string> named;
    for (const auto& c : report_.checks) {
      auto names = check_implementations(c);
      if (names.empty()) names.push_back(std::string(kNoImplementation));
      for (const auto& id : c.requirements) {
        named.insert(id);
        for (const auto& name : names) cells[{id, name}].add(c.status);
      }
    }
    out_ +=
        "<table class=\"requirements\"><tr><th>ID</th><th>level</th><th>platform</th>"
        "<th>requirement</th>";
    for (const auto& impl : implementations_) out_ += "<th>" + esc(impl) + "</th>";
    out_ += "</tr>\n";
    auto row = [&](const std::string& id, std::string level, std::string platform,
                   const std::string& text_html) {
      out_ += "<tr data-req=\"" + esc(id) + "\"><td>" + spec_link(id) + "</td><td>" + level +
              "</td><td>" + platform + "</td><td>" + text_html + "</td>";
      for (const auto& impl : implementations_) {
        auto it = cells.find({id, impl});
        if (it == cells.end()) {
          out_ += "<td class=\"s-none\" data-impl=\"" + esc(impl) +
                  "\" data-status=\"not-run\">not run</td>";
        } else {
          out_ += "<td class=\"" + status_class(it->second.worst()) + "\" data-impl=\"" +
                  esc(impl) + "\" data-status=\"" + status_name(*it->second.worst()) + "\">" +
                  it->second.text() + "</td>";
        }
      }
      out_ += "</tr>\n";
    };
    std::set<std::string> in_spec;
    for (const auto& r : spec_requirements()) {
      in_spec.insert(std::string(r.id));
      row(std::string(r.id), esc(r.level), esc(r.platform), spec_text(r.text));
    }
    for (const auto& id : named)
      if (!in_spec.contains(id))
        row(id, "?", "?", "<em>not in docs/spec.md (named by a check)</em>");
    out_ += "</table>\n</section>\n";
  }

  void interop() {
    out_ += "<section id=\"interop\">\n<h2>4. Interop matrix</h2>\n";
    const InteropMatrix m = interop_matrix(report_);
    if (m.cells.empty()) {
      out_ += "<p>No interop checks in the report.</p>\n</section>\n";
      return;
    }
    // One letter per interop test name: its first capital not taken yet.
    std::map<std::string, char> letters;
    std::set<char> taken;
    for (const auto& cell : m.cells)
      for (const auto& [name, status] : cell.checks) {
        if (letters.contains(name)) continue;
        char letter = '?';
        for (char c : name + "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
          if (c >= 'A' && c <= 'Z' && !taken.contains(c)) {
            letter = c;
            break;
          }
        taken.insert(letter);
        letters[name] = letter;
      }
    out_ += "<p>Legend: ";
    std::vector<std::string> legend;
    for (const auto& [name, letter] : letters)
      legend.push_back("<b>" + std::string(1, letter) + "</b> " + esc(name));
    out_ += join(legend, ", ") + "; colours: ";
    std::vector<std::string> colours;
    for (Status s : kAllStatuses)
      colours.push_back("<span class=\"badge " + status_class(s) + "\">" + status_name(s) +
                        "</span>");
    out_ += join(colours, " ") + ".</p>\n";
    out_ += "<table class=\"interop\"><tr><th>client \\ server</th>";
    for (const auto& server : m.servers) out_ += "<th>" + esc(server) + "</th>";
    out_ += "</tr>\n";
    for (const auto& client : m.clients) {
      out_ += "<tr><th>" + esc(client) + "</th>";
      for (const auto& server : m.servers) {
        const InteropCell* cell = m.find(server, client);
        if (cell == nullptr) {
          out_ += "<td class=\"s-none\" data-server=\"" + esc(server) + "\" data-client=\"" +
                  esc(client) + "\" data-status=\"none\">\u2014</td>";
          continue;
        }
        out_ += "<td data-server=\"" + esc(server) + "\" data-client=\"" + esc(client) +
                "\" data-status=\"" + status_name(cell->outcome) + "\">";
        for (const auto& [name, status] : cell->checks)
          out_ += "<span class=\"letter " + status_class(status) + "\" data-check=\"" + esc(name) +
                  "\" data-status=\"" + status_name(status) + "\" title=\"" + esc(name) + ": " +
                  status_name(status) + "\">" + std::string(1, letters.at(name)) + "</span>";
        out_ += "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table>\n</section>\n";
  }

  static std::string parameter(const GeometryRun& g, const char* name) {
    auto it = g.parameters.find(name);
    if (it == g.parameters.end() || !it->is_number()) return "?";
    return it->dump();
  }
  static std::string clients_of(const GeometryRun& g) {
    const auto p = g.parameters.find("client_processes");
    const auto t = g.parameters.find("client_threads");
    if (p == g.parameters.end() || t == g.parameters.end() || !p->is_number_integer() ||
        !t->is_number_integer())
      return "?";
    return std::to_string(p->get<std::int64_t>() * t->get<std::int64_t>());
  }
  static bool numeric_less(const std::string& a, const std::string& b) {
    const bool da = !a.empty() && a.find_first_not_of("0123456789") == std::string::npos;
    const bool db = !b.empty() && b.find_first_not_of("0123456789") == std::string::npos;
    if (da != db) return da;
    if (da && a.size() != b.size()) return a.size() < b.size();
    return a < b;
  }

  void geometries() {
    out_ += "<section id=\"geometries\">\n<h2>5. Busy rates</h2>\n";
    if (report_.geometries.empty()) {
      out_ +=
          "<p>No geometries in the report: the backlog suite did not run, so there are no "
          "busy rates.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"muted\">Per server implementation and platform leg: queue size (rows) "
        "\u00d7 concurrent clients (columns), the busy rate of each geometry in the cell and "
        "as colour (the highest when several geometries share a cell).</p>\n";
    std::map<std::string, std::vector<const GeometryRun*>> groups;  // "server @ leg"
    for (const auto& g : report_.geometries)
      groups[g.server + " @ " + platform_leg(report_, g.run_id, g.server)].push_back(&g);
    for (const auto& [title, runs] : groups) heatmap(title, runs);
    out_ +=
        "<h3>Latency per geometry</h3>\n<table class=\"latency\"><tr><th>geometry</th>"
        "<th>server \u2190 client @ leg</th><th>queue</th><th>workers</th><th>clients</th>"
        "<th>busy</th><th>p50 \u00b5s</th><th>p99 \u00b5s</th><th>accepts/s</th>"
        "<th>outcomes</th></tr>\n";
    for (const auto& g : report_.geometries) {
      std::vector<std::string> outcomes;
      for (const auto& [name, count] : g.outcomes)
        outcomes.push_back(esc(name) + " " + std::to_string(count));
      out_ += "<tr><td>" + esc(g.name) + "</td><td>" + esc(geometry_where(report_, g)) +
              "</td><td class=\"num\">" + parameter(g, "queue_size") + "</td><td class=\"num\">" +
              parameter(g, "accept_workers") + "</td><td class=\"num\">" + clients_of(g) +
              "</td><td class=\"num\">" + percent(g.busy_rate) + "</td><td class=\"num\">" +
              fixed(g.latency_us.p50, 0) + "</td><td class=\"num\">" + fixed(g.latency_us.p99, 0) +
              "</td><td class=\"num\">" + fixed(g.accepts_per_s, 0) + "</td><td>" +
              join(outcomes, ", ") + "</td></tr>\n";
    }
    out_ += "</table>\n</section>\n";
  }

  void heatmap(const std::string& title, const std::vector<const GeometryRun*>& runs) {
    std::vector<std::string> rows, cols;
    std::map<std::pair<std::string, std::string>, std::vector<const GeometryRun*>> cells;
    for (const GeometryRun* g : runs) {
      const std::string q = parameter(*g, "queue_size"), c = clients_of(*g);
      note(rows, q);
      note(cols, c);
      cells[{q, c}].push_back(g);
    }
    std::sort(rows.begin(), rows.end(), numeric_less);
    std::sort(cols.begin(), cols.end(), numeric_less);
    constexpr int kLabel = 70, kCellW = 96, kCellH = 34, kTop = 34;
    const int width = kLabel + kCellW * static_cast<int>(cols.size()) + 4;
    const int height = kTop + kCellH * static_cast<int>(rows.size()) + 4;
    out_ += "<h3>" + esc(title) + "</h3>\n<svg class=\"heatmap\" width=\"" + std::to_string(width) +
            "\" height=\"" + std::to_string(height) + "\" role=\"img\" aria-label=\"busy rate of " +
            esc(title) + "\">";
    out_ += "<text x=\"2\" y=\"12\">queue \\ clients</text>";
    for (std::size_t c = 0; c < cols.size(); ++c)
      out_ += "<text x=\"" + std::to_string(kLabel + kCellW * static_cast<int>(c) + kCellW / 2) +
              "\" y=\"26\" text-anchor=\"middle\">" + esc(cols[c]) + "</text>";
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const int y = kTop + kCellH * static_cast<int>(r);
      out_ += "<text x=\"2\" y=\"" + std::to_string(y + kCellH / 2 + 4) + "\">" + esc(rows[r]) +
              "</text>";
      for (std::size_t c = 0; c < cols.size(); ++c) {
        const int x = kLabel + kCellW * static_cast<int>(c);
        auto it = cells.find({rows[r], cols[c]});
        if (it == cells.end()) {
          out_ += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
                  std::to_string(kCellW - 2) + "\" height=\"" + std::to_string(kCellH - 2) +
                  "\" fill=\"#f4f4f4\"/>";
          continue;
        }
        double worst = 0;
        std::vector<std::string> texts, names;
        for (const GeometryRun* g : it->second) {
          worst = std::max(worst, std::clamp(g->busy_rate, 0.0, 1.0));
          texts.push_back(percent(g->busy_rate));
          names.push_back(g->name + " (" + parameter(*g, "accept_workers") +
                          " workers): " + percent(g->busy_rate));
        }
        const int shade = static_cast<int>(std::lround(255 * (1 - worst)));
        out_ +=
            "<g class=\"cell\" data-busy=\"" + fixed(worst, 4) + "\"><title>" +
            esc(join(names, "; "), 1024) + "</title><rect x=\"" + std::to_string(x) + "\" y=\"" +
            std::to_string(y) + "\" width=\"" + std::to_string(kCellW - 2) + "\" height=\"" +
            std::to_string(kCellH - 2) + "\" fill=\"rgb(255," + std::to_string(shade) + "," +
            std::to_string(shade) + ")\" stroke=\"#ccc\"/><text x=\"" +
            std::to_string(x + kCellW / 2 - 1) + "\" y=\"" + std::to_string(y + kCellH / 2 + 3) +
            "\" text-anchor=\"middle\"" + (worst > 0.6 ? " fill=\"#fff\"" : "") + ">" +
            esc(texts.size() > 2 ? texts.front() + " \u2026 (" + std::to_string(texts.size()) + ")"
                                 : join(texts, " / ")) +
            "</text></g>";
      }
    }
    out_ += "</svg>\n";
  }

  void failures() {
    out_ += "<section id=\"failures\">\n<h2>6. Failures</h2>\n";
    std::size_t count = 0;
    for (const auto& c : report_.checks)
      if (c.status == Status::fail || c.status == Status::error) ++count;
    if (count == 0) {
      out_ += "<p>No check failed or errored.</p>\n</section>\n";
      return;
    }
    out_ += "<p>" + std::to_string(count) +
            " failed or errored check(s), each with its whole "
            "message (bounded at " +
            std::to_string(kPageMessageBytes / 1024) + " KiB).</p>\n";
    for (const auto& c : report_.checks) {
      if (c.status != Status::fail && c.status != Status::error) continue;
      std::vector<std::string> reqs;
      for (const auto& id : c.requirements) reqs.push_back(spec_link(id));
      out_ += "<article class=\"failure " + status_class(c.status) + "\" data-check=\"" +
              esc(c.id, 512) + "\" data-roles=\"" + esc(roles_text(c), 512) + "\" data-run=\"" +
              esc(c.run_id) + "\" data-status=\"" + status_name(c.status) +
              "\">\n<h3><span class=\"badge " + status_class(c.status) + "\">" +
              status_name(c.status) + "</span> " + esc(c.id, 512) + "</h3>\n<p>" +
              esc(where_text(report_, c), 512) +
              " \u00b7 requirements: " + (reqs.empty() ? std::string("none") : join(reqs, ", ")) +
              " \u00b7 " + fixed(c.duration_ms, 0) + " ms \u00b7 run <code>" + esc(c.run_id) +
              "</code></p>\n";
      out_ += "<pre class=\"message\">" + esc(c.message, kPageMessageBytes) + "</pre>\n";
      if (!c.measurements.empty())
        out_ += "<details><summary>measurements</summary><pre class=\"measurements\">" +
                esc(c.measurements.dump(1, ' ', false, nlohmann::json::error_handler_t::replace),
                    kPageStderrBytes) +
                "</pre></details>\n";
      std::size_t shown = 0;
      for (const auto& [agent, tail] : c.agent_stderr) {
        if (++shown > 8) break;
        out_ += "<details open><summary>stderr of " + esc(agent) +
                " (last lines)</summary><pre class=\"stderr\">" + esc(tail, kPageStderrBytes) +
                "</pre></details>\n";
      }
      if (!c.logs.empty()) {
        std::vector<std::string> logs;
        for (std::size_t i = 0; i < c.logs.size() && i < 8; ++i)
          logs.push_back("<code>" + esc(c.logs[i], 1024) + "</code>");
        out_ += "<p class=\"muted\">logs: " + join(logs, ", ") + "</p>\n";
      }
      out_ += "</article>\n";
    }
    out_ += "</section>\n";
  }

  void change_table(const std::string& title, const std::vector<ReportDiff::Change>& changes,
                    const std::string& kind) {
    out_ += "<h3>" + title + " (" + std::to_string(changes.size()) + ")</h3>\n";
    if (changes.empty()) return;
    out_ += "<table class=\"diff\" data-kind=\"" + kind +
            "\"><tr><th>check</th><th>where</th>"
            "<th>before</th><th>now</th></tr>\n";
    for (const auto& c : changes) {
      auto cell = [](const std::optional<Status>& s) {
        return s ? "<td class=\"" + status_class(s) + "\">" + status_name(*s) + "</td>"
                 : std::string("<td class=\"s-none\">absent</td>");
      };
      out_ += "<tr><td>" + esc(c.id, 512) + "</td><td>" + esc(c.where, 512) + "</td>" +
              cell(c.before) + cell(c.after) + "</tr>\n";
    }
    out_ += "</table>\n";
  }

  void diff() {
    out_ += "<section id=\"diff\">\n<h2>7. Diff against the baseline</h2>\n";
    if (!options_.baseline) {
      out_ += "<p>No baseline given (<code>--baseline OLD.json</code>).</p>\n</section>\n";
      return;
    }
    const ReportDiff d = diff_reports(*options_.baseline, report_, options_.busy_threshold);
    out_ += "<p data-regressed=\"" + std::string(d.regressed() ? "yes" : "no") + "\">Baseline " +
            esc(options_.baseline_name, 1024) + ": " +
            (d.regressed() ? "<span class=\"verdict-bad\">worse</span>"
                           : "<span class=\"verdict-ok\">nothing got worse</span>") +
            " (" + std::to_string(d.new_failures.size()) + " new failure(s), " +
            std::to_string(d.worse_status) + " worse status(es), " + std::to_string(d.worse_busy) +
            " busy rate(s) up by more than " + percent(options_.busy_threshold) + ").</p>\n";
    change_table("New failures", d.new_failures, "new-failures");
    change_table("Fixed", d.fixed, "fixed");
    change_table("Other status changes", d.status_changes, "status-changes");
    change_table("Checks added", d.added, "added");
    change_table("Checks removed", d.removed, "removed");
    out_ += "<h3>Busy-rate changes beyond " + percent(options_.busy_threshold) + " (" +
            std::to_string(d.busy_changes.size()) + ")</h3>\n";
    if (!d.busy_changes.empty()) {
      out_ +=
          "<table class=\"diff\" data-kind=\"busy\"><tr><th>geometry</th><th>where</th>"
          "<th>before</th><th>now</th></tr>\n";
      for (const auto& b : d.busy_changes)
        out_ += "<tr><td>" + esc(b.geometry) + "</td><td>" + esc(b.where, 512) +
                "</td><td class=\"num\">" + percent(b.before) + "</td><td class=\"num " +
                (b.after > b.before ? "s-fail" : "s-pass") + "\">" + percent(b.after) +
                "</td></tr>\n";
      out_ += "</table>\n";
    }
    out_ += "</section>\n";
  }

  // The mutation self-test: how much of what breaks a requirement the suite catches.
  void strength() {
    out_ += "<section id=\"strength\">\n<h2>8. Suite strength (mutation self-test)</h2>\n";
    if (!options_.mutation) {
      out_ +=
          "<p>No mutation report given (<code>--mutation mutants.json</code>, written by "
          "<code>ci/mutants</code>).</p>\n</section>\n";
      return;
    }
    const MutationScore& m = *options_.mutation;
    const auto rate = m.kill_rate();
    const std::size_t scored = m.mutants - m.excused;
    out_ += "<p>Kill rate <strong data-kill-rate=\"" + (rate ? fixed(*rate, 4) : "none") +
            "\" class=\"" + (m.survived == 0 ? "verdict-ok" : "verdict-bad") + "\">" +
            (rate ? percent(*rate) : "none") + "</strong> (" + std::to_string(m.killed) + " of " +
            std::to_string(scored) + " scored mutants killed, " + std::to_string(m.survived) +
            " survived, " + std::to_string(m.excused) + " excused) &mdash; each mutant is the " +
            esc(m.agent) + " agent with one fault against one requirement, run " + esc(m.mode) +
            (m.finished_at.empty() ? "" : " (" + esc(m.finished_at) + ")") + ".</p>\n";
    out_ +=
        "<table class=\"strength\"><tr><th>family</th><th>mutants</th><th>killed</th>"
        "<th>excused</th><th>kill rate</th></tr>\n";
    for (const auto& f : m.families) {
      const std::size_t family_scored = f.mutants - f.excused;
      const bool all = f.killed == family_scored;
      out_ += "<tr data-family=\"" + esc(f.name) + "\" data-mutants=\"" +
              std::to_string(f.mutants) + "\" data-killed=\"" + std::to_string(f.killed) +
              "\"><td>" + esc(f.name) + "</td><td class=\"num\">" + std::to_string(f.mutants) +
              "</td><td class=\"num\">" + std::to_string(f.killed) + "</td><td class=\"num\">" +
              std::to_string(f.excused) + "</td><td class=\"num " + (all ? "s-pass" : "s-fail") +
              "\">" +
              (family_scored ? percent(static_cast<double>(f.killed) / family_scored) : "none") +
              "</td></tr>\n";
    }
    out_ += "</table>\n";
    if (m.not_killed.empty()) {
      out_ += "<p>Every mutant was killed.</p>\n</section>\n";
      return;
    }
    out_ += "<h3>Not killed (" + std::to_string(m.not_killed.size()) + ")</h3>\n";
    out_ +=
        "<table class=\"strength\" data-kind=\"not-killed\"><tr><th>mutant</th>"
        "<th>requirement</th><th>status</th><th>why</th></tr>\n";
    for (const auto& mutant : m.not_killed)
      out_ += "<tr><td>" + esc(mutant.name) + "</td><td>" + spec_link(mutant.requirement) +
              "</td><td class=\"" + (mutant.status == "survived" ? "s-fail" : "s-skip") + "\">" +
              esc(mutant.status) + "</td><td>" +
              esc(mutant.status == "excused" ? mutant.excuse : mutant.description, 1024) +
              "</td></tr>\n";
    out_ += "</table>\n</section>\n";
  }

  const Report& report_;
  const DashboardOptions& options_;
  std::vector<std::string> implementations_;  // rows, in order of first appearance
  std::vector<std::string> legs_;             // columns, sorted
  std::string out_;
};

std::string roles_key(const Check& c) {
  std::string key;
  for (const auto& [role, name] : c.implementations) key += role + "=" + name + ";";
  return key;
}

}  // namespace

bool ReportDiff::regressed() const {
  return !new_failures.empty() || worse_status > 0 || worse_busy > 0;
}

ReportDiff diff_reports(const Report& baseline, const Report& current, double busy_threshold) {
  struct Entry {
    std::string id, where;
    Status status;
  };
  auto index = [](const Report& report) {
    std::map<std::string, Entry> entries;  // key -> worst status of that key
    for (const auto& c : report.checks) {
      const std::string leg = check_leg(report, c);
      const std::string roles = roles_text(c);
      const std::string key = c.id + '\x1f' + roles_key(c) + '\x1f' + leg;
      Entry entry{c.id, (roles.empty() ? std::string("no implementation") : roles) + " @ " + leg,
                  c.status};
      auto [it, inserted] = entries.emplace(key, entry);
      if (!inserted && severity(c.status) > severity(it->second.status))
        it->second.status = c.status;
    }
    return entries;
  };
  const auto before = index(baseline);
  const auto after = index(current);
  auto failed = [](Status s) { return s == Status::fail || s == Status::error; };
  ReportDiff diff;
  for (const auto& [key, now] : after) {
    auto old = before.find(key);
    if (old == before.end()) {
      ReportDiff::Change change{now.id, now.where, std::nullopt, now.status};
      (failed(now.status) ? diff.new_failures : diff.added).push_back(change);
      continue;
    }
    if (old->second.status == now.status) continue;
    ReportDiff::Change change{now.id, now.where, old->second.status, now.status};
    if (failed(now.status) && !failed(old->second.status)) {
      diff.new_failures.push_back(change);
    } else if (failed(old->second.status) && now.status == Status::pass) {
      diff.fixed.push_back(change);
    } else {
      if (severity(now.status) > severity(old->second.status)) ++diff.worse_status;
      diff.status_changes.push_back(change);
    }
  }
  for (const auto& [key, old] : before)
    if (!after.contains(key)) diff.removed.push_back({old.id, old.where, old.status, std::nullopt});

  auto geometry_index = [](const Report& report) {
    std::map<std::string, std::pair<std::string, double>> rates;  // key -> (where, worst rate)
    for (const auto& g : report.geometries) {
      const std::string where = geometry_where(report, g);
      const std::string key = g.name + '\x1f' + where;
      auto [it, inserted] = rates.emplace(key, std::pair{where, g.busy_rate});
      if (!inserted) it->second.second = std::max(it->second.second, g.busy_rate);
    }
    return rates;
  };
  const auto old_rates = geometry_index(baseline);
  for (const auto& [key, now] : geometry_index(current)) {
    auto old = old_rates.find(key);
    if (old == old_rates.end()) continue;
    if (std::fabs(now.second - old->second.second) <= busy_threshold) continue;
    diff.busy_changes.push_back(
        {key.substr(0, key.find('\x1f')), now.first, old->second.second, now.second});
    if (now.second > old->second.second) ++diff.worse_busy;
  }
  return diff;
}

std::string dashboard_html(const Report& report, const DashboardOptions& options) {
  return Page(report, options).render();
}

}  // namespace pipecheck::harness

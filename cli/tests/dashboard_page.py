"""The dashboard page in a real browser: headless Chromium with every network request failing,
the DOM it builds parsed back, and what the page must show computed independently from the report
JSON (not with pipecheck's code). Used by dashboard_browser.py (ctest) and ci/dashboard (the page
of the reports ci/test produced).

Chromium flags follow the field notes: --headless --no-sandbox (as root) --disable-gpu, no first
run, no background networking, a fresh --user-data-dir per run, and
--host-resolver-rules="MAP * ~NOTFOUND" so that nothing can be fetched.
"""

import html.parser
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib

BROWSER_TIMEOUT_S = 90
SEVERITY = {"pass": 0, "skip": 1, "unsupported": 2, "fail": 3, "error": 4}
CONTROL_OK = "\n\t"


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_browser(url, *extra, timeout=BROWSER_TIMEOUT_S):
    """Runs headless Chromium on `url` with `extra` flags; (CompletedProcess, seconds)."""
    browser = chromium()
    if browser is None:
        raise SystemExit("chromium not found: ci/bootstrap installs Debian's chromium")
    with tempfile.TemporaryDirectory(prefix="pc-chromium-") as profile:
        command = [browser, "--headless", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", "--hide-scrollbars",
                   f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
                   *extra, url]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, timeout=timeout)
        return done, time.monotonic() - started


def dump_dom(page):
    done, seconds = run_browser("file://" + os.path.abspath(page), "--dump-dom")
    if done.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom exited {done.returncode}: "
                           f"{done.stderr.decode('utf-8', 'replace')[-2000:]}")
    return done.stdout.decode("utf-8"), seconds


def screenshot(page, png, width, height):
    done, seconds = run_browser("file://" + os.path.abspath(page), f"--screenshot={png}",
                                f"--window-size={width},{height}")
    if done.returncode != 0 or not os.path.exists(png):
        raise RuntimeError(f"chromium --screenshot exited {done.returncode}: "
                           f"{done.stderr.decode('utf-8', 'replace')[-2000:]}")
    return seconds


def png_facts(png):
    """(width, height, distinct byte values of the decoded scanlines): a blank page has very few."""
    with open(png, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png}: not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    pixels = zlib.decompress(idat)
    return width, height, len(set(pixels))


class Dom(html.parser.HTMLParser):
    """Elements of the dumped DOM: every tag (for injection checks), the cells with data-
    attributes, and the text of each failure's message."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []          # (tag, attrs dict)
        self.section = None
        self.matrix = {}        # (impl, leg) -> status
        self.requirements = {}  # (req, impl) -> status
        self.interop = {}       # (server, client) -> {check: status}
        self.failures = {}      # (check id, roles, run) -> message text
        self.totals = {}
        self.kill_rate = None   # data-kill-rate of the suite-strength section
        self.families = {}      # family -> (mutants, killed)
        self._req = None
        self._failure = None
        self._capture = None    # ("message" | "total", key)
        self._text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("section", "header") and a.get("id"):
            self.section = a["id"]
        if self.section == "matrix" and tag == "td" and "data-leg" in a:
            self.matrix[(a["data-impl"], a["data-leg"])] = a["data-status"]
        if self.section == "requirements" and tag == "tr" and "data-req" in a:
            self._req = a["data-req"]
        if self.section == "requirements" and tag == "td" and "data-impl" in a:
            self.requirements[(self._req, a["data-impl"])] = a["data-status"]
        if self.section == "interop" and tag == "td" and "data-server" in a:
            self._cell = (a["data-server"], a["data-client"])
            self.interop[self._cell] = {} if a["data-status"] != "none" else None
        if self.section == "interop" and tag == "span" and "data-check" in a:
            self.interop[self._cell][a["data-check"]] = a["data-status"]
        if self.section == "failures" and tag == "article":
            self._failure = (a.get("data-check"), a.get("data-roles"), a.get("data-run"))
        if self.section == "failures" and tag == "pre" and "message" in a.get("class", "").split():
            self._capture, self._text = ("message", self._failure), []
        if self.section == "strength" and "data-kill-rate" in a:
            self.kill_rate = a["data-kill-rate"]
        if self.section == "strength" and tag == "tr" and "data-family" in a:
            self.families[a["data-family"]] = (int(a["data-mutants"]), int(a["data-killed"]))
        if tag == "td" and "data-total" in a:
            self._capture, self._text = ("total", a["data-total"]), []

    def handle_endtag(self, tag):
        if self._capture and tag in ("pre", "td"):
            kind, key = self._capture
            text = "".join(self._text)
            if kind == "message":
                self.failures[key] = text
            else:
                self.totals[key] = int(text)
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)


# --- what the page must show, from the JSON alone -------------------------------------------

def implementations_of(check):
    """Role order agent, server, client, then the other roles (sorted), each name once."""
    roles = check.get("implementations", {})
    names = []
    for role in ["agent", "server", "client"] + sorted(roles):
        name = roles.get(role)
        if name and name not in names:
            names.append(name)
    return names


def leg_of(runs, run_id, implementation):
    run = runs.get(run_id)
    if run is None:
        return "unknown"
    host = run["os"] or "unknown"
    for info in run["implementations"]:
        if info["name"] == implementation and info["platform"]:
            leg = f"{info['platform']}-{info['arch'] or run['arch']}"
            return leg if info["platform"] == host else f"{leg} on {host}"
    return f"{host}-{run['arch']}"


def worst(statuses):
    return max(statuses, key=lambda s: SEVERITY[s])


def clean(text):
    """What the page shows of a message: CRLF as LF, other control characters as U+FFFD."""
    text = text.replace("\r\n", "\n")
    return "".join(c if c >= " " and c != "\x7f" and not ("\x80" <= c <= "\x9f") or c in CONTROL_OK
                   else "\ufffd" for c in text)


def expectations(report_files):
    """Statuses per matrix cell, requirement × implementation and interop letter; the failures
    (id -> message); totals. From the reports' JSON; inputs are assumed free of duplicates."""
    runs, checks = {}, []
    for path in report_files:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        for run in report["runs"]:
            runs.setdefault(run["run_id"], run)
        checks.extend(report["checks"])
    matrix, requirements, interop, failures, totals = {}, {}, {}, {}, {}
    for c in checks:
        roles = c.get("implementations", {})
        names = implementations_of(c) or ["(none)"]
        leg = leg_of(runs, c["run"], implementations_of(c)[0] if implementations_of(c) else "")
        totals[c["status"]] = totals.get(c["status"], 0) + 1
        for name in names:
            matrix.setdefault((name, leg), []).append(c["status"])
            for req in c["requirements"]:
                requirements.setdefault((req, name), []).append(c["status"])
        if c["id"].startswith("Interop/") and "server" in roles and "client" in roles:
            test = c["id"].split(".", 1)[1].split("/", 1)[0]
            cell = interop.setdefault((roles["server"], roles["client"]), {})
            cell.setdefault(test, []).append(c["status"])
        if c["status"] in ("fail", "error"):
            roles_text = " ".join(f"{k}={v}" for k, v in sorted(roles.items()))
            failures[(c["id"], roles_text, c["run"])] = clean(c["message"])
    totals["checks"] = len(checks)
    return {
        "matrix": {k: worst(v) for k, v in matrix.items()},
        "requirements": {k: worst(v) for k, v in requirements.items()},
        "interop": {k: {t: worst(s) for t, s in v.items()} for k, v in interop.items()},
        "failures": failures,
        "totals": totals,
    }


def compare(dom, expected, checks):
    """Adds one expectation per part of the page to `checks` (cli_support.Checks)."""
    page_matrix = {k: v for k, v in dom.matrix.items() if v != "none"}
    checks.expect(page_matrix == expected["matrix"], "matrix cells hold the reports' statuses",
                  f"page {sorted(page_matrix.items())[:20]}\nJSON {sorted(expected['matrix'].items())[:20]}")
    page_reqs = {k: v for k, v in dom.requirements.items() if v != "not-run"}
    checks.expect(page_reqs == expected["requirements"],
                  "requirement cells hold the statuses of the checks naming them",
                  f"page-only {sorted(set(page_reqs.items()) - set(expected['requirements'].items()))[:10]}\n"
                  f"JSON-only {sorted(set(expected['requirements'].items()) - set(page_reqs.items()))[:10]}")
    page_interop = {k: v for k, v in dom.interop.items() if v is not None}
    checks.expect(page_interop == expected["interop"], "interop letters hold the reports' statuses",
                  f"page {page_interop}\nJSON {expected['interop']}")
    for key, message in expected["failures"].items():
        shown = dom.failures.get(key)
        checks.expect(shown == message, f"the failures section holds the whole message of {key}"[:200],
                      f"page {shown!r:.300}\nJSON {message!r:.300}")
    checks.expect(len(dom.failures) == len(expected["failures"]), "one failure entry per failed check",
                  f"{len(dom.failures)} on the page, {len(expected['failures'])} in the reports")
    totals = {k: v for k, v in dom.totals.items() if v or k == "checks"}
    checks.expect(totals == expected["totals"], "totals are the reports' counts",
                  f"page {dom.totals} JSON {expected['totals']}")


def external_references(page_text):
    """Attributes that would fetch something (none may exist: the page is self-contained)."""
    dom = Dom(page_text)
    found = []
    for tag, attrs in dom.tags:
        for name in ("src", "srcset", "data", "poster"):
            if name in attrs:
                found.append(f"<{tag} {name}={attrs[name]}>")
        if tag == "link":
            found.append(f"<link {attrs}>")
        if tag in ("script", "iframe", "object", "embed", "img"):
            found.append(f"<{tag}>")
    return found


def compare_strength(dom, mutation_file, checks):
    """The suite-strength section against the mutation report (testing/mutants/run.py)."""
    with open(mutation_file, encoding="utf-8") as f:
        report = json.load(f)
    rate = report["summary"]["kill_rate"]
    checks.expect(dom.kill_rate == ("none" if rate is None else f"{rate:.4f}"),
                  "the kill rate is the mutation report's", f"page {dom.kill_rate} JSON {rate}")
    families = {}
    for m in report["mutants"]:
        family = m["requirement"].split("-")[0]
        mutants, killed = families.get(family, (0, 0))
        families[family] = (mutants + 1, killed + (m["status"] == "killed"))
    checks.expect(dom.families == families, "one row per requirement family with its counts",
                  f"page {dom.families}\nJSON {families}")

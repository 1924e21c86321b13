"""The dashboard in a real browser (headless Chromium, every network request failing): generated
reports of two platform legs and several implementations are rendered with `pipecheck report
html`, loaded from file://, and the DOM must hold exactly the statuses computed independently from
the JSON (dashboard_page.py), every failed check's whole message, no external reference; a
screenshot must be a non-blank PNG of the window size; hostile content (<script>, quotes, control
characters, a 1 MB message) must come out escaped and bounded with no injected element.
Also: `pipecheck report junit` is read back with Debian's python3-junitparser (when the Python
running this has it) and validated with xmllint against docs/formats/junit.xsd."""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from cli_support import Checks, arguments
from dashboard_page import (Dom, compare, compare_strength, dump_dom, expectations,
                            external_references, png_facts, screenshot)

SCREEN = (1400, 1000)
SUITES = {
    "Hash": ["Vectors", "LocaleIndependent", "EveryFieldCounts"],
    "Naming": ["PathBudget", "StrictParse"],
    "Close": ["UnlinksOnlyItsOwnFile", "IsIdempotent"],
    "Dial": ["BusyIsReported", "Timeout"],
    "Listener": ["QueueSizeIsHonoured"],
}
REQUIREMENTS = ["HASH-1", "HASH-9", "HASH-10", "NAME-4", "NAME-6", "LSN-4", "LSN-5", "DIAL-3",
                "SEC-3", "WIRE-1", "DISC-2"]


def run_entry(run_id, impls):
    return {"run_id": run_id, "state": "complete", "pipecheck_version": "0.1.0", "os": "linux",
            "os_release": "6.1.0", "arch": "x64", "compiler": "GNU 12.2.0",
            "git_commit": "unknown", "host": "ci-host", "started_at": "2026-12-02T05:00:00.000Z",
            "finished_at": "2026-12-02T05:04:00.000Z",
            "implementations": [{"name": n, "version": "1.0", "platform": p, "arch": "x64",
                                 "capabilities": ["listen"]} for n, p in impls]}


def check_entry(check_id, run_id, status, roles, rng, message=None):
    if message is None:
        message = "" if status == "pass" else (
            f"{check_id.split('.')[0].lower()}.cpp:{rng.randint(10, 400)}: Expected equality of "
            f"these values:\n  admitted\n    Which is: {rng.randint(0, 9)}\n  queue_size + 1\n"
            f"    Which is: 6\nagent {roles} said: \"busy\" <at> 'attempt' & more\n\tindented")
    entry = {"id": check_id, "run": run_id, "requirements": rng.sample(REQUIREMENTS, 2),
             "status": status, "duration_ms": rng.randint(1, 900), "message": message,
             "implementations": roles, "measurements": {"attempts": rng.randint(1, 50)},
             "logs": []}
    if status in ("fail", "error"):
        agent = next(iter(roles.values()), "none")
        entry["agent_stderr"] = {f"server-0 ({agent})": "listening\nfatal: EAGAIN\n"}
    return entry


def report_document(runs, checks, geometries=()):
    summary = {"checks": len(checks), "geometries": len(geometries), "conflicts": 0}
    for status in ("pass", "fail", "skip", "unsupported", "error"):
        summary[status] = sum(1 for c in checks if c["status"] == status)
    return {"format": "pipecheck-report", "format_version": 1, "runs": runs, "checks": checks,
            "geometries": list(geometries), "conflicts": [], "summary": summary}


def geometry_entry(run_id, server, queue, clients, busy):
    return {"name": f"q{queue}-c{clients}", "run": run_id, "check": "Backlog.Geometry",
            "parameters": {"queue_size": queue, "accept_workers": 1, "client_processes": clients,
                           "client_threads": 1},
            "server": server, "client": server, "outcomes": {"ok": 100, "busy": int(busy * 100)},
            "busy_rate": busy, "latency_us": {"p50": 40, "p90": 90, "p99": 300, "max": 900,
                                              "method": "samples"},
            "accepts_per_s": 40000, "wall_ms": 12, "errors": []}


def leg_reports(rng):
    """A Linux leg (3 implementations, interop 3 × 3) and a Windows leg under Wine."""
    # Per implementation a different worst status, so that the matrix is not one colour.
    pools = {"reference": ["pass"] * 4 + ["skip"], "node": ["pass"] * 4 + ["unsupported", "fail"],
             "python": ["pass"] * 3 + ["error", "fail", "skip"],
             "reference-windows": ["pass"] * 3 + ["skip", "unsupported"]}
    linux_impls = ["reference", "node", "python"]
    checks = []
    for impl in linux_impls:
        for suite, tests in SUITES.items():
            for test in tests:
                checks.append(check_entry(f"{suite}.{test}", "linux", rng.choice(pools[impl]),
                                          {"agent": impl}, rng))
    for server in linux_impls:
        for client in linux_impls:
            for test in ("RoundTrip", "Discovery", "Backlog"):
                # The pool of the better-behaved of the two, so every row keeps its own worst.
                pool = pools[min(server, client, key=linux_impls.index)]
                checks.append(check_entry(f"Interop/Interop.{test}/server_{server}_client_{client}",
                                          "linux", rng.choice(pool),
                                          {"server": server, "client": client}, rng))
    checks.append(check_entry("Environment.SetUpTearDown", "linux", "error", {}, rng))
    geometries = [geometry_entry("linux", s, q, c, round(rng.random(), 3))
                  for s in linux_impls for q in (0, 1, 16) for c in (2, 8)]
    linux = report_document([run_entry("linux", [(i, "linux") for i in linux_impls])], checks,
                            geometries)
    win_checks = [check_entry(f"{suite}.{test}", "windows", rng.choice(pools["reference-windows"]),
                              {"agent": "reference-windows"}, rng)
                  for suite, tests in SUITES.items() for test in tests]
    windows = report_document([run_entry("windows", [("reference-windows", "windows")])],
                              win_checks, [geometry_entry("windows", "reference-windows", 1, 8, 0.4)])
    return linux, windows


def hostile_report(rng):
    run = run_entry("hostile", [("evil\"><script>alert(1)</script>", "linux")])
    run["host"] = "<iframe src=\"https://evil.invalid/\"></iframe>"
    payload = ("<script>document.body.innerHTML='pwned'</script>\"'><img src=x onerror=alert(1)>"
               "<svg onload=alert(2)>\u0000\u001b[31m\u0085 &amp; </pre></article>")
    checks = [
        check_entry("Evil.<script>alert(3)</script>", "hostile", "fail",
                    {"agent": "evil\"><script>alert(1)</script>"}, rng, payload),
        check_entry("Evil.Huge", "hostile", "error", {"agent": "evil\"><script>alert(1)</script>"},
                    rng, "<b>" + "x" * (1 << 20) + "</b>"),
    ]
    checks[0]["agent_stderr"] = {"<script>x</script>": "</pre><script>alert(4)</script>"}
    checks[0]["logs"] = ["javascript:alert(5)"]
    return report_document([run], checks)


def mutation_report(rng):
    """A mutation self-test report (docs/formats/mutation-report.md) with random outcomes."""
    mutants = []
    for i in range(rng.randint(5, 30)):
        status = rng.choice(["killed"] * 6 + ["survived", "excused"])
        entry = {"name": f"mutant_{i}", "requirement": rng.choice(REQUIREMENTS),
                 "description": "one fault <b>\"'&", "status": status, "killed_by": []}
        if status == "excused":
            entry["excuse"] = "cannot be provoked <here>"
        mutants.append(entry)
    count = {s: sum(m["status"] == s for m in mutants) for s in ("killed", "survived", "excused")}
    scored = len(mutants) - count["excused"]
    return {"format": "pipecheck-mutation-report", "format_version": 1, "agent": "python",
            "mode": "targeted", "mutants": mutants,
            "summary": {"mutants": len(mutants), **count,
                        "kill_rate": round(count["killed"] / scored, 4) if scored else None}}


def write_json(path, document):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f)


def render(args, out, *inputs):
    done = subprocess.run([*args.command, "report", "html", out, *inputs], capture_output=True,
                          timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"report html exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    with open(out, encoding="utf-8") as f:
        return f.read()


def junit(args, checks, scratch, report_file, expected_tests):
    out = os.path.join(scratch, "junit.xml")
    done = subprocess.run([*args.command, "report", "junit", report_file, out],
                          capture_output=True, timeout=60)
    checks.expect(done.returncode == 0, "report junit exits 0", done.stderr.decode()[-2000:])
    xsd = os.path.join(args.fixtures, os.pardir, "docs", "formats", "junit.xsd")
    lint = subprocess.run(["xmllint", "--noout", "--schema", xsd, out], capture_output=True,
                          timeout=60)
    checks.expect(lint.returncode == 0, "the JUnit XML is valid against docs/formats/junit.xsd",
                  lint.stderr.decode()[-2000:])
    # Debian's python3-junitparser lives in the system Python; run it there.
    probe = subprocess.run(["/usr/bin/python3", "-c", "import junitparser"], capture_output=True)
    checks.expect(probe.returncode == 0, "python3-junitparser is installed (ci/bootstrap)",
                  probe.stderr.decode())
    if probe.returncode != 0:
        return
    code = (
        "import json, sys, junitparser\n"
        "xml = junitparser.JUnitXml.fromfile(sys.argv[1])\n"
        "out = {}\n"
        "for suite in xml:\n"
        "    for case in suite:\n"
        "        kind = [type(r).__name__ for r in case.result] or ['Pass']\n"
        "        out[case.classname + '|' + case.name] = kind[0]\n"
        "print(json.dumps(out))\n")
    read = subprocess.run(["/usr/bin/python3", "-c", code, out], capture_output=True, timeout=60)
    checks.expect(read.returncode == 0, "junitparser reads the JUnit XML", read.stderr.decode())
    if read.returncode == 0:
        kinds = json.loads(read.stdout)
        counts = {}
        for kind in kinds.values():
            counts[kind] = counts.get(kind, 0) + 1
        checks.expect(counts == expected_tests, "junitparser sees one testcase per check with its "
                      "result (Failure, Error, Skipped, or none)", f"{counts} != {expected_tests}")


def main():
    args = arguments()
    checks = Checks()
    rng = random.Random(10)
    with tempfile.TemporaryDirectory(prefix="pc-dashboard-") as scratch:
        linux, windows = leg_reports(rng)
        inputs = [os.path.join(scratch, "linux.json"), os.path.join(scratch, "windows.json")]
        write_json(inputs[0], linux)
        write_json(inputs[1], windows)
        page = os.path.join(scratch, "index.html")
        mutation = os.path.join(scratch, "mutants.json")
        write_json(mutation, mutation_report(rng))
        text = render(args, page, *inputs, "--mutation", mutation)
        checks.expect(external_references(text) == [], "the page references nothing outside itself",
                      external_references(text)[:5])
        dom_text, seconds = dump_dom(page)
        print(f"chromium --dump-dom of the page: {seconds:.2f} s, page {len(text)} bytes")
        dom = Dom(dom_text)
        compare(dom, expectations(inputs), checks)
        compare_strength(dom, mutation, checks)
        ids = [a.get("id") for t, a in dom.tags if t in ("section", "header") and a.get("id")]
        checks.expect(ids == ["header", "matrix", "requirements", "interop", "geometries",
                              "failures", "diff", "strength"], "the eight sections, in order", ids)

        png = os.path.join(scratch, "shot.png")
        screenshot(page, png, *SCREEN)
        width, height, distinct = png_facts(png)
        checks.expect((width, height) == SCREEN, "the screenshot has the window's size",
                      f"{width}x{height}")
        checks.expect(distinct > 20, "the screenshot is not blank", f"{distinct} distinct bytes")
        if os.environ.get("PIPECHECK_SCREENSHOT"):
            shutil.copyfile(png, os.environ["PIPECHECK_SCREENSHOT"])

        statuses = [c["status"] for c in linux["checks"] + windows["checks"]]
        expected_tests = {"Pass": statuses.count("pass"), "Failure": statuses.count("fail"),
                          "Error": statuses.count("error"),
                          "Skipped": statuses.count("skip") + statuses.count("unsupported")}
        merged = os.path.join(scratch, "merged.json")
        subprocess.run([*args.command, "report", "merge", merged, *inputs], capture_output=True,
                       timeout=60, check=True)
        junit(args, checks, scratch, merged, {k: v for k, v in expected_tests.items() if v})

        hostile = os.path.join(scratch, "hostile.json")
        write_json(hostile, hostile_report(rng))
        hostile_page = os.path.join(scratch, "hostile.html")
        text = render(args, hostile_page, hostile)
        checks.expect(len(text) < 256 * 1024, "a 1 MB message is bounded on the page",
                      f"{len(text)} bytes")
        dom_text, _ = dump_dom(hostile_page)
        dom = Dom(dom_text)
        injected = [(t, a) for t, a in dom.tags
                    if t in ("script", "img", "iframe", "svg", "b", "object", "embed")
                    and not (t == "svg" and a.get("class") in ("heatmap", "totals-bar"))]
        injected += [(t, a) for t, a in dom.tags if any(k.startswith("on") for k in a)]
        checks.expect(injected == [], "no injected element or handler in the DOM", injected[:5])
        articles = [a for t, a in dom.tags if t == "article"]
        checks.expect(len(articles) == 2, "each hostile failure is one article", len(articles))
        evil_roles = "agent=evil\"><script>alert(1)</script>"
        shown = dom.failures.get(("Evil.<script>alert(3)</script>", evil_roles, "hostile"), "")
        checks.expect("<script>document.body.innerHTML='pwned'</script>\"'>" in shown,
                      "hostile text is shown as text", shown[:300])
        checks.expect("\ufffd" in shown and "\u0000" not in shown and "\u001b" not in shown,
                      "control characters are replaced by U+FFFD", repr(shown[:200]))
        huge = dom.failures.get(("Evil.Huge", evil_roles, "hostile"), "")
        checks.expect(len(huge) < 32 * 1024 and "more bytes]" in huge,
                      "the 1 MB message is cut and says so", f"{len(huge)} characters")
        checks.expect("pwned" not in dom_text.split("<body", 1)[1].split(">", 1)[1][:200],
                      "the page body is the dashboard, not the payload", dom_text[:300])
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

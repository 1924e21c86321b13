"""Hostile agents and hostile files against `pipecheck run` and `pipecheck report` (issue 12):
- a reply nested 400,000 deep and a reply with invalid UTF-8 are `error` entries (with the limit,
  the escaped line and the stderr tail) while the reference implementation in the same run is
  unaffected;
- JSON files nested 50,000 deep (report, registry, expected findings) are refused with a clear
  error naming the file and the limit, never a crash;
- a child an agent leaves in a session of its own (setsid) is gone when the run ends, and when a
  suite run directly ends;
- an orphan that exits while a suite runs is reaped at once: no defunct child of `pipecheck run`."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from cli_support import Checks, arguments, read_valid_report

RUN_BOUND_S = 240
HOSTILE = ["broken-deep-json", "broken-bad-utf8", "broken-escape"]
DEEP = 50000


def state(pid):
    """The process state letter ("S", "Z", ...) or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return ""


def zombie_children(parent):
    zombies = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] == "Z" and int(fields[1]) == parent:
            zombies.append(int(entry))
    return zombies


def read_pids(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [int(p) for p in f.read().split()]


def kill_leftovers(pids):
    for pid in pids:
        if state(pid) not in ("", "Z"):
            os.kill(pid, signal.SIGKILL)


def write_registry(args, scratch, pidfile):
    with open(os.path.join(args.fixtures, "impls.json"), encoding="utf-8") as f:
        reference = [i for i in json.load(f)["implementations"] if i["name"] == "reference"]
    broken_agent = os.path.join(args.fixtures, os.pardir, "testing", "doubles", "broken_agent.py")
    capabilities = ["hash.pipecheck", "hash.msbuild", "discover", "listen", "listen.queue_size",
                    "dial", "dial.retry", "dial.threads", "dial.barrier", "close", "counters"]
    entries = reference + [{
        "name": name,
        "description": "hostile test agent: " + name,
        "command": ["python3", broken_agent, name[len("broken-"):]],
        "platforms": ["linux"],
        "capabilities": capabilities,
        "env": {"BROKEN_AGENT_CAPABILITIES": ",".join(capabilities),
                "BROKEN_AGENT_PIDFILE": pidfile},
    } for name in HOSTILE]
    registry = os.path.join(scratch, "hostile-impls.json")
    with open(registry, "w", encoding="utf-8") as f:
        json.dump({"implementations": entries}, f)
    return registry


def hostile_agents(args, checks, scratch):
    pidfile = os.path.join(scratch, "escaped.pids")
    registry = write_registry(args, scratch, pidfile)
    report_file = os.path.join(scratch, "hostile.json")
    run = subprocess.run(
        [*args.command, "run", "--impl", ",".join(["reference", *HOSTILE]), "--suite", "wire",
         "--registry", registry, "--report", report_file],
        capture_output=True, timeout=RUN_BOUND_S)
    output = run.stdout.decode("utf-8", "replace") + run.stderr.decode("utf-8", "replace")
    checks.expect(run.returncode == 1, "the run exits 1 (the hostile agents' checks are errors)",
                  f"exit {run.returncode}\n{output[-3000:]}")
    escaped = read_pids(pidfile)
    checks.expect(escaped and all(state(p) == "" for p in escaped),
                  "every child an agent left in its own session is gone when the run ends",
                  f"recorded {escaped}, alive {[p for p in escaped if state(p)]}")
    kill_leftovers(escaped)
    report = read_valid_report(args.command, report_file, checks, output)
    if report is None:
        return

    def checks_of(impl):
        return [c for c in report.get("checks", [])
                if impl in c.get("implementations", {}).values()]

    reference = [c for c in checks_of("reference")
                 if set(c.get("implementations", {}).values()) == {"reference"}]
    checks.expect(reference and all(c["status"] in ("pass", "skip", "unsupported")
                                    for c in reference),
                  "the reference implementation's checks in the same run are unaffected",
                  [(c["id"], c["status"], c.get("message", "")[:200]) for c in reference
                   if c["status"] not in ("pass", "skip", "unsupported")] or "no checks")
    deep = checks_of("broken-deep-json")
    checks.expect(deep and all(c["status"] == "error" and
                               "nested deeper than 128" in c.get("message", "") for c in deep),
                  "a reply nested 400,000 deep is an error naming the limit",
                  [(c["id"], c["status"], c.get("message", "")[:300]) for c in deep])
    utf8 = checks_of("broken-bad-utf8")
    checks.expect(utf8 and all(c["status"] == "error" and
                               "not valid UTF-8" in c.get("message", "") and
                               "L\\\\xff\\\\xfe1" in c.get("message", "") and
                               "stderr_tail" in c.get("message", "") for c in utf8),
                  "invalid UTF-8 is an error with the escaped line and the stderr tail",
                  [(c["id"], c["status"], c.get("message", "")[:400]) for c in utf8])


def suite_run_directly(args, checks, scratch):
    """`ctest -L conformance` runs suite executables without `pipecheck run`."""
    suite = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.pipecheck))),
                         "suites", "suite_wire")
    if not checks.expect(os.path.exists(suite), "suite_wire is built next to pipecheck", suite):
        return
    pidfile = os.path.join(scratch, "escaped-direct.pids")
    registry = write_registry(args, scratch, pidfile)
    env = dict(os.environ, PIPECHECK_IMPLS="broken-escape", PIPECHECK_REGISTRY=registry,
               PIPECHECK_REPORT=os.path.join(scratch, "direct.json"))
    subprocess.run([suite], capture_output=True, timeout=RUN_BOUND_S, env=env)
    escaped = read_pids(pidfile)
    checks.expect(escaped and all(state(p) == "" for p in escaped),
                  "every child an agent left in its own session is gone when the suite ends",
                  f"recorded {escaped}, alive {[p for p in escaped if state(p)]}")
    kill_leftovers(escaped)


def orphans_reaped(args, checks, scratch):
    doubles = os.path.join(os.path.abspath(args.fixtures), os.pardir, "testing", "doubles")
    build_dir = os.path.join(scratch, "build")
    os.makedirs(os.path.join(build_dir, "suites"))
    with open(os.path.join(build_dir, "suites", "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"format": "pipecheck-suite-manifest",
                   "suites": [{"name": "orphaning",
                               "executable": os.path.join(doubles, "orphaning_suite.py"),
                               "timeout_s": 60}]}, f)
    pidfile = os.path.join(scratch, "orphans.pids")
    env = dict(os.environ, ORPHANING_SUITE_PIDS=pidfile)
    run = subprocess.Popen([*args.command, "run", "--impl", "reference", "--build-dir", build_dir,
                            "--report", os.path.join(scratch, "orphans.json")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while not read_pids(pidfile) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    pids = read_pids(pidfile)
    if checks.expect(len(pids) == 2, "the stand-in suite left its two children", pids):
        time.sleep(1.0)  # the quitter exited 0.2 s after it started; the run polls every 0.1 s
        checks.expect(run.poll() is None, "the stand-in suite still runs")
        checks.expect(zombie_children(run.pid) == [],
                      "no defunct child of pipecheck run while the suite runs",
                      zombie_children(run.pid))
    output, _ = run.communicate(timeout=60)
    checks.expect(run.returncode == 0, "the run exits 0", output.decode("utf-8", "replace")[-2000:])
    checks.expect(all(state(p) == "" for p in pids),
                  "the suite's escaped children are gone when the run ends",
                  [p for p in pids if state(p)])
    kill_leftovers(pids)


def deep_files(args, checks, scratch):
    deep = os.path.join(scratch, "deep.json")
    with open(deep, "w", encoding="utf-8") as f:
        f.write('{"format": "pipecheck-report", "runs": ' + "[" * DEEP + "]" * DEEP + "}")
    fine = os.path.join(args.fixtures, os.pardir, "reports", "expected", "synthetic.json")
    runs = {
        "report validate": ["report", "validate", deep],
        "report summary": ["report", "summary", deep],
        "report ctrf": ["report", "ctrf", deep, os.path.join(scratch, "out.ctrf.json")],
        "report merge": ["report", "merge", os.path.join(scratch, "merged.json"), fine, deep],
        "run --registry": ["run", "--impl", "reference", "--registry", deep,
                           "--report", os.path.join(scratch, "r.json")],
        "run --expect": ["run", "--impl", "reference", "--expect", deep, "--suite", "none",
                         "--report", os.path.join(scratch, "e.json")],
    }
    for name, argv in runs.items():
        result = subprocess.run([*args.command, *argv], capture_output=True, timeout=60)
        err = result.stderr.decode("utf-8", "replace")
        checks.expect(result.returncode == 2 and deep in err and "128" in err,
                      f"{name} refuses a file nested {DEEP} deep: exit 2 naming the file and limit",
                      f"exit {result.returncode}: {err[-600:]}")


def main():
    args = arguments()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="pc-hostile-") as scratch:
        deep_files(args, checks, scratch)
        orphans_reaped(args, checks, scratch)
        hostile_agents(args, checks, scratch)
        suite_run_directly(args, checks, scratch)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

"""`pipecheck run` against deliberately broken agents (crash, hang, garbage) still writes a
complete, schema-valid report in which their checks are `error` entries, and exits 1."""

import json
import os
import subprocess
import sys
import tempfile

from cli_support import Checks, arguments, read_valid_report

BROKEN = ["broken-crash", "broken-hang", "broken-garbage"]
RUN_BOUND_S = 240  # the hanging agent costs one request timeout per check


def main():
    args = arguments()
    checks = Checks()
    registry = os.path.join(args.fixtures, os.pardir, "testing", "doubles", "broken-impls.json")
    with tempfile.TemporaryDirectory(prefix="pc-broken-") as scratch:
        report_file = os.path.join(scratch, "broken.json")
        run = subprocess.run(
            [*args.command, "run", "--impl", ",".join(BROKEN), "--suite", "wire",
             "--registry", registry, "--report", report_file],
            capture_output=True, timeout=RUN_BOUND_S)
        output = run.stdout.decode("utf-8", "replace") + run.stderr.decode("utf-8", "replace")
        checks.expect(run.returncode == 1, "a run with broken agents exits 1",
                      f"exit {run.returncode}\n{output[-2000:]}")
        report = read_valid_report(args.command, report_file, checks, output)
        if report is None:
            return checks.finish()
        runs = report.get("runs", [])
        checks.expect(runs and runs[0].get("state") == "complete",
                      "the run is complete, not interrupted", json.dumps(runs)[:500])
        for impl in BROKEN:
            mine = [c for c in report.get("checks", [])
                    if impl in c.get("implementations", {}).values()]
            checks.expect(len(mine) >= 3, f"{impl}: every wire check is in the report",
                          [c.get("id") for c in mine])
            # Every wire check needs its agent to answer, so none of them can pass or fail.
            checks.expect(all(c.get("status") == "error" for c in mine),
                          f"{impl}: its checks are `error` entries",
                          [(c.get("id"), c.get("status")) for c in mine])
            checks.expect(all("stderr_tail" in c.get("message", "") for c in mine),
                          f"{impl}: each error says what happened, with the agent's stderr tail",
                          [c.get("message", "")[:300] for c in mine])
            # The stderr tail is also a field of its own (the dashboard and summaries show it).
            tails = [t for c in mine for t in c.get("agent_stderr", {}).values()]
            checks.expect(len(tails) >= len(mine) and all("broken agent" in t for t in tails),
                          f"{impl}: each error carries its agent's stderr tail (agent_stderr)",
                          [c.get("agent_stderr") for c in mine][:3])
        summary = subprocess.run([*args.command, "report", "summary", report_file],
                                 capture_output=True, timeout=60)
        text = summary.stdout.decode("utf-8", "replace")
        checks.expect("stderr of" in text and "| broken agent 'crash'" in text,
                      "report summary shows the agents' stderr tails", text[-1500:])
        # summary --expect: exit 0 when every error is a listed finding, 1 when one is not.
        failed = [c for c in report.get("checks", []) if c.get("status") in ("fail", "error")]
        findings = [{"impl": next(iter(c["implementations"].values())), "check": c["id"],
                     "status": c["status"], "reason": "a broken agent (testing/doubles)"}
                    for c in failed]
        for listed, code in ((findings, 0), (findings[1:], 1)):
            expected = os.path.join(scratch, "expected.json")
            with open(expected, "w", encoding="utf-8") as f:
                json.dump({"format": "pipecheck-expected-findings", "format_version": 1,
                           "findings": listed}, f)
            done = subprocess.run([*args.command, "report", "summary", report_file, "--expect",
                                   expected], capture_output=True, timeout=60)
            text = done.stdout.decode("utf-8", "replace")
            checks.expect(done.returncode == code and
                          ("expectations met" if code == 0 else "1 new") in text,
                          f"report summary --expect with {len(listed)} of {len(failed)} failures "
                          f"listed exits {code}", f"exit {done.returncode}: {text[-800:]}")
        checks.expect(os.path.isdir(os.path.join(scratch, ".broken.json.parts"))
                      and not os.path.exists(os.path.join(scratch, "broken.json.parts")),
                      "part reports go to the hidden .broken.json.parts beside the report",
                      os.listdir(scratch))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

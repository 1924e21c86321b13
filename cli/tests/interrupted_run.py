"""SIGTERM to `pipecheck run` while a suite hangs: the run ends within its grace bound, the
report is written and marked interrupted, keeps what the suite had finished, turns the rest into
`error` entries, and no process the suite started outlives the run."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from cli_support import Checks, arguments, read_valid_report

START_BOUND_S = 30   # until the stand-in suite has written its PIDs
END_BOUND_S = 20     # SIGTERM, 5 s grace, SIGKILL, merge


def gone(pid):
    """True when `pid` has ended (a zombie waiting for its reaper counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def main():
    args = arguments()
    checks = Checks()
    doubles = os.path.join(os.path.abspath(args.fixtures), os.pardir, "testing", "doubles")
    with tempfile.TemporaryDirectory(prefix="pc-interrupt-") as scratch:
        build_dir = os.path.join(scratch, "build")
        os.makedirs(os.path.join(build_dir, "suites"))
        with open(os.path.join(build_dir, "suites", "manifest.json"), "w") as f:
            json.dump({"format": "pipecheck-suite-manifest",
                       "suites": [{"name": "hanging",
                                   "executable": os.path.join(doubles, "hanging_suite.py"),
                                   "timeout_s": 600}]}, f)
        pids_file = os.path.join(scratch, "pids")
        report_file = os.path.join(scratch, "report.json")
        env = dict(os.environ, HANGING_SUITE_PIDS=pids_file)
        run = subprocess.Popen([*args.command, "run", "--impl", "reference",
                                "--build-dir", build_dir, "--report", report_file],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_BOUND_S
        while not os.path.exists(pids_file) and time.monotonic() < deadline:
            if run.poll() is not None:
                break
            time.sleep(0.05)
        pids = []
        if os.path.exists(pids_file):
            with open(pids_file, encoding="utf-8") as f:
                pids = [int(p) for p in f.read().split()]
        if not checks.expect(len(pids) == 2, "the stand-in suite started and wrote its PIDs",
                             f"pipecheck run exit {run.poll()}"):
            run.kill()
            run.wait(10)
            return checks.finish()

        time.sleep(0.3)  # let pipecheck run pick up the part report (it polls every 100 ms)
        sent = time.monotonic()
        run.send_signal(signal.SIGTERM)
        try:
            output, _ = run.communicate(timeout=END_BOUND_S)
        except subprocess.TimeoutExpired:
            run.kill()
            output, _ = run.communicate(timeout=10)
        took = time.monotonic() - sent
        text = output.decode("utf-8", "replace")
        checks.expect(run.returncode == 143, "pipecheck run exits 143 after SIGTERM",
                      f"exit {run.returncode} after {took:.1f} s\n{text[-2000:]}")
        checks.expect(took < END_BOUND_S, f"it ends within {END_BOUND_S} s", f"{took:.1f} s")
        checks.expect(all(gone(pid) for pid in pids),
                      "the suite and the agent it started (both ignoring SIGTERM) are gone",
                      [pid for pid in pids if not gone(pid)])
        for pid in pids:  # clean up after a failure above
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)

        report = read_valid_report(args.command, report_file, checks, text)
        if report is None:
            return checks.finish()
        run_info = report["runs"][0]
        checks.expect(run_info.get("state") == "interrupted" and
                      run_info.get("interrupted_by") == "SIGTERM",
                      "the run is marked interrupted by SIGTERM", json.dumps(run_info)[:400])
        by_id = {c["id"]: c for c in report.get("checks", [])}
        finished = by_id.get("Hanging.Finishes", {})
        checks.expect(finished.get("status") == "pass" and
                      finished.get("measurements", {}).get("answer") == 42,
                      "the check the suite finished is kept with its measurements", finished)
        unfinished = by_id.get("Hanging.NeverFinishes", {})
        checks.expect(unfinished.get("status") == "error" and
                      "stopped by SIGTERM" in unfinished.get("message", ""),
                      "the unfinished check is an error that says why", unfinished)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A stand-in suite executable for cli/tests/interrupted_run.py: lists two tests, writes a part
report in which the first has passed, starts an "agent" child, records both PIDs, then hangs. Both
ignore SIGTERM, the worst case for `pipecheck run`'s clean-up."""

import json
import os
import signal
import subprocess
import sys
import time

if "--gtest_list_tests" in sys.argv:
    print("Hanging.\n  Finishes\n  NeverFinishes")
    sys.exit(0)

signal.signal(signal.SIGTERM, signal.SIG_IGN)
agent = subprocess.Popen([sys.executable, "-c",
                          "import signal, time\n"
                          "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                          "time.sleep(600)\n"])
run = {"run_id": os.environ["PIPECHECK_RUN_ID"], "state": "running",
       "started_at": "2000-01-01T00:00:00.000Z", "finished_at": None, "pipecheck_version": "test", "os": "linux",
       "os_release": "test", "arch": "x64", "compiler": "test", "host": "test",
       "git_commit": "unknown", "implementations": []}
check = {"id": "Hanging.Finishes", "requirements": ["DIAL-1"], "status": "pass",
         "duration_ms": 1.0, "message": "", "measurements": {"answer": 42}, "logs": [],
         "implementations": {}, "run": run["run_id"]}
report = {"format": "pipecheck-report", "format_version": 1, "runs": [run], "checks": [check],
          "geometries": [], "conflicts": [], "summary": {"checks": 1, "pass": 1, "fail": 0, "skip": 0,
                                       "unsupported": 0, "error": 0, "conflicts": 0,
                                       "geometries": 0}}
part = os.environ["PIPECHECK_REPORT"]
with open(part + ".tmp", "w", encoding="utf-8") as f:
    json.dump(report, f)
os.rename(part + ".tmp", part)
with open(os.environ["HANGING_SUITE_PIDS"], "w", encoding="utf-8") as f:
    f.write(f"{os.getpid()} {agent.pid}\n")
time.sleep(600)

#!/usr/bin/env python3
"""A stand-in suite executable for cli/tests/hostile_agents_run.py. Its "agent" leaves two
children in sessions of their own and exits: one exits 0.2 s later (an orphan `pipecheck run` must
reap at once), one sleeps 10 minutes (an escapee it must kill when the suite ends). Writes a part
report with one passed check, the PIDs to $ORPHANING_SUITE_PIDS, then runs 3 s and exits 0."""

import json
import os
import sys
import time

if "--gtest_list_tests" in sys.argv:
    print("Orphaning.\n  LeavesChildren")
    sys.exit(0)

read_end, write_end = os.pipe()
agent = os.fork()
if agent == 0:
    pids = []
    for seconds in (0.2, 600):
        pid = os.fork()
        if pid == 0:
            os.setsid()
            time.sleep(seconds)
            os._exit(0)
        pids.append(pid)
    os.write(write_end, (" ".join(map(str, pids)) + "\n").encode())
    os._exit(0)
os.waitpid(agent, 0)
os.close(write_end)
pids = os.read(read_end, 100).decode().split()

run = {"run_id": os.environ["PIPECHECK_RUN_ID"], "state": "complete",
       "started_at": "2000-01-01T00:00:00.000Z", "finished_at": "2000-01-01T00:00:01.000Z",
       "pipecheck_version": "test", "os": "linux", "os_release": "test", "arch": "x64",
       "compiler": "test", "host": "test", "git_commit": "unknown", "implementations": []}
check = {"id": "Orphaning.LeavesChildren", "requirements": ["DIAL-1"], "status": "pass",
         "duration_ms": 1.0, "message": "", "measurements": {}, "logs": [],
         "implementations": {}, "run": run["run_id"]}
report = {"format": "pipecheck-report", "format_version": 1, "runs": [run], "checks": [check],
          "geometries": [], "conflicts": [],
          "summary": {"checks": 1, "pass": 1, "fail": 0, "skip": 0, "unsupported": 0, "error": 0,
                      "conflicts": 0, "geometries": 0}}
part = os.environ["PIPECHECK_REPORT"]
with open(part + ".tmp", "w", encoding="utf-8") as f:
    json.dump(report, f)
os.rename(part + ".tmp", part)
with open(os.environ["ORPHANING_SUITE_PIDS"], "w", encoding="utf-8") as f:
    f.write(" ".join(pids) + "\n")
time.sleep(3)

#!/usr/bin/env python3
"""Golden test of the mutation report (docs/formats/mutation-report.md): build_report() on a
fixed catalog and fixed suite results must equal expected-report.json. Covers a kill, a kill
not credited because the check fails on the baseline, an excused and a plain survivor.

    python3 testing/mutants/tests/report_test.py            # exit 1 and a diff on mismatch
    python3 testing/mutants/tests/report_test.py --update   # rewrite the golden file
"""

import difflib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import run  # noqa: E402

MUTANTS = [
    {"name": "killed_one", "requirement": "LSN-2", "family": "LSN", "description": "A fault.",
     "checks": {"close": ["Close.A"]}, "excuse": None},
    {"name": "baseline_broken", "requirement": "DIAL-5", "family": "DIAL",
     "description": "A fault only a broken check sees.", "checks": {"backlog": ["Backlog.B"]},
     "excuse": None},
    {"name": "excused_one", "requirement": "SEC-4", "family": "SEC", "description": "Needs root.",
     "checks": {"unix": ["UnixOnly.C"]}, "excuse": "needs a second uid"},
]


def result(statuses, log=""):
    return {"statuses": statuses, "seconds": 1.25, "log": log}


RESULTS = {
    ("baseline", "close"): result({"Close/Close.A": "pass"}),
    ("baseline", "backlog"): result({"Backlog/Backlog.B": "fail"}),
    ("baseline", "unix"): result({"Unix/UnixOnly.C": "skip"}),
    ("killed_one", "close"): result({"Close/Close.A": "fail"}),
    ("baseline_broken", "backlog"): result({"Backlog/Backlog.B": "fail"}, "B failed\n"),
    ("excused_one", "unix"): result({"Unix/UnixOnly.C": "skip"}, "skipped: not root\n"),
}


def main():
    report = run.build_report(MUTANTS, RESULTS, "targeted", 3.5, "2026-12-02T06:00:00Z")
    text = json.dumps(report, indent=1) + "\n"
    golden = HERE / "expected-report.json"
    if "--update" in sys.argv:
        golden.write_text(text)
        return 0
    expected = golden.read_text()
    if text != expected:
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True),
                                                   text.splitlines(True), str(golden), "actual"))
        return 1
    print("mutation report matches", golden)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Exit 0 when every failed or errored check of REPORT is a finding of IMPL listed in
fixtures/expected-findings.json with that status, else 1 (listing what is not). For the steps
that run a suite executable directly (the Windows leg's geometries) instead of `pipecheck run
--expect`, which does the same comparison in full.

  python3 ci/tools/known_findings.py REPORT.json EXPECTED.json IMPL
"""

import json
import sys


def main():
    report_file, expected_file, impl = sys.argv[1:4]
    report = json.load(open(report_file, encoding="utf-8"))
    listed = {(f["check"], f["status"]): f["reason"]
              for f in json.load(open(expected_file, encoding="utf-8"))["findings"]
              if f["impl"] == impl}
    new = 0
    for check in report["checks"]:
        if check["status"] not in ("fail", "error"):
            continue
        reason = listed.get((check["id"], check["status"]))
        if reason:
            print(f"known finding: {check['status']}  {check['id']}: {reason}")
        else:
            print(f"NEW: {check['status']}  {check['id']}: {check.get('message', '')[:2000]}")
            new += 1
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())

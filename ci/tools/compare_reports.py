#!/usr/bin/env python3
"""Compares two pipecheck reports of the same implementation check by check: the same check ids
with the same statuses. Used by ci/windows-wine to compare the run with the harness and suites as
Windows programs (pipecheck.exe run under Wine) with the Linux-driven run of the same agent.

  compare_reports.py LINUX_REPORT WINDOWS_REPORT --known fixtures/windows-host-differences.json

Every difference is printed. A difference listed in --known (id, linux status, windows status,
reason; explained in docs/windows-leg.md) is expected; any other one fails (exit 1), and so does
a listed one that no longer occurs (the list must stay true).
"""

import argparse
import json
import sys

MAX_REPORT_BYTES = 64 << 20


def load(path):
    with open(path, "rb") as f:
        data = f.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        sys.exit(f"{path}: over {MAX_REPORT_BYTES} bytes")
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        sys.exit(f"{path}: not JSON: {e}")


def statuses(report, path):
    checks = report.get("checks")
    if not isinstance(checks, list):
        sys.exit(f"{path}: field 'checks': expected an array of checks")
    out = {}
    for i, check in enumerate(checks):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str):
            sys.exit(f"{path}: /checks/{i}/id: expected a string")
        out[check["id"]] = (check.get("status"), check.get("message", ""))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("linux")
    parser.add_argument("windows")
    parser.add_argument("--known", help="JSON list of expected differences")
    args = parser.parse_args()
    linux, windows = statuses(load(args.linux), args.linux), statuses(load(args.windows), args.windows)
    known = {}
    if args.known:
        for i, entry in enumerate(load(args.known).get("differences", [])):
            for field in ("id", "linux", "windows", "reason"):
                if not isinstance(entry.get(field), str):
                    sys.exit(f"{args.known}: /differences/{i}/{field}: expected a string")
            known[entry["id"]] = entry
    differences = []
    for check_id in sorted(set(linux) | set(windows)):
        a = linux.get(check_id, ("absent", ""))
        b = windows.get(check_id, ("absent", ""))
        if a[0] != b[0]:
            differences.append((check_id, a, b))
    unexpected = 0
    for check_id, a, b in differences:
        entry = known.get(check_id)
        expected = entry is not None and entry["linux"] == a[0] and entry["windows"] == b[0]
        unexpected += not expected
        print(f"{'known' if expected else 'UNEXPECTED'}: {check_id}: Linux-driven {a[0]}, "
              f"Windows-host {b[0]}" + (f" ({entry['reason']})" if expected else
                                        f"\n    Linux: {a[1][:300]}\n    Windows: {b[1][:300]}"))
    seen = {check_id for check_id, _, _ in differences}
    stale = sorted(set(known) - seen)
    for check_id in stale:
        print(f"STALE: {check_id} is listed as a difference but both runs agree")
    same = len(set(linux) & set(windows)) - len([d for d in differences if d[1][0] != "absent" and d[2][0] != "absent"])
    print(f"compared {len(set(linux) | set(windows))} checks: {same} with the same status, "
          f"{len(differences)} differences ({unexpected} unexpected), {len(stale)} stale entries")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compares two pipecheck reports of the same implementation check by check: the same check ids
with the same statuses. Used by ci/windows-wine to compare the run with the harness and suites as
Windows programs (pipecheck.exe run under Wine) with the Linux-driven run of the same agent.

  compare_reports.py LINUX_REPORT WINDOWS_REPORT --known fixtures/windows-host-differences.json
      [--suites hash,wire --parts DIR]

With --suites (the Windows-host run ran a subset of the Linux-driven run's suites), only the checks
of those suites are compared: the test suites each one lists in DIR/suite_<name>.tests.txt (its
--gtest_list_tests output, written by `pipecheck run` into the Linux-driven report's parts folder).

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


def test_suites(parts, suites):
    """The GoogleTest test-suite names ("Wire/Wire.") the suites' test lists name."""
    prefixes = []
    for suite in suites:
        path = f"{parts}/suite_{suite}.tests.txt"
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read(1 << 20).splitlines()
        except OSError as e:
            sys.exit(f"{path}: cannot read the test list of suite {suite}: {e}")
        found = [line.split("#")[0].strip() for line in lines if line and not line[0].isspace()]
        if not found:
            sys.exit(f"{path}: no test suite listed")
        prefixes += found
    return prefixes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("linux")
    parser.add_argument("windows")
    parser.add_argument("--known", help="JSON list of expected differences")
    parser.add_argument("--suites", help="compare only these suites (comma-separated)")
    parser.add_argument("--parts", help="the Linux-driven run's parts folder (with --suites)")
    args = parser.parse_args()
    linux, windows = statuses(load(args.linux), args.linux), statuses(load(args.windows), args.windows)
    prefixes = ("",)
    if args.suites:
        if not args.parts:
            sys.exit("--suites needs --parts (where the suites' test lists are)")
        prefixes = tuple(test_suites(args.parts, args.suites.split(",")))
        linux = {k: v for k, v in linux.items() if k.startswith(prefixes)}
        windows = {k: v for k, v in windows.items() if k.startswith(prefixes)}
        print(f"comparing the suites {args.suites} (test suites {', '.join(prefixes)})")
    known = {}
    if args.known:
        for i, entry in enumerate(load(args.known).get("differences", [])):
            for field in ("id", "linux", "windows", "reason"):
                if not isinstance(entry.get(field), str):
                    sys.exit(f"{args.known}: /differences/{i}/{field}: expected a string")
            if entry["id"].startswith(prefixes):  # outside the compared suites: not stale
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

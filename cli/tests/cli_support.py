"""Shared helpers of the pipecheck CLI tests: argument parsing, bounded runs, checks.

Every test takes --pipecheck and --fixtures; the cross build also passes --platform windows (the
platform pipecheck was built for) and --emulator (ci/wine/run, once per word of the command
prefix), and every run goes through `args.command`: [*emulator, pipecheck].
"""

import argparse
import json
import os
import platform
import subprocess
import sys

RUN_TIMEOUT_S = 20


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipecheck", required=True, help="the pipecheck executable")
    parser.add_argument("--fixtures", required=True, help="the fixtures/ directory")
    parser.add_argument("--platform", choices=("posix", "windows"), default="posix",
                        help="what pipecheck was built for (default posix)")
    parser.add_argument("--emulator", action="append", default=[], metavar="WORD",
                        help="command prefix every run goes through, one word per --emulator "
                             "(the cross builds: ci/wine/run, qemu-s390x -L /usr/s390x-linux-gnu)")
    parser.add_argument("--arch", default=host_arch(),
                        help="the architecture pipecheck was built for, in HASH-4's spelling, or "
                             "`none` where HASH-4 has no name for it (s390x); default: this machine's")
    parser.add_argument("--no-harness", dest="harness", action="store_false",
                        help="pipecheck was built without the harness (no run and report)")
    args = parser.parse_args()
    args.command = [*args.emulator, args.pipecheck]
    args.windows = args.platform == "windows"
    return args


def host_arch():
    """This machine's architecture in HASH-4's spelling, `none` if it has none."""
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
            "i686": "x86", "i386": "x86", "armv7l": "arm"}.get(platform.machine().lower(), "none")


def run(command, *args, env=None):
    """Runs `command` (args.command) with `args` to completion (bounded); the CompletedProcess
    (bytes). stdin is /dev/null: none of these commands reads it, and an inherited stdin differs
    between ctest (which hands every test its own stdin) and a terminal; under Wine a terminal on
    stdin also starts a console host for the program."""
    return subprocess.run([*command, *args], capture_output=True, timeout=RUN_TIMEOUT_S, env=env,
                          stdin=subprocess.DEVNULL)


def outcome(result):
    """A run's exit code, stdout and stderr for a failure message. A Windows program under Wine
    that exits 1 with no output at all never ran (pipecheck prints on every exit path)."""
    return f"exit {result.returncode}, stdout {result.stdout[-600:]!r}, stderr {result.stderr[-600:]!r}"


def run_json(command, *args):
    result = run(command, *args, "--json")
    lines = result.stdout.decode("utf-8").splitlines()
    return result, [json.loads(line) for line in lines if line]


def read_valid_report(command, report_file, checks, output=""):
    """The report `pipecheck run` wrote to `report_file`, after checking it exists and that
    `pipecheck report validate` accepts it; None when it is missing. `output` (the run's) goes
    into the failure message of a missing report."""
    if not checks.expect(os.path.exists(report_file), "the report is written", output[-2000:]):
        return None
    validated = subprocess.run([*command, "report", "validate", report_file],
                               capture_output=True, timeout=60)
    checks.expect(validated.returncode == 0, "the report is schema-valid",
                  validated.stdout.decode() + validated.stderr.decode())
    with open(report_file, encoding="utf-8") as f:
        return json.load(f)


class Checks:
    """Counts failed expectations and prints each one; exit code 1 if any failed."""

    def __init__(self):
        self.failures = 0
        self.passed = 0

    def expect(self, condition, message, details=""):
        if condition:
            self.passed += 1
        else:
            self.failures += 1
            print(f"FAIL: {message}" + (f"\n      {details}" if details else ""), file=sys.stderr)
        return condition

    def finish(self):
        print(f"{self.passed} checks passed, {self.failures} failed")
        if self.passed == 0:
            print("FAIL: no checks ran", file=sys.stderr)
            return 1
        return 1 if self.failures else 0

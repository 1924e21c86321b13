#!/usr/bin/env python3
"""cli_bad_input: bad input exits 2 with nothing on stdout and an error on stderr that names the
option and the rule; --help works for every subcommand (exit 0, usage on stdout).

The Windows build (--platform windows, under Wine) gets the cases that exist there: not the
invalid UTF-8 salt (Windows passes arguments as UTF-16, and Wine turns the bytes into U+FFFD on
the way) nor the root over the 104-byte budget (a pipe path does not contain the root), but a
queue size over the 63 pipe instances of a Windows listener (WIN-6). A build without the harness
(--no-harness: the qemu-user legs) refuses `run` and `report` with exit 2 saying where to run them."""

import sys

from cli_support import Checks, arguments, run

PIPECHECK = ["--kind", "worker", "--version", "17.8", "--arch", "x64", "--salt", "s"]
MSBUILD = ["--profile", "msbuild", "--options", "16777352", "--salt", "-5", "--version", "17.8"]

CASES = [
    ([], ["usage: pipecheck <command>"]),
    (["frobnicate"], ['unknown command "frobnicate"']),
    (["hash"], ["option --kind: field 'kind': missing (HASH-1"]),
    (["hash", *PIPECHECK[:6]], ["option --salt: field 'salt': missing"]),
    (["hash", *PIPECHECK, "--version", "1.x"], ["option --version is given twice"]),
    (["hash", "--kind", "worker", "--version", "1.x", "--arch", "x64", "--salt", "s"],
     ["option --version: field 'version': part 2 \"x\" is not a decimal integer (HASH-3"]),
    (["hash", "--kind", "Worker", "--version", "1", "--arch", "x64", "--salt", "s"], ["option --kind:", "HASH-2"]),
    (["hash", "--kind", "w", "--version", "1", "--arch", "amd64", "--salt", "s"], ["option --arch:", "HASH-4"]),
    (["hash", *PIPECHECK, "--user", "01000"], ["option --user:", "HASH-6"]),
    (["hash", *PIPECHECK, "--profile", "nope"], ["option --profile:", "expected pipecheck, pipecheck/1 or msbuild"]),
    (["hash", *MSBUILD, "--kind", "w"], ["option --kind: field 'kind': unknown field (HASH-20"]),
    (["hash", "--profile", "msbuild", "--options", "+1", "--salt", "0", "--version", "1"],
     ["option --options:", "HASH-20"]),
    (["hash", *MSBUILD, "--session", "2147483648"], ["option --session:", "out of range"]),
    (["hash", *PIPECHECK, "--bogus"], ["unknown option --bogus"]),
    (["hash", *PIPECHECK, "--pid"], ["option --pid needs a value"]),
    (["hash", "--kind", "w", "--version", "1", "--arch", "x64", "--salt", "--json"],
     ["option --salt needs a value (TEXT), got the option \"--json\"", "--salt=VALUE"]),
    (["hash", "--kind", "--version", "1", "--arch", "x64", "--salt", "s"],
     ["option --kind needs a value (KIND), got the option \"--version\""]),
    (["hash", *PIPECHECK, "--pid", "12ab"], ["option --pid:"]),
    (["hash", *PIPECHECK, "--prefix", "a-b"], ["option --prefix:", "NAME-2"]),
    (["hash", *PIPECHECK, "stray"], ['unexpected argument "stray"']),
    (["discover", *PIPECHECK, "--reclaim=yes"], ["option --reclaim takes no value"]),
    (["dial", *PIPECHECK], ["give exactly one of --pid and --path"]),
    (["dial", *PIPECHECK, "--pid", "1", "--path", "/x"], ["give exactly one of --pid and --path"]),
    (["dial", *PIPECHECK, "--pid", "-1"], ["option --pid:"]),
    (["serve", *PIPECHECK, "--queue-size", "-1"], ["option --queue-size:"]),
    (["serve", *PIPECHECK, "--count", "0"], ["option --count:"]),
    (["serve", *PIPECHECK, "--workers", "1000"], ["option --workers:"]),
    (["serve", "--kind", "w", "--version", "1", "--arch", "x64"], ["option --salt: field 'salt': missing"]),
]

POSIX_CASES = [
    (["hash", "--kind", "w", "--version", "1", "--arch", "x64", "--salt", b"\xc0\xaf"],
     ["option --salt:", "invalid UTF-8", "overlong", "HASH-5"]),
    (["hash", *PIPECHECK, "--pid", "0"], ["option --pid:", "not a decimal integer in 1..2147483647"]),
    (["hash", *PIPECHECK, "--root", "/" + "r" * 80], ["bytes over the 104-byte budget", "NAME-6"]),
]

WINDOWS_CASES = [
    (["hash", *PIPECHECK, "--pid", "0"], ["option --pid:", "not a decimal integer in 1..4294967295"]),
    (["serve", *PIPECHECK, "--queue-size", "64"], ["option --queue-size: field 'queue_size': 64 is over 63"]),
]

# A build without the harness (the qemu-user legs' cross builds) has no run and no report.
NO_HARNESS_CASES = [
    (["run", "--impl", "reference"], ["not in this build", "no harness", "docs/platforms.md"]),
    (["report", "validate", "report.json"], ["not in this build", "no harness"]),
]


def listed_commands(usage):
    """The command names of `pipecheck --help`: the first word of each line under "commands:"."""
    lines = usage.splitlines()
    start = lines.index("commands:") + 1 if "commands:" in lines else len(lines)
    names = []
    for line in lines[start:]:
        if not line.strip():
            break
        names.append(line.split()[0])
    return names


def main():
    args = arguments()
    checks = Checks()
    cases = CASES + (WINDOWS_CASES if args.windows else POSIX_CASES)
    if not args.harness:
        cases += NO_HARNESS_CASES
    for argv, wanted in cases:
        result = run(args.command, *argv)
        label = " ".join(repr(a) if isinstance(a, bytes) else a for a in argv) or "(no arguments)"
        stderr = result.stderr.decode("utf-8", "replace")
        checks.expect(result.returncode == 2, f"{label}: exit code 2", f"got {result.returncode}, stderr {stderr!r}")
        checks.expect(result.stdout == b"", f"{label}: nothing on stdout", f"{result.stdout!r}")
        for text in wanted:
            checks.expect(text in stderr, f"{label}: stderr says {text!r}", f"stderr {stderr!r}")
    for command in ("hash", "discover", "serve", "dial"):
        result = run(args.command, command, "--help")
        checks.expect(result.returncode == 0 and result.stdout.startswith(f"usage: pipecheck {command}".encode()),
                      f"{command} --help: exit 0 and usage on stdout", f"{result}")
        checks.expect(b"--profile" in result.stdout and b"--json" in result.stdout, f"{command} --help lists options")
    result = run(args.command, "--help")
    commands = listed_commands(result.stdout.decode("utf-8", "replace"))
    wanted = ["hash", "discover", "serve", "dial"] + (["run", "report"] if args.harness else [])
    checks.expect(result.returncode == 0 and commands == wanted,
                  "pipecheck --help lists every command of this build" +
                  ("" if args.harness else " (not run and report, which need the harness)"),
                  f"listed {commands}, {result}")
    if not args.harness:
        checks.expect(b"not in this build: run and report need the harness" in result.stdout,
                      "pipecheck --help says run and report are not in this build", f"{result}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""cli_hash_vectors: `pipecheck hash --json` reproduces the golden vectors (HASH-31) — key, hash,
name and path — and refuses a path over budget with exit code 2.

Vectors with arch `*` were resolved for x64 (`resolved_arch`). Built for another architecture
(--arch, the qemu-user legs), `*` must resolve to that one (HASH-4): the same key and hash as the
explicit architecture, a key line `arch=<it>`, and a hash other than the x64 vector's. Where
HASH-4 has no name for the machine (--arch none: s390x), `*` exits 2 naming --arch.

The vectors carry their users explicitly (`user_form` uid or sid, HASH-6): a POSIX build compares
the uid vectors and a Windows build (--platform windows, run under Wine) the SID vectors, and each
refuses the other form with an error naming --user. Paths: POSIX `{root}/{prefix}-{euid}/{name}`
(pipecheck) or `{root}/{name}` (msbuild) within the 104-byte budget (NAME-6); Windows
`\\\\.\\pipe\\{name}` within 256 characters (NAME-7), whatever the root."""

import json
import os
import pathlib
import sys

from cli_support import Checks, arguments, outcome, run_json

PIPE_NAMESPACE = "\\\\.\\pipe\\"
WINDOWS_PIPE_LIMIT = 256  # characters of the whole pipe path


def expected_path(args, profile, vector):
    """The path `pipecheck hash --root /tmp` prints for `vector`, and whether it is over budget."""
    if args.windows:
        path = PIPE_NAMESPACE + vector["name"]
        return path, len(path) > WINDOWS_PIPE_LIMIT
    if profile == "msbuild":
        path = f"/tmp/{vector['name']}"
    else:
        path = f"/tmp/{vector['prefix']}-{os.geteuid()}/{vector['name']}"
    return path, len(path.encode()) + 1 > 104


def check_other_arch(args, checks, label, vector, options, result, lines):
    """`vector` has arch `*` resolved for another architecture than this build's (HASH-4)."""
    if args.arch == "none":
        checks.expect(result.returncode == 2 and lines == [] and b"option --arch:" in result.stderr
                      and b"HASH-4" in result.stderr,
                      f"{label}: `*` is refused where HASH-4 has no name for the machine (exit 2, names --arch)",
                      f"exit {result.returncode}, stdout {lines}, stderr {result.stderr!r}")
        return
    explicit = [args.arch if word == "*" else word for word in options]
    explicit_result, explicit_lines = run_json(args.command, *explicit)
    if not checks.expect(result.returncode == 0 and explicit_result.returncode == 0 and
                         len(lines) == 1 and len(explicit_lines) == 1,
                         f"{label}: `*` and explicit {args.arch} both hash (exit 0, one JSON line)",
                         f"{result.stderr!r} / {explicit_result.stderr!r}"):
        return
    got, want = lines[0], explicit_lines[0]
    checks.expect(got == want, f"{label}: `*` gives what explicit {args.arch} gives (HASH-4)",
                  f"got {got}\n      want {want}")
    checks.expect(f"\narch={args.arch}\n" in got["key"], f"{label}: the key says arch={args.arch}",
                  repr(got["key"]))
    checks.expect(got["hash"] != vector["hash"],
                  f"{label}: `*` hashes differently from `*` on {vector['resolved_arch']}", got["hash"])


def main():
    args = arguments()
    checks = Checks()
    own_user_form = "sid" if args.windows else "uid"
    over_budget_text = b"over Windows' limit" if args.windows else b"bytes over the 104-byte budget"
    for profile in ("pipecheck", "msbuild"):
        document = json.loads((pathlib.Path(args.fixtures) / "vectors" / f"{profile}.json").read_text("utf-8"))
        compared = refused = 0
        for vector in document["vectors"]:
            options = ["hash", "--profile", profile, "--pid", str(vector["pid"]),
                       "--prefix", vector["prefix"], "--root", "/tmp"]
            for field, value in vector["fields"].items():
                options += [f"--{field}", value]
            result, lines = run_json(args.command, *options)
            label = f"{vector['id']} ({vector['description']})"
            own_form = vector.get("user_form", own_user_form) == own_user_form
            if own_form and vector.get("resolved_arch", args.arch) != args.arch:
                check_other_arch(args, checks, label, vector, options, result, lines)
                continue
            if not own_form:
                # The other platform's user form (HASH-6): refused, naming the option (or --arch
                # first, for `*` where HASH-4 has no name for the machine).
                field, rule = ("arch", b"HASH-4") if "resolved_arch" in vector and args.arch == "none" \
                    else ("user", b"HASH-6")
                checks.expect(result.returncode == 2 and lines == [] and
                              f"option --{field}: field '{field}':".encode() in result.stderr and rule in result.stderr,
                              f"{label}: a {vector['user_form']} user is refused here (exit 2, names --{field})",
                              f"exit {result.returncode}, stdout {lines}, stderr {result.stderr!r}")
                refused += 1
                continue
            path, over_budget = expected_path(args, profile, vector)
            if over_budget:
                checks.expect(result.returncode == 2 and over_budget_text in result.stderr,
                              f"{label}: a path over budget exits 2 saying by how much",
                              f"exit {result.returncode}, stderr {result.stderr!r}")
                continue
            if not checks.expect(result.returncode == 0 and len(lines) == 1, f"{label}: exit 0 and one JSON line",
                                 f"{outcome(result)}, arguments {options!r}"):
                continue
            got = lines[0]
            expected = {"profile": profile, "key": vector["key"], "hash": vector["hash"],
                        "name": vector["name"], "path": path}
            checks.expect(got == expected, f"{label}: output matches the vector", f"got {got}\n      want {expected}")
            compared += 1
        checks.expect(compared >= 40, f"{profile}: at least 40 vectors compared through the CLI", f"{compared}")
        if profile == "pipecheck":
            checks.expect(refused >= 40, f"{profile}: at least 40 vectors of the other user form refused",
                          f"{refused}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

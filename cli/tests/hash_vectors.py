#!/usr/bin/env python3
"""cli_hash_vectors: `pipecheck hash --json` reproduces the golden vectors (HASH-31) — key, hash,
name and path — and refuses a path over budget with exit code 2.

The vectors carry their users explicitly (`user_form` uid or sid, HASH-6): a POSIX build compares
the uid vectors and a Windows build (--platform windows, run under Wine) the SID vectors, and each
refuses the other form with an error naming --user. Paths: POSIX `{root}/{prefix}-{euid}/{name}`
(pipecheck) or `{root}/{name}` (msbuild) within the 104-byte budget (NAME-6); Windows
`\\\\.\\pipe\\{name}` within 256 characters (NAME-7), whatever the root."""

import json
import os
import pathlib
import platform
import sys

from cli_support import Checks, arguments, run_json

# The Windows build is the x86_64 cross build, run on this (x86_64) machine under Wine.
MACHINE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
                "i686": "x86", "i386": "x86"}.get(platform.machine().lower())
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


def main():
    args = arguments()
    checks = Checks()
    own_user_form = "sid" if args.windows else "uid"
    over_budget_text = b"over Windows' limit" if args.windows else b"bytes over the 104-byte budget"
    for profile in ("pipecheck", "msbuild"):
        document = json.loads((pathlib.Path(args.fixtures) / "vectors" / f"{profile}.json").read_text("utf-8"))
        compared = refused = 0
        for vector in document["vectors"]:
            if vector.get("resolved_arch", MACHINE_ARCH) != MACHINE_ARCH:
                continue  # `*` resolved for another architecture
            options = ["hash", "--profile", profile, "--pid", str(vector["pid"]),
                       "--prefix", vector["prefix"], "--root", "/tmp"]
            for field, value in vector["fields"].items():
                options += [f"--{field}", value]
            result, lines = run_json(args.command, *options)
            label = f"{vector['id']} ({vector['description']})"
            if vector.get("user_form", own_user_form) != own_user_form:
                # The other platform's user form (HASH-6): refused, naming the option.
                checks.expect(result.returncode == 2 and lines == [] and
                              b"option --user: field 'user':" in result.stderr and b"HASH-6" in result.stderr,
                              f"{label}: a {vector['user_form']} user is refused here (exit 2, names --user)",
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
                                 f"exit {result.returncode}, stderr {result.stderr!r}"):
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

#!/usr/bin/env python3
"""cli_hash_vectors: `pipecheck hash --json` reproduces the golden vectors (HASH-31) — key, hash,
name and path — and refuses a path over the 104-byte budget (NAME-6) with exit code 2."""

import json
import os
import pathlib
import platform
import sys

from cli_support import Checks, arguments, run_json

MACHINE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
                "i686": "x86", "i386": "x86"}.get(platform.machine().lower())


def main():
    args = arguments()
    checks = Checks()
    euid = os.geteuid()
    for profile in ("pipecheck", "msbuild"):
        document = json.loads((pathlib.Path(args.fixtures) / "vectors" / f"{profile}.json").read_text("utf-8"))
        compared = 0
        for vector in document["vectors"]:
            if vector.get("user_form", "uid") != "uid":
                continue  # a Windows SID: refused on POSIX, covered by the unit tests
            if vector.get("resolved_arch", MACHINE_ARCH) != MACHINE_ARCH:
                continue  # `*` resolved for another architecture
            options = ["hash", "--profile", profile, "--pid", str(vector["pid"]),
                       "--prefix", vector["prefix"], "--root", "/tmp"]
            for field, value in vector["fields"].items():
                options += [f"--{field}", value]
            if profile == "msbuild":
                expected_path = f"/tmp/{vector['name']}"
            else:
                expected_path = f"/tmp/{vector['prefix']}-{euid}/{vector['name']}"
            result, lines = run_json(args.pipecheck, *options)
            label = f"{vector['id']} ({vector['description']})"
            if len(expected_path.encode()) + 1 > 104:
                checks.expect(result.returncode == 2 and b"bytes over the 104-byte budget" in result.stderr,
                              f"{label}: a path over budget exits 2 saying by how much",
                              f"exit {result.returncode}, stderr {result.stderr!r}")
                continue
            if not checks.expect(result.returncode == 0 and len(lines) == 1, f"{label}: exit 0 and one JSON line",
                                 f"exit {result.returncode}, stderr {result.stderr!r}"):
                continue
            got = lines[0]
            expected = {"profile": profile, "key": vector["key"], "hash": vector["hash"],
                        "name": vector["name"], "path": expected_path}
            checks.expect(got == expected, f"{label}: output matches the vector", f"got {got}\n      want {expected}")
            compared += 1
        checks.expect(compared >= 40, f"{profile}: at least 40 vectors compared through the CLI", f"{compared}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

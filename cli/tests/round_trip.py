#!/usr/bin/env python3
r"""cli_round_trip: `pipecheck serve` in the background with a scratch root, then `discover` and
`dial` against it, all real processes over a real socket.

1. serve --count 1: prints the path once listening (awaited with a 10 s bound); discover lists
   exactly it; dial (by PID) gets ok + accepted; serve exits 0 after the one connection and its
   socket is gone; discover is then empty and dial reports `absent`.
2. serve without --count: a dial with another hash is refused by the wire handshake (exit 1 on the
   dial side, a failed handshake on the server side); SIGTERM then stops serve with exit 0 and
   its socket removed.

The Windows build (--platform windows, under Wine) does the same over a named pipe
`\\.\pipe\{name}`, with these differences: the root is passed as Wine's Z: drive path of the
scratch directory (Z:\tmp\pc-cli-...), where the listener keeps its discovery marker file
`{root}\{prefix}-{SID}\{name}` (WIN-2; Wine cannot list pipes), so "the socket" checked on disk
is that marker; the endpoint's PID is Wine's, which is not the Linux PID of the process, so it is
checked against the name only; and the stop of part 2 is SIGINT, which Wine delivers as a Ctrl-C
console event (Windows has no SIGTERM), reported as CTRL_C.
"""

import glob
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from cli_support import RUN_TIMEOUT_S, Checks, arguments, run_json

PIPE_NAMESPACE = "\\\\.\\pipe\\"

LISTEN_DEADLINE_S = 10
def fields(args, salt):
    """The handshake options; arch `*`, or x64 where HASH-4 has no name for the machine (s390x),
    which refuses `*`."""
    return ["--kind", "cli-test", "--version", "1.2", "--arch", "x64" if args.arch == "none" else "*",
            "--salt", salt]


SALT = "round trip \u00fc"


class Server:
    """A `pipecheck serve --json` child whose stdout lines are read with deadlines."""

    def __init__(self, command, *args):
        # With an emulator (ci/wine/run execs Wine) the child is the Windows process itself.
        self.process = subprocess.Popen([*command, "serve", *args, "--json"], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.pending = b""

    def next_event(self, timeout_s):
        """The next JSON line, or None at end of output or when the deadline passes."""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return None
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def remaining_events(self):
        events = []
        while (event := self.next_event(RUN_TIMEOUT_S)) is not None:
            events.append(event)
        return events

    def stop(self):
        """Kills the child if it still runs, and reaps it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=RUN_TIMEOUT_S)
        self.selector.close()
        self.process.stdout.close()
        self.process.stderr.close()


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def native_root(args, root):
    """The root as the pipecheck under test names the scratch directory `root`."""
    return "Z:" + root.replace("/", "\\") if args.windows else root


def endpoint_files(args, root, listening):
    """What holds the endpoint on disk: the socket (POSIX) or the discovery markers named like the
    pipe under the root (Windows)."""
    if args.windows:
        return glob.glob(os.path.join(glob.escape(root), "*", glob.escape(listening["name"])))
    return [listening["path"]] if os.path.lexists(listening["path"]) else []


def check_listening(args, root, server, listening, checks):
    """The `listening` event names this server's endpoint, and it is on disk."""
    path, name, pid = listening["path"], listening["name"], listening["pid"]
    checks.expect(name.startswith("pipecheck-") and name.endswith(f"-{pid}"), "the endpoint name carries the PID",
                  f"{listening}")
    if args.windows:
        checks.expect(path == PIPE_NAMESPACE + name, "the endpoint is the named pipe \\\\.\\pipe\\{name}", path)
        markers = endpoint_files(args, root, listening)
        checks.expect(len(markers) == 1 and os.path.isfile(markers[0]) and
                      os.path.basename(os.path.dirname(markers[0])).startswith("pipecheck-S-1-"),
                      "its discovery marker is a file in {root}/pipecheck-{SID}/", f"{markers}")
    else:
        checks.expect(pid == server.process.pid, "the endpoint carries the server's PID")
        checks.expect(path.startswith(root + "/pipecheck-") and is_socket(path),
                      "the endpoint is a socket under the root", path)


def serve_count_one(args, root, checks):
    options = [*fields(args, SALT), "--root", native_root(args, root)]
    server = Server(args.command, *options, "--count", "1", "--timeout-ms", "15000")
    try:
        listening = server.next_event(LISTEN_DEADLINE_S)
        if not checks.expect(listening is not None and listening.get("event") == "listening",
                             "serve prints a `listening` line within 10 s",
                             f"{listening}, stderr {server.process.stderr.peek() if listening is None else ''}"):
            return
        path, pid = listening["path"], listening["pid"]
        check_listening(args, root, server, listening, checks)

        result, found = run_json(args.command, "discover", *options)
        checks.expect(result.returncode == 0 and len(found) == 1, "discover exits 0 with one JSON line", f"{result}")
        if found:
            live = found[0]["live"]
            checks.expect([(e["pid"], e["path"]) for e in live] == [(pid, path)],
                          "discover lists exactly the server", f"{found[0]}")
            checks.expect(found[0]["rejected"] == [], "discover rejects nothing", f"{found[0]}")

        result, dialed = run_json(args.command, "dial", *options, "--pid", str(pid))
        checks.expect(result.returncode == 0, "dial exits 0", f"{result}")
        checks.expect(dialed and dialed[0]["outcome"] == "ok" and dialed[0]["handshake"] == "accepted",
                      "dial: outcome ok, handshake accepted", f"{dialed}")

        code = server.process.wait(timeout=RUN_TIMEOUT_S)
        events = server.remaining_events()
        checks.expect(code == 0, "serve --count 1 exits 0 after one connection",
                      f"exit {code}, events {events}, stderr {server.process.stderr.read()!r}")
        checks.expect([e["handshake"] for e in events if e["event"] == "connection"] == ["accepted"],
                      "serve saw one accepted handshake", f"{events}")
        checks.expect(events and events[-1]["event"] == "stopped" and events[-1]["connections"] == 1,
                      "serve reports it stopped after 1 connection", f"{events}")
        checks.expect(endpoint_files(args, root, listening) == [],
                      "the socket (Windows: the marker) is removed when serve exits", path)

        result, found = run_json(args.command, "discover", *options)
        checks.expect(result.returncode == 0 and found and found[0]["live"] == [] and found[0]["rejected"] == [],
                      "discover is empty once the server is gone", f"{found}")
        result, dialed = run_json(args.command, "dial", *options, "--pid", str(pid))
        checks.expect(result.returncode == 1 and dialed and dialed[0]["outcome"] == "absent",
                      "dial to the gone server: exit 1, outcome absent", f"{result.returncode} {dialed}")
    finally:
        server.stop()


def serve_until_signal(args, root, checks):
    options = [*fields(args, SALT), "--root", native_root(args, root)]
    server = Server(args.command, *options, "--queue-size", "4", "--workers", "2")
    try:
        listening = server.next_event(LISTEN_DEADLINE_S)
        if not checks.expect(listening is not None and listening.get("event") == "listening",
                             "second serve prints a `listening` line within 10 s"):
            return
        path = listening["path"]
        check_listening(args, root, server, listening, checks)
        # Another hash sent to this endpoint: the server must refuse it (WIRE-2).
        result, dialed = run_json(args.command, "dial", *fields(args, "another salt"), "--path", path)
        checks.expect(result.returncode == 1, "dial with another hash exits 1", f"{result}")
        checks.expect(dialed and dialed[0]["outcome"] == "ok" and dialed[0]["handshake"] == "failed",
                      "dial with another hash: connected, handshake failed", f"{dialed}")
        connection = server.next_event(RUN_TIMEOUT_S)
        checks.expect(connection is not None and connection.get("handshake") == "failed",
                      "serve reports the failed handshake", f"{connection}")

        # Windows has no SIGTERM: Wine turns SIGINT into a Ctrl-C console event.
        stop, reason = (signal.SIGINT, "CTRL_C") if args.windows else (signal.SIGTERM, "SIGTERM")
        server.process.send_signal(stop)
        code = server.process.wait(timeout=RUN_TIMEOUT_S)
        events = server.remaining_events()
        checks.expect(code == 0, f"serve exits 0 on {stop.name}",
                      f"exit {code}, stderr {server.process.stderr.read()!r}")
        checks.expect(events and events[-1]["event"] == "stopped" and events[-1]["reason"] == reason,
                      f"serve reports the {reason} stop", f"{events}")
        checks.expect(endpoint_files(args, root, listening) == [],
                      f"the socket (Windows: the marker) is removed after {stop.name}", path)
    finally:
        server.stop()


def main():
    args = arguments()
    checks = Checks()
    root = tempfile.mkdtemp(prefix="pc-cli-")
    try:
        serve_count_one(args, root, checks)
        serve_until_signal(args, root, checks)
    finally:
        shutil.rmtree(root)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())

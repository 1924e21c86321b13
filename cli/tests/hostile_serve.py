#!/usr/bin/env python3
"""cli_hostile_serve: `pipecheck serve`, `dial`, `discover` against hostile peers and
environments (issue 12), all real processes over real sockets (POSIX only).

1. stdout closed by its reader (`serve | head -n1`): no SIGPIPE death; serve keeps answering
   dials and stops cleanly on SIGTERM, socket removed.
2. stdout nobody reads (a 4 KiB pipe, never read): after far more log lines than the pipe holds,
   a real dial is still accepted; SIGTERM ends the process promptly and removes the socket.
3. silent clients (connect, send nothing) beside real ones, 1 worker: every real dial is
   accepted while the silent ones wait out their handshake bound.
4. out of descriptors in accept (RLIMIT_NOFILE just above what serve uses, silent clients hold
   the rest): serve backs off instead of exiting, and serves again once descriptors are free.
5. SIGHUP, SIGQUIT, SIGUSR1 stop serve like SIGTERM: exit 0, socket removed.
6. dial --pid refuses a symlinked endpoint directory (exit 1, insecure) and a symlink named like
   the endpoint (`denied`), and never connects through either.
7. roots (NAME-5) and the path budget (NAME-6): a relative root, an `@` root, an empty
   PIPECHECK_ROOT exit 2 naming the rule in hash/serve/dial/discover; a nonexistent root exits
   2 in serve and is an empty result in discover / `absent` in dial; a root that is a file exits
   2; discover exits 2 over the 104-byte budget like hash.
"""

import json
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from cli_support import RUN_TIMEOUT_S, Checks, arguments, run

FIELDS = ["--kind", "cli-hostile", "--version", "1", "--arch", "*", "--salt", "hostile"]
F_SETPIPE_SZ = 1031


class Serve:
    """`pipecheck serve --json` with stdout on a pipe the test controls."""

    def __init__(self, command, root, *extra, read_stdout=True, pipe_size=None, preexec=None):
        read_end, write_end = os.pipe()
        if pipe_size:
            import fcntl
            fcntl.fcntl(write_end, F_SETPIPE_SZ, pipe_size)
        self.process = subprocess.Popen([*command, "serve", *FIELDS, "--root", root, *extra,
                                         "--json"], stdout=write_end, stderr=subprocess.PIPE,
                                        preexec_fn=preexec)
        os.close(write_end)
        self.read_end = read_end
        self.path = None
        self.selector = selectors.DefaultSelector()
        self.selector.register(read_end, selectors.EVENT_READ)
        self.pending = b""

    def first_line(self, timeout_s=10):
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return None
            chunk = os.read(self.read_end, 4096)
            if not chunk:
                return None
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        event = json.loads(line)
        self.path = event.get("path")
        return event

    def close_stdout(self):
        self.selector.close()
        os.close(self.read_end)
        self.read_end = None

    def signal(self, number):
        self.process.send_signal(number)

    def wait(self, timeout_s):
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def finish(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=RUN_TIMEOUT_S)
        if self.read_end is not None:
            self.selector.close()
            os.close(self.read_end)
        self.process.stderr.close()


def dial(command, root, pid, *extra):
    result = run(command, "dial", *FIELDS, "--root", root, "--pid", str(pid), *extra, "--json")
    try:
        return result, json.loads(result.stdout.decode().splitlines()[-1])
    except (IndexError, ValueError):
        return result, {}


def raw_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def case_closed_stdout(args, checks, root):
    server = Serve(args.command, root)
    checks.expect(server.first_line() is not None, "closed stdout: serve prints its path")
    server.close_stdout()
    oks = sum(dial(args.command, root, server.process.pid)[0].returncode == 0 for _ in range(5))
    checks.expect(oks == 5, "closed stdout: serve keeps answering dials", f"{oks} of 5 accepted")
    checks.expect(server.process.poll() is None, "closed stdout: serve is alive (no SIGPIPE)",
                  f"exit {server.process.returncode}")
    server.signal(signal.SIGTERM)
    code = server.wait(10)
    checks.expect(code == 0, "closed stdout: SIGTERM stops serve with exit 0", f"exit {code}")
    checks.expect(server.path and not os.path.lexists(server.path),
                  "closed stdout: the socket is removed")
    server.finish()


def case_unread_stdout(args, checks, root):
    server = Serve(args.command, root, "--workers", "2", pipe_size=4096)
    checks.expect(server.first_line() is not None, "unread stdout: serve prints its path")
    # Each failed handshake logs a line of ~100 bytes: 400 fill the 4 KiB pipe ten times over.
    for _ in range(400):
        try:
            raw_connect(server.path).close()
        except OSError:
            time.sleep(0.001)
    result, reply = dial(args.command, root, server.process.pid, "--timeout-ms", "3000")
    checks.expect(result.returncode == 0, "unread stdout: a dial is still accepted",
                  json.dumps(reply))
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    code = server.wait(5)
    checks.expect(code == 0, "unread stdout: SIGTERM ends serve within 5 s with exit 0",
                  f"exit {code} after {time.monotonic() - started:.1f} s")
    checks.expect(server.path and not os.path.lexists(server.path),
                  "unread stdout: the socket is removed")
    server.finish()


def case_silent_clients(args, checks, root):
    server = Serve(args.command, root, "--workers", "1", "--queue-size", "4")
    checks.expect(server.first_line() is not None, "silent clients: serve prints its path")
    silent = []
    failures = []
    for round_ in range(6):
        for _ in range(8):
            try:
                silent.append(raw_connect(server.path))
            except OSError as e:
                failures.append(f"silent connect: {e}")
        result, reply = dial(args.command, root, server.process.pid, "--retry-ms", "300")
        if result.returncode != 0:
            failures.append(f"round {round_}: {json.dumps(reply)}")
    checks.expect(not failures, "silent clients: every real dial is accepted (1 worker, "
                  "48 silent clients)", "; ".join(failures[:5]))
    for s in silent:
        s.close()
    server.signal(signal.SIGTERM)
    checks.expect(server.wait(10) == 0, "silent clients: SIGTERM stops serve")
    server.finish()


def case_out_of_descriptors(args, checks, root):
    # serve itself uses ~10 descriptors; 24 leaves room for a dozen connections.
    limit = 24

    def lower_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    server = Serve(args.command, root, "--workers", "1", "--queue-size", "64", preexec=lower_limit)
    checks.expect(server.first_line() is not None, "EMFILE: serve prints its path")
    held = []
    for _ in range(40):
        try:
            held.append(raw_connect(server.path))
        except OSError:
            break
    time.sleep(0.5)  # accept hits EMFILE while the silent ones hold their descriptors
    alive = server.process.poll() is None
    checks.expect(alive, "EMFILE: serve keeps running",
                  "" if alive else f"exit {server.process.returncode}: "
                  + server.process.stderr.read().decode()[-300:])
    for s in held:
        s.close()
    result, reply = dial(args.command, root, server.process.pid, "--retry-ms", "8000",
                         "--timeout-ms", "8000")
    checks.expect(result.returncode == 0, "EMFILE: serve answers again once descriptors are free",
                  json.dumps(reply))
    server.signal(signal.SIGTERM)
    checks.expect(server.wait(10) == 0, "EMFILE: SIGTERM stops serve with exit 0")
    server.finish()


def case_signals(args, checks, root):
    for number in (signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
        name = signal.Signals(number).name
        server = Serve(args.command, root)
        event = server.first_line()
        checks.expect(event is not None, f"{name}: serve prints its path")
        server.signal(number)
        code = server.wait(10)
        checks.expect(code == 0, f"{name}: serve stops with exit 0", f"exit {code}")
        checks.expect(server.path and not os.path.lexists(server.path),
                      f"{name}: the socket is removed")
        rest = os.read(server.read_end, 65536).decode()
        checks.expect(f'"reason":"{name}"' in rest, f"{name}: the stop reason names the signal",
                      rest[-300:])
        server.finish()


def endpoint_name(args, root, pid):
    result = run(args.command, "hash", *FIELDS, "--root", root, "--pid", str(pid), "--json")
    return json.loads(result.stdout.decode())


def case_dial_symlinks(args, checks, scratch):
    # A real server under a private root, reached through a symlinked per-user directory.
    real_root = os.path.join(scratch, "real")
    link_root = os.path.join(scratch, "link")
    os.mkdir(real_root, 0o700)
    os.mkdir(link_root, 0o700)
    server = Serve(args.command, real_root)
    checks.expect(server.first_line() is not None, "symlinks: serve prints its path")
    directory = os.path.dirname(server.path)
    os.symlink(directory, os.path.join(link_root, os.path.basename(directory)))
    result, reply = dial(args.command, link_root, server.process.pid)
    stderr = result.stderr.decode()
    checks.expect(result.returncode == 1 and "insecure" in stderr and "SEC-2" in stderr,
                  "symlinks: dial --pid refuses a symlinked endpoint directory (exit 1, SEC-2)",
                  f"exit {result.returncode}: {stderr[-300:]} {json.dumps(reply)}")
    # A symlink named like the endpoint of another PID, pointing at the live socket.
    fake_pid = 4194303
    os.symlink(server.path, os.path.join(directory, os.path.basename(server.path)
                                         .rsplit("-", 1)[0] + f"-{fake_pid}"))
    result, reply = dial(args.command, real_root, fake_pid)
    checks.expect(result.returncode == 1 and reply.get("outcome") == "denied"
                  and "SEC-5" in reply.get("detail", ""),
                  "symlinks: dial --pid does not follow a symlink named like the endpoint",
                  f"exit {result.returncode}: {json.dumps(reply)}")
    result, reply = dial(args.command, real_root, server.process.pid)
    checks.expect(result.returncode == 0, "symlinks: the real endpoint is still dialed by PID",
                  json.dumps(reply))
    server.signal(signal.SIGTERM)
    server.wait(10)
    server.finish()


def case_roots(args, checks, scratch):
    missing = os.path.join(scratch, "nx")  # short: the longest name must fit NAME-6
    cases = [
        (["--root", "relative/dir"], None, "not an absolute path (NAME-5"),
        (["--root", "@abstract"], None, "not an absolute path (NAME-5"),

        ([], "", "PIPECHECK_ROOT is set but empty (NAME-5"),
        ([], "relative", "not an absolute path (NAME-5"),
    ]
    for extra, env_root, expected in cases:
        env = dict(os.environ)
        if env_root is not None:
            env["PIPECHECK_ROOT"] = env_root
        commands = [["discover", *FIELDS], ["dial", *FIELDS, "--pid", "1"],
                    ["serve", *FIELDS, "--timeout-ms", "1000"]]
        if expected.startswith("not an absolute") or expected.startswith("PIPECHECK_ROOT"):
            commands.append(["hash", *FIELDS])
        for words in commands:
            result = run(args.command, *words, *extra, env=env)
            stderr = result.stderr.decode()
            checks.expect(result.returncode == 2 and expected in stderr,
                          f"root {extra or ['PIPECHECK_ROOT=' + repr(env_root)]}: {words[0]} "
                          f"exits 2 naming NAME-5",
                          f"exit {result.returncode}: {stderr[-300:]}")
    # A root that does not exist: serve refuses it (exit 2); discover finds nothing there and
    # dial finds no endpoint (DISC-9), as for a missing endpoint directory.
    result = run(args.command, "serve", *FIELDS, "--root", missing, "--timeout-ms", "1000")
    stderr = result.stderr.decode()
    checks.expect(result.returncode == 2 and "does not exist (NAME-5" in stderr,
                  "missing root: serve exits 2 naming NAME-5", f"exit {result.returncode}: {stderr}")
    result = run(args.command, "discover", *FIELDS, "--root", missing, "--json")
    checks.expect(result.returncode == 0 and json.loads(result.stdout)["live"] == [],
                  "missing root: discover finds nothing (exit 0)", result.stderr.decode())
    result, reply = dial(args.command, missing, 1)
    checks.expect(result.returncode == 1 and reply.get("outcome") == "absent",
                  "missing root: dial --pid is absent (exit 1)", json.dumps(reply))
    plain_file = os.path.join(scratch, "plain-file")
    open(plain_file, "w").close()
    for words in (["serve", *FIELDS, "--timeout-ms", "1000"], ["discover", *FIELDS]):
        result = run(args.command, *words, "--root", plain_file)
        stderr = result.stderr.decode()
        checks.expect(result.returncode == 2 and "is not a directory (NAME-5" in stderr,
                      f"root that is a file: {words[0]} exits 2 naming NAME-5",
                      f"exit {result.returncode}: {stderr}")
    long_root = os.path.join(scratch, "r" * 60)
    os.mkdir(long_root, 0o700)
    result = run(args.command, "discover", *FIELDS, "--root", long_root)
    stderr = result.stderr.decode()
    checks.expect(result.returncode == 2 and "NAME-6" in stderr,
                  "discover exits 2 over the 104-byte path budget, like hash",
                  f"exit {result.returncode}: {stderr[-300:]}")


def main():
    args = arguments()
    checks = Checks()
    scratch = tempfile.mkdtemp(prefix="pc-hostile-", dir="/tmp")
    try:
        for case in (case_closed_stdout, case_unread_stdout, case_silent_clients,
                     case_out_of_descriptors, case_signals):
            root = tempfile.mkdtemp(prefix="r", dir=scratch)
            case(args, checks, root)
        case_dial_symlinks(args, checks, scratch)
        case_roots(args, checks, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    raise SystemExit(main())

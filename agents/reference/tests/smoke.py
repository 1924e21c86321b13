#!/usr/bin/env python3
"""Smoke test of pipecheck-agent: drives the built agent over the agent protocol.

Usage: smoke.py PATH/TO/pipecheck-agent

Starts a server, a client and a victim agent (three real processes) with a private endpoint
root under a mkdtemp directory, and checks every op: hello, hash (valid and rejected), listen,
dial with and without a matching handshake, dial of an absent path, discover (listing and legacy),
prepare_dial/fire, close with pending accepts from several threads, a held connection ended by
close, counters, a full queue without accepts, dial-with-retry, a stale endpoint, an insecure
directory, unknown op, bad requests, exit and stdin EOF. Every read has a deadline; every agent
is killed and reaped; the scratch root is removed.
"""

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPLY_DEADLINE_S = 20.0
EXIT_DEADLINE_S = 10.0


class AgentError(Exception):
    pass


class Agent:
    """One agent process; request() sends a line and reads exactly one reply line."""

    def __init__(self, binary, root, log_path):
        env = dict(os.environ, PIPECHECK_ROOT=root)
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, env=env)
        self.next_id = 1
        self.buffer = b""

    def send_line(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def read_line(self, deadline_s=REPLY_DEADLINE_S):
        deadline = time.monotonic() + deadline_s
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AgentError("no reply line within %.0f s" % deadline_s)
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AgentError("agent closed stdout (exit status %s)" % self.proc.poll())
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def request(self, op, args=None, raw_args=False):
        request_id = self.next_id
        self.next_id += 1
        if args is None and not raw_args:
            args = {}
        message = {"id": request_id, "op": op, "args": args}
        self.send_line(json.dumps(message))
        reply = self.read_line()
        check(reply.get("id") == request_id, "reply echoes id %d: %r" % (request_id, reply))
        return reply

    def ok(self, op, args=None):
        reply = self.request(op, args)
        if not reply.get("ok"):
            raise AgentError("%s failed: %r" % (op, reply))
        return reply["result"]

    def wait_exit(self):
        try:
            return self.proc.wait(timeout=EXIT_DEADLINE_S)
        except subprocess.TimeoutExpired:
            raise AgentError("agent did not exit within %.0f s" % EXIT_DEADLINE_S)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def stderr_tail(self, lines=20):
        with open(self.log_path, "rb") as log:
            return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")


FAILURES = []
CHECKED = [0]


def check(condition, what):
    CHECKED[0] += 1
    if not condition:
        FAILURES.append(what)
        print("FAIL: " + what, flush=True)


def check_error(reply, code, what, field=None):
    error = reply.get("error", {})
    check(reply.get("ok") is False and error.get("code") == code,
          "%s: error %s expected, got %r" % (what, code, reply))
    check(isinstance(error.get("message"), str) and error.get("message"),
          "%s: error has a message: %r" % (what, reply))
    check(isinstance(error.get("definite"), bool), "%s: error says definite: %r" % (what, reply))
    if field is not None:
        check(error.get("field") == field, "%s: error.field %r expected: %r" % (what, field, reply))


FIELDS = {"kind": "worker", "version": "17.08", "arch": "*", "salt": "smoke"}
OTHER_FIELDS = dict(FIELDS, salt="another")


def hs(fields=None, **extra):
    """Handshake arguments of the pipecheck profile, plus other args."""
    return dict(profile="pipecheck", fields=FIELDS if fields is None else fields, **extra)


def test_hello(agent):
    hello = agent.ok("hello", {"protocol": 1})
    check(hello["protocol"] == 1 and hello["implementation"] == "reference", "hello: %r" % hello)
    check(hello["platform"] == "linux" and hello["pid"] == agent.proc.pid, "hello: %r" % hello)
    for capability in ("hash.pipecheck", "listen", "dial.barrier", "close.concurrent", "fd-count",
                       "discover.legacy", "secure-directory"):
        check(capability in hello["capabilities"], "hello declares %s" % capability)
    check_error(agent.request("hello", {"protocol": 2}), "bad_request", "hello protocol 2")


def test_hash(agent, root):
    result = agent.ok("hash", hs(pid=4242))
    check(result["key"].startswith("pipecheck/1\nkind=worker\nversion=17.8.0.0\n"),
          "hash key is canonical: %r" % result["key"])
    base32 = set("abcdefghijklmnopqrstuvwxyz234567")
    check(len(result["hash"]) == 32 and set(result["hash"]) <= base32,
          "hash is 32 chars of base32: %r" % result["hash"])
    check(result["name"] == "pipecheck-%s-4242" % result["hash"], "hash name: %r" % result)
    check(result["path"] == "%s/pipecheck-%d/%s" % (root, os.geteuid(), result["name"]),
          "hash path under PIPECHECK_ROOT: %r" % result)
    arch = agent.ok("hello", {"protocol": 1})["arch"]
    explicit = agent.ok("hash", hs(dict(FIELDS, arch=arch), pid=4242))
    check(explicit["hash"] == result["hash"], "arch '*' hashes like the explicit arch")

    rejected = agent.request("hash", hs(dict(FIELDS, kind="Worker")))
    check_error(rejected, "invalid_argument", "hash with kind 'Worker'", field="kind")
    check("result" not in rejected, "a rejected hash returns no hash")
    no_salt = {k: v for k, v in FIELDS.items() if k != "salt"}
    check_error(agent.request("hash", hs(no_salt)), "invalid_argument", "hash without salt",
                field="salt")
    check_error(agent.request("hash", dict(hs(), profile="nope")), "invalid_argument",
                "hash with an unknown profile", field="profile")
    check_error(agent.request("hash", hs(root="/" + "r" * 120)), "path_too_long",
                "hash with a root over the path budget")
    msbuild = agent.ok("hash", {"profile": "msbuild",
                                "fields": {"options": "1", "salt": "-2", "version": "17.8"}})
    check(msbuild["key"] == "1 -2 17 8 0 0 0" and len(msbuild["hash"]) == 43,
          "msbuild profile: %r" % msbuild)


def test_listen_dial_discover(server, client):
    listening = server.ok("listen", hs(queue_size=8, accept_workers=2))
    check(listening["listener"] == "L1", "first listener is L1: %r" % listening)
    path = listening["path"]
    check(os.path.exists(path), "listen created %s" % path)

    own_hash = client.ok("hash", hs())["hash"]
    other_hash = client.ok("hash", hs(OTHER_FIELDS))["hash"]
    dialled = client.ok("dial", {"path": path, "threads": 2, "count": 10, "handshake": own_hash,
                                 "record_sequence": True, "record_latencies": True})
    check(dialled["attempts"] == 20 and dialled["outcomes"] == {"ok": 20},
          "20 closed-loop dials with handshake succeed: %r" % dialled)
    check(dialled["handshake"] == {"accepted": 20, "failed": 0},
          "handshakes accepted: %r" % dialled)
    check(dialled["sequence"] == ["ok"] * 20, "sequence recorded: %r" % dialled.get("sequence"))
    latency = dialled["latency_us"]
    check(0 <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"],
          "latency percentiles are ordered: %r" % latency)
    samples = dialled.get("latencies_us", [])
    check(len(samples) == 20 and max(samples) == latency["max"],
          "latencies recorded, their max is latency max: %r" % samples)

    mismatched = client.ok("dial", {"path": path, "count": 3, "handshake": other_hash})
    check(mismatched["outcomes"] == {"ok": 3}, "mismatched hash still connects: %r" % mismatched)
    check(mismatched["handshake"] == {"accepted": 0, "failed": 3},
          "mismatched hash fails the handshake: %r" % mismatched)
    check(any("handshake" in e["detail"] for e in mismatched["errors"]),
          "handshake failure is sampled: %r" % mismatched["errors"])

    by_fields = client.ok("dial", hs(pid=server.proc.pid, handshake=own_hash))
    check(by_fields["outcomes"] == {"ok": 1}, "dial by handshake args and pid: %r" % by_fields)
    nothing = client.ok("dial", {"path": path, "count": 0})
    check(nothing["attempts"] == 0 and nothing["outcomes"] == {},
          "count 0 dials nothing: %r" % nothing)

    absent = client.ok("dial", {"path": path + "0", "count": 2})
    check(absent["outcomes"] == {"absent": 2}, "absent path is absent: %r" % absent)
    check(len(absent["errors"]) == 1 and absent["errors"][0]["outcome"] == "absent"
          and absent["errors"][0]["system_error"] != 0,
          "one distinct absent error sample with its OS code: %r" % absent["errors"])

    counters = server.ok("counters", {"listener": "L1"})
    check(counters["accepted"] == 24 and counters["handshake_ok"] == 21
          and counters["handshake_failed"] == 3 and counters["accept_errors"] == 0,
          "server counters: %r" % counters)
    check(isinstance(counters.get("open_fds"), int) and counters["open_fds"] > 0,
          "open_fds is counted: %r" % counters)

    found = client.ok("discover", hs(pid=1))
    check(found["method"] == "listing", "listing discovery: %r" % found)
    check(found["live"] == [{"name": listening["name"], "pid": server.proc.pid, "path": path}],
          "discover finds the server's listener: %r" % found)
    check(client.ok("discover", hs(OTHER_FIELDS))["live"] == [], "another hash finds nothing")
    legacy = client.ok("discover", hs(method="legacy"))
    check(legacy["method"] == "legacy" and legacy["live"] == found["live"],
          "legacy probing finds the same listener: %r" % legacy)
    check_error(client.request("discover", hs(method="legacy", reclaim=True)), "unsupported",
                "legacy discovery cannot reclaim")

    in_use = server.request("listen", hs())
    check_error(in_use, "address_in_use", "listen on a live endpoint")
    check(in_use.get("error", {}).get("pid") == server.proc.pid,
          "address_in_use names the holder: %r" % in_use)

    armed = client.ok("prepare_dial", {"path": path, "threads": 3, "count": 4,
                                       "handshake": own_hash})
    fired = client.ok("fire", {"token": armed["token"]})
    check(fired["outcomes"] == {"ok": 12} and fired["handshake"]["accepted"] == 12,
          "prepare_dial/fire dials 3 x 4: %r" % fired)
    check_error(client.request("fire", {"token": armed["token"]}), "invalid_argument",
                "firing a token twice", field="token")

    closed = server.ok("close", {"listener": "L1", "threads": 4})
    check(closed["pending_accepts"] == 2 and closed["unblocked"] == 2,
          "close unblocks both pending accepts: %r" % closed)
    check(0 <= closed["max_unblock_ms"] <= 100, "accepts return within 100 ms (LSN-4): %r" % closed)
    check(closed["endpoint_removed"] and not os.path.exists(path),
          "close removes the endpoint: %r" % closed)
    # A closed listener is forgotten (docs/formats/agent-protocol.md): closing it again names
    # nothing.
    check_error(server.request("close", {"listener": "L1", "threads": 2}), "unknown_listener",
                "close L1 again")
    after = client.ok("dial", {"path": path})
    check(after["outcomes"] == {"absent": 1}, "a closed endpoint is absent: %r" % after)
    check(client.ok("discover", hs())["live"] == [], "closed listener not discovered")
    check_error(server.request("close", {"listener": "L9"}), "unknown_listener", "close L9")
    check_error(server.request("counters", {"listener": "L9"}), "unknown_listener", "counters L9")


def test_queue_without_accept(server, client):
    listening = server.ok("listen", hs(OTHER_FIELDS, queue_size=2, accept_workers=0))
    filled = client.ok("dial", {"path": listening["path"], "count": 5, "keep_open": True,
                                "record_sequence": True})
    # Linux AF_UNIX admits queue_size + 1 (LSN-9).
    check(filled["sequence"] == ["ok"] * 3 + ["busy"] * 2,
          "queue_size 2 without accepts admits 3, then busy: %r" % filled)
    # Unaccepted connections stay queued after the dialler closes them: the queue is still full.
    retried = client.ok("dial", {"path": listening["path"], "retry": {"deadline_ms": 100}})
    check(retried["outcomes"] == {"busy": 1} and retried["retries"] > 0,
          "dial-with-retry retries busy until its deadline, then reports busy: %r" % retried)
    check(retried["latency_us"]["max"] >= 100_000, "the retry ran to its deadline: %r" % retried)
    closed = server.ok("close", {"listener": listening["listener"]})
    check(closed["pending_accepts"] == 0 and closed["endpoint_removed"], "close: %r" % closed)


def read_with_deadline(sock, deadline_s=5.0):
    """What the socket yields within the deadline: bytes, b"" on end of stream, None on timeout."""
    readable, _, _ = select.select([sock], [], [], deadline_s)
    return sock.recv(256) if readable else None


def test_hold_until_close(server, client):
    listening = server.ok("listen", hs(hold_ms=60_000))
    own_hash = client.ok("hash", hs())["hash"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as held:
        held.settimeout(5.0)
        held.connect(listening["path"])
        held.sendall(("PIPECHECK/1 HELLO %s\n" % own_hash).encode())
        check(read_with_deadline(held) == b"PIPECHECK/1 ACCEPT\n", "server accepts our hello")
        check(read_with_deadline(held, 0.2) is None, "server holds the connection open (hold_ms)")
        counters = server.ok("counters", {"listener": listening["listener"]})
        check(counters["accepted"] == 1 and counters["handshake_ok"] == 1,
              "held connection counted: %r" % counters)
        closed = server.ok("close", {"listener": listening["listener"], "threads": 2})
        check(closed["endpoint_removed"], "close: %r" % closed)
        check(read_with_deadline(held) == b"", "closing the listener ends the held connection")


def test_stale_endpoint(victim, client):
    listening = victim.ok("listen", hs(OTHER_FIELDS))
    victim.kill()  # SIGKILL: the socket file stays behind (LSN-8)
    found = client.ok("discover", hs(OTHER_FIELDS))
    check(found["live"] == [] and found["rejected"] == [{"name": listening["name"],
                                                         "reason": "stale"}],
          "a killed listener's endpoint is reported stale: %r" % found)
    reclaimed = client.ok("discover", hs(OTHER_FIELDS, reclaim=True))
    check(reclaimed["reclaimed"] == [listening["name"]] and not os.path.exists(listening["path"]),
          "reclaim removes our stale endpoint: %r" % reclaimed)


def test_insecure_directory(agent, scratch):
    other_root = os.path.join(scratch, "open")
    endpoint_directory = os.path.join(other_root, "pipecheck-%d" % os.geteuid())
    os.makedirs(endpoint_directory)
    os.chmod(endpoint_directory, 0o755)  # group and other bits break SEC-2
    reply = agent.request("listen", hs(root=other_root))
    check_error(reply, "insecure_directory", "listen in a 0755 endpoint directory")
    check(endpoint_directory in reply.get("error", {}).get("message", ""),
          "insecure_directory names the path: %r" % reply)


def test_bad_requests(agent):
    check_error(agent.request("frobnicate", {}), "unsupported", "unknown op")
    agent.send_line("this is not json")
    reply = agent.read_line()
    check(reply.get("id") is None, "bad JSON reply has id null: %r" % reply)
    check_error(reply, "bad_request", "a line that is not JSON")
    agent.send_line("[1, 2]")
    check_error(agent.read_line(), "bad_request", "a line that is not an object")
    agent.send_line(json.dumps({"id": 99, "args": {}}))
    reply = agent.read_line()
    check(reply.get("id") == 99, "id echoed even without op: %r" % reply)
    check_error(reply, "bad_request", "a request without op")
    check_error(agent.request("dial", {"path": "/nowhere", "count": "3"}), "bad_request",
                "count as a string")
    check_error(agent.request("dial", {"path": "/nowhere", "threads": 0}), "invalid_argument",
                "zero threads", field="threads")
    check_error(agent.request("listen", hs(queue=4)), "bad_request", "unknown arg 'queue'")
    check_error(agent.request("hello", [1], raw_args=True), "bad_request", "args not an object")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: smoke.py PATH/TO/pipecheck-agent")
    binary = sys.argv[1]
    scratch = tempfile.mkdtemp(prefix="pipecheck-agent-smoke-")
    root = os.path.join(scratch, "r")
    os.mkdir(root, 0o700)
    agents = []
    try:
        server = Agent(binary, root, os.path.join(scratch, "server.log"))
        client = Agent(binary, root, os.path.join(scratch, "client.log"))
        victim = Agent(binary, root, os.path.join(scratch, "victim.log"))
        agents += [server, client, victim]
        test_hello(server)
        test_hash(client, root)
        test_listen_dial_discover(server, client)
        test_queue_without_accept(server, client)
        test_hold_until_close(server, client)
        test_stale_endpoint(victim, client)
        test_insecure_directory(client, scratch)
        test_bad_requests(client)

        check(server.ok("counters").keys() == {"open_fds"}, "counters without a listener")
        check(server.ok("exit", {}) == {}, "exit replies {}")
        check(server.wait_exit() == 0, "agent exits 0 after exit")
        client.ok("listen", hs(accept_workers=3))
        client.proc.stdin.close()  # EOF with a listener open: close it and exit 0
        check(client.wait_exit() == 0, "agent exits 0 on stdin EOF")
        check(os.listdir(os.path.join(root, "pipecheck-%d" % os.geteuid())) == [],
              "agents leave no endpoint behind")
    except AgentError as error:
        FAILURES.append(str(error))
        print("FAIL: %s" % error, flush=True)
    finally:
        for agent in agents:
            agent.kill()
            if FAILURES:
                print("--- stderr of agent %d:\n%s" % (agent.proc.pid, agent.stderr_tail()))
        shutil.rmtree(scratch, ignore_errors=True)
    if FAILURES:
        print("%d of %d check(s) failed" % (len(FAILURES), CHECKED[0]))
        sys.exit(1)
    print("all %d checks passed" % CHECKED[0])


if __name__ == "__main__":
    main()

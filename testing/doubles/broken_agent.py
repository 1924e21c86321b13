#!/usr/bin/env python3
"""Deliberately broken agents for harness tests. The behaviour is the first argument:

  crash        answers hello, then exits with status 3 on the next request
  segv         answers hello, then dies of SIGSEGV on the next request
  hang         answers hello, then reads requests and never replies
  garbage      answers hello, then prints a non-JSON line for the next request
  bad-schema   answers hello, then replies with valid JSON that breaks the schema
  wrong-id     answers hello, then replies with another request's id
  huge-line    answers hello, then writes a line longer than 1 MiB
  slow-hello   never answers hello
  bad-protocol answers hello with protocol 2
  deep-json    answers hello, then replies with valid JSON nested 400,000 deep (800 KB)
  bad-utf8     answers hello, then replies with a JSON line holding invalid UTF-8
  escape       at start, leaves a child in a session of its own (setsid) that sleeps 10 min and
               appends its PID to $BROKEN_AGENT_PIDFILE; then answers like an unknown mode

Each writes a marker line to stderr so tests can check the stderr tail.
BROKEN_AGENT_CAPABILITIES (comma list) replaces the capabilities hello declares.
"""
import json
import os
import signal
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else ""
sys.stderr.write("broken agent '%s' pid %d starting\n" % (mode, os.getpid()))
sys.stderr.flush()


# What hello declares: BROKEN_AGENT_CAPABILITIES (comma list) lets a registry entry claim enough
# for the suites to send it real requests.
capabilities = os.environ.get("BROKEN_AGENT_CAPABILITIES", "listen,dial,dial.barrier").split(",")


def escape():
    """A child that leaves the agent's session and process group, as a daemonising library does."""
    if os.fork() == 0:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        pidfile = os.environ.get("BROKEN_AGENT_PIDFILE")
        if pidfile:
            with open(pidfile, "a", encoding="utf-8") as f:
                f.write("%d\n" % os.getpid())
        time.sleep(600)
        os._exit(0)


if mode == "escape":
    escape()


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def hello(rid, protocol=1):
    send({"id": rid, "ok": True, "result": {
        "protocol": protocol, "implementation": "broken-" + mode, "version": "0", "platform": "linux",
        "arch": "x64", "pid": os.getpid(), "capabilities": capabilities}})


for line in sys.stdin:
    req = json.loads(line)
    rid, op = req["id"], req["op"]
    if op == "hello":
        if mode == "slow-hello":
            sys.stderr.write("slow-hello: not answering hello\n")
            sys.stderr.flush()
            continue
        hello(rid, 2 if mode == "bad-protocol" else 1)
        continue
    sys.stderr.write("%s: got %s\n" % (mode, op))
    sys.stderr.flush()
    if mode == "crash":
        sys.exit(3)
    elif mode == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "hang":
        continue
    elif mode == "garbage":
        sys.stdout.write("this is not JSON at all\n")
        sys.stdout.flush()
    elif mode == "bad-schema":
        send({"id": rid, "ok": True, "result": {"attempts": 1, "outcomes": {"busy": -1},
                                                "elapsed_ms": 1}})
    elif mode == "wrong-id":
        send({"id": rid + 100, "ok": True, "result": {}})
    elif mode == "deep-json":
        depth = 400000
        sys.stdout.write('{"id": %d, "ok": true, "result": %s%s}\n' % (rid, "[" * depth, "]" * depth))
        sys.stdout.flush()
    elif mode == "bad-utf8":
        sys.stdout.flush()
        sys.stdout.buffer.write(b'{"id": %d, "ok": true, "result": {"listener": "L\xff\xfe1"}}\n' % rid)
        sys.stdout.buffer.flush()
    elif mode == "huge-line":
        sys.stdout.write("x" * (1100 * 1024) + "\n")
        sys.stdout.flush()
    else:
        send({"id": rid, "ok": False, "error": {"code": "internal", "message": "unknown mode",
                                                "definite": True}})

#!/usr/bin/env python3
"""A tiny well-behaved agent for harness tests only (no real endpoints).

Speaks protocol v1: hello, listen (returns a fake path), dial / prepare_dial / fire (every attempt
"ok", with latencies_us), counters, close, exit. Env FAKE_AGENT_CAPS overrides the capability list
(comma separated); FAKE_AGENT_PROVIDED_BY (a JSON object) is sent as hello's provided_by;
FAKE_AGENT_STDERR is written to stderr at start.
"""
import json
import os
import sys

caps = os.environ.get("FAKE_AGENT_CAPS",
                      "listen,dial,dial.threads,dial.barrier,dial.latencies,close,counters")
caps = [c for c in caps.split(",") if c]
if os.environ.get("FAKE_AGENT_STDERR"):
    sys.stderr.write(os.environ["FAKE_AGENT_STDERR"] + "\n")
    sys.stderr.flush()

accepted = 0
armed = {}


def dial_result(args):
    global accepted
    n = args.get("threads", 1) * args.get("count", 1)
    accepted += n
    return {"attempts": n, "outcomes": {"ok": n},
            "handshake": {"accepted": n if args.get("handshake") else 0, "failed": 0},
            "latency_us": {"p50": 10, "p90": 20, "p99": 30, "max": 40},
            "elapsed_ms": 1.0, "retries": 0,
            "latencies_us": [10.0 + (i % 4) * 10 for i in range(n)]
            if args.get("record_latencies") else None}


def reply(rid, result=None, error=None):
    if error is None:
        if result is not None:
            result = {k: v for k, v in result.items() if v is not None}
        msg = {"id": rid, "ok": True, "result": result}
    else:
        msg = {"id": rid, "ok": False, "error": error}
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    req = json.loads(line)
    rid, op, args = req["id"], req["op"], req["args"]
    if op == "hello":
        hello = {"protocol": 1, "implementation": "fake", "version": "0.0.1",
                 "platform": "linux", "arch": "x64", "pid": os.getpid(), "capabilities": caps}
        if os.environ.get("FAKE_AGENT_PROVIDED_BY"):
            hello["provided_by"] = json.loads(os.environ["FAKE_AGENT_PROVIDED_BY"])
        reply(rid, hello)
    elif op == "listen":
        root = args.get("root", "/tmp")
        name = "pipecheck-" + "a" * 32 + "-" + str(os.getpid())
        reply(rid, {"listener": "L1", "name": name, "path": root + "/" + name})
    elif op == "dial":
        reply(rid, dial_result(args))
    elif op == "prepare_dial":
        token = "D%d" % (len(armed) + 1)
        armed[token] = args
        reply(rid, {"token": token})
    elif op == "fire":
        reply(rid, dial_result(armed.pop(args["token"])))
    elif op == "counters":
        reply(rid, {"accepted": accepted})
    elif op == "close":
        reply(rid, {"pending_accepts": 0, "unblocked": 0, "max_unblock_ms": 0,
                    "endpoint_removed": True})
    elif op == "exit":
        reply(rid, {})
        sys.exit(0)
    else:
        reply(rid, error={"code": "unsupported", "message": "op '%s' is not implemented" % op,
                          "definite": True})

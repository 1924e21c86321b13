#!/usr/bin/env python3
"""Measure (not assert) how an agent behaves, for docs/findings/: the backlog its listener really
passes to listen() (read back with `ss -xl`), whether close() removes a socket file that replaced
its own (LSN-5), and busy rates / latency in the legacy and pooled geometries (LSN-11).

    measure.py --agent "node agents/node/agent.js"
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # importing drive must not leave __pycache__ in the source tree
import drive  # noqa: E402


def listen_backlog(path):
    """The backlog of a listening AF_UNIX socket: ss shows it as Send-Q."""
    columns = subprocess.run(["ss", "-xlH", "src", path], capture_output=True, text=True,
                             timeout=10).stdout.split()
    return columns[3] if len(columns) > 3 else "?"


def measure(command, scratch):
    ctx = drive.Context(command, scratch)
    agent = ctx.start("measure")
    impl = agent.hello["implementation"]
    try:
        root = ctx.root()
        for queue_size in (0, 1, 5):
            listener = agent.ok("listen", drive.handshake(root, queue_size=queue_size,
                                                          pid=100000 + queue_size))
            print(f"{impl}: queue_size {queue_size} -> listen backlog "
                  f"{listen_backlog(listener['path'])}")
            agent.ok("close", {"listener": listener["listener"]})

        listener = agent.ok("listen", drive.handshake(root))
        os.unlink(listener["path"])
        replacement = drive.bind_socket(listener["path"], listen_backlog=1)
        inode = os.lstat(listener["path"]).st_ino
        closed = agent.ok("close", {"listener": listener["listener"]})
        kept = os.path.lexists(listener["path"]) and os.lstat(listener["path"]).st_ino == inode
        print(f"{impl}: LSN-5 a socket file that replaced the listener's "
              f"{'survives' if kept else 'is REMOVED by'} close(); close result {closed}")
        replacement.close()
        if os.path.lexists(listener["path"]):
            os.unlink(listener["path"])

        own_hash = agent.ok("hash", drive.handshake(root))["hash"]
        for queue_size, workers in ((1, 1), (8, 4)):
            listener = agent.ok("listen", drive.handshake(root, queue_size=queue_size,
                                                          accept_workers=workers))
            client = drive.Context(command, scratch).start("client")
            try:
                for threads, count in ((1, 2000), (4, 500)):
                    result = client.ok("dial", {"path": listener["path"], "threads": threads,
                                                "count": count, "handshake": own_hash})
                    latency = result["latency_us"]
                    print(f"{impl}: queue {queue_size}, accept workers {workers}, "
                          f"{threads} x {count} closed-loop dials with handshake -> "
                          f"{result['outcomes']}, p50 {latency['p50']} us, "
                          f"p99 {latency['p99']} us, {result['elapsed_ms']} ms")
            finally:
                client.stop()
                agent.ok("close", {"listener": listener["listener"]})
    finally:
        agent.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agent", action="append", required=True,
                        help="command that starts an agent (repeatable)")
    options = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="pcm-", dir="/tmp")
    try:
        for command in options.agent:
            measure(command, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The client connects in blocking mode with a fixed 2 s send timeout instead of its dial's
timeout: where the connect has to wait (a full backlog on Linux), an attempt takes 2 s."""
import socket
import struct

REQUIREMENT = "DIAL-6"
CHECKS = {"unix": ["UnixOnly.DialIntoAFullBacklogEndsByItsTimeout"]}


def apply(agent):
    original = agent.dial_once

    def dial_once(path, timeout_ms, handshake):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 2, 0))
        try:
            probe.connect(path)
        except OSError as e:
            return agent.Attempt(agent.classify(e.errno or 0), e.errno or 0, f"connect: {e}")
        finally:
            probe.close()
        return original(path, timeout_ms, handshake)

    agent.dial_once = dial_once

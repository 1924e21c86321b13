"""The client handshake waits the 2 s WIRE-3 bound even when the dial's timeout is shorter."""
REQUIREMENT = "DIAL-6"
CHECKS = {"wire": ["Wire.HandshakeIsBoundedByTheDialTimeout"]}


def apply(agent):
    original = agent.dial_once

    def dial_once(path, timeout_ms, handshake):
        return original(path, max(timeout_ms, 2000) if handshake is not None else timeout_ms,
                        handshake)

    agent.dial_once = dial_once

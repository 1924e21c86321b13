"""The server waits for a client's HELLO for 60 s instead of the 2 s bound."""
REQUIREMENT = "WIRE-3"
CHECKS = {"wire": ["Wire.FailedHandshakesNeverHang"]}


def apply(agent):
    original = agent.Listener._serve

    def serve(self, conn):
        real = agent.WIRE_READ_TIMEOUT
        agent.WIRE_READ_TIMEOUT = 60.0  # module-wide: a client dialling at the same time waits too
        try:
            return original(self, conn)
        finally:
            agent.WIRE_READ_TIMEOUT = real

    agent.Listener._serve = serve

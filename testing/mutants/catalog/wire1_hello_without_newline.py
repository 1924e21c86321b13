"""The client's HELLO line lacks its terminating newline."""
REQUIREMENT = "WIRE-1"
CHECKS = {"wire": ["Wire.ClientSendsOneHelloLine"]}


def apply(agent):
    original = agent.dial_once

    def dial_once(path, timeout_ms, handshake):
        if handshake is None:
            return original(path, timeout_ms, handshake)
        real_socket = agent.socket.socket

        class Socket(real_socket):
            def sendall(self, data, *args):
                return super().sendall(data.rstrip(b"\n"), *args)

        agent.socket.socket = Socket
        try:
            return original(path, timeout_ms, handshake)
        finally:
            agent.socket.socket = real_socket

    agent.dial_once = dial_once

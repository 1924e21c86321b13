"""The first accept error (EMFILE) ends the accept worker: the server never serves again."""
import errno
import socket

REQUIREMENT = "RES-2"
CHECKS = {"resources": ["Resources.DescriptorExhaustion"]}


class GaveUp(Exception):
    pass


def apply(agent):
    real_accept = socket.socket.accept

    def accept(self):
        try:
            return real_accept(self)
        except OSError as e:
            if e.errno == errno.EMFILE:
                raise GaveUp() from None
            raise

    original = agent.Listener._accept_loop

    def accept_loop(self, worker):
        try:
            original(self, worker)
        except GaveUp:
            agent.log("accept: too many open files; this worker stops for good")

    socket.socket.accept = accept
    agent.Listener._accept_loop = accept_loop

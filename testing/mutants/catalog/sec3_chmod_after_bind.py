"""The socket is bound under the process umask and only then chmod-ed to 0600."""
import os

REQUIREMENT = "SEC-3"
CHECKS = {"unix": ["UnixOnly.SocketIsNeverWiderThan0600"]}


def apply(agent):
    class Os:
        def __getattr__(self, name):
            return getattr(os, name)

        def umask(self, mask):
            return os.umask(os.umask(0)) if mask == 0o177 else os.umask(mask)

    agent.os = Os()

"""The socket file ends up 0644 instead of 0600."""
import os

REQUIREMENT = "SEC-3"
CHECKS = {"unix": ["UnixOnly.DirectoryIs0700AndSocketIs0600"]}


def apply(agent):
    real_chmod = os.chmod

    class Os:
        def __getattr__(self, name):
            return getattr(os, name)

        def chmod(self, path, mode, *args, **kwargs):
            return real_chmod(path, 0o644 if mode == 0o600 else mode, *args, **kwargs)

    agent.os = Os()

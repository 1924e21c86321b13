"""Discovery follows symlinks: a symlink to a live socket is reported as that socket."""
import os

REQUIREMENT = "DISC-4"
CHECKS = {"discovery": ["Discovery.NonSocketsAreReportedAndSymlinksNeverFollowed"]}


def apply(agent):
    class Os:
        def __getattr__(self, name):
            return getattr(os, name)

        def lstat(self, path, *args, **kwargs):
            try:
                return os.stat(path, *args, **kwargs)
            except OSError:
                return os.lstat(path, *args, **kwargs)

    agent.os = Os()

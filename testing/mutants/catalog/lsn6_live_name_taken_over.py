"""Listening removes whatever holds the path, even a live listener's socket."""
import os

REQUIREMENT = "LSN-6"
CHECKS = {"close": ["Close.KilledListenerIsStaleAndReclaimed"]}


def apply(agent):
    def reclaim_or_refuse(self, path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    agent.Listener._reclaim_or_refuse = reclaim_or_refuse

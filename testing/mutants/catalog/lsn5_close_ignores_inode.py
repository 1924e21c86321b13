"""Close removes the socket path without checking it is still the file it created."""
import os

REQUIREMENT = "LSN-5"
CHECKS = {"close": ["Close.CloseLeavesAReplacedSocketFileAlone"]}


def apply(agent):
    def unlink_if_same(path, st):
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False

    agent.unlink_if_same = unlink_if_same

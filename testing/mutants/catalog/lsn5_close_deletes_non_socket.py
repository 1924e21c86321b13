"""Close also removes a file that replaced its socket when that file is not a socket."""
import os
import stat

REQUIREMENT = "LSN-5"
CHECKS = {"close": ["Close.CloseLeavesAnyOtherFileAlone"]}


def apply(agent):
    original = agent.unlink_if_same

    def unlink_if_same(path, st):
        try:
            now = os.lstat(path)
        except FileNotFoundError:
            return False
        if not stat.S_ISSOCK(now.st_mode) and not stat.S_ISDIR(now.st_mode):
            os.unlink(path)
            return True
        return original(path, st)

    agent.unlink_if_same = unlink_if_same

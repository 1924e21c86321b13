"""A symlink in place of the endpoint directory is followed instead of refused."""
import os

REQUIREMENT = "SEC-2"
CHECKS = {"unix": ["UnixOnly.InsecureEndpointDirectoryIsRefused"]}


def apply(agent):
    original = agent.check_directory

    def check_directory(directory, st):
        if agent.stat.S_ISLNK(st.st_mode):
            st = os.stat(directory)
        original(directory, st)

    original_ensure = agent.ensure_directory

    def ensure_directory(directory):
        if os.path.islink(directory):
            check_directory(directory, os.stat(directory))
            return
        original_ensure(directory)

    agent.check_directory = check_directory
    agent.ensure_directory = ensure_directory

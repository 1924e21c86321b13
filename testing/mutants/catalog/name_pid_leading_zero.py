"""Directory entries whose PID has a leading zero are parsed as valid names."""
import re

REQUIREMENT = "NAME-4"
CHECKS = {"naming": ["Naming.DirectoryEntriesAreParsedStrictly"]}


def apply(agent):
    agent.PID_RE = re.compile(r"0*[1-9][0-9]*")

"""A prefix may contain `-`, which makes names ambiguous."""
import re

REQUIREMENT = "NAME-2"
CHECKS = {"naming": ["Naming.PrefixRulesAndDefaults"]}


def apply(agent):
    agent.PREFIX_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")

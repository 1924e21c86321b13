"""`kind` accepts upper-case letters."""
import re

REQUIREMENT = "HASH-2"
CHECKS = {"hash": ["HashStability.EveryRejectRuleIsEnforced"]}


def apply(agent):
    agent.KIND_RE = re.compile(r"[A-Za-z0-9-]{1,32}")

"""A given `user` is hashed without validating its form (signs, leading zeros pass)."""
import re

REQUIREMENT = "HASH-6"
CHECKS = {"hash": ["HashStability.EveryRejectRuleIsEnforced", "HashStability.OmittedUserIsTheAgentsOwn"]}


def apply(agent):
    agent.USER_RE = re.compile(r".+")
    agent.decimal_in_range = lambda digits, limit: True

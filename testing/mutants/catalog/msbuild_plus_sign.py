"""msbuild integers accept a leading `+`."""
import re

REQUIREMENT = "HASH-20"
CHECKS = {"hash": ["HashStability.EveryRejectRuleIsEnforced"]}


def apply(agent):
    agent.INT32_RE = re.compile(r"[-+]?[0-9]+")
    original = agent.parse_int32

    def parse_int32(field, value):
        return original(field, value[1:] if value.startswith("+") else value)

    agent.parse_int32 = parse_int32

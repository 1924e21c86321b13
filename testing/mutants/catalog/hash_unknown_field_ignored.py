"""Unknown handshake fields are ignored instead of refused."""
REQUIREMENT = "HASH-1"
CHECKS = {"hash": ["HashStability.EveryRejectRuleIsEnforced"]}


def apply(agent):
    original = agent.check_field_names

    def check_field_names(fields, required, optional, profile):
        known = {k: v for k, v in fields.items() if k in required + optional}
        original(known, required, optional, profile)

    agent.check_field_names = check_field_names

"""The hash depends on the environment: the time zone is folded into the salt."""
import os

REQUIREMENT = "HASH-9"
CHECKS = {"hash": ["HashStability.SameHashInEveryEnvironment"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        tz = os.environ.get("TZ", "")
        result = original(dict(fields, salt=fields.get("salt", "") + tz) if tz else fields)
        return result

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

"""`arch` "*" is hashed as the literal "*" instead of the current architecture."""
REQUIREMENT = "HASH-4"
CHECKS = {"hash": ["HashStability.StarArchitectureIsTheCurrentOne"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        if fields.get("arch") != "*":
            return original(fields)
        real = agent.own_arch
        agent.own_arch = lambda: "*"
        try:
            return original(fields)
        finally:
            agent.own_arch = real

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

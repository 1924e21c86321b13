"""The pipecheck hash keeps base32's upper case."""
REQUIREMENT = "HASH-8"
CHECKS = {"hash": ["HashStability.HashUsesOnlyTheProfilesAlphabet", "HashStability.PipecheckGoldenVectors"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        result = original(fields)
        return dict(result, hash=result["hash"].upper())

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

"""The key lists `salt` before `arch`."""
REQUIREMENT = "HASH-7"
CHECKS = {"hash": ["HashStability.PipecheckGoldenVectors"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        result = original(fields)
        lines = result["key"].split("\n")
        lines[3], lines[4] = lines[4], lines[3]
        key = "\n".join(lines)
        digest = agent.hashlib.sha256(key.encode("utf-8")).digest()
        encoded = agent.base64.b32encode(digest).decode("ascii").lower().rstrip("=")
        return dict(result, key=key, hash=encoded[:32])

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

"""Leading zeros in version parts are kept in the canonical form ("17.08" stays "17.08.0.0")."""
REQUIREMENT = "HASH-3"
CHECKS = {"hash": ["HashStability.PipecheckGoldenVectors", "HashStability.EveryFieldChangesTheHash"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        result = original(fields)
        parts = fields["version"].split(".")
        if any(len(p) > 1 and p.startswith("0") for p in parts):
            kept = ".".join(parts + ["0"] * (4 - len(parts)))
            canonical = ".".join(str(int(p)) for p in parts + ["0"] * (4 - len(parts)))
            key = result["key"].replace(f"version={canonical}\n", f"version={kept}\n")
            digest = agent.hashlib.sha256(key.encode("utf-8")).digest()
            encoded = agent.base64.b32encode(digest).decode("ascii").lower().rstrip("=")
            result = dict(result, key=key, hash=encoded[:32])
        return result

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

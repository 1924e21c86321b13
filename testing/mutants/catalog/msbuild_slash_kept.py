"""The msbuild hash keeps base64's `/` instead of replacing it by `_`."""
REQUIREMENT = "HASH-22"
CHECKS = {"hash": ["HashStability.MsbuildGoldenVectors", "HashStability.HashUsesOnlyTheProfilesAlphabet"]}


def apply(agent):
    original = agent.hash_msbuild

    def hash_msbuild(fields):
        result = original(fields)
        return dict(result, hash=result["hash"].replace("_", "/"))

    agent.hash_msbuild = hash_msbuild
    agent.PROFILES["msbuild"] = hash_msbuild

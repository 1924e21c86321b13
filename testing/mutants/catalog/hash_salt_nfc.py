"""The salt is NFC-normalised before hashing, so NFC and NFD salts hash alike."""
import unicodedata

REQUIREMENT = "HASH-5"
CHECKS = {"hash": ["HashStability.PipecheckGoldenVectors", "HashStability.EveryFieldChangesTheHash"]}


def apply(agent):
    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        if isinstance(fields.get("salt"), str):
            try:
                fields = dict(fields, salt=unicodedata.normalize("NFC", fields["salt"]))
            except UnicodeError:
                pass
        return original(fields)

    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

"""Invalid UTF-8 in the salt is replaced by U+FFFD and hashed instead of refused."""
REQUIREMENT = "HASH-5"
CHECKS = {"hash": ["HashStability.InvalidUtf8IsRefused"]}


def apply(agent):
    def require_utf8(field, value):
        pass  # the salt's lone surrogates are encoded with "replace" below

    original = agent.hash_pipecheck

    def hash_pipecheck(fields):
        salt = fields.get("salt")
        if isinstance(salt, str):
            salt = salt.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            salt = salt.encode("utf-8", "replace").decode("utf-8")
            fields = dict(fields, salt=salt)
        return original(fields)

    agent.require_utf8 = require_utf8
    agent.hash_pipecheck = hash_pipecheck
    agent.PROFILES.update(pipecheck=hash_pipecheck, **{"pipecheck/1": hash_pipecheck})

#!/usr/bin/env python3
"""Generate the golden hash vectors in fixtures/vectors/ (HASH-31).

An independent implementation of the hash profiles written from the text of docs/spec.md
(HASH-1..23), using only Python's hashlib and base64 modules: it shares no code with the C++
reference implementation, so agreement between the two is evidence for both.

    ci/tools/make_vectors.py                 # rewrite fixtures/vectors/*.json
    ci/tools/make_vectors.py --check         # exit 1 if the files on disk differ

Each vector: id, description, fields (strings, exactly as a caller passes them), the expected
canonical key, hash, and the endpoint name for the given prefix and pid. Vectors with arch `*`
are resolved as x64 and say so in `resolved_arch`. pipecheck vectors say which platform form
their `user` has (`user_form`: uid on POSIX, sid on Windows; HASH-6).

rejects.json lists inputs that must be refused: profile, fields, the field the error must name
(`profile` for a bad profile name) and the protocol's error code (`invalid_argument`, the one
vocabulary of docs/formats/agent-protocol.md). Field values that are not valid
UTF-8 cannot be JSON strings; they are written as {"hex": "..."} holding the raw bytes.
"""

import argparse
import base64
import hashlib
import json
import pathlib
import re
import sys
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "vectors"

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
ARCHES = ("x86", "x64", "arm", "arm64")
WILDCARD_ARCH_AS = "x64"


class Rejected(Exception):
    """A field breaks its rule; args[0] is the field name."""


# --- The profiles, from the spec text -------------------------------------------------------


def canonical_version(text):
    """HASH-3: 1..4 dot-separated ASCII decimal integers 0..2^31-1, leading zeros dropped."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        raise Rejected("version")
    numbers = []
    for part in parts:
        # [0-9] and re.ASCII: int() and \d would accept signs, spaces and non-ASCII digits.
        if not re.fullmatch(r"[0-9]+", part, re.ASCII):
            raise Rejected("version")
        value = int(part, 10)
        if value > INT32_MAX:
            raise Rejected("version")
        numbers.append(value)
    return numbers + [0] * (4 - len(numbers))


def check_salt(salt_bytes):
    """HASH-5: strict UTF-8 (Python's decoder refuses overlongs, surrogates and > U+10FFFF)."""
    try:
        salt_bytes.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Rejected("salt")
    if b"\n" in salt_bytes or b"\0" in salt_bytes:
        raise Rejected("salt")


def check_user(user):
    """HASH-6: canonical decimal uid (POSIX) or a SID string S-1-... (Windows)."""
    if re.fullmatch(r"0|[1-9][0-9]*", user, re.ASCII) and int(user) <= 2**32 - 1:
        return "uid"
    if re.fullmatch(r"S-1-(0|[1-9][0-9]*)(-(0|[1-9][0-9]*)){0,15}", user, re.ASCII):
        return "sid"
    raise Rejected("user")


def as_bytes(value):
    return bytes.fromhex(value["hex"]) if isinstance(value, dict) else value.encode("utf-8")


def pipecheck_key(fields):
    """HASH-1..7. Returns (key bytes, user form)."""
    allowed = {"kind", "version", "arch", "salt", "user"}
    for name in sorted(fields):
        if name not in allowed:
            raise Rejected(name)
    for name in ("kind", "version", "arch", "salt", "user"):
        if name not in fields:
            raise Rejected(name)  # the generator always states `user` explicitly
    kind = fields["kind"]
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z0-9-]{1,32}", kind, re.ASCII):
        raise Rejected("kind")
    if not isinstance(fields["version"], str):
        raise Rejected("version")
    version = ".".join(str(n) for n in canonical_version(fields["version"]))
    arch = fields["arch"]
    if arch == "*":
        arch = WILDCARD_ARCH_AS
    elif arch not in ARCHES:
        raise Rejected("arch")
    salt = as_bytes(fields["salt"])
    check_salt(salt)
    user = fields["user"]
    if not isinstance(user, str):
        raise Rejected("user")
    form = check_user(user)
    key = (
        b"pipecheck/1\n"
        + b"kind=" + kind.encode() + b"\n"
        + b"version=" + version.encode() + b"\n"
        + b"arch=" + arch.encode() + b"\n"
        + b"salt=" + salt + b"\n"
        + b"user=" + user.encode() + b"\n"
    )
    return key, form


def pipecheck_hash(key):
    """HASH-8: base32 (RFC 4648), lower case, no padding, first 32 characters."""
    return base64.b32encode(hashlib.sha256(key).digest()).decode("ascii").lower().rstrip("=")[:32]


def int32(field, value):
    """HASH-20: optional '-' then ASCII digits; leading zeros dropped; -0 is 0."""
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]+", value, re.ASCII):
        raise Rejected(field)
    number = int(value, 10)
    if not INT32_MIN <= number <= INT32_MAX:
        raise Rejected(field)
    return number


def msbuild_key(fields):
    """HASH-20..21."""
    for name in sorted(fields):
        if name not in {"options", "salt", "version", "session"}:
            raise Rejected(name)
    for name in ("options", "salt", "version"):
        if name not in fields:
            raise Rejected(name)
    options = int32("options", fields["options"])
    salt = int32("salt", fields["salt"])
    if not isinstance(fields["version"], str):
        raise Rejected("version")
    major, minor, build, revision = canonical_version(fields["version"])
    session = int32("session", fields["session"]) if "session" in fields else 0
    return f"{options} {salt} {major} {minor} {build} {revision} {session}".encode("utf-8")


def msbuild_hash(key):
    """HASH-22: standard base64, '/' -> '_', '=' removed, all 43 characters."""
    return base64.b64encode(hashlib.sha256(key).digest()).decode("ascii").replace("/", "_").rstrip("=")


def compute(profile, fields):
    if profile in ("pipecheck", "pipecheck/1"):
        key, form = pipecheck_key(fields)
        return key, pipecheck_hash(key), form
    if profile == "msbuild":
        key = msbuild_key(fields)
        return key, msbuild_hash(key), None
    raise Rejected(None)


# --- The vectors -----------------------------------------------------------------------------

BASE = {"kind": "worker", "version": "17.8", "arch": "x64", "salt": "tools-dir", "user": "1000"}
# The Windows counterpart of BASE's uid 1000 (HASH-6 sid form): a domain user's SID.
SID_USER = "S-1-5-21-3623811015-3361044348-30300820-1000"
CAFE_NFC = unicodedata.normalize("NFC", "caf\u00e9")
CAFE_NFD = unicodedata.normalize("NFD", "caf\u00e9")
assert CAFE_NFC != CAFE_NFD


def pipecheck_cases():
    uid_cases = list(pipecheck_uid_cases())
    yield from uid_cases
    # The same inputs with a SID user, so that as many vectors apply on Windows as on POSIX
    # (HASH-6 makes each platform refuse the other's form). Appended: existing ids stay stable.
    for description, fields, prefix, pid in uid_cases:
        if fields["user"] == BASE["user"]:
            yield f"{description} (sid user)", {**fields, "user": SID_USER}, prefix, pid


def pipecheck_uid_cases():
    def case(description, prefix="pipecheck", pid=4242, **changes):
        return description, {**BASE, **changes}, prefix, pid

    yield case("baseline: the example of the spec's handshake header, user 1000")
    # HASH-3 version normalisation.
    for version, why in [
        ("17", "one part: missing parts are 0"),
        ("17.8.0", "three parts"),
        ("17.8.0.0", "four parts: same hash as 17.8"),
        ("17.8.3", "three parts, build 3"),
        ("17.8.3.1", "four parts, revision 1"),
        ("17.08", "leading zero dropped: same hash as 17.8"),
        ("0017.0008.0000.0000", "leading zeros in every part"),
        ("000000000000000000000017.8", "many leading zeros, still in range"),
        ("0", "zero"),
        ("0.0.0.0", "all zero: same hash as 0"),
        ("2147483647", "maximum part value"),
        ("2147483647.2147483647.2147483647.2147483647", "maximum in every part"),
        ("1.2.3.4", "distinct parts"),
        ("4.3.2.1", "the same parts reversed: a different hash"),
    ]:
        yield case(f"version {version!r}: {why}", version=version)
    # HASH-4 architectures.
    for arch in ARCHES:
        yield case(f"arch {arch}", arch=arch)
    yield case(f"arch '*' resolved as {WILDCARD_ARCH_AS}: same hash as arch {WILDCARD_ARCH_AS}", arch="*")
    yield case(f"arch '*' with another salt, resolved as {WILDCARD_ARCH_AS}", arch="*", salt="other")
    # HASH-5 salts, byte for byte.
    for salt, why in [
        ("", "empty salt"),
        ("a" * 1000, "1000-byte ASCII salt"),
        ("0123456789" * 100, "1000-byte digit salt"),
        (CAFE_NFC, "non-ASCII salt 'café' in NFC (U+00E9)"),
        (CAFE_NFD, "the same text in NFD (e + U+0301): must differ from NFC"),
        ("\U0001f980", "emoji U+1F980 (4-byte UTF-8)"),
        ("\U0001f469\u200d\U0001f4bb", "emoji ZWJ sequence"),
        ("\u65e5\u672c\u8a9e", "CJK text"),
        ("\u0130\u0131 I i", "Turkish dotted/dotless i: no case folding, no locale"),
        ("\ufefftools", "leading BOM is kept as data"),
        ("\U0010ffff", "highest code point U+10FFFF"),
        ("\u00e9" * 500, "1000-byte salt of 2-byte characters"),
        ("  spaced  ", "leading and trailing spaces are kept"),
        ("tab\there", "tab is allowed"),
        ("cr\rhere", "carriage return is allowed (only \\n and NUL are not)"),
        ("kind=evil", "text that looks like a key line"),
        ("/usr/lib/dotnet/sdk/8.0.100/", "a POSIX tools directory"),
        ("C:\\Program Files\\dotnet\\sdk", "a Windows tools directory"),
    ]:
        yield case(why, salt=salt)
    # HASH-6 users.
    for user, why in [
        ("0", "user 0 (root)"),
        ("1", "user 1"),
        ("1001", "user 1001: differs from 1000"),
        ("65534", "user 65534 (nobody)"),
        ("4294967295", "largest uid"),
    ]:
        yield case(why, user=user)
    yield case("Windows SID user (sid form)", user="S-1-5-21-3623811015-3361044348-30300820-1013")
    yield case("Windows SID of LocalSystem (sid form)", user="S-1-5-18")
    # HASH-2 kinds.
    for kind in ["a", "0", "-", "node-reuse", "task-host-2", "abcdefghijklmnopqrstuvwxyz012345"]:
        yield case(f"kind {kind!r}", kind=kind)
    # NAME-1..3 names.
    yield case("prefix 'pc', pid 1", prefix="pc", pid=1)
    yield case("prefix with dot and underscore, largest POSIX pid", prefix="My.App_2", pid=2147483647)
    yield case("32-character prefix", prefix="P" * 32, pid=99999)


def msbuild_cases():
    def case(description, fields, prefix="MSBuild", pid=4242):
        return description, fields, prefix, pid

    base = {"options": "16777352", "salt": "-1839395233", "version": "17.8.3.51904"}
    yield case("NodeReuse|Arm64 worker (16777352), negative salt", dict(base))
    for options, why in [
        ("16777224", "NodeReuse"),
        ("16777228", "X64|NodeReuse"),
        ("16777288", "NET|NodeReuse"),
        ("16777217", "TaskHost"),
        ("16777219", "TaskHost|CLR2"),
        ("16777221", "TaskHost|X64"),
        ("16777240", "NodeReuse|LowPriority"),
        ("16777256", "NodeReuse|Administrator"),
        ("16777472", "SidecarTaskHost"),
        ("16777480", "SidecarTaskHost|NodeReuse"),
        ("0", "zero options"),
        ("-1", "options -1"),
        ("2147483647", "INT32_MAX options"),
        ("-2147483648", "INT32_MIN options"),
        ("016777352", "leading zero dropped: same hash as 16777352"),
        ("-0", "-0 is 0"),
    ]:
        yield case(f"options {options} ({why})", {**base, "options": options})
    for salt in ["0", "1", "-1", "123456789", "-987654321", "2147483647", "-2147483648", "-000042"]:
        yield case(f"salt {salt}", {**base, "salt": salt})
    for version, why in [
        ("17.8", "two parts: build and revision 0"),
        ("17", "one part"),
        ("17.08.03", "leading zeros, three parts"),
        ("9.0.100.0", "SDK-style version"),
        ("0.0.0.0", "all zero"),
        ("2147483647.2147483647.2147483647.2147483647", "maximum parts"),
    ]:
        yield case(f"version {version!r}: {why}", {**base, "version": version})
    for session in ["0", "1", "-1", "12345", "2147483647", "-2147483648"]:
        yield case(f"session {session}", {**base, "session": session})
    yield case("session omitted equals session 0 (Unix MSBuild)", {**base, "options": "16777224"})
    yield case("explicit session 0", {**base, "options": "16777224", "session": "0"})
    yield case("prefix 'msb', pid 1", dict(base), prefix="msb", pid=1)
    yield case("largest POSIX pid", dict(base), pid=2147483647)


def build_vectors(profile, cases, id_prefix):
    vectors = []
    for number, (description, fields, prefix, pid) in enumerate(cases, start=1):
        key, digest, form = compute(profile, fields)
        vector = {
            "id": f"{id_prefix}-{number:03d}",
            "description": description,
            "fields": fields,
            "key": key.decode("utf-8"),
            "hash": digest,
            "prefix": prefix,
            "pid": pid,
            "name": f"{prefix}-{digest}-{pid}",
        }
        if fields.get("arch") == "*":
            vector["resolved_arch"] = WILDCARD_ARCH_AS
        if form:
            vector["user_form"] = form
        vectors.append(vector)
    return vectors


def reject_cases():
    pc = dict(BASE)
    ms = {"options": "16777352", "salt": "-1839395233", "version": "17.8.3.51904"}

    def without(fields, name):
        return {k: v for k, v in fields.items() if k != name}

    for name in ("kind", "version", "arch", "salt"):
        yield "pipecheck", without(pc, name), name, f"missing {name}"
    yield "pipecheck", {**pc, "extra": "1"}, "extra", "unknown field"
    yield "pipecheck", {**pc, "options": "1"}, "options", "an msbuild field in the pipecheck profile"
    for kind, why in [
        ("", "empty"), ("a" * 33, "33 characters"), ("Worker", "upper case"), ("work_er", "underscore"),
        ("work er", "space"), ("w\u00f6rker", "non-ASCII"), ("worker.1", "dot"),
    ]:
        yield "pipecheck", {**pc, "kind": kind}, "kind", f"kind {why}"
    for version, why in [
        ("", "empty"), (".", "only a dot"), ("1.", "trailing dot"), (".1", "leading dot"),
        ("1..2", "empty middle part"), ("1.2.3.4.5", "five parts"), ("+1", "plus sign"),
        ("-1", "minus sign"), (" 1", "leading space"), ("1 ", "trailing space"),
        ("\u0661\u0667", "Arabic-Indic digits"), ("\uff11\uff17", "fullwidth digits"),
        ("2147483648", "over 2147483647"), ("99999999999999999999999", "huge"),
        ("1.2147483648", "second part over range"), ("1e3", "exponent"), ("0x10", "hex"),
        ("1,2", "comma"), ("1_000", "underscore digit separator"),
    ]:
        yield "pipecheck", {**pc, "version": version}, "version", f"version {why}"
    for arch in ["X64", "amd64", "", "**", "aarch64", "x64 ", "arm64e"]:
        yield "pipecheck", {**pc, "arch": arch}, "arch", f"arch {arch!r} is not known"
    for salt, why in [
        ("\n", "a newline"), ("a\nb", "an embedded newline"), ({"hex": "6100"}, "NUL"),
        ({"hex": "c0af"}, "overlong 2-byte '/'"), ({"hex": "e080af"}, "overlong 3-byte"),
        ({"hex": "f0808080"}, "overlong 4-byte"), ({"hex": "eda080"}, "surrogate U+D800"),
        ({"hex": "edbfbf"}, "surrogate U+DFFF"), ({"hex": "f4908080"}, "over U+10FFFF"),
        ({"hex": "f5808080"}, "lead byte F5"), ({"hex": "ff"}, "byte FF"),
        ({"hex": "80"}, "lone continuation byte"), ({"hex": "e282"}, "truncated sequence"),
        ({"hex": "e228a1"}, "bad continuation byte"), ({"hex": "636166e9"}, "Latin-1 'café'"),
    ]:
        yield "pipecheck", {**pc, "salt": salt}, "salt", f"salt with {why}"
    for user, why in [
        ("", "empty"), ("-1", "sign"), ("+1000", "plus sign"), ("01000", "leading zero"),
        ("4294967296", "over 32 bits"), ("abc", "letters"), ("1000 ", "trailing space"),
        ("root", "a user name"), ("s-1-5-18", "lower-case SID"), ("S-1-05-18", "SID leading zero"),
        ("S-1-", "truncated SID"),
    ]:
        yield "pipecheck", {**pc, "user": user}, "user", f"user {why}"
    for name in ("options", "salt", "version"):
        yield "msbuild", without(ms, name), name, f"missing {name}"
    yield "msbuild", {**ms, "kind": "worker"}, "kind", "a pipecheck field in the msbuild profile"
    yield "msbuild", {**ms, "user": "1000"}, "user", "user is not an msbuild field"
    for field in ("options", "salt", "session"):
        for value, why in [
            ("+1", "plus sign"), (" 1", "leading space"), ("1 ", "trailing space"), ("", "empty"),
            ("-", "only a sign"), ("--1", "double sign"), ("2147483648", "INT32_MAX + 1"),
            ("-2147483649", "INT32_MIN - 1"), ("0x10", "hex"), ("1.5", "fraction"),
            ("\u0661", "Arabic-Indic digit"),
        ]:
            yield "msbuild", {**ms, field: value}, field, f"{field} {why}"
    for version in ["", "1.2.3.4.5", "17.-1", "17.8.3.2147483648"]:
        yield "msbuild", {**ms, "version": version}, "version", f"version {version!r}"
    for profile in ["pipecheck/2", "MSBuild", "", "msbuild/1"]:
        yield profile, dict(pc), None, f"unknown profile {profile!r}"


def build_rejects():
    rejects = []
    for number, (profile, fields, field, description) in enumerate(reject_cases(), start=1):
        try:
            compute(profile, fields)
        except Rejected as rejected:
            assert rejected.args[0] == field, (description, rejected.args[0], field)
        else:
            raise AssertionError(f"reject case accepted by the generator: {description}")
        entry = {
            "id": f"reject-{number:03d}",
            "description": description,
            "profile": profile,
            "fields": fields,
            "field": "profile" if field is None else field,
            "error": "invalid_argument",
        }
        rejects.append(entry)
    return rejects


def documents():
    pipecheck = build_vectors("pipecheck", pipecheck_cases(), "pc")
    msbuild = build_vectors("msbuild", msbuild_cases(), "ms")
    header = {
        "generator": "ci/tools/make_vectors.py (Python hashlib/base64, written from docs/spec.md)",
        "wildcard_arch_resolved_as": WILDCARD_ARCH_AS,
    }
    return {
        "pipecheck.json": {"profile": "pipecheck", **header, "vectors": pipecheck},
        "msbuild.json": {"profile": "msbuild", **header, "vectors": msbuild},
        "rejects.json": {"generator": header["generator"], "rejects": build_rejects()},
    }


def render(document):
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk")
    args = parser.parse_args()
    stale = []
    for filename, document in documents().items():
        path = OUT / filename
        text = render(document)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            count = len(document.get("vectors", document.get("rejects")))
            print(f"wrote {path.relative_to(ROOT)}: {count} entries")
    if stale:
        print("out of date (run ci/tools/make_vectors.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

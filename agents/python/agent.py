#!/usr/bin/env python3
"""pipecheck agent for Python's `socket` (AF_UNIX), protocol v1 (docs/formats/agent-protocol.md).

Everything here is written from docs/spec.md with the standard library only: hashlib/base64 for
the hash profiles, socket.listen(queue_size) with accept-worker threads, non-blocking connect for
dials, SO_PEERCRED for the peer check. It does not use the reference implementation.

Usage (requests on stdin, one JSON object per line; replies on stdout; logs on stderr):

    echo '{"id":1,"op":"hello","args":{"protocol":1}}' | python3 agent.py
"""

import base64
import errno
import hashlib
import json
import math
import os
import platform
import re
import select
import socket
import stat
import struct
import sys
import threading
import time

PROTOCOL = 1
IMPLEMENTATION = "python-socket"
VERSION = "0.1.0"
MAX_LINE = 1 << 20
PATH_BUDGET = 104  # bytes including the terminating NUL (NAME-6, macOS sun_path)
INT32_MAX = 2147483647
INT32_MIN = -2147483648
WIRE_READ_TIMEOUT = 2.0  # WIRE-3 default bound for every handshake read
WIRE_MAX_LINE = 255
ARCHES = ("x86", "x64", "arm", "arm64")

KIND_RE = re.compile(r"[a-z0-9-]{1,32}")
DIGITS_RE = re.compile(r"[0-9]+")
INT32_RE = re.compile(r"-?[0-9]+")
USER_RE = re.compile(r"0|[1-9][0-9]*")
PREFIX_RE = re.compile(r"[A-Za-z0-9._]{1,32}")
PID_RE = re.compile(r"[1-9][0-9]*")
HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2})*")

EUID = os.geteuid()


def log(message):
    print(f"python-agent[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


class AgentError(Exception):
    """A protocol error reply: code, message and optional field / pid."""

    def __init__(self, code, message, field=None, definite=True, pid=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.definite = definite
        self.pid = pid

    def to_json(self):
        error = {"code": self.code, "message": self.message, "definite": self.definite}
        if self.field is not None:
            error["field"] = self.field
        if self.pid is not None:
            error["pid"] = self.pid
        return error


def invalid(field, message):
    return AgentError("invalid_argument", f"field '{field}': {message}", field=field)


# ---------------------------------------------------------------------------------------------
# Hash profiles (HASH-*)


def own_arch():
    machine = platform.machine().lower()
    is_64bit = struct.calcsize("P") == 8
    if machine in ("x86_64", "amd64", "x64", "i386", "i486", "i586", "i686", "x86"):
        return "x64" if is_64bit else "x86"
    if machine in ("aarch64", "arm64", "armv8l", "armv8b"):
        return "arm64" if is_64bit else "arm"
    if machine.startswith("arm"):
        return "arm"
    raise AgentError("internal", f"unknown machine architecture '{machine}'")


def require_utf8(field, value):
    """Strings carrying invalid UTF-8 arrive with lone surrogates (JSON escapes or raw bytes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(field, "is not valid UTF-8 (HASH-5)") from None


def decimal_in_range(digits, limit):
    significant = digits.lstrip("0") or "0"
    return len(significant) <= len(str(limit)) and int(significant) <= limit


def canonical_version(value, field="version"):
    parts = value.split(".")
    if len(parts) > 4:
        raise invalid(field, f"'{value}' has {len(parts)} parts; HASH-3 allows 1 to 4")
    numbers = []
    for part in parts:
        if not DIGITS_RE.fullmatch(part):
            raise invalid(field, f"'{value}' has part '{part}'; HASH-3 expects ASCII decimal "
                                 "digits in every dot-separated part (no empty parts, signs "
                                 "or spaces)")
        if not decimal_in_range(part, INT32_MAX):
            raise invalid(field, f"'{value}' has part '{part}' over 2147483647 (HASH-3)")
        numbers.append(int(part))
    numbers += [0] * (4 - len(numbers))
    return numbers


def parse_int32(field, value):
    if not INT32_RE.fullmatch(value):
        raise invalid(field, f"'{value}' is not a signed 32-bit integer: HASH-20 expects an "
                             "optional '-' followed by ASCII digits")
    negative = value.startswith("-")
    digits = value[1:] if negative else value
    limit = -INT32_MIN if negative else INT32_MAX
    if not decimal_in_range(digits, limit):
        raise invalid(field, f"'{value}' is outside the signed 32-bit range (HASH-20)")
    number = int(digits)
    return -number if negative else number


def check_field_names(fields, required, optional, profile):
    known = required + optional
    for name in fields:
        if name not in known:
            raise invalid(name, f"unknown field for profile {profile}; expected "
                                f"{', '.join(known)}")
    for name in required:
        if name not in fields:
            raise invalid(name, f"missing field required by profile {profile}")


def hash_pipecheck(fields):
    check_field_names(fields, ("kind", "version", "arch", "salt"), ("user",), "pipecheck/1")
    kind = fields["kind"]
    if not KIND_RE.fullmatch(kind):
        raise invalid("kind", f"'{kind}' must be 1-32 characters of [a-z0-9-] (HASH-2)")
    version = ".".join(str(n) for n in canonical_version(fields["version"]))
    arch = fields["arch"]
    if arch == "*":
        arch = own_arch()
    elif arch not in ARCHES:
        raise invalid("arch", f"'{arch}' must be one of x86, x64, arm, arm64 or * (HASH-4)")
    salt = fields["salt"]
    require_utf8("salt", salt)
    if "\n" in salt or "\0" in salt:
        raise invalid("salt", "must not contain a newline or NUL (HASH-5)")
    user = fields.get("user", str(EUID))
    if not USER_RE.fullmatch(user) or not decimal_in_range(user, 0xFFFFFFFF):
        raise invalid("user", f"'{user}' must be an effective uid in decimal without sign or "
                              "leading zero (HASH-6)")
    key = (f"pipecheck/1\nkind={kind}\nversion={version}\narch={arch}\nsalt={salt}\n"
           f"user={user}\n")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    encoded = base64.b32encode(digest).decode("ascii").lower().rstrip("=")
    return {"profile": "pipecheck", "key": key, "hash": encoded[:32], "prefix": "pipecheck"}


def hash_msbuild(fields):
    check_field_names(fields, ("options", "salt", "version"), ("session",), "msbuild")
    options = parse_int32("options", fields["options"])
    salt = parse_int32("salt", fields["salt"])
    major, minor, build, revision = canonical_version(fields["version"])
    session = parse_int32("session", fields.get("session", "0"))
    key = f"{options} {salt} {major} {minor} {build} {revision} {session}"
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    encoded = base64.b64encode(digest).decode("ascii").replace("/", "_").rstrip("=")
    return {"profile": "msbuild", "key": key, "hash": encoded, "prefix": "MSBuild"}


PROFILES = {"pipecheck": hash_pipecheck, "pipecheck/1": hash_pipecheck, "msbuild": hash_msbuild}


def make_handshake(args):
    profile = args.get("profile", "pipecheck")
    if not isinstance(profile, str):
        raise AgentError("bad_request", "args.profile must be a string")
    if profile not in PROFILES:
        raise invalid("profile", f"unknown profile '{profile}'; expected pipecheck or msbuild "
                                 "(HASH-30)")
    fields = args.get("fields")
    if not isinstance(fields, dict):
        raise AgentError("bad_request", "args.fields must be an object of strings")
    for name, value in fields.items():
        if not isinstance(value, str):
            raise AgentError("bad_request", f"args.fields.{name} must be a string")
    fields_hex = args.get("fields_hex", {})
    if not isinstance(fields_hex, dict):
        raise AgentError("bad_request", "args.fields_hex must be an object of hex strings")
    fields = dict(fields)
    for name, value in fields_hex.items():
        if not isinstance(value, str) or not HEX_RE.fullmatch(value):
            raise AgentError("bad_request", f"args.fields_hex.{name} must be pairs of hex digits")
        if name in fields:
            raise AgentError("bad_request", f"field '{name}' is in both fields and fields_hex")
        # Invalid UTF-8 becomes lone surrogates, which require_utf8 refuses (HASH-5).
        fields[name] = bytes.fromhex(value).decode("utf-8", "surrogateescape")
    return PROFILES[profile](fields)


# ---------------------------------------------------------------------------------------------
# Names, paths and the endpoint directory (NAME-*, SEC-1..3)


def get_pid_arg(args):
    pid = args.get("pid", os.getpid())
    if isinstance(pid, bool) or not isinstance(pid, int) or not 1 <= pid <= INT32_MAX:
        raise invalid("pid", f"{pid!r} must be an integer from 1 to 2147483647 (NAME-3)")
    return pid


def endpoint_for(args, handshake):
    """Name, directory and path for the handshake arguments (NAME-1..6, HASH-23)."""
    prefix = args.get("prefix", handshake["prefix"])
    if not isinstance(prefix, str) or not PREFIX_RE.fullmatch(prefix):
        raise invalid("prefix", f"{prefix!r} must be 1-32 characters of [A-Za-z0-9._] (NAME-2)")
    root = args.get("root") or os.environ.get("PIPECHECK_ROOT") or "/tmp"
    if not isinstance(root, str) or "\0" in root:
        raise invalid("root", "must be a directory path without NUL")
    root = root.rstrip("/") if root != "/" else ""
    pid = get_pid_arg(args)
    name = f"{prefix}-{handshake['hash']}-{pid}"
    if handshake["profile"] == "pipecheck":
        directory = f"{root}/{prefix}-{EUID}"
    else:
        directory = root or "/"
    path = f"{directory.rstrip('/')}/{name}"
    size = len(path.encode("utf-8", "surrogateescape")) + 1
    if size > PATH_BUDGET:
        raise AgentError("path_too_long",
                         f"endpoint path '{path}' needs {size} bytes including the NUL, "
                         f"{size - PATH_BUDGET} over the {PATH_BUDGET}-byte budget (NAME-6); "
                         "it is never truncated")
    return {"name": name, "directory": directory, "path": path, "pid": pid, "prefix": prefix,
            "secure_directory": handshake["profile"] == "pipecheck"}


def parse_entry_pid(entry, stem):
    """PID of `entry` if it is exactly `{stem}{pid}` with a strict PID (NAME-4), else None."""
    tail = entry[len(stem):]
    if PID_RE.fullmatch(tail) and decimal_in_range(tail, INT32_MAX):
        return int(tail)
    return None


def insecure(directory, st, problem):
    return AgentError("insecure_directory",
                      f"endpoint directory '{directory}' {problem} (owner uid {st.st_uid}, "
                      f"mode {stat.S_IMODE(st.st_mode):04o}); SEC-2 requires a real directory "
                      f"owned by uid {EUID} with no group or other permission bits")


def check_directory(directory, st):
    if stat.S_ISLNK(st.st_mode):
        raise insecure(directory, st, "is a symlink")
    if not stat.S_ISDIR(st.st_mode):
        raise insecure(directory, st, "is not a directory")
    if st.st_uid != EUID:
        raise insecure(directory, st, "is owned by another user")
    if st.st_mode & 0o077:
        raise insecure(directory, st, "has group or other permission bits")


def ensure_directory(directory):
    try:
        os.mkdir(directory, 0o700)
        created = True
    except FileExistsError:
        created = False
    except OSError as e:
        raise AgentError("internal", f"mkdir '{directory}': {e.strerror}") from None
    st = os.lstat(directory)
    if created and stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(directory, 0o700)  # our umask removed owner bits; the directory is ours
        st = os.lstat(directory)
    check_directory(directory, st)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connect_refused(path):
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.setblocking(False)
        return probe.connect_ex(path) == errno.ECONNREFUSED
    finally:
        probe.close()


def unlink_if_same(path, st):
    """Remove `path` only if it is still the file described by `st` (SEC-5, LSN-5)."""
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return False
    if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False  # its owner removed it meanwhile
    return True


# ---------------------------------------------------------------------------------------------
# Connections: peer check (SEC-4) and the wire handshake (WIRE-1..3)


def peer_uid(conn):
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("iII"))
    return struct.unpack("iII", creds)[1]


def read_wire_line(conn, deadline):
    """One `\\n`-terminated line of at most 255 bytes before `deadline`; (line, problem)."""
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, "timeout"
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(WIRE_MAX_LINE + 1 - len(data))
        except socket.timeout:
            return None, "timeout"
        except OSError as e:
            return None, f"read error: {e.strerror}"
        if not chunk:
            return None, "end_of_stream"
        data += chunk
        if b"\n" not in data and len(data) > WIRE_MAX_LINE - 1:
            return None, "line_too_long"
    line, _, _ = data.partition(b"\n")
    return line.decode("utf-8", "replace"), None


class Listener:
    def __init__(self, listener_id, endpoint, handshake_hash, options):
        self.id = listener_id
        self.endpoint = endpoint
        self.hash = handshake_hash
        self.queue_size = options["queue_size"]
        self.accept_workers = options["accept_workers"]
        self.run_handshake = options["handshake"]
        self.hold_ms = options["hold_ms"]
        self.lock = threading.Lock()
        self.workers_ready = threading.Condition(self.lock)
        self.counters = {"accepted": 0, "handshake_ok": 0, "handshake_failed": 0, "denied": 0,
                         "accept_errors": 0}
        self.closing = False
        self.close_result = None
        self.close_lock = threading.Lock()
        self.waiting = set()
        self.unblock_ms = {}
        self.connections = set()
        self.handlers = set()
        self.created = None  # the socket file this listener bound (LSN-5), once bound

    def start(self):
        path = self.endpoint["path"]
        if self.endpoint["secure_directory"]:
            ensure_directory(self.endpoint["directory"])
        # LSN-6: bind and listen on a private name in the same directory, then link() it to the
        # endpoint's name (which fails if the name exists): the endpoint never exists without a
        # listener, so a refused connect never finds one of ours between bind and listen.
        private = os.path.join(os.path.dirname(path), f".{os.getpid()}-{next_private_number()}")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with UMASK_LOCK:
                old_umask = os.umask(0o177)
                try:
                    self.sock.bind(private)
                finally:
                    os.umask(old_umask)
        except OSError as e:
            self.sock.close()
            raise AgentError("internal", f"bind '{private}': {e.strerror}") from None
        try:
            os.chmod(private, 0o600)
            self.created = os.lstat(private)
            # LSN-1: queue_size 0 and 1 both mean the legacy single slot, listen(1) on Linux.
            self.sock.listen(max(self.queue_size, 1))
            self._publish(private, path)
        except BaseException:
            self.sock.close()
            raise
        finally:
            if self.created is not None:
                unlink_if_same(private, self.created)
        self.sock.setblocking(False)
        self.wake_read, self.wake_write = os.pipe()
        self.workers = [threading.Thread(target=self._accept_loop, args=(n,), daemon=True)
                        for n in range(self.accept_workers)]
        for worker in self.workers:
            worker.start()
        with self.lock:  # reply only once every worker waits for a connection
            self.workers_ready.wait_for(lambda: len(self.waiting) == len(self.workers), 1.0)

    def _publish(self, private, path):
        for attempt in range(2):
            try:
                os.link(private, path)
                return
            except FileExistsError:
                if attempt == 0:
                    self._reclaim_or_refuse(path)
            except OSError as e:
                raise AgentError("internal", f"link '{path}': {e.strerror}") from None
        raise AgentError("address_in_use", f"address in use: '{path}' was taken again while "
                         "it was being reclaimed (LSN-6)", pid=self.endpoint["pid"])

    def _reclaim_or_refuse(self, path):
        """LSN-6: an existing path is reclaimed only if it is ours and stale."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        holder = self.endpoint["pid"]
        if not stat.S_ISSOCK(st.st_mode):
            problem = "is not a socket"
        elif st.st_uid != EUID:
            problem = f"is owned by uid {st.st_uid}"
        elif pid_alive(holder):
            problem = f"belongs to live PID {holder}"
        elif not connect_refused(path):
            problem = "still accepts connections"
        else:
            if unlink_if_same(path, st):
                log(f"reclaimed stale endpoint {path} of dead PID {holder}")
                return
            problem = "changed while it was being reclaimed"
        raise AgentError("address_in_use", f"address in use: '{path}' {problem} (LSN-6)",
                         pid=holder)

    def _accept_loop(self, worker):
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self.wake_read, select.POLLIN)
        backoff = 0  # seconds; grows while accept keeps failing (RES-1)
        while True:
            with self.lock:
                if self.closing:
                    return
                self.waiting.add(worker)
                self.workers_ready.notify_all()
            events = dict(poller.poll())
            with self.lock:
                self.waiting.discard(worker)
                if self.closing or self.wake_read in events:
                    self.unblock_ms[worker] = (time.monotonic() - self.close_began) * 1000
                    return
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                continue  # another worker took it
            except OSError as e:
                if e.errno != errno.ECONNABORTED:  # a client that left is not an error (LSN-12)
                    with self.lock:
                        self.counters["accept_errors"] += 1
                    if backoff == 0:
                        log(f"accept on {self.endpoint['path']}: {e.strerror}; backing off")
                    backoff = pause_after_accept_error(self.wake_read, backoff)
                continue
            backoff = 0
            with self.lock:
                self.counters["accepted"] += 1
                self.connections.add(conn)
            handler = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self.lock:
                self.handlers.add(handler)
            handler.start()

    def _serve(self, conn):
        try:
            conn.setblocking(True)
            if peer_uid(conn) != EUID:
                self._count("denied")
                return
            if self.run_handshake:
                line, problem = read_wire_line(conn, time.monotonic() + WIRE_READ_TIMEOUT)
                if problem is None and not line.startswith("PIPECHECK/1 HELLO "):
                    problem = "malformed_hello"
                elif problem is None and line != f"PIPECHECK/1 HELLO {self.hash}":
                    problem = "hash_mismatch"
                if problem is not None:
                    self._count("handshake_failed")
                    if problem != "end_of_stream":
                        conn.settimeout(WIRE_READ_TIMEOUT)
                        conn.sendall(f"PIPECHECK/1 REJECT {problem}\n".encode())
                    return
                self._count("handshake_ok")  # before the reply, so a client never sees it early
                conn.settimeout(WIRE_READ_TIMEOUT)
                conn.sendall(b"PIPECHECK/1 ACCEPT\n")
            if self.hold_ms > 0:
                deadline = time.monotonic() + self.hold_ms / 1000
                while (remaining := deadline - time.monotonic()) > 0:
                    conn.settimeout(remaining)
                    if not conn.recv(4096):
                        break  # the peer closed
        except (socket.timeout, OSError):
            pass  # the peer left or the listener is closing; neither is a server error
        finally:
            with self.lock:
                self.connections.discard(conn)
                self.handlers.discard(threading.current_thread())
            conn.close()

    def _count(self, name):
        with self.lock:
            self.counters[name] += 1

    def close(self):
        """Idempotent and safe from many threads (LSN-3): the first caller tears down."""
        with self.close_lock:
            if self.close_result is None:
                self.close_result = self._teardown()
            return self.close_result

    def _teardown(self):
        with self.lock:
            self.close_began = time.monotonic()
            self.closing = True
            pending = set(self.waiting)
        os.write(self.wake_write, b"x")  # level-triggered: wakes every worker in poll()
        deadline = time.monotonic() + 1.0
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        with self.lock:
            unblocked = [self.unblock_ms[w] for w in pending if w in self.unblock_ms]
            connections = list(self.connections)
            handlers = list(self.handlers)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for handler in handlers:
            handler.join(max(0.0, deadline - time.monotonic()))
        self.sock.close()
        os.close(self.wake_read)
        os.close(self.wake_write)
        unlink_if_same(self.endpoint["path"], self.created)
        return {"pending_accepts": len(pending), "unblocked": len(unblocked),
                "max_unblock_ms": round(max(unblocked, default=0.0), 3),
                "endpoint_removed": not os.path.lexists(self.endpoint["path"])}


UMASK_LOCK = threading.Lock()
PRIVATE_NUMBERS = iter(range(1 << 62))
PRIVATE_LOCK = threading.Lock()


def next_private_number():
    with PRIVATE_LOCK:
        return next(PRIVATE_NUMBERS)


ACCEPT_BACKOFF = (0.005, 0.1)  # seconds: first and longest pause after a failed accept


def pause_after_accept_error(wake_fd, backoff):
    """RES-1: a failing accept (EMFILE: the listener stays readable) must not be retried at
    once. Waits the next backoff step, or less if close wakes `wake_fd`; returns that step."""
    backoff = min(max(backoff * 2, ACCEPT_BACKOFF[0]), ACCEPT_BACKOFF[1])
    select.select([wake_fd], [], [], backoff)
    return backoff


# ---------------------------------------------------------------------------------------------
# Dial (DIAL-*)


def classify(err):
    if err in (errno.EAGAIN, errno.EWOULDBLOCK):
        return "busy"
    if err == errno.ENOENT:
        return "absent"
    if err == errno.ECONNREFUSED:
        return "refused"
    if err in (errno.EACCES, errno.EPERM):
        return "denied"
    if err == errno.ETIMEDOUT:
        return "timeout"
    return "other"


class Attempt:
    def __init__(self, outcome, system_error=0, detail="", conn=None, handshake_ok=None):
        self.outcome = outcome
        self.system_error = system_error
        self.detail = detail
        self.conn = conn
        self.handshake_ok = handshake_ok


def dial_once(path, timeout_ms, handshake):
    began = time.monotonic()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.setblocking(False)
        err = conn.connect_ex(path)
        if err == errno.EINPROGRESS:
            poller = select.poll()
            poller.register(conn.fileno(), select.POLLOUT)
            if not poller.poll(timeout_ms):
                conn.close()
                return Attempt("timeout", errno.ETIMEDOUT, f"connect: no answer in {timeout_ms} ms")
            err = conn.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    except OSError as e:
        conn.close()
        return Attempt("other", e.errno or 0, f"connect: {e}")
    if err != 0:
        conn.close()
        return Attempt(classify(err), err, f"connect: {os.strerror(err)}")
    conn.setblocking(True)
    uid = peer_uid(conn)
    if uid != EUID:
        conn.close()
        return Attempt("denied", 0, f"peer check: server runs as uid {uid}, we are uid {EUID}")
    if handshake is None:
        return Attempt("ok", conn=conn)
    # DIAL-6: the dial's timeout bounds connect and handshake together; WIRE-3's read bound
    # applies when it is the shorter one.
    deadline = began + min(timeout_ms / 1000, WIRE_READ_TIMEOUT)
    try:
        conn.settimeout(max(0.001, deadline - time.monotonic()))
        conn.sendall(f"PIPECHECK/1 HELLO {handshake}\n".encode("utf-8", "surrogateescape"))
        line, problem = read_wire_line(conn, deadline)
    except OSError as e:
        line, problem = None, f"write error: {e.strerror}"
    accepted = problem is None and line == "PIPECHECK/1 ACCEPT"
    if not accepted:
        conn.close()
        return Attempt("ok", handshake_ok=False,
                       detail=f"handshake: {problem or repr(line)}")
    return Attempt("ok", conn=conn, handshake_ok=True)


def sleep_us(microseconds):
    if microseconds > 0:
        time.sleep(microseconds / 1e6)


class DialJob:
    """The dial op's threads, held at a start gate until fire() (dial.barrier)."""

    def __init__(self, path, options):
        self.path = path
        self.options = options
        self.gate = threading.Event()
        self.arrived = 0
        self.arrived_cond = threading.Condition()
        self.results = [None] * options["threads"]
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(options["threads"])]
        for thread in self.threads:
            thread.start()

    def wait_armed(self, timeout):
        with self.arrived_cond:
            return self.arrived_cond.wait_for(lambda: self.arrived == len(self.threads), timeout)

    def _attempt(self):
        opts = self.options
        retry = opts["retry"]
        if retry is None:
            return self._timed(), 0
        deadline = time.monotonic() + retry / 1000
        backoff_us, retries = 100, 0
        while True:
            result = self._timed()
            remaining = deadline - time.monotonic()
            if result[0].outcome != "busy" or remaining <= 0:
                return result, retries
            sleep_us(min(backoff_us, remaining * 1e6))
            backoff_us = min(backoff_us * 2, 10_000)
            retries += 1

    def _timed(self):
        began = time.perf_counter_ns()
        attempt = dial_once(self.path, self.options["timeout_ms"], self.options["handshake"])
        return attempt, (time.perf_counter_ns() - began) / 1000

    def _run(self, index):
        opts = self.options
        record = {"attempts": [], "latencies": [], "retries": 0, "kept": []}
        with self.arrived_cond:
            self.arrived += 1
            self.arrived_cond.notify_all()
        self.gate.wait()
        for n in range(opts["count"]):
            if n > 0:
                sleep_us(opts["pace_us"])
            (attempt, latency), retries = self._attempt()
            record["attempts"].append(attempt)
            record["latencies"].append(latency)
            record["retries"] += retries
            if attempt.conn is not None:
                if opts["keep_open"]:
                    record["kept"].append(attempt.conn)
                else:
                    sleep_us(opts["hold_ms"] * 1000)
                    attempt.conn.close()
                attempt.conn = None
        self.results[index] = record

    def fire(self, timeout):
        began = time.perf_counter()
        self.gate.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        elapsed_ms = (time.perf_counter() - began) * 1000
        if any(thread.is_alive() for thread in self.threads):
            raise AgentError("internal", f"dial threads did not finish within {timeout} s",
                             definite=False)
        return self._summary(elapsed_ms)

    def _summary(self, elapsed_ms):
        outcomes = {}
        handshake = {"accepted": 0, "failed": 0}
        latencies, errors, sequence, retries = [], [], [], 0
        seen_errors = set()
        for record in self.results:
            for attempt in record["attempts"]:
                outcomes[attempt.outcome] = outcomes.get(attempt.outcome, 0) + 1
                sequence.append(attempt.outcome)
                if attempt.handshake_ok is not None:
                    handshake["accepted" if attempt.handshake_ok else "failed"] += 1
                sample = (attempt.outcome, attempt.system_error, attempt.detail)
                if attempt.outcome != "ok" and sample not in seen_errors and len(errors) < 10:
                    seen_errors.add(sample)
                    errors.append({"outcome": sample[0], "system_error": sample[1],
                                   "detail": sample[2]})
            latencies += record["latencies"]
            retries += record["retries"]
            for conn in record["kept"]:
                conn.close()
        result = {"attempts": len(sequence), "outcomes": outcomes,
                  "latency_us": percentiles(latencies), "elapsed_ms": round(elapsed_ms, 3),
                  "retries": retries, "errors": errors}
        if self.options["handshake"] is not None:
            result["handshake"] = handshake
        if self.options["record_sequence"]:
            result["sequence"] = sequence
        if self.options["record_latencies"]:
            result["latencies_us"] = [round(value, 1) for value in latencies]
        return result


def percentiles(values):
    ordered = sorted(values)

    def rank(q):
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)]) if ordered else 0

    return {"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": rank(1.0)}


# ---------------------------------------------------------------------------------------------
# Argument helpers


def int_arg(args, name, default, low, high=2**31 - 1):
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(name, f"{value!r} must be an integer from {low} to {high}")
    return value


def bool_arg(args, name, default):
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise invalid(name, f"{value!r} must be true or false")
    return value


# ---------------------------------------------------------------------------------------------
# The agent


class Agent:
    def __init__(self):
        self.listeners = {}
        self.dial_jobs = {}
        self.next_listener = 1
        self.next_token = 1
        self.capabilities = ["hash.pipecheck", "hash.msbuild", "discover", "discover.report",
                             "discover.reclaim", "listen", "listen.queue_size", "dial",
                             "dial.retry", "dial.threads", "dial.barrier", "close",
                             "close.concurrent", "counters", "peer-check", "secure-directory",
                             "fields.hex"]
        if os.path.isdir("/proc/self/fd"):
            self.capabilities.append("fd-count")

    # Who provides each capability (hello `provided_by`): Python's socket module ("library") or
    # this agent's own code around it ("agent"). README.md says why for each.
    PROVIDED_BY = {
        "hash.pipecheck": "agent", "hash.msbuild": "agent",  # hashlib only hashes
        "discover": "agent", "discover.report": "agent", "discover.reclaim": "agent",
        "listen": "library", "listen.queue_size": "library",  # socket.listen(queue_size)
        "dial": "library", "dial.retry": "agent", "dial.threads": "library",
        "dial.barrier": "agent",
        # socket.close does not wake a thread blocked in accept: the agent's poll + wake pipe
        # does, and its inode-checked unlink removes the file.
        "close": "agent", "close.concurrent": "agent",
        "counters": "agent", "peer-check": "agent", "secure-directory": "agent",
        "fd-count": "agent",
        "fields.hex": "agent",  # hex-decoded here, then refused by the agent's own profile code
    }

    def op_hello(self, args):
        if args.get("protocol") != PROTOCOL:
            raise AgentError("bad_request", f"protocol {args.get('protocol')!r} is not supported; "
                                            f"this agent speaks protocol {PROTOCOL}")
        plat = sys.platform
        plat = ("windows" if plat == "win32" else "freebsd" if plat.startswith("freebsd")
                else plat)
        return {"protocol": PROTOCOL, "implementation": IMPLEMENTATION, "version": VERSION,
                "platform": plat, "arch": own_arch(), "pid": os.getpid(),
                "capabilities": self.capabilities,
                "provided_by": {c: self.PROVIDED_BY[c] for c in self.capabilities}}

    def op_hash(self, args):
        handshake = make_handshake(args)
        endpoint = endpoint_for(args, handshake)
        return {"key": handshake["key"], "hash": handshake["hash"], "name": endpoint["name"],
                "path": endpoint["path"]}

    def op_discover(self, args):
        method = args.get("method", "listing")
        if method == "legacy":
            raise AgentError("unsupported", "discover method 'legacy' is not implemented")
        if method != "listing":
            raise invalid("method", f"{method!r} must be 'listing' or 'legacy'")
        reclaim = bool_arg(args, "reclaim", False)
        handshake = make_handshake(args)
        endpoint = endpoint_for(dict(args, pid=1), handshake)
        directory = endpoint["directory"]
        stem = f"{endpoint['prefix']}-{handshake['hash']}-"
        result = {"method": "listing", "live": [], "rejected": [], "reclaimed": []}
        try:
            if endpoint["secure_directory"]:
                check_directory(directory, os.lstat(directory))
            entries = os.listdir(directory)
        except FileNotFoundError:
            return result  # DISC-9: no directory, no endpoints
        for entry in sorted(entries):
            if not entry.startswith(stem):
                continue
            path = f"{directory.rstrip('/')}/{entry}"
            pid = parse_entry_pid(entry, stem)
            if pid is None:
                result["rejected"].append({"name": entry, "reason": "malformed_name"})
                continue
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue  # removed while we listed
            if not stat.S_ISSOCK(st.st_mode):
                reason = "not_a_socket"
            elif st.st_uid != EUID:
                reason = "foreign_owner"
            elif not pid_alive(pid):
                reason = "stale"
            else:
                result["live"].append({"name": entry, "pid": pid, "path": path})
                continue
            result["rejected"].append({"name": entry, "reason": reason})
            if reason == "stale" and reclaim and connect_refused(path) and unlink_if_same(path,
                                                                                          st):
                result["reclaimed"].append(entry)
        result["live"].sort(key=lambda e: e["pid"])
        return result

    def op_listen(self, args):
        handshake = make_handshake(args)
        endpoint = endpoint_for(args, handshake)
        options = {"queue_size": int_arg(args, "queue_size", 1, 0, 65535),
                   "accept_workers": int_arg(args, "accept_workers", 1, 0, 1024),
                   "handshake": bool_arg(args, "handshake", True),
                   "hold_ms": int_arg(args, "hold_ms", 0, 0, 3_600_000)}
        listener_id = f"L{self.next_listener}"
        listener = Listener(listener_id, endpoint, handshake["hash"], options)
        listener.start()
        self.next_listener += 1
        self.listeners[listener_id] = listener
        return {"listener": listener_id, "name": endpoint["name"], "path": endpoint["path"]}

    def dial_job(self, args):
        if "path" in args:
            path = args["path"]
            if not isinstance(path, str) or not path:
                raise invalid("path", "must be a non-empty string")
        elif "fields" in args:
            path = endpoint_for(args, make_handshake(args))["path"]
        else:
            raise invalid("path", "give either 'path' or handshake arguments")
        retry = args.get("retry")
        if retry is not None:
            if not isinstance(retry, dict):
                raise invalid("retry", "must be null or an object {\"deadline_ms\": n}")
            retry = int_arg({"retry.deadline_ms": retry.get("deadline_ms", 2000)},
                            "retry.deadline_ms", 2000, 0, 3_600_000)
        handshake = args.get("handshake")
        if handshake is not None and not isinstance(handshake, str):
            raise invalid("handshake", "must be null or a hash string")
        options = {"threads": int_arg(args, "threads", 1, 1, 1024),
                   "count": int_arg(args, "count", 1, 0, 10_000_000),
                   "timeout_ms": int_arg(args, "timeout_ms", 1000, 0, 3_600_000),
                   "retry": retry, "handshake": handshake,
                   "hold_ms": int_arg(args, "hold_ms", 0, 0, 3_600_000),
                   "keep_open": bool_arg(args, "keep_open", False),
                   "pace_us": int_arg(args, "pace_us", 0, 0, 60_000_000),
                   "record_sequence": bool_arg(args, "record_sequence", False),
                   "record_latencies": bool_arg(args, "record_latencies", False)}
        job = DialJob(path, options)
        if not job.wait_armed(10.0):
            raise AgentError("internal", "dial threads did not reach the barrier in 10 s",
                             definite=False)
        return job

    def op_dial(self, args):
        return self.dial_job(args).fire(3600.0)

    def op_prepare_dial(self, args):
        job = self.dial_job(args)
        token = f"D{self.next_token}"
        self.next_token += 1
        self.dial_jobs[token] = job
        return {"token": token}

    def op_fire(self, args):
        token = args.get("token")
        job = self.dial_jobs.pop(token, None)
        if job is None:
            raise invalid("token", f"{token!r} does not name a prepared dial of this agent")
        return job.fire(3600.0)

    def find_listener(self, args):
        listener_id = args.get("listener")
        listener = self.listeners.get(listener_id)
        if listener is None:
            raise AgentError("unknown_listener", f"listener {listener_id!r} is not a listener "
                                                 "of this agent", field="listener")
        return listener

    def op_close(self, args):
        listener = self.find_listener(args)
        threads = int_arg(args, "threads", 1, 1, 256)
        results = [None] * threads
        gate = threading.Barrier(threads)

        def closer(index):
            gate.wait()
            results[index] = listener.close()

        callers = [threading.Thread(target=closer, args=(n,)) for n in range(threads)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(5.0)
        if any(caller.is_alive() for caller in callers):
            raise AgentError("internal", "close did not return within 5 s", definite=False)
        del self.listeners[listener.id]
        return results[0]

    def op_counters(self, args):
        result = {}
        if "listener" in args:
            listener = self.find_listener(args)
            with listener.lock:
                result.update(listener.counters)
        if "fd-count" in self.capabilities:
            try:
                result["open_fds"] = len(os.listdir("/proc/self/fd")) - 1  # minus listdir's fd
            except OSError as e:  # out of descriptors (RES-*): the counters still answer
                log(f"counters: cannot count descriptors: {e.strerror}")
        return result

    def shutdown(self):
        for listener in list(self.listeners.values()):
            try:
                listener.close()
            except Exception as e:  # exiting anyway; say why the endpoint may remain
                log(f"closing {listener.id}: {e}")
        self.listeners.clear()

    def handle(self, line):
        """The reply to one request line, and whether the agent should exit after sending it."""
        try:
            request = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError as e:
            return {"id": guess_id(line), "ok": False, "error": AgentError(
                "bad_request", f"line is not JSON: {e}").to_json()}, False
        if not isinstance(request, dict):
            return {"id": guess_id(line), "ok": False, "error": AgentError(
                "bad_request", "a request must be a JSON object").to_json()}, False
        request_id = request.get("id")
        try:
            op, args = request.get("op"), request.get("args", {})
            if "id" not in request or not isinstance(op, str) or not isinstance(args, dict):
                raise AgentError("bad_request", "a request needs 'id', 'op' (string) and "
                                                "'args' (object)")
            handler = getattr(self, "op_" + op, None) if re.fullmatch(r"[a-z_]+", op) else None
            if op == "exit":
                return {"id": request_id, "ok": True, "result": {}}, True
            if handler is None:
                raise AgentError("unsupported", f"op '{op}' is not implemented")
            return {"id": request_id, "ok": True, "result": handler(args)}, False
        except AgentError as e:
            return {"id": request_id, "ok": False, "error": e.to_json()}, False
        except Exception as e:
            log(f"internal error in {request.get('op')!r}: {e!r}")
            return {"id": request_id, "ok": False, "error": AgentError(
                "internal", f"{type(e).__name__}: {e}", definite=False).to_json()}, False


def guess_id(line):
    """The id of a request that cannot be parsed, if it is visible; null otherwise."""
    match = re.search(rb'"id"\s*:\s*([1-9][0-9]{0,15})\b', line)
    return int(match.group(1)) if match else None


def main():
    agent = Agent()
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline(MAX_LINE + 1)
        if not line:
            break
        if len(line) > MAX_LINE:
            while line and not line.endswith(b"\n"):  # discard the rest of the long line
                line = stdin.readline(MAX_LINE)
            reply, should_exit = {"id": None, "ok": False, "error": AgentError(
                "bad_request", f"request line longer than {MAX_LINE} bytes").to_json()}, False
        elif not line.strip():
            continue
        else:
            reply, should_exit = agent.handle(line)
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        if should_exit:
            break
    agent.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

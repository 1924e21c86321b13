#!/usr/bin/env node
// pipecheck agent for Node.js `net` (libuv pipes), protocol v1 (docs/formats/agent-protocol.md).
//
// Written from docs/spec.md with Node's own facilities only: node:crypto for the hash profiles,
// net.createServer().listen({path, backlog}) for listeners, net.connect for dials, fs.lstatSync
// for the endpoint-directory and discovery checks. It does not use the reference implementation.
// What Node cannot do (stop accepting, read SO_PEERCRED, close from several threads) is not
// declared as a capability; see README.md. On Windows (`node-windows`, under Wine) it serves
// named pipes; the Windows parts are in windows.js.
//
//   echo '{"id":1,"op":"hello","args":{"protocol":1}}' | node agent.js
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');

const PROTOCOL = 1;
const IMPLEMENTATION = 'node-net';
const VERSION = '0.1.0';
const MAX_LINE = 1 << 20;
const PATH_BUDGET = 104;  // bytes including the terminating NUL (NAME-6, macOS sun_path)
const INT32_MAX = 2147483647n;
const WIRE_READ_TIMEOUT_MS = 2000;  // WIRE-3 default bound for every handshake read
const WIRE_MAX_LINE = 255;
const ARCHES = ['x86', 'x64', 'arm', 'arm64'];
const WINDOWS = process.platform === 'win32';
const win = WINDOWS ? require('./windows.js') : null;
const EUID = WINDOWS ? null : process.geteuid();
// Windows: no pipe is ever shut down (sock.end()). libuv shuts a pipe down with FlushFileBuffers
// on its thread pool, and Wine 8.0's wineserver crashes (SIGSEGV) when the pipe is closed while
// that flush is pending, also on a pipe whose peer has gone. A named pipe has no half-close
// anyway: the peer sees the end when we close. So sockets are half-open (no automatic end() when
// the peer leaves) and are destroyed instead. docs/findings/node-windows.md, "The hangs".
const PIPE_SOCKET = {allowHalfOpen: WINDOWS};

const KIND_RE = /^[a-z0-9-]{1,32}$/;
const DIGITS_RE = /^[0-9]+$/;
const INT32_RE = /^-?[0-9]+$/;
const USER_RE = /^(0|[1-9][0-9]*)$/;
const PREFIX_RE = /^[A-Za-z0-9._]{1,32}$/;
const PID_RE = /^[1-9][0-9]*$/;

function log(message) {
  if (WINDOWS) return win.log(message);
  process.stderr.write(`node-agent[${process.pid}]: ${message}\n`);
}

class AgentError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.field = extra.field;
    this.pid = extra.pid;
    this.definite = extra.definite ?? true;
  }
  toJSON() {
    const error = {code: this.code, message: this.message, definite: this.definite};
    if (this.field !== undefined) error.field = this.field;
    if (this.pid !== undefined) error.pid = this.pid;
    return error;
  }
}

function invalid(field, message) {
  return new AgentError('invalid_argument', `field '${field}': ${message}`, {field});
}

// ------------------------------------------------------------------------------------------------
// Request lines: invalid UTF-8 bytes are kept as lone surrogates U+DC80..U+DCFF (as Python's
// surrogateescape does), so a salt carrying them is refused as invalid UTF-8 rather than hashed.

const strictDecoder = new TextDecoder('utf-8', {fatal: true});

function utf8SequenceLength(bytes, i) {
  const lead = bytes[i];
  let length, min;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf)
    [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef)
    [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4)
    [length, min] = [4, 0x10000];
  else
    return 0;
  if (i + length > bytes.length) return 0;
  let codePoint = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
    codePoint = (codePoint << 6) | (bytes[i + k] & 0x3f);
  }
  const surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
  return codePoint < min || codePoint > 0x10ffff || surrogate ? 0 : length;
}

function decodeLine(bytes) {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let text = '';
    for (let i = 0; i < bytes.length;) {
      const length = utf8SequenceLength(bytes, i);
      if (length === 0) {
        text += String.fromCharCode(0xdc00 + bytes[i]);
        i += 1;
      } else {
        text += bytes.subarray(i, i + length).toString('utf8');
        i += length;
      }
    }
    return text;
  }
}

// ------------------------------------------------------------------------------------------------
// Hash profiles (HASH-*)

function ownArch() {
  const arch = {x64: 'x64', ia32: 'x86', arm: 'arm', arm64: 'arm64'}[process.arch];
  if (!arch) throw new AgentError('internal', `unknown process.arch '${process.arch}'`);
  return arch;
}

function decimalInRange(digits, limit) {
  const significant = digits.replace(/^0+/, '') || '0';
  return significant.length <= 20 && BigInt(significant) <= limit;
}

function canonicalVersion(value, field = 'version') {
  const parts = value.split('.');
  if (parts.length > 4) {
    throw invalid(field, `'${value}' has ${parts.length} parts; HASH-3 allows 1 to 4`);
  }
  const numbers = parts.map((part) => {
    if (!DIGITS_RE.test(part)) {
      throw invalid(
          field,
          `'${value}' has part '${part}'; HASH-3 expects ASCII decimal digits in every ` +
              'dot-separated part (no empty parts, signs or spaces)');
    }
    if (!decimalInRange(part, INT32_MAX)) {
      throw invalid(field, `'${value}' has part '${part}' over 2147483647 (HASH-3)`);
    }
    return BigInt(part);
  });
  while (numbers.length < 4) numbers.push(0n);
  return numbers;
}

function parseInt32(field, value) {
  if (!INT32_RE.test(value)) {
    throw invalid(
        field,
        `'${value}' is not a signed 32-bit integer: HASH-20 expects an optional '-' followed ` +
            'by ASCII digits');
  }
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  if (!decimalInRange(digits, negative ? INT32_MAX + 1n : INT32_MAX)) {
    throw invalid(field, `'${value}' is outside the signed 32-bit range (HASH-20)`);
  }
  const number = BigInt(digits);
  return negative ? -number : number;
}

function checkFieldNames(fields, required, optional, profile) {
  const known = [...required, ...optional];
  for (const name of Object.keys(fields)) {
    if (!known.includes(name)) {
      throw invalid(name, `unknown field for profile ${profile}; expected ${known.join(', ')}`);
    }
  }
  for (const name of required) {
    if (!(name in fields)) throw invalid(name, `missing field required by profile ${profile}`);
  }
}

function base32LowerNoPad(bytes) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '', buffer = 0, bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

function sha256(text) {
  return crypto.createHash('sha256').update(Buffer.from(text, 'utf8')).digest();
}

function hashPipecheck(fields) {
  checkFieldNames(fields, ['kind', 'version', 'arch', 'salt'], ['user'], 'pipecheck/1');
  const {kind, salt} = fields;
  if (!KIND_RE.test(kind)) {
    throw invalid('kind', `'${kind}' must be 1-32 characters of [a-z0-9-] (HASH-2)`);
  }
  const version = canonicalVersion(fields.version).join('.');
  let arch = fields.arch;
  if (arch === '*') {
    arch = ownArch();
  } else if (!ARCHES.includes(arch)) {
    throw invalid('arch', `'${arch}' must be one of x86, x64, arm, arm64 or * (HASH-4)`);
  }
  if (!salt.isWellFormed()) throw invalid('salt', 'is not valid UTF-8 (HASH-5)');
  if (salt.includes('\n') || salt.includes('\0')) {
    throw invalid('salt', 'must not contain a newline or NUL (HASH-5)');
  }
  const user = fields.user ?? (WINDOWS ? win.userSid() : String(EUID));
  if (WINDOWS) {
    const problem = win.sidProblem(user);
    if (problem) throw invalid('user', problem);
  } else if (!USER_RE.test(user) || !decimalInRange(user, 0xffffffffn)) {
    throw invalid(
        'user',
        `'${user}' must be an effective uid in decimal without sign or leading zero (HASH-6)`);
  }
  const key = `pipecheck/1\nkind=${kind}\nversion=${version}\narch=${arch}\nsalt=${salt}\n` +
      `user=${user}\n`;
  return {
    profile: 'pipecheck',
    key,
    hash: base32LowerNoPad(sha256(key)).slice(0, 32),
    prefix: 'pipecheck'
  };
}

function hashMsbuild(fields) {
  checkFieldNames(fields, ['options', 'salt', 'version'], ['session'], 'msbuild');
  const options = parseInt32('options', fields.options);
  const salt = parseInt32('salt', fields.salt);
  const [major, minor, build, revision] = canonicalVersion(fields.version);
  const session = parseInt32('session', fields.session ?? '0');
  const key = `${options} ${salt} ${major} ${minor} ${build} ${revision} ${session}`;
  const hash = sha256(key).toString('base64').replaceAll('/', '_').replace(/=+$/, '');
  return {profile: 'msbuild', key, hash, prefix: 'MSBuild'};
}

const PROFILES = {
  'pipecheck': hashPipecheck,
  'pipecheck/1': hashPipecheck,
  'msbuild': hashMsbuild
};

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function makeHandshake(args) {
  const profile = args.profile ?? 'pipecheck';
  if (typeof profile !== 'string')
    throw new AgentError('bad_request', 'args.profile must be a string');
  if (!Object.hasOwn(PROFILES, profile)) {
    throw invalid(
        'profile', `unknown profile '${profile}'; expected pipecheck or msbuild (HASH-30)`);
  }
  if (!isObject(args.fields)) {
    throw new AgentError('bad_request', 'args.fields must be an object of strings');
  }
  for (const [name, value] of Object.entries(args.fields)) {
    if (typeof value !== 'string') {
      throw new AgentError('bad_request', `args.fields.${name} must be a string`);
    }
  }
  // `fields_hex` carries raw bytes (invalid UTF-8 for HASH-5): decoded like request lines, so
  // invalid sequences become lone surrogates that the profile refuses.
  const fields = {...args.fields};
  const fieldsHex = args.fields_hex ?? {};
  if (!isObject(fieldsHex)) {
    throw new AgentError('bad_request', 'args.fields_hex must be an object of hex strings');
  }
  for (const [name, value] of Object.entries(fieldsHex)) {
    if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) {
      throw new AgentError('bad_request', `args.fields_hex.${name} must be pairs of hex digits`);
    }
    if (Object.hasOwn(fields, name)) {
      throw new AgentError('bad_request', `field '${name}' is in both fields and fields_hex`);
    }
    fields[name] = decodeLine(Buffer.from(value, 'hex'));
  }
  return PROFILES[profile](fields);
}

// ------------------------------------------------------------------------------------------------
// Names, paths and the endpoint directory (NAME-*, SEC-1..3)

function intArg(args, name, fallback, low, high = 2147483647) {
  const value = args[name] ?? fallback;
  if (!Number.isInteger(value) || value < low || value > high) {
    throw invalid(name, `${JSON.stringify(value)} must be an integer from ${low} to ${high}`);
  }
  return value;
}

function boolArg(args, name, fallback) {
  const value = args[name] ?? fallback;
  if (typeof value !== 'boolean')
    throw invalid(name, `${JSON.stringify(value)} must be true or false`);
  return value;
}

function endpointFor(args, handshake) {
  const prefix = args.prefix ?? handshake.prefix;
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix)) {
    throw invalid(
        'prefix', `${JSON.stringify(prefix)} must be 1-32 characters of [A-Za-z0-9._] (NAME-2)`);
  }
  let root = args.root || process.env.PIPECHECK_ROOT || '/tmp';
  if (typeof root !== 'string' || root.includes('\0')) {
    throw invalid('root', 'must be a directory path without NUL');
  }
  root = root.replace(/\/+$/, '');
  const pid = intArg(args, 'pid', process.pid, 1, WINDOWS ? 4294967295 : 2147483647);
  const name = `${prefix}-${handshake.hash}-${pid}`;
  if (WINDOWS) {
    const pipe = win.endpoint(name, args.root, prefix);
    if (pipe.problem) throw new AgentError('path_too_long', pipe.problem);
    return {name, directory: pipe.directory, path: pipe.path, pid, prefix, markers: pipe};
  }
  const secureDirectory = handshake.profile === 'pipecheck';
  const directory = secureDirectory ? `${root}/${prefix}-${EUID}` : root || '/';
  const path = `${directory.replace(/\/+$/, '')}/${name}`;
  const size = Buffer.byteLength(path, 'utf8') + 1;
  if (size > PATH_BUDGET) {
    throw new AgentError(
        'path_too_long',
        `endpoint path '${path}' needs ${size} bytes including the NUL, ${size - PATH_BUDGET} ` +
            `over the ${PATH_BUDGET}-byte budget (NAME-6); it is never truncated`);
  }
  return {name, directory, path, pid, prefix, secureDirectory};
}

function parseEntryPid(entry, stem) {
  const tail = entry.slice(stem.length);
  return PID_RE.test(tail) && decimalInRange(tail, INT32_MAX) ? Number(tail) : null;
}

function checkDirectory(directory, st) {
  let problem = null;
  if (st.isSymbolicLink())
    problem = 'is a symlink';
  else if (!st.isDirectory())
    problem = 'is not a directory';
  else if (st.uid !== EUID)
    problem = 'is owned by another user';
  else if (st.mode & 0o077)
    problem = 'has group or other permission bits';
  if (problem) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new AgentError(
        'insecure_directory',
        `endpoint directory '${directory}' ${problem} (owner uid ${st.uid}, mode ${mode}); ` +
            `SEC-2 requires a real directory owned by uid ${EUID} with no group or other ` +
            'permission bits');
  }
}

function ensureDirectory(directory) {
  let created = false;
  try {
    fs.mkdirSync(directory, {mode: 0o700});
    created = true;
  } catch (err) {
    if (err.code !== 'EEXIST')
      throw new AgentError('internal', `mkdir '${directory}': ${err.message}`);
  }
  let st = fs.lstatSync(directory);
  if (created && st.isDirectory() && (st.mode & 0o777) !== 0o700) {
    fs.chmodSync(directory, 0o700);  // our umask removed owner bits; the directory is ours
    st = fs.lstatSync(directory);
  }
  checkDirectory(directory, st);
}

function lstatOrNull(path) {
  try {
    return fs.lstatSync(path);
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';  // exists, but belongs to someone else
  }
}

function connectRefused(path) {
  return new Promise((resolve) => {
    const probe = net.connect({...PIPE_SOCKET, path});
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err) => resolve(err.code === 'ECONNREFUSED'));
  });
}

// Remove `path` only if it is still the file described by `st` (SEC-5). Another reclaimer may
// remove it between the check and the unlink: then it is gone, not reclaimed by us.
function unlinkIfSame(path, st) {
  const now = lstatOrNull(path);
  if (!now || now.dev !== st.dev || now.ino !== st.ino) return false;
  try {
    fs.unlinkSync(path);
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
  return true;
}

// ------------------------------------------------------------------------------------------------
// Bounded line reads for the wire handshake (WIRE-1..3)

function readWireLine(sock, timeoutMs) {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const finish = (line, problem) => {
      clearTimeout(timer);
      sock.off('data', onData).off('end', onEnd).off('error', onError).off('close', onEnd);
      sock.pause();
      resolve({line, problem});
    };
    const onData = (chunk) => {
      data = Buffer.concat([data, chunk]);
      const newline = data.indexOf(0x0a);
      if (newline >= 0 && newline < WIRE_MAX_LINE) {
        finish(data.subarray(0, newline).toString('utf8'), null);
      } else if (newline >= 0 || data.length >= WIRE_MAX_LINE) {
        finish(null, 'line_too_long');
      }
    };
    const onEnd = () => finish(null, 'end_of_stream');
    const onError = (err) => finish(null, `read error: ${err.code}`);
    const timer = setTimeout(() => finish(null, 'timeout'), timeoutMs);
    sock.on('data', onData).on('end', onEnd).on('error', onError).on('close', onEnd);
    sock.resume();
  });
}

// ------------------------------------------------------------------------------------------------
// Listener

class Listener {
  constructor(id, endpoint, hash, options) {
    Object.assign(this, {id, endpoint, hash, options});
    this.counters =
        {accepted: 0, handshake_ok: 0, handshake_failed: 0, denied: 0, accept_errors: 0};
    this.connections = new Set();
  }

  async start() {
    const {path} = this.endpoint;
    if (WINDOWS) return this.startWindows();
    if (this.endpoint.secureDirectory) ensureDirectory(this.endpoint.directory);
    await this.reclaimOrRefuse(path);
    this.server = net.createServer(PIPE_SOCKET, (sock) => this.serve(sock));
    // Node turns backlog 0 into 511 (`backlog || 511`); the legacy single slot is backlog 1.
    const backlog = Math.max(this.options.queue_size, 1);
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const oldUmask = process.umask(0o177);  // bind() happens inside listen(), synchronously
      try {
        this.server.listen({path, backlog}, () => {
          this.server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(oldUmask);
      }
    }).catch((err) => {
      if (err.code === 'EADDRINUSE') {
        throw new AgentError(
            'address_in_use', `listen '${path}': ${err.message}`, {pid: this.endpoint.pid});
      }
      throw new AgentError('internal', `listen '${path}': ${err.message}`);
    });
    this.server.on('error', (err) => {
      this.counters.accept_errors++;
      log(`${this.id} server error: ${err.message}`);
    });
    fs.chmodSync(path, 0o600);
  }

  // WIN-2, WIN-5: the marker first, then the pipe. libuv ignores the backlog for pipes and keeps
  // NODE_PENDING_PIPE_INSTANCES (read at listen, default 4) instances ready: queue_size goes there.
  async startWindows() {
    const {path, directory, markers, pid} = this.endpoint;
    const problem = win.ensureDirectory(directory, markers.defaultBase);
    if (problem) {
      throw new AgentError(
          'insecure_directory', `marker directory '${directory}' ${problem}; never followed (WIN-2)`);
    }
    const marker = win.createMarker(directory, this.endpoint.name, pidAlive, pid);
    if (marker.problem) throw new AgentError('address_in_use', marker.problem, {pid});
    this.marker = marker;
    this.server = net.createServer(PIPE_SOCKET, (sock) => this.serve(sock));
    const instances = String(Math.max(this.options.queue_size, 1));
    const saved = process.env.NODE_PENDING_PIPE_INSTANCES;
    process.env.NODE_PENDING_PIPE_INSTANCES = instances;
    try {
      await new Promise((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({path}, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      win.removeMarker(marker);
      const code = err.code === 'EADDRINUSE' ? 'address_in_use' : 'internal';
      throw new AgentError(code, `listen '${path}': ${err.message}`, {pid});
    } finally {
      if (saved === undefined)
        delete process.env.NODE_PENDING_PIPE_INSTANCES;
      else
        process.env.NODE_PENDING_PIPE_INSTANCES = saved;
    }
    this.server.on('error', (err) => {
      this.counters.accept_errors++;
      log(`${this.id} server error: ${err.message}`);
    });
  }

  // LSN-6: an existing path is reclaimed only if it is ours and stale.
  async reclaimOrRefuse(path) {
    const st = lstatOrNull(path);
    if (!st) return;
    const holder = this.endpoint.pid;
    let problem;
    if (!st.isSocket())
      problem = 'is not a socket';
    else if (st.uid !== EUID)
      problem = `is owned by uid ${st.uid}`;
    else if (pidAlive(holder))
      problem = `belongs to live PID ${holder}`;
    else if (!(await connectRefused(path)))
      problem = 'still accepts connections';
    else if (unlinkIfSame(path, st)) {
      log(`reclaimed stale endpoint ${path} of dead PID ${holder}`);
      return;
    } else {
      problem = 'changed while it was being reclaimed';
    }
    throw new AgentError(
        'address_in_use', `address in use: '${path}' ${problem} (LSN-6)`, {pid: holder});
  }

  async serve(sock) {
    this.counters.accepted++;
    this.connections.add(sock);
    sock.on('close', () => this.connections.delete(sock));
    sock.on('error', () => {});  // a client that leaves is not a server error (LSN-12)
    if (this.options.handshake) {
      let {line, problem} = await readWireLine(sock, WIRE_READ_TIMEOUT_MS);
      if (!problem && !line.startsWith('PIPECHECK/1 HELLO '))
        problem = 'malformed_hello';
      else if (!problem && line !== `PIPECHECK/1 HELLO ${this.hash}`)
        problem = 'hash_mismatch';
      if (problem) {
        this.counters.handshake_failed++;
        if (problem === 'end_of_stream')
          sock.destroy();
        else
          endServed(sock, `PIPECHECK/1 REJECT ${problem}\n`);
        return;
      }
      sock.write('PIPECHECK/1 ACCEPT\n');
      this.counters.handshake_ok++;
    }
    if (this.options.hold_ms > 0) {
      const timer = setTimeout(() => sock.destroy(), this.options.hold_ms);
      sock.on('close', () => clearTimeout(timer));
      sock.on('end', () => sock.destroy());
      sock.resume();  // read (and drop) until the peer closes
    } else {
      endServed(sock);
      sock.setTimeout(WIRE_READ_TIMEOUT_MS, () => sock.destroy());
      sock.resume();
    }
  }

  // No thread is ever blocked in accept() in Node, so pending_accepts is honestly 0.
  async close() {
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const sock of this.connections) sock.destroy();
    await withDeadline(closed, 1000, 'server.close');
    if (WINDOWS) win.removeMarker(this.marker);
    // Windows: Node cannot ask whether a pipe exists without connecting; the pipe's instances
    // are closed once server.close() completes, and the marker is gone.
    const removed = WINDOWS ? lstatOrNull(this.marker.path) === null :
                              lstatOrNull(this.endpoint.path) === null;
    return {pending_accepts: 0, unblocked: 0, max_unblock_ms: 0, endpoint_removed: removed};
  }
}

// Our side of a served connection is done: end it (Unix), or on Windows destroy it once the peer
// has left or WIRE-3's bound has passed, never shutting the pipe down (PIPE_SOCKET).
function endServed(sock, text = '') {
  if (!WINDOWS) return void sock.end(text);
  if (text) sock.write(text);
  sock.on('end', () => sock.destroy());
  sock.setTimeout(WIRE_READ_TIMEOUT_MS, () => sock.destroy());
  sock.resume();
}

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
        () => reject(new AgentError(
            'internal', `${what} did not finish within ${ms} ms`, {definite: false})),
        ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------------------------------------------
// Dial (DIAL-*)

const OUTCOME_BY_CODE = {
  EAGAIN: 'busy',
  EBUSY: 'busy',  // Windows: ERROR_PIPE_BUSY
  EWOULDBLOCK: 'busy',
  ENOENT: 'absent',
  ECONNREFUSED: 'refused',
  EACCES: 'denied',
  EPERM: 'denied',
  ETIMEDOUT: 'timeout',
};

function sleepUs(microseconds) {
  if (microseconds <= 0) return Promise.resolve();
  const until = process.hrtime.bigint() + BigInt(Math.round(microseconds * 1000));
  return new Promise((resolve) => {
    const spin = () => (process.hrtime.bigint() >= until ? resolve() : setImmediate(spin));
    // setTimeout has 1 ms granularity; finish sub-millisecond remainders on the check phase.
    if (microseconds >= 2000)
      setTimeout(spin, Math.floor(microseconds / 1000) - 1);
    else
      setImmediate(spin);
  });
}

function dialOnce(path, timeoutMs, handshake) {
  const began = Date.now();
  return new Promise((resolve) => {
    const sock = net.connect({...PIPE_SOCKET, path});
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({
        outcome: 'timeout',
        systemError: 110,
        detail: `connect: no answer within ${timeoutMs} ms`
      });
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({
        outcome: OUTCOME_BY_CODE[err.code] ?? 'other',
        systemError: Math.abs(err.errno ?? 0),
        detail: `connect: ${err.message}`
      });
    });
    sock.once('connect', async () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.on('error', () => {});
      if (handshake === null) return resolve({outcome: 'ok', sock});
      sock.write(`PIPECHECK/1 HELLO ${handshake}\n`);
      // DIAL-6: the dial's timeout bounds connect and handshake together; WIRE-3's read bound
      // applies when it is the shorter one.
      const left = Math.min(WIRE_READ_TIMEOUT_MS, timeoutMs) - (Date.now() - began);
      const {line, problem} = await readWireLine(sock, Math.max(1, left));
      if (!problem && line === 'PIPECHECK/1 ACCEPT') {
        return resolve({outcome: 'ok', sock, handshakeOk: true});
      }
      sock.destroy();
      resolve({
        outcome: 'ok',
        handshakeOk: false,
        detail: `handshake: ${problem ?? JSON.stringify(line)}`
      });
    });
  });
}

// `threads` concurrent dial loops on the one event loop (see README.md), held at a start gate.
class DialJob {
  constructor(path, options) {
    Object.assign(this, {path, options});
    this.gate = new Promise((resolve) => (this.open = resolve));
    this.loops = Array.from({length: options.threads}, () => this.run());
  }

  async attempt() {
    const {retry} = this.options;
    if (retry === null) return {...(await this.timed()), retries: 0};
    const deadline = process.hrtime.bigint() + BigInt(retry) * 1000000n;
    let backoffUs = 100, retries = 0;
    for (;;) {
      const result = await this.timed();
      const remainingUs = Number(deadline - process.hrtime.bigint()) / 1000;
      if (result.outcome !== 'busy' || remainingUs <= 0) return {...result, retries};
      await sleepUs(Math.min(backoffUs, remainingUs));
      backoffUs = Math.min(backoffUs * 2, 10000);
      retries++;
    }
  }

  async timed() {
    const began = process.hrtime.bigint();
    const result = await dialOnce(this.path, this.options.timeout_ms, this.options.handshake);
    return {...result, latencyUs: Number(process.hrtime.bigint() - began) / 1000};
  }

  async run() {
    const record = {attempts: [], retries: 0, kept: []};
    await this.gate;
    for (let n = 0; n < this.options.count; n++) {
      if (n > 0) await sleepUs(this.options.pace_us);
      const attempt = await this.attempt();
      record.retries += attempt.retries;
      if (attempt.sock) {
        if (this.options.keep_open) {
          record.kept.push(attempt.sock);
        } else {
          await sleepUs(this.options.hold_ms * 1000);
          attempt.sock.destroy();
        }
        delete attempt.sock;
      }
      record.attempts.push(attempt);
    }
    return record;
  }

  async fire() {
    const began = process.hrtime.bigint();
    this.open();
    const records = await Promise.all(this.loops);
    const elapsedMs = Number(process.hrtime.bigint() - began) / 1e6;
    const outcomes = {}, handshake = {accepted: 0, failed: 0}, seen = new Set();
    const latencies = [], errors = [], sequence = [];
    let retries = 0;
    for (const record of records) {
      for (const a of record.attempts) {
        outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
        sequence.push(a.outcome);
        latencies.push(a.latencyUs);
        if (a.handshakeOk !== undefined) handshake[a.handshakeOk ? 'accepted' : 'failed']++;
        const sample = JSON.stringify([a.outcome, a.systemError ?? 0, a.detail ?? '']);
        if (a.outcome !== 'ok' && !seen.has(sample) && errors.length < 10) {
          seen.add(sample);
          errors.push({outcome: a.outcome, system_error: a.systemError ?? 0, detail: a.detail});
        }
      }
      retries += record.retries;
      for (const sock of record.kept) sock.destroy();
    }
    const result = {
      attempts: sequence.length,
      outcomes,
      latency_us: percentiles(latencies),
      elapsed_ms: Math.round(elapsedMs * 1000) / 1000,
      retries,
      errors
    };
    if (this.options.handshake !== null) result.handshake = handshake;
    if (this.options.record_sequence) result.sequence = sequence;
    if (this.options.record_latencies) {
      result.latencies_us = latencies.map((value) => Math.round(value * 10) / 10);
    }
    return result;
  }
}

function percentiles(values) {
  const ordered = [...values].sort((a, b) => a - b);
  const rank = (q) =>
      ordered.length ? Math.round(ordered[Math.max(0, Math.ceil(q * ordered.length) - 1)]) : 0;
  return {p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: rank(1)};
}

// ------------------------------------------------------------------------------------------------
// The agent

const CAPABILITIES = [
  'fields.hex',
  'hash.pipecheck',
  'hash.msbuild',
  'discover',
  'discover.report',
  'discover.reclaim',
  'listen',
  'dial',
  'dial.retry',
  'dial.threads',
  'dial.barrier',
  'close',
  'counters',
  // Windows: no socket files or modes (SEC-1..3), and no descriptor count Node can read.
  ...(WINDOWS ? [] : ['secure-directory']),
  ...(!WINDOWS && fs.existsSync('/proc/self/fd') ? ['fd-count'] : []),
];

// Who provides each capability (hello `provided_by`): Node's net/libuv ('library'), or this
// agent's own code around it ('agent'). README.md says why for each.
const PROVIDED_BY = {
  'hash.pipecheck': 'agent',      // the profile is written here (node:crypto only hashes)
  'hash.msbuild': 'agent',
  'discover': 'agent',            // fs.readdirSync + lstat; net has no discovery
  'discover.report': 'agent',
  'discover.reclaim': 'agent',
  'listen': 'library',            // net.createServer().listen({path, backlog})
  'dial': 'library',              // net.connect, outcome from err.code
  'dial.retry': 'agent',          // net has no retry
  'dial.threads': 'library',      // concurrent connects are libuv's
  'dial.barrier': 'agent',
  'close': 'library',             // server.close (and libuv's unlink)
  'counters': 'agent',
  'secure-directory': 'agent',    // umask + chmod + lstat checks; libuv creates the socket 0755
  'fd-count': 'agent',
  'fields.hex': 'agent',          // hex-decoded here, then refused by the agent's own profile code
};

class Agent {
  constructor() {
    this.listeners = new Map();
    this.dialJobs = new Map();
    this.nextListener = 1;
    this.nextToken = 1;
  }

  hello(args) {
    if (args.protocol !== PROTOCOL) {
      throw new AgentError(
          'bad_request',
          `protocol ${JSON.stringify(args.protocol)} is not ` +
              `supported; this agent speaks protocol ${PROTOCOL}`);
    }
    const platform = {win32: 'windows'}[process.platform] ?? process.platform;
    return {
      protocol: PROTOCOL,
      implementation: IMPLEMENTATION,
      version: VERSION,
      platform,
      arch: ownArch(),
      pid: process.pid,
      capabilities: CAPABILITIES,
      provided_by: Object.fromEntries(CAPABILITIES.map((c) => [c, PROVIDED_BY[c]]))
    };
  }

  hash(args) {
    const handshake = makeHandshake(args);
    const endpoint = endpointFor(args, handshake);
    return {key: handshake.key, hash: handshake.hash, name: endpoint.name, path: endpoint.path};
  }

  async discover(args) {
    const method = args.method ?? 'listing';
    if (method === 'legacy')
      throw new AgentError('unsupported', 'discover method \'legacy\' is not implemented');
    if (method !== 'listing')
      throw invalid('method', `${JSON.stringify(method)} must be 'listing' or 'legacy'`);
    const reclaim = boolArg(args, 'reclaim', false);
    const handshake = makeHandshake(args);
    const endpoint = endpointFor({...args, pid: 1}, handshake);
    if (WINDOWS) return this.discoverWindows(endpoint, handshake, reclaim);
    const {directory} = endpoint;
    const stem = `${endpoint.prefix}-${handshake.hash}-`;
    const result = {method: 'listing', live: [], rejected: [], reclaimed: []};
    const st = lstatOrNull(directory);
    if (!st) return result;  // DISC-9: no directory, no endpoints
    if (endpoint.secureDirectory) checkDirectory(directory, st);
    for (const entry of fs.readdirSync(directory).sort()) {
      if (!entry.startsWith(stem)) continue;
      const path = `${directory.replace(/\/+$/, '')}/${entry}`;
      const pid = parseEntryPid(entry, stem);
      if (pid === null) {
        result.rejected.push({name: entry, reason: 'malformed_name'});
        continue;
      }
      const entryStat = lstatOrNull(path);
      if (!entryStat) continue;  // removed while we listed
      let reason;
      if (!entryStat.isSocket())
        reason = 'not_a_socket';
      else if (entryStat.uid !== EUID)
        reason = 'foreign_owner';
      else if (!pidAlive(pid))
        reason = 'stale';
      else {
        result.live.push({name: entry, pid, path});
        continue;
      }
      result.rejected.push({name: entry, reason});
      if (reason === 'stale' && reclaim && (await connectRefused(path)) &&
          unlinkIfSame(path, entryStat)) {
        result.reclaimed.push(entry);
      }
    }
    result.live.sort((a, b) => a.pid - b.pid);
    return result;
  }

  // WIN-1, WIN-3: `\\.\pipe\` where it can be listed; else the markers. Node cannot ask
  // whether a pipe exists without connecting (no WaitNamedPipe), so a marker of a live PID is live.
  discoverWindows(endpoint, handshake, reclaim) {
    const stem = `${endpoint.prefix}-${handshake.hash}-`;
    const result = {method: 'listing', live: [], rejected: [], reclaimed: []};
    let entries = win.listPipes();
    if (entries === null) {
      result.method = 'markers';
      const state = win.directoryProblem(endpoint.directory);
      if (state.missing) return result;
      if (state.problem) {
        throw new AgentError(
            'insecure_directory', `marker directory '${endpoint.directory}' ${state.problem}`);
      }
      entries = fs.readdirSync(endpoint.directory);
    }
    for (const entry of entries.sort()) {
      if (!entry.startsWith(stem)) continue;
      const pid = parseEntryPid(entry, stem);
      if (pid === null) {
        result.rejected.push({name: entry, reason: 'malformed_name'});
        continue;
      }
      if (result.method === 'markers') {
        const marker = win.markerPath(endpoint.directory, entry);
        const st = lstatOrNull(marker);
        if (!st) continue;  // removed while we listed
        if (!st.isFile()) {
          result.rejected.push({name: entry, reason: 'not_a_socket'});
          continue;
        }
        // Our own PID on a marker we do not hold: left by a killed process whose PID came back.
        if (!pidAlive(pid) || (pid === process.pid && !win.holds(marker))) {
          result.rejected.push({name: entry, reason: 'stale'});
          if (reclaim && unlinkIfSame(marker, st)) result.reclaimed.push(entry);
          continue;
        }
      } else if (!pidAlive(pid)) {
        result.rejected.push({name: entry, reason: 'stale'});
        continue;
      }
      result.live.push({name: entry, pid, path: win.PIPE_NAMESPACE + entry});
    }
    result.live.sort((a, b) => a.pid - b.pid);
    return result;
  }

  async listen(args) {
    const handshake = makeHandshake(args);
    const endpoint = endpointFor(args, handshake);
    const options = {
      queue_size: intArg(args, 'queue_size', 1, 0, 65535),
      accept_workers: intArg(args, 'accept_workers', 1, 0, 1024),
      handshake: boolArg(args, 'handshake', true),
      hold_ms: intArg(args, 'hold_ms', 0, 0, 3600000),
    };
    if (options.accept_workers === 0) {
      throw new AgentError(
          'unsupported',
          'accept_workers 0: a Node net.Server accepts every connection as soon ' +
              'as it arrives and cannot stop accepting');
    }
    const id = `L${this.nextListener}`;
    const listener = new Listener(id, endpoint, handshake.hash, options);
    await listener.start();
    this.nextListener++;
    this.listeners.set(id, listener);
    return {listener: id, name: endpoint.name, path: endpoint.path};
  }

  dialJob(args) {
    let path;
    if ('path' in args) {
      path = args.path;
      if (typeof path !== 'string' || !path) throw invalid('path', 'must be a non-empty string');
    } else if ('fields' in args) {
      path = endpointFor(args, makeHandshake(args)).path;
    } else {
      throw invalid('path', 'give either \'path\' or handshake arguments');
    }
    let retry = args.retry ?? null;
    if (retry !== null) {
      if (!isObject(retry)) throw invalid('retry', 'must be null or an object {"deadline_ms": n}');
      retry =
          intArg({'retry.deadline_ms': retry.deadline_ms}, 'retry.deadline_ms', 2000, 0, 3600000);
    }
    const handshake = args.handshake ?? null;
    if (handshake !== null && typeof handshake !== 'string') {
      throw invalid('handshake', 'must be null or a hash string');
    }
    return new DialJob(path, {
      threads: intArg(args, 'threads', 1, 1, 1024),
      count: intArg(args, 'count', 1, 0, 10000000),
      timeout_ms: intArg(args, 'timeout_ms', 1000, 0, 3600000),
      retry,
      handshake,
      hold_ms: intArg(args, 'hold_ms', 0, 0, 3600000),
      keep_open: boolArg(args, 'keep_open', false),
      pace_us: intArg(args, 'pace_us', 0, 0, 60000000),
      record_sequence: boolArg(args, 'record_sequence', false),
      record_latencies: boolArg(args, 'record_latencies', false),
    });
  }

  dial(args) { return this.dialJob(args).fire(); }

  prepare_dial(args) {
    const token = `D${this.nextToken++}`;
    this.dialJobs.set(token, this.dialJob(args));
    return {token};
  }

  fire(args) {
    const job = this.dialJobs.get(args.token);
    if (!job)
      throw invalid(
          'token', `${JSON.stringify(args.token)} does not name a prepared dial of this agent`);
    this.dialJobs.delete(args.token);
    return job.fire();
  }

  findListener(args) {
    const listener = this.listeners.get(args.listener);
    if (!listener) {
      throw new AgentError(
          'unknown_listener',
          `listener ${JSON.stringify(args.listener)} is not a listener of this agent`,
          {field: 'listener'});
    }
    return listener;
  }

  async close(args) {
    const listener = this.findListener(args);
    const threads = intArg(args, 'threads', 1, 1, 256);
    if (threads > 1) {
      throw new AgentError(
          'unsupported', 'close from several threads: Node runs JavaScript on one thread');
    }
    this.listeners.delete(listener.id);
    return listener.close();
  }

  counters(args) {
    const result = 'listener' in args ? {...this.findListener(args).counters} : {};
    if (CAPABILITIES.includes('fd-count')) {
      try {
        result.open_fds = fs.readdirSync('/proc/self/fd').length - 1;  // minus readdir's own fd
      } catch (error) {  // out of descriptors (RES-*): the counters still answer
        log(`counters: cannot count descriptors: ${error.message}`);
      }
    }
    return result;
  }

  async shutdown() {
    for (const listener of this.listeners.values()) {
      await listener.close().catch((err) => log(`closing ${listener.id}: ${err.message}`));
    }
    this.listeners.clear();
  }

  // The reply to one request line, and whether the agent exits after sending it.
  async handle(bytes) {
    let request;
    try {
      request = JSON.parse(decodeLine(bytes));
    } catch (err) {
      return [
        {
          id: guessId(bytes),
          ok: false,
          error: new AgentError('bad_request', `line is not JSON: ${err.message}`)
        },
        false
      ];
    }
    if (!isObject(request)) {
      return [
        {
          id: guessId(bytes),
          ok: false,
          error: new AgentError('bad_request', 'a request must be a JSON object')
        },
        false
      ];
    }
    const id = request.id ?? null;
    try {
      const {op} = request;
      const args = request.args ?? {};
      if (!('id' in request) || typeof op !== 'string' || !isObject(args)) {
        throw new AgentError(
            'bad_request', 'a request needs \'id\', \'op\' (string) and \'args\' (object)');
      }
      if (op === 'exit') return [{id, ok: true, result: {}}, true];
      const ops = [
        'hello', 'hash', 'discover', 'listen', 'dial', 'prepare_dial', 'fire', 'close', 'counters'
      ];
      if (!ops.includes(op)) throw new AgentError('unsupported', `op '${op}' is not implemented`);
      return [{id, ok: true, result: await this[op](args)}, false];
    } catch (err) {
      if (err instanceof AgentError) return [{id, ok: false, error: err}, false];
      log(`internal error in '${request.op}': ${err.stack}`);
      return [
        {
          id,
          ok: false,
          error: new AgentError('internal', `${err.name}: ${err.message}`, {definite: false})
        },
        false
      ];
    }
  }
}

// The id of a request that cannot be parsed, if it is visible; null otherwise.
function guessId(bytes) {
  const match = /"id"\s*:\s*([1-9][0-9]{0,15})\b/.exec(bytes.toString('latin1'));
  return match ? Number(match[1]) : null;
}

function main() {
  const agent = new Agent();
  let pending = Buffer.alloc(0);
  let discarding = false;
  let chain = Promise.resolve(false);
  let exiting = false;
  // Windows (Wine): process.stdin/stdout throw EBADF on pipes; windows.js reads and writes the
  // descriptors directly.
  const stdio = WINDOWS ? win.stdio() : {input: process.stdin};
  const send = (reply) => {
    const line = JSON.stringify(reply) + '\n';
    if (WINDOWS)
      stdio.write(line);
    else
      process.stdout.write(line);
  };
  const finish = async () => {
    if (exiting) return;
    exiting = true;
    await agent.shutdown();
    if (WINDOWS) process.exit(0);
    process.stdout.write('', () => process.exit(0));
  };
  const enqueue = (line) => {
    chain = chain.then(async (stop) => {
      if (stop) return true;
      const [reply, shouldExit] = await agent.handle(line);
      send(reply);
      if (shouldExit) await finish();
      return shouldExit;
    });
  };
  stdio.input.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let newline;
    while ((newline = pending.indexOf(0x0a)) >= 0) {
      const line = pending.subarray(0, newline);
      pending = pending.subarray(newline + 1);
      if (discarding) {
        discarding = false;
      } else if (line.length > 0) {
        enqueue(line);
      }
    }
    if (pending.length > MAX_LINE) {
      pending = Buffer.alloc(0);
      if (!discarding) {
        discarding = true;
        chain = chain.then((stop) => {
          if (!stop)
            send({
              id: null,
              ok: false,
              error: new AgentError('bad_request', `request line longer than ${MAX_LINE} bytes`)
            });
          return stop;
        });
      }
    }
  });
  stdio.input.on('end', () => chain.then(finish));
}

main();

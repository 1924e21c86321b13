// The Node agent's Windows part (registry entry `node-windows`, docs/findings/node-windows.md):
// named pipes `\\.\pipe\{name}` (NAME-7), the user's SID in the hash (HASH-6), discovery by
// listing `\\.\pipe\` or by marker files (WIN-1..4), and stdio that works under Wine.
//
// Everything here is agent code around Node: Node has no API for the user's SID (asked from
// `whoami /user`, else the profile list in the registry), no way to hold a file without
// FILE_SHARE_DELETE or with FILE_FLAG_DELETE_ON_CLOSE, no WaitNamedPipe, and its process.stdin /
// process.stdout throw EBADF on the Unix pipes Wine hands it.
//
//   const win = require('./windows.js');
//   const {input, write} = win.stdio();   // 'data' / 'end' events; write(text)
'use strict';

const childProcess = require('node:child_process');
const EventEmitter = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const {Worker} = require('node:worker_threads');

const PIPE_NAMESPACE = '\\\\.\\pipe\\';
const MAX_PIPE_PATH = 256;  // CreateNamedPipe: the whole name, at most 256 characters
const SID_RE = /^S-1-(0|[1-9][0-9]*)(-(0|[1-9][0-9]*)){0,15}$/;

// ------------------------------------------------------------------------------------------------
// stdio: fs.readSync(0) in a worker thread, fs.writeSync(1) for replies (Wine: see field notes).

// Under Wine a read of a Unix pipe returns only once the whole buffer is filled (or at end of
// file), so the worker reads one byte at a time and posts each line as it completes.
const READER = `
const fs = require('node:fs');
const {parentPort} = require('node:worker_threads');
const line = Buffer.alloc(65536);
const byte = Buffer.alloc(1);
let used = 0;
for (;;) {
  let n = 0;
  try {
    n = fs.readSync(0, byte, 0, 1, null);
  } catch (err) {
    if (err.code === 'EAGAIN') continue;
    if (err.code !== 'EOF' && err.code !== 'EPIPE') parentPort.postMessage({error: err.message});
  }
  if (n === 0) break;
  line[used++] = byte[0];
  if (byte[0] === 0x0a || used === line.length) {
    parentPort.postMessage(Buffer.from(line.subarray(0, used)));
    used = 0;
  }
}
if (used > 0) parentPort.postMessage(Buffer.from(line.subarray(0, used)));
parentPort.postMessage(null);
`;

function stdio() {
  const input = new EventEmitter();
  // stdout/stderr: true, or the Worker would pipe its output into process.stdout (EBADF).
  const reader = new Worker(READER, {eval: true, stdout: true, stderr: true});
  reader.on('message', (message) => {
    if (message === null) {
      input.emit('end');
    } else if (message.error) {
      log(`stdin: ${message.error}`);
    } else {
      input.emit('data', Buffer.from(message));
    }
  });
  reader.on('error', (err) => {
    log(`stdin reader: ${err.message}`);
    input.emit('end');
  });
  return {input, write: (text) => writeAll(1, text)};
}

function writeAll(fd, text) {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length;) {
    try {
      at += fs.writeSync(fd, bytes, at, bytes.length - at);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function log(message) {
  try {
    writeAll(2, `node-agent[${process.pid}]: ${message}\n`);
  } catch {
    // stderr gone: nothing to tell
  }
}

// ------------------------------------------------------------------------------------------------
// The user's SID (HASH-6). Node has no API for it. The registry's profile list maps each SID to
// its profile directory: ours is the one whose directory is os.homedir() (%USERPROFILE%); that
// works on Windows and under Wine. `whoami /user` is the fallback (Wine's prints no SID).

let cachedSid = null;

function userSid() {
  if (cachedSid !== null) return cachedSid;
  const run = (command, args) => {
    try {
      return childProcess.execFileSync(
          command, args, {encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'ignore'],
                          windowsHide: true});
    } catch {
      return '';
    }
  };
  const profiles = run('reg', [
    'query', 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList', '/s', '/v',
    'ProfileImagePath'
  ]);
  const home = os.homedir().toLowerCase();
  let sid = null;
  for (const line of profiles.split(/\r?\n/)) {
    const key = /\\ProfileList\\(S-1-[0-9-]+)\s*$/.exec(line);
    if (key) sid = key[1];
    const value = /^\s+ProfileImagePath\s+REG_\w+\s+(.*?)\s*$/.exec(line);
    if (value && sid && value[1].toLowerCase() === home && SID_RE.test(sid)) {
      return (cachedSid = sid);
    }
  }
  const whoami = /"(S-1-[0-9-]+)"/.exec(run('whoami', ['/user', '/fo', 'csv', '/nh']));
  if (whoami && SID_RE.test(whoami[1])) return (cachedSid = whoami[1]);
  throw new Error(`cannot determine the user's SID (no profile of ${home}, whoami /user)`);
}

// HASH-6 on Windows: a SID string as ConvertSidToStringSid writes it; null when it is one.
function sidProblem(user) {
  if (!SID_RE.test(user)) {
    return `'${user}' must be a SID string S-1-{authority}-{sub-authority}... in canonical ` +
        'decimal (HASH-6)';
  }
  const [, , authority, ...subs] = user.split('-');
  if (BigInt(authority) > 0xffffffffffffn || subs.some((s) => BigInt(s) > 0xffffffffn)) {
    return `'${user}' has a component out of range (HASH-6)`;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Names and marker directories (NAME-7, WIN-2)

// A root starting with '/' is the host's path under Wine's Z: drive (as the reference agent does).
function nativeRoot(root) {
  return root.startsWith('/') ? 'Z:' + root.replaceAll('/', '\\') : root;
}

function endpoint(name, root, prefix) {
  const path = PIPE_NAMESPACE + name;
  if (path.length > MAX_PIPE_PATH) {
    return {
      problem: `pipe name '${path}' is ${path.length} characters, ${path.length - MAX_PIPE_PATH} ` +
          `over Windows' limit of ${MAX_PIPE_PATH} (NAME-7); it is never truncated`
    };
  }
  let base = root ? nativeRoot(root) : process.env.PIPECHECK_ROOT;
  if (!base) base = `${process.env.LOCALAPPDATA}\\pipecheck`;
  base = base.replace(/[\\/]+$/, '');
  return {path, directory: `${base}\\${prefix}-${userSid()}`, defaultBase: !root};
}

// The marker directory: created if missing, refused if a link or not a directory (WIN-2, SEC-5).
function directoryProblem(directory) {
  let st;
  try {
    st = fs.lstatSync(directory);
  } catch (err) {
    if (err.code === 'ENOENT') return {missing: true};
    return {problem: `cannot inspect: ${err.message}`};
  }
  if (st.isSymbolicLink()) return {problem: 'is a reparse point (symlink or junction)'};
  if (!st.isDirectory()) return {problem: 'is not a directory'};
  return {};
}

function ensureDirectory(directory, defaultBase) {
  let state = directoryProblem(directory);
  if (state.missing) {
    try {
      fs.mkdirSync(directory, {recursive: defaultBase});  // an explicit root must exist already
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;  // another listener made it first: inspected below
    }
    state = directoryProblem(directory);
  }
  return state.problem ?? null;
}

function markerPath(directory, name) { return `${directory}\\${name}`; }

// Markers this process holds: a leftover marker with our own PID is not ours unless listed here
// (Wine hands out small PIDs again at once, so a killed agent's PID is often the next one's).
const held = new Set();

// Creates the listener's marker (CREATE_NEW). An existing one is replaced only when no live
// listener can hold it: its PID is dead, or it is ours and we do not hold it. Node opens files
// with FILE_SHARE_DELETE, so "nobody holds it" cannot be asked of the file itself.
function createMarker(directory, name, pidAlive, pid) {
  const path = markerPath(directory, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(path, 'wx');
      held.add(path);
      return {fd, path};
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const st = fs.lstatSync(path, {throwIfNoEntry: false});
    if (st && !st.isFile()) {
      return {problem: `marker '${path}' exists and is not a plain file; left untouched`};
    }
    const ours = pid === process.pid;
    if (ours ? held.has(path) : pidAlive(pid)) {
      return {problem: `marker '${path}' belongs to a live listener of PID ${pid}`};
    }
    fs.rmSync(path, {force: true});
  }
  return {problem: `marker '${path}' was created again while reclaiming it`};
}

function removeMarker(marker) {
  try {
    fs.closeSync(marker.fd);
  } catch {
    // already closed
  }
  fs.rmSync(marker.path, {force: true});
  held.delete(marker.path);
}

// ------------------------------------------------------------------------------------------------
// Discovery (WIN-1, WIN-3): list `\\.\pipe\` (real Windows), else the marker directory (Wine).

function listPipes() {
  try {
    return fs.readdirSync(PIPE_NAMESPACE);
  } catch {
    return null;
  }
}

module.exports = {
  PIPE_NAMESPACE,
  stdio,
  log,
  userSid,
  sidProblem,
  endpoint,
  ensureDirectory,
  directoryProblem,
  markerPath,
  createMarker,
  removeMarker,
  holds: (path) => held.has(path),
  listPipes,
};

// pipecheck agent for Java's java.nio.channels with UnixDomainSocketAddress (JDK 16+), protocol
// v1 (docs/formats/agent-protocol.md).
//
// Written from docs/spec.md with the JDK only: ServerSocketChannel.open(UNIX).bind(addr, backlog)
// for listeners, SocketChannel.open(UNIX) + connect for dials, jdk.net.ExtendedSocketOptions
// .SO_PEERCRED for the peer's user, java.nio.file with the "unix:" attribute view (lstat) for the
// endpoint directory and discovery, MessageDigest for the hash profiles. What NIO does not do
// (a socket created 0600, removing the socket file on close, reclaiming stale endpoints) is agent
// code, listed in README.md; nothing is declared that neither does.
//
//   javac -d classes agents/java-nio/*.java
//   echo '{"id":1,"op":"hello","args":{"protocol":1}}' | java -cp classes Agent

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

public final class Agent {
  static final int PROTOCOL = 1;
  static final String IMPLEMENTATION = "java-nio";
  static final String VERSION = "0.1.0";
  static final int MAX_LINE = 1 << 20;
  static final int PATH_BUDGET = 104;  // bytes including the NUL (NAME-6, macOS sun_path)
  static final long INT32_MAX = 2147483647L;
  static final int WIRE_READ_TIMEOUT_MS = 2000;  // WIRE-3 default bound for every read
  static final int WIRE_MAX_LINE = 255;
  static final List<String> ARCHES = List.of("x86", "x64", "arm", "arm64");
  static final long EUID = new UnixSystem().getUid();
  static final long PID = ProcessHandle.current().pid();

  static final Pattern KIND_RE = Pattern.compile("[a-z0-9-]{1,32}");
  static final Pattern DIGITS_RE = Pattern.compile("[0-9]+");
  static final Pattern INT32_RE = Pattern.compile("-?[0-9]+");
  static final Pattern USER_RE = Pattern.compile("0|[1-9][0-9]*");
  static final Pattern PREFIX_RE = Pattern.compile("[A-Za-z0-9._]{1,32}");
  static final Pattern PID_RE = Pattern.compile("[1-9][0-9]*");

  static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFDIR = 0040000, S_IFLNK = 0120000;

  // Wire-read deadlines: a read that outlives its deadline has its channel closed under it.
  static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wire-timer");
    t.setDaemon(true);
    return t;
  });

  static void log(String message) {
    System.err.println("java-nio-agent[" + PID + "]: " + message);
  }

  // ----------------------------------------------------------------------------------------------

  static final class AgentError extends Exception {
    private static final long serialVersionUID = 1L;
    final String code;
    String field;
    Long pid;
    boolean definite = true;

    AgentError(String code, String message) {
      super(message);
      this.code = code;
    }

    AgentError field(String name) {
      field = name;
      return this;
    }

    AgentError pid(long holder) {
      pid = holder;
      return this;
    }

    AgentError indefinite() {
      definite = false;
      return this;
    }

    Map<String, Object> toJson() {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("code", code);
      error.put("message", getMessage());
      error.put("definite", definite);
      if (field != null) error.put("field", field);
      if (pid != null) error.put("pid", pid);
      return error;
    }
  }

  static AgentError invalid(String field, String message) {
    return new AgentError("invalid_argument", "field '" + field + "': " + message).field(field);
  }

  // ----------------------------------------------------------------------------------------------
  // Hash profiles (HASH-*)

  static String ownArch() throws AgentError {
    String arch = System.getProperty("os.arch");
    switch (arch) {
      case "amd64": case "x86_64": return "x64";
      case "x86": case "i386": case "i686": return "x86";
      case "aarch64": return "arm64";
      case "arm": return "arm";
      default: throw new AgentError("internal", "unknown os.arch '" + arch + "'");
    }
  }

  static boolean decimalInRange(String digits, long limit) {
    String significant = digits.replaceFirst("^0+", "");
    if (significant.isEmpty()) significant = "0";
    return significant.length() <= 19 && new java.math.BigInteger(significant).compareTo(java.math.BigInteger.valueOf(limit)) <= 0;
  }

  static long[] canonicalVersion(String value, String field) throws AgentError {
    String[] parts = value.split("\\.", -1);
    if (parts.length > 4) {
      throw invalid(field, "'" + value + "' has " + parts.length + " parts; HASH-3 allows 1 to 4");
    }
    long[] numbers = new long[4];
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (!DIGITS_RE.matcher(part).matches()) {
        throw invalid(field, "'" + value + "' has part '" + part + "'; HASH-3 expects ASCII decimal"
            + " digits in every dot-separated part (no empty parts, signs or spaces)");
      }
      if (!decimalInRange(part, INT32_MAX)) {
        throw invalid(field, "'" + value + "' has part '" + part + "' over 2147483647 (HASH-3)");
      }
      numbers[i] = Long.parseLong(part.replaceFirst("^0+(?=.)", ""));
    }
    return numbers;
  }

  static long parseInt32(String field, String value) throws AgentError {
    if (!INT32_RE.matcher(value).matches()) {
      throw invalid(field, "'" + value + "' is not a signed 32-bit integer: HASH-20 expects an"
          + " optional '-' followed by ASCII digits");
    }
    boolean negative = value.startsWith("-");
    String digits = negative ? value.substring(1) : value;
    if (!decimalInRange(digits, negative ? INT32_MAX + 1 : INT32_MAX)) {
      throw invalid(field, "'" + value + "' is outside the signed 32-bit range (HASH-20)");
    }
    long number = Long.parseLong(digits.replaceFirst("^0+(?=.)", ""));
    return negative ? -number : number;
  }

  static void checkFieldNames(Map<String, String> fields, List<String> required,
                              List<String> optional, String profile) throws AgentError {
    List<String> known = new ArrayList<>(required);
    known.addAll(optional);
    for (String name : fields.keySet()) {
      if (!known.contains(name)) {
        throw invalid(name, "unknown field for profile " + profile + "; expected "
            + String.join(", ", known));
      }
    }
    for (String name : required) {
      if (!fields.containsKey(name)) {
        throw invalid(name, "missing field required by profile " + profile);
      }
    }
  }

  static String base32LowerNoPad(byte[] bytes) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    StringBuilder out = new StringBuilder();
    int buffer = 0, bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
        bits -= 5;
      }
      buffer &= (1 << bits) - 1;
    }
    if (bits > 0) out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
    return out.toString();
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  record Handshake(String profile, String key, String hash, String prefix) {}

  static Handshake hashPipecheck(Map<String, String> fields) throws AgentError {
    checkFieldNames(fields, List.of("kind", "version", "arch", "salt"), List.of("user"),
        "pipecheck/1");
    String kind = fields.get("kind");
    String salt = fields.get("salt");
    if (!KIND_RE.matcher(kind).matches()) {
      throw invalid("kind", "'" + kind + "' must be 1-32 characters of [a-z0-9-] (HASH-2)");
    }
    long[] v = canonicalVersion(fields.get("version"), "version");
    String version = v[0] + "." + v[1] + "." + v[2] + "." + v[3];
    String arch = fields.get("arch");
    if (arch.equals("*")) {
      arch = ownArch();
    } else if (!ARCHES.contains(arch)) {
      throw invalid("arch", "'" + arch + "' must be one of x86, x64, arm, arm64 or * (HASH-4)");
    }
    if (!Json.wellFormed(salt)) throw invalid("salt", "is not valid UTF-8 (HASH-5)");
    if (salt.contains("\n") || salt.contains("\0")) {
      throw invalid("salt", "must not contain a newline or NUL (HASH-5)");
    }
    String user = fields.getOrDefault("user", Long.toString(EUID));
    if (!USER_RE.matcher(user).matches() || !decimalInRange(user, 0xffffffffL)) {
      throw invalid("user", "'" + user
          + "' must be an effective uid in decimal without sign or leading zero (HASH-6)");
    }
    String key = "pipecheck/1\nkind=" + kind + "\nversion=" + version + "\narch=" + arch
        + "\nsalt=" + salt + "\nuser=" + user + "\n";
    return new Handshake("pipecheck", key, base32LowerNoPad(sha256(key)).substring(0, 32),
        "pipecheck");
  }

  static Handshake hashMsbuild(Map<String, String> fields) throws AgentError {
    checkFieldNames(fields, List.of("options", "salt", "version"), List.of("session"), "msbuild");
    long options = parseInt32("options", fields.get("options"));
    long salt = parseInt32("salt", fields.get("salt"));
    long[] v = canonicalVersion(fields.get("version"), "version");
    long session = parseInt32("session", fields.getOrDefault("session", "0"));
    String key = options + " " + salt + " " + v[0] + " " + v[1] + " " + v[2] + " " + v[3] + " "
        + session;
    String hash = Base64.getEncoder().encodeToString(sha256(key)).replace('/', '_')
        .replaceAll("=+$", "");
    return new Handshake("msbuild", key, hash, "MSBuild");
  }

  @SuppressWarnings("unchecked")
  static Handshake makeHandshake(Map<String, Object> args) throws AgentError {
    Object profile = args.getOrDefault("profile", "pipecheck");
    if (profile == Json.NULL) profile = "pipecheck";
    if (!(profile instanceof String)) {
      throw new AgentError("bad_request", "args.profile must be a string");
    }
    if (!(args.get("fields") instanceof Map)) {
      if (!List.of("pipecheck", "pipecheck/1", "msbuild").contains(profile)) {
        throw invalid("profile", "unknown profile '" + profile
            + "'; expected pipecheck or msbuild (HASH-30)");
      }
      throw new AgentError("bad_request", "args.fields must be an object of strings");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : ((Map<String, Object>) args.get("fields")).entrySet()) {
      if (!(e.getValue() instanceof String)) {
        throw new AgentError("bad_request", "args.fields." + e.getKey() + " must be a string");
      }
      fields.put(e.getKey(), (String) e.getValue());
    }
    switch ((String) profile) {
      case "pipecheck": case "pipecheck/1": return hashPipecheck(fields);
      case "msbuild": return hashMsbuild(fields);
      default:
        throw invalid("profile", "unknown profile '" + profile
            + "'; expected pipecheck or msbuild (HASH-30)");
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Arguments

  static Object arg(Map<String, Object> args, String name) {
    Object value = args.get(name);
    return value == Json.NULL ? null : value;
  }

  static long intArg(Map<String, Object> args, String name, long fallback, long low, long high)
      throws AgentError {
    Object value = arg(args, name);
    if (value == null) return fallback;
    if (value instanceof Long) {
      long n = (Long) value;
      if (n >= low && n <= high) return n;
    }
    throw invalid(name, Json.write(value) + " must be an integer from " + low + " to " + high);
  }

  static boolean boolArg(Map<String, Object> args, String name, boolean fallback)
      throws AgentError {
    Object value = arg(args, name);
    if (value == null) return fallback;
    if (value instanceof Boolean) return (Boolean) value;
    throw invalid(name, Json.write(value) + " must be true or false");
  }

  // ----------------------------------------------------------------------------------------------
  // Names, paths and the endpoint directory (NAME-*, SEC-1..3). lstat() through the "unix:" view.

  record Endpoint(String name, String directory, String path, long pid, String prefix,
                  boolean secureDirectory) {}

  record Stat(int mode, long uid, long dev, long ino) {
    boolean isSocket() { return (mode & S_IFMT) == S_IFSOCK; }
    boolean isDirectory() { return (mode & S_IFMT) == S_IFDIR; }
    boolean isSymlink() { return (mode & S_IFMT) == S_IFLNK; }
    boolean same(Stat other) { return other != null && dev == other.dev && ino == other.ino; }
  }

  static Stat lstat(String path) throws IOException {
    try {
      Map<String, Object> a =
          Files.readAttributes(Path.of(path), "unix:mode,uid,dev,ino", LinkOption.NOFOLLOW_LINKS);
      return new Stat((Integer) a.get("mode"), ((Integer) a.get("uid")) & 0xffffffffL,
          (Long) a.get("dev"), (Long) a.get("ino"));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  static Endpoint endpointFor(Map<String, Object> args, Handshake handshake) throws AgentError {
    Object prefix = arg(args, "prefix");
    if (prefix == null) prefix = handshake.prefix();
    if (!(prefix instanceof String) || !PREFIX_RE.matcher((String) prefix).matches()) {
      throw invalid("prefix", Json.write(prefix)
          + " must be 1-32 characters of [A-Za-z0-9._] (NAME-2)");
    }
    Object rootArg = arg(args, "root");
    String root;
    if (rootArg == null || "".equals(rootArg)) {
      String env = System.getenv("PIPECHECK_ROOT");
      root = env == null || env.isEmpty() ? "/tmp" : env;
    } else if (rootArg instanceof String) {
      root = (String) rootArg;
    } else {
      throw invalid("root", "must be a directory path without NUL");
    }
    if (root.contains("\0")) throw invalid("root", "must be a directory path without NUL");
    root = root.replaceAll("/+$", "");
    long pid = intArg(args, "pid", PID, 1, INT32_MAX);
    String name = prefix + "-" + handshake.hash() + "-" + pid;
    boolean secure = handshake.profile().equals("pipecheck");
    String directory = secure ? root + "/" + prefix + "-" + EUID : (root.isEmpty() ? "/" : root);
    String path = directory.replaceAll("/+$", "") + "/" + name;
    int size = path.getBytes(StandardCharsets.UTF_8).length + 1;
    if (size > PATH_BUDGET) {
      throw new AgentError("path_too_long", "endpoint path '" + path + "' needs " + size
          + " bytes including the NUL, " + (size - PATH_BUDGET) + " over the " + PATH_BUDGET
          + "-byte budget (NAME-6); it is never truncated");
    }
    return new Endpoint(name, directory, path, pid, (String) prefix, secure);
  }

  static void checkDirectory(String directory, Stat st) throws AgentError {
    String problem = null;
    if (st.isSymlink()) {
      problem = "is a symlink";
    } else if (!st.isDirectory()) {
      problem = "is not a directory";
    } else if (st.uid() != EUID) {
      problem = "is owned by another user";
    } else if ((st.mode() & 077) != 0) {
      problem = "has group or other permission bits";
    }
    if (problem != null) {
      throw new AgentError("insecure_directory", "endpoint directory '" + directory + "' "
          + problem + " (owner uid " + st.uid() + ", mode "
          + String.format("%04o", st.mode() & 07777) + "); SEC-2 requires a real directory owned"
          + " by uid " + EUID + " with no group or other permission bits");
    }
  }

  static void ensureDirectory(String directory) throws AgentError, IOException {
    boolean created = false;
    try {
      Files.createDirectory(Path.of(directory),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      created = true;
    } catch (FileAlreadyExistsException e) {
      // checked below, like any existing directory
    } catch (IOException e) {
      throw new AgentError("internal", "mkdir '" + directory + "': " + e);
    }
    Stat st = lstat(directory);
    if (st == null) throw new AgentError("internal", "'" + directory + "' vanished after mkdir");
    if (created && st.isDirectory() && (st.mode() & 0777) != 0700) {
      Files.setPosixFilePermissions(Path.of(directory), PosixFilePermissions.fromString("rwx------"));
      st = lstat(directory);
    }
    checkDirectory(directory, st);
  }

  static boolean pidAlive(long pid) {
    if (ProcessHandle.of(pid).isPresent()) return true;
    return Files.exists(Path.of("/proc/" + pid));  // another user's process on some kernels
  }

  static boolean connectRefused(String path) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.configureBlocking(false);
      probe.connect(UnixDomainSocketAddress.of(path));
      return false;
    } catch (IOException e) {
      return e instanceof ConnectException || String.valueOf(e.getMessage()).contains("refused");
    }
  }

  // Remove `path` only if it is still the file described by `st` (SEC-5).
  static boolean unlinkIfSame(String path, Stat st) throws IOException {
    Stat now = lstat(path);
    if (!st.same(now)) return false;
    Files.deleteIfExists(Path.of(path));
    return true;
  }

  // The user every peer must be (SEC-4): the owner of /proc/self is this process's euid.
  static final UserPrincipal OWN_USER = ownUser();

  static UserPrincipal ownUser() {
    try {
      return Files.getOwner(Path.of("/proc/self"));
    } catch (IOException e) {
      return null;
    }
  }

  static UserPrincipal peerUser(SocketChannel channel) throws IOException {
    UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
    return peer.user();
  }

  // ----------------------------------------------------------------------------------------------
  // Bounded line reads for the wire handshake (WIRE-1..3)

  record WireLine(String line, String problem) {}

  static WireLine readWireLine(SocketChannel channel, int timeoutMs) {
    ScheduledFuture<?> timer = TIMERS.schedule(() -> {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing to end the read; nothing else to do
      }
    }, timeoutMs, TimeUnit.MILLISECONDS);
    ByteBuffer buffer = ByteBuffer.allocate(WIRE_MAX_LINE + 1);
    try {
      for (;;) {
        int n = channel.read(buffer);
        if (n < 0) return new WireLine(null, "end_of_stream");
        byte[] data = buffer.array();
        for (int i = 0; i < buffer.position(); i++) {
          if (data[i] == '\n') {
            if (i >= WIRE_MAX_LINE) return new WireLine(null, "line_too_long");
            return new WireLine(new String(data, 0, i, StandardCharsets.UTF_8), null);
          }
        }
        if (buffer.position() >= WIRE_MAX_LINE) return new WireLine(null, "line_too_long");
      }
    } catch (AsynchronousCloseException e) {
      return new WireLine(null, timer.isDone() ? "timeout" : "closed");
    } catch (IOException e) {
      return new WireLine(null, "read error: " + e.getMessage());
    } finally {
      timer.cancel(false);
    }
  }

  static void writeAll(SocketChannel channel, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buffer.hasRemaining()) channel.write(buffer);
  }

  // ----------------------------------------------------------------------------------------------
  // Listener: `accept_workers` threads blocked in ServerSocketChannel.accept(); close() closes the
  // channel, which NIO turns into AsynchronousCloseException in every blocked accept (LSN-4).

  static final class Listener {
    final String id;
    final Endpoint endpoint;
    final String hash;
    final int queueSize, acceptWorkers, holdMs;
    final boolean handshake;
    final Map<String, Long> counters = new LinkedHashMap<>();
    final Set<Thread> waiting = new HashSet<>();
    final Map<Thread, Double> unblockMs = new HashMap<>();
    final Set<SocketChannel> connections = new HashSet<>();
    final Set<Thread> handlers = new HashSet<>();
    final List<Thread> workers = new ArrayList<>();
    ServerSocketChannel server;
    Stat created;
    volatile boolean closing;
    long closeBegan;
    Map<String, Object> closeResult;

    Listener(String id, Endpoint endpoint, String hash, int queueSize, int acceptWorkers,
             boolean handshake, int holdMs) {
      this.id = id;
      this.endpoint = endpoint;
      this.hash = hash;
      this.queueSize = queueSize;
      this.acceptWorkers = acceptWorkers;
      this.handshake = handshake;
      this.holdMs = holdMs;
      for (String name : List.of("accepted", "handshake_ok", "handshake_failed", "denied",
               "accept_errors")) {
        counters.put(name, 0L);
      }
    }

    synchronized void count(String name) {
      counters.merge(name, 1L, Long::sum);
    }

    void start() throws AgentError, IOException {
      String path = endpoint.path();
      if (endpoint.secureDirectory()) ensureDirectory(endpoint.directory());
      reclaimOrRefuse(path);
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        // LSN-1: queue_size 0 and 1 both mean the legacy single slot. NIO itself turns a backlog
        // below 1 into 50, so the agent passes max(queue_size, 1).
        server.bind(UnixDomainSocketAddress.of(path), Math.max(queueSize, 1));
      } catch (IOException e) {
        server.close();
        if (String.valueOf(e.getMessage()).contains("Address already in use")) {
          throw new AgentError("address_in_use", "bind '" + path + "': " + e.getMessage())
              .pid(endpoint.pid());
        }
        throw new AgentError("internal", "bind '" + path + "': " + e);
      }
      // NIO binds under the process umask and has no mode argument (SEC-3): the agent narrows
      // the socket to 0600 right after bind; the 0700 directory covers the moment in between.
      Files.setPosixFilePermissions(Path.of(path), PosixFilePermissions.fromString("rw-------"));
      created = lstat(path);
      for (int n = 0; n < acceptWorkers; n++) {
        Thread worker = new Thread(this::acceptLoop, id + "-accept-" + n);
        worker.setDaemon(true);
        workers.add(worker);
      }
      synchronized (this) {
        for (Thread worker : workers) worker.start();
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (waiting.size() < workers.size() && System.nanoTime() < deadline) {
          try {
            wait(10);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
    }

    // LSN-6: an existing path is reclaimed only if it is ours and stale.
    void reclaimOrRefuse(String path) throws AgentError, IOException {
      Stat st = lstat(path);
      if (st == null) return;
      long holder = endpoint.pid();
      String problem;
      if (!st.isSocket()) {
        problem = "is not a socket";
      } else if (st.uid() != EUID) {
        problem = "is owned by uid " + st.uid();
      } else if (pidAlive(holder)) {
        problem = "belongs to live PID " + holder;
      } else if (!connectRefused(path)) {
        problem = "still accepts connections";
      } else if (unlinkIfSame(path, st)) {
        log("reclaimed stale endpoint " + path + " of dead PID " + holder);
        return;
      } else {
        problem = "changed while it was being reclaimed";
      }
      throw new AgentError("address_in_use", "address in use: '" + path + "' " + problem
          + " (LSN-6)").pid(holder);
    }

    void acceptLoop() {
      Thread self = Thread.currentThread();
      long backoffMs = 0;  // RES-1: after a failed accept, 5 ms doubling to 100 ms; 0 after a success
      for (;;) {
        synchronized (this) {
          if (closing) return;
          waiting.add(self);
          notifyAll();
        }
        SocketChannel channel;
        try {
          channel = server.accept();
        } catch (ClosedChannelException e) {  // AsynchronousCloseException: close() ran
          synchronized (this) {
            waiting.remove(self);
            unblockMs.put(self, (System.nanoTime() - closeBegan) / 1e6);
          }
          return;
        } catch (IOException e) {
          synchronized (this) {
            waiting.remove(self);
            if (closing) return;
          }
          count("accept_errors");
          if (backoffMs == 0) log("accept on " + endpoint.path() + ": " + e.getMessage());
          backoffMs = Math.min(Math.max(backoffMs * 2, 5), 100);
          try {
            Thread.sleep(backoffMs);
          } catch (InterruptedException interrupted) {
            return;
          }
          continue;
        }
        backoffMs = 0;
        synchronized (this) {
          waiting.remove(self);
          if (closing) {
            // accept() handed out a connection queued as close() began: the listener is closed
            // for this worker all the same, and the connection is dropped like the rest.
            unblockMs.put(self, (System.nanoTime() - closeBegan) / 1e6);
            closeQuietly(channel);
            return;
          }
          counters.merge("accepted", 1L, Long::sum);
          connections.add(channel);
          Thread handler = new Thread(() -> serve(channel), id + "-serve");
          handler.setDaemon(true);
          handlers.add(handler);
          handler.start();
        }
      }
    }

    void serve(SocketChannel channel) {
      try {
        if (!OWN_USER.equals(peerUser(channel))) {
          count("denied");
          return;
        }
        if (handshake) {
          WireLine wire = readWireLine(channel, WIRE_READ_TIMEOUT_MS);
          String problem = wire.problem();
          if (problem == null && !wire.line().startsWith("PIPECHECK/1 HELLO ")) {
            problem = "malformed_hello";
          } else if (problem == null && !wire.line().equals("PIPECHECK/1 HELLO " + hash)) {
            problem = "hash_mismatch";
          }
          if (problem != null) {
            count("handshake_failed");
            if (channel.isOpen() && !problem.equals("end_of_stream")) {
              writeAll(channel, "PIPECHECK/1 REJECT " + problem + "\n");
            }
            return;
          }
          count("handshake_ok");  // before the reply, so a client never sees it early
          writeAll(channel, "PIPECHECK/1 ACCEPT\n");
        }
        if (holdMs > 0) {
          ScheduledFuture<?> timer = TIMERS.schedule(() -> {
            try {
              channel.close();
            } catch (IOException ignored) {
              // ends the hold
            }
          }, holdMs, TimeUnit.MILLISECONDS);
          try {
            ByteBuffer sink = ByteBuffer.allocate(4096);
            while (channel.read(sink) >= 0) sink.clear();  // until the peer closes
          } finally {
            timer.cancel(false);
          }
        }
      } catch (IOException e) {
        // the peer left or the listener is closing; neither is a server error (LSN-12)
      } finally {
        synchronized (this) {
          connections.remove(channel);
          handlers.remove(Thread.currentThread());
        }
        try {
          channel.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }

    // Idempotent and safe from many threads (LSN-3): the first caller tears down.
    // teardown() waits on this monitor, so later callers wait for the first one's result.
    synchronized Map<String, Object> close() throws IOException {
      if (!closing) {
        closeResult = teardown();
        notifyAll();
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (closeResult == null && System.nanoTime() < deadline) {
        try {
          wait(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (closeResult == null) throw new IOException("the first close did not finish");
      return closeResult;
    }

    private void awaitThreads(List<Thread> threads, long deadline) {
      try {
        while (System.nanoTime() < deadline && threads.stream().anyMatch(Thread::isAlive)) {
          wait(2);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private Map<String, Object> teardown() throws IOException {
      Set<Thread> pending;
      closeBegan = System.nanoTime();
      closing = true;
      pending = new HashSet<>(waiting);
      server.close();  // every thread blocked in accept() gets AsynchronousCloseException
      for (SocketChannel channel : new ArrayList<>(connections)) channel.close();
      long deadline = System.nanoTime() + 1_000_000_000L;
      awaitThreads(workers, deadline);  // wait() releases this monitor for the workers
      List<Double> unblocked = new ArrayList<>();
      for (Thread worker : pending) {
        if (unblockMs.containsKey(worker)) unblocked.add(unblockMs.get(worker));
      }
      for (SocketChannel channel : new ArrayList<>(connections)) channel.close();
      awaitThreads(new ArrayList<>(handlers), deadline);
      // NIO leaves the socket file behind on close; the agent removes it only if it is still
      // the one this listener created (LSN-5, SEC-5).
      if (created != null) unlinkIfSame(endpoint.path(), created);
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("pending_accepts", pending.size());
      result.put("unblocked", unblocked.size());
      result.put("max_unblock_ms",
          Math.round(unblocked.stream().mapToDouble(d -> d).max().orElse(0) * 1000) / 1000.0);
      result.put("endpoint_removed", lstat(endpoint.path()) == null);
      return result;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Dial (DIAL-*). NIO reports connect failures as exceptions without errno: the agent maps the
  // messages of the JDK's own errno texts back.

  record Attempt(String outcome, int systemError, String detail, SocketChannel channel,
                 Boolean handshakeOk) {
    static Attempt failed(String outcome, int systemError, String detail) {
      return new Attempt(outcome, systemError, detail, null, null);
    }
  }

  static Attempt classify(IOException e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("Resource temporarily unavailable")) {
      return Attempt.failed("busy", 11, "connect: " + message);
    }
    if (e instanceof NoSuchFileException || message.contains("No such file or directory")) {
      return Attempt.failed("absent", 2, "connect: " + message);
    }
    if (e instanceof ConnectException || message.contains("Connection refused")) {
      return Attempt.failed("refused", 111, "connect: " + message);
    }
    if (message.contains("Permission denied")) return Attempt.failed("denied", 13, "connect: " + message);
    if (message.contains("Operation not permitted")) return Attempt.failed("denied", 1, "connect: " + message);
    if (message.contains("timed out")) return Attempt.failed("timeout", 110, "connect: " + message);
    return Attempt.failed("other", 0, "connect: " + e);
  }

  // DIAL-6: timeout_ms bounds the whole attempt, the handshake included.
  static Attempt dialOnce(String path, int timeoutMs, String handshake) {
    long began = System.nanoTime();
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      return Attempt.failed("other", 0, "socket: " + e);
    }
    try {
      channel.configureBlocking(false);
      if (!channel.connect(UnixDomainSocketAddress.of(path))) {
        try (Selector selector = Selector.open()) {
          channel.register(selector, SelectionKey.OP_CONNECT);
          if (selector.select(Math.max(timeoutMs, 1)) == 0) {
            channel.close();
            return Attempt.failed("timeout", 110, "connect: no answer within " + timeoutMs + " ms");
          }
        }
        channel.finishConnect();
      }
      channel.configureBlocking(true);
    } catch (IOException e) {
      closeQuietly(channel);
      return classify(e);
    }
    try {
      UserPrincipal server = peerUser(channel);
      if (!OWN_USER.equals(server)) {
        closeQuietly(channel);
        return Attempt.failed("denied", 0, "peer check: server runs as " + server.getName()
            + ", we are " + OWN_USER.getName());
      }
      if (handshake == null) return new Attempt("ok", 0, null, channel, null);
      writeAll(channel, "PIPECHECK/1 HELLO " + handshake + "\n");
    } catch (IOException e) {
      closeQuietly(channel);
      return new Attempt("ok", 0, "handshake: write error: " + e.getMessage(), null, false);
    }
    long leftMs = timeoutMs - (System.nanoTime() - began) / 1_000_000;
    WireLine wire = readWireLine(channel, (int) Math.max(1, Math.min(WIRE_READ_TIMEOUT_MS, leftMs)));
    if (wire.problem() == null && wire.line().equals("PIPECHECK/1 ACCEPT")) {
      return new Attempt("ok", 0, null, channel, true);
    }
    closeQuietly(channel);
    String detail = wire.problem() != null ? wire.problem() : Json.write(wire.line());
    return new Attempt("ok", 0, "handshake: " + detail, null, false);
  }

  static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing to report
    }
  }

  static void sleepUs(double microseconds) {
    if (microseconds <= 0) return;
    long nanos = (long) (microseconds * 1000);
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  record DialOptions(int threads, int count, int timeoutMs, Long retryMs, String handshake,
                     int holdMs, boolean keepOpen, int paceUs, boolean recordSequence,
                     boolean recordLatencies) {}

  static final class DialRecord {
    final List<Attempt> attempts = new ArrayList<>();
    final List<Double> latencies = new ArrayList<>();
    final List<SocketChannel> kept = new ArrayList<>();
    long retries;
  }

  // The dial op's threads, held at a start gate until fire() (dial.barrier).
  static final class DialJob {
    final String path;
    final DialOptions options;
    final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch armed;
    final DialRecord[] records;
    final List<Thread> threads = new ArrayList<>();

    DialJob(String path, DialOptions options) {
      this.path = path;
      this.options = options;
      this.armed = new CountDownLatch(options.threads());
      this.records = new DialRecord[options.threads()];
      for (int n = 0; n < options.threads(); n++) {
        int index = n;
        Thread thread = new Thread(() -> run(index), "dial-" + n);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
      }
    }

    void waitArmed() throws InterruptedException {
      armed.await(10, TimeUnit.SECONDS);
    }

    void run(int index) {
      DialRecord record = new DialRecord();
      armed.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        return;
      }
      for (int n = 0; n < options.count(); n++) {
        if (n > 0) sleepUs(options.paceUs());
        long retries = 0;
        Attempt attempt;
        double latency;
        long deadline = options.retryMs() == null ? 0
            : System.nanoTime() + options.retryMs() * 1_000_000L;
        double backoffUs = 100;
        for (;;) {
          long began = System.nanoTime();
          attempt = dialOnce(path, options.timeoutMs(), options.handshake());
          latency = (System.nanoTime() - began) / 1000.0;
          if (options.retryMs() == null || !attempt.outcome().equals("busy")) break;
          double remainingUs = (deadline - System.nanoTime()) / 1000.0;
          if (remainingUs <= 0) break;
          sleepUs(Math.min(backoffUs, remainingUs));
          backoffUs = Math.min(backoffUs * 2, 10_000);
          retries++;
        }
        record.retries += retries;
        record.latencies.add(latency);
        if (attempt.channel() != null) {
          if (options.keepOpen()) {
            record.kept.add(attempt.channel());
          } else {
            sleepUs(options.holdMs() * 1000.0);
            closeQuietly(attempt.channel());
          }
        }
        record.attempts.add(attempt);
      }
      records[index] = record;
    }

    Map<String, Object> fire(long timeoutMs) throws AgentError {
      long began = System.nanoTime();
      gate.countDown();
      long deadline = began + timeoutMs * 1_000_000L;
      try {
        for (Thread thread : threads) {
          thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      double elapsedMs = (System.nanoTime() - began) / 1e6;
      if (threads.stream().anyMatch(Thread::isAlive)) {
        throw new AgentError("internal", "dial threads did not finish within " + timeoutMs
            + " ms").indefinite();
      }
      Map<String, Long> outcomes = new LinkedHashMap<>();
      Map<String, Long> handshake = new LinkedHashMap<>();
      handshake.put("accepted", 0L);
      handshake.put("failed", 0L);
      List<Double> latencies = new ArrayList<>();
      List<Object> errors = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      List<Object> sequence = new ArrayList<>();
      long retries = 0;
      for (DialRecord record : records) {
        for (Attempt a : record.attempts) {
          outcomes.merge(a.outcome(), 1L, Long::sum);
          sequence.add(a.outcome());
          if (a.handshakeOk() != null) handshake.merge(a.handshakeOk() ? "accepted" : "failed", 1L, Long::sum);
          String sample = a.outcome() + "\0" + a.systemError() + "\0" + a.detail();
          if (!a.outcome().equals("ok") && errors.size() < 10 && seen.add(sample)) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("outcome", a.outcome());
            error.put("system_error", a.systemError());
            error.put("detail", a.detail() == null ? "" : a.detail());
            errors.add(error);
          }
        }
        latencies.addAll(record.latencies);
        retries += record.retries;
        for (SocketChannel channel : record.kept) closeQuietly(channel);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("attempts", sequence.size());
      result.put("outcomes", outcomes);
      result.put("latency_us", percentiles(latencies));
      result.put("elapsed_ms", Math.round(elapsedMs * 1000) / 1000.0);
      result.put("retries", retries);
      result.put("errors", errors);
      if (options.handshake() != null) result.put("handshake", handshake);
      if (options.recordSequence()) result.put("sequence", sequence);
      if (options.recordLatencies()) {
        List<Object> rounded = new ArrayList<>();
        for (double value : latencies) rounded.add(Math.round(value * 10) / 10.0);
        result.put("latencies_us", rounded);
      }
      return result;
    }
  }

  static Map<String, Object> percentiles(List<Double> values) {
    List<Double> ordered = new ArrayList<>(values);
    Collections.sort(ordered);
    Map<String, Object> result = new LinkedHashMap<>();
    double[] qs = {0.5, 0.9, 0.99, 1.0};
    String[] names = {"p50", "p90", "p99", "max"};
    for (int i = 0; i < qs.length; i++) {
      long rank = ordered.isEmpty() ? 0
          : Math.round(ordered.get(Math.max(0, (int) Math.ceil(qs[i] * ordered.size()) - 1)));
      result.put(names[i], rank);
    }
    return result;
  }

  // ----------------------------------------------------------------------------------------------
  // The agent

  static final List<String> CAPABILITIES = capabilities();

  static List<String> capabilities() {
    List<String> list = new ArrayList<>(List.of("hash.pipecheck", "hash.msbuild", "discover",
        "discover.report", "discover.reclaim", "listen", "listen.queue_size", "dial",
        "dial.retry", "dial.threads", "dial.barrier", "close", "close.concurrent", "counters"));
    if (OWN_USER != null) list.add("peer-check");
    list.add("secure-directory");
    if (Files.isDirectory(Path.of("/proc/self/fd"))) list.add("fd-count");
    return list;
  }

  final Map<String, Listener> listeners = new ConcurrentHashMap<>();
  final Map<String, DialJob> dialJobs = new HashMap<>();
  int nextListener = 1;
  int nextToken = 1;

  Map<String, Object> hello(Map<String, Object> args) throws AgentError {
    Object protocol = arg(args, "protocol");
    if (!(protocol instanceof Long) || (Long) protocol != PROTOCOL) {
      throw new AgentError("bad_request", "protocol " + Json.write(protocol)
          + " is not supported; this agent speaks protocol " + PROTOCOL);
    }
    String os = System.getProperty("os.name").toLowerCase();
    String platform = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "darwin"
        : os.startsWith("freebsd") ? "freebsd" : os;
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("protocol", PROTOCOL);
    result.put("implementation", IMPLEMENTATION);
    result.put("version", VERSION);
    result.put("platform", platform);
    result.put("arch", ownArch());
    result.put("pid", PID);
    result.put("capabilities", CAPABILITIES);
    return result;
  }

  Map<String, Object> hash(Map<String, Object> args) throws AgentError {
    Handshake handshake = makeHandshake(args);
    Endpoint endpoint = endpointFor(args, handshake);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("key", handshake.key());
    result.put("hash", handshake.hash());
    result.put("name", endpoint.name());
    result.put("path", endpoint.path());
    return result;
  }

  Map<String, Object> discover(Map<String, Object> args) throws AgentError, IOException {
    Object method = arg(args, "method");
    if (method == null) method = "listing";
    if ("legacy".equals(method)) {
      throw new AgentError("unsupported", "discover method 'legacy' is not implemented");
    }
    if (!"listing".equals(method)) {
      throw invalid("method", Json.write(method) + " must be 'listing' or 'legacy'");
    }
    boolean reclaim = boolArg(args, "reclaim", false);
    Handshake handshake = makeHandshake(args);
    Map<String, Object> withPid = new HashMap<>(args);
    withPid.put("pid", 1L);
    Endpoint endpoint = endpointFor(withPid, handshake);
    String directory = endpoint.directory();
    String stem = endpoint.prefix() + "-" + handshake.hash() + "-";
    List<Map<String, Object>> live = new ArrayList<>();
    List<Object> rejected = new ArrayList<>();
    List<Object> reclaimed = new ArrayList<>();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("method", "listing");
    result.put("live", live);
    result.put("rejected", rejected);
    result.put("reclaimed", reclaimed);
    Stat st = lstat(directory);
    if (st == null) return result;  // DISC-9: no directory, no endpoints
    if (endpoint.secureDirectory()) checkDirectory(directory, st);
    TreeSet<String> entries = new TreeSet<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(Path.of(directory))) {
      for (Path entry : listing) entries.add(entry.getFileName().toString());
    }
    String base = directory.replaceAll("/+$", "");
    for (String entry : entries) {
      if (!entry.startsWith(stem)) continue;
      String path = base + "/" + entry;
      String tail = entry.substring(stem.length());
      if (!PID_RE.matcher(tail).matches() || !decimalInRange(tail, INT32_MAX)) {
        rejected.add(Map.of("name", entry, "reason", "malformed_name"));
        continue;
      }
      long pid = Long.parseLong(tail);
      Stat entryStat = lstat(path);
      if (entryStat == null) continue;  // removed while we listed
      String reason;
      if (!entryStat.isSocket()) {
        reason = "not_a_socket";
      } else if (entryStat.uid() != EUID) {
        reason = "foreign_owner";
      } else if (!pidAlive(pid)) {
        reason = "stale";
      } else {
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("name", entry);
        found.put("pid", pid);
        found.put("path", path);
        live.add(found);
        continue;
      }
      Map<String, Object> rejection = new LinkedHashMap<>();
      rejection.put("name", entry);
      rejection.put("reason", reason);
      rejected.add(rejection);
      if (reason.equals("stale") && reclaim && connectRefused(path)
          && unlinkIfSame(path, entryStat)) {
        reclaimed.add(entry);
      }
    }
    live.sort((a, b) -> Long.compare((Long) a.get("pid"), (Long) b.get("pid")));
    return result;
  }

  Map<String, Object> listen(Map<String, Object> args) throws AgentError, IOException {
    Handshake handshake = makeHandshake(args);
    Endpoint endpoint = endpointFor(args, handshake);
    int queueSize = (int) intArg(args, "queue_size", 1, 0, 65535);
    int acceptWorkers = (int) intArg(args, "accept_workers", 1, 0, 1024);
    boolean runHandshake = boolArg(args, "handshake", true);
    int holdMs = (int) intArg(args, "hold_ms", 0, 0, 3600000);
    String id = "L" + nextListener;
    Listener listener = new Listener(id, endpoint, handshake.hash(), queueSize, acceptWorkers,
        runHandshake, holdMs);
    listener.start();
    nextListener++;
    listeners.put(id, listener);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("listener", id);
    result.put("name", endpoint.name());
    result.put("path", endpoint.path());
    return result;
  }

  @SuppressWarnings("unchecked")
  DialJob dialJob(Map<String, Object> args) throws AgentError {
    String path;
    if (args.containsKey("path")) {
      Object value = arg(args, "path");
      if (!(value instanceof String) || ((String) value).isEmpty()) {
        throw invalid("path", "must be a non-empty string");
      }
      path = (String) value;
    } else if (args.containsKey("fields")) {
      path = endpointFor(args, makeHandshake(args)).path();
    } else {
      throw invalid("path", "give either 'path' or handshake arguments");
    }
    Object retry = arg(args, "retry");
    Long retryMs = null;
    if (retry != null) {
      if (!(retry instanceof Map)) {
        throw invalid("retry", "must be null or an object {\"deadline_ms\": n}");
      }
      Map<String, Object> deadline = new HashMap<>();
      deadline.put("retry.deadline_ms", ((Map<String, Object>) retry).get("deadline_ms"));
      retryMs = intArg(deadline, "retry.deadline_ms", 2000, 0, 3600000);
    }
    Object handshake = arg(args, "handshake");
    if (handshake != null && !(handshake instanceof String)) {
      throw invalid("handshake", "must be null or a hash string");
    }
    return new DialJob(path, new DialOptions(
        (int) intArg(args, "threads", 1, 1, 1024),
        (int) intArg(args, "count", 1, 0, 10000000),
        (int) intArg(args, "timeout_ms", 1000, 0, 3600000),
        retryMs,
        (String) handshake,
        (int) intArg(args, "hold_ms", 0, 0, 3600000),
        boolArg(args, "keep_open", false),
        (int) intArg(args, "pace_us", 0, 0, 60000000),
        boolArg(args, "record_sequence", false),
        boolArg(args, "record_latencies", false)));
  }

  // Bounded by the harness's own deadline; this one only stops a runaway job.
  static final long FIRE_TIMEOUT_MS = 3_600_000L;

  Map<String, Object> dial(Map<String, Object> args) throws AgentError, InterruptedException {
    DialJob job = dialJob(args);
    job.waitArmed();
    return job.fire(FIRE_TIMEOUT_MS);
  }

  Map<String, Object> prepareDial(Map<String, Object> args)
      throws AgentError, InterruptedException {
    DialJob job = dialJob(args);
    job.waitArmed();
    String token = "D" + nextToken++;
    dialJobs.put(token, job);
    return Map.of("token", token);
  }

  Map<String, Object> fire(Map<String, Object> args) throws AgentError {
    Object token = arg(args, "token");
    DialJob job = token instanceof String ? dialJobs.remove(token) : null;
    if (job == null) {
      throw invalid("token", Json.write(token) + " does not name a prepared dial of this agent");
    }
    return job.fire(FIRE_TIMEOUT_MS);
  }

  Listener findListener(Map<String, Object> args) throws AgentError {
    Object id = arg(args, "listener");
    Listener listener = id instanceof String ? listeners.get(id) : null;
    if (listener == null) {
      throw new AgentError("unknown_listener", "listener " + Json.write(id)
          + " is not a listener of this agent").field("listener");
    }
    return listener;
  }

  Map<String, Object> close(Map<String, Object> args) throws AgentError, InterruptedException {
    Listener listener = findListener(args);
    int threads = (int) intArg(args, "threads", 1, 1, 256);
    listeners.remove(listener.id);
    List<Thread> closers = new ArrayList<>();
    List<Map<String, Object>> results = Collections.synchronizedList(new ArrayList<>());
    List<IOException> failures = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);
    for (int n = 0; n < threads; n++) {
      Thread closer = new Thread(() -> {
        try {
          start.await();
          results.add(listener.close());
        } catch (IOException e) {
          failures.add(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      closer.setDaemon(true);
      closers.add(closer);
      closer.start();
    }
    start.countDown();
    for (Thread closer : closers) closer.join(5000);
    if (!failures.isEmpty()) {
      throw new AgentError("internal", "close: " + failures.get(0)).indefinite();
    }
    if (results.size() != threads) {
      throw new AgentError("internal", "close did not finish within 5 s").indefinite();
    }
    return results.get(0);
  }

  Map<String, Object> counters(Map<String, Object> args) throws AgentError, IOException {
    Map<String, Object> result = new LinkedHashMap<>();
    if (args.containsKey("listener")) {
      Listener listener = findListener(args);
      synchronized (listener) {
        result.putAll(listener.counters);
      }
    }
    if (CAPABILITIES.contains("fd-count")) {
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
        int n = 0;
        for (Path ignored : fds) n++;
        result.put("open_fds", n - 1);  // minus the listing's own descriptor
      } catch (IOException e) {
        // Out of descriptors (RES-1: the check floods us under a low RLIMIT_NOFILE): the listing
        // needs one; the counters still answer, without open_fds.
        log("counters without open_fds: " + e.getMessage());
      }
    }
    return result;
  }

  void shutdown() {
    for (Listener listener : listeners.values()) {
      try {
        listener.close();
      } catch (IOException e) {
        log("closing " + listener.id + ": " + e.getMessage());
      }
    }
    listeners.clear();
  }

  // The reply to one request line, and whether the agent exits after sending it.
  @SuppressWarnings("unchecked")
  Map<String, Object> handle(byte[] bytes, boolean[] exit) {
    Object request;
    try {
      request = Json.parse(Json.decodeLine(bytes));
    } catch (IllegalArgumentException e) {
      return reply(guessId(bytes), new AgentError("bad_request", "line is not JSON: "
          + e.getMessage()));
    }
    if (!(request instanceof Map)) {
      return reply(guessId(bytes), new AgentError("bad_request", "a request must be a JSON object"));
    }
    Map<String, Object> message = (Map<String, Object>) request;
    Object id = message.containsKey("id") ? message.get("id") : Json.NULL;
    Object op = message.get("op");
    Object args = message.containsKey("args") ? message.get("args") : new HashMap<>();
    if (args == Json.NULL) args = new HashMap<>();
    try {
      if (!message.containsKey("id") || !(op instanceof String) || !(args instanceof Map)) {
        throw new AgentError("bad_request",
            "a request needs 'id', 'op' (string) and 'args' (object)");
      }
      Map<String, Object> a = (Map<String, Object>) args;
      Object result;
      switch ((String) op) {
        case "exit": exit[0] = true; result = new HashMap<>(); break;
        case "hello": result = hello(a); break;
        case "hash": result = hash(a); break;
        case "discover": result = discover(a); break;
        case "listen": result = listen(a); break;
        case "dial": result = dial(a); break;
        case "prepare_dial": result = prepareDial(a); break;
        case "fire": result = fire(a); break;
        case "close": result = close(a); break;
        case "counters": result = counters(a); break;
        default: throw new AgentError("unsupported", "op '" + op + "' is not implemented");
      }
      Map<String, Object> reply = new LinkedHashMap<>();
      reply.put("id", id);
      reply.put("ok", true);
      reply.put("result", result);
      return reply;
    } catch (AgentError e) {
      return reply(id, e);
    } catch (Exception | StackOverflowError e) {
      log("internal error in '" + op + "': " + e);
      for (StackTraceElement frame : e.getStackTrace()) log("  at " + frame);
      return reply(id, new AgentError("internal", e.getClass().getSimpleName() + ": "
          + e.getMessage()).indefinite());
    }
  }

  static Map<String, Object> reply(Object id, AgentError error) {
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("id", id);
    reply.put("ok", false);
    reply.put("error", error.toJson());
    return reply;
  }

  // The id of a request that cannot be parsed, if it is visible; null otherwise.
  static Object guessId(byte[] bytes) {
    java.util.regex.Matcher m = Pattern.compile("\"id\"\\s*:\\s*([1-9][0-9]{0,15})\\b")
        .matcher(new String(bytes, StandardCharsets.ISO_8859_1));
    return m.find() ? (Object) Long.parseLong(m.group(1)) : Json.NULL;
  }

  public static void main(String[] argv) throws IOException {
    // The JDK opens three descriptors for good on the first use of a UNIX channel (/dev/null as
    // close()'s dup2 target, /dev/random, /dev/urandom). Open them now, so that open_fds before
    // a listen and after its close compare like with like (LSN-7).
    ServerSocketChannel.open(StandardProtocolFamily.UNIX).close();
    // Class loading, not library behaviour: the first dial of a fresh JVM loads the socket and
    // SO_PEERCRED classes (about 0.3 s on a loaded 2-core machine), which would count against
    // that one attempt's timeout (DIAL-6). A real application has loaded them long before.
    SocketChannel.open(StandardProtocolFamily.UNIX).close();
    ExtendedSocketOptions.SO_PEERCRED.name();
    TIMERS.schedule(() -> {}, 0, TimeUnit.MILLISECONDS);
    Agent agent = new Agent();
    InputStream in = System.in;
    OutputStream out = new java.io.FileOutputStream(java.io.FileDescriptor.out);
    byte[] chunk = new byte[65536];
    java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
    boolean discarding = false;
    boolean[] exit = {false};
    int n;
    while (!exit[0] && (n = in.read(chunk)) >= 0) {
      int start = 0;
      for (int i = 0; i < n && !exit[0]; i++) {
        if (chunk[i] != '\n') continue;
        pending.write(chunk, start, i - start);
        start = i + 1;
        byte[] line = pending.toByteArray();
        pending.reset();
        if (discarding) {
          discarding = false;
        } else if (line.length > 0) {
          send(out, agent.handle(line, exit));
        }
      }
      if (!exit[0]) pending.write(chunk, start, n - start);
      if (pending.size() > MAX_LINE) {
        pending.reset();
        if (!discarding) {
          discarding = true;
          send(out, reply(Json.NULL, new AgentError("bad_request", "request line longer than "
              + MAX_LINE + " bytes")));
        }
      }
    }
    agent.shutdown();
    out.flush();
    System.exit(0);
  }

  static void send(OutputStream out, Map<String, Object> reply) throws IOException {
    out.write((Json.write(reply) + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}

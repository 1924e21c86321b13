package main

// Facts about Go's `net` itself, measured without the agent (docs/findings/go-net.md). Each test
// asserts the library's present behaviour, so a Go release that changes it turns this red and the
// findings page gets updated. Run: go test -count=1 -v . (ctest: go_net_library_facts).

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func somaxconn(t *testing.T) int {
	text, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Skipf("no /proc/sys/net/core/somaxconn: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("somaxconn %q: %v", text, err)
	}
	return n
}

// admitted dials path until a connect fails and returns how many succeeded (at most limit).
func admitted(t *testing.T, path string, limit int) (int, error) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for len(conns) < limit {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err != nil {
			return len(conns), err
		}
		conns = append(conns, c)
	}
	return len(conns), nil
}

// net.Listen has no backlog parameter: it listens with somaxconn, so a server that wants a
// backlog of 2 gets somaxconn, and (Linux: pending > backlog is full) somaxconn+1 connects are
// admitted. A socket made with syscall.Listen(fd, 2) for contrast admits 3.
func TestListenIgnoresTheRequestedBacklog(t *testing.T) {
	max := somaxconn(t)
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil || limit.Cur < uint64(max+64) {
		t.Skipf("RLIMIT_NOFILE %d is below somaxconn %d + 64 (%v)", limit.Cur, max, err)
	}
	path := filepath.Join(t.TempDir(), "net.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got, err := admitted(t, path, max+2)
	if got != max+1 || !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("net.Listen admitted %d connects then %v; want somaxconn+1 = %d then EAGAIN", got, err, max+1)
	}
	t.Logf("net.Listen: %d connects admitted (somaxconn %d), then %v", got, max, err)

	raw := filepath.Join(t.TempDir(), "raw.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: raw}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 2); err != nil {
		t.Fatal(err)
	}
	if got, err := admitted(t, raw, 10); got != 3 || !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("syscall.Listen(fd, 2) admitted %d then %v; want 3 then EAGAIN", got, err)
	}
}

// UnixListener.Close unlinks its path by name: whatever is there now goes, a regular file
// included. SetUnlinkOnClose(false) is the only way out, and then nothing is removed.
func TestCloseUnlinksWhateverIsAtThePath(t *testing.T) {
	for _, replacement := range []string{"regular file", "socket of another listener"} {
		path := filepath.Join(t.TempDir(), "s")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		var other net.Listener
		if replacement == "regular file" {
			err = os.WriteFile(path, []byte("not yours"), 0o600)
		} else {
			other, err = net.Listen("unix", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: still there after Close (%v); Go used to unlink it by name", replacement, err)
		}
		if other != nil {
			other.(*net.UnixListener).SetUnlinkOnClose(false)
			other.Close()
		}
	}
}

// With the descriptor table full, Accept fails with EMFILE at once, every time, while the
// connection stays queued: a plain `for { ln.Accept() }` loop spins. (net/http backs off; net
// does not.)
func TestAcceptUnderDescriptorExhaustionFailsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	var saved syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &saved); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("/proc/self/fd")
	tight := saved
	tight.Cur = uint64(len(entries) + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &tight); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved)
	var filler []int
	defer func() {
		for _, fd := range filler {
			syscall.Close(fd)
		}
	}()
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		filler = append(filler, fd)
	}

	ln.SetDeadline(time.Now().Add(2 * time.Second)) // a blocking Accept would be a refutation
	began := time.Now()
	var durations []time.Duration
	var last error
	for time.Since(began) < 100*time.Millisecond {
		call := time.Now()
		conn, err := ln.Accept()
		if err == nil {
			conn.Close()
			t.Fatalf("Accept succeeded with the descriptor table full (%d fillers)", len(filler))
		}
		durations = append(durations, time.Since(call))
		last = err
	}
	// The median call, not the slowest: a loaded machine preempts a few calls for milliseconds.
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	median := durations[len(durations)/2]
	if !errors.Is(last, syscall.EMFILE) || len(durations) < 100 || median > time.Millisecond {
		t.Fatalf("Accept under EMFILE: %d failures in 100 ms, median %v, last %v; want EMFILE at once, many times", len(durations), median, last)
	}
	t.Logf("Accept under EMFILE: %d failures in 100 ms, median call %v: %v", len(durations), median, last)

	for _, fd := range filler {
		syscall.Close(fd)
	}
	filler = nil
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("the queued connection was lost: %v", err)
	}
	conn.Close()
}

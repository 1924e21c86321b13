package main

// The listen and close ops. The endpoint is Go's own: net.ListenUnix creates, binds and listens
// (with the backlog Go chooses: it has no parameter for it), AcceptUnix accepts, Close closes
// and unlinks. Around it the agent adds what net lacks: the endpoint directory, mode 0600 (umask
// around the bind), stale reclaim, the peer check (SO_PEERCRED via syscall) and the wire handshake.

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	wireTimeout  = 2 * time.Second // WIRE-3: every handshake read is bounded
	wireMaxLine  = 255
	unblockBound = time.Second // how long close waits for pending accepts to return
	drainBound   = 3 * time.Second
)

var umaskMu sync.Mutex // umask is per process: one bind at a time changes it

type listenOptions struct {
	queueSize, acceptWorkers int
	handshake                bool
	holdMs                   int64
}

type listener struct {
	id      string
	ep      endpoint
	hash    string
	opts    listenOptions
	ln      *net.UnixListener
	created *syscall.Stat_t

	mu               sync.Mutex
	changed          *sync.Cond
	waiting          map[int]bool // workers inside AcceptUnix
	entered          int          // workers that called AcceptUnix at least once
	closing          bool
	closeBegan       time.Time
	pendingAtClose   map[int]bool
	unresolved       int
	completedAtClose int
	unblockMs        []float64
	conns            map[*net.UnixConn]bool
	counters         map[string]int64
	closeResult      map[string]any
	tasks            sync.WaitGroup // accept workers and connection handlers
}

func newListener(id string, ep endpoint, hash string, opts listenOptions) *listener {
	l := &listener{id: id, ep: ep, hash: hash, opts: opts, waiting: map[int]bool{},
		pendingAtClose: map[int]bool{}, conns: map[*net.UnixConn]bool{},
		counters: map[string]int64{"accepted": 0, "handshake_ok": 0, "handshake_failed": 0, "denied": 0, "accept_errors": 0}}
	l.changed = sync.NewCond(&l.mu)
	return l
}

func (l *listener) start() error {
	if l.ep.secureDirectory {
		if err := ensureDirectory(l.ep.directory); err != nil {
			return err
		}
	}
	if err := reclaimOrRefuse(l.ep); err != nil {
		return err
	}
	umaskMu.Lock()
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: l.ep.path, Net: "unix"})
	syscall.Umask(old)
	umaskMu.Unlock()
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			failure := newError("address_in_use", "listen '%s': %v", l.ep.path, err)
			pid := l.ep.pid
			failure.Pid = &pid
			return failure
		}
		return internal("listen '%s': %v", l.ep.path, err)
	}
	l.ln = ln
	if err := syscall.Chmod(l.ep.path, 0o600); err != nil {
		ln.Close()
		return internal("chmod '%s': %v", l.ep.path, err)
	}
	if l.created, err = lstat(l.ep.path); err != nil {
		ln.Close()
		return internal("lstat '%s': %v", l.ep.path, err)
	}
	for i := 0; i < l.opts.acceptWorkers; i++ {
		l.tasks.Add(1)
		go l.acceptLoop(i)
	}
	// Reply only when every worker waits in AcceptUnix, so a close right after finds them pending.
	l.waitFor(time.Second, func() bool { return l.entered == l.opts.acceptWorkers })
	return nil
}

// waitFor waits (bounded) until done() holds; the caller must not hold l.mu.
func (l *listener) waitFor(bound time.Duration, done func() bool) bool {
	timer := time.AfterFunc(bound, func() { l.mu.Lock(); l.changed.Broadcast(); l.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(bound)
	l.mu.Lock()
	defer l.mu.Unlock()
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		l.changed.Wait()
	}
	return true
}

func (l *listener) count(name string) {
	l.mu.Lock()
	l.counters[name]++
	l.mu.Unlock()
}

func (l *listener) acceptLoop(worker int) {
	defer l.tasks.Done()
	backoff := time.Millisecond
	first := true
	for {
		l.mu.Lock()
		if l.closing {
			l.mu.Unlock()
			return
		}
		l.waiting[worker] = true
		if first {
			first = false
			l.entered++
			l.changed.Broadcast()
		}
		l.mu.Unlock()

		conn, err := l.ln.AcceptUnix()

		l.mu.Lock()
		delete(l.waiting, worker)
		if l.pendingAtClose[worker] {
			delete(l.pendingAtClose, worker)
			l.unresolved--
			if errors.Is(err, net.ErrClosed) {
				l.unblockMs = append(l.unblockMs, float64(time.Since(l.closeBegan).Microseconds())/1000)
			} else {
				l.completedAtClose++ // it had a connection (or an error) before close began
			}
			l.changed.Broadcast()
		}
		closing := l.closing
		l.mu.Unlock()

		if err != nil {
			if errors.Is(err, net.ErrClosed) || closing {
				return
			}
			if errors.Is(err, syscall.ECONNABORTED) {
				continue // a client that left is not an error (LSN-12)
			}
			// net returns EMFILE/ENFILE at once, again and again, while the connection stays
			// queued: back off here (agent code) instead of spinning.
			l.count("accept_errors")
			logf("accept on %s: %v (retrying in %v)", l.ep.path, err, backoff)
			time.Sleep(backoff)
			if backoff < 50*time.Millisecond {
				backoff *= 2
			}
			continue
		}
		backoff = time.Millisecond
		if closing {
			conn.Close()
			return
		}
		l.mu.Lock()
		l.counters["accepted"]++
		l.conns[conn] = true
		l.tasks.Add(1)
		l.mu.Unlock()
		go l.serveConn(conn)
	}
}

// peerUID reads SO_PEERCRED (SEC-4): net has no API for it, so this is agent code via syscall.
func peerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return -1, err
	}
	uid := -1
	var inner error
	if err := raw.Control(func(fd uintptr) {
		cred, e := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if e != nil {
			inner = e
			return
		}
		uid = int(cred.Uid)
	}); err != nil {
		return -1, err
	}
	return uid, inner
}

// readWireLine reads one '\n'-terminated line of at most 255 bytes before the deadline.
func readWireLine(conn net.Conn, deadline time.Time) (string, string) {
	conn.SetReadDeadline(deadline)
	reader := bufio.NewReaderSize(conn, wireMaxLine+1)
	line, err := reader.ReadSlice('\n')
	switch {
	case err == nil:
		return strings.TrimSuffix(string(line), "\n"), ""
	case errors.Is(err, bufio.ErrBufferFull):
		return "", "line_too_long"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "", "timeout"
	case errors.Is(err, io.EOF):
		return "", "end_of_stream"
	}
	return "", "read error: " + err.Error()
}

func (l *listener) serveConn(conn *net.UnixConn) {
	defer func() {
		conn.Close()
		l.mu.Lock()
		delete(l.conns, conn)
		l.mu.Unlock()
		l.tasks.Done()
	}()
	if uid, err := peerUID(conn); err != nil || uid != os.Geteuid() {
		l.count("denied")
		return
	}
	if l.opts.handshake {
		line, problem := readWireLine(conn, time.Now().Add(wireTimeout))
		if problem == "" && !strings.HasPrefix(line, "PIPECHECK/1 HELLO ") {
			problem = "malformed_hello"
		} else if problem == "" && line != "PIPECHECK/1 HELLO "+l.hash {
			problem = "hash_mismatch"
		}
		conn.SetWriteDeadline(time.Now().Add(wireTimeout))
		if problem != "" {
			l.count("handshake_failed")
			if problem != "end_of_stream" {
				conn.Write([]byte("PIPECHECK/1 REJECT " + strings.ReplaceAll(problem, " ", "_") + "\n"))
			}
			return
		}
		l.count("handshake_ok") // before the reply, so a client never sees it early
		if _, err := conn.Write([]byte("PIPECHECK/1 ACCEPT\n")); err != nil {
			return
		}
	}
	if l.opts.holdMs > 0 {
		conn.SetReadDeadline(time.Now().Add(time.Duration(l.opts.holdMs) * time.Millisecond))
		buffer := make([]byte, 4096)
		for {
			if _, err := conn.Read(buffer); err != nil {
				return // the peer closed, the hold ended, or the listener is closing
			}
		}
	}
}

// close closes the listener from `threads` goroutines at once (net's Close is safe for that) and
// reports the pending accepts of LSN-4. The first caller does the bookkeeping; later calls of
// an already closed listener get its first result.
func (l *listener) close(threads int) map[string]any {
	l.mu.Lock()
	first := !l.closing
	if first {
		l.closing = true
		l.closeBegan = time.Now()
		for worker := range l.waiting {
			l.pendingAtClose[worker] = true
		}
		l.unresolved = len(l.pendingAtClose)
	}
	pending := len(l.pendingAtClose)
	l.mu.Unlock()
	if !first {
		l.waitFor(drainBound, func() bool { return l.closeResult != nil })
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.closeResult
	}

	gate := make(chan struct{})
	var closers sync.WaitGroup
	for i := 0; i < threads; i++ {
		closers.Add(1)
		go func() {
			defer closers.Done()
			<-gate
			l.ln.Close() // net: the first call closes and unlinks the path, later ones fail
		}()
	}
	close(gate)
	closers.Wait()
	l.waitFor(unblockBound, func() bool { return l.unresolved == 0 })

	l.mu.Lock()
	for conn := range l.conns {
		conn.Close() // connections still being served end with the listener (LSN-7)
	}
	result := map[string]any{
		"pending_accepts": pending - l.completedAtClose,
		"unblocked":       len(l.unblockMs),
		"max_unblock_ms":  finite(maxOf(l.unblockMs)),
	}
	l.mu.Unlock()

	done := make(chan struct{})
	go func() { l.tasks.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainBound):
		logf("listener %s: workers still busy %v after close", l.ep.name, drainBound)
	}
	_, err := lstat(l.ep.path)
	result["endpoint_removed"] = err != nil

	l.mu.Lock()
	l.closeResult = result
	l.changed.Broadcast()
	l.mu.Unlock()
	return result
}

func maxOf(values []float64) float64 {
	best := 0.0
	for _, v := range values {
		if v > best {
			best = v
		}
	}
	return best
}

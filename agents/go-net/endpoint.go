package main

// Names and paths (NAME-1..6), the endpoint directory (SEC-1..2), discovery (DISC-1..9) and
// stale reclaim (DISC-7, LSN-6). Go's net knows nothing of these: all of it is agent code, with
// os.Lstat / syscall.Stat_t so that no symlink is ever followed.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const pathBudget = 104 // bytes including the terminating NUL (NAME-6, macOS sun_path)

var (
	prefixRule = regexp.MustCompile(`^[A-Za-z0-9._]{1,32}$`)
	pidRule    = regexp.MustCompile(`^[1-9][0-9]*$`)
)

type endpoint struct {
	name, directory, path, prefix string
	pid                           int
	secureDirectory               bool // pipecheck profile: a per-user directory (SEC-1..2)
}

func pidArg(a args) (int, error) {
	pid, err := a.integer("pid", int64(os.Getpid()), 1, int32Max)
	if err != nil {
		return 0, invalidArgument("pid", "must be an integer from 1 to 2147483647 (NAME-3)")
	}
	return int(pid), nil
}

func endpointFor(a args, h handshake, pid int) (endpoint, error) {
	prefix, present, err := a.str("prefix")
	if err != nil {
		return endpoint{}, err
	}
	if !present {
		prefix = h.prefix
	}
	if !prefixRule.MatchString(prefix) {
		return endpoint{}, invalidArgument("prefix", fmt.Sprintf("'%s' must be 1-32 characters of [A-Za-z0-9._] (NAME-2)", prefix))
	}
	root, _, err := a.str("root")
	if err != nil {
		return endpoint{}, err
	}
	if root == "" {
		root = os.Getenv("PIPECHECK_ROOT")
	}
	if root == "" {
		root = "/tmp"
	}
	if strings.ContainsRune(root, 0) {
		return endpoint{}, invalidArgument("root", "must be a directory path without NUL")
	}
	root = strings.TrimRight(root, "/")
	e := endpoint{name: fmt.Sprintf("%s-%s-%d", prefix, h.hash, pid), prefix: prefix, pid: pid}
	if h.profile == "pipecheck" {
		e.directory = fmt.Sprintf("%s/%s-%d", root, prefix, os.Geteuid())
		e.secureDirectory = true
	} else {
		e.directory = root
		if e.directory == "" {
			e.directory = "/"
		}
	}
	e.path = strings.TrimRight(e.directory, "/") + "/" + e.name
	if size := len(e.path) + 1; size > pathBudget {
		return endpoint{}, newError("path_too_long", "endpoint path '%s' needs %d bytes including the NUL, %d over the %d-byte budget (NAME-6); it is never truncated", e.path, size, size-pathBudget, pathBudget)
	}
	return e, nil
}

func lstat(path string) (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &st, nil
	}
}

func isType(st *syscall.Stat_t, kind uint32) bool { return st.Mode&syscall.S_IFMT == kind }

func checkDirectory(directory string, st *syscall.Stat_t) error {
	problem := ""
	switch {
	case isType(st, syscall.S_IFLNK):
		problem = "is a symlink"
	case !isType(st, syscall.S_IFDIR):
		problem = "is not a directory"
	case int(st.Uid) != os.Geteuid():
		problem = "is owned by another user"
	case st.Mode&0o077 != 0:
		problem = "has group or other permission bits"
	default:
		return nil
	}
	return newError("insecure_directory", "endpoint directory '%s' %s (owner uid %d, mode %04o); SEC-2 requires a real directory owned by uid %d with no group or other permission bits", directory, problem, st.Uid, st.Mode&0o7777, os.Geteuid())
}

func ensureDirectory(directory string) error {
	created := true
	if err := syscall.Mkdir(directory, 0o700); err != nil {
		if err != syscall.EEXIST {
			return internal("mkdir '%s': %v", directory, err)
		}
		created = false
	}
	st, err := lstat(directory)
	if err != nil {
		return internal("lstat '%s': %v", directory, err)
	}
	if created && isType(st, syscall.S_IFDIR) && st.Mode&0o777 != 0o700 {
		if err := syscall.Chmod(directory, 0o700); err != nil { // our umask took owner bits
			return internal("chmod '%s': %v", directory, err)
		}
		if st, err = lstat(directory); err != nil {
			return internal("lstat '%s': %v", directory, err)
		}
	}
	return checkDirectory(directory, st)
}

func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// connectRefused says whether nobody listens on the socket at path (one non-blocking attempt).
func connectRefused(path string) bool {
	conn, err := net.DialTimeout("unix", path, 100*time.Millisecond)
	if err == nil {
		conn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// unlinkIfSame removes path only while it is still the file st describes (SEC-5, LSN-5).
func unlinkIfSame(path string, st *syscall.Stat_t) bool {
	now, err := lstat(path)
	if err != nil || now.Dev != st.Dev || now.Ino != st.Ino {
		return false
	}
	return syscall.Unlink(path) == nil
}

// reclaimOrRefuse implements LSN-6: an existing path is reclaimed only if it is ours and stale.
func reclaimOrRefuse(e endpoint) error {
	st, err := lstat(e.path)
	if err != nil {
		return nil
	}
	problem := ""
	switch {
	case !isType(st, syscall.S_IFSOCK):
		problem = "is not a socket"
	case int(st.Uid) != os.Geteuid():
		problem = fmt.Sprintf("is owned by uid %d", st.Uid)
	case pidAlive(e.pid):
		problem = fmt.Sprintf("belongs to live PID %d", e.pid)
	case !connectRefused(e.path):
		problem = "still accepts connections"
	case unlinkIfSame(e.path, st):
		logf("reclaimed stale endpoint %s of dead PID %d", e.path, e.pid)
		return nil
	default:
		problem = "changed while it was being reclaimed"
	}
	failure := newError("address_in_use", "address in use: '%s' %s (LSN-6)", e.path, problem)
	pid := e.pid
	failure.Pid = &pid
	return failure
}

type liveEntry struct {
	Name string `json:"name"`
	Pid  int    `json:"pid"`
	Path string `json:"path"`
}

type rejectedEntry struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type discoverResult struct {
	Method    string          `json:"method"`
	Live      []liveEntry     `json:"live"`
	Rejected  []rejectedEntry `json:"rejected"`
	Reclaimed []string        `json:"reclaimed"`
}

func parseEntryPid(entry, stem string) (int, bool) {
	tail := entry[len(stem):]
	if !pidRule.MatchString(tail) || !decimalAtMost(tail, int32Max) {
		return 0, false
	}
	pid, _ := strconv.Atoi(tail)
	return pid, true
}

// discover lists the endpoint directory once (DISC-1) and classifies our entries.
func discover(e endpoint, h handshake, reclaim bool) (discoverResult, error) {
	result := discoverResult{Method: "listing", Live: []liveEntry{}, Rejected: []rejectedEntry{}, Reclaimed: []string{}}
	if e.secureDirectory {
		st, err := lstat(e.directory)
		if err == syscall.ENOENT {
			return result, nil // DISC-9
		}
		if err != nil {
			return result, internal("lstat '%s': %v", e.directory, err)
		}
		if err := checkDirectory(e.directory, st); err != nil {
			return result, err
		}
	}
	dir, err := os.Open(e.directory)
	if errors.Is(err, os.ErrNotExist) {
		return result, nil
	}
	if err != nil {
		return result, internal("open '%s': %v", e.directory, err)
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return result, internal("list '%s': %v", e.directory, err)
	}
	sort.Strings(names)
	stem := fmt.Sprintf("%s-%s-", e.prefix, h.hash)
	for _, entry := range names {
		if !strings.HasPrefix(entry, stem) {
			continue
		}
		path := strings.TrimRight(e.directory, "/") + "/" + entry
		pid, ok := parseEntryPid(entry, stem)
		if !ok {
			result.Rejected = append(result.Rejected, rejectedEntry{entry, "malformed_name"})
			continue
		}
		st, err := lstat(path)
		if err != nil {
			continue // removed while we listed
		}
		reason := ""
		switch {
		case !isType(st, syscall.S_IFSOCK):
			reason = "not_a_socket"
		case int(st.Uid) != os.Geteuid():
			reason = "foreign_owner"
		case !pidAlive(pid):
			reason = "stale"
		default:
			result.Live = append(result.Live, liveEntry{entry, pid, path})
			continue
		}
		result.Rejected = append(result.Rejected, rejectedEntry{entry, reason})
		if reason == "stale" && reclaim && connectRefused(path) && unlinkIfSame(path, st) {
			result.Reclaimed = append(result.Reclaimed, entry)
		}
	}
	sort.Slice(result.Live, func(i, j int) bool { return result.Live[i].Pid < result.Live[j].Pid })
	return result, nil
}

package main

// The agent protocol, version 1 (docs/formats/agent-protocol.md): one JSON request per stdin line,
// exactly one reply per request on stdout, logs on stderr.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
)

const maxLine = 1 << 20

// agentError is an error reply: a code of the protocol's table, a message, and optional details.
type agentError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	Definite   bool   `json:"definite"`
	Field      string `json:"field,omitempty"`
	Pid        *int   `json:"pid,omitempty"`
	indefinite bool
}

func (e *agentError) Error() string { return e.Code + ": " + e.Message }

func newError(code, format string, a ...any) *agentError {
	return &agentError{Code: code, Message: fmt.Sprintf(format, a...), Definite: true}
}

func badRequest(message string) *agentError { return newError("bad_request", "%s", message) }

func invalidArgument(field, rule string) *agentError {
	e := newError("invalid_argument", "field '%s': %s", field, rule)
	e.Field = field
	return e
}

func internal(format string, a ...any) *agentError {
	e := newError("internal", format, a...)
	e.Definite = false
	return e
}

type request struct {
	ID   *int64          `json:"id"`
	Op   *string         `json:"op"`
	Args json.RawMessage `json:"args"`
}

type reply struct {
	ID     *int64      `json:"id"`
	OK     bool        `json:"ok"`
	Result any         `json:"result,omitempty"`
	Error  *agentError `json:"error,omitempty"`
}

var opName = regexp.MustCompile(`^[a-z_]{1,32}$`)
var visibleID = regexp.MustCompile(`"id"\s*:\s*([1-9][0-9]{0,15})\b`)

// serve reads requests until EOF or `exit`, then closes every listener.
func serve(agent *Agent, in io.Reader, out io.Writer) {
	reader := bufio.NewReaderSize(in, 64*1024)
	writer := &replyWriter{out: bufio.NewWriter(out)}
	for {
		line, tooLong, err := readLine(reader)
		if err != nil && len(line) == 0 && !tooLong {
			break
		}
		if tooLong {
			writer.write(reply{Error: badRequest(fmt.Sprintf("request line longer than %d bytes", maxLine))})
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, exit := agent.handle(line)
		writer.write(r)
		if exit {
			break
		}
	}
	agent.shutdown()
}

// readLine returns one line without its newline; a line over maxLine is skipped to its end.
func readLine(r *bufio.Reader) ([]byte, bool, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+1 {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			return nil, true, nil
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), false, err
	}
}

type replyWriter struct {
	mu  sync.Mutex
	out *bufio.Writer
}

func (w *replyWriter) write(r reply) {
	text, err := json.Marshal(r)
	if err != nil {
		text, _ = json.Marshal(reply{ID: r.ID, Error: internal("cannot encode the reply: %v", err)})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(text)
	w.out.WriteByte('\n')
	if err := w.out.Flush(); err != nil {
		logf("stdout: %v", err)
		os.Exit(1) // nobody reads our replies any more
	}
}

func guessID(line []byte) *int64 {
	if m := visibleID.FindSubmatch(line); m != nil {
		if id, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil {
			return &id
		}
	}
	return nil
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "go-net-agent[%d]: %s\n", os.Getpid(), fmt.Sprintf(format, a...))
}

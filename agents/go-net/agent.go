package main

// The ops of protocol v1 and what this agent declares in hello: every capability with who
// provides it, Go's `net` ("library") or code of this agent around it ("agent").

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

const protocolVersion = 1

// capabilities in the order hello lists them, each with its provider (README.md says why).
var capabilities = []struct{ name, providedBy string }{
	{"hash.pipecheck", "agent"},
	{"hash.msbuild", "agent"},
	{"discover", "agent"},
	{"discover.report", "agent"},
	{"discover.reclaim", "agent"},
	{"listen", "library"},
	{"listen.queue_size", "library"},
	{"dial", "library"},
	{"dial.retry", "agent"},
	{"dial.threads", "library"},
	{"dial.barrier", "agent"},
	{"dial.latencies", "agent"},
	{"close", "library"},
	{"close.concurrent", "library"},
	{"counters", "agent"},
	{"fd-count", "agent"},
	{"peer-check", "agent"},
	{"secure-directory", "agent"},
}

type Agent struct {
	mu           sync.Mutex
	listeners    map[string]*listener
	dialJobs     map[string]*dialJob
	nextListener int
	nextToken    int
}

func newAgent() *Agent {
	return &Agent{listeners: map[string]*listener{}, dialJobs: map[string]*dialJob{}, nextListener: 1, nextToken: 1}
}

// handle returns the reply to one request line and whether the agent exits after sending it.
func (agent *Agent) handle(line []byte) (r reply, exit bool) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return reply{ID: guessID(line), Error: badRequest("line is not a JSON object: " + err.Error())}, false
	}
	r.ID = req.ID
	if req.ID == nil || req.Op == nil {
		r.Error = badRequest("a request needs 'id' (integer), 'op' (string) and 'args' (object)")
		return r, false
	}
	a, err := parseArgs(req.Args)
	if err != nil {
		r.Error = err.(*agentError)
		return r, false
	}
	defer func() {
		if p := recover(); p != nil {
			logf("internal error in %q: %v", *req.Op, p)
			r.OK, r.Result, r.Error = false, nil, internal("%v", p)
		}
	}()
	var result any
	switch *req.Op {
	case "hello":
		result, err = agent.hello(a)
	case "hash":
		result, err = agent.hash(a)
	case "discover":
		result, err = agent.discover(a)
	case "listen":
		result, err = agent.listen(a)
	case "dial":
		result, err = agent.dial(a)
	case "prepare_dial":
		result, err = agent.prepareDial(a)
	case "fire":
		result, err = agent.fire(a)
	case "close":
		result, err = agent.close(a)
	case "counters":
		result, err = agent.counters(a)
	case "exit":
		return reply{ID: req.ID, OK: true, Result: map[string]any{}}, true
	default:
		name := *req.Op
		if !opName.MatchString(name) {
			name = fmt.Sprintf("%.40q", name)
		}
		err = newError("unsupported", "op '%s' is not implemented", name)
	}
	if err != nil {
		failure, ok := err.(*agentError)
		if !ok {
			failure = internal("%v", err)
		}
		r.Error = failure
		return r, false
	}
	r.OK, r.Result = true, result
	return r, false
}

func (agent *Agent) hello(a args) (any, error) {
	version, err := a.integer("protocol", 0, 0, 1<<31)
	if err != nil || version != protocolVersion {
		return nil, badRequest(fmt.Sprintf("protocol %s is not supported; this agent speaks protocol %d", string(a["protocol"]), protocolVersion))
	}
	arch, err := ownArch()
	if err != nil {
		return nil, err
	}
	names := []string{}
	providedBy := map[string]string{}
	for _, c := range capabilities {
		names = append(names, c.name)
		providedBy[c.name] = c.providedBy
	}
	return map[string]any{"protocol": protocolVersion, "implementation": "go-net",
		"version": runtime.Version(), "platform": runtime.GOOS, "arch": arch, "pid": os.Getpid(),
		"capabilities": names, "provided_by": providedBy}, nil
}

func (agent *Agent) hash(a args) (any, error) {
	h, err := makeHandshake(a)
	if err != nil {
		return nil, err
	}
	pid, err := pidArg(a)
	if err != nil {
		return nil, err
	}
	e, err := endpointFor(a, h, pid)
	if err != nil {
		return nil, err
	}
	return map[string]any{"key": h.key, "hash": h.hash, "name": e.name, "path": e.path}, nil
}

func (agent *Agent) discover(a args) (any, error) {
	method, _, err := a.str("method")
	if err != nil {
		return nil, err
	}
	switch method {
	case "", "listing":
	case "legacy":
		return nil, newError("unsupported", "discover method 'legacy' is not implemented")
	default:
		return nil, invalidArgument("method", fmt.Sprintf("'%s' must be 'listing' or 'legacy'", method))
	}
	reclaim, err := a.boolean("reclaim", false)
	if err != nil {
		return nil, err
	}
	h, err := makeHandshake(a)
	if err != nil {
		return nil, err
	}
	e, err := endpointFor(a, h, 1)
	if err != nil {
		return nil, err
	}
	return discover(e, h, reclaim)
}

func (agent *Agent) listen(a args) (any, error) {
	h, err := makeHandshake(a)
	if err != nil {
		return nil, err
	}
	pid, err := pidArg(a)
	if err != nil {
		return nil, err
	}
	e, err := endpointFor(a, h, pid)
	if err != nil {
		return nil, err
	}
	var opts listenOptions
	queue, err := a.integer("queue_size", 1, 0, 65535)
	if err != nil {
		return nil, err
	}
	workers, err := a.integer("accept_workers", 1, 0, 1024)
	if err != nil {
		return nil, err
	}
	if opts.handshake, err = a.boolean("handshake", true); err != nil {
		return nil, err
	}
	if opts.holdMs, err = a.integer("hold_ms", 0, 0, 3_600_000); err != nil {
		return nil, err
	}
	opts.queueSize, opts.acceptWorkers = int(queue), int(workers)
	agent.mu.Lock()
	id := fmt.Sprintf("L%d", agent.nextListener)
	agent.nextListener++
	agent.mu.Unlock()
	l := newListener(id, e, h.hash, opts)
	if err := l.start(); err != nil {
		return nil, err
	}
	agent.mu.Lock()
	agent.listeners[id] = l
	agent.mu.Unlock()
	return map[string]any{"listener": id, "name": e.name, "path": e.path}, nil
}

func (agent *Agent) dialOptions(a args) (dialOptions, error) {
	var o dialOptions
	path, present, err := a.str("path")
	if err != nil {
		return o, err
	}
	if present {
		if path == "" {
			return o, invalidArgument("path", "must be a non-empty string")
		}
		o.path = path
	} else if a.has("fields") {
		h, err := makeHandshake(a)
		if err != nil {
			return o, err
		}
		pid, err := pidArg(a)
		if err != nil {
			return o, err
		}
		e, err := endpointFor(a, h, pid)
		if err != nil {
			return o, err
		}
		o.path = e.path
	} else {
		return o, invalidArgument("path", "give either 'path' or handshake arguments")
	}
	integer := func(name string, fallback, low, high int64) int64 {
		if err != nil {
			return 0
		}
		var v int64
		v, err = a.integer(name, fallback, low, high)
		return v
	}
	o.threads = int(integer("threads", 1, 1, 1024))
	o.count = int(integer("count", 1, 0, 10_000_000))
	o.timeout = time.Duration(integer("timeout_ms", 1000, 0, 3_600_000)) * time.Millisecond
	o.hold = time.Duration(integer("hold_ms", 0, 0, 3_600_000)) * time.Millisecond
	o.pace = time.Duration(integer("pace_us", 0, 0, 60_000_000)) * time.Microsecond
	if err != nil {
		return o, err
	}
	if retry, present, e := a.object("retry"); e != nil {
		return o, invalidArgument("retry", "must be null or an object {\"deadline_ms\": n}")
	} else if present {
		deadline, e := retry.integer("deadline_ms", 2000, 0, 3_600_000)
		if e != nil {
			return o, invalidArgument("retry.deadline_ms", "must be an integer from 0 to 3600000")
		}
		o.retrying, o.retry = true, time.Duration(deadline)*time.Millisecond
	}
	if hash, present, e := a.str("handshake"); e != nil {
		return o, invalidArgument("handshake", "must be null or a hash string")
	} else if present {
		o.handshake = &hash
	}
	for _, flag := range []struct {
		name   string
		target *bool
	}{{"keep_open", &o.keepOpen}, {"record_sequence", &o.sequence}, {"record_latencies", &o.latencies}} {
		if *flag.target, err = a.boolean(flag.name, false); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (agent *Agent) dial(a args) (any, error) {
	o, err := agent.dialOptions(a)
	if err != nil {
		return nil, err
	}
	return startDialJob(o).fire(), nil
}

func (agent *Agent) prepareDial(a args) (any, error) {
	o, err := agent.dialOptions(a)
	if err != nil {
		return nil, err
	}
	job := startDialJob(o)
	agent.mu.Lock()
	defer agent.mu.Unlock()
	token := fmt.Sprintf("D%d", agent.nextToken)
	agent.nextToken++
	agent.dialJobs[token] = job
	return map[string]any{"token": token}, nil
}

func (agent *Agent) fire(a args) (any, error) {
	token, _, err := a.str("token")
	if err != nil {
		return nil, err
	}
	agent.mu.Lock()
	job := agent.dialJobs[token]
	delete(agent.dialJobs, token)
	agent.mu.Unlock()
	if job == nil {
		return nil, invalidArgument("token", fmt.Sprintf("'%s' does not name a prepared dial of this agent", token))
	}
	return job.fire(), nil
}

func (agent *Agent) findListener(a args) (*listener, error) {
	id, _, err := a.str("listener")
	if err != nil {
		return nil, err
	}
	agent.mu.Lock()
	l := agent.listeners[id]
	agent.mu.Unlock()
	if l == nil {
		failure := newError("unknown_listener", "listener '%s' is not a listener of this agent", id)
		failure.Field = "listener"
		return nil, failure
	}
	return l, nil
}

func (agent *Agent) close(a args) (any, error) {
	l, err := agent.findListener(a)
	if err != nil {
		return nil, err
	}
	threads, err := a.integer("threads", 1, 1, 256)
	if err != nil {
		return nil, err
	}
	result := l.close(int(threads))
	agent.mu.Lock()
	delete(agent.listeners, l.id)
	agent.mu.Unlock()
	return result, nil
}

func (agent *Agent) counters(a args) (any, error) {
	result := map[string]any{}
	if a.has("listener") {
		l, err := agent.findListener(a)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		for name, value := range l.counters {
			result[name] = value
		}
		l.mu.Unlock()
	}
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		result["open_fds"] = len(entries) - 1 // minus the descriptor of the listing itself
	}
	return result, nil
}

func (agent *Agent) shutdown() {
	agent.mu.Lock()
	listeners := agent.listeners
	agent.listeners = map[string]*listener{}
	agent.mu.Unlock()
	for _, l := range listeners {
		l.close(1)
	}
}

package main

// The dial, prepare_dial and fire ops. One attempt is one net.Dialer.Dial("unix", path): Go's
// net connects without blocking and returns EAGAIN from a full backlog at once. What net lacks
// is agent code: dial-with-retry (DIAL-5), the peer check, the wire handshake, the start barrier.

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"
)

type dialOptions struct {
	path                          string
	threads, count                int
	timeout                       time.Duration
	retry                         time.Duration // 0: single attempts
	retrying                      bool
	handshake                     *string
	hold, pace                    time.Duration
	keepOpen, sequence, latencies bool
}

type attempt struct {
	outcome     string
	systemError int
	detail      string
	conn        net.Conn
	handshakeOK *bool
	latencyUs   float64
}

func classify(err error) (string, int) {
	var errno syscall.Errno
	code := 0
	if errors.As(err, &errno) {
		code = int(errno)
	}
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.EAGAIN):
		return "busy", code
	case errors.Is(err, syscall.ENOENT):
		return "absent", code
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused", code
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "denied", code
	case errors.Is(err, syscall.ETIMEDOUT), errors.As(err, &netErr) && netErr.Timeout():
		if code == 0 {
			code = int(syscall.ETIMEDOUT)
		}
		return "timeout", code
	}
	return "other", code
}

func dialOnce(o *dialOptions) attempt {
	start := time.Now()
	// DIAL-6: the timeout bounds connect and handshake together; each handshake step waits at most
	// the wire bound (WIRE-3) or what is left of the timeout, whichever ends first.
	handshakeDeadline := func() time.Time {
		bound := time.Now().Add(wireTimeout)
		if end := start.Add(o.timeout); o.timeout > 0 && end.Before(bound) {
			return end
		}
		return bound
	}
	// net.Dialer treats a zero timeout as "none": the smallest bound it honours is used instead.
	dialer := net.Dialer{Timeout: o.timeout}
	if o.timeout <= 0 {
		dialer.Timeout = time.Millisecond
	}
	conn, err := dialer.Dial("unix", o.path)
	if err != nil {
		outcome, code := classify(err)
		return attempt{outcome: outcome, systemError: code, detail: err.Error()}
	}
	unix := conn.(*net.UnixConn)
	if uid, err := peerUID(unix); err != nil || uid != os.Geteuid() {
		conn.Close()
		detail := fmt.Sprintf("peer check: server runs as uid %d, we are uid %d", uid, os.Geteuid())
		if err != nil {
			detail = "peer check: " + err.Error()
		}
		return attempt{outcome: "denied", detail: detail}
	}
	if o.handshake == nil {
		return attempt{outcome: "ok", conn: conn}
	}
	accepted := false
	conn.SetWriteDeadline(handshakeDeadline())
	_, err = conn.Write([]byte("PIPECHECK/1 HELLO " + *o.handshake + "\n"))
	problem := ""
	if err != nil {
		problem = "write error: " + err.Error()
	} else {
		var line string
		line, problem = readWireLine(conn, handshakeDeadline())
		accepted = problem == "" && line == "PIPECHECK/1 ACCEPT"
		if problem == "" && !accepted {
			problem = fmt.Sprintf("%q", line)
		}
	}
	if !accepted {
		conn.Close()
		return attempt{outcome: "ok", handshakeOK: &accepted, detail: "handshake: " + problem}
	}
	conn.SetDeadline(time.Time{})
	return attempt{outcome: "ok", conn: conn, handshakeOK: &accepted}
}

type threadRecord struct {
	attempts []attempt
	retries  int
	kept     []net.Conn
}

type dialJob struct {
	o       dialOptions
	gate    chan struct{}
	armed   sync.WaitGroup
	done    sync.WaitGroup
	records []threadRecord
}

func startDialJob(o dialOptions) *dialJob {
	job := &dialJob{o: o, gate: make(chan struct{}), records: make([]threadRecord, o.threads)}
	job.armed.Add(o.threads)
	job.done.Add(o.threads)
	for i := 0; i < o.threads; i++ {
		go job.run(i)
	}
	job.armed.Wait()
	return job
}

func (job *dialJob) timed() attempt {
	began := time.Now()
	a := dialOnce(&job.o)
	a.latencyUs = float64(time.Since(began).Nanoseconds()) / 1000
	return a
}

// attemptWithRetry is DIAL-5: retry only busy, backoff from 100 µs doubling to 10 ms, until the
// deadline; the last outcome is the result.
func (job *dialJob) attemptWithRetry() (attempt, int) {
	if !job.o.retrying {
		return job.timed(), 0
	}
	deadline := time.Now().Add(job.o.retry)
	backoff, retries := 100*time.Microsecond, 0
	for {
		a := job.timed()
		remaining := time.Until(deadline)
		if a.outcome != "busy" || remaining <= 0 {
			return a, retries
		}
		if backoff > remaining {
			backoff = remaining
		}
		time.Sleep(backoff)
		if backoff *= 2; backoff > 10*time.Millisecond {
			backoff = 10 * time.Millisecond
		}
		retries++
	}
}

func (job *dialJob) run(index int) {
	defer job.done.Done()
	record := &job.records[index]
	job.armed.Done()
	<-job.gate
	for n := 0; n < job.o.count; n++ {
		if n > 0 && job.o.pace > 0 {
			time.Sleep(job.o.pace)
		}
		a, retries := job.attemptWithRetry()
		record.retries += retries
		if a.conn != nil {
			if job.o.keepOpen {
				record.kept = append(record.kept, a.conn)
			} else {
				if job.o.hold > 0 {
					time.Sleep(job.o.hold)
				}
				a.conn.Close()
			}
			a.conn = nil
		}
		record.attempts = append(record.attempts, a)
	}
}

func (job *dialJob) fire() map[string]any {
	began := time.Now()
	close(job.gate)
	job.done.Wait()
	elapsedMs := float64(time.Since(began).Microseconds()) / 1000

	outcomes := map[string]int{}
	handshake := map[string]int{"accepted": 0, "failed": 0}
	errorsSeen := map[string]bool{}
	samples := []map[string]any{}
	sequence := []string{}
	latencies := []float64{}
	retries := 0
	for _, record := range job.records {
		for _, a := range record.attempts {
			outcomes[a.outcome]++
			sequence = append(sequence, a.outcome)
			latencies = append(latencies, a.latencyUs)
			if a.handshakeOK != nil {
				if *a.handshakeOK {
					handshake["accepted"]++
				} else {
					handshake["failed"]++
				}
			}
			key := fmt.Sprintf("%s/%d/%s", a.outcome, a.systemError, a.detail)
			if a.outcome != "ok" && !errorsSeen[key] && len(samples) < 10 {
				errorsSeen[key] = true
				samples = append(samples, map[string]any{"outcome": a.outcome, "system_error": a.systemError, "detail": a.detail})
			}
		}
		retries += record.retries
		for _, conn := range record.kept {
			conn.Close()
		}
	}
	result := map[string]any{"attempts": len(sequence), "outcomes": outcomes,
		"latency_us": percentiles(latencies), "elapsed_ms": finite(elapsedMs),
		"retries": retries, "errors": samples}
	if job.o.handshake != nil {
		result["handshake"] = handshake
	}
	if job.o.sequence {
		result["sequence"] = sequence
	}
	if job.o.latencies {
		rounded := make([]float64, len(latencies))
		for i, v := range latencies {
			rounded[i] = math.Round(v*10) / 10
		}
		result["latencies_us"] = rounded
	}
	return result
}

func percentiles(values []float64) map[string]float64 {
	ordered := append([]float64{}, values...)
	sort.Float64s(ordered)
	rank := func(q float64) float64 {
		if len(ordered) == 0 {
			return 0
		}
		i := int(math.Ceil(q*float64(len(ordered)))) - 1
		if i < 0 {
			i = 0
		}
		return math.Round(ordered[i])
	}
	return map[string]float64{"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": rank(1)}
}

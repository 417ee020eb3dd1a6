package web

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sori/verify"
)

// /metrics: the server's counters in Prometheus's text format (version
// 0.0.4). Labels are the route's pattern as registered ("GET
// /api/v1/items/{id}", never the path asked for) and the status code: no
// item ID, user name, query or address ever becomes a label value.

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type reqKey struct {
	route string
	code  int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64
	latency  map[string]*histogram
	verify   apiVerifyStatus

	intakeBytes atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]uint64{}, latency: map[string]*histogram{}}
}

// routeLabel is the label of a request's route: its pattern, or
// "unmatched" (a 404 of the mux, or a redirect to a cleaned path).
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}

func (m *metrics) observe(pattern string, code int, d time.Duration) {
	route := routeLabel(pattern)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, code}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.latency[route] = h
	}
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	h.counts[i]++
	h.sum += s
	h.n++
}

func verifyStatus(at time.Time, rep *verify.Report) apiVerifyStatus {
	return apiVerifyStatus{Ran: true, At: at.UTC(), Mode: rep.Mode, OK: rep.OK(), Findings: len(rep.Findings), Items: rep.Items, Entries: rep.Entries}
}

func (m *metrics) verified(at time.Time, rep *verify.Report) {
	m.mu.Lock()
	m.verify = verifyStatus(at, rep)
	m.mu.Unlock()
}

func (m *metrics) lastVerify() apiVerifyStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.verify
}

// isIntake reports whether a route takes evidence in: its request body's
// bytes are counted as sori_intake_bytes_total.
func isIntake(pattern string) bool {
	method, path, _ := strings.Cut(pattern, " ")
	return method == http.MethodPost && (strings.Contains(path, "intake") || strings.Contains(path, "upload"))
}

// write renders every metric. sessions and tokens are the live web
// logins and token sessions.
func (m *metrics) write(w io.Writer, sessions, tokens int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return a.code - b.code
	})
	fmt.Fprintln(w, "# HELP sori_http_requests_total HTTP requests by route pattern and status code.")
	fmt.Fprintln(w, "# TYPE sori_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "sori_http_requests_total{route=%s,code=\"%d\"} %d\n", quoteLabel(k.route), k.code, m.requests[k])
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	fmt.Fprintln(w, "# HELP sori_http_request_duration_seconds Time to serve a request, by route pattern.")
	fmt.Fprintln(w, "# TYPE sori_http_request_duration_seconds histogram")
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "sori_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", quoteLabel(r), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += h.counts[len(latencyBuckets)]
		fmt.Fprintf(w, "sori_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quoteLabel(r), cum)
		fmt.Fprintf(w, "sori_http_request_duration_seconds_sum{route=%s} %s\n", quoteLabel(r), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "sori_http_request_duration_seconds_count{route=%s} %d\n", quoteLabel(r), h.n)
	}
	fmt.Fprintln(w, "# HELP sori_intake_bytes_total Bytes of request bodies received by intake routes.")
	fmt.Fprintln(w, "# TYPE sori_intake_bytes_total counter")
	fmt.Fprintf(w, "sori_intake_bytes_total %d\n", m.intakeBytes.Load())
	fmt.Fprintln(w, "# HELP sori_sessions Live sessions holding a user's keys, by how they were opened.")
	fmt.Fprintln(w, "# TYPE sori_sessions gauge")
	fmt.Fprintf(w, "sori_sessions{via=\"login\"} %d\n", sessions)
	fmt.Fprintf(w, "sori_sessions{via=\"token\"} %d\n", tokens)
	ok, at, findings := -1, 0.0, 0
	if m.verify.Ran {
		ok, at, findings = 0, float64(m.verify.At.Unix()), m.verify.Findings
		if m.verify.OK {
			ok = 1
		}
	}
	fmt.Fprintln(w, "# HELP sori_verify_ok Outcome of the last verification this server ran: 1 clean, 0 findings, -1 none run.")
	fmt.Fprintln(w, "# TYPE sori_verify_ok gauge")
	fmt.Fprintf(w, "sori_verify_ok %d\n", ok)
	fmt.Fprintln(w, "# HELP sori_verify_findings Findings of the last verification this server ran.")
	fmt.Fprintln(w, "# TYPE sori_verify_findings gauge")
	fmt.Fprintf(w, "sori_verify_findings %d\n", findings)
	fmt.Fprintln(w, "# HELP sori_verify_last_run_timestamp_seconds When the last verification this server ran ended (0: none).")
	fmt.Fprintln(w, "# TYPE sori_verify_last_run_timestamp_seconds gauge")
	fmt.Fprintf(w, "sori_verify_last_run_timestamp_seconds %s\n", strconv.FormatFloat(at, 'f', -1, 64))
}

// quoteLabel quotes a label value as the text format wants (backslash,
// double quote and newline escaped).
func quoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w, s.sessions.len(), s.tokens.len())
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.code == 0 {
		sw.code = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

func (sw *statusWriter) Flush() {
	if f, ok := sw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// countingBody counts the bytes a handler reads of a request body.
type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// instrument serves r through the mux, counting it by route and status.
func (s *Server) instrument(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	var body *countingBody
	if r.Method == http.MethodPost && r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}
	s.mux.ServeHTTP(sw, r)
	code := sw.code
	if code == 0 {
		code = http.StatusOK
	}
	if body != nil && isIntake(r.Pattern) {
		s.metrics.intakeBytes.Add(uint64(body.n.Load()))
	}
	s.metrics.observe(r.Pattern, code, time.Since(start))
}

package web

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sori/internal/archive"
)

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"`)
)

// TestMetricsFormat reads /metrics after requests that carry IDs, user
// names and queries: every line is valid Prometheus text format, every
// sample's family has a TYPE, histograms are cumulative with +Inf equal
// to the count, and no label value is anything but a route pattern, a
// status code, a bucket bound or a session kind.
func TestMetricsFormat(t *testing.T) {
	af := newAPIFixture(t)
	h := af.serve(t)
	tok := af.tokens[archive.RoleReader]
	h.call("GET", "/api/v1/items/"+af.item.String(), tok)
	h.call("GET", "/api/v1/search?q="+url.QueryEscape("Tumen crossing"), tok)
	h.call("GET", "/api/v1/publish/preview", tok) // 403
	h.call("GET", "/api/v1/items/"+af.item.String()+"/nothing", tok)
	h.call("POST", "/api/v1/verify", af.tokens[archive.RoleAdmin])
	b := h.browser()
	b.mustLogin("reader", readerPass)
	b.get("/show/" + af.item.String())
	b.get("/nowhere/" + af.person.String())

	r := h.call("GET", "/metrics", "")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %s %s", r.Status, r.Header.Get("Content-Type"))
	}
	types := map[string]string{}
	patterns := map[string]bool{"unmatched": true, "/api/": true}
	for _, rt := range h.srv.apiRoutes() {
		patterns[rt.method+" "+rt.path] = true
	}
	buckets := map[string][]float64{} // route → cumulative counts
	counts := map[string]float64{}
	samples := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSuffix(r.body, "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || !slices.Contains([]string{"counter", "gauge", "histogram"}, f[1]) {
				t.Errorf("bad TYPE line %q", line)
				continue
			}
			types[f[0]] = f[1]
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample line: %q", line)
			continue
		}
		name, v := m[1], m[4]
		val, err := strconv.ParseFloat(v, 64)
		if err != nil && v != "+Inf" {
			t.Errorf("bad value in %q", line)
		}
		family := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suf); ok && types[base] == "histogram" {
				family = base
			}
		}
		if types[family] == "" {
			t.Errorf("sample %q before or without a TYPE", line)
		}
		labels := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[3], -1) {
			labels[p[1]] = p[2]
		}
		for k, lv := range labels {
			switch k {
			case "route":
				if !patterns[lv] && !strings.Contains(lv, " /") {
					t.Errorf("route label %q is not a pattern", lv)
				}
				if strings.Contains(lv, af.item.String()) || strings.Contains(lv, "reader") || strings.Contains(lv, "Tumen") {
					t.Errorf("label %q identifies", lv)
				}
			case "code":
				if _, err := strconv.Atoi(lv); err != nil {
					t.Errorf("code label %q", lv)
				}
			case "le", "via":
			default:
				t.Errorf("unexpected label %s=%q", k, lv)
			}
		}
		samples[name+"{"+m[3]+"}"] = val
		switch name {
		case "sori_http_request_duration_seconds_bucket":
			buckets[labels["route"]] = append(buckets[labels["route"]], val)
		case "sori_http_request_duration_seconds_count":
			counts[labels["route"]] = val
		}
	}
	for _, bad := range []string{af.item.String(), af.person.String(), "Tumen", `"reader"`, sealedRR} {
		if strings.Contains(r.body, bad) {
			t.Errorf("/metrics holds %q", bad)
		}
	}
	for route, bs := range buckets {
		for i := 1; i < len(bs); i++ {
			if bs[i] < bs[i-1] {
				t.Errorf("%s: buckets not cumulative: %v", route, bs)
			}
		}
		if bs[len(bs)-1] != counts[route] || len(bs) != len(latencyBuckets)+1 {
			t.Errorf("%s: +Inf bucket %v, count %v", route, bs[len(bs)-1], counts[route])
		}
	}
	for key, want := range map[string]float64{
		`sori_http_requests_total{route="GET /api/v1/items/{id}",code="200"}`:      1,
		`sori_http_requests_total{route="GET /api/v1/publish/preview",code="403"}`: 1,
		`sori_http_requests_total{route="GET /show/{id}",code="200"}`:              1,
		`sori_verify_ok{}`:           1,
		`sori_sessions{via="token"}`: 2,
		`sori_sessions{via="login"}`: 1,
	} {
		if got, ok := samples[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
}

// Command servedrive is the mixed-work half of bench/serve.sh: it logs N
// sessions into a running sori serve (the web login form, each its own
// cookie jar) and has each do a random mix of page views and JSON API
// calls — with its login's cookie and, for the API, an API token read
// from a file — for a while, then reports requests, errors and latency per
// kind of request. Any error (a status other than 200, or a failed
// request) is printed and makes it exit 1.
//
//	servedrive -url http://127.0.0.1:8091 -user reader -passphrase-file F -token-file F [-sessions 50] [-duration 30s]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

type stat struct {
	n, errs int
	lat     []time.Duration
}

type result struct {
	mu    sync.Mutex
	kinds map[string]*stat
	first []string
}

func (r *result) add(kind string, d time.Duration, errMsg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.kinds[kind]
	if s == nil {
		s = &stat{}
		r.kinds[kind] = s
	}
	s.n++
	s.lat = append(s.lat, d)
	if errMsg != "" {
		s.errs++
		if len(r.first) < 10 {
			r.first = append(r.first, kind+": "+errMsg)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "servedrive:", err)
		os.Exit(2)
	}
	l, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(l)
}

func main() {
	base := flag.String("url", "", "server URL")
	user := flag.String("user", "", "user to log in as")
	passFile := flag.String("passphrase-file", "", "the user's passphrase (first line)")
	tokFile := flag.String("token-file", "", "an API token (first line)")
	sessions := flag.Int("sessions", 50, "concurrent logged-in sessions")
	duration := flag.Duration("duration", 30*time.Second, "how long to run")
	flag.Parse()
	if *base == "" || *user == "" || *passFile == "" || *tokFile == "" {
		flag.Usage()
		os.Exit(2)
	}
	pass, tok := firstLine(*passFile), firstLine(*tokFile)
	tr := &http.Transport{MaxIdleConnsPerHost: *sessions * 2}

	// Item IDs to show and read, from the API.
	req, _ := http.NewRequest("GET", *base+"/api/v1/items?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil || resp.StatusCode != 200 {
		fmt.Fprintln(os.Stderr, "servedrive: listing items:", err, resp)
		os.Exit(1)
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Items) == 0 {
		fmt.Fprintln(os.Stderr, "servedrive: no items")
		os.Exit(1)
	}
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	queries := []string{"두만강", "기근", "탈북", "보위부", "장마당", "강제송환", "집결소", "Tumen", "hunger", "border", "market", "interrogated", "공개처형", "escape"}

	res := &result{kinds: map[string]*stat{}}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(*duration)
	var loginErrs sync.Map
	for w := range *sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: tr, Jar: jar, Timeout: time.Minute,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(kind, method, path string, form url.Values, bearer bool) (int, string) {
				var body io.Reader
				if form != nil {
					body = strings.NewReader(form.Encode())
				}
				req, _ := http.NewRequest(method, *base+path, body)
				if form != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if bearer {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					res.add(kind, time.Since(t0), err.Error())
					return 0, ""
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if kind != "" {
					msg := ""
					if resp.StatusCode != 200 {
						msg = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
					}
					res.add(kind, d, msg)
				}
				return resp.StatusCode, string(b)
			}
			_, page := do("", "GET", "/login", nil, false)
			m := csrfField.FindStringSubmatch(page)
			if m == nil {
				loginErrs.Store(w, "no login form")
				return
			}
			t0 := time.Now()
			code, _ := do("", "POST", "/login", url.Values{"csrf": {m[1]}, "user": {*user}, "passphrase": {pass}}, false)
			res.add("login", time.Since(t0), map[bool]string{true: "", false: fmt.Sprintf("login: %d", code)}[code == 303])
			if code != 303 {
				return
			}
			for time.Now().Before(deadline) {
				id := ids[rng.IntN(len(ids))]
				q := url.QueryEscape(queries[rng.IntN(len(queries))])
				switch n := rng.IntN(100); {
				case n < 30:
					do("api search (token)", "GET", "/api/v1/search?q="+q, nil, true)
				case n < 45:
					do("page search", "GET", "/search?q="+q, nil, false)
				case n < 60:
					do("api item (token)", "GET", "/api/v1/items/"+id, nil, true)
				case n < 70:
					do("api content (token)", "GET", "/api/v1/items/"+id+"/content", nil, true)
				case n < 80:
					do("page item", "GET", "/show/"+id, nil, false)
				case n < 88:
					do("api items page (cookie)", "GET", fmt.Sprintf("/api/v1/items?limit=20&offset=%d", rng.IntN(1000)), nil, false)
				case n < 94:
					do("api search (cookie)", "GET", "/api/v1/search?q="+q, nil, false)
				case n < 97:
					do("api me (token)", "GET", "/api/v1/me", nil, true)
				default:
					do("page records", "GET", "/records?kind=event", nil, false)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	total, errs := 0, 0
	names := make([]string, 0, len(res.kinds))
	for k := range res.kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("%d sessions for %s\n", *sessions, el.Round(time.Second))
	fmt.Printf("%-26s %7s %6s %9s %9s\n", "request", "count", "errors", "p50", "p99")
	for _, k := range names {
		s := res.kinds[k]
		slices.Sort(s.lat)
		p := func(q float64) time.Duration { return s.lat[min(len(s.lat)-1, int(q*float64(len(s.lat))))] }
		fmt.Printf("%-26s %7d %6d %9s %9s\n", k, s.n, s.errs, p(0.5).Round(100*time.Microsecond), p(0.99).Round(100*time.Microsecond))
		total += s.n
		errs += s.errs
	}
	loginErrs.Range(func(k, v any) bool { errs++; fmt.Println("session", k, v); return true })
	fmt.Printf("total %d requests, %.0f req/s, %d errors\n", total, float64(total)/el.Seconds(), errs)
	for _, f := range res.first {
		fmt.Println("error:", f)
	}
	if errs > 0 {
		os.Exit(1)
	}
}

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServeRefusesPlainTextOffLoopback(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	for _, args := range [][]string{
		{"serve", "--addr", "0.0.0.0:0"},
		{"serve", "--addr", "192.0.2.1:8080"},
		{"serve", "--tls-cert", "cert.pem"},
		{"serve", "--addr", "nonsense"},
		{"serve", "--idle-timeout", "1s"},
	} {
		if code, _, errs := c.run("", args...); code != exitUsage {
			t.Errorf("sori %s: exit %d, want %d\n%s", strings.Join(args, " "), code, exitUsage, errs)
		}
	}
	if code, _, errs := c.run("", "serve", "--addr", "0.0.0.0:0"); !strings.Contains(errs, "--tls-cert") {
		t.Errorf("the refusal does not say what to do (exit %d): %s", code, errs)
	}
}

// TestServeServesAndStops boots sori serve on a free loopback port, reads
// the address it prints, fetches the login page, and stops it by
// cancelling its context (as SIGINT does): exit 0.
func TestServeServesAndStops(t *testing.T) {
	c := newCLI(t)
	c.ok("init", "--user", "kim")
	pr, pw := io.Pipe()
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(k string) string { return c.env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://127.0.0.1:")
	if i < 0 {
		t.Fatalf("sori serve printed %q", line)
	}
	url := strings.Fields(line[i:])[0]
	resp, err := http.Get(url + "login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="passphrase"`) {
		t.Fatalf("GET /login: %s", resp.Status)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("sori serve stopped with exit %d", code)
	}
}

// TestDemoServes: without --no-serve, demo ends by serving its archive and
// printing the URL and the login, which works.
func TestDemoServes(t *testing.T) {
	c := newCLI(t)
	pr, pw := io.Pipe()
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard, getenv: func(k string) string { return c.env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"demo", "--dir", t.TempDir() + "/demo", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "Open http://") {
			if !strings.Contains(l, `"demo"`) || !strings.Contains(l, demoPassphrase) {
				t.Errorf("the login is not printed: %q", l)
			}
			url = strings.Fields(l)[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatalf("demo printed no URL (exit %d)", <-done)
	}
	resp, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %s", resp.Status)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("demo stopped with exit %d", code)
	}
}

package testenv

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// These smoke tests prove that the services CI provides are really there, so
// that a later integration suite fails for its own reasons, not the setup's.

func TestPostgresReachable(t *testing.T) {
	u, err := url.Parse(Postgres(t))
	if err != nil {
		t.Fatalf("SORI_TEST_POSTGRES: %v", err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", u.Host, err)
	}
	c.Close()
}

func TestS3Reachable(t *testing.T) {
	cfg := S3(t)
	scheme := "http"
	if cfg.Secure {
		scheme = "https"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+cfg.Endpoint+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("S3 endpoint %s: %v", cfg.Endpoint, err)
	}
	resp.Body.Close()
	// Unsigned requests are refused by a real S3 server; any S3 answer will do.
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusOK {
		t.Errorf("S3 endpoint answered %s", resp.Status)
	}
}

func TestBrowserRuns(t *testing.T) {
	bin := Browser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--dump-dom", "data:text/html;charset=utf-8,<p id=x>%EC%86%8C%EB%A6%AC</p>").Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	if !strings.Contains(string(out), "소리") {
		t.Errorf("headless Chromium did not render the page: %q", out)
	}
}

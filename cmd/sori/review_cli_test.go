package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewAndFourEyesCommands drives sori review, settings, approve,
// export --request and annotate --at through the CLI: a reviewer cannot
// approve their own work, four-eyes export waits for approval (exit 4),
// the requester and a role that may not export cannot approve (exit 3,
// recorded), and the approved request runs once.
func TestReviewAndFourEyesCommands(t *testing.T) {
	c := newCLI(t)
	const kimPass, leePass, anPass = "a passphrase for tests", "lee's passphrase", "an's passphrase"
	c.ok("init", "--user", "kim")
	c.env["SORI_NEW_PASSPHRASE"] = leePass
	c.ok("user", "add", "lee", "--role", "investigator")
	c.env["SORI_NEW_PASSPHRASE"] = anPass
	c.ok("user", "add", "an", "--role", "analyst")

	// Review.
	c.as("an", anPass)
	ev := strings.TrimSpace(c.ok("event", "add", "--title", "Arrest at the border", "--date", "1998"))
	ev2 := strings.TrimSpace(c.ok("event", "add", "--title", "Transfer", "--date", "1998"))
	if got := c.ok("review", "request", ev, "--note", "ready"); got != ev+"\tneeds-review\n" {
		t.Errorf("review request: %q", got)
	}
	c.want(3, "you asked for this review", "review", "approve", ev)
	c.want(2, "needs-review already", "review", "request", ev)
	c.want(2, "want request", "review", "bless", ev)
	c.as("lee", leePass)
	if got := c.ok("review", "ls"); !strings.HasPrefix(got, ev+"\tevent\tneeds-review\t1\tan\n") {
		t.Errorf("review ls: %q", got)
	}
	c.ok("review", "approve", ev, "--note", "checked")
	show := c.ok("review", "show", ev)
	if !strings.Contains(show, "state\treviewed") || !strings.Contains(show, "approve\tversion 1\tlee") {
		t.Errorf("review show:\n%s", show)
	}
	// Bulk: one line per record, exit 1 when one failed, the rest done.
	code, out, _ := c.run("", "review", "request", ev, ev2)
	if code != 1 || !strings.Contains(out, ev+"\terror\t") || !strings.Contains(out, ev2+"\tneeds-review") {
		t.Errorf("bulk request: exit %d\n%s", code, out)
	}
	if got := c.ok("review", "ls", "--state", "reviewed"); !strings.HasPrefix(got, ev+"\t") {
		t.Errorf("review ls --state reviewed: %q", got)
	}

	// Four eyes.
	src := t.TempDir()
	p := filepath.Join(src, "t.ko.txt")
	if err := os.WriteFile(p, []byte("답변: 1998년 가을에 건넜습니다.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.as("kim", kimPass)
	item := strings.Fields(c.ok("add", "--kind", "transcript", "--lang", "ko", p))[0]
	c.as("lee", leePass)
	c.want(3, "may not setting", "settings", "four-eyes", "export")
	c.as("kim", kimPass)
	c.want(2, "four-eyes", "settings", "four-eyes", "court")
	if got := c.ok("settings", "four-eyes", "export"); got != "four-eyes\texport\n" {
		t.Errorf("settings: %q", got)
	}
	c.as("lee", leePass)
	out = c.want(4, "waits for approval", "export", "--out", filepath.Join(src, "b1"), item)
	req := strings.TrimPrefix(strings.TrimSpace(out), "pending\t")
	if len(req) != 32 {
		t.Fatalf("pending request: %q", out)
	}
	if _, err := os.Stat(filepath.Join(src, "b1", "bagit.txt")); err == nil {
		t.Error("a bundle was written before approval")
	}
	c.want(4, "not approved yet", "export", "--out", filepath.Join(src, "b1"), "--request", req, item)
	c.want(3, "second user", "approve", req)
	c.as("an", anPass)
	c.want(3, "may not approve", "approve", req)
	c.as("kim", kimPass)
	if got := c.ok("approve", req, "--note", "for the inquiry"); got != req+"\tapproved\n" {
		t.Errorf("approve: %q", got)
	}
	hist := c.ok("approve", "show", req)
	for _, w := range []string{"refused\tlee", "refused\tan", "approved\tkim", "item\t" + item} {
		if !strings.Contains(hist, w) {
			t.Errorf("approve show lacks %q:\n%s", w, hist)
		}
	}
	c.as("lee", leePass)
	c.ok("export", "--out", filepath.Join(src, "b1"), "--request", req, item)
	c.want(2, "done", "export", "--out", filepath.Join(src, "b2"), "--request", req, item)
	if got := c.ok("approve", "ls", "--state", "done"); !strings.HasPrefix(got, req+"\texport\tdone\tlee") {
		t.Errorf("approve ls: %q", got)
	}

	// Time-coded notes.
	audio := filepath.Join(src, "interview.ogg")
	if err := os.WriteFile(audio, []byte("OggS synthetic"), 0o600); err != nil {
		t.Fatal(err)
	}
	au := strings.Fields(c.ok("add", "--kind", "audio", audio))[0]
	c.ok("annotate", au, "--at", "12:31", "--note", "the witness names the camp", "--event", ev)
	c.want(2, "SS, M:SS", "annotate", au, "--at", "12:3x", "--note", "x")
	c.want(2, "not audio or video", "annotate", item, "--at", "1:00", "--note", "x")
	intro := strings.TrimSpace(c.ok("annotate", au, "--at", "0:41", "--note", "intro"))
	if got := c.ok("annotate", "edit", intro, "--at", "0:40", "--note", "introductions"); got != intro+"\t2\n" {
		t.Errorf("annotate edit of a time-coded note: %q", got)
	}
	c.want(2, "not a time-coded note", "annotate", "edit", ev, "--at", "1:00")
	ls := c.ok("annotate", "ls", au)
	lines := strings.Split(strings.TrimSpace(ls), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "0:40\t") || !strings.HasPrefix(lines[1], "12:31\t") || !strings.Contains(lines[1], ev) {
		t.Errorf("annotate ls:\n%s", ls)
	}
	c.ok("verify")
}

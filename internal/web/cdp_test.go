//go:build unix

package web

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cdp drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands on its fd 3, replies on fd 4, each
// message JSON ended by a NUL byte), so the browser test needs no driver
// library and no npm.
type cdp struct {
	t       *testing.T
	cmd     *exec.Cmd
	w       *os.File
	mu      sync.Mutex
	next    int
	waiting map[int]chan cdpReply
	session string
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startCDP(t *testing.T, bin string) *cdp {
	t.Helper()
	toChrome, ourW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourR, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// The profile directory is removed by the cleanup below, after every
	// Chromium process is gone (t.TempDir's own removal raced with helper
	// processes still writing into it).
	profile, err := os.MkdirTemp("", "sori-web-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-proxy-server",
		"--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--remote-debugging-pipe", "--user-data-dir="+profile, "--window-size=1200,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3, fd 4
	// Its own process group, so that the cleanup ends Chromium's helper
	// processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	c := &cdp{t: t, cmd: cmd, w: ourW, waiting: map[int]chan cdpReply{}}
	go c.read(ourR)
	t.Cleanup(func() {
		c.w.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		// Helpers may take a moment to die after the group's signal.
		var err error
		for range 50 {
			if err = os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("removing the browser profile: %v", err)
	})
	return c
}

func (c *cdp) read(r *os.File) {
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event
		}
		c.mu.Lock()
		ch := c.waiting[m.ID]
		delete(c.waiting, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

// call sends a command (to the attached page once there is one) and waits
// for its reply; the overall deadline only stops a hung browser.
func (c *cdp) call(method string, params any, out any) error {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan cdpReply, 1)
	c.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if c.session != "" && method[:7] != "Target." {
		msg["sessionId"] = c.session
	}
	b, _ := json.Marshal(msg)
	_, err := c.w.Write(append(b, 0))
	c.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("%s: no reply from Chromium", method)
	}
}

// open makes a page and attaches to it.
func (c *cdp) open() {
	c.t.Helper()
	var tg struct {
		TargetID string `json:"targetId"`
	}
	if err := c.call("Target.createTarget", map[string]any{"url": "about:blank"}, &tg); err != nil {
		c.t.Fatal(err)
	}
	var at struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.call("Target.attachToTarget", map[string]any{"targetId": tg.TargetID, "flatten": true}, &at); err != nil {
		c.t.Fatal(err)
	}
	c.session = at.SessionID
}

// eval runs expression in the page and returns its value as a string.
func (c *cdp) eval(expr string) string {
	c.t.Helper()
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	if err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		c.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		c.t.Fatalf("page script %q failed: %v", expr, r.ExceptionDetails)
	}
	return fmt.Sprint(r.Result.Value)
}

// waitFor evaluates cond until it is "true" (the page loads and swaps at
// its own pace; the bound only stops a test that would hang).
func (c *cdp) waitFor(cond string) {
	c.t.Helper()
	for i := 0; i < 600; i++ {
		if c.eval("(function(){try{return !!("+cond+")}catch(e){return false}})()") == "true" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("the page never satisfied %s; it shows:\n%s", cond, c.eval("document.documentElement.outerHTML"))
}

func (c *cdp) navigate(url string) {
	c.t.Helper()
	if err := c.call("Page.navigate", map[string]any{"url": url}, nil); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cdp) screenshot(path string) {
	c.t.Helper()
	var r struct {
		Data []byte `json:"data"`
	}
	if err := c.call("Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, r.Data, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

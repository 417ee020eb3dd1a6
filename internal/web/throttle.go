package web

import (
	"sync"
	"time"
)

// Login attempts are slowed per user name and per client address: after
// freeFailures failed attempts, each further attempt must wait twice as
// long as the one before (1 s, 2 s, 4 s … up to maxDelay) after the last
// failure. Waiting is the client's: a refused attempt is answered at once
// (429), so an attacker cannot tie up the server's scrypt work either.
const (
	freeFailures = 3
	maxDelay     = 15 * time.Minute
	// forgetAfter drops a key's failures after this long without one.
	forgetAfter = time.Hour
	// maxKeys bounds the table; past it, keys past their wait are dropped.
	maxKeys = 100000
)

type failures struct {
	n    int
	last time.Time
}

type throttle struct {
	mu   sync.Mutex
	keys map[string]failures
}

func newThrottle() *throttle { return &throttle{keys: map[string]failures{}} }

func delayAfter(n int) time.Duration {
	if n < freeFailures {
		return 0
	}
	d := time.Second << min(n-freeFailures, 20)
	return min(d, maxDelay)
}

// wait reports how long the caller must still wait before an attempt for
// every one of keys is allowed (0: go ahead).
func (t *throttle) wait(now time.Time, keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		f, ok := t.keys[k]
		if !ok {
			continue
		}
		if now.Sub(f.last) > forgetAfter {
			delete(t.keys, k)
			continue
		}
		if w := f.last.Add(delayAfter(f.n)).Sub(now); w > longest {
			longest = w
		}
	}
	return longest
}

// fail records a failed attempt for each of keys.
func (t *throttle) fail(now time.Time, keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.keys) >= maxKeys {
		for k, f := range t.keys {
			if now.Sub(f.last) > delayAfter(f.n) {
				delete(t.keys, k)
			}
		}
	}
	for _, k := range keys {
		f := t.keys[k]
		t.keys[k] = failures{n: f.n + 1, last: now}
	}
}

// reset forgets key's failures (a user who logged in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// progressBar draws on stderr when it is a terminal and the work is large.
type progressBar struct {
	e      *env
	mu     sync.Mutex
	start  time.Time
	drawn  bool
	silent bool
}

const progressMin = 64 << 20 // bytes of work below which no bar is drawn

func newProgressBar(e *env) *progressBar {
	return &progressBar{e: e, start: time.Now(), silent: !e.stderrTTY}
}

func (p *progressBar) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent || total < progressMin || time.Since(p.start) < 500*time.Millisecond {
		return
	}
	frac := float64(done) / float64(total)
	frac = min(max(frac, 0), 1)
	const width = 30
	n := int(frac * width)
	rate := float64(done) / time.Since(p.start).Seconds() / (1 << 20)
	fmt.Fprintf(p.e.stderr, "\r[%s%s] %3.0f%%  %s / %s  %.0f MiB/s ", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, human(done), human(total), rate)
	p.drawn = true
}

func (p *progressBar) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.e.stderr, "\r\033[K")
		p.drawn = false
	}
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

const progressMinCount = 2000 // records below which no count bar is drawn

// updateCount draws a bar for work counted in records rather than bytes.
func (p *progressBar) updateCount(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.silent || total < progressMinCount || time.Since(p.start) < 500*time.Millisecond {
		return
	}
	frac := min(max(float64(done)/float64(total), 0), 1)
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(p.e.stderr, "\r[%s%s] %3.0f%%  %d / %d records ", strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, done, total)
	p.drawn = true
}

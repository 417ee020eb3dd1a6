package web

import (
	"context"
	"errors"
	"time"

	"sori/internal/evidence"
)

// indexEvery is how often the background indexer looks for items that
// other processes (sori add on the same archive) queued.
const indexEvery = 30 * time.Second

// runIndexer indexes queued items in the background until ctx ends or the
// server closes: when the Repo reports an intake (Config.IndexWake), and
// every indexEvery. Indexing needs a user's keys, so it borrows a live
// login whose role may search; with nobody logged in nothing is indexed
// (the next search, or sori index, does it).
func (s *Server) runIndexer(ctx context.Context) {
	every := indexEvery
	if s.indexEvery > 0 {
		every = s.indexEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-s.cfg.IndexWake:
		case <-t.C:
		}
		n, err := s.indexPending(ctx)
		if err != nil {
			s.log.Warn("background indexing stopped", "err", err)
		}
		if s.indexed != nil {
			select {
			case s.indexed <- n:
			case <-s.done:
			}
		}
	}
}

// indexPending indexes what is queued with the first login that may, and
// returns how many items it indexed.
func (s *Server) indexPending(ctx context.Context) (int, error) {
	for _, ss := range s.sessions.all() {
		ss.mu.RLock()
		if ss.closed {
			ss.mu.RUnlock()
			continue
		}
		n, err := ss.arch.IndexPending(ctx, nil)
		ss.mu.RUnlock()
		if errors.Is(err, evidence.ErrForbidden) || errors.Is(err, evidence.ErrLocked) {
			continue // this login may not; another may
		}
		return n, err
	}
	return 0, nil
}

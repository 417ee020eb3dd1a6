package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"sori/internal/evidence"
	"sori/internal/model"
)

// BenchmarkGuardedReads puts the disclosure guard's cost beside the same
// reads unguarded: ls of 5,000 items and records of 2,000 persons, and a
// search, by a protection officer (values as stored) and by a reader (every
// value walked and matched), with one witness sealed.
//
//	go test -run '^$' -bench GuardedReads -benchtime 10x ./internal/archive
func BenchmarkGuardedReads(b *testing.B) {
	ctx := context.Background()
	a := benchArchive(b)
	src := b.TempDir()
	var paths []string
	for i := range 5000 {
		p := filepath.Join(src, fmt.Sprintf("t%05d.txt", i))
		writeFile(b, p, fmt.Appendf(nil, "증언 %d: 우리는 두만강을 건넜다. We crossed the Tumen river on day %d.\n", i, i))
		paths = append(paths, p)
	}
	if err := a.Add(ctx, paths, AddOptions{}, func(r Added) error { return r.Err }); err != nil {
		b.Fatal(err)
	}
	bodies := make([]model.Body, 2000)
	for i := range bodies {
		bodies[i] = &model.Person{Names: []string{fmt.Sprintf("김%d호", i), fmt.Sprintf("Kim Ho-%d", i)}, Notes: "a neighbour from Musan"}
	}
	if _, err := a.AddRecords(ctx, bodies, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := a.AddWitness(ctx, Witness{Pseudonym: "W-23", Names: []string{"최영남", "Choi Young-nam"}, Contact: "+82 10-2345-6789"}); err != nil {
		b.Fatal(err)
	}
	if _, err := a.AddUser(ctx, "rdr", RoleReader, testPass); err != nil {
		b.Fatal(err)
	}
	rdr, err := Open(ctx, a.dir, "rdr", testPass, Options{WorkFactor: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rdr.Close() })
	if _, err := a.IndexPending(ctx, nil); err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		who string
		a   *Archive
	}{{"protection", a}, {"reader", rdr}} {
		// cold: the guard loaded afresh each time, as by a command (sori
		// ls): its memory of checked strings starts empty.
		b.Run("ls-cold/"+s.who, func(b *testing.B) {
			for range b.N {
				s.a.guard.mu.Lock()
				s.a.guard.d = nil
				s.a.guard.mu.Unlock()
				n := 0
				if err := s.a.List(ctx, func(Listed) error { n++; return nil }); err != nil || n != 5000 {
					b.Fatal(n, err)
				}
			}
		})
		b.Run("ls/"+s.who, func(b *testing.B) {
			for range b.N {
				n := 0
				if err := s.a.List(ctx, func(Listed) error { n++; return nil }); err != nil || n != 5000 {
					b.Fatal(n, err)
				}
			}
		})
		b.Run("persons/"+s.who, func(b *testing.B) {
			for range b.N {
				if err := s.a.Records(ctx, model.KindPerson, func(_ evidence.ID, _ model.Body) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("search/"+s.who, func(b *testing.B) {
			for range b.N {
				if _, err := s.a.Search(ctx, "두만강", SearchOptions{Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

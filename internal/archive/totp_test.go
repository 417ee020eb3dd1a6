package archive

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"sori/internal/testenv"
)

// TestClaimTOTPStepAcrossRepos: the last TOTP step a login used is kept in
// the archive, so two Repos on one archive — two servers — take a step
// once between them, also when both are given it at the same moment; a
// later step is taken, an earlier one is not; each user has their own.
// On the embedded store and, with SORI_TEST_POSTGRES, on PostgreSQL.
func TestClaimTOTPStepAcrossRepos(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testClaimTOTP(t, Options{WorkFactor: 10}) })
	t.Run("postgres", func(t *testing.T) {
		db := testenv.PostgresSchema(t)
		testClaimTOTP(t, Options{WorkFactor: 10, DB: db})
	})
}

func testClaimTOTP(t *testing.T, opt Options) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "archive")
	adm, err := Init(ctx, dir, "admin", testPass, opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.AddUser(ctx, "reader", RoleReader, testPass); err != nil {
		t.Fatal(err)
	}
	adm.Close()
	var sessions [2]*Session
	for i := range sessions {
		repo, err := OpenRepo(ctx, dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { repo.Close() })
		if sessions[i], err = repo.Unlock(ctx, "reader", testPass); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sessions[i].Close() })
	}
	one, two := sessions[0], sessions[1]
	claim := func(s *Session, step int64, want bool) {
		t.Helper()
		got, err := s.ClaimTOTPStep(ctx, step)
		if err != nil || got != want {
			t.Fatalf("step %d: %v %v, want %v", step, got, err, want)
		}
	}
	claim(one, 1000, true)
	claim(two, 1000, false) // the other server: already used
	claim(one, 1000, false)
	claim(two, 999, false) // older than one used
	claim(two, 1001, true)
	claim(one, 1001, false)
	if _, err := one.ClaimTOTPStep(ctx, -1); err == nil {
		t.Error("a negative step was taken")
	}
	// Both servers given one code at once: exactly one takes it.
	for step := int64(2000); step < 2010; step++ {
		var wg sync.WaitGroup
		var taken atomic.Int32
		for _, s := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.ClaimTOTPStep(ctx, step)
				if err != nil {
					t.Error(err)
				}
				if ok {
					taken.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := taken.Load(); n != 1 {
			t.Fatalf("step %d taken %d times", step, n)
		}
	}
	// Another user's steps are their own.
	adm2, err := OpenRepo(ctx, dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer adm2.Close()
	a, err := adm2.Unlock(ctx, "admin", testPass)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	claim(a, 1000, true)
}

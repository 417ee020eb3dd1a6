// Package archive is the one door to a sori archive: every caller (CLI,
// HTTP, tests) goes through it. It unlocks the archive as a user, opens the
// metadata database and the blob store, runs intake, and — as later issues
// land — appends custody entries and enforces roles, here and nowhere else.
//
// On-disk layout (docs/format.md):
//
//	DIR/sori.json          plain: format name and version, archive ID, locator of the first admin
//	DIR/keys/<loc>.user    the user's key pair, age scrypt-encrypted under their passphrase
//	DIR/keys/<loc>.ring    the archive keys granted to that user, age-encrypted to their key
//	DIR/keys/<loc>.vault   the identity vault key, age-encrypted to a protection officer's key
//	DIR/meta.db (-wal …)   metadata, encrypted page by page (adiantum)
//	DIR/blobs/             packs of age-encrypted items (blob/local)
//	DIR/lock, lock.gate    empty; locked with flock(2) (lock.go)
package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sori/internal/custody"
	"sori/internal/durable"
	"sori/internal/evidence"
	"sori/internal/seal"
	"sori/internal/store"
)

// FormatVersion is the archive layout version written to sori.json.
const FormatVersion = 1

const (
	configFile = "sori.json"
	keysDir    = "keys"
	dbFile     = "meta.db"
	blobsDir   = "blobs"
)

// staleTemp is the age after which an unfinished pack file is taken to be
// left over from a killed process.
const staleTemp = 6 * time.Hour

// MinPassphrase is the shortest passphrase accepted for a new user key.
const MinPassphrase = 8

type config struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	ID      string `json:"id"`
	Admin   string `json:"admin"`   // locator of the first admin's key files
	LogKey  string `json:"log_key"` // public key of the custody checkpoints (signed-note verifier)
	// DB and Blobs name where the metadata and the packs live when not in
	// DIR (backends.go): a PostgreSQL URL and an S3 URL, never with a
	// password or a secret key. Absent in an embedded archive.
	DB    string `json:"db,omitempty"`
	Blobs string `json:"blobs,omitempty"`
	Sum   string `json:"sum"` // checksum of the fields above, to tell damage from a wrong passphrase
}

// marshalConfig is the exact form of sori.json; readConfig requires it byte
// for byte, so that no change to the file goes unnoticed.
func marshalConfig(cfg config) []byte {
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return append(b, '\n')
}

// checksum of the other fields: the first 16 bytes of SHA-256, hex.
func (c config) checksum() string {
	c.Sum = ""
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Archive is a session: an archive unlocked by one user, over a Repo that
// any number of sessions share (repo.go).
type Archive struct {
	*repoState
	key  *seal.UserKey
	ring *seal.Keyring
	// me is the acting user as of the unlock. It never changes: a change
	// re-reads the user's role inside its transaction (change.go), and a
	// session whose user's role was changed or taken away since is stale
	// (Repo.stale) and refused.
	me store.User
	// gen is the Repo's generation of me when this session was unlocked.
	gen int
	// guard is the disclosure guard's cache (disclose.go).
	guard guardState
	// comp caches the compartment keys this session opened (compartment.go).
	comp compKeys
	// compSearch holds the in-memory index of the compartments this
	// session reads (compartment_search.go).
	compSearch compSearch
	// ownsRepo: the session was made by Open or Init, and closing it
	// closes the Repo too.
	ownsRepo bool
	closed   sync.Once
}

// Session is one user's unlocked view of a Repo: immutable, and safe for
// concurrent use by many goroutines. Archive is its historical name.
type Session = Archive

// Options tune Init and Open. The zero value is production use.
type Options struct {
	// WorkFactor is the scrypt work factor (log2 N) for new user keys and
	// changed passphrases; 0 means seal.DefaultWorkFactor. Lower values are
	// for tests only.
	WorkFactor int
	// Logger receives operational events (never secrets or content); nil
	// discards them.
	Logger *slog.Logger
	// Now overrides the clock (tests).
	Now func() time.Time
	// StateDir is where sori keeps, outside the archive, the newest
	// checkpoint it has seen of each archive, and refuses an archive that
	// does not extend it (rollback). "" disables the check.
	StateDir string
	// NoPinCheck opens an archive even if it fails the pin check, for
	// verification, which reports the failure itself.
	NoPinCheck bool
	// DB and Blobs, for Init only, put the new archive's metadata in
	// PostgreSQL and its packs in S3 (backends.go); "" keeps them in the
	// archive directory.
	DB, Blobs string
	// Scan opens the embedded store for a process that reads most of the
	// database once (verify): a small page cache per connection.
	Scan bool
	// LockWait bounds the wait for the archive lock (lock.go), in Open and
	// in archive-wide changes; then they fail with ErrBusy. 0 means
	// DefaultLockWait.
	LockWait time.Duration
}

func (o Options) lockWait() time.Duration {
	if o.LockWait > 0 {
		return o.LockWait
	}
	return DefaultLockWait
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o Options) workFactor() int {
	if o.WorkFactor != 0 {
		return o.WorkFactor
	}
	return seal.DefaultWorkFactor
}

func (o Options) clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// Init creates a new archive in dir (which must not exist or be empty) with
// user as its first admin, whose key is sealed under passphrase.
func Init(ctx context.Context, dir, user, passphrase string, opt Options) (*Archive, error) {
	user, err := CheckUserName(user)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(passphrase) < MinPassphrase {
		return nil, fmt.Errorf("%w: passphrase must have at least %d characters", evidence.ErrInvalid, MinPassphrase)
	}
	wf := opt.workFactor()
	if err := checkBackends(opt.DB, opt.Blobs); err != nil {
		return nil, fmt.Errorf("%w: %v", evidence.ErrInvalid, err)
	}
	made, err := prepareEmptyDir(dir)
	if err != nil {
		return nil, err
	}
	lock, err := lockShared(ctx, dir, opt.lockWait())
	if err != nil {
		undoInit(dir, made)
		return nil, err
	}
	lock.openDone()
	a, err := initLocked(ctx, dir, user, passphrase, wf, opt, lock)
	if err != nil {
		lock.release()
		undoInit(dir, made)
		return nil, err
	}
	return a, nil
}

// undoInit removes what a failed Init wrote into dir (key files, the
// database, packs, lock files), and dir itself if Init made it: bad input
// changes nothing. Only the names Init writes are removed.
func undoInit(dir string, made bool) {
	for _, name := range []string{keysDir, blobsDir, dbFile, dbFile + "-wal", dbFile + "-shm", dbFile + "-journal", lockFile, gateFile, configFile} {
		os.RemoveAll(filepath.Join(dir, name))
	}
	if made {
		os.Remove(dir)
	}
}

// initLocked is Init holding the archive lock.
func initLocked(ctx context.Context, dir, user, passphrase string, wf int, opt Options, lock *archiveLock) (*Archive, error) {
	var idb [16]byte
	rand.Read(idb[:])
	cfg := config{Format: "sori-archive", Version: FormatVersion, ID: hex.EncodeToString(idb[:])}
	cfg.Admin = locator(cfg.ID, user)
	skey, vkey, err := custody.NewLogKey(custody.Origin(cfg.ID))
	if err != nil {
		return nil, err
	}
	cfg.LogKey = vkey
	cfg.DB, cfg.Blobs = opt.DB, opt.Blobs
	cfg.Sum = cfg.checksum()

	key, err := seal.NewUserKey()
	if err != nil {
		return nil, err
	}
	ring, err := seal.NewKeyring()
	if err != nil {
		return nil, err
	}
	ring.Log = skey
	ring.Vault = seal.NewVaultKey()
	if err := os.MkdirAll(filepath.Join(dir, keysDir), 0o700); err != nil {
		return nil, err
	}
	if err := writeUserKeys(dir, cfg.Admin, key, ring, passphrase, wf); err != nil {
		return nil, err
	}
	// The blob store first: a bucket that cannot be reached leaves no
	// tables behind in a shared database.
	blobs, err := openBlobs(ctx, dir, cfg)
	if err != nil {
		return nil, err
	}
	db, err := createStore(ctx, dir, cfg, ring.DB)
	if err != nil {
		return nil, err
	}
	r := newRepo(dir, cfg, opt, lock)
	r.workFactor = wf
	r.db, r.dbKey, r.sessions, r.dbOpen, r.blobs = db, ring.DB, 1, true, blobs
	a := &Archive{repoState: r, key: key, ring: ring, ownsRepo: true}
	now := a.now()
	// The first admin also holds protection: someone must be able to open
	// the identity vault, and grant it on.
	a.me = store.User{ID: key.KeyID(), Name: user, Role: RoleAdmin + "," + RoleProtection, Recipient: key.Recipient(), SignPub: key.SigningPublic(), CreatedAt: now}
	a.gen = r.userGen(a.me.ID)
	cp, err := a.initRecords(ctx, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	// sori.json last: its presence marks a finished init.
	if err := writeFileAtomic(filepath.Join(dir, configFile), marshalConfig(cfg)); err != nil {
		db.Close()
		return nil, err
	}
	a.pin(cp)
	a.log.Info("archive created", "format", FormatVersion, "work_factor", wf)
	return a, nil
}

// initRecords writes the first user, the archive ID and the first custody
// entry in one transaction.
func (a *Archive) initRecords(ctx context.Context, now time.Time) (custody.Checkpoint, error) {
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return custody.Checkpoint{}, err
	}
	defer tx.Rollback()
	if err := tx.InsertUser(ctx, a.me); err != nil {
		return custody.Checkpoint{}, err
	}
	if err := tx.SetMeta(ctx, "archive_id", a.cfg.ID); err != nil {
		return custody.Checkpoint{}, err
	}
	if err := a.makeNameNetKey(ctx, tx); err != nil {
		return custody.Checkpoint{}, err
	}
	l, err := a.newLogger(ctx, tx, now)
	if err != nil {
		return custody.Checkpoint{}, err
	}
	if err := l.append(ctx, custody.KindInit, a.cfg.ID, 0, userDigest(a.me), evidence.Digest{}); err != nil {
		return custody.Checkpoint{}, err
	}
	cp, err := l.seal(ctx)
	if err != nil {
		return cp, err
	}
	return cp, tx.Commit()
}

// Open unlocks the archive in dir as user ("" means the first admin) with
// passphrase: a Repo of its own, and one session on it, which closes the
// Repo when it is closed. A wrong passphrase or unknown user gives an error
// wrapping evidence.ErrLocked and changes nothing.
//
// The archive lock is held shared until Close; if an archive-wide change
// holds it, or waits for it, past opt.LockWait, Open fails with ErrBusy.
func Open(ctx context.Context, dir, user, passphrase string, opt Options) (*Archive, error) {
	r, err := OpenRepo(ctx, dir, opt)
	if err != nil {
		return nil, err
	}
	a, err := r.Unlock(ctx, user, passphrase)
	if err != nil {
		r.Close()
		return nil, err
	}
	a.ownsRepo = true
	return a, nil
}

// unlock is Unlock holding the archive lock, with no archive-wide change of
// this process running: it reads the user's key files, opens the store if
// no session has, and checks that the user is a member.
func (r *Repo) unlock(ctx context.Context, user, passphrase string) (*Archive, error) {
	var err error
	dir, cfg := r.dir, r.cfg
	loc := cfg.Admin
	display := "the archive's first admin"
	if user != "" {
		if user, err = CheckUserName(user); err != nil {
			return nil, err
		}
		loc = locator(cfg.ID, user)
		display = fmt.Sprintf("user %q", user)
	}
	sealed, err := os.ReadFile(filepath.Join(dir, keysDir, loc+".user"))
	if errors.Is(err, os.ErrNotExist) {
		if listedKeyFile(dir, loc+".user") {
			return nil, fmt.Errorf("%w: the key file of %s (%s/%s.user) is missing though %s/%s lists it", evidence.ErrDamaged, display, keysDir, loc, keysDir, keySums)
		}
		if user == "" {
			return nil, fmt.Errorf("%w: the archive's first admin has no key files here (removed?); name a user with --user or SORI_USER", evidence.ErrLocked)
		}
		return nil, fmt.Errorf("%w: no %s in this archive", evidence.ErrLocked, display)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	if err := checkKeyFile(dir, loc+".user", sealed); err != nil {
		return nil, err
	}
	key, err := seal.OpenUserKey(sealed, passphrase)
	if errors.Is(err, seal.ErrWrongPassphrase) {
		if user == "" {
			return nil, fmt.Errorf("%w: wrong passphrase for %s (to act as another user, name them with --user NAME or SORI_USER)", evidence.ErrLocked, display)
		}
		return nil, fmt.Errorf("%w: wrong passphrase for %s", evidence.ErrLocked, display)
	}
	if err != nil {
		return nil, err
	}
	return r.unlockKey(ctx, key, loc, display)
}

// unlockKey is the rest of an unlock once the user key is open (by a
// passphrase, or by an API token: tokens.go): the keyring and vault key
// files under locator loc, the store, the membership checks.
func (r *Repo) unlockKey(ctx context.Context, key *seal.UserKey, loc, display string) (*Archive, error) {
	dir := r.dir
	sealedRing, err := os.ReadFile(filepath.Join(dir, keysDir, loc+".ring"))
	if err != nil {
		return nil, fmt.Errorf("%w: keyring of %s: %v", evidence.ErrDamaged, display, err)
	}
	if err := checkKeyFile(dir, loc+".ring", sealedRing); err != nil {
		return nil, err
	}
	ring, err := seal.OpenKeyring(sealedRing, key)
	if err != nil {
		return nil, err
	}
	if err := loadVaultKey(dir, loc, key, ring); err != nil {
		return nil, err
	}
	opened, err := r.acquireRing(ctx, ring, display) // rotate.go
	if err != nil {
		return nil, err
	}
	a := &Archive{repoState: r.repoState, key: key, ring: ring}
	if err := a.unlockChecks(ctx, display, opened); err != nil {
		r.releaseSession()
		return nil, err
	}
	return a, nil
}

// unlockChecks finish an unlock with the store open: the user is a member
// holding the current keys, and (for the session that opened the store) the
// archive extends the checkpoint this machine pinned.
func (a *Archive) unlockChecks(ctx context.Context, display string, opened bool) error {
	db := a.db
	me, err := db.UserByID(ctx, a.key.KeyID())
	if err != nil {
		if errors.Is(err, evidence.ErrNotFound) {
			return fmt.Errorf("%w: %s is not a member of this archive", evidence.ErrLocked, display)
		}
		return err
	}
	a.me = me
	a.gen = a.userGen(me.ID)
	if err := a.checkMember(ctx, display); err != nil {
		return err
	}
	if err := a.useCurrentLog(display); err != nil {
		return err
	}
	if !opened {
		return nil
	}
	if err := a.checkPin(ctx); err != nil {
		if !a.noPinCheck {
			return err
		}
		// The pin disagrees with this archive: leave it exactly as found,
		// as evidence, for whoever examines the disagreement.
		a.pinMu.Lock()
		a.pinFrozen = true
		a.pinMu.Unlock()
	}
	if cp, err := a.Checkpoint(ctx); err == nil {
		if size, err := db.TreeSize(ctx); err == nil && size == cp.Size {
			if err := custody.Consistent(cp, size, db.HashReader(ctx)); err == nil {
				a.pin(cp)
			}
		}
	}
	// Packs a killed process was writing are ciphertext nobody references.
	if c, ok := a.blobs.(tempCleaner); ok {
		if n, err := c.CleanTemp(staleTemp); err != nil {
			a.log.Warn("cleaning stale pack files", "err", err)
		} else if n > 0 {
			a.log.Debug("removed stale pack files", "count", n)
		}
	}
	return nil
}

// Close ends the session: its keys are dropped with it, and the last
// session of a Repo closes the Repo's store. A session made by Open or Init
// closes its Repo (and the archive lock) too. The disclosure guard is loaded
// first, if it was not, so that DiscloseError still works on an error the
// session ends with. Close is idempotent.
func (a *Archive) Close() error {
	var err error
	a.closed.Do(func() {
		if !a.sees() {
			a.guard.mu.Lock()
			loaded := a.guard.d != nil
			a.guard.mu.Unlock()
			if !loaded {
				_, _ = a.disclosure(context.Background())
			}
		}
		err = a.releaseSession()
		if a.ownsRepo {
			if cerr := a.repoState.close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

// User is the acting user.
func (a *Archive) User() store.User { return a.me }

// IsArchive reports whether dir holds a finished archive.
func IsArchive(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, configFile))
	return err == nil
}

func readConfig(dir string) (config, error) {
	var cfg config
	b, err := os.ReadFile(filepath.Join(dir, configFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return cfg, fmt.Errorf("%w: no archive at %s", evidence.ErrNotFound, dir)
		}
		return cfg, fmt.Errorf("%w: %s is not a sori archive (no %s; was init interrupted?)", evidence.ErrNotFound, dir, configFile)
	}
	if err != nil {
		return cfg, fmt.Errorf("%w: %v", evidence.ErrDamaged, err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Format != "sori-archive" {
		return cfg, fmt.Errorf("%w: %s is not a sori archive configuration", evidence.ErrDamaged, configFile)
	}
	if cfg.Version != FormatVersion {
		return cfg, fmt.Errorf("%w: archive format version %d (this sori reads %d)", evidence.ErrDamaged, cfg.Version, FormatVersion)
	}
	if err := checkBackends(cfg.DB, cfg.Blobs); err != nil {
		return cfg, fmt.Errorf("%w: %s: %v", evidence.ErrDamaged, configFile, err)
	}
	if len(cfg.ID) != 32 || len(cfg.Admin) != 32 || cfg.LogKey == "" {
		return cfg, fmt.Errorf("%w: %s: bad archive ID, admin locator or log key", evidence.ErrDamaged, configFile)
	}
	if cfg.Sum != cfg.checksum() || !bytes.Equal(b, marshalConfig(cfg)) {
		return cfg, fmt.Errorf("%w: %s does not match its checksum: the file was altered or damaged", evidence.ErrDamaged, configFile)
	}
	return cfg, nil
}

// locator names a user's key files. It is a hash of the archive ID and the
// user name, so a directory listing shows no names (someone who guesses a
// name can confirm it; user names are handles, not witness data).
func locator(archiveID, user string) string {
	h := sha256.Sum256([]byte("sori user locator v1\x00" + archiveID + "\x00" + user))
	return hex.EncodeToString(h[:16])
}

// CheckUserName validates and normalizes (NFC) a user name.
func CheckUserName(s string) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	if s == "" {
		return "", fmt.Errorf("%w: empty user name", evidence.ErrInvalid)
	}
	if len(s) > 64 || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '/' }) >= 0 {
		return "", fmt.Errorf("%w: user name %q: up to 64 printable characters", evidence.ErrInvalid, s)
	}
	return s, nil
}

func writeUserKeys(dir, loc string, key *seal.UserKey, ring *seal.Keyring, passphrase string, wf int) error {
	sealedKey, err := key.Seal(passphrase, wf)
	if err != nil {
		return err
	}
	if ring.HasVault() {
		sealedVault, err := ring.SealVaultKey(key.Recipient())
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, keysDir, loc+vaultFile), sealedVault); err != nil {
			return err
		}
	}
	sealedRing, err := ring.SealTo(key.Recipient())
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, keysDir, loc+".ring"), sealedRing); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, keysDir, loc+".user"), sealedKey); err != nil {
		return err
	}
	return writeKeySums(dir)
}

// keys/SUMS lists the SHA-256 of every key file (sha256sum format), so that
// a damaged key file is reported as damage, not as a wrong passphrase.
const keySums = "SUMS"

func writeKeySums(dir string) error {
	des, err := os.ReadDir(filepath.Join(dir, keysDir))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, de := range des {
		name := de.Name()
		if name == keySums || strings.HasPrefix(name, ".") || !de.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, keysDir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), name)
	}
	return writeFileAtomic(filepath.Join(dir, keysDir, keySums), []byte(b.String()))
}

// listedKeyFile reports whether keys/SUMS lists name.
func listedKeyFile(dir, name string) bool {
	sums, err := os.ReadFile(filepath.Join(dir, keysDir, keySums))
	return err == nil && strings.Contains(string(sums), "  "+name+"\n")
}

// checkKeyFile compares a key file's bytes with keys/SUMS.
func checkKeyFile(dir, name string, data []byte) error {
	sums, err := os.ReadFile(filepath.Join(dir, keysDir, keySums))
	if err != nil {
		return fmt.Errorf("%w: %s/%s: %v", evidence.ErrDamaged, keysDir, keySums, err)
	}
	want := fmt.Sprintf("%x  %s", sha256.Sum256(data), name)
	for _, line := range strings.Split(string(sums), "\n") {
		if line == want {
			return nil
		}
	}
	return fmt.Errorf("%w: key file %s/%s does not match %s/%s: it was altered or damaged", evidence.ErrDamaged, keysDir, name, keysDir, keySums)
}

// prepareEmptyDir makes dir unless it exists empty; made reports that it
// was made.
func prepareEmptyDir(dir string) (made bool, err error) {
	if dir == "" {
		return false, fmt.Errorf("%w: no archive directory given (--archive or SORI_ARCHIVE)", evidence.ErrInvalid)
	}
	exists, err := durable.CheckNewOrEmpty(dir, "archive")
	if err != nil || exists {
		return false, err
	}
	return true, os.MkdirAll(dir, 0o700)
}

func writeFileAtomic(path string, data []byte) error { return durable.WriteFile(path, data, 0o600) }

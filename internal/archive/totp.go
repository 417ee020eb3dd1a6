package archive

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// A second factor at web login (docs/roles.md "Second factor"): an admin
// requires it of a user, and sori makes that user's TOTP secret (RFC 6238,
// shown once as an otpauth URI). The secret is kept in the encrypted
// database (meta "totp", whose value the PostgreSQL driver seals as every
// content field), never in a file of its own. The web server checks the
// code after the passphrase has unlocked the session (internal/web), so
// the secret is read with the user's own keys.

const (
	metaTOTP = "totp"
	// TOTPSecretSize is the secret's length: 20 bytes, HMAC-SHA1's block
	// of output, as RFC 4226 recommends.
	TOTPSecretSize = 20
)

type totpTable struct {
	V     int               `json:"v"`
	Users map[string][]byte `json:"users"` // user key ID → secret
}

func readTOTP(ctx context.Context, meta func(context.Context, string) (string, error)) (totpTable, error) {
	t := totpTable{V: 1, Users: map[string][]byte{}}
	v, err := meta(ctx, metaTOTP)
	if err != nil || v == "" {
		return t, err
	}
	if err := json.Unmarshal([]byte(v), &t); err != nil || t.V != 1 {
		return t, fmt.Errorf("%w: the second-factor table is not readable", evidence.ErrDamaged)
	}
	if t.Users == nil {
		t.Users = map[string][]byte{}
	}
	return t, nil
}

// SetTOTP requires (enable) or no longer requires a second factor of user
// name at web login. Enabling makes a fresh secret and returns it: the
// archive keeps it, and the caller shows it once (as an otpauth URI); a
// user who had one gets a new one. Both are a "totp" custody entry
// committing to the user and the setting (not the secret). Admins only
// (user-role); a removed or unknown user gives evidence.ErrNotFound.
func (a *Archive) SetTOTP(ctx context.Context, name string, enable bool) ([]byte, error) {
	if err := a.allow(OpUserRole); err != nil {
		return nil, err
	}
	name, err := CheckUserName(name)
	if err != nil {
		return nil, err
	}
	var secret []byte
	if enable {
		secret = make([]byte, TOTPSecretSize)
		rand.Read(secret)
	}
	_, err = a.change(ctx, OpUserRole, func(tx store.Tx, l *logger) error {
		users, err := tx.Users(ctx)
		if err != nil {
			return err
		}
		var u store.User
		for _, x := range users {
			if x.Name == name && x.Role != roleRemoved {
				u = x
			}
		}
		if u.ID == "" {
			return fmt.Errorf("%w: no user %q in this archive", evidence.ErrNotFound, name)
		}
		t, err := readTOTP(ctx, tx.Meta)
		if err != nil {
			return err
		}
		_, had := t.Users[u.ID]
		if !enable && !had {
			return fmt.Errorf("%w: user %q has no second factor to turn off", evidence.ErrInvalid, name)
		}
		if enable {
			t.Users[u.ID] = secret
		} else {
			delete(t.Users, u.ID)
		}
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, metaTOTP, string(b)); err != nil {
			return err
		}
		setting := "off"
		if enable {
			setting = "on"
		}
		d := evidence.Digest(sha256.Sum256([]byte("sori totp v1\x00" + u.ID + "\x00" + setting)))
		return l.append(ctx, custody.KindTOTP, u.ID, 0, d, evidence.Digest{})
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("second factor changed", "on", enable)
	return secret, nil
}

// TOTP returns the acting user's second-factor secret, and whether one is
// required of them at web login.
func (a *Archive) TOTP(ctx context.Context) ([]byte, bool, error) {
	if err := a.allow(OpPasswd); err != nil {
		return nil, false, err
	}
	t, err := readTOTP(ctx, a.db.Meta)
	if err != nil {
		return nil, false, err
	}
	s, ok := t.Users[a.me.ID]
	return s, ok, nil
}

// metaTOTPUsed + user key ID is the last TOTP time step a login of that
// user used: a decimal number.
const metaTOTPUsed = "totp_used/"

// ClaimTOTPStep records that a login of the acting user used the TOTP
// time step step (the web server checked the code against the secret),
// and reports whether it may: false when this step, or a later one, was
// used before — by any server on this archive, since the step is kept in
// the archive, not in a process. The check and the write are one
// transaction, under the archive's writer lock (TreeSize) on a shared
// database, so that two servers given one code at once accept it once.
// It is not evidence: no custody entry.
func (a *Archive) ClaimTOTPStep(ctx context.Context, step int64) (bool, error) {
	if err := a.allow(OpPasswd); err != nil {
		return false, err
	}
	if step < 0 {
		return false, fmt.Errorf("%w: TOTP step %d", evidence.ErrInvalid, step)
	}
	tx, err := a.db.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.TreeSize(ctx); err != nil {
		return false, err
	}
	if _, err := a.roleIn(ctx, tx); err != nil {
		return false, err
	}
	key := metaTOTPUsed + a.me.ID
	v, err := tx.Meta(ctx, key)
	if err != nil {
		return false, err
	}
	if v != "" {
		last, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false, fmt.Errorf("%w: the last second-factor step is not readable", evidence.ErrDamaged)
		}
		if step <= last {
			return false, nil
		}
	}
	if err := tx.SetMeta(ctx, key, strconv.FormatInt(step, 10)); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/store"
)

// Users and their keys (docs/format.md "Keys", "Custody log"; docs/roles.md):
// every user row must be what the log's init, grant and revoke entries
// committed to, grants and revocations must be signed by an admin, nobody
// signs after their removal, items are stored under the content key
// generation of their time, and the key files match keys/SUMS.

const roleRemoved = "removed"

// publicUserDigest recomputes the digest a grant, revoke or init entry
// commits to: SHA-256 of {"id","role","recipient","sign_pub"}.
func publicUserDigest(u store.User, role string) evidence.Digest {
	b, _ := json.Marshal(struct {
		ID        string `json:"id"`
		Role      string `json:"role"`
		Recipient string `json:"recipient"`
		SignPub   []byte `json:"sign_pub"`
	}{u.ID, role, u.Recipient, u.SignPub})
	return sha256.Sum256(b)
}

// roleSets are the role values a user row can hold: every non-empty set of
// roles in matrix order, and "removed".
func roleSets() []string {
	rs := archive.Roles()
	out := []string{roleRemoved}
	for mask := 1; mask < 1<<len(rs); mask++ {
		var set []string
		for i, r := range rs {
			if mask&(1<<i) != 0 {
				set = append(set, r)
			}
		}
		out = append(out, strings.Join(set, ","))
	}
	return out
}

// roleSubset reports whether every role of a (comma-separated) is in b.
func roleSubset(a, b string) bool {
	have := strings.Split(b, ",")
	for _, r := range strings.Split(a, ",") {
		if !slices.Contains(have, r) {
			return false
		}
	}
	return true
}

// committedRole finds the role whose public record of u has digest d.
func committedRole(u store.User, d evidence.Digest) (string, bool) {
	for _, r := range roleSets() {
		if publicUserDigest(u, r) == d {
			return r, true
		}
	}
	return "", false
}

// userReplay follows the log's user entries in order.
type userReplay struct {
	granted map[string]string // key ID → role the log gave them ("removed" once revoked)
	revokes int               // content key generation = 1 + revokes
}

// replayUsers is called for every entry, in log order.
func (v *verifier) replayUsers(e custody.Entry) {
	obj := fmt.Sprintf("entry %d", e.Seq)
	if e.Kind == custody.KindInit {
		if e.Seq != 0 {
			v.r.add(KindEntry, obj, hintTamper, "an init entry that is not the first")
			return
		}
		u, ok := v.userRows[e.Actor]
		if !ok {
			return // the signature check reports the unknown key
		}
		role, ok := committedRole(u, e.Digest)
		if !ok || role == roleRemoved {
			v.r.add(KindUser, u.ID, hintTamper, "the first admin's record differs from the one the init entry commits to")
			role = u.Role
		}
		v.replay.granted[e.Actor] = role
		return
	}
	role, known := v.replay.granted[e.Actor]
	switch {
	case !known:
		if _, ok := v.userRows[e.Actor]; ok {
			v.r.add(KindUser, obj, hintTamper, "signed by user %s before any grant to them", e.Actor)
		}
		return
	case role == roleRemoved:
		v.r.add(KindUser, obj, hintTamper, "signed by user %s after their removal", e.Actor)
		return
	}
	// Grants and revocations have their own, more precise check below.
	if e.Kind != custody.KindGrant && e.Kind != custody.KindRevoke && !archive.EntryPermitted(role, e.Kind, v.recordKind(e)) {
		v.r.add(KindUser, obj, hintTamper, "a %s entry signed by %s, whose role %q at the time may not make one", e.Kind, e.Actor, role)
	}
	switch e.Kind {
	case custody.KindGrant:
		if !archive.Permits(role, archive.OpUserAdd) {
			v.r.add(KindUser, obj, hintTamper, "a grant signed by %s, who is not an admin", e.Actor)
		}
		u, ok := v.userRows[e.Object]
		if !ok {
			v.r.add(KindMissing, e.Object, hintTamper, "custody entry %d grants a user who is not in the archive", e.Seq)
			return
		}
		got, ok := committedRole(u, e.Digest)
		if !ok || got == roleRemoved {
			v.r.add(KindEntry, obj, hintTamper, "the grant's digest does not match user %s's public record", e.Object)
			got = u.Role
		}
		// A second grant to a member gives them a role (sori user role
		// --add): it must keep every role they held.
		if prev, dup := v.replay.granted[e.Object]; dup && (prev == roleRemoved || !roleSubset(prev, got)) {
			v.r.add(KindEntry, obj, hintTamper, "grants user %s a second time", e.Object)
		}
		v.replay.granted[e.Object] = got
	case custody.KindRevoke:
		if !archive.Permits(role, archive.OpUserRemove) {
			v.r.add(KindUser, obj, hintTamper, "a revocation signed by %s, who is not an admin", e.Actor)
		}
		u, ok := v.userRows[e.Object]
		prev, had := v.replay.granted[e.Object]
		if !ok || !had || prev == roleRemoved {
			v.r.add(KindEntry, obj, hintTamper, "revokes user %s, who holds no grant", e.Object)
			v.replay.granted[e.Object] = roleRemoved
			v.replay.revokes++
			return
		}
		// A revocation that leaves the user some of their roles takes one
		// away (sori user role --rm); only a removal starts a content key
		// generation.
		if got, isRole := committedRole(u, e.Digest); isRole && got != roleRemoved && roleSubset(got, prev) && got != prev {
			v.replay.granted[e.Object] = got
			return
		}
		if publicUserDigest(u, roleRemoved) != e.Digest {
			v.r.add(KindEntry, obj, hintTamper, "the revocation's digest does not match user %s's public record", e.Object)
		}
		v.replay.granted[e.Object] = roleRemoved
		v.replay.revokes++
	case custody.KindIntake:
		id, err := evidence.ParseID(e.Object)
		if err != nil {
			return // checkEntryRecord reports it
		}
		if i, ok := v.items.find(id); ok && int(v.items.items[i].keyGen) != 1+v.replay.revokes {
			it := v.items.items[i]
			v.r.add(KindContent, id.String(), "users removed before this item was stored may be able to decrypt it",
				"stored under content key generation %d; after %d user removals it should be %d", it.keyGen, v.replay.revokes, 1+v.replay.revokes)
		}
	}
}

// recordKind is the kind of the record a record entry is about ("" for
// other entries, or a record not in the archive, which checkEntryRecord
// reports).
func (v *verifier) recordKind(e custody.Entry) string {
	if e.Kind != custody.KindRecord {
		return ""
	}
	id, err := evidence.ParseID(e.Object)
	if err != nil || v.records[id] == nil {
		return ""
	}
	return v.records[id].kind
}

// checkUserRows compares every user row with what the log granted.
func (v *verifier) checkUserRows() {
	for id, u := range v.userRows {
		role, ok := v.replay.granted[id]
		switch {
		case !ok:
			v.r.add(KindUser, id, hintTamper, "user has no grant in the custody log")
		case role != u.Role:
			v.r.add(KindUser, id, hintTamper, "user row holds role %q but the custody log gives %q", u.Role, role)
		}
	}
}

// locator recomputes the name of a user's key files (docs/format.md).
func locator(archiveID, name string) string {
	h := sha256.Sum256([]byte("sori user locator v1\x00" + archiveID + "\x00" + name))
	return hex.EncodeToString(h[:16])
}

// checkKeyFiles compares keys/ with keys/SUMS and the users: every listed
// file exists and matches, every member has a key pair and a keyring.
func (v *verifier) checkKeyFiles(files map[string][]byte) {
	sums, ok := files["SUMS"]
	if !ok {
		v.r.add(KindMissing, "keys/SUMS", hintTamper, "the list of key file checksums is missing")
		return
	}
	delete(files, "SUMS")
	listed := map[string][]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || name == "" {
			v.r.add(KindUser, "keys/SUMS", hintTamper, "line %d is not SHA256<space><space>NAME", i+1)
			continue
		}
		listed[name] = append(listed[name], sum)
	}
	for name := range listed {
		if _, ok := files[name]; !ok {
			v.r.add(KindMissing, "keys/"+name, hintTamper, "listed in keys/SUMS but missing")
		}
	}
	byLoc := map[string]store.User{}
	for _, u := range v.userRows {
		byLoc[locator(v.a.ID(), u.Name)] = u
	}
	for name, data := range files {
		loc, ext, _ := strings.Cut(name, ".")
		u, isUser := byLoc[loc]
		sum := fmt.Sprintf("%x", sha256.Sum256(data))
		matches := false
		for _, s := range listed[name] {
			matches = matches || s == sum
		}
		switch {
		case ext == "token" && !matches:
			// An API token's copy of its user's key (docs/format.md "API
			// tokens"): listed like every key file; whether it may still
			// be used is its row's to say, not the file's.
			v.r.add(KindUser, "keys/"+name, hintTamper, "API token key file does not match keys/SUMS")
		case ext == "token":
		case ext != "user" && ext != "ring" && ext != "vault":
			v.r.Notes = append(v.r.Notes, fmt.Sprintf("keys/%s is not a key file sori writes", name))
		case !isUser:
			v.r.Notes = append(v.r.Notes, fmt.Sprintf("keys/%s belongs to no user (left by an interrupted user add; harmless)", name))
		case u.Role == roleRemoved:
			v.r.Notes = append(v.r.Notes, fmt.Sprintf("keys/%s belongs to a removed user (left by an interrupted removal); it opens nothing and may be deleted", name))
		case !matches:
			v.r.add(KindUser, "keys/"+name, hintTamper, "key file does not match keys/SUMS")
		case ext == "vault" && !archive.Permits(u.Role, archive.OpVaultOpen):
			v.r.add(KindUser, "keys/"+name, "someone who is not a protection officer may hold the identity vault key",
				"the identity vault key is sealed to user %s, whose role %q is not protection", u.ID, u.Role)
		}
	}
	for loc, u := range byLoc {
		if u.Role == roleRemoved {
			continue
		}
		for _, ext := range []string{".user", ".ring"} {
			if _, ok := files[loc+ext]; !ok && len(listed[loc+ext]) == 0 {
				v.r.add(KindMissing, "keys/"+loc+ext, "the user cannot open the archive", "a member's key file is missing")
			}
		}
		if _, ok := files[loc+".vault"]; !ok && len(listed[loc+".vault"]) == 0 && archive.Permits(u.Role, archive.OpVaultOpen) {
			v.r.Notes = append(v.r.Notes, fmt.Sprintf("user %s is a protection officer without the identity vault key (keys/%s.vault): they cannot open the vault", u.ID, loc))
		}
	}
}

package verify

import (
	"context"
	"fmt"

	"sori/internal/archive"
	"sori/internal/custody"
	"sori/internal/store"
)

// The identity vault (docs/format.md "Identity vault"): every vault row was
// entered by a signed "witness" entry committing to its ID and pseudonym,
// a withdrawn row has its "withdraw" tombstone and an active one none,
// openings ("vault-open") name entries that existed then, and all three
// kinds are signed by protection officers. Verification never sees the
// sealed parts.

type vaultState struct {
	added, withdrawn bool
	pseudonymDigest  [32]byte
}

func (v *verifier) loadVault(ctx context.Context) error {
	rows, err := v.in.Vault(ctx)
	if err != nil {
		return err
	}
	v.vaultRows = map[string]store.VaultRow{}
	for _, r := range rows {
		v.vaultRows[r.ID] = r
	}
	v.vault = map[string]*vaultState{}
	v.vaultNames, err = v.in.VaultNameCounts(ctx)
	return err
}

// replayVault is called for every entry, in log order, with the role the
// log gave its signer ("" if none).
func (v *verifier) replayVault(e custody.Entry, role string) {
	var op archive.Op
	switch e.Kind {
	case custody.KindWitness, custody.KindWithdraw:
		op = archive.OpVaultWrite
	case custody.KindVaultOpen:
		op = archive.OpVaultOpen
	default:
		return
	}
	obj := fmt.Sprintf("entry %d", e.Seq)
	if role != "" && role != roleRemoved && !archive.Permits(role, op) {
		v.r.add(KindUser, obj, hintTamper, "a %s entry signed by %s, who is not a protection officer", e.Kind, e.Actor)
	}
	st := v.vault[e.Object]
	if e.Kind == custody.KindWitness {
		if st != nil {
			v.r.add(KindEntry, obj, hintTamper, "enters vault entry %s a second time", e.Object)
			return
		}
		v.vault[e.Object] = &vaultState{added: true, pseudonymDigest: e.Digest}
		return
	}
	switch {
	case st == nil:
		v.r.add(KindEntry, obj, hintTamper, "a %s entry about vault entry %s, which was never entered", e.Kind, e.Object)
	case st.withdrawn:
		v.r.add(KindEntry, obj, hintTamper, "a %s entry about vault entry %s after its withdrawal", e.Kind, e.Object)
	case st.pseudonymDigest != e.Digest:
		v.r.add(KindEntry, obj, hintTamper, "a %s entry about vault entry %s commits to another pseudonym", e.Kind, e.Object)
	case e.Kind == custody.KindWithdraw:
		st.withdrawn = true
	}
}

// checkVaultRows compares the vault's rows with the replayed log.
func (v *verifier) checkVaultRows() {
	for id, r := range v.vaultRows {
		st := v.vault[id]
		switch {
		case st == nil:
			v.r.add(KindMissing, "vault "+r.Pseudonym, hintTamper, "vault entry %s has no witness entry in the custody log", id)
		case st.pseudonymDigest != archive.VaultDigest(id, r.Pseudonym):
			v.r.add(KindEntry, "vault "+r.Pseudonym, hintTamper, "vault entry %s: the custody log committed to another pseudonym", id)
		case st.withdrawn != r.Withdrawn:
			if r.Withdrawn {
				v.r.add(KindMissing, "vault "+r.Pseudonym, hintTamper, "withdrawn, but the custody log holds no withdraw entry for %s", id)
			} else {
				v.r.add(KindEntry, "vault "+r.Pseudonym, hintTamper, "the custody log withdrew entry %s, but its row is active again", id)
			}
		}
	}
	// The safety net's name hashes belong to a vault entry, active or
	// withdrawn (a withdrawal keeps them: the name stays masked).
	for id, n := range v.vaultNames {
		if _, ok := v.vaultRows[id]; !ok {
			v.r.add(KindEntry, "vault entry "+id, hintTamper, "%d name hashes belong to no vault entry", n)
		}
	}
	for id := range v.vault {
		if _, ok := v.vaultRows[id]; !ok {
			v.r.add(KindMissing, "vault entry "+id, hintTamper, "the custody log entered vault entry %s, but its row is gone (a withdrawal keeps a tombstone row)", id)
		}
	}
}

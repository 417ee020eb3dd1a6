package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sori/internal/bundle"
	"sori/internal/custody"
)

// KindCosignature: the bundle's cosigned checkpoint is not one of its log
// that its checkpoint extends, or it lacks a valid cosignature of a
// witness whose key the holder gave.
const KindCosignature = "cosignature"

const hintCosignature = "the cosigned checkpoint was altered, is of another log, or that witness never cosigned this log's history; the rest of the bundle may still be sound: ask the archive for a fresh export, and the witness for its key"

// checkCosigned checks the optional cosignature tag files (bundle spec
// step 12): the cosigned checkpoint is signed by the log, the bundle's
// checkpoint extends it, and each witness key in BundleOptions.WitnessKeys
// has a cosignature/v1 line on it that verifies. Lines of witnesses whose
// key was not given are only listed in a note: anyone can add a line
// under any name.
func (b *bagChecker) checkCosigned() {
	names := []string{bundle.CosignedCheckpointFile, bundle.CosignedProofFile}
	var data [2][]byte
	present := 0
	for i, n := range names {
		d, err := os.ReadFile(filepath.Join(b.root, n))
		switch {
		case err == nil:
			data[i] = d
			present++
		case !errors.Is(err, fs.ErrNotExist):
			b.add(KindBag, n, "cannot be read: %v", err)
			return
		}
	}
	fail := func(object, format string, a ...any) { b.r.add(KindCosignature, object, hintCosignature, format, a...) }
	if present == 0 {
		if len(b.opt.WitnessKeys) > 0 {
			b.r.add(KindMissing, names[0], "ask the archive for an export made after 'sori checkpoint --cosign' with that witness",
				"the bundle carries no cosigned checkpoint, and you asked for the cosignature of %s", witnessNames(b.opt.WitnessKeys))
		}
		return
	}
	if present != len(names) {
		fail(names[0], "a cosigned checkpoint needs %s and %s; only one is present", names[0], names[1])
		return
	}
	if !b.cpOK {
		return
	}
	cosigned, opened := b.carriedCheckpoint(data[0], data[1], names[0], names[1], fail)
	if !opened {
		return
	}
	if len(b.opt.WitnessKeys) == 0 {
		b.r.Cosigned = fmt.Sprintf("%d %s unverified", cosigned.Size, strings.Join(b.lineNames(data[0]), ","))
		b.r.Notes = append(b.r.Notes, fmt.Sprintf("the bundle carries a checkpoint of %d entries with cosignature lines under the name(s) %s, not checked: give each witness's verifier key (--witness-key) to check them", cosigned.Size, strings.Join(b.lineNames(data[0]), ", ")))
		return
	}
	var ok []string
	for _, k := range b.opt.WitnessKeys {
		wk, err := custody.ParseWitnessKey(k)
		if err == nil {
			_, err = custody.CheckCosignature(data[0], data[0], wk)
		}
		if err != nil {
			fail(names[0], "witness %s: %v", custody.VerifierName(k), err)
			continue
		}
		ok = append(ok, wk.Name)
	}
	if len(ok) == len(b.opt.WitnessKeys) {
		b.r.Cosigned = fmt.Sprintf("%d %s verified", cosigned.Size, strings.Join(ok, ","))
	}
}

// lineNames lists the key names of a note's signature lines other than the
// log's own.
func (b *bagChecker) lineNames(note []byte) []string {
	s := string(note)
	sigs := s[strings.LastIndex(s, "\n\n")+2:] // canonicalNote found the blank line
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		f := strings.Fields(strings.TrimPrefix(l, "— "))
		if len(f) == 2 && f[0] != b.origin {
			out = append(out, f[0])
		}
	}
	if len(out) == 0 {
		out = []string{"(none)"}
	}
	return out
}

func witnessNames(keys []string) string {
	var n []string
	for _, k := range keys {
		n = append(n, custody.VerifierName(k))
	}
	return strings.Join(n, ", ")
}

// carriedCheckpoint opens a checkpoint the bundle carries beside its own
// (note, in the file noteName) and checks the consistency proof (in
// proofName) from it to the bundle's checkpoint; what fails is reported
// through fail, naming the file.
func (b *bagChecker) carriedCheckpoint(note, proof []byte, noteName, proofName string, fail func(object, format string, a ...any)) (custody.Checkpoint, bool) {
	if err := canonicalNote(note); err != nil {
		fail(noteName, "%v", err)
		return custody.Checkpoint{}, false
	}
	cp, err := b.chain.OpenCheckpoint(note) // under the key in force at its size
	if err != nil {
		fail(noteName, "%v", err)
		return custody.Checkpoint{}, false
	}
	p, err := custody.ParseConsistency(proof)
	if err == nil {
		err = p.Check(cp, b.cp)
	}
	if err != nil {
		fail(proofName, "%v", err)
		return custody.Checkpoint{}, false
	}
	return cp, true
}

package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"sori/internal/bundle"
	"sori/internal/custody"
	"sori/internal/tsa"
)

// KindTimestamp: the bundle's RFC 3161 time stamp does not stamp a
// checkpoint of its log that its checkpoint extends, or its signature does
// not verify against the TSA certificate given.
const KindTimestamp = "timestamp"

const hintTimestamp = "the time stamp was altered, or is of another log or TSA; the rest of the bundle may still be sound: ask the archive for a fresh export and check with the TSA's certificate"

// checkTimestamp checks the optional time-stamp tag files (bundle spec step
// 11): the stamped checkpoint is signed by the log, the token's imprint is
// SHA-256 of its note text, the bundle's checkpoint extends it, and, with
// BundleOptions.TSACert, the TSA's signature.
func (b *bagChecker) checkTimestamp() {
	names := []string{bundle.TimestampCheckpointFile, bundle.TimestampTokenFile, bundle.TimestampProofFile}
	var data [3][]byte
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
	if present == 0 {
		return
	}
	if present != len(names) {
		b.r.add(KindTimestamp, bundle.TimestampTokenFile, hintTimestamp, "a time stamp needs %s, %s and %s; %d of them are present", names[0], names[1], names[2], present)
		return
	}
	if !b.cpOK {
		return
	}
	fail := func(object, format string, a ...any) { b.r.add(KindTimestamp, object, hintTimestamp, format, a...) }
	stamped, ok := b.carriedCheckpoint(data[0], data[2], names[0], names[2], fail)
	if !ok {
		return
	}
	tok, err := tsa.ParseToken(data[1])
	if err != nil {
		fail(names[1], "%v", err)
		return
	}
	text, err := custody.NoteText(data[0])
	if err == nil {
		err = tok.Check(tsa.Digest(text), nil)
	}
	if err != nil {
		fail(names[1], "%v", err)
		return
	}
	when := tok.Info.GenTime.Format(time.RFC3339Nano)
	if b.opt.TSACert == nil {
		b.r.Timestamp = fmt.Sprintf("%d %s unverified", stamped.Size, when)
		b.r.Notes = append(b.r.Notes, fmt.Sprintf("the bundle carries an RFC 3161 time stamp of its log at %d entries, genTime %s, whose TSA signature was not checked: give the TSA's certificate (--tsa-cert) to check it", stamped.Size, when))
		return
	}
	if err := tok.Verify(b.opt.TSACert); err != nil {
		fail(names[1], "%v", err)
		return
	}
	b.r.Timestamp = fmt.Sprintf("%d %s verified", stamped.Size, when)
}

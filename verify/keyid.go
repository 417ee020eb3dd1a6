package verify

import (
	"crypto/sha256"
	"encoding/hex"
)

// archiveKeyID recomputes a user key ID from the user's public recipient
// (docs/format.md "Keys").
func archiveKeyID(recipient string) string {
	h := sha256.Sum256([]byte(recipient))
	return hex.EncodeToString(h[:16])
}

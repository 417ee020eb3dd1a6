package seal

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"sori/internal/evidence"
)

// Outside recipients of an export are the kinds stock age accepts with
// -r: X25519 ("age1…") and SSH public keys ("ssh-ed25519 …", "ssh-rsa …",
// as in an authorized_keys line). They are parsed by age's own parsers.

// CanonicalRecipients parses recipients and returns them in canonical
// form, sorted and without duplicates: an X25519 recipient as age prints
// it, an SSH key as "TYPE BASE64" without its comment (a comment such as
// "kim@laptop" names a person and must not travel in a bundle). It fails
// with evidence.ErrInvalid on the first one that is not an X25519 or
// ssh-ed25519/ssh-rsa recipient, and on an empty list.
func CanonicalRecipients(recipients []string) ([]string, error) {
	if len(recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipient", evidence.ErrInvalid)
	}
	out := make([]string, 0, len(recipients))
	for _, s := range recipients {
		c, _, err := parseRecipient(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseRecipient parses one outside recipient and returns its canonical
// form with the age recipient.
func parseRecipient(s string) (string, age.Recipient, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "age1") {
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return "", nil, fmt.Errorf("%w: recipient %q is not a valid age X25519 recipient: %v", evidence.ErrInvalid, s, err)
		}
		return r.String(), r, nil
	}
	if strings.HasPrefix(s, "ssh-ed25519 ") || strings.HasPrefix(s, "ssh-rsa ") {
		pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(s))
		if err != nil || len(rest) != 0 {
			return "", nil, fmt.Errorf("%w: recipient %.24q… is not one SSH public key", evidence.ErrInvalid, s)
		}
		c := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
		r, err := agessh.ParseRecipient(c)
		if err != nil {
			return "", nil, fmt.Errorf("%w: SSH recipient %.24q…: %v", evidence.ErrInvalid, c, err)
		}
		return c, r, nil
	}
	return "", nil, fmt.Errorf("%w: recipient %.24q is neither an age X25519 recipient (age1…) nor an SSH public key (ssh-ed25519 …, ssh-rsa …)", evidence.ErrInvalid, s)
}

// EncryptTo returns a writer that encrypts to the outside recipients, for
// exports: each of them can decrypt the result with stock age
// (`age -d -i KEY`, KEY an age identity file or an SSH private key). The
// caller must Close the writer to finish the file.
func EncryptTo(dst io.Writer, recipients []string) (io.WriteCloser, error) {
	if len(recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipient", evidence.ErrInvalid)
	}
	rs := make([]age.Recipient, 0, len(recipients))
	for _, s := range recipients {
		_, r, err := parseRecipient(s)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return age.Encrypt(dst, rs...)
}

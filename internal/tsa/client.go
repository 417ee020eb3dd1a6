package tsa

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"

	"sori/internal/evidence"
)

// ErrBadAnswer: the TSA answered, but not with a token for the request.
var ErrBadAnswer = errors.New("bad time-stamp answer")

// maxResponse bounds what is read from a TSA: a token with a certificate
// chain is a few KiB.
const maxResponse = 1 << 20

// Stamp asks the TSA at tsaURL (http or https) to time-stamp digest: it
// POSTs a TimeStampReq (application/timestamp-query, RFC 3161 §3.4) with a
// random nonce, and returns the token's DER once it parses, stamps digest
// and echoes the nonce. The TSA's signature is not verified here (the
// caller may not have its certificate; Token.Verify). client nil means
// http.DefaultClient.
func Stamp(ctx context.Context, client *http.Client, tsaURL string, digest [32]byte) ([]byte, *Token, error) {
	u, err := url.Parse(tsaURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("%w: TSA URL %q is not an http or https URL", evidence.ErrInvalid, tsaURL)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, nil, err
	}
	nonce.Add(nonce, big.NewInt(1))
	req, err := Request{Digest: digest, Nonce: nonce}.Marshal()
	if err != nil {
		return nil, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(req))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	hr.Header.Set("Accept", "application/timestamp-reply")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, nil, fmt.Errorf("time-stamp request to %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, nil, fmt.Errorf("time-stamp response from %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("the TSA at %s answered HTTP %d", u.Redacted(), resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/timestamp-reply" {
		return nil, nil, fmt.Errorf("the TSA at %s answered %q, not application/timestamp-reply", u.Redacted(), clean(resp.Header.Get("Content-Type")))
	}
	if len(body) > maxResponse {
		return nil, nil, fmt.Errorf("the TSA at %s answered more than %d bytes", u.Redacted(), maxResponse)
	}
	// A bad answer says nothing about the archive: not evidence.ErrTampered.
	der, tok, err := ParseResponse(body)
	if err == nil {
		err = tok.Check(digest, nonce)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the TSA at %s: %v", ErrBadAnswer, u.Redacted(), err)
	}
	return der, tok, nil
}

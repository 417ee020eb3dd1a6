package s3

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseURL reads a location of the form
//
//	s3://BUCKET[/PREFIX][?endpoint=HOST[:PORT]][&region=REGION][&insecure=1]
//
// endpoint defaults to s3.amazonaws.com; insecure=1 talks plain HTTP (a
// gateway on loopback). A URL carrying credentials (s3://KEY:SECRET@…) is
// refused: they come from the environment or the shared credentials file,
// never from a URL that could be stored, logged or seen in a process list.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("s3 URL: cannot parse it (want s3://BUCKET/PREFIX?endpoint=HOST:PORT)")
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("s3 URL: scheme %q, want s3://BUCKET/PREFIX?endpoint=HOST:PORT", u.Scheme)
	}
	if u.User != nil {
		return Config{}, fmt.Errorf("s3 URL: credentials in the URL are refused; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or use ~/.aws/credentials")
	}
	if u.Opaque != "" || u.Fragment != "" {
		return Config{}, fmt.Errorf("s3 URL: want s3://BUCKET/PREFIX?endpoint=HOST:PORT")
	}
	cfg := Config{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/"), Secure: true}
	if err := checkBucket(cfg.Bucket); err != nil {
		return Config{}, fmt.Errorf("s3 URL: %w", err)
	}
	if _, err := cleanPrefix(cfg.Prefix); err != nil {
		return Config{}, fmt.Errorf("s3 URL: %w", err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("s3 URL: bad query: %v", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return Config{}, fmt.Errorf("s3 URL: %s given %d times", k, len(v))
		}
		switch k {
		case "endpoint":
			h, err := url.Parse("//" + v[0])
			if err != nil || h.Host != v[0] || h.User != nil || v[0] == "" {
				return Config{}, fmt.Errorf("s3 URL: endpoint %q: want HOST or HOST:PORT", v[0])
			}
			cfg.Endpoint = v[0]
		case "region":
			cfg.Region = v[0]
		case "insecure":
			switch v[0] {
			case "1", "true":
				cfg.Secure = false
			case "0", "false":
			default:
				return Config{}, fmt.Errorf("s3 URL: insecure=%q: want 1 or 0", v[0])
			}
		default:
			return Config{}, fmt.Errorf("s3 URL: unknown parameter %q (known: endpoint, region, insecure)", k)
		}
	}
	return cfg, nil
}

// URL is cfg written back in the form ParseURL reads (without credentials,
// which a Config read from a URL never has).
func (cfg Config) URL() string {
	u := url.URL{Scheme: "s3", Host: cfg.Bucket, Path: "/" + strings.Trim(cfg.Prefix, "/")}
	if u.Path == "/" {
		u.Path = ""
	}
	q := url.Values{}
	if cfg.Endpoint != "" {
		q.Set("endpoint", cfg.Endpoint)
	}
	if cfg.Region != "" {
		q.Set("region", cfg.Region)
	}
	if !cfg.Secure {
		q.Set("insecure", "1")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// IsURL reports whether s names an S3 location rather than a directory.
func IsURL(s string) bool { return strings.HasPrefix(s, "s3://") }

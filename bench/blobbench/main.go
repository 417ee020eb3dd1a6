// Command blobbench times writing and reading packs through a blob.Store:
// the local driver (a directory) and the S3 driver (a gateway such as
// versitygw on loopback). Objects are random bytes, as ciphertext is.
// Used by bench/s3.sh; not part of sori.
//
//	blobbench -store local -dir DIR -n 200 -size 1048576 -writers 4
//	blobbench -store s3 -endpoint 127.0.0.1:PORT -bucket B -n 200 -size 1048576 -writers 4
//
// S3 credentials come from the AWS environment variables, as in sori.
// Prints one line: store, count, size, writers, write and read seconds and
// MB/s.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"sori/internal/blob"
	"sori/internal/blob/local"
	"sori/internal/blob/s3"
)

func main() {
	kind := flag.String("store", "local", "local or s3")
	dir := flag.String("dir", "", "local: the store's directory")
	endpoint := flag.String("endpoint", "", "s3: HOST:PORT (plain HTTP)")
	bucket := flag.String("bucket", "", "s3: an existing bucket")
	prefix := flag.String("prefix", "bench", "s3: key prefix")
	n := flag.Int("n", 100, "objects")
	size := flag.Int("size", 1<<20, "bytes per object")
	writers := flag.Int("writers", 4, "concurrent writers")
	part := flag.Int64("part", 0, "s3: multipart part size (0: the driver's default)")
	flag.Parse()
	ctx := context.Background()

	var st blob.Store
	var err error
	switch *kind {
	case "local":
		st, err = local.Open(*dir)
	case "s3":
		st, err = s3.New(ctx, s3.Config{Endpoint: *endpoint, Bucket: *bucket, Prefix: *prefix, PartSize: *part})
	default:
		log.Fatalf("blobbench: -store %q: local or s3", *kind)
	}
	if err != nil {
		log.Fatal(err)
	}
	// One random buffer, each object a different window of it and a
	// different name: no store can deduplicate.
	src := make([]byte, *size+*n)
	rand.Read(src)
	names := make([]string, *n)
	for i := range names {
		var b [16]byte
		rand.Read(b[:])
		names[i] = hex.EncodeToString(b[:])
	}
	total := float64(*n) * float64(*size) / 1e6

	w := timeIt(*n, *writers, func(i int) error {
		_, err := blob.Put(ctx, st, names[i], bytes.NewReader(src[i:i+*size]))
		return err
	})
	r := timeIt(*n, *writers, func(i int) error {
		rc, err := st.Open(ctx, names[i], 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err := io.Copy(io.Discard, rc)
		if err == nil && got != int64(*size) {
			err = fmt.Errorf("%s: read %d bytes of %d", names[i], got, *size)
		}
		return err
	})
	fmt.Printf("%s\t%d objects\t%d bytes\t%d writers\twrite %.2fs %.1f MB/s\tread %.2fs %.1f MB/s\n",
		*kind, *n, *size, *writers, w.Seconds(), total/w.Seconds(), r.Seconds(), total/r.Seconds())
}

// timeIt runs fn for 0..n-1 on the given number of goroutines and returns
// the wall time; any error is fatal.
func timeIt(n, workers int, fn func(int) error) time.Duration {
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return time.Since(start)
}

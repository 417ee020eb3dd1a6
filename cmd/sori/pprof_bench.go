//go:build sori_pprof

package main

// A build for profiling only (bench/serve.sh -P): go build -tags sori_pprof
// adds Go's profiling endpoints (net/http/pprof) on a loopback address of
// their own, given by SORI_BENCH_PPROF (e.g. 127.0.0.1:6061). The release
// binary has none of this. Profiles hold function names and counts, no
// values.

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("SORI_BENCH_PPROF")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		os.Stderr.WriteString("SORI_BENCH_PPROF: want a loopback HOST:PORT\n")
		os.Exit(2)
	}
	go http.ListenAndServe(addr, http.DefaultServeMux)
}

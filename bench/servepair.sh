#!/usr/bin/env bash
# Paired serve benchmark: two builds of sori served in turn over the same
# archive, several rounds, so that both see the same (shared) machine.
# Each turn starts `sori serve` with one binary, warms it up with a few
# searches, then runs wrk (2 threads, 16 connections) for D seconds each
# against GET /api/v1/me, GET /api/v1/search and the same with
# snippets=false, and prints req/s, p50, p99 and the server's CPU time per
# request (its utime+stime from /proc, over wrk's request count).
#
#   bench/servepair.sh -w WORKDIR [-p PORT] [-r ROUNDS] [-d SECONDS] BINARY...
#
# WORKDIR is one bench/serve.sh -w WORKDIR made: its archive, state, token,
# search.lua and me.lua are used as they are. Build the binaries to compare
# with go build -o (e.g. one from main, one from a branch).
set -euo pipefail

work="" port=18092 rounds=3 secs=15
while getopts "w:p:r:d:" opt; do
	case $opt in
	w) work=$OPTARG ;;
	p) port=$OPTARG ;;
	r) rounds=$OPTARG ;;
	d) secs=$OPTARG ;;
	*) echo "usage: $0 -w WORKDIR [-p PORT] [-r ROUNDS] [-d SECONDS] BINARY..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$work" ] && [ $# -ge 1 ] || { echo "usage: $0 -w WORKDIR [-p PORT] [-r ROUNDS] [-d SECONDS] BINARY..." >&2; exit 2; }
for f in archive/sori.json token search.lua me.lua; do
	[ -e "$work/$f" ] || { echo "$work/$f is missing: run bench/serve.sh -w $work first" >&2; exit 2; }
done
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
export SORI_TEST_KDF_LOGN=10 SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"
url="http://127.0.0.1:$port"
server=""
trap '[ -z "$server" ] || kill "$server" 2> /dev/null || true' EXIT
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks=$(getconf CLK_TCK)
# one NAME CPU0 CPU1 OUTPUT: a summary of one wrk run.
one() {
	echo "$4" | awk -v name="$1" -v t="$(($3 - $2))" -v hz="$ticks" '
		/requests in/ {n = $1} /Requests\/sec/ {rps = $2} /^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2}
		/Non-2xx|Socket errors/ {err = err " ERRORS: " $0}
		END {printf " | %s %9s req/s p50 %8s p99 %8s cpu/req %.3f ms%s", name, rps, p50, p99, t * 1000 / hz / n, err}'
}
for r in $(seq "$rounds"); do
	for bin in "$@"; do
		"$bin" serve --addr "127.0.0.1:$port" > "$work/pair-serve.out" 2> "$work/pair-serve.err" &
		server=$!
		for _ in $(seq 100); do grep -q Serving "$work/pair-serve.out" 2> /dev/null && break; sleep 0.1; done
		grep -q Serving "$work/pair-serve.out" || { cat "$work/pair-serve.err" >&2; exit 1; }
		wrk -t1 -c1 -d3s -s "$work/search.lua" "$url" > /dev/null
		line="round $r $(basename "$bin") load $(cut -d' ' -f1 /proc/loadavg)"
		c0=$(cpu)
		out=$(wrk -t2 -c16 -d"${secs}s" --timeout 10s --latency -s "$work/me.lua" "$url")
		c1=$(cpu)
		line+=$(one me "$c0" "$c1" "$out")
		out=$(wrk -t2 -c16 -d"${secs}s" --timeout 10s --latency -s "$work/search.lua" "$url")
		c2=$(cpu)
		line+=$(one search "$c1" "$c2" "$out")
		out=$(SEARCH_SUFFIX="&snippets=false" wrk -t2 -c16 -d"${secs}s" --timeout 10s --latency -s "$work/search.lua" "$url")
		c3=$(cpu)
		line+=$(one hits-only "$c2" "$c3" "$out")
		echo "$line"
		kill "$server"
		wait "$server" 2> /dev/null || true
		server=""
	done
done

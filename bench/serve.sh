#!/usr/bin/env bash
# Serve benchmark (issue 14): sori serve over an archive of N generated
# items (one paragraph each, as bench/scale.sh makes them), then
#   1. wrk against GET /api/v1/search with an API token (a reader's),
#      queries rotating over Korean and English words of the corpus:
#      requests/s and latency percentiles (wrk --latency); then the same
#      with snippets=false (hits without snippets); then GET /api/v1/me with
#      the token: the HTTP path without search (token, session, JSON,
#      metrics), its floor;
#   2. bench/servedrive: S sessions logged in through the login form at
#      once, each doing a random mix of pages and API calls (search, item,
#      item content, listings) with its cookie and the token, for D
#      seconds; it fails on any error.
#
#   bench/serve.sh [-n ITEMS] [-c CONNECTIONS] [-d SECONDS] [-s SESSIONS] [-p PORT] [-w WORKDIR] [-r ROUNDS] [-q DISTINCT] [-P]
#
# The search runs rotate over twelve words, whose rankings the server keeps
# after their first search (store.SearchCache: recent queries' rankings for
# the index version). A further run asks DISTINCT different queries in turn
# (default 1,000: words of the archive's own generated corpus, one
# request each before any comes again), far more than the 256 rankings kept,
# so that nearly every request ranks anew: the search engine's own cost.
#
# -r repeats the wrk runs (the machine may be shared: several rounds show
# the spread). -P builds sori with -tags sori_pprof (cmd/sori/pprof_bench.go)
# and saves, in the work directory, a CPU profile of the server over the
# first search run (cpu.pprof) and what it allocated meanwhile
# (allocs-before.pprof, allocs.pprof: go tool pprof -base). Profiles hold
# function names and counts, nothing of the archive.
#
# The token never appears on a command line: wrk's Lua script and the
# driver read it from a file in the work directory. The test work factor
# (SORI_TEST_KDF_LOGN=10) keeps scrypt out of login times. Results go in
# docs/BENCHMARKS.md.
set -euo pipefail

items=100000
conns=16
secs=30
sessions=50
port=18092
work=""
rounds=1
profile=0
distinct=1000
while getopts "n:c:d:s:p:w:r:q:P" opt; do
	case $opt in
	n) items=$OPTARG ;;
	c) conns=$OPTARG ;;
	d) secs=$OPTARG ;;
	s) sessions=$OPTARG ;;
	p) port=$OPTARG ;;
	w) work=$OPTARG ;;
	r) rounds=$OPTARG ;;
	q) distinct=$OPTARG ;;
	P) profile=1 ;;
	*) echo "usage: $0 [-n ITEMS] [-c CONNECTIONS] [-d SECONDS] [-s SESSIONS] [-p PORT] [-w WORKDIR] [-r ROUNDS] [-q DISTINCT] [-P]" >&2; exit 2 ;;
	esac
done
command -v wrk > /dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cd "$(dirname "$0")/.."
keep=1
[ -n "$work" ] || { work=$(mktemp -d /var/tmp/sori-bench-serve.XXXXXX); keep=0; }
mkdir -p "$work"
server=""
cleanup() {
	[ -z "$server" ] || kill "$server" 2> /dev/null || true
	[ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
export SORI_TEST_KDF_LOGN=10 SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"
admin_pass="bench passphrase" reader_pass="bench reader passphrase"
printf '%s\n' "$admin_pass" > "$work/admin.pass"
printf '%s\n' "$reader_pass" > "$work/reader.pass"
chmod 600 "$work"/*.pass

go build -o "$work/sori" ./cmd/sori
if [ "$profile" = 1 ]; then
	go build -tags sori_pprof -o "$work/sori-pprof" ./cmd/sori
	serve_bin="$work/sori-pprof"
	export SORI_BENCH_PPROF="127.0.0.1:$((port + 1))"
else
	serve_bin="$work/sori"
fi
go build -o "$work/servedrive" ./bench/servedrive
if [ ! -e "$work/archive/sori.json" ]; then
	"$work/sori" gen --paragraphs "$items" --per-file 1 --seed 7 --out "$work/corpus" > /dev/null
	"$work/sori" init --user bench --passphrase-file "$work/admin.pass" > /dev/null
	# A generated corpus has a few identical paragraphs: sori add reports
	# them (exit 1) and stores them once; any other failure stops here.
	"$work/sori" add --user bench --passphrase-file "$work/admin.pass" "$work/corpus/ko" "$work/corpus/en" > "$work/add.out" 2> "$work/add.err" ||
		{ grep -v -e 'same bytes as item' -e 'SORI_TEST_KDF_LOGN' "$work/add.err" | grep -q . && { cat "$work/add.err" >&2; exit 1; }; }
	"$work/sori" index --user bench --passphrase-file "$work/admin.pass" > /dev/null 2>&1
	SORI_NEW_PASSPHRASE="$reader_pass" "$work/sori" user add reader --role reader --user bench --passphrase-file "$work/admin.pass" > /dev/null 2>&1
fi
"$work/sori" token create --user reader --passphrase-file "$work/reader.pass" --name bench > "$work/token" 2> /dev/null
chmod 600 "$work/token"
echo "archive: $(wc -l < "$work/add.out") items, $(du -sm "$work/archive" | cut -f1) MiB; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"

"$serve_bin" serve --addr "127.0.0.1:$port" > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do grep -q Serving "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
grep -q Serving "$work/serve.out" || { cat "$work/serve.err" >&2; exit 1; }
url="http://127.0.0.1:$port"

# The rotation (URL-encoded): 두만강 배급 국경 보위부 장마당 강제송환 and six
# English words, all of them in the generated corpus.
queries="%EB%91%90%EB%A7%8C%EA%B0%95 %EB%B0%B0%EA%B8%89 %EA%B5%AD%EA%B2%BD %EB%B3%B4%EC%9C%84%EB%B6%80 %EC%9E%A5%EB%A7%88%EB%8B%B9
%EA%B0%95%EC%A0%9C%EC%86%A1%ED%99%98 Tumen hunger border market interrogated escape"
cat > "$work/search.lua" <<LUA
local f = assert(io.open("$work/token"))
local token = f:read("*l")
f:close()
wrk.headers["Authorization"] = "Bearer " .. token
local queries = {$(printf '"%s", ' $queries)}
local extra = os.getenv("SEARCH_SUFFIX") or ""
local i = 0
request = function()
	i = i + 1
	return wrk.format("GET", "/api/v1/search?q=" .. queries[(i % #queries) + 1] .. extra)
end
LUA
# DISTINCT words of the archive's own corpus (regenerated if need be: sori
# gen is deterministic), in a fixed shuffled order: Korean words as
# written (with their particles; names among them) and English words, two
# characters or more.
if [ ! -s "$work/words.all" ]; then
	[ -d "$work/corpus" ] || "$work/sori" gen --paragraphs "$items" --per-file 1 --seed 7 --out "$work/corpus" > /dev/null
	find "$work/corpus" -name '*.txt' -exec cat {} + | tr -s '[:space:][:punct:][:digit:]' '\n' | awk 'length($0) >= 2' | sort -u > "$work/words.all"
	rm -rf "$work/corpus"
fi
shuf --random-source=<(yes) -n "$distinct" "$work/words.all" > "$work/words"
[ "$(wc -l < "$work/words")" -ge "$distinct" ] || { echo "the corpus has only $(wc -l < "$work/words") distinct words" >&2; exit 1; }
found=0
while read -r w; do
	n=$(curl -s -G -H "Authorization: Bearer $(cat "$work/token")" --data-urlencode "q=$w" --data-urlencode snippets=false "$url/api/v1/search" | { grep -o '"id"' || true; } | wc -l)
	[ "$n" -eq 0 ] || found=$((found + 1))
done < "$work/words"
echo "distinct queries: $found of $distinct find hits"
cat > "$work/distinct.lua" <<LUA
local f = assert(io.open("$work/token"))
local token = f:read("*l")
f:close()
wrk.headers["Authorization"] = "Bearer " .. token
-- Each of wrk's threads takes every other query (thread ids from setup):
-- without it both would ask the same sequence, the second finding the
-- first's ranking kept.
local threads = 0
function setup(thread)
	thread:set("id", threads)
	threads = threads + 1
end
local queries = {}
for w in io.lines("$work/words") do
	queries[#queries + 1] = w:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)
end
local i = 0
request = function()
	i = i + 1
	return wrk.format("GET", "/api/v1/search?q=" .. queries[((i * 2 + id) % #queries) + 1])
end
LUA
cat > "$work/me.lua" <<LUA
local f = assert(io.open("$work/token"))
local token = f:read("*l")
f:close()
wrk.headers["Authorization"] = "Bearer " .. token
wrk.path = "/api/v1/me"
LUA
# Every query of the rotation must find hits: a query that finds nothing
# costs little and would flatter the figures.
for q in $queries; do
	n=$(curl -sf -H "Authorization: Bearer $(cat "$work/token")" "$url/api/v1/search?q=$q&snippets=false" | grep -o '"id"' | wc -l)
	[ "$n" -gt 0 ] || { echo "query $q finds nothing in this archive" >&2; exit 1; }
done
# Warm-up: the first search loads the search cache.
wrk -t1 -c1 -d3s -s "$work/search.lua" "$url" > /dev/null
# run NAME TITLE [wrk args]: one wrk run; its output in $work/NAME.out.
# wrk prints "Non-2xx or 3xx responses" and "Socket errors" only when there
# were any; a request slower than --timeout (10 s) counts as a socket error.
run() {
	local name=$1 title=$2
	shift 2
	echo "== wrk: $title, $conns connections, 2 threads, ${secs}s; load $(cut -d' ' -f1-3 /proc/loadavg)"
	wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s --latency "$@" "$url" | tee "$work/$name.out"
	if grep -q -e "Non-2xx or 3xx responses" -e "Socket errors" "$work/$name.out"; then echo "wrk saw errors" >&2; exit 1; fi
}
for r in $(seq "$rounds"); do
	[ "$rounds" = 1 ] || echo "=== round $r of $rounds"
	if [ "$profile" = 1 ] && [ "$r" = 1 ]; then
		curl -sf -o "$work/allocs-before.pprof" "http://$SORI_BENCH_PPROF/debug/pprof/allocs"
		curl -sf -o "$work/cpu.pprof" "http://$SORI_BENCH_PPROF/debug/pprof/profile?seconds=$secs" &
		prof=$!
	fi
	run wrk "GET /api/v1/search" -s "$work/search.lua"
	if [ "$profile" = 1 ] && [ "$r" = 1 ]; then
		wait "$prof"
		curl -sf -o "$work/allocs.pprof" "http://$SORI_BENCH_PPROF/debug/pprof/allocs"
		echo "profiles: $work/cpu.pprof, $work/allocs.pprof (-base $work/allocs-before.pprof), binary $serve_bin"
	fi
	run wrk4 "GET /api/v1/search, $distinct distinct queries in turn (each ranked anew)" -s "$work/distinct.lua"
	SEARCH_SUFFIX="&snippets=false" run wrk2 "GET /api/v1/search?…&snippets=false (hits only)" -s "$work/search.lua"
	run wrk3 "GET /api/v1/me (the HTTP path without search)" -s "$work/me.lua"
done

echo "== servedrive: $sessions sessions, mixed work, ${secs}s"
"$work/servedrive" -url "$url" -user reader -passphrase-file "$work/reader.pass" -token-file "$work/token" -sessions "$sessions" -duration "${secs}s"
echo "server peak RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MiB"}')"
curl -s "$url/metrics" | grep -E '^sori_sessions' || true

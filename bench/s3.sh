#!/usr/bin/env bash
# S3 benchmark: the blob store (packs written and read) and `sori
# replicate`, each to a local directory and to S3 through versitygw on
# loopback (started here, posix backend on the same disk), in one run.
#
#   bench/s3.sh [-w WORKDIR]
#
# Needs Go and versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0).
# Peak RSS via /usr/bin/time when present. Results go in docs/BENCHMARKS.md.
set -euo pipefail

work=""
while getopts "w:" opt; do
	case $opt in
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-w WORKDIR]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
vgw=$(command -v versitygw || echo "$(go env GOPATH)/bin/versitygw")
[ -x "$vgw" ] || { echo "versitygw not found: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0" >&2; exit 2; }
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-s3.XXXXXX)
mkdir -p "$work/s3root/bench" "$work/local"

port=$(( 19000 + RANDOM % 2000 ))
export AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret-key
"$vgw" --access "$AWS_ACCESS_KEY_ID" --secret "$AWS_SECRET_ACCESS_KEY" --port "127.0.0.1:$port" posix "$work/s3root" > "$work/vgw.log" 2>&1 &
vgw_pid=$!
trap 'kill $vgw_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
s3="s3://bench/replica?endpoint=127.0.0.1:$port&insecure=1"

go build -o "$work/sori" ./cmd/sori
go build -o "$work/blobbench" ./bench/blobbench
rss() { if [ -x /usr/bin/time ]; then /usr/bin/time -f "%e s, %M KiB peak RSS" "$@"; else "$@"; fi; }
echo "$(nproc) cores; $("$vgw" --version 2>/dev/null | head -1 || echo versitygw)"

echo "== packs through blob.Store (write then read; random bytes)"
for spec in "2000 65536 4" "200 1048576 4" "8 67108864 2"; do
	set -- $spec
	rm -rf "$work/local/b"
	rss "$work/blobbench" -store local -dir "$work/local/b" -n "$1" -size "$2" -writers "$3"
	rss "$work/blobbench" -store s3 -endpoint "127.0.0.1:$port" -bucket bench -prefix "b$2" -n "$1" -size "$2" -writers "$3"
done

echo "== sori replicate: directory vs S3"
export SORI_PASSPHRASE="bench passphrase" SORI_TEST_KDF_LOGN=10 SORI_STATE_DIR="$work/state"
export SORI_ARCHIVE="$work/archive"
go run ./bench/gencorpus -out "$work/corpus" -bins 24 -texts 2000 > /dev/null
"$work/sori" init --user bench > /dev/null 2>&1
t0=$(date +%s.%N); "$work/sori" add "$work/corpus" > /dev/null 2>&1; t1=$(date +%s.%N)
echo "intake (local archive): $(du -sm --apparent-size "$work/corpus" | cut -f1) MiB, $(find "$work/corpus" -type f | wc -l) files, $(echo "$t1 - $t0" | bc -l | cut -c1-5) s"
for target in "$work/replica" "$s3"; do
	kind=dir; [[ $target == s3://* ]] && kind=s3
	echo "-- $kind: first run";   rss "$work/sori" replicate --to "$target" 2>&1 | grep -v WARNING
	echo "-- $kind: nothing new";  rss "$work/sori" replicate --to "$target" 2>&1 | grep -v WARNING
	mkdir -p "$work/one-$kind"; echo "one more synthetic item $kind" > "$work/one-$kind/x.txt"
	"$work/sori" add "$work/one-$kind" > /dev/null 2>&1
	echo "-- $kind: one new item"; rss "$work/sori" replicate --to "$target" 2>&1 | grep -v WARNING
done
echo "-- s3: --check (fetch + verify)"; rss "$work/sori" replicate --check --to "$s3" 2>&1 | grep -v WARNING | tail -2
echo "-- dir: --check (verify in place)"; rss "$work/sori" replicate --check --to "$work/replica" 2>&1 | grep -v WARNING | tail -2

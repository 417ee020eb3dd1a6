#!/usr/bin/env bash
# Scale benchmark (issue: one archive, many sessions): N small items (one
# generated paragraph each, `sori gen --per-file 1`), then each of
#   add      sori add of the N files
#   index    sori index (the search index built from nothing)
#   search   one sori search
#   verify   sori verify (everything re-hashed, the custody log replayed)
#   ls       sori ls (every item listed)
# timed as whole commands, with the peak resident set size of each
# (GNU time's maximum RSS). The goal for verify of 1,000,000 items is under
# 512 MiB RSS.
#
#   bench/scale.sh [-n ITEMS] [-w WORKDIR] [-d DB_URL -s BLOBS_URL]
#
# Without -d/-s the archive is the embedded one (SQLite and a blob
# directory); with them, `sori init --db DB_URL --blobs BLOBS_URL` makes a
# PostgreSQL + S3 archive (credentials from the environment: PGPASSWORD,
# AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). The test work factor
# (SORI_TEST_KDF_LOGN=10) keeps scrypt out of the figures. Results go in
# docs/BENCHMARKS.md.
set -euo pipefail

items=100000
work=""
db=""
blobs=""
while getopts "n:w:d:s:" opt; do
	case $opt in
	n) items=$OPTARG ;;
	w) work=$OPTARG ;;
	d) db=$OPTARG ;;
	s) blobs=$OPTARG ;;
	*) echo "usage: $0 [-n ITEMS] [-w WORKDIR] [-d DB_URL -s BLOBS_URL]" >&2; exit 2 ;;
	esac
done
if { [ -n "$db" ] && [ -z "$blobs" ]; } || { [ -z "$db" ] && [ -n "$blobs" ]; }; then
	echo "give both -d DB_URL and -s BLOBS_URL, or neither" >&2
	exit 2
fi

cd "$(dirname "$0")/.."
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-scale.XXXXXX)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
export SORI_TEST_KDF_LOGN=10 SORI_PASSPHRASE="bench passphrase" SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"

go build -o "$work/sori" ./cmd/sori
"$work/sori" gen --paragraphs "$items" --per-file 1 --seed 7 --out "$work/corpus" > /dev/null
files=$(find "$work/corpus/ko" "$work/corpus/en" -type f | wc -l)
echo "corpus: $files files of one paragraph, $(du -sm --apparent-size "$work/corpus" | cut -f1) MiB; $(nproc) cores; $(go version | cut -d' ' -f3)"
if [ -n "$db" ]; then
	"$work/sori" init --user bench --db "$db" --blobs "$blobs" > /dev/null
	echo "backend: PostgreSQL + S3"
else
	"$work/sori" init --user bench > /dev/null
	echo "backend: embedded (SQLite + blob directory)"
fi

# step NAME CMD…: run once, print seconds and peak RSS. A generated corpus
# has a few identical paragraphs, which sori add reports (exit 1) and does
# not store twice; every other failure stops the script.
step() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" > "$work/out.$name" 2> "$work/err.$name" ||
		{ grep -v -e 'same bytes as item' -e 'SORI_TEST_KDF_LOGN' "$work/err.$name" | grep -q . && { cat "$work/err.$name" >&2; exit 1; }; }
	read -r secs kib < "$work/time.$name"
	printf '%-7s %8.1f s  %7d MiB peak RSS\n' "$name" "$secs" $((kib / 1024))
}
step add "$work/sori" add "$work/corpus/ko" "$work/corpus/en"
dups=$(grep -c 'same bytes as item' "$work/err.add" || true)
# A duplicate is reported on stderr, and on stdout too by some versions.
lines=$(wc -l < "$work/out.add")
[ "$lines" -eq "$files" ] || [ $((lines + dups)) -eq "$files" ] || { echo "sori add printed $(wc -l < "$work/out.add") lines and $dups duplicates for $files files" >&2; exit 1; }
files=$((files - dups))
step index "$work/sori" index
step search "$work/sori" search 두만강
step verify "$work/sori" verify
step ls "$work/sori" ls
[ "$(wc -l < "$work/out.ls")" -ge "$files" ] || { echo "sori ls listed $(wc -l < "$work/out.ls") of $files items" >&2; exit 1; }
if [ -z "$db" ]; then echo "archive: $(du -sm "$work/archive" | cut -f1) MiB"; fi

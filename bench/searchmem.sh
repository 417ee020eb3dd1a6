#!/usr/bin/env bash
# Search memory benchmark: peak RSS of `sori index` (the index build) and
# of `sori search` (a query, after the build) on an archive of ITEMS small
# text items (`sori gen --per-file 1`: one paragraph an item), the shape
# where per-document state dominates. Also the build's time.
#
#   bench/searchmem.sh [-i ITEMS] [-w WORKDIR] [-b SORI]
#
# -b runs that sori binary instead of building this tree's (for a before
# and after).
# Default 100,000 items. Needs GNU time (/usr/bin/time). Results go in
# docs/BENCHMARKS.md.
set -euo pipefail

items=100000
work=""
bin=""
while getopts "i:w:b:" opt; do
	case $opt in
	i) items=$OPTARG ;;
	w) work=$OPTARG ;;
	b) bin=$(realpath "$OPTARG") ;;
	*) echo "usage: $0 [-i ITEMS] [-w WORKDIR] [-b SORI]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "GNU time not found: apt-get install time" >&2; exit 2; }
keep=1
if [ -z "$work" ]; then
	work=$(mktemp -d /var/tmp/sori-bench-searchmem.XXXXXX)
	keep=0
fi
mkdir -p "$work"
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
rm -rf "$work/corpus" "$work/archive"

if [ -n "$bin" ]; then
	cp "$bin" "$work/sori"
else
	go build -o "$work/sori" ./cmd/sori
fi
"$work/sori" gen --paragraphs "$items" --per-file 1 --seed 1 --out "$work/corpus" > /dev/null
export SORI_PASSPHRASE="bench passphrase"
"$work/sori" init --archive "$work/archive" --user bench > /dev/null
# One-paragraph files repeat now and then: add refuses the copies (and
# exits 1); anything else it says is an error.
"$work/sori" add --archive "$work/archive" "$work/corpus/ko" "$work/corpus/en" > /dev/null 2> "$work/add.err" ||
	! grep -v 'already in the archive' "$work/add.err" >&2 || exit 1
echo "items added: $(( $(find "$work/corpus/ko" "$work/corpus/en" -name '*.txt' | wc -l) - $(wc -l < "$work/add.err") ))"

# rss FILE: the peak resident set GNU time wrote, in MiB.
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
secs() { awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$1"; }

/usr/bin/time -v -o "$work/index.time" "$work/sori" index --archive "$work/archive" > /dev/null
echo "items: $items; sori index: $(secs "$work/index.time") wall, peak RSS $(rss "$work/index.time") MiB"
for q in 두만강 Tumen 혁; do
	/usr/bin/time -v -o "$work/search.time" "$work/sori" search --archive "$work/archive" "$q" > /dev/null
	echo "sori search $q: $(secs "$work/search.time") wall, peak RSS $(rss "$work/search.time") MiB"
done

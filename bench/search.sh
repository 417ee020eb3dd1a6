#!/usr/bin/env bash
# Search benchmark: the same generated corpus (`sori gen`, one paragraph per
# line, 100 paragraphs per file) indexed by sori (encrypted archive) and by
# Groonga (Debian groonga-bin: TokenBigram + NormalizerNFKC130) in two
# shapes, one record per paragraph and one record per file (a file is a
# long transcript), in one run; sori's archive (an item per file) is the
# same for both, and the report shows it beside each. Reports index build time, p50/p99 latency of the
# corpus's 200 queries (1-, 2-, 3-syllable Korean, English words, names in
# Hangul and romanized), and recall/precision against a brute-force scan.
#
#   bench/search.sh [-p PARAGRAPHS] [-w WORKDIR] [-n PASSES]
#
# Default 1,000,000 paragraphs: ~1.5 min for sori add, ~42 min in all on 2
# cores, nearly all of it sori answering the "all hits" queries (up to 20 s
# each); -n 1 cuts that to a third. -p 100000 is the quick run (~3 min).
# Needs Go, bc and Debian's groonga-bin (installed here with apt-get if
# missing). Results go in docs/BENCHMARKS.md.
#
# What is timed:
#   - sori's index build is `sori add` of the corpus into a fresh archive
#     made with production key-derivation settings, then `sori index`: it
#     includes scrypt (~0.4 s, twice), hashing, encryption and packing of
#     every file, the item records and custody log, and the search index
#     (in the encrypted database), all committed durably. The two steps
#     are also shown apart.
#   - Groonga's build is `groonga -n DB < load.grn`: create the table, load
#     the paragraphs (or files) as JSON (converted from the corpus
#     beforehand, untimed), then build the index column from them. Each
#     shape is its own database and its own timed build.
#   - Queries: bench/searchbench opens the archive once (the unlock is not
#     counted) and times archive.Search per query in process; it drives
#     `groonga DB` over pipes and times each select from writing the command
#     to reading the whole response (Groonga's own reported time is shown
#     too). Both run the 200 queries once untimed (warm-up, and the full
#     result sets for recall), then PASSES timed passes (default 3) in two
#     shapes: "top 20" (ranked, with snippets: what `sori search` shows) and
#     "all hits" (every match). Groonga's query cache is off (--cache no).
#   - Recall and precision are at the document (file) level, because sori
#     returns one hit per document; Groonga's paragraphs are mapped to their
#     file, and its paragraph-level figures are shown as well (per-paragraph
#     shape). The
#     brute-force reference is bench/searchbench/brute, loaded and run
#     after the timed passes: its corpus is most of a gigabyte of strings,
#     whose collection took a core in the middle of them.
set -euo pipefail

paras=1000000
work=""
passes=3
while getopts "p:w:n:" opt; do
	case $opt in
	p) paras=$OPTARG ;;
	w) work=$OPTARG ;;
	n) passes=$OPTARG ;;
	*) echo "usage: $0 [-p PARAGRAPHS] [-w WORKDIR] [-n PASSES]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
if ! command -v groonga >/dev/null; then
	echo "groonga not found: installing groonga-bin" >&2
	apt-get install -y -q groonga-bin >&2 || { echo "apt-get install groonga-bin failed (run apt-get update?)" >&2; exit 2; }
fi
command -v bc >/dev/null || { echo "bc not found: apt-get install bc" >&2; exit 2; }
keep=1
if [ -z "$work" ]; then
	work=$(mktemp -d /var/tmp/sori-bench-search.XXXXXX)
	keep=0
fi
mkdir -p "$work"
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
rm -rf "$work/corpus" "$work/archive" "$work/groonga" "$work/groonga-file"

go build -o "$work/sori" ./cmd/sori
go build -o "$work/searchbench" ./bench/searchbench
"$work/sori" gen --paragraphs "$paras" --seed 1 --out "$work/corpus" > /dev/null
"$work/searchbench" grn -corpus "$work/corpus" > "$work/load.grn"
"$work/searchbench" grn -corpus "$work/corpus" -shape file > "$work/load-file.grn"
echo "corpus: $paras paragraphs, $(find "$work/corpus/ko" "$work/corpus/en" -name '*.txt' | wc -l) files, $(du -sm --apparent-size "$work/corpus" | cut -f1) MiB; $(nproc) cores; $(groonga --version | head -1 | cut -d' ' -f1-2)"

export SORI_PASSPHRASE="bench passphrase"
cat "$work"/corpus/*/*.txt "$work/load.grn" "$work/load-file.grn" > /dev/null # warm the page cache
now() { date +%s.%N; }

"$work/sori" init --archive "$work/archive" --user bench > /dev/null
sync
t0=$(now)
"$work/sori" add --archive "$work/archive" "$work/corpus/ko" "$work/corpus/en" > "$work/sori-add.out"
ta=$(now)
"$work/sori" index --archive "$work/archive" > /dev/null
t1=$(now)
sync
mkdir "$work/groonga"
t2=$(now)
groonga -n "$work/groonga/db" < "$work/load.grn" > "$work/groonga-load.out"
t3=$(now)
sync
mkdir "$work/groonga-file"
t4=$(now)
groonga -n "$work/groonga-file/db" < "$work/load-file.grn" > "$work/groonga-file-load.out"
t5=$(now)
sori_build=$(echo "$t1 - $t0" | bc -l)
groonga_build=$(echo "$t3 - $t2" | bc -l)
groonga_file_build=$(echo "$t5 - $t4" | bc -l)
loaded() { grep -o '^\[\[0,[^]]*\],[0-9]*\]$' "$1" | sed 's/.*,//; s/]//' | sort -n | tail -1; }
files=$(find "$work/corpus/ko" "$work/corpus/en" -name '*.txt' | wc -l)
[ "$(loaded "$work/groonga-load.out")" = "$paras" ] || { echo "groonga loaded $(loaded "$work/groonga-load.out") of $paras paragraphs" >&2; exit 1; }
[ "$(loaded "$work/groonga-file-load.out")" = "$files" ] || { echo "groonga loaded $(loaded "$work/groonga-file-load.out") of $files files" >&2; exit 1; }
printf 'sori add %.1f s, then sori index %.1f s\n' "$(echo "$ta - $t0" | bc -l)" "$(echo "$t1 - $ta" | bc -l)"
printf 'index build: sori add+index %.1f s (%.0f paragraphs/s)   groonga load+index %.1f s a record per paragraph, %.1f s a record per file\n' \
	"$sori_build" "$(echo "$paras / $sori_build" | bc -l)" "$groonga_build" "$groonga_file_build"
echo "sizes: sori archive $(du -sm "$work/archive" | cut -f1) MiB   groonga db $(du -sm "$work/groonga" | cut -f1) MiB a record per paragraph, $(du -sm "$work/groonga-file" | cut -f1) MiB a record per file"

"$work/searchbench" run -corpus "$work/corpus" -archive "$work/archive" -groonga "$work/groonga/db" -groonga-file "$work/groonga-file/db" \
	-passes "$passes" -sori-build "$sori_build" -groonga-build "$groonga_build" -groonga-file-build "$groonga_file_build" -detail "$work/queries.tsv"
[ "$keep" = 0 ] || echo "per-query results: $work/queries.tsv"

#!/usr/bin/env bash
# Intake benchmark: the same 255 MiB corpus (48 random 4 MiB files + 4,000
# text files of ~16 KB, generated here) through `sori add DIR` and
# `restic backup DIR`, in one run, with production key-derivation settings on
# both sides. Prints each run's wall time, the medians and the ratio. sori
# indexes text for search after intake (sori index, or the next search);
# that step is timed too and reported beside the ratio, not hidden in it.
#
#   bench/intake.sh [-n RUNS] [-w WORKDIR]
#
# Needs Go and Debian's restic (apt-get install restic). Results go in
# docs/BENCHMARKS.md.
set -euo pipefail

runs=3
work=""
while getopts "n:w:" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-w WORKDIR]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
command -v restic >/dev/null || { echo "restic not found: apt-get install restic" >&2; exit 2; }
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-intake.XXXXXX)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

go build -o "$work/sori" ./cmd/sori
go run ./bench/gencorpus -out "$work/corpus"
corpus_mib=$(du -sm --apparent-size "$work/corpus" | cut -f1)
files=$(find "$work/corpus" -type f | wc -l)
echo "corpus: $files files, $corpus_mib MiB; $(nproc) cores; $(restic version | cut -d' ' -f1-2)"

export RESTIC_PASSWORD="bench passphrase" SORI_PASSPHRASE="bench passphrase"
# Warm the page cache so both tools read the corpus from memory.
cat $(find "$work/corpus" -type f) > /dev/null

now() { date +%s.%N; }
sori_t=()
index_t=()
restic_t=()
for i in $(seq "$runs"); do
	rm -rf "$work/archive" "$work/restic"
	"$work/sori" init --archive "$work/archive" --user bench > /dev/null
	restic init -q --repo "$work/restic" > /dev/null
	sync
	t0=$(now)
	"$work/sori" add --archive "$work/archive" "$work/corpus" > "$work/sori.out"
	t1=$(now)
	"$work/sori" index --archive "$work/archive" > /dev/null
	t1i=$(now)
	sync
	t2=$(now)
	restic backup -q --repo "$work/restic" "$work/corpus" > /dev/null
	t3=$(now)
	[ "$(wc -l < "$work/sori.out")" -eq "$files" ] || { echo "sori printed $(wc -l < "$work/sori.out") lines for $files files" >&2; exit 1; }
	s=$(echo "$t1 - $t0" | bc -l)
	x=$(echo "$t1i - $t1" | bc -l)
	r=$(echo "$t3 - $t2" | bc -l)
	sori_t+=("$s")
	index_t+=("$x")
	restic_t+=("$r")
	printf 'run %d: sori add %.2f s (then sori index %.2f s)   restic backup %.2f s\n' "$i" "$s" "$x" "$r"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${sori_t[@]}")
mx=$(median "${index_t[@]}")
mr=$(median "${restic_t[@]}")
printf 'median of %d: sori add %.2f s (%.0f MiB/s)   restic backup %.2f s (%.0f MiB/s)   ratio sori/restic %.2f\n' \
	"$runs" "$ms" "$(echo "$corpus_mib / $ms" | bc -l)" "$mr" "$(echo "$corpus_mib / $mr" | bc -l)" "$(echo "$ms / $mr" | bc -l)"
printf 'search indexing after intake (sori index, %d text files): median %.2f s; add + index %.2f s, ratio to restic %.2f\n' \
	"$(find "$work/corpus" -name '*.txt' | wc -l)" "$mx" "$(echo "$ms + $mx" | bc -l)" "$(echo "($ms + $mx) / $mr" | bc -l)"
echo "archive size: $(du -sm "$work/archive" | cut -f1) MiB   restic repo size: $(du -sm "$work/restic" | cut -f1) MiB"

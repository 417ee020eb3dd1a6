#!/usr/bin/env bash
# Verification benchmark: a full `sori verify` of the 255 MiB intake corpus
# (48 random 4 MiB files + 4,000 text files of ~16 KB, bench/gencorpus)
# against the floor, `sha256sum` over the same original files, in one run
# with a warm page cache for both. Prints each run, the medians, the
# throughputs and the speed of sori verify relative to sha256sum. The goal
# (at least 0.8 x sha256sum) applies to verification after the unlock: each
# run also times `sori checkpoint --key`, which only unlocks the archive
# (scrypt, the keyring, opening the database) and prints one line, and the
# verification time is (sori verify - that unlock), the median of the
# per-run differences; the whole command's figure is printed beside it. Then the intake rates of 1 KB items, binary and text (text
# is also indexed for search), from the Go benchmarks in
# internal/archive/rate_bench_test.go: atomic (one item per transaction and
# checkpoint) and batched (5,000 items in one add; goal: at least 5,000
# items/s).
#
#   bench/verify.sh [-n RUNS] [-w WORKDIR] [-a ATOMIC_ITEMS] [-b BATCHES]
#
# The archive uses the production key derivation (SORI_TEST_KDF_LOGN is
# unset), so each sori verify includes one scrypt at log2 N = 17 (age's
# identity, golang.org/x/crypto/scrypt). Results go
# in docs/BENCHMARKS.md.
set -euo pipefail

runs=5
work=""
atomic=2000
batches=3
while getopts "n:w:a:b:" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	w) work=$OPTARG ;;
	a) atomic=$OPTARG ;;
	b) batches=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-w WORKDIR] [-a ATOMIC_ITEMS] [-b BATCHES]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-verify.XXXXXX)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
unset SORI_TEST_KDF_LOGN
export SORI_PASSPHRASE="bench passphrase" SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"

go build -o "$work/sori" ./cmd/sori
go run ./bench/gencorpus -out "$work/corpus"
corpus_mib=$(du -sm --apparent-size "$work/corpus" | cut -f1)
corpus_bytes=$(du -sb --apparent-size "$work/corpus" | cut -f1)
files=$(find "$work/corpus" -type f | wc -l)
echo "corpus: $files files, $corpus_mib MiB; $(nproc) cores; $(go version | cut -d' ' -f3); $(sha256sum --version | head -1)"

"$work/sori" init --user bench > /dev/null
"$work/sori" add "$work/corpus" > "$work/add.out"
[ "$(wc -l < "$work/add.out")" -eq "$files" ] || { echo "sori add printed $(wc -l < "$work/add.out") lines for $files files" >&2; exit 1; }
# The archive as a user has it: with its search index built.
"$work/sori" index > /dev/null
echo "archive: $(du -sm "$work/archive" | cut -f1) MiB (meta.db $(du -sm "$work/archive/meta.db" | cut -f1) MiB, with the search index)"

# Warm the page cache: the corpus for sha256sum, the archive for sori.
cat $(find "$work/corpus" "$work/archive" -type f) > /dev/null
"$work/sori" verify 2> "$work/verify.err" || { cat "$work/verify.err" >&2; exit 1; }
cat "$work/verify.err"

now() { date +%s.%N; }
sori_t=()
quick_t=()
sha_t=()
unlock_t=()
after_t=()
for i in $(seq "$runs"); do
	t0=$(now)
	"$work/sori" verify 2> /dev/null
	t1=$(now)
	(cd "$work" && find corpus -type f -print0 | xargs -0 sha256sum > /dev/null)
	t2=$(now)
	"$work/sori" verify --quick 2> /dev/null
	t3=$(now)
	"$work/sori" checkpoint --key > /dev/null 2>&1
	t4=$(now)
	s=$(echo "$t1 - $t0" | bc -l)
	h=$(echo "$t2 - $t1" | bc -l)
	q=$(echo "$t3 - $t2" | bc -l)
	u=$(echo "$t4 - $t3" | bc -l)
	sori_t+=("$s")
	sha_t+=("$h")
	quick_t+=("$q")
	unlock_t+=("$u")
	after_t+=("$(echo "$s - $u" | bc -l)")
	printf 'run %d: sori verify %.2f s   unlock only %.2f s   verify after unlock %.2f s   sha256sum %.2f s   sori verify --quick %.2f s\n' \
		"$i" "$s" "$u" "$(echo "$s - $u" | bc -l)" "$h" "$q"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${sori_t[@]}")
mh=$(median "${sha_t[@]}")
mq=$(median "${quick_t[@]}")
mu=$(median "${unlock_t[@]}")
ma=$(median "${after_t[@]}")
mib=$(echo "$corpus_bytes / 1048576" | bc -l)
printf 'median of %d: sori verify %.2f s (%.0f MiB/s)   unlock only %.2f s   sha256sum %.2f s (%.0f MiB/s)   sori verify --quick %.2f s\n' \
	"$runs" "$ms" "$(echo "$mib / $ms" | bc -l)" "$mu" "$mh" "$(echo "$mib / $mh" | bc -l)" "$mq"
if [ "$(echo "$ma > 0" | bc -l)" -eq 1 ]; then
	printf 'verification after the unlock (verify - unlock only, median of the runs'"'"' differences): %.2f s, %.0f MiB/s\n' \
		"$ma" "$(echo "$mib / $ma" | bc -l)"
	printf 'speed of verification after the unlock relative to sha256sum: %.2f (goal >= 0.8)\n' "$(echo "$mh / $ma" | bc -l)"
else
	echo "verification after the unlock: not measurable (the unlock alone took as long as verify; the machine is too noisy)"
fi
printf 'speed of the whole sori verify command relative to sha256sum: %.2f\n' "$(echo "$mh / $ms" | bc -l)"

# Intake rates (in-process: N separate `sori add` processes would measure
# the key derivation, not intake), binary items and text items (which are
# also indexed for search).
echo "go test -run '^\$' -bench '^BenchmarkAtomicIntake\$' -benchtime ${atomic}x -count 3 ./internal/archive"
go test -run '^$' -bench '^BenchmarkAtomicIntake$' -benchtime "${atomic}x" -count 3 ./internal/archive > "$work/rates.out"
echo "go test -run '^\$' -bench '^BenchmarkBatchedIntake\$' -benchtime ${batches}x -count 3 ./internal/archive"
go test -run '^$' -bench '^BenchmarkBatchedIntake$' -benchtime "${batches}x" -count 3 ./internal/archive >> "$work/rates.out"
grep '^Benchmark' "$work/rates.out"
rates() { # BENCHMARK/KIND: the items/s figures
	awk -v name="$1" '$1 ~ "^"name"-" {for (i = 1; i < NF; i++) if ($(i+1) == "items/s") print $i}' "$work/rates.out"
}
for kind in binary text; do
	mapfile -t at < <(rates "BenchmarkAtomicIntake/$kind")
	mapfile -t bt < <(rates "BenchmarkBatchedIntake/$kind")
	printf 'intake of 1 KB %s items, median of 3: atomic %.0f items/s   batched %.0f items/s (goal >= 5000)\n' \
		"$kind" "$(median "${at[@]}")" "$(median "${bt[@]}")"
done

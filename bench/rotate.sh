#!/usr/bin/env bash
# Key rotation benchmark: the time of `sori user rm` (which re-encrypts
# meta.db under a new database key, docs/format.md "Key rotation") and of
# `sori user role --rm investigator` on an archive whose meta.db is made
# large by a `sori gen` corpus with its search index built.
#
#   bench/rotate.sh [-p PARAGRAPHS] [-w WORKDIR]
#
# Each command's time includes one scrypt unlock (production work factor;
# SORI_TEST_KDF_LOGN is unset), timed alone with `sori checkpoint` and
# printed beside it. Results go in docs/BENCHMARKS.md.
set -euo pipefail

paragraphs=1000000
work=""
while getopts "p:w:" opt; do
	case $opt in
	p) paragraphs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-p PARAGRAPHS] [-w WORKDIR]" >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-rotate.XXXXXX)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
unset SORI_TEST_KDF_LOGN
export SORI_PASSPHRASE="bench passphrase" SORI_NEW_PASSPHRASE="bench passphrase 2" SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"

go build -o "$work/sori" ./cmd/sori
"$work/sori" gen --paragraphs "$paragraphs" --seed 1 --out "$work/corpus" > /dev/null
"$work/sori" init --user bench > /dev/null
"$work/sori" add "$work/corpus/ko" "$work/corpus/en" > /dev/null
"$work/sori" index > /dev/null
for u in inv-a inv-b reader-c; do
	role=investigator
	[ "$u" = reader-c ] && role=reader
	"$work/sori" user add "$u" --role "$role" > /dev/null
done
echo "corpus: $paragraphs paragraphs; meta.db $(du -m "$work/archive/meta.db" | cut -f1) MiB; $(nproc) cores; $(go version | cut -d' ' -f3)"

secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
echo "unlock alone (sori checkpoint): $(secs "$work/sori" checkpoint) s"
echo "sori user rm inv-a: $(secs "$work/sori" user rm inv-a) s"
"$work/sori" user role inv-b --add reader > /dev/null
echo "sori user role inv-b --rm investigator: $(secs "$work/sori" user role inv-b --rm investigator) s"
echo "meta.db after: $(du -m "$work/archive/meta.db" | cut -f1) MiB"
"$work/sori" verify --quick > /dev/null && echo "verify --quick: ok"

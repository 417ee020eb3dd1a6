#!/usr/bin/env bash
# Key rotation on PostgreSQL: the time of `sori user rm` on a PostgreSQL +
# S3 archive, where the rotation re-seals every field of every row under a
# new database key in one transaction (docs/format.md "Key rotation"), on
# an archive of N small items (one generated paragraph each, `sori gen
# --per-file 1`) with its search index built.
#
#   bench/rotate_pg.sh -d DB_URL -s BLOBS_URL [-n ITEMS] [-r ROUNDS] [-w WORKDIR]
#
# DB_URL selects an empty schema (…&search_path=SCHEMA); credentials come
# from the environment (PGPASSWORD, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
# The test work factor (SORI_TEST_KDF_LOGN=10) keeps scrypt out; `sori
# checkpoint` is timed too, for what every command pays besides. Paired with
# each rotation, on the same tables, PostgreSQL's own rewrite of them
# (VACUUM FULL of the schema's tables, no cryptography): the floor of
# "every row written again". ROUNDS pairs (default 3), alternating, since
# the machine may be shared. Results go in docs/BENCHMARKS.md.
set -euo pipefail

items=100000
rounds=3
work=""
db=""
blobs=""
while getopts "n:r:w:d:s:" opt; do
	case $opt in
	n) items=$OPTARG ;;
	r) rounds=$OPTARG ;;
	w) work=$OPTARG ;;
	d) db=$OPTARG ;;
	s) blobs=$OPTARG ;;
	*) echo "usage: $0 -d DB_URL -s BLOBS_URL [-n ITEMS] [-r ROUNDS] [-w WORKDIR]" >&2; exit 2 ;;
	esac
done
if [ -z "$db" ] || [ -z "$blobs" ]; then
	echo "give -d DB_URL (with search_path=SCHEMA) and -s BLOBS_URL" >&2
	exit 2
fi
schema=$(printf '%s\n' "$db" | sed -n 's/.*[?&]search_path=\([^&]*\).*/\1/p')
[ -n "$schema" ] || { echo "DB_URL must select a schema (search_path=…)" >&2; exit 2; }
# psql takes the URL without sori's search_path parameter.
pgurl=$(printf '%s\n' "$db" | sed -e 's/search_path=[^&]*&\{0,1\}//' -e 's/[?&]$//')

cd "$(dirname "$0")/.."
[ -n "$work" ] || work=$(mktemp -d /var/tmp/sori-bench-rotate-pg.XXXXXX)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
export SORI_TEST_KDF_LOGN=10 SORI_PASSPHRASE="bench passphrase" SORI_NEW_PASSPHRASE="bench passphrase 2" SORI_STATE_DIR="$work/state" SORI_ARCHIVE="$work/archive"

go build -o "$work/sori" ./cmd/sori
"$work/sori" gen --paragraphs "$items" --per-file 1 --seed 7 --out "$work/corpus" > /dev/null
"$work/sori" init --user bench --db "$db" --blobs "$blobs" > /dev/null
# A generated corpus has a few identical paragraphs (exit 1, stored once).
if ! "$work/sori" add "$work/corpus/ko" "$work/corpus/en" > /dev/null 2> "$work/err.add"; then
	if grep -v -e 'same bytes as item' -e 'SORI_TEST_KDF_LOGN' "$work/err.add" | grep -q .; then
		cat "$work/err.add" >&2
		exit 1
	fi
fi
"$work/sori" index > /dev/null 2> "$work/err.index" || { cat "$work/err.index" >&2; exit 1; }
for i in $(seq 1 "$rounds"); do
	"$work/sori" user add "inv-$i" --role investigator > /dev/null 2> "$work/err.user" || { cat "$work/err.user" >&2; exit 1; }
done
"$work/sori" user add reader-x --role reader > /dev/null 2> "$work/err.user" || { cat "$work/err.user" >&2; exit 1; }

q() { psql -X -q -t -A "$pgurl" -c "$1"; }
tables=$(q "SELECT string_agg(quote_ident(table_schema) || '.' || quote_ident(table_name), ', ') FROM information_schema.tables WHERE table_schema = '$schema' AND table_type = 'BASE TABLE'")
rows() { q "SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = '$schema'"; }
size() { q "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_stat_user_tables WHERE schemaname = '$schema'"; }
q "ANALYZE $tables" > /dev/null
echo "items: $(q "SELECT count(*) FROM \"$schema\".items"); custody entries: $(q "SELECT count(*) FROM \"$schema\".custody"); search term rows: $(q "SELECT count(*) FROM \"$schema\".search_terms"); all rows: $(rows); schema size $(size); $(nproc) cores; $(go version | cut -d' ' -f3); $(psql --version)"

secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
echo "sori checkpoint (open, unlock, one transaction): $(secs "$work/sori" checkpoint) s"
for i in $(seq 1 "$rounds"); do
	echo "round $i: sori user rm inv-$i: $(SORI_TEST_ROTATE_TRACE= secs "$work/sori" user rm "inv-$i") s; VACUUM FULL of the schema: $(secs q "VACUUM FULL $tables") s; schema size $(size)"
done
"$work/sori" verify --quick > /dev/null && echo "verify --quick: ok"
SORI_PASSPHRASE="bench passphrase" "$work/sori" search 두만강 > /dev/null && echo "search after: ok"

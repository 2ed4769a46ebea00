#!/usr/bin/env bash
# `gateway import`: the demo master data (samples/masterdata) goes into a fresh SQLite file
# given by --db, and through --config into the configuration's database; importing the same
# files again changes nothing; a refused file names file, line and column, exits 1 and leaves
# the database as it was; usage faults exit 2. Skipped while the command is not wired in.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLES="$ROOT/samples/masterdata"
CORPUS="$ROOT/tests/corpus/masterdata"
DB="$TEST_TMP/master.db"

run_gateway import --help
if [ "$RUN_STATUS" -ne 0 ] || ! printf '%s' "$RUN_STDOUT" | grep -q 'gateway import'; then
    skip "the import command is not in this gateway yet" "gateway import --help"
    done_testing
fi
ok "gateway import --help describes the command"

count() {
    sqlite3 "$DB" "$1" 2>/dev/null
}

for kind in customers users articles contracts; do
    run_gateway import --db "$DB" "$kind" "$SAMPLES/$kind.csv"
    is "$RUN_STATUS" 0 "the sample $kind import (exit 0)"
    like "$RUN_STDOUT" "rows? imported into .*: [0-9]+ new, 0 changed, 0 unchanged" \
        "the sample $kind are all new"
done
is "$(count 'SELECT COUNT(*) FROM customer')" 5 "5 customers"
is "$(count 'SELECT COUNT(*) FROM customer_user')" 6 "6 customer users"
is "$(count 'SELECT COUNT(*) FROM article')" 7 "7 articles"
is "$(count 'SELECT COUNT(*) FROM contract')" 9 "9 contracts"
is "$(count "SELECT name FROM customer WHERE id = 'K-10001'")" "Müller Haustechnik GmbH" \
    "UTF-8 names arrive as written"
is "$(count "SELECT typeof(price) || ' ' || price FROM contract WHERE id = 'C-1002'")" \
    "text 3.95" "prices are decimal text"

for kind in customers users articles contracts; do
    run_gateway import --db "$DB" "$kind" "$SAMPLES/$kind.csv"
    like "$RUN_STDOUT" ": 0 new, 0 changed, [0-9]+ unchanged" \
        "importing the sample $kind again changes nothing"
done

BEFORE=$(count 'SELECT COUNT(*) FROM article')
cp "$CORPUS/bad-decimal-comma.csv" "$TEST_TMP/articles.csv"
run_gateway import --db "$DB" articles "$TEST_TMP/articles.csv"
is "$RUN_STATUS" 1 "a refused file exits 1"
like "$RUN_STDERR" 'articles\.csv line 4, column min_qty: "1,5" is not a decimal number; write 1\.5' \
    "the message names file, line and column and what to write"
like "$RUN_STDERR" "nothing was imported" "it says nothing was imported"
is "$(count 'SELECT COUNT(*) FROM article')" "$BEFORE" "the good rows before it were not imported"

run_gateway import --db "$DB" customers "$CORPUS/bad-unclosed-quote.csv"
is "$RUN_STATUS" 1 "an unclosed quote is refused (exit 1)"
run_gateway import --db "$DB" parts "$SAMPLES/articles.csv"
is "$RUN_STATUS" 2 "an unknown kind is a usage error (exit 2)"
like "$RUN_STDERR" '"parts" is not a kind of master data' "and says which kinds there are"
run_gateway import --db "$DB" articles "$TEST_TMP/missing.csv"
is "$RUN_STATUS" 2 "a missing file exits 2"

# Through a configuration: its database is <data folder>/gateway.db.
mkdir -p "$TEST_TMP/cfg/partners" "$TEST_TMP/cfg/data"
cat > "$TEST_TMP/cfg/gateway.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gateway xmlns="urn:edi-gateway:config:1">
  <data folder="data"/>
  <partners folder="partners"/>
</gateway>
EOF
run_gateway import --config "$TEST_TMP/cfg/gateway.xml" customers "$SAMPLES/customers.csv"
is "$RUN_STATUS" 0 "--config imports into the configuration's database"
DB="$TEST_TMP/cfg/data/gateway.db"
is "$(count 'SELECT COUNT(*) FROM customer')" 5 "the customers are in <data>/gateway.db"

done_testing

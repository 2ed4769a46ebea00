/* The running credit totals of the store (gateway/store_master.c, table credit_total of
 * migration 6): after any sequence of store_credit_set / store_credit_release, committed or
 * rolled back, store_credit_exposure answers what adding up the open items of credit_item
 * one by one answers (the same text, the same error), and the stored total agrees with them;
 * a database whose items were written before the totals existed gets them on migration and
 * adds them up on first use; the items of the message being checked are left out; items in
 * another currency than the customer's are refused with the same sentence as ever; a sum
 * beyond the range of a decimal is still EDI_E_LIMIT. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "decimal.h"
#include "store.h"
#include "store_master.h"

#define CUSTOMERS 3
#define REFERENCES 25
#define MESSAGES 15
#define OPERATIONS 1000

typedef struct {
    char dir[256];
    char db[300];
    store *s;
    sqlite3 *raw;   /* a second connection: reads what was committed, writes "by hand" */
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/store-credit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/gateway.db", fx->dir);
    char why[512] = "";
    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    if (!fx->s || sqlite3_open_v2(fx->db, &fx->raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    sqlite3_busy_timeout(fx->raw, 5000);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    sqlite3_close(fx->raw);
    char path[400];
    const char *files[] = { "gateway.db", "gateway.db-wal", "gateway.db-shm" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, files[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void raw_exec(fixture *fx, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(fx->raw, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, err ? err : "");
    sqlite3_free(err);
    assert_int_equal(rc, SQLITE_OK);
}

static int64_t raw_int(fixture *fx, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, sql, -1, &st, NULL), SQLITE_OK);
    if (a)
        sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void put_customer(fixture *fx, const char *id, const char *currency)
{
    md_customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.name, sizeof c.name, "Customer %s", id);
    snprintf(c.currency, sizeof c.currency, "%s", currency);
    char why[512] = "";
    assert_int_equal(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why), EDI_OK);
}

/* What the exposure must be, added up here item by item from what was committed: the items
 * of customer `id` not written by `except`, refused when one is not in `currency`. */
static edi_result reference_exposure(fixture *fx, const char *id, const char *currency,
                                     store_id except, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, "SELECT amount, currency FROM credit_item"
                                        " WHERE customer_id = ?1 AND message_id <> ?2", -1,
                                        &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, except);
    decimal sum = { 0, 0 };
    edi_result r = EDI_OK;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 1), currency) != 0) {
            r = EDI_E_CONFLICT;
            break;
        }
        decimal d;
        assert_int_equal(decimal_parse((const char *)sqlite3_column_text(st, 0), &d, NULL, 0),
                         EDI_OK);
        if (decimal_add(sum, d, &sum) != EDI_OK) {
            r = EDI_E_LIMIT;
            break;
        }
    }
    sqlite3_finalize(st);
    if (r == EDI_OK)
        assert_int_equal(decimal_format(sum, out, n), EDI_OK);
    return r;
}

/* The stored totals of customer `id` agree with its items: one row per currency with open
 * items, counting them, and its amount (when known) their exact sum. */
static void totals_agree(fixture *fx, const char *id)
{
    assert_int_equal(raw_int(fx, "SELECT COUNT(*) FROM credit_total t WHERE customer_id = ?1"
                             " AND items <> (SELECT COUNT(*) FROM credit_item i"
                             " WHERE i.customer_id = t.customer_id"
                             " AND i.currency = t.currency)", id, NULL), 0);
    assert_int_equal(raw_int(fx, "SELECT COUNT(DISTINCT currency) FROM credit_item"
                             " WHERE customer_id = ?1", id, NULL),
                     raw_int(fx, "SELECT COUNT(*) FROM credit_total WHERE customer_id = ?1", id,
                             NULL));
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(fx->raw, "SELECT currency, amount FROM credit_total"
                                        " WHERE customer_id = ?1 AND amount IS NOT NULL", -1,
                                        &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *currency = (const char *)sqlite3_column_text(st, 0);
        decimal stored, sum = { 0, 0 };
        assert_int_equal(decimal_parse((const char *)sqlite3_column_text(st, 1), &stored, NULL,
                                       0), EDI_OK);
        sqlite3_stmt *items = NULL;
        assert_int_equal(sqlite3_prepare_v2(fx->raw, "SELECT amount FROM credit_item"
                                            " WHERE customer_id = ?1 AND currency = ?2", -1,
                                            &items, NULL), SQLITE_OK);
        sqlite3_bind_text(items, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(items, 2, currency, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(items) == SQLITE_ROW) {
            decimal d;
            assert_int_equal(decimal_parse((const char *)sqlite3_column_text(items, 0), &d,
                                           NULL, 0), EDI_OK);
            assert_int_equal(decimal_add(sum, d, &sum), EDI_OK);
        }
        sqlite3_finalize(items);
        assert_int_equal(decimal_cmp(stored, sum), 0);
    }
    sqlite3_finalize(st);
}

/* The store's answer equals the reference's: the same result, the same text. */
static edi_result exposure_agrees(fixture *fx, const char *id, const char *currency,
                                  store_id except)
{
    char got[DECIMAL_TEXT_MAX] = "", want[DECIMAL_TEXT_MAX] = "", why[512] = "";
    edi_result r = store_credit_exposure(fx->s, id, except, got, sizeof got, why, sizeof why);
    edi_result expected = reference_exposure(fx, id, currency, except, want, sizeof want);
    if (r != expected || (r == EDI_OK && strcmp(got, want) != 0))
        fprintf(stderr, "customer %s except %lld: got %d \"%s\" (%s), want %d \"%s\"\n", id,
                (long long)except, r, got, why, expected, want);
    assert_int_equal(r, expected);
    if (r == EDI_OK)
        assert_string_equal(got, want);
    else
        assert_true(why[0] != '\0');
    return r;
}

/* A small deterministic generator (xorshift64), so that a failure can be replayed. */
static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static unsigned pick(uint64_t *x, unsigned n)
{
    return (unsigned)(next(x) % n);
}

/* One random set or release on customer `id`; a release finds the item exactly when it is
 * open (known outside a transaction of the store's handle, which the second connection
 * cannot see into). */
static void random_write(fixture *fx, uint64_t *x, const char *id, const char *currency,
                         bool in_transaction)
{
    char ref[16], amount[DECIMAL_TEXT_MAX], why[512] = "";
    snprintf(ref, sizeof ref, "R%u", pick(x, REFERENCES));
    store_credit_kind kind = pick(x, 2) ? STORE_CREDIT_ORDER : STORE_CREDIT_INVOICE;
    if (pick(x, 10) < 6) {
        decimal d = { (int64_t)pick(x, 1000000), (int)pick(x, 4) };
        assert_int_equal(decimal_format(d, amount, sizeof amount), EDI_OK);
        assert_int_equal(store_credit_set(fx->s, id, kind, ref, amount, currency,
                                          1 + pick(x, MESSAGES), why, sizeof why), EDI_OK);
        return;
    }
    if (in_transaction) {
        edi_result r = store_credit_release(fx->s, id, kind, ref, why, sizeof why);
        assert_true(r == EDI_OK || r == EDI_E_NOT_FOUND);
        return;
    }
    bool open = raw_int(fx, kind == STORE_CREDIT_ORDER
                                ? "SELECT COUNT(*) FROM credit_item WHERE customer_id = ?1"
                                  " AND kind = 'order' AND reference = ?2"
                                : "SELECT COUNT(*) FROM credit_item WHERE customer_id = ?1"
                                  " AND kind = 'invoice' AND reference = ?2",
                        id, ref) > 0;
    assert_int_equal(store_credit_release(fx->s, id, kind, ref, why, sizeof why),
                     open ? EDI_OK : EDI_E_NOT_FOUND);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void random_sequence_matches_recount(void **state)
{
    fixture *fx = *state;
    const char *ids[CUSTOMERS] = { "C1", "C2", "C3" };
    char currency[CUSTOMERS][MD_CURRENCY_MAX] = { "EUR", "EUR", "EUR" };
    for (int i = 0; i < CUSTOMERS; i++)
        put_customer(fx, ids[i], currency[i]);
    uint64_t x = 20260501;
    int answered = 0, refused = 0, rolled_back = 0;
    char why[512] = "";
    for (int op = 0; op < OPERATIONS; op++) {
        unsigned c = pick(&x, CUSTOMERS);
        unsigned what = pick(&x, 100);
        if (what < 3 && c == 2) {
            /* Only C3 changes its currency, so that its old items are then refused. */
            snprintf(currency[c], sizeof currency[c], "%s",
                     strcmp(currency[c], "EUR") == 0 ? "CHF" : "EUR");
            put_customer(fx, ids[c], currency[c]);
        } else if (what < 12) {
            /* Several writes in one transaction of the caller, kept or rolled back. */
            assert_int_equal(store_begin(fx->s, why, sizeof why), EDI_OK);
            for (int k = 0; k < 4; k++)
                random_write(fx, &x, ids[c], currency[c], true);
            if (pick(&x, 2)) {
                store_rollback(fx->s);
                rolled_back++;
            } else {
                assert_int_equal(store_commit(fx->s, why, sizeof why), EDI_OK);
            }
        } else if (what < 15) {
            /* A currency the customer does not have is refused and changes nothing. */
            assert_int_equal(store_credit_set(fx->s, ids[c], STORE_CREDIT_ORDER, "R0", "1.00",
                                              "USD", 1, why, sizeof why), EDI_E_ARG);
        } else {
            random_write(fx, &x, ids[c], currency[c], false);
        }
        store_id except = pick(&x, 3) ? 1 + pick(&x, MESSAGES) : 0;
        if (exposure_agrees(fx, ids[c], currency[c], except) == EDI_OK)
            answered++;
        else
            refused++;
        edi_result all = exposure_agrees(fx, ids[c], currency[c], 0);
        if (c != 2)
            assert_int_equal(all, EDI_OK);
        totals_agree(fx, ids[c]);
    }
    /* The sequence went through both ways of answering and both ends of a transaction. */
    assert_true(answered > OPERATIONS / 2);
    assert_true(refused > 0);
    assert_true(rolled_back > 0);
    for (int i = 0; i < CUSTOMERS; i++)
        totals_agree(fx, ids[i]);
}

static void except_message_leaves_out_all_its_items(void **state)
{
    fixture *fx = *state;
    put_customer(fx, "C1", "EUR");
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    /* Message 5 carried two orders, message 6 one. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-A", "10.00", "EUR", 5,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-B", "5.5", "EUR", 5,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-C", "1", "EUR", 6,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "16.50");
    /* Left out: both items of message 5, and the decimals only they had. */
    assert_int_equal(store_credit_exposure(fx->s, "C1", 5, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "1");
    assert_int_equal(store_credit_exposure(fx->s, "C1", 6, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "15.50");
    assert_int_equal(store_credit_exposure(fx->s, "C1", 99, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "16.50");
    /* Replacing an item with fewer decimals prints fewer, as adding up would. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-A", "10", "EUR", 7,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "16.5");
    assert_int_equal(store_credit_exposure(fx->s, "C1", 5, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "11");
    totals_agree(fx, "C1");
    /* Everything released: no row left, exposure 0. */
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-A", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-B", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-C", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-C", why,
                                          sizeof why), EDI_E_NOT_FOUND);
    assert_non_null(strstr(why, "has no open order PO-C"));
    assert_int_equal(raw_int(fx, "SELECT COUNT(*) FROM credit_total", NULL, NULL), 0);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "0");
    assert_int_equal(store_customer_delete(fx->s, "C1", why, sizeof why), EDI_OK);
}

static void items_in_an_old_currency_are_refused(void **state)
{
    fixture *fx = *state;
    put_customer(fx, "C1", "EUR");
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-A", "10.00", "EUR", 7,
                                      why, sizeof why), EDI_OK);
    put_customer(fx, "C1", "CHF");
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_INVOICE, "INV-1", "2.50", "CHF",
                                      8, why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_E_CONFLICT);
    assert_string_equal(why, "customer C1's open order PO-A is in EUR, but the customer's "
                        "currency is now CHF: release it and reserve it again in CHF");
    /* The order checked is the one in the old currency: it does not count, nothing refused. */
    assert_int_equal(store_credit_exposure(fx->s, "C1", 7, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "2.50");
    /* Reserved again in the new currency: both totals follow. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-A", "9.00", "CHF", 7,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(raw_int(fx, "SELECT COUNT(*) FROM credit_total WHERE currency = 'EUR'",
                             NULL, NULL), 0);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "11.50");
    totals_agree(fx, "C1");
}

static void sums_beyond_the_range_are_still_refused(void **state)
{
    fixture *fx = *state;
    put_customer(fx, "C1", "EUR");
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_INVOICE, "I-1",
                                      "9000000000000000000", "EUR", 1, why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_INVOICE, "I-2",
                                      "9000000000000000000", "EUR", 2, why, sizeof why), EDI_OK);
    /* The total cannot be kept: it is unknown, and the items say what they always said. */
    assert_int_equal(raw_int(fx, "SELECT amount IS NULL FROM credit_total", NULL, NULL), 1);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_E_LIMIT);
    assert_non_null(strstr(why, "beyond the range"));
    assert_int_equal(store_credit_exposure(fx->s, "C1", 2, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "9000000000000000000");
    /* Once it fits again, the next exposure adds it up and keeps it. */
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_INVOICE, "I-2", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "9000000000000000000");
    assert_int_equal(raw_int(fx, "SELECT amount IS NULL FROM credit_total", NULL, NULL), 0);
    totals_agree(fx, "C1");
}

/* A database whose items were written before migration 6: the migration is taken back
 * (its table and index dropped, its version and those after it forgotten) and items are
 * added by hand, as a gateway without totals wrote them; opening the store migrates it. */
static void migration_backfills_open_items(void **state)
{
    fixture *fx = *state;
    put_customer(fx, "C1", "EUR");
    put_customer(fx, "C2", "EUR");
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", "10.5", "EUR", 1,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-2", "0.25", "EUR", 2,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C2", STORE_CREDIT_ORDER, "PO-1", "7.125", "EUR", 3,
                                      why, sizeof why), EDI_OK);
    int version = store_schema_version(fx->s);
    int64_t totals_version = raw_int(fx, "SELECT version FROM schema_version"
                                     " WHERE what = 'running totals of open credit'", NULL, NULL);
    store_close(fx->s);
    fx->s = NULL;
    char sql[200];
    snprintf(sql, sizeof sql, "DELETE FROM schema_version WHERE version >= %lld",
             (long long)totals_version);
    raw_exec(fx, sql);
    raw_exec(fx, "DROP TABLE credit_total; DROP INDEX credit_item_message;");
    raw_exec(fx, "INSERT INTO credit_item (customer_id, kind, reference, amount, currency,"
             " message_id, updated_ms) VALUES ('C1', 'invoice', 'I-OLD', '100.00', 'EUR', 9, 0),"
             " ('C1', 'order', 'PO-3', '3', 'EUR', 10, 0),"
             " ('C2', 'order', 'PO-OLD', '1.00', 'CHF', 11, 0)");

    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    assert_non_null(fx->s);
    assert_int_equal(store_schema_version(fx->s), version);
    assert_int_equal(raw_int(fx, "SELECT COUNT(*) FROM sqlite_master"
                             " WHERE name = 'credit_item_message'", NULL, NULL), 1);
    /* Counted, not yet added up. */
    assert_int_equal(raw_int(fx, "SELECT items FROM credit_total WHERE customer_id = 'C1'"
                             " AND currency = 'EUR' AND amount IS NULL", NULL, NULL), 4);
    totals_agree(fx, "C1");
    totals_agree(fx, "C2");
    /* First use adds them up exactly and keeps the sum. */
    exposure_agrees(fx, "C1", "EUR", 0);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "113.75");
    assert_int_equal(raw_int(fx, "SELECT amount = '113.75' FROM credit_total"
                             " WHERE customer_id = 'C1'", NULL, NULL), 1);
    exposure_agrees(fx, "C1", "EUR", 9);
    /* C2's old item in another currency is refused as before, unless it is left out. */
    assert_int_equal(exposure_agrees(fx, "C2", "EUR", 0), EDI_E_CONFLICT);
    assert_int_equal(store_credit_exposure(fx->s, "C2", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_E_CONFLICT);
    assert_non_null(strstr(why, "open order PO-OLD is in CHF"));
    assert_int_equal(exposure_agrees(fx, "C2", "EUR", 11), EDI_OK);
    /* Writes on a total not yet added up keep the count and leave the sum to the next use. */
    assert_int_equal(store_credit_set(fx->s, "C2", STORE_CREDIT_ORDER, "PO-1", "7", "EUR", 3,
                                      why, sizeof why), EDI_OK);
    totals_agree(fx, "C2");
    assert_int_equal(exposure_agrees(fx, "C2", "EUR", 11), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C2", STORE_CREDIT_ORDER, "PO-OLD", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(exposure_agrees(fx, "C2", "EUR", 0), EDI_OK);
    totals_agree(fx, "C2");
}

/* credit_item changed by hand: once its total is marked unknown, the exposure reads the
 * items again and says what is wrong, as it always did. */
static void items_changed_by_hand(void **state)
{
    fixture *fx = *state;
    put_customer(fx, "C1", "EUR");
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", "10", "EUR", 1,
                                      why, sizeof why), EDI_OK);
    raw_exec(fx, "UPDATE credit_item SET amount = 'ten'; UPDATE credit_total SET amount = NULL");
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_E_STORE);
    assert_non_null(strstr(why, "\"ten\", which is not a decimal number"));
    assert_int_equal(store_credit_exposure(fx->s, "C1", 1, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "0");
    /* Replacing the broken item repairs the count; the sum is added up at the next use. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", "12.00", "EUR",
                                      1, why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_exposure(fx->s, "C1", 0, amount, sizeof amount, why,
                                           sizeof why), EDI_OK);
    assert_string_equal(amount, "12.00");
    totals_agree(fx, "C1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(random_sequence_matches_recount, setup, teardown),
        cmocka_unit_test_setup_teardown(except_message_leaves_out_all_its_items, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(items_in_an_old_currency_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(sums_beyond_the_range_are_still_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(migration_backfills_open_items, setup, teardown),
        cmocka_unit_test_setup_teardown(items_changed_by_hand, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Master data in the SQLite store (gateway/store_master.h) and its CSV import
 * (gateway/cli_import.h), on real database files in a fresh temp folder: each record kind
 * round trip, upserts that say new / changed / unchanged, unique values and references
 * refused with the field at fault, deletes refused while referred to; CSV with a byte order
 * mark, CRLF, quotes, commas and a line break in a field, columns in any order; every kind
 * of bad file refused with its line and column and nothing imported; the rule of who
 * manages which user; the md_lookup answers (GTIN, supplier and buyer number, contract by
 * date, duplicate order number, exposure) and the order checks run on it with the demo
 * master data of samples/masterdata. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <sqlite3.h>

#include "cli_import.h"
#include "order_checks.h"
#include "store.h"
#include "store_master.h"

#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/masterdata/"
#define SAMPLES GATEWAY_FORMATS_DIR "/../samples/masterdata/"
#define CHECKS GATEWAY_FORMATS_DIR "/../tests/corpus/checks/"

typedef struct {
    char dir[256];
    char db[300];
    store *s;
    char problems[8192];   /* what the last import listed */
} fixture;

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/store-master-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->db, sizeof fx->db, "%s/gateway.db", fx->dir);
    char why[512] = "";
    fx->s = store_open_sqlite(fx->db, why, sizeof why);
    if (!fx->s) {
        fprintf(stderr, "%s\n", why);
        rm_tree(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    store_close(fx->s);
    rm_tree(fx->dir);
    free(fx);
    return 0;
}

/* One number from raw SQL on the file, outside the store. */
static int64_t raw_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* All master data rows, to see that a refused import changed nothing. */
static int64_t rows(const fixture *fx)
{
    return raw_int(fx->db, "SELECT (SELECT COUNT(*) FROM customer) + (SELECT COUNT(*) FROM"
                   " customer_user) + (SELECT COUNT(*) FROM article) + (SELECT COUNT(*) FROM"
                   " contract)");
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Import a file of `dir` named `name` (the messages carry the name); problems listed go to
 * fx->problems. */
static edi_result import(fixture *fx, const char *dir, import_kind kind, const char *name,
                         import_counts *n, char *why, size_t why_n)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", dir, name);
    size_t len;
    char *data = slurp(path, &len);
    FILE *out = fmemopen(fx->problems, sizeof fx->problems, "w");
    assert_non_null(out);
    edi_result r = import_csv(fx->s, kind, name, data, len, n, out, why, why_n);
    fclose(out);
    free(data);
    return r;
}

static void import_ok(fixture *fx, const char *dir, import_kind kind, const char *name)
{
    char why[1024] = "";
    import_counts n;
    edi_result r = import(fx, dir, kind, name, &n, why, sizeof why);
    if (r != EDI_OK)
        fprintf(stderr, "%s: %s\n", name, why);
    assert_int_equal(r, EDI_OK);
}

static void load_corpus(fixture *fx)
{
    import_ok(fx, CORPUS, IMPORT_CUSTOMERS, "customers.csv");
    import_ok(fx, CORPUS, IMPORT_USERS, "users.csv");
    import_ok(fx, CORPUS, IMPORT_ARTICLES, "articles.csv");
    import_ok(fx, CORPUS, IMPORT_CONTRACTS, "contracts.csv");
}

static md_customer customer(const char *id, const char *limit, const char *currency)
{
    md_customer c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.name, sizeof c.name, "Customer %s", id);
    snprintf(c.credit_limit, sizeof c.credit_limit, "%s", limit);
    snprintf(c.currency, sizeof c.currency, "%s", currency);
    snprintf(c.payment_terms, sizeof c.payment_terms, "30 days net");
    return c;
}

static md_article article(const char *id, const char *gtin, const char *supplier)
{
    md_article a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.gtin, sizeof a.gtin, "%s", gtin);
    snprintf(a.supplier_number, sizeof a.supplier_number, "%s", supplier);
    snprintf(a.name, sizeof a.name, "Article %s", id);
    snprintf(a.units, sizeof a.units, "C62 H87");
    snprintf(a.min_quantity, sizeof a.min_quantity, "2");
    snprintf(a.step_quantity, sizeof a.step_quantity, "0.5");
    return a;
}

static store_user user(const char *id, const char *customer_id, const char *email, unsigned roles)
{
    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.customer_id, sizeof u.customer_id, "%s", customer_id);
    snprintf(u.name, sizeof u.name, "User %s", id);
    snprintf(u.email, sizeof u.email, "%s", email);
    u.roles = roles;
    return u;
}

static store_contract contract(const char *id, const char *customer_id, const char *article_id,
                               const char *buyer, const char *price)
{
    store_contract k;
    memset(&k, 0, sizeof k);
    snprintf(k.id, sizeof k.id, "%s", id);
    snprintf(k.c.customer_id, sizeof k.c.customer_id, "%s", customer_id);
    snprintf(k.c.article_id, sizeof k.c.article_id, "%s", article_id);
    snprintf(k.c.buyer_article, sizeof k.c.buyer_article, "%s", buyer);
    snprintf(k.c.price, sizeof k.c.price, "%s", price);
    snprintf(k.c.currency, sizeof k.c.currency, "EUR");
    snprintf(k.c.valid_from, sizeof k.c.valid_from, "2026-01-01");
    snprintf(k.c.tolerance_percent, sizeof k.c.tolerance_percent, "2.5");
    return k;
}

static int count_customer(void *ctx, const md_customer *c)
{
    (void)c;
    ++*(int *)ctx;
    return 0;
}

static int count_user(void *ctx, const store_user *u)
{
    (void)u;
    ++*(int *)ctx;
    return 0;
}

/* ---- records -------------------------------------------------------------------------- */

static void customer_round_trip_and_upsert(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    const char *field = NULL;
    store_put what;
    md_customer c = customer("K1", "1500.00", "EUR"), got;
    c.blocked = true;
    assert_int_equal(store_customer_put(fx->s, &c, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_NEW);
    assert_int_equal(store_customer_get(fx->s, "K1", &got, why, sizeof why), EDI_OK);
    assert_memory_equal(&c, &got, sizeof c);

    /* The same again writes nothing; a change is a change. */
    int64_t stamp = raw_int(fx->db, "SELECT updated_ms FROM customer WHERE id = 'K1'");
    assert_int_equal(store_customer_put(fx->s, &c, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_UNCHANGED);
    assert_int_equal(raw_int(fx->db, "SELECT updated_ms FROM customer WHERE id = 'K1'"), stamp);
    snprintf(c.credit_limit, sizeof c.credit_limit, "2000.00");
    assert_int_equal(store_customer_put(fx->s, &c, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_CHANGED);
    assert_int_equal(store_customer_get(fx->s, "K1", &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.credit_limit, "2000.00");
    assert_int_equal(raw_int(fx->db, "SELECT COUNT(*) FROM customer"), 1);
    /* Money is text in the database, never a floating point number. */
    assert_int_equal(raw_int(fx->db, "SELECT typeof(credit_limit) = 'text' FROM customer"), 1);

    /* Bad values name their field. */
    md_customer bad = customer("K2", "12,5", "EUR");
    assert_int_equal(store_customer_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "credit_limit");
    assert_non_null(strstr(why, "write 12.5"));
    bad = customer("K2", "-1", "EUR");
    assert_int_equal(store_customer_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "negative"));
    bad = customer("K2", "", "eur");
    assert_int_equal(store_customer_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "currency");
    bad = customer(" K2", "", "EUR");
    assert_int_equal(store_customer_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "id");

    int n = 0;
    md_customer k3 = customer("K3", "", "CHF");
    assert_int_equal(store_customer_put(fx->s, &k3, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_list(fx->s, count_customer, &n, why, sizeof why), EDI_OK);
    assert_int_equal(n, 2);

    /* A customer with users cannot be removed; without, it can. */
    store_user u = user("U1", "K1", "a@k1.example", STORE_ROLE_BUYER);
    assert_int_equal(store_user_put(fx->s, &u, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_delete(fx->s, "K1", why, sizeof why), EDI_E_CONFLICT);
    assert_non_null(strstr(why, "K1"));
    assert_int_equal(store_customer_get(fx->s, "K1", &got, why, sizeof why), EDI_OK);
    assert_int_equal(store_user_delete(fx->s, "U1", why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_delete(fx->s, "K1", why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_get(fx->s, "K1", &got, why, sizeof why), EDI_E_NOT_FOUND);
    assert_int_equal(store_customer_delete(fx->s, "K1", why, sizeof why), EDI_E_NOT_FOUND);
}

static void user_round_trip_roles_and_unique_email(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    const char *field = NULL;
    store_put what;
    md_customer k1 = customer("K1", "", "EUR"), k2 = customer("K2", "", "EUR");
    assert_int_equal(store_customer_put(fx->s, &k1, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_put(fx->s, &k2, NULL, NULL, why, sizeof why), EDI_OK);

    unsigned roles = 0;
    assert_int_equal(store_roles_parse("Approver, admin;buyer", &roles, why, sizeof why), EDI_OK);
    assert_int_equal(roles, STORE_ROLE_ADMIN | STORE_ROLE_APPROVER | STORE_ROLE_BUYER);
    char text[STORE_ROLES_TEXT_MAX];
    store_roles_format(roles | STORE_ROLE_REQUISITIONER, text, sizeof text);
    assert_string_equal(text, "admin approver buyer requisitioner");
    assert_int_equal(store_roles_parse("admin boss", &roles, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "\"boss\""));
    assert_int_equal(store_roles_parse(" ", &roles, why, sizeof why), EDI_E_ARG);

    store_user u = user("U1", "K1", "Anna@K1.example", STORE_ROLE_ADMIN | STORE_ROLE_APPROVER), got;
    assert_int_equal(store_user_put(fx->s, &u, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_NEW);
    assert_int_equal(store_user_get(fx->s, "U1", &got, why, sizeof why), EDI_OK);
    assert_memory_equal(&u, &got, sizeof u);
    assert_int_equal(store_user_put(fx->s, &u, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_UNCHANGED);
    u.roles = STORE_ROLE_BUYER;
    assert_int_equal(store_user_put(fx->s, &u, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_CHANGED);

    /* The e-mail is unique over all users, without regard to case. */
    store_user v = user("U2", "K2", "anna@k1.EXAMPLE", STORE_ROLE_BUYER);
    assert_int_equal(store_user_put(fx->s, &v, NULL, &field, why, sizeof why), EDI_E_CONFLICT);
    assert_string_equal(field, "email");
    assert_non_null(strstr(why, "U1"));
    v = user("U2", "K9", "v@k2.example", STORE_ROLE_BUYER);
    assert_int_equal(store_user_put(fx->s, &v, NULL, &field, why, sizeof why), EDI_E_NOT_FOUND);
    assert_string_equal(field, "customer_id");
    v = user("U2", "K2", "not-an-address", STORE_ROLE_BUYER);
    assert_int_equal(store_user_put(fx->s, &v, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "email");
    v = user("U2", "K2", "v@k2.example", 0);
    assert_int_equal(store_user_put(fx->s, &v, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "roles");
    v = user("U2", "K2", "v@k2.example", STORE_ROLE_REQUISITIONER);
    assert_int_equal(store_user_put(fx->s, &v, NULL, &field, why, sizeof why), EDI_OK);
    store_user w = user("U3", "K1", "w@k1.example", STORE_ROLE_BUYER);
    assert_int_equal(store_user_put(fx->s, &w, NULL, &field, why, sizeof why), EDI_OK);

    int n = 0;
    assert_int_equal(store_user_list(fx->s, "K1", count_user, &n, why, sizeof why), EDI_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(store_user_list(fx->s, NULL, count_user, &n, why, sizeof why), EDI_OK);
    assert_int_equal(n, 3);
}

static void article_round_trip_and_unique_numbers(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    const char *field = NULL;
    store_put what;
    md_article a = article("A1", "4006381333931", "TH-100"), got;
    assert_int_equal(store_article_put(fx->s, &a, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_NEW);
    assert_int_equal(store_article_get(fx->s, "A1", &got, why, sizeof why), EDI_OK);
    assert_memory_equal(&a, &got, sizeof a);
    assert_int_equal(store_article_put(fx->s, &a, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_UNCHANGED);

    /* Two articles without a GTIN are fine; a GTIN or supplier number of another is not. */
    md_article b = article("A2", "", "TH-200"), c = article("A3", "", "TH-300");
    assert_int_equal(store_article_put(fx->s, &b, NULL, &field, why, sizeof why), EDI_OK);
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_OK);
    assert_int_equal(store_article_get(fx->s, "A2", &got, why, sizeof why), EDI_OK);
    assert_string_equal(got.gtin, "");
    c = article("A3", "4006381333931", "TH-300");
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_E_CONFLICT);
    assert_string_equal(field, "gtin");
    assert_non_null(strstr(why, "A1"));
    c = article("A3", "", "TH-100");
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_E_CONFLICT);
    assert_string_equal(field, "supplier_number");

    /* The check digit, units and quantities are checked. */
    c = article("A3", "4006381333932", "TH-300");
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "gtin");
    assert_non_null(strstr(why, "check digit should be 1"));
    c = article("A3", "", "TH-300");
    snprintf(c.units, sizeof c.units, "Stück");
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "units");
    c = article("A3", "", "TH-300");
    snprintf(c.step_quantity, sizeof c.step_quantity, "0");
    assert_int_equal(store_article_put(fx->s, &c, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "step_qty");

    assert_true(store_check_gtin("96385074", why, sizeof why));      /* GTIN-8 */
    assert_true(store_check_gtin("00012345600012", why, sizeof why)); /* GTIN-14 */
    assert_false(store_check_gtin("400638133393", why, sizeof why));
    assert_false(store_check_gtin("40063813339a1", why, sizeof why));
}

static void contract_round_trip_and_references(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    const char *field = NULL;
    store_put what;
    md_customer k1 = customer("K1", "", "EUR");
    md_article a1 = article("A1", "", "N-1"), a2 = article("A2", "", "N-2");
    assert_int_equal(store_customer_put(fx->s, &k1, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_article_put(fx->s, &a1, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_article_put(fx->s, &a2, NULL, NULL, why, sizeof why), EDI_OK);

    store_contract k = contract("C1", "K1", "A1", "B-1", "12.50"), got;
    assert_int_equal(store_contract_put(fx->s, &k, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_NEW);
    assert_int_equal(store_contract_get(fx->s, "C1", &got, why, sizeof why), EDI_OK);
    assert_memory_equal(&k, &got, sizeof k);
    assert_int_equal(store_contract_put(fx->s, &k, &what, &field, why, sizeof why), EDI_OK);
    assert_int_equal(what, STORE_PUT_UNCHANGED);

    store_contract bad = contract("C2", "K9", "A1", "", "1.00");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why),
                     EDI_E_NOT_FOUND);
    assert_string_equal(field, "customer_id");
    bad = contract("C2", "K1", "A9", "", "1.00");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why),
                     EDI_E_NOT_FOUND);
    assert_string_equal(field, "article_id");
    /* One number of the customer names one article. */
    bad = contract("C2", "K1", "A2", "B-1", "1.00");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_string_equal(field, "buyer_article");
    bad = contract("C2", "K1", "A2", "", "1.00");
    snprintf(bad.c.valid_to, sizeof bad.c.valid_to, "2025-12-31");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "valid_to");
    bad = contract("C2", "K1", "A2", "", "1.00");
    snprintf(bad.c.valid_from, sizeof bad.c.valid_from, "2026-13-01");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "valid_from");
    bad = contract("C2", "K1", "A2", "", "1.00");
    snprintf(bad.c.price_basis, sizeof bad.c.price_basis, "0");
    assert_int_equal(store_contract_put(fx->s, &bad, NULL, &field, why, sizeof why), EDI_E_ARG);
    assert_string_equal(field, "price_basis");

    /* The article of a contract stays while the contract does. */
    assert_int_equal(store_article_delete(fx->s, "A1", why, sizeof why), EDI_E_CONFLICT);
    assert_int_equal(store_contract_delete(fx->s, "C1", why, sizeof why), EDI_OK);
    assert_int_equal(store_article_delete(fx->s, "A1", why, sizeof why), EDI_OK);
}

static void writes_join_the_callers_transaction(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    md_customer c = customer("K1", "", "EUR");
    assert_int_equal(store_begin(fx->s, why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why), EDI_OK);
    /* A refused put inside leaves the transaction usable. */
    md_article a = article("A1", "1234", "N-1");
    assert_int_equal(store_article_put(fx->s, &a, NULL, NULL, why, sizeof why), EDI_E_ARG);
    store_rollback(fx->s);
    assert_int_equal(store_customer_get(fx->s, "K1", &c, why, sizeof why), EDI_E_NOT_FOUND);
    assert_int_equal(store_begin(fx->s, why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_put(fx->s, &c, NULL, NULL, why, sizeof why), EDI_OK);
    assert_int_equal(store_commit(fx->s, why, sizeof why), EDI_OK);
    assert_int_equal(raw_int(fx->db, "SELECT COUNT(*) FROM customer"), 1);
}

/* ---- CSV ------------------------------------------------------------------------------ */

static void csv_quotes_newlines_bom_and_reimport(void **state)
{
    fixture *fx = *state;
    char why[1024] = "";
    import_counts n;
    assert_int_equal(import(fx, CORPUS, IMPORT_CUSTOMERS, "customers.csv", &n, why, sizeof why),
                     EDI_OK);
    assert_int_equal(n.rows, 3);
    assert_int_equal(n.added, 3);
    md_customer c;
    /* The byte order mark is not part of the first column's name, so "payment_terms" was
     * found; the quoted name keeps its comma and quote, the terms their line break. */
    assert_int_equal(store_customer_get(fx->s, "C1", &c, why, sizeof why), EDI_OK);
    assert_string_equal(c.name, "Müller \"Haustechnik\" GmbH, Köln");
    assert_non_null(strstr(c.payment_terms, "30 days net\r\n2% discount within 10 days"));
    assert_string_equal(c.credit_limit, "1500.00");
    assert_string_equal(c.currency, "EUR");
    assert_false(c.blocked);
    assert_int_equal(store_customer_get(fx->s, "C2", &c, why, sizeof why), EDI_OK);
    assert_true(c.blocked);
    assert_string_equal(c.credit_limit, "");
    assert_int_equal(store_customer_get(fx->s, "C3", &c, why, sizeof why), EDI_OK);
    assert_string_equal(c.currency, "CHF");
    assert_string_equal(c.payment_terms, "");

    import_ok(fx, CORPUS, IMPORT_USERS, "users.csv");
    import_ok(fx, CORPUS, IMPORT_ARTICLES, "articles.csv");
    import_ok(fx, CORPUS, IMPORT_CONTRACTS, "contracts.csv");
    store_user u;
    assert_int_equal(store_user_get(fx->s, "U3", &u, why, sizeof why), EDI_OK);
    assert_int_equal(u.roles, STORE_ROLE_ADMIN | STORE_ROLE_REQUISITIONER);
    md_article a;
    assert_int_equal(store_article_get(fx->s, "A2", &a, why, sizeof why), EDI_OK);
    assert_string_equal(a.name, "Rohr, Kupfer");
    assert_string_equal(a.step_quantity, "0.5");
    int64_t total = rows(fx);
    assert_int_equal(total, 3 + 3 + 3 + 4);

    /* The same files again change nothing. */
    const struct {
        import_kind kind;
        const char *file;
        size_t rows;
    } again[] = {
        { IMPORT_CUSTOMERS, "customers.csv", 3 }, { IMPORT_USERS, "users.csv", 3 },
        { IMPORT_ARTICLES, "articles.csv", 3 },   { IMPORT_CONTRACTS, "contracts.csv", 4 },
    };
    int64_t stamps = raw_int(fx->db, "SELECT (SELECT SUM(updated_ms) FROM customer) +"
                             " (SELECT SUM(updated_ms) FROM contract)");
    for (size_t i = 0; i < sizeof again / sizeof *again; i++) {
        assert_int_equal(import(fx, CORPUS, again[i].kind, again[i].file, &n, why, sizeof why),
                         EDI_OK);
        assert_int_equal(n.rows, again[i].rows);
        assert_int_equal(n.unchanged, again[i].rows);
        assert_int_equal(n.added + n.changed, 0);
    }
    assert_int_equal(rows(fx), total);
    assert_int_equal(raw_int(fx->db, "SELECT (SELECT SUM(updated_ms) FROM customer) +"
                             " (SELECT SUM(updated_ms) FROM contract)"), stamps);
}

static void csv_bad_rows_refused_with_line_and_column(void **state)
{
    fixture *fx = *state;
    load_corpus(fx);
    const struct {
        import_kind kind;
        const char *file;
        const char *where;     /* "FILE line L, column C" as the message starts */
        const char *what;      /* a piece of the sentence */
    } cases[] = {
        { IMPORT_ARTICLES, "bad-decimal-comma.csv",
          "bad-decimal-comma.csv line 4, column min_qty: ",
          "\"1,5\" is not a decimal number; write 1.5" },
        { IMPORT_ARTICLES, "bad-gtin.csv", "bad-gtin.csv line 2, column gtin: ",
          "check digit should be 1" },
        { IMPORT_ARTICLES, "bad-unit.csv", "bad-unit.csv line 2, column units: ",
          "not a UN/ECE Recommendation 20 unit code" },
        { IMPORT_CONTRACTS, "bad-date.csv", "bad-date.csv line 2, column valid_from: ",
          "\"2026-02-30\" is not a date; write it as YYYY-MM-DD" },
        { IMPORT_CONTRACTS, "bad-date-order.csv", "bad-date-order.csv line 2, column valid_to: ",
          "before valid_from" },
        { IMPORT_CONTRACTS, "bad-reference.csv", "bad-reference.csv line 3, column customer_id: ",
          "there is no customer \"C9\"" },
        { IMPORT_CONTRACTS, "bad-article-reference.csv",
          "bad-article-reference.csv line 2, column article_id: ", "there is no article \"A9\"" },
        { IMPORT_USERS, "bad-role.csv", "bad-role.csv line 3, column roles: ",
          "\"manager\" is not a role" },
        { IMPORT_USERS, "bad-email-taken.csv", "bad-email-taken.csv line 2, column email: ",
          "of user U1" },
        { IMPORT_CUSTOMERS, "bad-currency.csv", "bad-currency.csv line 2, column currency: ",
          "write the ISO 4217 code" },
        { IMPORT_CUSTOMERS, "bad-blocked.csv", "bad-blocked.csv line 2, column blocked: ",
          "write true or false" },
        { IMPORT_CUSTOMERS, "bad-unclosed-quote.csv", "bad-unclosed-quote.csv line 3: ",
          "never closed" },
        { IMPORT_CUSTOMERS, "bad-quote-inside.csv", "bad-quote-inside.csv line 2: ",
          "write the quote twice" },
        { IMPORT_CUSTOMERS, "bad-field-count.csv", "bad-field-count.csv line 3: ",
          "has 7 fields, but the header names 6 columns" },
        { IMPORT_CUSTOMERS, "bad-unknown-column.csv", "bad-unknown-column.csv line 1: ",
          "\"colour\" is not a column of customers" },
        { IMPORT_CUSTOMERS, "bad-missing-column.csv", "bad-missing-column.csv line 1: ",
          "the column currency is missing" },
        { IMPORT_CUSTOMERS, "bad-latin1.csv", "bad-latin1.csv line 3: ", "is not UTF-8" },
    };
    int64_t before = rows(fx);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char why[1024] = "";
        import_counts n;
        edi_result r = import(fx, CORPUS, cases[i].kind, cases[i].file, &n, why, sizeof why);
        if (r != EDI_E_ARG || strncmp(why, cases[i].where, strlen(cases[i].where)) != 0 ||
            !strstr(why, cases[i].what))
            fprintf(stderr, "%s: result %d, \"%s\"\n", cases[i].file, (int)r, why);
        assert_int_equal(r, EDI_E_ARG);
        assert_int_equal(strncmp(why, cases[i].where, strlen(cases[i].where)), 0);
        assert_non_null(strstr(why, cases[i].what));
        /* The listing has it too, and the file's good rows were not imported either. */
        assert_non_null(strstr(fx->problems, cases[i].where));
        assert_int_equal(rows(fx), before);
    }
    /* Every problem of a file is listed, the first also in `why`. */
    char why[1024] = "";
    import_counts n;
    char two[] = "id,gtin,supplier_number,name,units,min_qty,step_qty\n"
                 "B1,123,X-1,,C62,,\n"
                 "B2,,X-2,,C62,abc,\n";
    FILE *out = fmemopen(fx->problems, sizeof fx->problems, "w");
    assert_int_equal(import_csv(fx->s, IMPORT_ARTICLES, "two.csv", two, strlen(two), &n, out, why,
                                sizeof why), EDI_E_ARG);
    fclose(out);
    assert_non_null(strstr(why, "two.csv line 2, column gtin: "));
    assert_non_null(strstr(why, "(and 1 more problem)"));
    assert_non_null(strstr(fx->problems, "two.csv line 3, column min_qty: \"abc\""));
    assert_int_equal(n.refused, 2);
    assert_int_equal(rows(fx), before);
}

/* ---- who manages whom ----------------------------------------------------------------- */

static void admin_manages_own_customers_users_only(void **state)
{
    fixture *fx = *state;
    load_corpus(fx);
    char why[512] = "";
    bool may = true;
    /* U1: admin of C1; U2: buyer of C1; U3: admin of C2. */
    assert_int_equal(store_user_may_manage_user(fx->s, "U1", "U2", &may, why, sizeof why), EDI_OK);
    assert_true(may);
    assert_int_equal(store_user_may_manage_user(fx->s, "U1", "U1", &may, why, sizeof why), EDI_OK);
    assert_true(may);
    assert_int_equal(store_user_may_manage_user(fx->s, "U1", "U3", &may, why, sizeof why), EDI_OK);
    assert_false(may);
    assert_int_equal(store_user_may_manage_user(fx->s, "U3", "U1", &may, why, sizeof why), EDI_OK);
    assert_false(may);
    assert_int_equal(store_user_may_manage_user(fx->s, "U2", "U1", &may, why, sizeof why), EDI_OK);
    assert_false(may);
    may = true;
    assert_int_equal(store_user_may_manage_user(fx->s, "U1", "U9", &may, why, sizeof why),
                     EDI_E_NOT_FOUND);
    assert_false(may);

    store_user admin, buyer;
    assert_int_equal(store_user_get(fx->s, "U1", &admin, why, sizeof why), EDI_OK);
    assert_int_equal(store_user_get(fx->s, "U2", &buyer, why, sizeof why), EDI_OK);
    assert_true(store_user_may_manage(&admin, "C1"));     /* e.g. creating a new user */
    assert_false(store_user_may_manage(&admin, "C2"));
    assert_false(store_user_may_manage(&admin, ""));
    assert_false(store_user_may_manage(&buyer, "C1"));
}

/* ---- the lookups ---------------------------------------------------------------------- */

static void lookup_articles_and_contracts(void **state)
{
    fixture *fx = *state;
    load_corpus(fx);
    store_master_ctx ctx;
    md_lookup md;
    store_master_lookup(fx->s, 0, &ctx, &md);
    assert_true(md_lookup_complete(&md));
    char why[512] = "";
    md_article a;
    md_customer c;
    assert_int_equal(md.customer(md.ctx, "C1", &c, why, sizeof why), EDI_OK);
    assert_string_equal(c.credit_limit, "1500.00");
    assert_int_equal(md.customer(md.ctx, "C9", &c, why, sizeof why), EDI_E_NOT_FOUND);

    assert_int_equal(md.article_by_gtin(md.ctx, "4006381333931", &a, why, sizeof why), EDI_OK);
    assert_string_equal(a.id, "A1");
    assert_true(md_article_allows_unit(&a, "H87"));
    assert_int_equal(md.article_by_gtin(md.ctx, "4006381333948", &a, why, sizeof why),
                     EDI_E_NOT_FOUND);
    assert_int_equal(md.article_by_supplier_number(md.ctx, "TH-200", &a, why, sizeof why), EDI_OK);
    assert_string_equal(a.id, "A2");
    assert_int_equal(md.article_by_supplier_number(md.ctx, "th-200", &a, why, sizeof why),
                     EDI_E_NOT_FOUND);
    /* The buyer's number is the customer's own: through its contracts only. */
    assert_int_equal(md.article_by_buyer_number(md.ctx, "C1", "MH-1", &a, why, sizeof why),
                     EDI_OK);
    assert_string_equal(a.id, "A1");
    assert_string_equal(a.gtin, "4006381333931");
    assert_int_equal(md.article_by_buyer_number(md.ctx, "C2", "MH-1", &a, why, sizeof why),
                     EDI_E_NOT_FOUND);

    /* K0: 2025 at 12.10; K1: 2026 at 12.50 (both C1 x A1); K3: A3 from 2027 on. */
    const struct {
        const char *article, *date, *price, *from;
    } when[] = {
        { "A1", "2026-06-01", "12.50", "2026-01-01" },  /* applies */
        { "A1", "2026-12-31", "12.50", "2026-01-01" },  /* last day */
        { "A1", "2025-06-01", "12.10", "2025-01-01" },  /* the older one applies */
        { "A1", "2027-03-01", "12.50", "2026-01-01" },  /* none: the one that ended last */
        { "A1", "2024-03-01", "12.10", "2025-01-01" },  /* none yet: the first to start */
        { "A3", "2026-06-01", "900.00", "2027-01-01" }, /* not yet valid */
        { "A2", "1999-01-01", "3.95", "" },             /* open both ways */
    };
    for (size_t i = 0; i < sizeof when / sizeof *when; i++) {
        md_contract k;
        assert_int_equal(md.contract(md.ctx, "C1", when[i].article, when[i].date, &k, why,
                                     sizeof why), EDI_OK);
        assert_string_equal(k.price, when[i].price);
        assert_string_equal(k.valid_from, when[i].from);
    }
    md_contract k;
    assert_int_equal(md.contract(md.ctx, "C1", "A2", "2026-06-01", &k, why, sizeof why), EDI_OK);
    assert_string_equal(k.price_basis, "100");
    assert_int_equal(md.contract(md.ctx, "C2", "A1", "2026-06-01", &k, why, sizeof why),
                     EDI_E_NOT_FOUND);
}

static void lookup_duplicates_and_exposure(void **state)
{
    fixture *fx = *state;
    load_corpus(fx);
    char why[512] = "", amount[DECIMAL_TEXT_MAX];
    store_master_ctx ctx5, ctx6;
    md_lookup md5, md6;
    store_master_lookup(fx->s, 5, &ctx5, &md5);
    store_master_lookup(fx->s, 6, &ctx6, &md6);

    bool seen = true;
    assert_int_equal(md5.order_number_seen(md5.ctx, "C1", "PO-1", &seen, why, sizeof why), EDI_OK);
    assert_false(seen);
    assert_int_equal(store_order_number_record(fx->s, "C1", "PO-1", 5, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_number_record(fx->s, "C1", "PO-1", 5, why, sizeof why), EDI_OK);
    assert_int_equal(store_order_number_record(fx->s, "C1", "PO-1", 6, why, sizeof why),
                     EDI_E_CONFLICT);
    assert_non_null(strstr(why, "message 5"));
    /* The order checked itself is not a duplicate of itself; another message's is. */
    assert_int_equal(md5.order_number_seen(md5.ctx, "C1", "PO-1", &seen, why, sizeof why), EDI_OK);
    assert_false(seen);
    assert_int_equal(md6.order_number_seen(md6.ctx, "C1", "PO-1", &seen, why, sizeof why), EDI_OK);
    assert_true(seen);
    assert_int_equal(md6.order_number_seen(md6.ctx, "C2", "PO-1", &seen, why, sizeof why), EDI_OK);
    assert_false(seen);
    assert_int_equal(store_order_number_forget(fx->s, "C1", "PO-1", why, sizeof why), EDI_OK);
    assert_int_equal(md6.order_number_seen(md6.ctx, "C1", "PO-1", &seen, why, sizeof why), EDI_OK);
    assert_false(seen);

    /* Exposure: open orders and invoices added exactly, the order checked left out. */
    assert_int_equal(md6.open_exposure(md6.ctx, "C1", amount, sizeof amount, why, sizeof why),
                     EDI_OK);
    assert_string_equal(amount, "0");
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", "100.10", "EUR", 5,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_INVOICE, "INV-1", "0.905", "EUR",
                                      3, why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-2", "0.1", "EUR", 4,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(md6.open_exposure(md6.ctx, "C1", amount, sizeof amount, why, sizeof why),
                     EDI_OK);
    assert_string_equal(amount, "101.105");
    assert_int_equal(md5.open_exposure(md5.ctx, "C1", amount, sizeof amount, why, sizeof why),
                     EDI_OK);
    assert_string_equal(amount, "1.005");
    /* Setting it again replaces it; releasing removes it. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-2", "0.20", "EUR", 4,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", why,
                                          sizeof why), EDI_OK);
    assert_int_equal(store_credit_release(fx->s, "C1", STORE_CREDIT_ORDER, "PO-1", why,
                                          sizeof why), EDI_E_NOT_FOUND);
    assert_int_equal(md6.open_exposure(md6.ctx, "C1", amount, sizeof amount, why, sizeof why),
                     EDI_OK);
    assert_string_equal(amount, "1.105");
    /* Only in the customer's currency, only decimals. */
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-3", "5.00", "CHF", 7,
                                      why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "EUR"));
    assert_int_equal(store_credit_set(fx->s, "C1", STORE_CREDIT_ORDER, "PO-3", "5,00", "EUR", 7,
                                      why, sizeof why), EDI_E_ARG);
    assert_int_equal(store_credit_set(fx->s, "C9", STORE_CREDIT_ORDER, "PO-3", "5.00", "EUR", 7,
                                      why, sizeof why), EDI_E_NOT_FOUND);
    assert_int_equal(md6.open_exposure(md6.ctx, "C3", amount, sizeof amount, why, sizeof why),
                     EDI_OK);
    assert_string_equal(amount, "0");
    /* A customer with open items cannot be removed. */
    assert_int_equal(store_credit_set(fx->s, "C3", STORE_CREDIT_ORDER, "X-1", "1", "CHF", 7,
                                      why, sizeof why), EDI_OK);
    assert_int_equal(store_customer_delete(fx->s, "C3", why, sizeof why), EDI_E_CONFLICT);
}

/* ---- the order checks on the demo master data ----------------------------------------- */

static xmlDocPtr order_doc(const char *file, const char *from, const char *to)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", CHECKS, file);
    size_t len;
    char *text = slurp(path, &len);
    if (from) {
        char *at = strstr(text, from);
        assert_non_null(at);
        assert_int_equal(strlen(from), strlen(to));
        memcpy(at, to, strlen(to));
    }
    xmlDocPtr doc = xmlReadMemory(text, (int)len, file, NULL, XML_PARSE_NONET);
    free(text);
    assert_non_null(doc);
    return doc;
}

static bool has_reason(const order_check_result *r, order_check_reason reason)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].reason == reason)
            return true;
    return false;
}

static void order_checks_on_the_sample_master_data(void **state)
{
    fixture *fx = *state;
    import_ok(fx, SAMPLES, IMPORT_CUSTOMERS, "customers.csv");
    import_ok(fx, SAMPLES, IMPORT_USERS, "users.csv");
    import_ok(fx, SAMPLES, IMPORT_ARTICLES, "articles.csv");
    import_ok(fx, SAMPLES, IMPORT_CONTRACTS, "contracts.csv");
    store_master_ctx ctx;
    md_lookup md;
    store_master_lookup(fx->s, 2, &ctx, &md);
    char why[640] = "";
    order_check_result r = { 0 };

    /* The sample order's lines (GTIN, supplier number, the customer's number) all resolve
     * and match the contracts of Müller Haustechnik (K-10001). */
    xmlDocPtr doc = order_doc("clean.xml", NULL, NULL);
    assert_int_equal(order_checks_run(doc, "K-10001", &md, NULL, &r, why, sizeof why), EDI_OK);
    for (size_t i = 0; i < r.count; i++)
        fprintf(stderr, "unexpected: %s\n", r.items[i].text);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.outcome, ORDER_ACTION_NONE);
    /* The blocked customer is rejected; another message with the same number is a duplicate. */
    assert_int_equal(order_checks_run(doc, "K-90009", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_true(has_reason(&r, OC_CUSTOMER_BLOCKED));
    assert_int_equal(store_order_number_record(fx->s, "K-10001", "PO-CHK-CLEAN", 1, why,
                                               sizeof why), EDI_OK);
    assert_int_equal(order_checks_run(doc, "K-10001", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_true(has_reason(&r, OC_DUPLICATE_ORDER_NUMBER));
    assert_int_equal(store_order_number_forget(fx->s, "K-10001", "PO-CHK-CLEAN", why, sizeof why),
                     EDI_OK);
    xmlFreeDoc(doc);

    /* 12.90 instead of the contract's 12.50 (tolerance 0 %): held. */
    doc = order_doc("clean.xml", "<netPrice>12.50<", "<netPrice>12.90<");
    assert_int_equal(order_checks_run(doc, "K-20002", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_true(has_reason(&r, OC_NO_CONTRACT));
    assert_int_equal(order_checks_run(doc, "K-10001", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_true(has_reason(&r, OC_PRICE_DIFFERS));
    assert_int_equal(r.outcome, ORDER_ACTION_HOLD);
    xmlFreeDoc(doc);

    /* Credit: open items of K-10001 near its limit of 250000.00 make the order exceed it. */
    assert_int_equal(store_credit_set(fx->s, "K-10001", STORE_CREDIT_INVOICE, "INV-9",
                                      "249500.00", "EUR", 9, why, sizeof why), EDI_OK);
    doc = order_doc("clean.xml", NULL, NULL);
    assert_int_equal(order_checks_run(doc, "K-10001", &md, NULL, &r, why, sizeof why), EDI_OK);
    assert_true(has_reason(&r, OC_CREDIT_LIMIT_EXCEEDED));
    xmlFreeDoc(doc);
    order_check_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(customer_round_trip_and_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(user_round_trip_roles_and_unique_email, setup, teardown),
        cmocka_unit_test_setup_teardown(article_round_trip_and_unique_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(contract_round_trip_and_references, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_join_the_callers_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_quotes_newlines_bom_and_reimport, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_bad_rows_refused_with_line_and_column, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(admin_manages_own_customers_users_only, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_articles_and_contracts, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_duplicates_and_exposure, setup, teardown),
        cmocka_unit_test_setup_teardown(order_checks_on_the_sample_master_data, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return failed;
}

/* store_master.c: master data in the SQLite store (store_master.h), on the tables of
 * migrations 3 and 6 of store_sqlite.c and the handle's statement slots
 * (store_sqlite_internal.h). Every value is checked before it is bound; every statement is
 * prepared once per handle. The running credit totals follow every write of a credit item
 * in the same transaction, so that the exposure is one row to read. */
#include "store_master.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "decimal.h"
#include "store_sqlite_internal.h"

/* ---- statements ----------------------------------------------------------------------- */

#define CUSTOMER_COLS "id, name, blocked, credit_limit, currency, payment_terms"
#define USER_COLS "id, customer_id, name, email, roles"
#define ARTICLE_COLS "id, gtin, supplier_number, name, units, min_quantity, step_quantity"
#define CONTRACT_COLS                                                                      \
    "id, customer_id, article_id, buyer_article, price, price_basis, currency, valid_from," \
    " valid_to, tolerance_percent"
/* A contract that applies on ?3 sorts first, then the one that ended last before it, then
 * the first that starts after it. */
#define APPLIES "(valid_from = '' OR valid_from <= ?3) AND (valid_to = '' OR valid_to >= ?3)"
#define ENDED "(valid_to <> '' AND valid_to < ?3)"
/* credit_total's counts of open items with 0..9 decimals (migration 6 of store_sqlite.c). */
#define TOTAL_DEC_COLS                                                                      \
    "items_dec0, items_dec1, items_dec2, items_dec3, items_dec4, items_dec5, items_dec6,"  \
    " items_dec7, items_dec8, items_dec9"

enum {
    Q_CUST_EXISTS,
    Q_CUST_UPSERT,
    Q_CUST_GET,
    Q_CUST_LIST,
    Q_CUST_DELETE,
    Q_USER_EXISTS,
    Q_USER_EMAIL,
    Q_USER_UPSERT,
    Q_USER_GET,
    Q_USER_LIST,
    Q_USER_LIST_CUST,
    Q_USER_DELETE,
    Q_ART_EXISTS,
    Q_ART_GTIN_OWNER,
    Q_ART_SUPPLIER_OWNER,
    Q_ART_UPSERT,
    Q_ART_GET,
    Q_ART_BY_GTIN,
    Q_ART_BY_SUPPLIER,
    Q_ART_BY_BUYER,
    Q_ART_LIST,
    Q_ART_DELETE,
    Q_CON_EXISTS,
    Q_CON_BUYER_OWNER,
    Q_CON_UPSERT,
    Q_CON_GET,
    Q_CON_LIST,
    Q_CON_LIST_CUST,
    Q_CON_DELETE,
    Q_CON_APPLY,
    Q_SEEN_OWNER,
    Q_SEEN_INSERT,
    Q_SEEN_OTHER,
    Q_SEEN_DELETE,
    Q_CREDIT_UPSERT,
    Q_CREDIT_DELETE,
    Q_CREDIT_OPEN,
    Q_CREDIT_GET,
    Q_CREDIT_AMOUNTS,
    Q_CREDIT_OF_MESSAGE,
    Q_TOTAL_GET,
    Q_TOTAL_PUT,
    Q_TOTAL_DELETE,
    Q_TOTAL_OTHER,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_CUST_EXISTS] = "SELECT 1 FROM customer WHERE id = ?1",
    [Q_CUST_UPSERT] =
        "INSERT INTO customer (" CUSTOMER_COLS ", updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, blocked = excluded.blocked,"
        " credit_limit = excluded.credit_limit, currency = excluded.currency,"
        " payment_terms = excluded.payment_terms, updated_ms = excluded.updated_ms"
        " WHERE (name, blocked, credit_limit, currency, payment_terms) IS NOT (excluded.name,"
        " excluded.blocked, excluded.credit_limit, excluded.currency, excluded.payment_terms)",
    [Q_CUST_GET] = "SELECT " CUSTOMER_COLS " FROM customer WHERE id = ?1",
    [Q_CUST_LIST] = "SELECT " CUSTOMER_COLS " FROM customer ORDER BY id",
    [Q_CUST_DELETE] = "DELETE FROM customer WHERE id = ?1",
    [Q_USER_EXISTS] = "SELECT 1 FROM customer_user WHERE id = ?1",
    [Q_USER_EMAIL] = "SELECT id FROM customer_user WHERE email = ?1 AND id <> ?2",
    [Q_USER_UPSERT] =
        "INSERT INTO customer_user (" USER_COLS ", updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,"
        " name = excluded.name, email = excluded.email, roles = excluded.roles,"
        " updated_ms = excluded.updated_ms WHERE (customer_id, name, email, roles) IS NOT"
        " (excluded.customer_id, excluded.name, excluded.email, excluded.roles)",
    [Q_USER_GET] = "SELECT " USER_COLS " FROM customer_user WHERE id = ?1",
    [Q_USER_LIST] = "SELECT " USER_COLS " FROM customer_user ORDER BY id",
    [Q_USER_LIST_CUST] =
        "SELECT " USER_COLS " FROM customer_user WHERE customer_id = ?1 ORDER BY id",
    [Q_USER_DELETE] = "DELETE FROM customer_user WHERE id = ?1",
    [Q_ART_EXISTS] = "SELECT 1 FROM article WHERE id = ?1",
    [Q_ART_GTIN_OWNER] = "SELECT id FROM article WHERE gtin = ?1 AND id <> ?2",
    [Q_ART_SUPPLIER_OWNER] = "SELECT id FROM article WHERE supplier_number = ?1 AND id <> ?2",
    [Q_ART_UPSERT] =
        "INSERT INTO article (" ARTICLE_COLS ", updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8) ON CONFLICT (id) DO UPDATE SET gtin = excluded.gtin,"
        " supplier_number = excluded.supplier_number, name = excluded.name,"
        " units = excluded.units, min_quantity = excluded.min_quantity,"
        " step_quantity = excluded.step_quantity, updated_ms = excluded.updated_ms"
        " WHERE (gtin, supplier_number, name, units, min_quantity, step_quantity) IS NOT"
        " (excluded.gtin, excluded.supplier_number, excluded.name, excluded.units,"
        " excluded.min_quantity, excluded.step_quantity)",
    [Q_ART_GET] = "SELECT " ARTICLE_COLS " FROM article WHERE id = ?1",
    [Q_ART_BY_GTIN] = "SELECT " ARTICLE_COLS " FROM article WHERE gtin = ?1",
    [Q_ART_BY_SUPPLIER] = "SELECT " ARTICLE_COLS " FROM article WHERE supplier_number = ?1",
    [Q_ART_BY_BUYER] =
        "SELECT a.id, a.gtin, a.supplier_number, a.name, a.units, a.min_quantity,"
        " a.step_quantity FROM contract c JOIN article a ON a.id = c.article_id"
        " WHERE c.customer_id = ?1 AND c.buyer_article = ?2"
        " ORDER BY c.valid_to = '' DESC, c.valid_to DESC, c.id LIMIT 1",
    [Q_ART_LIST] = "SELECT " ARTICLE_COLS " FROM article ORDER BY id",
    [Q_ART_DELETE] = "DELETE FROM article WHERE id = ?1",
    [Q_CON_EXISTS] = "SELECT 1 FROM contract WHERE id = ?1",
    [Q_CON_BUYER_OWNER] =
        "SELECT id, article_id FROM contract WHERE customer_id = ?1 AND buyer_article = ?2"
        " AND article_id <> ?3 AND id <> ?4 LIMIT 1",
    [Q_CON_UPSERT] =
        "INSERT INTO contract (" CONTRACT_COLS ", updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO UPDATE SET"
        " customer_id = excluded.customer_id, article_id = excluded.article_id,"
        " buyer_article = excluded.buyer_article, price = excluded.price,"
        " price_basis = excluded.price_basis, currency = excluded.currency,"
        " valid_from = excluded.valid_from, valid_to = excluded.valid_to,"
        " tolerance_percent = excluded.tolerance_percent, updated_ms = excluded.updated_ms"
        " WHERE (customer_id, article_id, buyer_article, price, price_basis, currency,"
        " valid_from, valid_to, tolerance_percent) IS NOT (excluded.customer_id,"
        " excluded.article_id, excluded.buyer_article, excluded.price, excluded.price_basis,"
        " excluded.currency, excluded.valid_from, excluded.valid_to,"
        " excluded.tolerance_percent)",
    [Q_CON_GET] = "SELECT " CONTRACT_COLS " FROM contract WHERE id = ?1",
    [Q_CON_LIST] = "SELECT " CONTRACT_COLS " FROM contract ORDER BY id",
    [Q_CON_LIST_CUST] =
        "SELECT " CONTRACT_COLS " FROM contract WHERE customer_id = ?1 ORDER BY id",
    [Q_CON_DELETE] = "DELETE FROM contract WHERE id = ?1",
    [Q_CON_APPLY] =
        "SELECT " CONTRACT_COLS " FROM contract WHERE customer_id = ?1 AND article_id = ?2"
        " ORDER BY CASE WHEN " APPLIES " THEN 0 WHEN " ENDED " THEN 1 ELSE 2 END,"
        " CASE WHEN " APPLIES " THEN valid_from WHEN " ENDED " THEN valid_to END DESC,"
        " valid_from, id LIMIT 1",
    [Q_SEEN_OWNER] =
        "SELECT message_id FROM order_number_seen WHERE customer_id = ?1 AND order_number = ?2",
    [Q_SEEN_INSERT] = "INSERT INTO order_number_seen (customer_id, order_number, message_id,"
                      " at_ms) VALUES (?1, ?2, ?3, ?4)",
    [Q_SEEN_OTHER] = "SELECT 1 FROM order_number_seen WHERE customer_id = ?1"
                     " AND order_number = ?2 AND message_id <> ?3",
    [Q_SEEN_DELETE] =
        "DELETE FROM order_number_seen WHERE customer_id = ?1 AND order_number = ?2",
    [Q_CREDIT_UPSERT] =
        "INSERT INTO credit_item (customer_id, kind, reference, amount, currency, message_id,"
        " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (customer_id, kind,"
        " reference) DO UPDATE SET amount = excluded.amount, currency = excluded.currency,"
        " message_id = excluded.message_id, updated_ms = excluded.updated_ms",
    [Q_CREDIT_DELETE] =
        "DELETE FROM credit_item WHERE customer_id = ?1 AND kind = ?2 AND reference = ?3",
    [Q_CREDIT_OPEN] = "SELECT kind, reference, amount, currency FROM credit_item"
                      " WHERE customer_id = ?1 AND message_id <> ?2 ORDER BY kind, reference",
    [Q_CREDIT_GET] = "SELECT amount, currency FROM credit_item WHERE customer_id = ?1"
                     " AND kind = ?2 AND reference = ?3",
    [Q_CREDIT_AMOUNTS] =
        "SELECT amount FROM credit_item WHERE customer_id = ?1 AND currency = ?2",
    [Q_CREDIT_OF_MESSAGE] =
        "SELECT amount, currency FROM credit_item WHERE customer_id = ?1 AND message_id = ?2",
    [Q_TOTAL_GET] = "SELECT amount, items, " TOTAL_DEC_COLS " FROM credit_total"
                    " WHERE customer_id = ?1 AND currency = ?2",
    [Q_TOTAL_PUT] = "INSERT OR REPLACE INTO credit_total (customer_id, currency, amount, items, "
                    TOTAL_DEC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                    " ?12, ?13, ?14)",
    [Q_TOTAL_DELETE] = "DELETE FROM credit_total WHERE customer_id = ?1 AND currency = ?2",
    [Q_TOTAL_OTHER] =
        "SELECT 1 FROM credit_total WHERE customer_id = ?1 AND currency <> ?2 LIMIT 1",
};

static const char *const credit_kinds[] = { "order", "invoice" };

static sqlite3_stmt *q(store *s, int which, char *why, size_t why_n)
{
    return store_sqlite_stmt(s, which, sql[which], why, why_n);
}

static edi_result fail(store *s, const char *what, char *why, size_t why_n)
{
    edi_say(why, why_n, "%s failed in the database %s: %s", what, store_sqlite_path(s),
            sqlite3_errmsg(store_sqlite_db(s)));
    return EDI_E_STORE;
}

static void bind(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

/* A text column into a fixed-size field, cut at a character boundary when too long. */
static void col(sqlite3_stmt *st, int i, char *field, size_t size)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(field, t, n);
    field[n] = '\0';
}

/* Run a statement with one or two text parameters that returns at most one row; *found
 * says whether it did; `row` (may be NULL) reads it. */
static edi_result one_row(store *s, int which, const char *a, const char *b,
                          void (*row)(sqlite3_stmt *st, void *out), void *out, bool *found,
                          char *why, size_t why_n)
{
    sqlite3_stmt *st = q(s, which, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, a);
    if (b)
        bind(st, 2, b);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW && row)
        row(st, out);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = fail(s, "reading master data", why, why_n);
    store_sqlite_done(st);
    return r;
}

/* ---- rows into records ---------------------------------------------------------------- */

static void row_customer(sqlite3_stmt *st, void *out)
{
    md_customer *c = out;
    memset(c, 0, sizeof *c);
    col(st, 0, c->id, sizeof c->id);
    col(st, 1, c->name, sizeof c->name);
    c->blocked = sqlite3_column_int(st, 2) != 0;
    col(st, 3, c->credit_limit, sizeof c->credit_limit);
    col(st, 4, c->currency, sizeof c->currency);
    col(st, 5, c->payment_terms, sizeof c->payment_terms);
}

static void row_user(sqlite3_stmt *st, void *out)
{
    store_user *u = out;
    memset(u, 0, sizeof *u);
    col(st, 0, u->id, sizeof u->id);
    col(st, 1, u->customer_id, sizeof u->customer_id);
    col(st, 2, u->name, sizeof u->name);
    col(st, 3, u->email, sizeof u->email);
    u->roles = (unsigned)sqlite3_column_int(st, 4);
}

static void row_article(sqlite3_stmt *st, void *out)
{
    md_article *a = out;
    memset(a, 0, sizeof *a);
    col(st, 0, a->id, sizeof a->id);
    col(st, 1, a->gtin, sizeof a->gtin);
    col(st, 2, a->supplier_number, sizeof a->supplier_number);
    col(st, 3, a->name, sizeof a->name);
    col(st, 4, a->units, sizeof a->units);
    col(st, 5, a->min_quantity, sizeof a->min_quantity);
    col(st, 6, a->step_quantity, sizeof a->step_quantity);
}

static void row_contract(sqlite3_stmt *st, void *out)
{
    store_contract *k = out;
    memset(k, 0, sizeof *k);
    col(st, 0, k->id, sizeof k->id);
    col(st, 1, k->c.customer_id, sizeof k->c.customer_id);
    col(st, 2, k->c.article_id, sizeof k->c.article_id);
    col(st, 3, k->c.buyer_article, sizeof k->c.buyer_article);
    col(st, 4, k->c.price, sizeof k->c.price);
    col(st, 5, k->c.price_basis, sizeof k->c.price_basis);
    col(st, 6, k->c.currency, sizeof k->c.currency);
    col(st, 7, k->c.valid_from, sizeof k->c.valid_from);
    col(st, 8, k->c.valid_to, sizeof k->c.valid_to);
    col(st, 9, k->c.tolerance_percent, sizeof k->c.tolerance_percent);
}

/* ---- roles ---------------------------------------------------------------------------- */

static const char *const role_names[] = { "admin", "approver", "buyer", "requisitioner" };
#define ROLE_COUNT 4

edi_result store_roles_parse(const char *text, unsigned *roles, char *why, size_t why_n)
{
    *roles = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " \t,;");
        int found = -1;
        for (int i = 0; i < ROLE_COUNT; i++)
            if (strlen(role_names[i]) == n && strncasecmp(p, role_names[i], n) == 0)
                found = i;
        if (found < 0) {
            edi_say(why, why_n, "\"%.*s\" is not a role; write admin, approver, buyer or "
                    "requisitioner, several separated by blanks", (int)(n > 40 ? 40 : n), p);
            return EDI_E_ARG;
        }
        *roles |= 1u << found;
        p += n;
    }
    if (!*roles) {
        edi_say(why, why_n, "no role is given; write at least one of admin, approver, buyer "
                "or requisitioner");
        return EDI_E_ARG;
    }
    return EDI_OK;
}

void store_roles_format(unsigned roles, char *out, size_t n)
{
    if (!out || !n)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (!(roles & (1u << i)))
            continue;
        int w = snprintf(out + used, n - used, "%s%s", used ? " " : "", role_names[i]);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

/* ---- checking values ------------------------------------------------------------------ */

/* Refuse a value: the field at fault and a sentence. */
static edi_result bad(const char **field, const char *name, char *why, size_t why_n,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static edi_result bad(const char **field, const char *name, char *why, size_t why_n,
                      const char *fmt, ...)
{
    if (field)
        *field = name;
    if (why && why_n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_n, fmt, ap);
        va_end(ap);
    }
    return EDI_E_ARG;
}

/* The field is NUL-terminated within its array (a record from C may not be). */
#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static bool has_control(const char *t, bool allow_newline)
{
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        if ((*p < 0x20 && !(allow_newline && (*p == '\n' || *p == '\r' || *p == '\t'))) ||
            *p == 0x7F)
            return true;
    return false;
}

/* An id or number: required, no control characters, no blanks around it. */
static edi_result check_id(const char *v, const char *name, bool required, const char **field,
                           char *why, size_t why_n)
{
    if (!*v) {
        if (!required)
            return EDI_OK;
        return bad(field, name, why, why_n, "is empty; every record needs its %s", name);
    }
    if (has_control(v, false))
        return bad(field, name, why, why_n, "\"%.60s\" contains a control character (a line "
                   "break or tab); write the number on one line", v);
    if (v[0] == ' ' || v[strlen(v) - 1] == ' ')
        return bad(field, name, why, why_n, "\"%.60s\" has blanks around it; remove them", v);
    return EDI_OK;
}

static edi_result check_name(const char *v, const char *name, bool required,
                             const char **field, char *why, size_t why_n)
{
    if (required && !*v)
        return bad(field, name, why, why_n, "is empty; write the %s", name);
    if (has_control(v, true))
        return bad(field, name, why, why_n, "\"%.60s\" contains a control character; remove "
                   "it", v);
    return EDI_OK;
}

/* A decimal text: "" allowed unless required; `positive`: more than zero, else 0 or more. */
static edi_result check_decimal(const char *v, const char *name, bool required, bool positive,
                                const char **field, char *why, size_t why_n)
{
    if (!*v) {
        if (!required)
            return EDI_OK;
        return bad(field, name, why, why_n, "is empty; write a number such as 12.50");
    }
    const char *comma = strchr(v, ',');
    if (comma) {
        char fixed[DECIMAL_TEXT_MAX];
        snprintf(fixed, sizeof fixed, "%.*s.%s", (int)(comma - v), v, comma + 1);
        return bad(field, name, why, why_n, "\"%.40s\" is not a decimal number; write %s "
                   "(a point, not a comma, before the decimals)", v, fixed);
    }
    decimal d;
    char inner[160] = "";
    if (decimal_parse(v, &d, inner, sizeof inner) != EDI_OK)
        return bad(field, name, why, why_n, "\"%.40s\" is not a decimal number (%s); write "
                   "digits with a point before the decimals, such as 12.50", v, inner);
    if (d.units < 0)
        return bad(field, name, why, why_n, "\"%.40s\" is negative; write 0 or more", v);
    if (positive && d.units == 0)
        return bad(field, name, why, why_n, "\"%.40s\" is zero; write a number above 0, or "
                   "leave it empty", v);
    return EDI_OK;
}

static edi_result check_currency(const char *v, const char *name, const char **field,
                                 char *why, size_t why_n)
{
    bool ok = strlen(v) == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = v[i] >= 'A' && v[i] <= 'Z';
    if (!ok)
        return bad(field, name, why, why_n, "\"%.20s\" is not a currency code; write the ISO "
                   "4217 code in capitals, such as EUR", v);
    return EDI_OK;
}

bool store_check_gtin(const char *v, char *why, size_t why_n)
{
    size_t n = strlen(v);
    if (n != 8 && n != 12 && n != 13 && n != 14) {
        edi_say(why, why_n, "\"%.40s\" is not a GTIN: it has %zu characters, a GTIN has 8, "
                "12, 13 or 14 digits; correct it or leave it empty", v, n);
        return false;
    }
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            edi_say(why, why_n, "\"%.40s\" is not a GTIN: it may only have digits", v);
            return false;
        }
        if (i + 1 < n)   /* from the right, the digits before the check digit weigh 3, 1, ... */
            sum += (v[i] - '0') * (((n - 1 - i) % 2) ? 3 : 1);
    }
    int check = (10 - sum % 10) % 10;
    if (v[n - 1] - '0' != check) {
        edi_say(why, why_n, "\"%s\" is not a GTIN: its check digit should be %d for the "
                "digits before it; check the number", v, check);
        return false;
    }
    return true;
}

bool store_check_date(const char *v, char *why, size_t why_n)
{
    static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool ok = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        ok = i == 4 || i == 7 || (v[i] >= '0' && v[i] <= '9');
    if (ok) {
        int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        ok = m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] && (m != 2 || d <= 28 || leap);
    }
    if (!ok)
        edi_say(why, why_n, "\"%.40s\" is not a date; write it as YYYY-MM-DD, such as "
                "2026-12-31", v);
    return ok;
}

static edi_result check_date(const char *v, const char *name, const char **field, char *why,
                             size_t why_n)
{
    if (!*v || store_check_date(v, why, why_n))
        return EDI_OK;
    if (field)
        *field = name;
    return EDI_E_ARG;
}

/* Unit codes (UN/ECE Rec 20: 2 or 3 capitals and digits) separated by blanks. */
static edi_result check_units(const char *v, const char **field, char *why, size_t why_n)
{
    const char *p = v;
    int count = 0;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ,");
        bool ok = n >= 2 && n <= 3;
        for (size_t i = 0; ok && i < n; i++)
            ok = (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9');
        if (!ok)
            return bad(field, "units", why, why_n, "\"%.*s\" is not a UN/ECE Recommendation "
                       "20 unit code; write codes such as C62 (piece), MTR or KGM, separated "
                       "by blanks", (int)(n > 20 ? 20 : n), p);
        count++;
        p += n;
    }
    if (!count)
        return bad(field, "units", why, why_n, "is empty; write the allowed units separated by "
                   "blanks, the base unit first (for example \"C62 H87\")");
    return EDI_OK;
}

static edi_result check_email(const char *v, const char **field, char *why, size_t why_n)
{
    const char *at = strchr(v, '@');
    bool ok = at && at != v && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
              at[1] != '.' && v[strlen(v) - 1] != '.' && !strpbrk(v, " \t\r\n<>,;\"");
    if (!ok || has_control(v, false))
        return bad(field, "email", why, why_n, "\"%.80s\" is not an e-mail address; write "
                   "one such as anna.schmidt@example.com", v);
    return EDI_OK;
}

/* Look up whether `id` exists with the existence statement `which`. */
static edi_result exists(store *s, int which, const char *id, bool *found, char *why,
                         size_t why_n)
{
    return one_row(s, which, id, NULL, NULL, NULL, found, why, why_n);
}

/* The id of another record holding a unique value; *found false when none does. */
static void row_first_text(sqlite3_stmt *st, void *out)
{
    col(st, 0, out, MD_ID_MAX);
}

/* ---- writing -------------------------------------------------------------------------- */

/* Step an upsert and say what it did: it was new unless `existed`; unchanged when the
 * statement's WHERE found nothing different. */
static edi_result upsert_step(store *s, sqlite3_stmt *st, bool existed, const char *what,
                              store_put *out, char *why, size_t why_n)
{
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return fail(s, what, why, why_n);
    if (out)
        *out = !existed ? STORE_PUT_NEW
               : sqlite3_changes(store_sqlite_db(s)) ? STORE_PUT_CHANGED
                                                     : STORE_PUT_UNCHANGED;
    return EDI_OK;
}

static edi_result customer_check(const md_customer *c, const char **field, char *why,
                                 size_t why_n)
{
    edi_result r;
    if (!TERMINATED(c->id) || !TERMINATED(c->name) || !TERMINATED(c->credit_limit) ||
        !TERMINATED(c->currency) || !TERMINATED(c->payment_terms))
        return bad(field, "id", why, why_n, "a field of the customer record is not "
                   "terminated");
    if ((r = check_id(c->id, "id", true, field, why, why_n)) != EDI_OK ||
        (r = check_name(c->name, "name", true, field, why, why_n)) != EDI_OK ||
        (r = check_decimal(c->credit_limit, "credit_limit", false, false, field, why,
                           why_n)) != EDI_OK ||
        (r = check_currency(c->currency, "currency", field, why, why_n)) != EDI_OK ||
        (r = check_name(c->payment_terms, "payment_terms", false, field, why, why_n)) !=
            EDI_OK)
        return r;
    return EDI_OK;
}

edi_result store_customer_put(store *s, const md_customer *c, store_put *what,
                              const char **field, char *why, size_t why_n)
{
    if (!s || !c)
        return bad(field, "id", why, why_n, "store_customer_put needs a store and a customer");
    edi_result r = customer_check(c, field, why, why_n);
    if (r != EDI_OK)
        return r;
    bool own, existed = false;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    r = exists(s, Q_CUST_EXISTS, c->id, &existed, why, why_n);
    sqlite3_stmt *st = r == EDI_OK ? q(s, Q_CUST_UPSERT, why, why_n) : NULL;
    if (st) {
        bind(st, 1, c->id);
        bind(st, 2, c->name);
        sqlite3_bind_int(st, 3, c->blocked ? 1 : 0);
        bind(st, 4, c->credit_limit);
        bind(st, 5, c->currency);
        bind(st, 6, c->payment_terms);
        sqlite3_bind_int64(st, 7, store_now_ms());
        r = upsert_step(s, st, existed, "writing a customer", what, why, why_n);
    } else if (r == EDI_OK) {
        r = EDI_E_STORE;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

/* The record `id` that the field `name` refers to must exist (the existence statement
 * `which`): EDI_E_NOT_FOUND naming the field and saying what to do (`hint`) otherwise. */
static edi_result need(store *s, int which, const char *id, const char *name, const char *kind,
                       const char *hint, const char **field, char *why, size_t why_n)
{
    bool found = false;
    edi_result r = exists(s, which, id, &found, why, why_n);
    if (r != EDI_OK || found)
        return r;
    if (field)
        *field = name;
    edi_say(why, why_n, "there is no %s \"%.60s\"; %s", kind, id, hint);
    return EDI_E_NOT_FOUND;
}

/* Another record holding a value that must be unique: EDI_E_CONFLICT naming the field. */
static edi_result unique(store *s, int which, const char *value, const char *id,
                         const char *name, const char *kind, const char **field, char *why,
                         size_t why_n)
{
    char other[MD_ID_MAX] = "";
    bool found = false;
    edi_result r = one_row(s, which, value, id, row_first_text, other, &found, why, why_n);
    if (r != EDI_OK || !found)
        return r;
    if (field)
        *field = name;
    edi_say(why, why_n, "\"%.80s\" is already the %s of %s %s; each may belong to one only, "
            "so correct it here or there", value, name, kind, other);
    return EDI_E_CONFLICT;
}

edi_result store_user_put(store *s, const store_user *u, store_put *what, const char **field,
                          char *why, size_t why_n)
{
    if (!s || !u)
        return bad(field, "id", why, why_n, "store_user_put needs a store and a user");
    edi_result r;
    if (!TERMINATED(u->id) || !TERMINATED(u->customer_id) || !TERMINATED(u->name) ||
        !TERMINATED(u->email))
        return bad(field, "id", why, why_n, "a field of the user record is not terminated");
    if ((r = check_id(u->id, "id", true, field, why, why_n)) != EDI_OK ||
        (r = check_id(u->customer_id, "customer_id", true, field, why, why_n)) != EDI_OK ||
        (r = check_name(u->name, "name", true, field, why, why_n)) != EDI_OK ||
        (r = check_email(u->email, field, why, why_n)) != EDI_OK)
        return r;
    if (u->roles == 0 || (u->roles & ~(unsigned)STORE_ROLES_ALL))
        return bad(field, "roles", why, why_n, "a user needs at least one of the roles admin, "
                   "approver, buyer and requisitioner");
    bool own, existed = false;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    if ((r = need(s, Q_CUST_EXISTS, u->customer_id, "customer_id", "customer",
                  "import or create the customer first, or correct the number", field, why,
                  why_n)) == EDI_OK &&
        (r = unique(s, Q_USER_EMAIL, u->email, u->id, "email", "user", field, why, why_n)) ==
            EDI_OK)
        r = exists(s, Q_USER_EXISTS, u->id, &existed, why, why_n);
    sqlite3_stmt *st = r == EDI_OK ? q(s, Q_USER_UPSERT, why, why_n) : NULL;
    if (st) {
        bind(st, 1, u->id);
        bind(st, 2, u->customer_id);
        bind(st, 3, u->name);
        bind(st, 4, u->email);
        sqlite3_bind_int(st, 5, (int)u->roles);
        sqlite3_bind_int64(st, 6, store_now_ms());
        r = upsert_step(s, st, existed, "writing a customer user", what, why, why_n);
    } else if (r == EDI_OK) {
        r = EDI_E_STORE;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_article_put(store *s, const md_article *a, store_put *what,
                             const char **field, char *why, size_t why_n)
{
    if (!s || !a)
        return bad(field, "id", why, why_n, "store_article_put needs a store and an article");
    edi_result r;
    if (!TERMINATED(a->id) || !TERMINATED(a->gtin) || !TERMINATED(a->supplier_number) ||
        !TERMINATED(a->name) || !TERMINATED(a->units) || !TERMINATED(a->min_quantity) ||
        !TERMINATED(a->step_quantity))
        return bad(field, "id", why, why_n, "a field of the article record is not terminated");
    if ((r = check_id(a->id, "id", true, field, why, why_n)) != EDI_OK ||
        (r = check_id(a->supplier_number, "supplier_number", true, field, why, why_n)) !=
            EDI_OK ||
        (r = check_name(a->name, "name", false, field, why, why_n)) != EDI_OK ||
        (r = check_units(a->units, field, why, why_n)) != EDI_OK ||
        (r = check_decimal(a->min_quantity, "min_qty", false, true, field, why, why_n)) !=
            EDI_OK ||
        (r = check_decimal(a->step_quantity, "step_qty", false, true, field, why, why_n)) !=
            EDI_OK)
        return r;
    if (a->gtin[0] && !store_check_gtin(a->gtin, why, why_n)) {
        if (field)
            *field = "gtin";
        return EDI_E_ARG;
    }
    bool own, existed = false;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    if ((!a->gtin[0] || (r = unique(s, Q_ART_GTIN_OWNER, a->gtin, a->id, "gtin", "article",
                                    field, why, why_n)) == EDI_OK) &&
        (r = unique(s, Q_ART_SUPPLIER_OWNER, a->supplier_number, a->id, "supplier_number",
                    "article", field, why, why_n)) == EDI_OK)
        r = exists(s, Q_ART_EXISTS, a->id, &existed, why, why_n);
    sqlite3_stmt *st = r == EDI_OK ? q(s, Q_ART_UPSERT, why, why_n) : NULL;
    if (st) {
        bind(st, 1, a->id);
        if (a->gtin[0])
            bind(st, 2, a->gtin);
        else
            sqlite3_bind_null(st, 2);
        bind(st, 3, a->supplier_number);
        bind(st, 4, a->name);
        bind(st, 5, a->units);
        bind(st, 6, a->min_quantity);
        bind(st, 7, a->step_quantity);
        sqlite3_bind_int64(st, 8, store_now_ms());
        r = upsert_step(s, st, existed, "writing an article", what, why, why_n);
    } else if (r == EDI_OK) {
        r = EDI_E_STORE;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

static edi_result contract_check(const store_contract *k, const char **field, char *why,
                                 size_t why_n)
{
    const md_contract *c = &k->c;
    edi_result r;
    if (!TERMINATED(k->id) || !TERMINATED(c->customer_id) || !TERMINATED(c->article_id) ||
        !TERMINATED(c->buyer_article) || !TERMINATED(c->price) || !TERMINATED(c->price_basis) ||
        !TERMINATED(c->currency) || !TERMINATED(c->valid_from) || !TERMINATED(c->valid_to) ||
        !TERMINATED(c->tolerance_percent))
        return bad(field, "id", why, why_n, "a field of the contract record is not "
                   "terminated");
    if ((r = check_id(k->id, "id", true, field, why, why_n)) != EDI_OK ||
        (r = check_id(c->customer_id, "customer_id", true, field, why, why_n)) != EDI_OK ||
        (r = check_id(c->article_id, "article_id", true, field, why, why_n)) != EDI_OK ||
        (r = check_id(c->buyer_article, "buyer_article", false, field, why, why_n)) !=
            EDI_OK ||
        (r = check_decimal(c->price, "price", true, false, field, why, why_n)) != EDI_OK ||
        (r = check_decimal(c->price_basis, "price_basis", false, true, field, why, why_n)) !=
            EDI_OK ||
        (r = check_currency(c->currency, "currency", field, why, why_n)) != EDI_OK ||
        (r = check_date(c->valid_from, "valid_from", field, why, why_n)) != EDI_OK ||
        (r = check_date(c->valid_to, "valid_to", field, why, why_n)) != EDI_OK ||
        (r = check_decimal(c->tolerance_percent, "tolerance_percent", false, false, field, why,
                           why_n)) != EDI_OK)
        return r;
    if (c->valid_from[0] && c->valid_to[0] && strcmp(c->valid_from, c->valid_to) > 0)
        return bad(field, "valid_to", why, why_n, "%s is before valid_from %s; the last day "
                   "must not come before the first", c->valid_to, c->valid_from);
    return EDI_OK;
}

edi_result store_contract_put(store *s, const store_contract *k, store_put *what,
                              const char **field, char *why, size_t why_n)
{
    if (!s || !k)
        return bad(field, "id", why, why_n, "store_contract_put needs a store and a contract");
    edi_result r = contract_check(k, field, why, why_n);
    if (r != EDI_OK)
        return r;
    const md_contract *c = &k->c;
    bool own, existed = false;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    if ((r = need(s, Q_CUST_EXISTS, c->customer_id, "customer_id", "customer",
                  "import or create the customer first, or correct the number", field, why,
                  why_n)) == EDI_OK &&
        (r = need(s, Q_ART_EXISTS, c->article_id, "article_id", "article",
                  "import or create the article first, or correct the number", field, why,
                  why_n)) == EDI_OK &&
        c->buyer_article[0]) {
        sqlite3_stmt *st = q(s, Q_CON_BUYER_OWNER, why, why_n);
        if (!st) {
            r = EDI_E_STORE;
        } else {
            bind(st, 1, c->customer_id);
            bind(st, 2, c->buyer_article);
            bind(st, 3, c->article_id);
            bind(st, 4, k->id);
            int rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                if (field)
                    *field = "buyer_article";
                edi_say(why, why_n, "the customer's number \"%.60s\" already names article "
                        "%.60s (contract %.60s); one number of the customer names one "
                        "article, so correct it here or there", c->buyer_article,
                        (const char *)sqlite3_column_text(st, 1),
                        (const char *)sqlite3_column_text(st, 0));
                r = EDI_E_CONFLICT;
            } else if (rc != SQLITE_DONE) {
                r = fail(s, "reading contracts", why, why_n);
            }
            store_sqlite_done(st);
        }
    }
    if (r == EDI_OK)
        r = exists(s, Q_CON_EXISTS, k->id, &existed, why, why_n);
    sqlite3_stmt *st = r == EDI_OK ? q(s, Q_CON_UPSERT, why, why_n) : NULL;
    if (st) {
        bind(st, 1, k->id);
        bind(st, 2, c->customer_id);
        bind(st, 3, c->article_id);
        bind(st, 4, c->buyer_article);
        bind(st, 5, c->price);
        bind(st, 6, c->price_basis);
        bind(st, 7, c->currency);
        bind(st, 8, c->valid_from);
        bind(st, 9, c->valid_to);
        bind(st, 10, c->tolerance_percent);
        sqlite3_bind_int64(st, 11, store_now_ms());
        r = upsert_step(s, st, existed, "writing a contract", what, why, why_n);
    } else if (r == EDI_OK) {
        r = EDI_E_STORE;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

/* ---- reading -------------------------------------------------------------------------- */

static edi_result get(store *s, int which, const char *id, const char *kind,
                      void (*row)(sqlite3_stmt *, void *), void *out, char *why, size_t why_n)
{
    if (!s || !id || !out) {
        edi_say(why, why_n, "reading a %s needs a store, an id and a record", kind);
        return EDI_E_ARG;
    }
    bool found = false;
    edi_result r = one_row(s, which, id, NULL, row, out, &found, why, why_n);
    if (r == EDI_OK && !found) {
        edi_say(why, why_n, "there is no %s \"%.60s\" in the database %s", kind, id,
                store_sqlite_path(s));
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

edi_result store_customer_get(store *s, const char *id, md_customer *out, char *why,
                              size_t why_n)
{
    return get(s, Q_CUST_GET, id, "customer", row_customer, out, why, why_n);
}

edi_result store_user_get(store *s, const char *id, store_user *out, char *why, size_t why_n)
{
    return get(s, Q_USER_GET, id, "customer user", row_user, out, why, why_n);
}

edi_result store_article_get(store *s, const char *id, md_article *out, char *why, size_t why_n)
{
    return get(s, Q_ART_GET, id, "article", row_article, out, why, why_n);
}

edi_result store_contract_get(store *s, const char *id, store_contract *out, char *why,
                              size_t why_n)
{
    return get(s, Q_CON_GET, id, "contract", row_contract, out, why, why_n);
}

/* Every row of a listing into a record of `size` bytes, handed to `each`. */
static edi_result list(store *s, int which, const char *param, size_t size,
                       void (*row)(sqlite3_stmt *, void *), int (*each)(void *, const void *),
                       void *ctx, char *why, size_t why_n)
{
    if (!s || !each) {
        edi_say(why, why_n, "a master data listing needs a store and a callback");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, which, why, why_n);
    if (!st)
        return EDI_E_STORE;
    void *rec = malloc(size);
    if (!rec) {
        edi_say(why, why_n, "out of memory listing master data");
        return EDI_E_NOMEM;
    }
    if (param)
        bind(st, 1, param);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing master data", &r, why, why_n)) {
        row(st, rec);
        if (each(ctx, rec) != 0)
            break;
    }
    free(rec);
    store_sqlite_done(st);
    return r;
}

/* The callbacks take typed records; `list` hands them on through these adapters. */
typedef struct {
    int (*customer)(void *, const md_customer *);
    int (*user)(void *, const store_user *);
    int (*article)(void *, const md_article *);
    int (*contract)(void *, const store_contract *);
    void *ctx;
} typed_each;

static int each_customer(void *t, const void *rec)
{
    typed_each *e = t;
    return e->customer(e->ctx, rec);
}

static int each_user(void *t, const void *rec)
{
    typed_each *e = t;
    return e->user(e->ctx, rec);
}

static int each_article(void *t, const void *rec)
{
    typed_each *e = t;
    return e->article(e->ctx, rec);
}

static int each_contract(void *t, const void *rec)
{
    typed_each *e = t;
    return e->contract(e->ctx, rec);
}

edi_result store_customer_list(store *s, int (*each)(void *ctx, const md_customer *c), void *ctx,
                               char *why, size_t why_n)
{
    typed_each e = { .customer = each, .ctx = ctx };
    return list(s, Q_CUST_LIST, NULL, sizeof(md_customer), row_customer,
                each ? each_customer : NULL, &e, why, why_n);
}

edi_result store_user_list(store *s, const char *customer_id,
                           int (*each)(void *ctx, const store_user *u), void *ctx, char *why,
                           size_t why_n)
{
    typed_each e = { .user = each, .ctx = ctx };
    return list(s, customer_id ? Q_USER_LIST_CUST : Q_USER_LIST, customer_id,
                sizeof(store_user), row_user, each ? each_user : NULL, &e, why, why_n);
}

edi_result store_article_list(store *s, int (*each)(void *ctx, const md_article *a), void *ctx,
                              char *why, size_t why_n)
{
    typed_each e = { .article = each, .ctx = ctx };
    return list(s, Q_ART_LIST, NULL, sizeof(md_article), row_article,
                each ? each_article : NULL, &e, why, why_n);
}

edi_result store_contract_list(store *s, const char *customer_id,
                               int (*each)(void *ctx, const store_contract *c), void *ctx,
                               char *why, size_t why_n)
{
    typed_each e = { .contract = each, .ctx = ctx };
    return list(s, customer_id ? Q_CON_LIST_CUST : Q_CON_LIST, customer_id,
                sizeof(store_contract), row_contract, each ? each_contract : NULL, &e, why,
                why_n);
}

/* ---- deleting ------------------------------------------------------------------------- */

static edi_result del(store *s, int which, const char *id, const char *kind,
                      const char *referrers, char *why, size_t why_n)
{
    if (!s || !id) {
        edi_say(why, why_n, "deleting a %s needs a store and an id", kind);
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, which, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    bind(st, 1, id);
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    sqlite3 *db = store_sqlite_db(s);
    if (rc != SQLITE_DONE && sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_FOREIGNKEY) {
        edi_say(why, why_n, "the %s \"%.60s\" cannot be removed while %s still refer to it; "
                "remove those first", kind, id, referrers);
        r = EDI_E_CONFLICT;
    } else if (rc != SQLITE_DONE) {
        r = fail(s, "removing master data", why, why_n);
    } else if (sqlite3_changes(db) == 0) {
        edi_say(why, why_n, "there is no %s \"%.60s\" to remove", kind, id);
        r = EDI_E_NOT_FOUND;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_customer_delete(store *s, const char *id, char *why, size_t why_n)
{
    return del(s, Q_CUST_DELETE, id, "customer", "its users, contracts or open credit items",
               why, why_n);
}

edi_result store_user_delete(store *s, const char *id, char *why, size_t why_n)
{
    return del(s, Q_USER_DELETE, id, "customer user", "other records", why, why_n);
}

edi_result store_article_delete(store *s, const char *id, char *why, size_t why_n)
{
    return del(s, Q_ART_DELETE, id, "article", "contracts", why, why_n);
}

edi_result store_contract_delete(store *s, const char *id, char *why, size_t why_n)
{
    return del(s, Q_CON_DELETE, id, "contract", "other records", why, why_n);
}

/* ---- who manages whom ----------------------------------------------------------------- */

bool store_user_may_manage(const store_user *actor, const char *customer_id)
{
    return actor && customer_id && *customer_id && (actor->roles & STORE_ROLE_ADMIN) &&
           strcmp(actor->customer_id, customer_id) == 0;
}

edi_result store_user_may_manage_user(store *s, const char *actor_id, const char *target_id,
                                      bool *may, char *why, size_t why_n)
{
    if (!may) {
        edi_say(why, why_n, "store_user_may_manage_user needs somewhere to put the answer");
        return EDI_E_ARG;
    }
    *may = false;
    store_user actor, target;
    edi_result r = store_user_get(s, actor_id, &actor, why, why_n);
    if (r == EDI_OK)
        r = store_user_get(s, target_id, &target, why, why_n);
    if (r == EDI_OK)
        *may = store_user_may_manage(&actor, target.customer_id);
    return r;
}

/* ---- order numbers and credit --------------------------------------------------------- */

static bool short_text(const char *t)
{
    return t && *t && strlen(t) < 256 && !has_control(t, false);
}

edi_result store_order_number_record(store *s, const char *customer_id, const char *order_number,
                                     store_id message_id, char *why, size_t why_n)
{
    if (!s || !short_text(customer_id) || !short_text(order_number) || message_id <= 0) {
        edi_say(why, why_n, "recording an order number needs a store, a customer, an order "
                "number of 1 to 255 characters and the message that carried it");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_SEEN_OWNER, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    bind(st, 1, customer_id);
    bind(st, 2, order_number);
    int rc = sqlite3_step(st);
    store_id holder = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    store_sqlite_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = fail(s, "reading order numbers", why, why_n);
    } else if (rc == SQLITE_ROW && holder != message_id) {
        edi_say(why, why_n, "customer %.60s's order number \"%.80s\" was already taken by "
                "message %lld", customer_id, order_number, (long long)holder);
        r = EDI_E_CONFLICT;
    } else if (rc == SQLITE_DONE) {
        if (!(st = q(s, Q_SEEN_INSERT, why, why_n))) {
            r = EDI_E_STORE;
        } else {
            bind(st, 1, customer_id);
            bind(st, 2, order_number);
            sqlite3_bind_int64(st, 3, message_id);
            sqlite3_bind_int64(st, 4, store_now_ms());
            rc = sqlite3_step(st);
            store_sqlite_done(st);
            if (rc != SQLITE_DONE)
                r = fail(s, "recording an order number", why, why_n);
        }
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_order_number_forget(store *s, const char *customer_id,
                                     const char *order_number, char *why, size_t why_n)
{
    if (!s || !customer_id || !order_number) {
        edi_say(why, why_n, "forgetting an order number needs a store, a customer and a "
                "number");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, Q_SEEN_DELETE, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, order_number);
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return fail(s, "forgetting an order number", why, why_n);
    if (sqlite3_changes(store_sqlite_db(s)) == 0) {
        edi_say(why, why_n, "customer %.60s's order number \"%.80s\" was not recorded",
                customer_id, order_number);
        return EDI_E_NOT_FOUND;
    }
    return EDI_OK;
}

static bool kind_ok(store_credit_kind kind)
{
    return kind == STORE_CREDIT_ORDER || kind == STORE_CREDIT_INVOICE;
}

/* ---- running totals of open credit (table credit_total) ------------------------------- */

/* Texts of a credit item as read back; longer ones (only written by hand) are cut, which
 * makes the amount fail to parse and the total unknown. */
#define ITEM_TEXT_MAX 64

/* A customer's open items in one currency, as credit_total keeps them: their number
 * always, and while `known` their exact sum and how many have 0..9 decimals (the sum prints
 * with the most decimals an item still open has, as adding the items up would). Unknown
 * is amount NULL in the row: items open before migration 6, or a sum that cannot be kept
 * (beyond the range of a decimal, an amount changed by hand); the next exposure adds it up
 * again from the items. */
typedef struct {
    bool known;
    decimal amount;
    sqlite3_int64 items;
    sqlite3_int64 of_scale[DECIMAL_MAX_SCALE + 1];
} credit_sum;

static void sum_clear(credit_sum *t)
{
    memset(t, 0, sizeof *t);
    t->known = true;
}

/* Count the item of amount `text` in (sign 1) or out (sign -1). */
static void sum_change(credit_sum *t, const char *text, int sign)
{
    t->items += sign;
    if (!t->known)
        return;
    decimal d;
    char inner[160];
    if (!text || decimal_parse(text, &d, inner, sizeof inner) != EDI_OK ||
        (sign > 0 ? decimal_add(t->amount, d, &t->amount)
                  : decimal_sub(t->amount, d, &t->amount)) != EDI_OK) {
        t->known = false;
        return;
    }
    t->of_scale[d.scale] += sign;
    if (t->of_scale[d.scale] < 0)
        t->known = false;
}

/* The sum with as many decimals as the most precise item in it ("0" for none). False when
 * the counts do not fit the amount (a row changed by hand). */
static bool sum_value(const credit_sum *t, decimal *out)
{
    int scale = DECIMAL_MAX_SCALE;
    while (scale > 0 && t->of_scale[scale] == 0)
        scale--;
    if (t->amount.scale <= scale)
        return decimal_add(t->amount, (decimal){ 0, scale }, out) == EDI_OK;
    return decimal_muldiv(t->amount, DECIMAL_ONE, DECIMAL_ONE, scale, out) == EDI_OK &&
           decimal_cmp(*out, t->amount) == 0;
}

static edi_result total_load(store *s, const char *customer_id, const char *currency,
                             credit_sum *t, char *why, size_t why_n)
{
    sum_clear(t);
    sqlite3_stmt *st = q(s, Q_TOTAL_GET, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, currency);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        char inner[160];
        t->known = text && decimal_parse(text, &t->amount, inner, sizeof inner) == EDI_OK;
        t->items = sqlite3_column_int64(st, 1);
        for (int i = 0; i <= DECIMAL_MAX_SCALE; i++)
            t->of_scale[i] = sqlite3_column_int64(st, 2 + i);
    }
    store_sqlite_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, "reading a credit total", why, why_n);
    return EDI_OK;
}

static edi_result total_save(store *s, const char *customer_id, const char *currency,
                             const credit_sum *t, char *why, size_t why_n)
{
    char text[DECIMAL_TEXT_MAX];
    bool known = t->known && decimal_format(t->amount, text, sizeof text) == EDI_OK;
    sqlite3_stmt *st = q(s, t->items > 0 ? Q_TOTAL_PUT : Q_TOTAL_DELETE, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, currency);
    if (t->items > 0) {
        if (known)
            bind(st, 3, text);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, t->items);
        for (int i = 0; i <= DECIMAL_MAX_SCALE; i++)
            sqlite3_bind_int64(st, 5 + i, t->of_scale[i]);
    }
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    return rc == SQLITE_DONE ? EDI_OK : fail(s, "writing a credit total", why, why_n);
}

/* Add the customer's open items in `currency` up again into *t (unknown when one of them
 * is not a decimal or the sum is beyond the range). */
static edi_result total_recount(store *s, const char *customer_id, const char *currency,
                                credit_sum *t, char *why, size_t why_n)
{
    sum_clear(t);
    sqlite3_stmt *st = q(s, Q_CREDIT_AMOUNTS, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, currency);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        sum_change(t, (const char *)sqlite3_column_text(st, 0), 1);
    store_sqlite_done(st);
    return rc == SQLITE_DONE ? EDI_OK : fail(s, "reading credit items", why, why_n);
}

/* Count the item `amount` in `currency` in (sign 1) or out (-1) of its total. */
static edi_result total_change(store *s, const char *customer_id, const char *currency,
                               const char *amount, int sign, char *why, size_t why_n)
{
    credit_sum t;
    edi_result r = total_load(s, customer_id, currency, &t, why, why_n);
    if (r != EDI_OK)
        return r;
    sum_change(&t, amount, sign);
    return total_save(s, customer_id, currency, &t, why, why_n);
}

/* The open item (customer, kind, reference): *found, and its amount and currency. */
static edi_result item_get(store *s, const char *customer_id, store_credit_kind kind,
                           const char *reference, char amount[ITEM_TEXT_MAX],
                           char currency[ITEM_TEXT_MAX], bool *found, char *why, size_t why_n)
{
    sqlite3_stmt *st = q(s, Q_CREDIT_GET, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, credit_kinds[kind]);
    bind(st, 3, reference);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        col(st, 0, amount, ITEM_TEXT_MAX);
        col(st, 1, currency, ITEM_TEXT_MAX);
    }
    store_sqlite_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, "reading a credit item", why, why_n);
    return EDI_OK;
}

/* ---- credit items ----------------------------------------------------------------------- */

/* The item written and both totals it touches, in the caller's transaction. */
static edi_result credit_write(store *s, const char *customer_id, store_credit_kind kind,
                               const char *reference, const char *amount,
                               const char *currency, store_id message_id, char *why,
                               size_t why_n)
{
    char old_amount[ITEM_TEXT_MAX], old_currency[ITEM_TEXT_MAX];
    bool had;
    edi_result r = item_get(s, customer_id, kind, reference, old_amount, old_currency, &had,
                            why, why_n);
    if (r == EDI_OK && had)
        r = total_change(s, customer_id, old_currency, old_amount, -1, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_CREDIT_UPSERT, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, credit_kinds[kind]);
    bind(st, 3, reference);
    bind(st, 4, amount);
    bind(st, 5, currency);
    sqlite3_bind_int64(st, 6, message_id);
    sqlite3_bind_int64(st, 7, store_now_ms());
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        return fail(s, "writing a credit item", why, why_n);
    return total_change(s, customer_id, currency, amount, 1, why, why_n);
}

edi_result store_credit_set(store *s, const char *customer_id, store_credit_kind kind,
                            const char *reference, const char *amount, const char *currency,
                            store_id message_id, char *why, size_t why_n)
{
    if (!s || !short_text(customer_id) || !kind_ok(kind) || !short_text(reference) || !amount ||
        !currency) {
        edi_say(why, why_n, "a credit item needs a store, a customer, a kind, a reference, an "
                "amount and a currency");
        return EDI_E_ARG;
    }
    edi_result r = check_decimal(amount, "amount", true, false, NULL, why, why_n);
    if (r != EDI_OK)
        return r;
    md_customer c;
    if ((r = store_customer_get(s, customer_id, &c, why, why_n)) != EDI_OK)
        return r;
    if (strcmp(c.currency, currency) != 0) {
        edi_say(why, why_n, "customer %.60s's credit is kept in %s, not in %.8s: the %s %.80s "
                "must be reserved in %s", customer_id, c.currency, currency, credit_kinds[kind],
                reference, c.currency);
        return EDI_E_ARG;
    }
    bool own;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    r = credit_write(s, customer_id, kind, reference, amount, currency, message_id, why, why_n);
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_credit_release(store *s, const char *customer_id, store_credit_kind kind,
                                const char *reference, char *why, size_t why_n)
{
    if (!s || !customer_id || !kind_ok(kind) || !reference) {
        edi_say(why, why_n, "releasing credit needs a store, a customer, a kind and a "
                "reference");
        return EDI_E_ARG;
    }
    bool own, had;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    char amount[ITEM_TEXT_MAX], currency[ITEM_TEXT_MAX];
    if ((r = item_get(s, customer_id, kind, reference, amount, currency, &had, why, why_n)) !=
        EDI_OK)
        return store_sqlite_op_end(s, own, r, why, why_n);
    if (!had) {
        edi_say(why, why_n, "customer %.60s has no open %s %.80s", customer_id,
                credit_kinds[kind], reference);
        return store_sqlite_op_end(s, own, EDI_E_NOT_FOUND, why, why_n);
    }
    sqlite3_stmt *st = q(s, Q_CREDIT_DELETE, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    bind(st, 1, customer_id);
    bind(st, 2, credit_kinds[kind]);
    bind(st, 3, reference);
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc != SQLITE_DONE)
        r = fail(s, "releasing a credit item", why, why_n);
    else
        r = total_change(s, customer_id, currency, amount, -1, why, why_n);
    return store_sqlite_op_end(s, own, r, why, why_n);
}

/* ---- exposure --------------------------------------------------------------------------- */

/* The exposure added up item by item: the way for what the totals cannot answer (an item in
 * another currency than the customer's, an amount changed by hand, a sum beyond the range),
 * so that the answer and its sentence are the same as ever. Reads every open item. */
static edi_result exposure_by_items(store *s, const md_customer *c, store_id except_message,
                                    decimal *out, char *why, size_t why_n)
{
    sqlite3_stmt *st = q(s, Q_CREDIT_OPEN, why, why_n);
    if (!st)
        return EDI_E_STORE;
    const char *customer_id = c->id;
    bind(st, 1, customer_id);
    sqlite3_bind_int64(st, 2, except_message);
    decimal sum = { 0, 0 };
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "reading credit items", &r, why, why_n)) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *ref = (const char *)sqlite3_column_text(st, 1);
        const char *text = (const char *)sqlite3_column_text(st, 2);
        const char *cur = (const char *)sqlite3_column_text(st, 3);
        decimal d;
        char inner[160];
        if (!cur || strcmp(cur, c->currency) != 0) {
            edi_say(why, why_n, "customer %.60s's open %s %.80s is in %s, but the customer's "
                    "currency is now %s: release it and reserve it again in %s", customer_id,
                    kind ? kind : "", ref ? ref : "", cur ? cur : "", c->currency, c->currency);
            r = EDI_E_CONFLICT;
            break;
        }
        if (!text || decimal_parse(text, &d, inner, sizeof inner) != EDI_OK) {
            edi_say(why, why_n, "customer %.60s's open %s %.80s has the amount \"%.40s\", "
                    "which is not a decimal number: the database was changed by hand",
                    customer_id, kind ? kind : "", ref ? ref : "", text ? text : "");
            r = EDI_E_STORE;
            break;
        }
        if (decimal_add(sum, d, &sum) != EDI_OK) {
            edi_say(why, why_n, "customer %.60s's open credit items add up beyond the range of "
                    "a decimal", customer_id);
            r = EDI_E_LIMIT;
            break;
        }
    }
    store_sqlite_done(st);
    if (r == EDI_OK)
        *out = sum;
    return r;
}

/* The exposure from the customer's running total in its currency, less the items message
 * `except_message` wrote: one row, and the few items of that message. *answered is false
 * when the totals cannot say (then exposure_by_items does). A total not known yet is added
 * up here and written back. */
static edi_result exposure_by_total(store *s, const md_customer *c, store_id except_message,
                                    decimal *out, bool *answered, char *why, size_t why_n)
{
    *answered = false;
    bool other;
    edi_result r = one_row(s, Q_TOTAL_OTHER, c->id, c->currency, NULL, NULL, &other, why,
                           why_n);
    if (r != EDI_OK || other)
        return r;
    credit_sum t;
    if ((r = total_load(s, c->id, c->currency, &t, why, why_n)) != EDI_OK)
        return r;
    if (!t.known) {
        if ((r = total_recount(s, c->id, c->currency, &t, why, why_n)) != EDI_OK || !t.known)
            return r;
        if ((r = total_save(s, c->id, c->currency, &t, why, why_n)) != EDI_OK)
            return r;
    }
    if (except_message != 0) {
        sqlite3_stmt *st = q(s, Q_CREDIT_OF_MESSAGE, why, why_n);
        if (!st)
            return EDI_E_STORE;
        bind(st, 1, c->id);
        sqlite3_bind_int64(st, 2, except_message);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *cur = (const char *)sqlite3_column_text(st, 1);
            if (cur && strcmp(cur, c->currency) == 0)
                sum_change(&t, (const char *)sqlite3_column_text(st, 0), -1);
        }
        store_sqlite_done(st);
        if (rc != SQLITE_DONE)
            return fail(s, "reading credit items", why, why_n);
    }
    *answered = t.known && sum_value(&t, out);
    return EDI_OK;
}

edi_result store_credit_exposure(store *s, const char *customer_id, store_id except_message,
                                 char *amount, size_t amount_n, char *why, size_t why_n)
{
    if (!s || !customer_id || !amount || amount_n == 0) {
        edi_say(why, why_n, "the credit exposure needs a store, a customer and a buffer");
        return EDI_E_ARG;
    }
    md_customer c;
    edi_result r = store_customer_get(s, customer_id, &c, why, why_n);
    if (r != EDI_OK)
        return r;
    bool own, answered = false;
    if ((r = store_sqlite_op_begin(s, &own, why, why_n)) != EDI_OK)
        return r;
    decimal sum;
    r = exposure_by_total(s, &c, except_message, &sum, &answered, why, why_n);
    if (r == EDI_OK && !answered)
        r = exposure_by_items(s, &c, except_message, &sum, why, why_n);
    if ((r = store_sqlite_op_end(s, own, r, why, why_n)) != EDI_OK)
        return r;
    if (decimal_format(sum, amount, amount_n) != EDI_OK) {
        edi_say(why, why_n, "the buffer for customer %.60s's exposure is too small",
                customer_id);
        return EDI_E_ARG;
    }
    return EDI_OK;
}

/* ---- the lookups ---------------------------------------------------------------------- */

/* The row of `which` for the key `a` (and `b`, and the date as ?3, when not NULL) into
 * `out`; a record that is not there is EDI_E_NOT_FOUND, as master_data.h asks. */
static edi_result lookup(store_master_ctx *x, int which, const char *a, const char *b,
                         const char *date, void (*row)(sqlite3_stmt *, void *), void *out,
                         char *why, size_t why_n)
{
    if (!a) {
        edi_say(why, why_n, "a master data lookup needs its key");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(x->s, which, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, a);
    if (b)
        bind(st, 2, b);
    if (date)
        bind(st, 3, date);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW)
        row(st, out);
    else if (rc == SQLITE_DONE)
        r = EDI_E_NOT_FOUND;
    else
        r = fail(x->s, "looking up master data", why, why_n);
    store_sqlite_done(st);
    return r;
}

static edi_result md_customer_cb(void *ctx, const char *customer_id, md_customer *out,
                                 char *why, size_t why_n)
{
    return lookup(ctx, Q_CUST_GET, customer_id, NULL, NULL, row_customer, out, why,
                  why_n);
}

static edi_result md_by_gtin(void *ctx, const char *gtin, md_article *out, char *why,
                             size_t why_n)
{
    return lookup(ctx, Q_ART_BY_GTIN, gtin, NULL, NULL, row_article, out, why, why_n);
}

static edi_result md_by_supplier(void *ctx, const char *number, md_article *out, char *why,
                                 size_t why_n)
{
    return lookup(ctx, Q_ART_BY_SUPPLIER, number, NULL, NULL, row_article, out, why, why_n);
}

static edi_result md_by_buyer(void *ctx, const char *customer_id, const char *buyer_article,
                              md_article *out, char *why, size_t why_n)
{
    return lookup(ctx, Q_ART_BY_BUYER, customer_id, buyer_article, NULL, row_article, out, why,
                  why_n);
}

static edi_result md_contract_cb(void *ctx, const char *customer_id, const char *article_id,
                                 const char *date, md_contract *out, char *why, size_t why_n)
{
    store_contract k;
    edi_result r = lookup(ctx, Q_CON_APPLY, customer_id, article_id, date ? date : "",
                          row_contract, &k, why, why_n);
    if (r == EDI_OK)
        *out = k.c;
    return r;
}

static edi_result md_seen(void *ctx, const char *customer_id, const char *order_number,
                          bool *seen, char *why, size_t why_n)
{
    store_master_ctx *x = ctx;
    if (!customer_id || !order_number || !seen) {
        edi_say(why, why_n, "the duplicate check needs a customer, an order number and an "
                "answer");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(x->s, Q_SEEN_OTHER, why, why_n);
    if (!st)
        return EDI_E_STORE;
    bind(st, 1, customer_id);
    bind(st, 2, order_number);
    sqlite3_bind_int64(st, 3, x->message_id);
    int rc = sqlite3_step(st);
    store_sqlite_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(x->s, "looking up order numbers", why, why_n);
    *seen = rc == SQLITE_ROW;
    return EDI_OK;
}

static edi_result md_exposure(void *ctx, const char *customer_id, char *amount, size_t amount_n,
                              char *why, size_t why_n)
{
    store_master_ctx *x = ctx;
    return store_credit_exposure(x->s, customer_id, x->message_id, amount, amount_n, why,
                                 why_n);
}

void store_master_lookup(store *s, store_id message_id, store_master_ctx *ctx, md_lookup *out)
{
    ctx->s = s;
    ctx->message_id = message_id;
    *out = (md_lookup){
        .ctx = ctx,
        .customer = md_customer_cb,
        .article_by_gtin = md_by_gtin,
        .article_by_supplier_number = md_by_supplier,
        .article_by_buyer_number = md_by_buyer,
        .contract = md_contract_cb,
        .order_number_seen = md_seen,
        .open_exposure = md_exposure,
    };
}

/* store_orders.c: the order pipeline's records in the SQLite store (store_orders.h), on the
 * tables of migration 4 of store_sqlite.c and the handle's statement slots from
 * STORE_SQLITE_SLOTS_ORDERS (store_sqlite_internal.h). */
#include "store_orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_internal.h"

#define ORDER_COLS                                                                          \
    "id, message_id, partner, customer_id, requester_user_id, number, state, amount,"     \
    " currency, content_id, fingerprint, answer, response_message_id, created_ms, updated_ms"
#define DOC_COLS                                                                            \
    "id, order_id, kind, number, content_id, lines, amount, currency, state, note,"       \
    " COALESCE(message_id, 0), created_ms"
#define APPROVAL_COLS                                                                       \
    "id, order_id, customer_id, requester_id, reason, fingerprint, state, created_at,"    \
    " expires_at, reminded_at, decided_by, decided_at, comment"

enum {
    Q_ORDER_INSERT,
    Q_ORDER_FIND,
    Q_ORDER_GET,
    Q_ORDER_LIST_MSG,
    Q_ORDER_STATE,
    Q_ORDER_RESPONSE,
    Q_EVENT_ADD,
    Q_EVENT_LIST,
    Q_APPR_INSERT,
    Q_APPR_UPDATE,
    Q_APPR_GET,
    Q_APPR_OF_ORDER,
    Q_APPR_PENDING,
    Q_REQ_ADD,
    Q_REQ_EXISTS,
    Q_CUST_POLICY,
    Q_CUST_SET_POLICY,
    Q_USERS_OF,
    Q_USER_ONE,
    Q_USER_ACTIVE,
    Q_MAIL_SET,
    Q_MAIL_GET,
    Q_NONCE_FORGET,
    Q_NONCE_USE,
    Q_INVOICE_NEXT,
    Q_DOC_INSERT,
    Q_DOC_FIND,
    Q_DOC_LIST,
    Q_DOC_PENDING,
    Q_DOC_DONE,
    Q_MSG_CHILDREN,
    Q_ORDER_LIST,
    Q_COUNT
};

static const char *const sql[Q_COUNT] = {
    [Q_ORDER_INSERT] =
        "INSERT INTO orders (message_id, partner, customer_id, requester_user_id, number,"
        " state, amount, currency, content_id, fingerprint, answer, created_ms, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)"
        " ON CONFLICT (message_id, number) DO NOTHING",
    [Q_ORDER_FIND] = "SELECT id FROM orders WHERE message_id = ?1 AND number = ?2",
    [Q_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE id = ?1",
    [Q_ORDER_LIST_MSG] = "SELECT " ORDER_COLS " FROM orders WHERE message_id = ?1 ORDER BY id",
    [Q_ORDER_STATE] =
        "UPDATE orders SET state = ?3, amount = COALESCE(?4, amount),"
        " currency = COALESCE(?5, currency), answer = COALESCE(?6, answer), updated_ms = ?7"
        " WHERE id = ?1 AND state = ?2",
    [Q_ORDER_RESPONSE] =
        "UPDATE orders SET response_message_id = ?2, updated_ms = ?3 WHERE id = ?1",
    [Q_EVENT_ADD] =
        "INSERT INTO order_event (order_id, at_ms, event, actor, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_EVENT_LIST] = "SELECT id, order_id, at_ms, event, actor, detail FROM order_event"
                     " WHERE order_id = ?1 ORDER BY id",
    [Q_APPR_INSERT] = "INSERT INTO approval (" APPROVAL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                      " ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [Q_APPR_UPDATE] = "UPDATE approval SET state = ?2, reminded_at = ?3, decided_by = ?4,"
                      " decided_at = ?5, comment = ?6 WHERE id = ?1",
    [Q_APPR_GET] = "SELECT " APPROVAL_COLS " FROM approval WHERE id = ?1",
    [Q_APPR_OF_ORDER] = "SELECT " APPROVAL_COLS " FROM approval WHERE order_id = ?1"
                        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
    [Q_APPR_PENDING] = "SELECT " APPROVAL_COLS " FROM approval WHERE state = 'pending'"
                       " AND expires_at <= ?1 ORDER BY expires_at, id",
    [Q_REQ_ADD] = "INSERT INTO approval_request (approval_id, user_id, mail_message_id,"
                  " reminder) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    [Q_REQ_EXISTS] = "SELECT 1 FROM approval_request WHERE approval_id = ?1 AND user_id = ?2",
    [Q_CUST_POLICY] = "SELECT approval_always, approval_requisitioners, approval_above, currency"
                      " FROM customer WHERE id = ?1",
    [Q_CUST_SET_POLICY] = "UPDATE customer SET approval_always = ?2,"
                          " approval_requisitioners = ?3, approval_above = ?4 WHERE id = ?1",
    [Q_USERS_OF] = "SELECT id, name, email, roles, active, customer_id FROM customer_user"
                   " WHERE customer_id = ?1 ORDER BY id",
    [Q_USER_ONE] = "SELECT id, name, email, roles, active, customer_id FROM customer_user"
                   " WHERE id = ?1",
    [Q_USER_ACTIVE] = "UPDATE customer_user SET active = ?2 WHERE id = ?1",
    [Q_MAIL_SET] = "INSERT INTO mail_out (message_id, mail_from, rcpt_to) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT (message_id) DO UPDATE SET mail_from = excluded.mail_from,"
                   " rcpt_to = excluded.rcpt_to",
    [Q_MAIL_GET] = "SELECT mail_from, rcpt_to FROM mail_out WHERE message_id = ?1",
    [Q_NONCE_FORGET] = "DELETE FROM used_nonce WHERE expires_at < ?1",
    [Q_NONCE_USE] = "INSERT INTO used_nonce (nonce, expires_at, used_ms) VALUES (?1, ?2, ?3)",
    [Q_INVOICE_NEXT] = "INSERT INTO invoice_number (year, last) VALUES (?1, 1)"
                       " ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
    [Q_DOC_INSERT] = "INSERT INTO order_document (order_id, kind, number, content_id, lines,"
                     " amount, currency, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                     " ON CONFLICT (kind, number) DO NOTHING",
    [Q_DOC_FIND] = "SELECT id FROM order_document WHERE kind = ?1 AND number = ?2",
    [Q_DOC_LIST] = "SELECT " DOC_COLS " FROM order_document WHERE order_id = ?1 ORDER BY id",
    [Q_DOC_PENDING] = "SELECT " DOC_COLS " FROM order_document WHERE state = 'pending' AND"
                      " order_id IN (SELECT id FROM orders WHERE message_id = ?1) ORDER BY id",
    [Q_DOC_DONE] = "UPDATE order_document SET state = ?2, message_id = ?3, note = ?4"
                   " WHERE id = ?1 AND state = 'pending'",
    [Q_MSG_CHILDREN] = "SELECT id FROM message WHERE parent_id = ?1 ORDER BY id",
    [Q_ORDER_LIST] = "SELECT " ORDER_COLS " FROM orders WHERE (?1 IS NULL OR state = ?1)"
                     " AND (?2 IS NULL OR customer_id = ?2) AND (?3 IS NULL OR partner = ?3)"
                     " AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5",
};

_Static_assert(Q_COUNT <= 32, "store_orders.c has 32 statement slots (store_sqlite_internal.h)");

static sqlite3_stmt *q(store *s, int which, char *why, size_t why_n)
{
    return store_sqlite_stmt(s, STORE_SQLITE_SLOTS_ORDERS + which, sql[which], why, why_n);
}

static void text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static void text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* A text column into a fixed field, cut at a character boundary. */
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

/* Run a statement that returns no rows; *changes (may be NULL) gets the rows changed. */
static edi_result run(store *s, sqlite3_stmt *st, const char *what, int *changes, char *why,
                      size_t why_n)
{
    int rc = sqlite3_step(st);
    edi_result r = rc == SQLITE_DONE ? EDI_OK : store_sqlite_fail(s, what, why, why_n);
    if (changes)
        *changes = sqlite3_changes(store_sqlite_db(s));
    store_sqlite_done(st);
    return r;
}

/* ---- orders ------------------------------------------------------------------------- */

edi_result store_order_insert(store *s, const store_order *o, store_id *id, bool *created,
                              char *why, size_t why_n)
{
    if (!s || !o || !id || !o->number[0] || !o->state[0] || !o->content_id[0]) {
        edi_say(why, why_n, "store_order_insert needs an order with a number, a state and "
                "its canonical content");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_ORDER_INSERT, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, o->message_id);
    text(st, 2, o->partner);
    text(st, 3, o->customer_id);
    text(st, 4, o->requester_user_id);
    text(st, 5, o->number);
    text(st, 6, o->state);
    text(st, 7, o->amount);
    text(st, 8, o->currency);
    text(st, 9, o->content_id);
    text(st, 10, o->fingerprint);
    text(st, 11, o->answer);
    sqlite3_bind_int64(st, 12, store_now_ms());
    int changes = 0;
    r = run(s, st, "recording an order", &changes, why, why_n);
    if (r == EDI_OK) {
        if (created)
            *created = changes == 1;
        if (!(st = q(s, Q_ORDER_FIND, why, why_n))) {
            r = EDI_E_STORE;
        } else {
            sqlite3_bind_int64(st, 1, o->message_id);
            text(st, 2, o->number);
            if (sqlite3_step(st) == SQLITE_ROW)
                *id = sqlite3_column_int64(st, 0);
            else
                r = store_sqlite_fail(s, "finding an order", why, why_n);
            store_sqlite_done(st);
        }
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

static void row_order(sqlite3_stmt *st, store_order *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    o->message_id = sqlite3_column_int64(st, 1);
    col(st, 2, o->partner, sizeof o->partner);
    col(st, 3, o->customer_id, sizeof o->customer_id);
    col(st, 4, o->requester_user_id, sizeof o->requester_user_id);
    col(st, 5, o->number, sizeof o->number);
    col(st, 6, o->state, sizeof o->state);
    col(st, 7, o->amount, sizeof o->amount);
    col(st, 8, o->currency, sizeof o->currency);
    col(st, 9, o->content_id, sizeof o->content_id);
    col(st, 10, o->fingerprint, sizeof o->fingerprint);
    col(st, 11, o->answer, sizeof o->answer);
    o->response_message_id = sqlite3_column_int64(st, 12);
    o->created_ms = sqlite3_column_int64(st, 13);
    o->updated_ms = sqlite3_column_int64(st, 14);
}

edi_result store_order_get(store *s, store_id id, store_order *out, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && out ? q(s, Q_ORDER_GET, why, why_n) : NULL;
    if (!st)
        return s && out ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        row_order(st, out);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no order %lld", (long long)id);
        r = EDI_E_NOT_FOUND;
    } else {
        r = store_sqlite_fail(s, "reading an order", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_order_list_message(store *s, store_id message_id,
                                    int (*each)(void *ctx, const store_order *o), void *ctx,
                                    char *why, size_t why_n)
{
    sqlite3_stmt *st = s && each ? q(s, Q_ORDER_LIST_MSG, why, why_n) : NULL;
    if (!st)
        return s && each ? EDI_E_STORE : EDI_E_ARG;
    store_order *o = malloc(sizeof *o);
    if (!o) {
        edi_say(why, why_n, "out of memory listing orders");
        return EDI_E_NOMEM;
    }
    sqlite3_bind_int64(st, 1, message_id);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing orders", &r, why, why_n)) {
        row_order(st, o);
        if (each(ctx, o) != 0)
            break;
    }
    free(o);
    store_sqlite_done(st);
    return r;
}

/* A filter member: NULL when it does not filter. */
static const char *filter_text(const char *v)
{
    return v && *v ? v : NULL;
}

edi_result store_order_list(store *s, const store_order_filter *f,
                            int (*each)(void *ctx, const store_order *o), void *ctx,
                            char *why, size_t why_n)
{
    sqlite3_stmt *st = s && f && each ? q(s, Q_ORDER_LIST, why, why_n) : NULL;
    if (!st)
        return s && f && each ? EDI_E_STORE : EDI_E_ARG;
    store_order *o = malloc(sizeof *o);
    if (!o) {
        store_sqlite_done(st);
        edi_say(why, why_n, "out of memory listing orders");
        return EDI_E_NOMEM;
    }
    text_or_null(st, 1, filter_text(f->state));
    text_or_null(st, 2, filter_text(f->customer_id));
    text_or_null(st, 3, filter_text(f->partner));
    sqlite3_bind_int64(st, 4, f->before > 0 ? f->before : 0);
    sqlite3_bind_int64(st, 5, f->limit ? (sqlite3_int64)f->limit : 100);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing orders", &r, why, why_n)) {
        row_order(st, o);
        if (each(ctx, o) != 0)
            break;
    }
    free(o);
    store_sqlite_done(st);
    return r;
}

edi_result store_order_set_state(store *s, store_id id, const char *from, const char *to,
                                 const char *amount, const char *currency, const char *answer,
                                 char *why, size_t why_n)
{
    if (!s || !from || !to) {
        edi_say(why, why_n, "store_order_set_state needs a store and two states");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, Q_ORDER_STATE, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, id);
    text(st, 2, from);
    text(st, 3, to);
    text_or_null(st, 4, amount);
    text_or_null(st, 5, currency);
    text_or_null(st, 6, answer);
    sqlite3_bind_int64(st, 7, store_now_ms());
    int changes = 0;
    edi_result r = run(s, st, "changing an order's state", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "order %lld is not %s any more (or does not exist): someone else "
                "changed it first", (long long)id, from);
        r = EDI_E_CONFLICT;
    }
    return r;
}

edi_result store_order_set_response(store *s, store_id id, store_id response_message_id,
                                    char *why, size_t why_n)
{
    sqlite3_stmt *st = s ? q(s, Q_ORDER_RESPONSE, why, why_n) : NULL;
    if (!st)
        return s ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, response_message_id);
    sqlite3_bind_int64(st, 3, store_now_ms());
    int changes = 0;
    edi_result r = run(s, st, "recording an order's response", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "there is no order %lld", (long long)id);
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

edi_result store_order_event_add(store *s, store_id order_id, const char *event,
                                 const char *actor, const char *detail, char *why, size_t why_n)
{
    if (!s || !event || !*event || strlen(event) >= sizeof((store_order_event *)0)->event) {
        edi_say(why, why_n, "store_order_event_add needs a store and a short event name");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, Q_EVENT_ADD, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, order_id);
    sqlite3_bind_int64(st, 2, store_now_ms());
    text(st, 3, event);
    text(st, 4, actor);
    text(st, 5, detail);
    return run(s, st, "adding an order event", NULL, why, why_n);
}

edi_result store_order_event_list(store *s, store_id order_id,
                                  int (*each)(void *ctx, const store_order_event *e), void *ctx,
                                  char *why, size_t why_n)
{
    sqlite3_stmt *st = s && each ? q(s, Q_EVENT_LIST, why, why_n) : NULL;
    if (!st)
        return s && each ? EDI_E_STORE : EDI_E_ARG;
    store_order_event *e = malloc(sizeof *e);
    if (!e) {
        edi_say(why, why_n, "out of memory listing order events");
        return EDI_E_NOMEM;
    }
    sqlite3_bind_int64(st, 1, order_id);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing order events", &r, why, why_n)) {
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->order_id = sqlite3_column_int64(st, 1);
        e->at_ms = sqlite3_column_int64(st, 2);
        col(st, 3, e->event, sizeof e->event);
        col(st, 4, e->actor, sizeof e->actor);
        col(st, 5, e->detail, sizeof e->detail);
        if (each(ctx, e) != 0)
            break;
    }
    free(e);
    store_sqlite_done(st);
    return r;
}

/* ---- approvals ------------------------------------------------------------------------ */

static bool state_parse(const char *t, approval_state *out)
{
    for (approval_state a = APPROVAL_PENDING; a <= APPROVAL_EXPIRED; a++)
        if (!strcmp(t, approval_state_name(a))) {
            *out = a;
            return true;
        }
    return false;
}

edi_result store_approval_insert(store *s, const approval *a, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && a ? q(s, Q_APPR_INSERT, why, why_n) : NULL;
    if (!st)
        return s && a ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, a->id);
    sqlite3_bind_int64(st, 2, strtoll(a->order_id, NULL, 10));
    text(st, 3, a->customer_id);
    text(st, 4, a->requester_id);
    text(st, 5, a->reason);
    text(st, 6, a->fingerprint);
    text(st, 7, approval_state_name(a->state));
    sqlite3_bind_int64(st, 8, a->created_at);
    sqlite3_bind_int64(st, 9, a->expires_at);
    sqlite3_bind_int64(st, 10, a->reminded_at);
    text(st, 11, a->decided_by);
    sqlite3_bind_int64(st, 12, a->decided_at);
    text(st, 13, a->comment);
    return run(s, st, "recording an approval", NULL, why, why_n);
}

edi_result store_approval_update(store *s, const approval *a, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && a ? q(s, Q_APPR_UPDATE, why, why_n) : NULL;
    if (!st)
        return s && a ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, a->id);
    text(st, 2, approval_state_name(a->state));
    sqlite3_bind_int64(st, 3, a->reminded_at);
    text(st, 4, a->decided_by);
    sqlite3_bind_int64(st, 5, a->decided_at);
    text(st, 6, a->comment);
    int changes = 0;
    edi_result r = run(s, st, "saving an approval", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "there is no approval %s", a->id);
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

static void row_approval(sqlite3_stmt *st, approval *a)
{
    memset(a, 0, sizeof *a);
    col(st, 0, a->id, sizeof a->id);
    snprintf(a->order_id, sizeof a->order_id, "%lld", (long long)sqlite3_column_int64(st, 1));
    col(st, 2, a->customer_id, sizeof a->customer_id);
    col(st, 3, a->requester_id, sizeof a->requester_id);
    col(st, 4, a->reason, sizeof a->reason);
    col(st, 5, a->fingerprint, sizeof a->fingerprint);
    char state[16];
    col(st, 6, state, sizeof state);
    if (!state_parse(state, &a->state))
        a->state = APPROVAL_EXPIRED;
    a->created_at = sqlite3_column_int64(st, 7);
    a->expires_at = sqlite3_column_int64(st, 8);
    a->reminded_at = sqlite3_column_int64(st, 9);
    col(st, 10, a->decided_by, sizeof a->decided_by);
    a->decided_at = sqlite3_column_int64(st, 11);
    col(st, 12, a->comment, sizeof a->comment);
}

static edi_result one_approval(store *s, sqlite3_stmt *st, approval *out, const char *what,
                               char *why, size_t why_n)
{
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        row_approval(st, out);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no approval %s", what);
        r = EDI_E_NOT_FOUND;
    } else {
        r = store_sqlite_fail(s, "reading an approval", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_approval_get(store *s, const char *id, approval *out, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && id && out ? q(s, Q_APPR_GET, why, why_n) : NULL;
    if (!st)
        return s && id && out ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, id);
    return one_approval(s, st, out, id, why, why_n);
}

edi_result store_approval_of_order(store *s, store_id order_id, approval *out, char *why,
                                   size_t why_n)
{
    sqlite3_stmt *st = s && out ? q(s, Q_APPR_OF_ORDER, why, why_n) : NULL;
    if (!st)
        return s && out ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, order_id);
    return one_approval(s, st, out, "for this order", why, why_n);
}

edi_result store_approval_list_pending(store *s, int64_t until,
                                       int (*each)(void *ctx, const approval *a), void *ctx,
                                       char *why, size_t why_n)
{
    sqlite3_stmt *st = s && each ? q(s, Q_APPR_PENDING, why, why_n) : NULL;
    if (!st)
        return s && each ? EDI_E_STORE : EDI_E_ARG;
    approval *a = malloc(sizeof *a);
    if (!a) {
        edi_say(why, why_n, "out of memory listing approvals");
        return EDI_E_NOMEM;
    }
    sqlite3_bind_int64(st, 1, until);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing approvals", &r, why, why_n)) {
        row_approval(st, a);
        if (each(ctx, a) != 0)
            break;
    }
    free(a);
    store_sqlite_done(st);
    return r;
}

edi_result store_approval_request_add(store *s, const char *approval_id, const char *user_id,
                                      bool reminder, store_id mail_message_id, char *why,
                                      size_t why_n)
{
    sqlite3_stmt *st = s && approval_id && user_id ? q(s, Q_REQ_ADD, why, why_n) : NULL;
    if (!st)
        return s && approval_id && user_id ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, approval_id);
    text(st, 2, user_id);
    sqlite3_bind_int64(st, 3, mail_message_id);
    sqlite3_bind_int(st, 4, reminder ? 1 : 0);
    return run(s, st, "recording an approval request", NULL, why, why_n);
}

edi_result store_approval_request_exists(store *s, const char *approval_id, const char *user_id,
                                         bool *asked, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && approval_id && user_id && asked ? q(s, Q_REQ_EXISTS, why, why_n)
                                                            : NULL;
    if (!st)
        return s && approval_id && user_id && asked ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, approval_id);
    text(st, 2, user_id);
    int rc = sqlite3_step(st);
    edi_result r = rc == SQLITE_ROW || rc == SQLITE_DONE
                       ? EDI_OK
                       : store_sqlite_fail(s, "reading approval requests", why, why_n);
    *asked = rc == SQLITE_ROW;
    store_sqlite_done(st);
    return r;
}

/* ---- customers and users -------------------------------------------------------------- */

edi_result store_customer_approval_policy(store *s, const char *customer_id, approval_policy *out,
                                          char *why, size_t why_n)
{
    sqlite3_stmt *st = s && customer_id && out ? q(s, Q_CUST_POLICY, why, why_n) : NULL;
    if (!st)
        return s && customer_id && out ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, customer_id);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    memset(out, 0, sizeof *out);
    if (rc == SQLITE_ROW) {
        out->always = sqlite3_column_int(st, 0) != 0;
        out->requisitioners = sqlite3_column_int(st, 1) != 0;
        col(st, 2, out->above, sizeof out->above);
        col(st, 3, out->currency, sizeof out->currency);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no customer %s", customer_id);
        r = EDI_E_NOT_FOUND;
    } else {
        r = store_sqlite_fail(s, "reading a customer's approval policy", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_customer_set_approval_policy(store *s, const char *customer_id, bool always,
                                              bool requisitioners, const char *above,
                                              char *why, size_t why_n)
{
    if (above && *above) {
        decimal d;
        if (decimal_parse(above, &d, why, why_n) != EDI_OK || d.units <= 0) {
            edi_say(why, why_n, "the approval limit \"%.40s\" of customer %s is not a positive "
                    "decimal; write it like 1000.00", above, customer_id ? customer_id : "");
            return EDI_E_ARG;
        }
    }
    sqlite3_stmt *st = s && customer_id ? q(s, Q_CUST_SET_POLICY, why, why_n) : NULL;
    if (!st)
        return s && customer_id ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, customer_id);
    sqlite3_bind_int(st, 2, always ? 1 : 0);
    sqlite3_bind_int(st, 3, requisitioners ? 1 : 0);
    text_or_null(st, 4, above && *above ? above : NULL);
    int changes = 0;
    edi_result r = run(s, st, "setting a customer's approval policy", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "there is no customer %s", customer_id);
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

static void row_user(sqlite3_stmt *st, approval_user *u, char *customer_id)
{
    memset(u, 0, sizeof *u);
    col(st, 0, u->id, sizeof u->id);
    col(st, 1, u->name, sizeof u->name);
    col(st, 2, u->email, sizeof u->email);
    u->roles = (unsigned)sqlite3_column_int(st, 3);
    u->active = sqlite3_column_int(st, 4) != 0;
    if (customer_id)
        col(st, 5, customer_id, APPROVAL_ID_MAX);
}

edi_result store_customer_approval_users(store *s, const char *customer_id, approval_user *out,
                                         size_t max, size_t *n, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && customer_id && n ? q(s, Q_USERS_OF, why, why_n) : NULL;
    if (!st)
        return s && customer_id && n ? EDI_E_STORE : EDI_E_ARG;
    *n = 0;
    text(st, 1, customer_id);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing a customer's users", &r, why, why_n)) {
        if (*n < max)
            row_user(st, &out[(*n)++], NULL);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_user_as_approver(store *s, const char *user_id, approval_user *out,
                                  char *customer_id, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && user_id && out ? q(s, Q_USER_ONE, why, why_n) : NULL;
    if (!st)
        return s && user_id && out ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, user_id);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        row_user(st, out, customer_id);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no user %s", user_id);
        r = EDI_E_NOT_FOUND;
    } else {
        r = store_sqlite_fail(s, "reading a user", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_user_set_active(store *s, const char *user_id, bool active, char *why,
                                 size_t why_n)
{
    sqlite3_stmt *st = s && user_id ? q(s, Q_USER_ACTIVE, why, why_n) : NULL;
    if (!st)
        return s && user_id ? EDI_E_STORE : EDI_E_ARG;
    text(st, 1, user_id);
    sqlite3_bind_int(st, 2, active ? 1 : 0);
    int changes = 0;
    edi_result r = run(s, st, "changing a user", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "there is no user %s", user_id);
        r = EDI_E_NOT_FOUND;
    }
    return r;
}

/* ---- mail, nonces, invoice numbers ---------------------------------------------------- */

edi_result store_mail_envelope_set(store *s, store_id message_id, const char *from,
                                   const char *to, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && from && to ? q(s, Q_MAIL_SET, why, why_n) : NULL;
    if (!st)
        return s && from && to ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, message_id);
    text(st, 2, from);
    text(st, 3, to);
    return run(s, st, "recording a mail envelope", NULL, why, why_n);
}

edi_result store_mail_envelope_get(store *s, store_id message_id, char *from, char *to,
                                   char *why, size_t why_n)
{
    sqlite3_stmt *st = s && from && to ? q(s, Q_MAIL_GET, why, why_n) : NULL;
    if (!st)
        return s && from && to ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, message_id);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        col(st, 0, from, APPROVAL_EMAIL_MAX);
        col(st, 1, to, APPROVAL_EMAIL_MAX);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "message %lld is no mail the gateway wrote (it has no envelope)",
                (long long)message_id);
        r = EDI_E_NOT_FOUND;
    } else {
        r = store_sqlite_fail(s, "reading a mail envelope", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_nonce_use(store *s, const char *nonce, int64_t expires_at, char *why,
                           size_t why_n)
{
    if (!s || !nonce || !*nonce) {
        edi_say(why, why_n, "store_nonce_use needs a store and a nonce");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    int64_t now_ms = store_now_ms();
    sqlite3_stmt *st = q(s, Q_NONCE_FORGET, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, now_ms / 1000 - 86400);
    r = run(s, st, "forgetting old link nonces", NULL, why, why_n);
    if (r == EDI_OK && !(st = q(s, Q_NONCE_USE, why, why_n)))
        r = EDI_E_STORE;
    if (r == EDI_OK) {
        text(st, 1, nonce);
        sqlite3_bind_int64(st, 2, expires_at);
        sqlite3_bind_int64(st, 3, now_ms);
        r = run(s, st, "using a link", NULL, why, why_n);
        if (r == EDI_E_CONFLICT)
            edi_say(why, why_n, "this link was used before; each link works once");
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_invoice_number_next(store *s, int year, int64_t *number, char *why,
                                     size_t why_n)
{
    if (!s || !number || year < 1 || year > 9999) {
        edi_say(why, why_n, "store_invoice_number_next needs a store, a year 1..9999 and "
                "somewhere to put the number");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_INVOICE_NEXT, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int(st, 1, year);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *number = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE)
        r = store_sqlite_fail(s, "taking an invoice number", why, why_n);
    store_sqlite_done(st);
    return store_sqlite_op_end(s, own, r, why, why_n);
}

/* ---- documents after the order response ---------------------------------------------- */

edi_result store_order_document_insert(store *s, const store_order_document *d, store_id *id,
                                       char *why, size_t why_n)
{
    if (!s || !d || !id || !d->number[0] || !d->content_id[0] ||
        (strcmp(d->kind, "despatch") && strcmp(d->kind, "invoice"))) {
        edi_say(why, why_n, "store_order_document_insert needs a despatch or invoice with a "
                "number and its canonical content");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_DOC_INSERT, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, d->order_id);
    text(st, 2, d->kind);
    text(st, 3, d->number);
    text(st, 4, d->content_id);
    text(st, 5, d->lines[0] ? d->lines : "{}");
    text(st, 6, d->amount);
    text(st, 7, d->currency);
    sqlite3_bind_int64(st, 8, store_now_ms());
    int changes = 0;
    r = run(s, st, "recording an order document", &changes, why, why_n);
    if (r == EDI_OK) {
        if (!(st = q(s, Q_DOC_FIND, why, why_n))) {
            r = EDI_E_STORE;
        } else {
            text(st, 1, d->kind);
            text(st, 2, d->number);
            if (sqlite3_step(st) == SQLITE_ROW)
                *id = sqlite3_column_int64(st, 0);
            else
                r = store_sqlite_fail(s, "finding an order document", why, why_n);
            store_sqlite_done(st);
        }
    }
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "a %s numbered %s is already recorded (document %lld)", d->kind,
                d->number, (long long)*id);
        r = EDI_E_CONFLICT;
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

static edi_result list_documents(store *s, int which, store_id key,
                                 int (*each)(void *ctx, const store_order_document *d),
                                 void *ctx, char *why, size_t why_n)
{
    sqlite3_stmt *st = s && each ? q(s, which, why, why_n) : NULL;
    if (!st)
        return s && each ? EDI_E_STORE : EDI_E_ARG;
    store_order_document *d = malloc(sizeof *d);
    if (!d) {
        store_sqlite_done(st);
        edi_say(why, why_n, "out of memory listing order documents");
        return EDI_E_NOMEM;
    }
    sqlite3_bind_int64(st, 1, key);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing order documents", &r, why, why_n)) {
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(st, 0);
        d->order_id = sqlite3_column_int64(st, 1);
        col(st, 2, d->kind, sizeof d->kind);
        col(st, 3, d->number, sizeof d->number);
        col(st, 4, d->content_id, sizeof d->content_id);
        col(st, 5, d->lines, sizeof d->lines);
        col(st, 6, d->amount, sizeof d->amount);
        col(st, 7, d->currency, sizeof d->currency);
        col(st, 8, d->state, sizeof d->state);
        col(st, 9, d->note, sizeof d->note);
        d->message_id = sqlite3_column_int64(st, 10);
        d->created_ms = sqlite3_column_int64(st, 11);
        if (each(ctx, d) != 0)
            break;
    }
    free(d);
    store_sqlite_done(st);
    return r;
}

edi_result store_order_document_list(store *s, store_id order_id,
                                     int (*each)(void *ctx, const store_order_document *d),
                                     void *ctx, char *why, size_t why_n)
{
    return list_documents(s, Q_DOC_LIST, order_id, each, ctx, why, why_n);
}

edi_result store_order_document_pending(store *s, store_id message_id,
                                        int (*each)(void *ctx, const store_order_document *d),
                                        void *ctx, char *why, size_t why_n)
{
    return list_documents(s, Q_DOC_PENDING, message_id, each, ctx, why, why_n);
}

edi_result store_order_document_done(store *s, store_id id, store_id message_id,
                                     const char *note, char *why, size_t why_n)
{
    sqlite3_stmt *st = s ? q(s, Q_DOC_DONE, why, why_n) : NULL;
    if (!st)
        return s ? EDI_E_STORE : EDI_E_ARG;
    sqlite3_bind_int64(st, 1, id);
    text(st, 2, message_id ? "answered" : "not_answered");
    if (message_id)
        sqlite3_bind_int64(st, 3, message_id);
    else
        sqlite3_bind_null(st, 3);
    text(st, 4, note);
    int changes = 0;
    edi_result r = run(s, st, "recording an order document's answer", &changes, why, why_n);
    if (r == EDI_OK && changes != 1) {
        edi_say(why, why_n, "order document %lld is not pending any more", (long long)id);
        r = EDI_E_CONFLICT;
    }
    return r;
}

edi_result store_message_children(store *s, store_id parent_id,
                                  int (*each)(void *ctx, const store_message *m), void *ctx,
                                  char *why, size_t why_n)
{
    sqlite3_stmt *st = s && each ? q(s, Q_MSG_CHILDREN, why, why_n) : NULL;
    if (!st)
        return s && each ? EDI_E_STORE : EDI_E_ARG;
    size_t n = 0, cap = 0;
    store_id *ids = NULL;
    edi_result r = EDI_OK;
    sqlite3_bind_int64(st, 1, parent_id);
    while (store_sqlite_row(s, st, "listing a message's related messages", &r, why, why_n)) {
        if (n == cap) {
            size_t c = cap ? cap * 2 : 8;
            store_id *grown = realloc(ids, c * sizeof *grown);
            if (!grown) {
                edi_say(why, why_n, "out of memory listing related messages");
                r = EDI_E_NOMEM;
                break;
            }
            ids = grown;
            cap = c;
        }
        ids[n++] = sqlite3_column_int64(st, 0);
    }
    store_sqlite_done(st);
    store_message *m = r == EDI_OK && n ? malloc(sizeof *m) : NULL;
    if (r == EDI_OK && n && !m)
        r = EDI_E_NOMEM;
    for (size_t i = 0; r == EDI_OK && i < n; i++) {
        r = store_message_get(s, ids[i], m, why, why_n);
        if (r == EDI_OK && each(ctx, m) != 0)
            break;
    }
    free(m);
    free(ids);
    return r;
}

/* store_as2_out.c: the as2_out table in the SQLite store (store_as2_out.h). Statements are
 * kept in the handle's extra slots 112..127 (store_sqlite_internal.h). */
#include "store_as2_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_internal.h"

#define SLOTS_AS2_OUT 112

enum {
    Q_LATEST = 0,
    Q_BY_ID,
    Q_INSERT,
    Q_RETRY,
    Q_SET_STATE,
    Q_OVERDUE,
    Q_COUNT
};

#define COLS "message_id, as2_message_id, attempt, mic, mic_alg, mdn_mode, mdn_state," \
             " mdn_content_id, mdn_detail, sent_ms, deadline_ms"
#define NOT_FINAL "mdn_state IN ('" AS2_OUT_AWAITING "', '" AS2_OUT_RESEND "')"

static const char *const sql[Q_COUNT] = {
    [Q_LATEST] = "SELECT " COLS " FROM as2_out WHERE message_id = ?1 ORDER BY attempt DESC"
                 " LIMIT 1",
    [Q_BY_ID] = "SELECT " COLS " FROM as2_out WHERE as2_message_id = ?1",
    [Q_INSERT] = "INSERT INTO as2_out (" COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                 " ?10, ?11)",
    [Q_RETRY] = "UPDATE as2_out SET attempt = ?3, mic = ?4, mic_alg = ?5, mdn_mode = ?6,"
                " mdn_state = ?7, mdn_content_id = ?8, mdn_detail = ?9, sent_ms = ?10,"
                " deadline_ms = ?11 WHERE message_id = ?1 AND as2_message_id = ?2"
                " AND attempt = ?3 - 1",
    [Q_SET_STATE] = "UPDATE as2_out SET mdn_state = ?3,"
                    " mdn_content_id = CASE WHEN ?4 IS NULL THEN mdn_content_id ELSE ?4 END,"
                    " mdn_detail = CASE WHEN ?5 IS NULL THEN mdn_detail ELSE ?5 END,"
                    " deadline_ms = CASE WHEN ?6 < 0 THEN deadline_ms WHEN ?6 = 0 THEN NULL"
                    " ELSE ?6 END"
                    " WHERE as2_message_id = ?1 AND (CASE WHEN ?2 IS NULL THEN " NOT_FINAL
                    " ELSE mdn_state = ?2 END)",
    [Q_OVERDUE] = "SELECT " COLS " FROM as2_out WHERE mdn_state = '" AS2_OUT_AWAITING "'"
                  " AND mdn_mode = 'async' AND deadline_ms IS NOT NULL AND deadline_ms < ?1"
                  " ORDER BY deadline_ms LIMIT ?2",
};

_Static_assert(SLOTS_AS2_OUT + Q_COUNT <= STORE_SQLITE_EXTRA_SLOTS,
               "store_as2_out.c uses the extra slots 112..127");

static sqlite3_stmt *q(store *s, int which, char *why, size_t why_n)
{
    return store_sqlite_stmt(s, SLOTS_AS2_OUT + which, sql[which], why, why_n);
}

static void col(sqlite3_stmt *st, int i, char *field, size_t size)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    snprintf(field, size, "%s", t ? t : "");
}

static void read_row(sqlite3_stmt *st, store_as2_out *o)
{
    memset(o, 0, sizeof *o);
    o->message_id = sqlite3_column_int64(st, 0);
    col(st, 1, o->as2_message_id, sizeof o->as2_message_id);
    o->attempt = sqlite3_column_int(st, 2);
    col(st, 3, o->mic, sizeof o->mic);
    col(st, 4, o->mic_alg, sizeof o->mic_alg);
    col(st, 5, o->mdn_mode, sizeof o->mdn_mode);
    col(st, 6, o->mdn_state, sizeof o->mdn_state);
    col(st, 7, o->mdn_content_id, sizeof o->mdn_content_id);
    col(st, 8, o->mdn_detail, sizeof o->mdn_detail);
    o->sent_ms = sqlite3_column_int64(st, 9);
    o->deadline_ms = sqlite3_column_type(st, 10) == SQLITE_NULL ? 0
                                                                 : sqlite3_column_int64(st, 10);
}

bool store_as2_out_final(const char *mdn_state)
{
    return mdn_state && strcmp(mdn_state, AS2_OUT_AWAITING) && strcmp(mdn_state, AS2_OUT_RESEND);
}

/* One row of a SELECT whose parameter 1 is bound by the caller. */
static edi_result one_row(store *s, sqlite3_stmt *st, const char *what, store_as2_out *out,
                          char *why, size_t why_n)
{
    edi_result r = EDI_OK;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_row(st, out);
    else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "no AS2 message sent is recorded for %s", what);
        r = EDI_E_NOT_FOUND;
    } else
        r = store_sqlite_fail(s, "reading an AS2 message sent", why, why_n);
    store_sqlite_done(st);
    return r;
}

edi_result store_as2_out_latest(store *s, store_id message_id, store_as2_out *out, char *why,
                                size_t why_n)
{
    if (!s || !out) {
        edi_say(why, why_n, "store_as2_out_latest needs a store and a result");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, Q_LATEST, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, message_id);
    char what[64];
    snprintf(what, sizeof what, "message %lld", (long long)message_id);
    return one_row(s, st, what, out, why, why_n);
}

edi_result store_as2_out_by_as2_id(store *s, const char *as2_message_id, store_as2_out *out,
                                   char *why, size_t why_n)
{
    if (!s || !out || !as2_message_id) {
        edi_say(why, why_n, "store_as2_out_by_as2_id needs a store, a Message-ID and a result");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = q(s, Q_BY_ID, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_text(st, 1, as2_message_id, -1, SQLITE_TRANSIENT);
    char what[AS2_OUT_ID_MAX + 16];
    snprintf(what, sizeof what, "Message-ID %.255s", as2_message_id);
    return one_row(s, st, what, out, why, why_n);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v && v[0])
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_row(sqlite3_stmt *st, const store_as2_out *row)
{
    sqlite3_bind_int64(st, 1, row->message_id);
    sqlite3_bind_text(st, 2, row->as2_message_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, row->attempt);
    sqlite3_bind_text(st, 4, row->mic, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, row->mic_alg, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, row->mdn_mode, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, row->mdn_state, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 8, row->mdn_content_id);
    bind_text_or_null(st, 9, row->mdn_detail);
    sqlite3_bind_int64(st, 10, row->sent_ms);
    if (row->deadline_ms > 0)
        sqlite3_bind_int64(st, 11, row->deadline_ms);
    else
        sqlite3_bind_null(st, 11);
}

edi_result store_as2_out_record(store *s, const store_as2_out *row, char *why, size_t why_n)
{
    if (!s || !row || !row->as2_message_id[0] || row->attempt < 1 || !row->mic_alg[0] ||
        !row->mdn_state[0] ||
        (strcmp(row->mdn_mode, "sync") && strcmp(row->mdn_mode, "async") &&
         strcmp(row->mdn_mode, "none"))) {
        edi_say(why, why_n, "store_as2_out_record needs a Message-ID, an attempt from 1, a MIC "
                "algorithm, a state and the MDN mode sync, async or none");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    int changes = 0;
    if (row->attempt > 1) {
        sqlite3_stmt *st = q(s, Q_RETRY, why, why_n);
        if (!st)
            return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
        bind_row(st, row);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = store_sqlite_fail(s, "recording an AS2 retry", why, why_n);
        changes = sqlite3_changes(store_sqlite_db(s));
        store_sqlite_done(st);
    }
    if (r == EDI_OK && changes == 0) {
        sqlite3_stmt *st = q(s, Q_INSERT, why, why_n);
        if (!st)
            return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
        bind_row(st, row);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = store_sqlite_fail(s, "recording an AS2 message sent", why, why_n);
        store_sqlite_done(st);
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_as2_out_set_state(store *s, const char *as2_message_id, const char *from,
                                   const char *state, const char *mdn_content_id,
                                   const char *detail, int64_t deadline_ms, char *why,
                                   size_t why_n)
{
    if (!s || !as2_message_id || !state || !state[0]) {
        edi_say(why, why_n, "store_as2_out_set_state needs a store, a Message-ID and a state");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_SET_STATE, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_text(st, 1, as2_message_id, -1, SQLITE_TRANSIENT);
    if (from)
        sqlite3_bind_text(st, 2, from, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, state, -1, SQLITE_TRANSIENT);
    if (mdn_content_id)
        sqlite3_bind_text(st, 4, mdn_content_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    if (detail)
        sqlite3_bind_text(st, 5, detail, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, deadline_ms);
    int changes = 0;
    if (sqlite3_step(st) != SQLITE_DONE)
        r = store_sqlite_fail(s, "changing the MDN state of an AS2 message sent", why, why_n);
    else
        changes = sqlite3_changes(store_sqlite_db(s));
    store_sqlite_done(st);
    if (r == EDI_OK && changes == 0) {
        store_as2_out row;
        char why2[256];
        if (store_as2_out_by_as2_id(s, as2_message_id, &row, why2, sizeof why2) == EDI_OK) {
            edi_say(why, why_n, "the AS2 message %.255s is already in MDN state %s", as2_message_id,
                    row.mdn_state);
            r = EDI_E_CONFLICT;
        } else {
            edi_say(why, why_n, "no AS2 message sent has the Message-ID %.255s", as2_message_id);
            r = EDI_E_NOT_FOUND;
        }
    }
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_as2_out_overdue(store *s, int64_t now_ms, size_t limit,
                                 int (*each)(void *ctx, const store_as2_out *row), void *ctx,
                                 char *why, size_t why_n)
{
    if (!s || !each) {
        edi_say(why, why_n, "store_as2_out_overdue needs a store and a callback");
        return EDI_E_ARG;
    }
    if (limit == 0)
        limit = 100;
    store_as2_out *rows = calloc(limit, sizeof *rows);
    if (!rows) {
        edi_say(why, why_n, "out of memory listing overdue AS2 messages");
        return EDI_E_NOMEM;
    }
    sqlite3_stmt *st = q(s, Q_OVERDUE, why, why_n);
    if (!st) {
        free(rows);
        return EDI_E_STORE;
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    size_t n = 0;
    edi_result r = EDI_OK;
    int rc = SQLITE_DONE;
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        read_row(st, &rows[n++]);
    if (n < limit && rc != SQLITE_DONE)
        r = store_sqlite_fail(s, "listing overdue AS2 messages", why, why_n);
    store_sqlite_done(st);
    for (size_t i = 0; r == EDI_OK && i < n; i++)
        if (each(ctx, &rows[i]))
            break;
    free(rows);
    return r;
}

/* store_as2.c: the as2_in table in the SQLite store (store_as2.h). Statements are kept in
 * the handle's extra slots 96..111 (store_sqlite_internal.h). */
#include "store_as2.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_internal.h"

#define SLOTS_AS2_IN 96

enum { Q_GET = 0, Q_PUT, Q_COUNT };

static const char *const sql[Q_COUNT] = {
    [Q_GET] = "SELECT as2_from, as2_message_id, message_id, disposition, mdn_content_id,"
              " received_ms FROM as2_in WHERE as2_from = ?1 AND as2_message_id = ?2",
    [Q_PUT] = "INSERT INTO as2_in (as2_from, as2_message_id, message_id, disposition,"
              " mdn_content_id, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
              " ON CONFLICT (as2_from, as2_message_id) DO UPDATE SET"
              " message_id = excluded.message_id, disposition = excluded.disposition,"
              " mdn_content_id = excluded.mdn_content_id, received_ms = excluded.received_ms",
};

_Static_assert(SLOTS_AS2_IN + Q_COUNT <= 112, "store_as2.c uses the extra slots 96..111");

static sqlite3_stmt *q(store *s, int which, char *why, size_t why_n)
{
    return store_sqlite_stmt(s, SLOTS_AS2_IN + which, sql[which], why, why_n);
}

static edi_result fail_db(store *s, const char *what, char *why, size_t why_n)
{
    int ext = sqlite3_extended_errcode(store_sqlite_db(s));
    edi_say(why, why_n, "%s failed in the database %s: %s", what, store_sqlite_path(s),
            sqlite3_errmsg(store_sqlite_db(s)));
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return EDI_E_NOT_FOUND;
    return EDI_E_STORE;
}

static void col(sqlite3_stmt *st, int i, char *field, size_t size)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    snprintf(field, size, "%s", t ? t : "");
}

edi_result store_as2_in_get(store *s, const char *as2_from, const char *as2_message_id,
                            store_as2_in *out, char *why, size_t why_n)
{
    sqlite3_stmt *st = q(s, Q_GET, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_text(st, 1, as2_from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, as2_message_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        col(st, 0, out->as2_from, sizeof out->as2_from);
        col(st, 1, out->as2_message_id, sizeof out->as2_message_id);
        out->message_id = sqlite3_column_int64(st, 2);
        col(st, 3, out->disposition, sizeof out->disposition);
        col(st, 4, out->mdn_content_id, sizeof out->mdn_content_id);
        out->received_ms = sqlite3_column_int64(st, 5);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "no AS2 message %s from %s was received", as2_message_id, as2_from);
        r = EDI_E_NOT_FOUND;
    } else {
        r = fail_db(s, "reading an AS2 message received", why, why_n);
    }
    store_sqlite_done(st);
    return r;
}

edi_result store_as2_in_put(store *s, const store_as2_in *row, char *why, size_t why_n)
{
    bool own = false;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = q(s, Q_PUT, why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_text(st, 1, row->as2_from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, row->as2_message_id, -1, SQLITE_STATIC);
    if (row->message_id > 0)
        sqlite3_bind_int64(st, 3, row->message_id);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, row->disposition, -1, SQLITE_STATIC);
    if (row->mdn_content_id[0])
        sqlite3_bind_text(st, 5, row->mdn_content_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, row->received_ms ? row->received_ms : store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        r = fail_db(s, "recording an AS2 message received", why, why_n);
    store_sqlite_done(st);
    return store_sqlite_op_end(s, own, r, why, why_n);
}

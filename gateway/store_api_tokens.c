/* store_api_tokens.c: users' API token digests in the SQLite store (store_api_tokens.h), on
 * migration 4's columns. The statements are prepared per call rather than kept in the
 * handle's slots: they run once per request that presents a user token, and the slots are
 * numbered by store_master.c and store_orders.c. */
#include "store_api_tokens.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sqlite_internal.h"

static bool hex64(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static edi_result failed(store *s, const char *what, char *why, size_t why_n)
{
    edi_say(why, why_n, "%s failed in the database %s: %s", what, store_sqlite_path(s),
            sqlite3_errmsg(store_sqlite_db(s)));
    return EDI_E_STORE;
}

static sqlite3_stmt *prepare(store *s, const char *sql, char *why, size_t why_n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        failed(s, "preparing a token statement", why, why_n);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

edi_result store_user_token_set(store *s, const char *user_id, const char *sha256_hex,
                                char *why, size_t why_n)
{
    if (!s || !user_id || (sha256_hex && !hex64(sha256_hex))) {
        edi_say(why, why_n, "a token digest is 64 lowercase hex digits of a SHA-256");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = store_sqlite_op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = prepare(s, "UPDATE customer_user SET api_token_sha256 = ?2 WHERE id = ?1",
                               why, why_n);
    if (!st)
        return store_sqlite_op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_TRANSIENT);
    if (sha256_hex)
        sqlite3_bind_text(st, 2, sha256_hex, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE && sqlite3_changes(store_sqlite_db(s)) == 0) {
        edi_say(why, why_n, "there is no customer user %s", user_id);
        r = EDI_E_NOT_FOUND;
    } else if (rc == SQLITE_CONSTRAINT) {
        edi_say(why, why_n, "another user already has this token; issue a new one");
        r = EDI_E_CONFLICT;
    } else if (rc != SQLITE_DONE) {
        r = failed(s, "storing a token digest", why, why_n);
    }
    sqlite3_finalize(st);
    return store_sqlite_op_end(s, own, r, why, why_n);
}

edi_result store_user_token_exists(store *s, const char *user_id, bool *has, char *why,
                                   size_t why_n)
{
    if (!s || !user_id || !has) {
        edi_say(why, why_n, "store_user_token_exists needs a store, a user and a result");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = prepare(s, "SELECT api_token_sha256 IS NOT NULL FROM customer_user"
                               " WHERE id = ?1", why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_TRANSIENT);
    edi_result r = EDI_OK;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *has = sqlite3_column_int(st, 0) != 0;
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no customer user %s", user_id);
        r = EDI_E_NOT_FOUND;
    } else {
        r = failed(s, "reading a user's token", why, why_n);
    }
    sqlite3_finalize(st);
    return r;
}

edi_result store_user_by_token(store *s, const char *sha256_hex, store_user *out, bool *active,
                               char *why, size_t why_n)
{
    if (!s || !out || !active || !hex64(sha256_hex)) {
        edi_say(why, why_n, "a token digest is 64 lowercase hex digits of a SHA-256");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = prepare(s, "SELECT id, active FROM customer_user"
                               " WHERE api_token_sha256 = ?1", why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_TRANSIENT);
    char id[MD_ID_MAX] = "";
    edi_result r = EDI_OK;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(id, sizeof id, "%s", t ? t : "");
        *active = sqlite3_column_int(st, 1) != 0;
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "no user has this token");
        r = EDI_E_NOT_FOUND;
    } else {
        r = failed(s, "looking up a token", why, why_n);
    }
    sqlite3_finalize(st);
    return r == EDI_OK ? store_user_get(s, id, out, why, why_n) : r;
}

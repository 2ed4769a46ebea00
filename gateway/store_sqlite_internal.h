/* store_sqlite_internal.h: what the other modules of the SQLite backend (store_master.c)
 * reach inside a store handle: its connection and path, a per-handle cache of their
 * prepared statements, and the all-or-nothing wrapper every writing function uses. Not for
 * callers of the store: they use store.h and store_master.h. */
#ifndef STORE_SQLITE_INTERNAL_H
#define STORE_SQLITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "edi_result.h"
#include "store.h"

/* Statement slots a handle keeps for the other modules; each module numbers its own from
 * its base: store_master.c from 0 (44 slots), store_orders.c from STORE_SQLITE_SLOTS_ORDERS
 * (32 slots); 44..63 and 96..127 are free. */
#define STORE_SQLITE_EXTRA_SLOTS 128
#define STORE_SQLITE_SLOTS_ORDERS 64

/* The handle's connection and database path (borrowed; valid until store_close). */
sqlite3 *store_sqlite_db(store *s);
const char *store_sqlite_path(store *s);

/* The statement `sql` kept in `slot` (0..STORE_SQLITE_EXTRA_SLOTS-1), prepared at first
 * use and finalized by store_close; a slot always holds the same text. NULL with a sentence
 * when it cannot be prepared or is still running. Reset it with store_sqlite_done. */
sqlite3_stmt *store_sqlite_stmt(store *s, int slot, const char *sql, char *why, size_t why_n);
void store_sqlite_done(sqlite3_stmt *st);

/* The next row of a listing `st`: true with one; false at its end (*r untouched) or when the
 * step fails (*r the error, `why` a sentence naming `what`, "listing order events"). */
bool store_sqlite_row(store *s, sqlite3_stmt *st, const char *what, edi_result *r, char *why,
                      size_t why_n);

/* The result and sentence for a failed statement of `what`: a unique or primary key
 * conflict is EDI_E_CONFLICT, a row referred to that is missing EDI_E_NOT_FOUND, anything
 * else EDI_E_STORE; `why` says "<what> failed in the database <path>: <SQLite's words>". */
edi_result store_sqlite_fail(store *s, const char *what, char *why, size_t why_n);

/* Its own BEGIN IMMEDIATE transaction (*own = true) or a savepoint in the caller's; end it
 * with store_sqlite_op_end, which commits or releases on EDI_OK and rolls back otherwise,
 * and returns the outcome. */
edi_result store_sqlite_op_begin(store *s, bool *own, char *why, size_t why_n);
edi_result store_sqlite_op_end(store *s, bool own, edi_result r, char *why, size_t why_n);

#endif

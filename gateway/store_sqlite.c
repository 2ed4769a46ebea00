/* store_sqlite.c: the SQLite backend of store.h. One handle is one connection in WAL mode
 * with synchronous=FULL (a commit is on disk before it returns; NORMAL for a relaxed handle,
 * store_set_durability), foreign keys on and a busy timeout, so that threads and processes
 * share the database; handles of one process may also take turns through a write gate.
 * Every statement is prepared once per handle from a constant text; values are always
 * bound. A function runs in its own BEGIN IMMEDIATE transaction, or inside a savepoint of
 * the caller's transaction, so that it is all or nothing either way. */
#include "store.h"
#include "store_sqlite_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

/* How long a handle waits for another connection's write lock before giving up. */
#define BUSY_TIMEOUT_MS 5000
/* store_job_claim binds the kinds into a fixed number of slots. */
#define CLAIM_KINDS_MAX 16

/* ---- schema migrations ------------------------------------------------------------- */

/* A column a migration adds to an existing table, only when the table lacks it (SQLite has
 * no ADD COLUMN IF NOT EXISTS), so that a migration can be applied again unchanged. */
typedef struct {
    const char *table, *column, *declaration;
} added_column;

static const added_column columns_4[] = {
    {"customer", "approval_always", "INTEGER NOT NULL DEFAULT 0"},
    {"customer", "approval_requisitioners", "INTEGER NOT NULL DEFAULT 0"},
    {"customer", "approval_above", "TEXT"},
    {"customer_user", "active", "INTEGER NOT NULL DEFAULT 1"},
    {"customer_user", "api_token_sha256", "TEXT"},
    {NULL, NULL, NULL},
};

/* Migration i (counting from 1) brings the schema from version i-1 to i: first its added
 * columns, then its SQL. Applied ones are never changed: a change of the schema is a new
 * entry at the end. */
static const struct {
    const char *what;
    const char *sql;
    const added_column *columns;   /* NULL: none */
} migrations[] = {
    /* 1: messages, each pointing at its payload in the content store, and their history.
     * History rows are never changed or removed: triggers refuse UPDATE and DELETE. */
    {"messages and history",
     "CREATE TABLE message ("
     " id INTEGER PRIMARY KEY,"
     " direction INTEGER NOT NULL CHECK (direction IN (0, 1)),"
     " partner TEXT NOT NULL DEFAULT '',"
     " channel TEXT NOT NULL DEFAULT '',"
     " filename TEXT NOT NULL DEFAULT '',"
     " content_id TEXT NOT NULL,"
     " size INTEGER NOT NULL,"
     " format TEXT NOT NULL DEFAULT '',"
     " status TEXT NOT NULL,"
     " status_reason TEXT NOT NULL DEFAULT '',"
     " reference TEXT NOT NULL DEFAULT '',"
     " parent_id INTEGER REFERENCES message (id),"
     " created_ms INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL);"
     "CREATE INDEX message_status ON message (status, created_ms);"
     "CREATE INDEX message_partner ON message (partner, created_ms);"
     "CREATE INDEX message_reference ON message (reference, created_ms);"
     "CREATE INDEX message_created ON message (created_ms);"
     "CREATE INDEX message_parent ON message (parent_id) WHERE parent_id IS NOT NULL;"
     "CREATE TABLE history ("
     " id INTEGER PRIMARY KEY,"
     " message_id INTEGER NOT NULL REFERENCES message (id),"
     " at_ms INTEGER NOT NULL,"
     " event TEXT NOT NULL,"
     " actor TEXT NOT NULL DEFAULT '',"
     " detail TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX history_message ON history (message_id, id);"
     "CREATE TRIGGER history_no_update BEFORE UPDATE ON history"
     " BEGIN SELECT RAISE(ABORT, 'history is append-only: rows cannot be changed'); END;"
     "CREATE TRIGGER history_no_delete BEFORE DELETE ON history"
     " BEGIN SELECT RAISE(ABORT, 'history is append-only: rows cannot be deleted'); END;"},
    /* 2: the job queue. A job is due when run_after_ms has passed and it is not leased (or
     * its lease expired); attempts counts claims; dead jobs stay for people to look at. */
    {"job queue",
     "CREATE TABLE job ("
     " id INTEGER PRIMARY KEY,"
     " kind TEXT NOT NULL,"
     " message_id INTEGER NOT NULL REFERENCES message (id),"
     " run_after_ms INTEGER NOT NULL,"
     " lease_until_ms INTEGER NOT NULL DEFAULT 0,"
     " worker TEXT NOT NULL DEFAULT '',"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " dead INTEGER NOT NULL DEFAULT 0 CHECK (dead IN (0, 1)),"
     " created_ms INTEGER NOT NULL);"
     "CREATE INDEX job_due ON job (run_after_ms, id) WHERE dead = 0;"
     "CREATE INDEX job_message ON job (message_id);"},
    /* 3: master data (store_master.h). Amounts and quantities are decimal text as
     * gateway/decimal.h parses it, never REAL; '' means "not set". Dates are ISO texts, so
     * that they compare as texts. Roles are a bit set (STORE_ROLE_*). Written with IF NOT
     * EXISTS, so that applying it again to a database that has it changes nothing. */
    {"master data",
     "CREATE TABLE IF NOT EXISTS customer ("
     " id TEXT PRIMARY KEY,"
     " name TEXT NOT NULL,"
     " blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
     " credit_limit TEXT NOT NULL DEFAULT '',"
     " currency TEXT NOT NULL,"
     " payment_terms TEXT NOT NULL DEFAULT '',"
     " updated_ms INTEGER NOT NULL);"
     "CREATE TABLE IF NOT EXISTS customer_user ("
     " id TEXT PRIMARY KEY,"
     " customer_id TEXT NOT NULL REFERENCES customer (id),"
     " name TEXT NOT NULL,"
     " email TEXT NOT NULL COLLATE NOCASE UNIQUE,"
     " roles INTEGER NOT NULL CHECK (roles BETWEEN 1 AND 15),"
     " updated_ms INTEGER NOT NULL);"
     "CREATE INDEX IF NOT EXISTS customer_user_customer ON customer_user (customer_id, id);"
     "CREATE TABLE IF NOT EXISTS article ("
     " id TEXT PRIMARY KEY,"
     " gtin TEXT UNIQUE,"
     " supplier_number TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL DEFAULT '',"
     " units TEXT NOT NULL,"
     " min_quantity TEXT NOT NULL DEFAULT '',"
     " step_quantity TEXT NOT NULL DEFAULT '',"
     " updated_ms INTEGER NOT NULL);"
     "CREATE TABLE IF NOT EXISTS contract ("
     " id TEXT PRIMARY KEY,"
     " customer_id TEXT NOT NULL REFERENCES customer (id),"
     " article_id TEXT NOT NULL REFERENCES article (id),"
     " buyer_article TEXT NOT NULL DEFAULT '',"
     " price TEXT NOT NULL,"
     " price_basis TEXT NOT NULL DEFAULT '',"
     " currency TEXT NOT NULL,"
     " valid_from TEXT NOT NULL DEFAULT '',"
     " valid_to TEXT NOT NULL DEFAULT '',"
     " tolerance_percent TEXT NOT NULL DEFAULT '',"
     " updated_ms INTEGER NOT NULL);"
     "CREATE INDEX IF NOT EXISTS contract_article ON contract (customer_id, article_id);"
     "CREATE INDEX IF NOT EXISTS contract_buyer ON contract (customer_id, buyer_article)"
     " WHERE buyer_article <> '';"
     "CREATE INDEX IF NOT EXISTS contract_of_article ON contract (article_id);"
     "CREATE TABLE IF NOT EXISTS order_number_seen ("
     " customer_id TEXT NOT NULL,"
     " order_number TEXT NOT NULL,"
     " message_id INTEGER NOT NULL,"
     " at_ms INTEGER NOT NULL,"
     " PRIMARY KEY (customer_id, order_number));"
     "CREATE TABLE IF NOT EXISTS credit_item ("
     " customer_id TEXT NOT NULL REFERENCES customer (id),"
     " kind TEXT NOT NULL CHECK (kind IN ('order', 'invoice')),"
     " reference TEXT NOT NULL,"
     " amount TEXT NOT NULL,"
     " currency TEXT NOT NULL,"
     " message_id INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " PRIMARY KEY (customer_id, kind, reference));"},
    /* 4: the order pipeline (store_orders.h). The customer's approval policy and the users'
     * state and API tokens (lowercase hex SHA-256, never the token) extend migration 3's
     * tables (columns_4, added when missing; the rest IF NOT EXISTS, so that applying it
     * again changes nothing). An order is one canonical order of one inbound message, with its
     * state, its amount (decimal text) and the fingerprint that freezes its content;
     * order_event is append-only like history. An approval is approval.h's record;
     * approval_request says which approver was asked by which mail (an outbound message of
     * channel "mail" whose envelope is in mail_out). used_nonce makes approval links
     * single-use; invoice_number is a gap-free counter per year, taken inside the
     * transaction that writes the invoice. */
    {"orders, approvals, mail, invoice numbers",
     "CREATE UNIQUE INDEX IF NOT EXISTS customer_user_token ON customer_user (api_token_sha256)"
     " WHERE api_token_sha256 IS NOT NULL;"
     "CREATE TABLE IF NOT EXISTS orders ("
     " id INTEGER PRIMARY KEY,"
     " message_id INTEGER NOT NULL REFERENCES message (id),"
     " partner TEXT NOT NULL DEFAULT '',"
     " customer_id TEXT NOT NULL DEFAULT '',"
     " requester_user_id TEXT NOT NULL DEFAULT '',"
     " number TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('received', 'held', 'accepted', 'rejected',"
     " 'confirmed', 'despatched', 'invoiced')),"
     " amount TEXT NOT NULL DEFAULT '',"
     " currency TEXT NOT NULL DEFAULT '',"
     " content_id TEXT NOT NULL,"
     " fingerprint TEXT NOT NULL,"
     " answer TEXT NOT NULL DEFAULT '',"
     " response_message_id INTEGER REFERENCES message (id),"
     " created_ms INTEGER NOT NULL,"
     " updated_ms INTEGER NOT NULL,"
     " UNIQUE (message_id, number));"
     "CREATE INDEX IF NOT EXISTS orders_state ON orders (state, updated_ms);"
     "CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id, number);"
     "CREATE TABLE IF NOT EXISTS order_event ("
     " id INTEGER PRIMARY KEY,"
     " order_id INTEGER NOT NULL REFERENCES orders (id),"
     " at_ms INTEGER NOT NULL,"
     " event TEXT NOT NULL,"
     " actor TEXT NOT NULL DEFAULT '',"
     " detail TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX IF NOT EXISTS order_event_order ON order_event (order_id, id);"
     "CREATE TRIGGER IF NOT EXISTS order_event_no_update BEFORE UPDATE ON order_event"
     " BEGIN SELECT RAISE(ABORT, 'order events are append-only: rows cannot be changed'); END;"
     "CREATE TRIGGER IF NOT EXISTS order_event_no_delete BEFORE DELETE ON order_event"
     " BEGIN SELECT RAISE(ABORT, 'order events are append-only: rows cannot be deleted'); END;"
     "CREATE TABLE IF NOT EXISTS approval ("
     " id TEXT PRIMARY KEY,"
     " order_id INTEGER NOT NULL REFERENCES orders (id),"
     " customer_id TEXT NOT NULL,"
     " requester_id TEXT NOT NULL DEFAULT '',"
     " reason TEXT NOT NULL DEFAULT '',"
     " fingerprint TEXT NOT NULL,"
     " state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),"
     " created_at INTEGER NOT NULL,"
     " expires_at INTEGER NOT NULL,"
     " reminded_at INTEGER NOT NULL DEFAULT 0,"
     " decided_by TEXT NOT NULL DEFAULT '',"
     " decided_at INTEGER NOT NULL DEFAULT 0,"
     " comment TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX IF NOT EXISTS approval_order ON approval (order_id);"
     "CREATE INDEX IF NOT EXISTS approval_pending ON approval (expires_at)"
     " WHERE state = 'pending';"
     "CREATE TABLE IF NOT EXISTS approval_request ("
     " approval_id TEXT NOT NULL REFERENCES approval (id),"
     " user_id TEXT NOT NULL,"
     " mail_message_id INTEGER NOT NULL REFERENCES message (id),"
     " reminder INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (approval_id, user_id, reminder));"
     "CREATE TABLE IF NOT EXISTS mail_out ("
     " message_id INTEGER PRIMARY KEY REFERENCES message (id),"
     " mail_from TEXT NOT NULL,"
     " rcpt_to TEXT NOT NULL);"
     "CREATE TABLE IF NOT EXISTS used_nonce ("
     " nonce TEXT NOT NULL UNIQUE,"
     " expires_at INTEGER NOT NULL,"
     " used_ms INTEGER NOT NULL);"
     "CREATE TABLE IF NOT EXISTS invoice_number ("
     " year INTEGER PRIMARY KEY,"
     " last INTEGER NOT NULL CHECK (last > 0));",
     columns_4},
    /* 5: the documents an order's supplier sends after the order response (store_orders.h):
     * despatch advices and invoices, each its canonical document in the content store, the
     * quantities per order line it covers (JSON {"line": "quantity"}), its amount, and the
     * answer message it became once the "answer" step wrote it in the partner's format
     * (state pending -> answered, or not_answered with the sentence why). */
    {"despatch advices and invoices of orders",
     "CREATE TABLE IF NOT EXISTS order_document ("
     " id INTEGER PRIMARY KEY,"
     " order_id INTEGER NOT NULL REFERENCES orders (id),"
     " kind TEXT NOT NULL CHECK (kind IN ('despatch', 'invoice')),"
     " number TEXT NOT NULL,"
     " content_id TEXT NOT NULL,"
     " lines TEXT NOT NULL DEFAULT '{}',"
     " amount TEXT NOT NULL DEFAULT '',"
     " currency TEXT NOT NULL DEFAULT '',"
     " state TEXT NOT NULL DEFAULT 'pending'"
     " CHECK (state IN ('pending', 'answered', 'not_answered')),"
     " note TEXT NOT NULL DEFAULT '',"
     " message_id INTEGER REFERENCES message (id),"
     " created_ms INTEGER NOT NULL,"
     " UNIQUE (kind, number));"
     "CREATE INDEX IF NOT EXISTS order_document_order ON order_document (order_id, id);"
     "CREATE INDEX IF NOT EXISTS order_document_pending ON order_document (order_id)"
     " WHERE state = 'pending';",
     NULL},
    /* 6: the running total of each customer's open credit items per currency
     * (store_master.c keeps it with every write of credit_item), so that the credit check
     * of an order reads one row instead of every open item. amount is decimal text, NULL
     * while not known: SQL cannot add decimal text exactly, so the rows made here from the
     * items already open are NULL and store_master.c adds them up in C the first time it
     * needs them. items counts the open items (always exact), items_dec0..items_dec9 those
     * with 0..9 decimals (so the total prints with as many decimals as the items it holds).
     * The index finds the items one message wrote (left out of its own order's check). */
    {"running totals of open credit",
     "CREATE TABLE IF NOT EXISTS credit_total ("
     " customer_id TEXT NOT NULL,"
     " currency TEXT NOT NULL,"
     " amount TEXT,"
     " items INTEGER NOT NULL CHECK (items > 0),"
     " items_dec0 INTEGER NOT NULL DEFAULT 0, items_dec1 INTEGER NOT NULL DEFAULT 0,"
     " items_dec2 INTEGER NOT NULL DEFAULT 0, items_dec3 INTEGER NOT NULL DEFAULT 0,"
     " items_dec4 INTEGER NOT NULL DEFAULT 0, items_dec5 INTEGER NOT NULL DEFAULT 0,"
     " items_dec6 INTEGER NOT NULL DEFAULT 0, items_dec7 INTEGER NOT NULL DEFAULT 0,"
     " items_dec8 INTEGER NOT NULL DEFAULT 0, items_dec9 INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (customer_id, currency));"
     "INSERT OR IGNORE INTO credit_total (customer_id, currency, amount, items)"
     " SELECT customer_id, currency, NULL, COUNT(*) FROM credit_item"
     " GROUP BY customer_id, currency;"
     "CREATE INDEX IF NOT EXISTS credit_item_message ON credit_item (customer_id, message_id);",
     NULL},
    /* 7: AS2 (RFC 4130). as2_in: one row per AS2 message received, keyed by (AS2-From,
     * Message-ID) so that a repeated message is recognised and its MDN (in the content
     * store) replayed instead of a second order; `message_id` is the stored inbound message
     * (NULL when the message was refused before its payload was stored). as2_out: one row
     * per AS2 message sent, with the MIC computed at send time (base64 digest and its
     * algorithm), the MDN state (awaiting, received, mic-mismatch, negative, missing), the
     * MDN when it came and the deadline after which a missing MDN alerts. */
    {"AS2 messages in and out",
     "CREATE TABLE IF NOT EXISTS as2_in ("
     " as2_from TEXT NOT NULL,"
     " as2_message_id TEXT NOT NULL,"
     " message_id INTEGER REFERENCES message (id),"
     " disposition TEXT NOT NULL,"
     " mdn_content_id TEXT,"
     " received_ms INTEGER NOT NULL,"
     " PRIMARY KEY (as2_from, as2_message_id));"
     "CREATE TABLE IF NOT EXISTS as2_out ("
     " message_id INTEGER NOT NULL REFERENCES message (id),"
     " as2_message_id TEXT NOT NULL UNIQUE,"
     " attempt INTEGER NOT NULL DEFAULT 1,"
     " mic TEXT NOT NULL,"
     " mic_alg TEXT NOT NULL,"
     " mdn_mode TEXT NOT NULL CHECK (mdn_mode IN ('sync', 'async', 'none')),"
     " mdn_state TEXT NOT NULL,"
     " mdn_content_id TEXT,"
     " mdn_detail TEXT,"
     " sent_ms INTEGER NOT NULL,"
     " deadline_ms INTEGER,"
     " PRIMARY KEY (message_id, attempt));"
     "CREATE INDEX IF NOT EXISTS as2_out_waiting ON as2_out (mdn_state, deadline_ms);",
     NULL},
};

#define MIGRATION_COUNT ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements -------------------------------------------------------------------- */

#define MESSAGE_COLS                                                                      \
    "id, direction, partner, channel, filename, content_id, size, format, status,"       \
    " status_reason, reference, parent_id, created_ms, updated_ms"

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_VERSION,
    ST_VERSION_ADD,
    ST_MSG_INSERT,
    ST_MSG_GET,
    ST_MSG_UPDATE,
    ST_HIST_ADD,
    ST_HIST_LIST,
    ST_JOB_ADD,
    ST_JOB_CLAIM,
    ST_JOB_DONE,
    ST_JOB_RETRY,
    ST_JOB_COUNTS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT store_op",
    [ST_RELEASE] = "RELEASE store_op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO store_op",
    [ST_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_version",
    [ST_VERSION_ADD] = "INSERT INTO schema_version (version, what, applied_ms) VALUES (?1, ?2, ?3)",
    [ST_MSG_INSERT] =
        "INSERT INTO message (direction, partner, channel, filename, content_id, size, format,"
        " status, status_reason, reference, parent_id, created_ms, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    [ST_MSG_GET] = "SELECT " MESSAGE_COLS " FROM message WHERE id = ?1",
    [ST_MSG_UPDATE] =
        "UPDATE message SET partner = COALESCE(?2, partner), format = COALESCE(?3, format),"
        " reference = COALESCE(?4, reference), status = COALESCE(?5, status),"
        " status_reason = COALESCE(?6, status_reason), updated_ms = ?7 WHERE id = ?1",
    [ST_HIST_ADD] =
        "INSERT INTO history (message_id, at_ms, event, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_HIST_LIST] = "SELECT id, message_id, at_ms, event, actor, detail FROM history"
                     " WHERE message_id = ?1 ORDER BY id",
    [ST_JOB_ADD] =
        "INSERT INTO job (kind, message_id, run_after_ms, created_ms) VALUES (?1, ?2, ?3, ?4)",
    /* One statement, so the choice and the lease are one atomic step under the write lock. */
    [ST_JOB_CLAIM] =
        "UPDATE job SET worker = ?1, lease_until_ms = ?2, attempts = attempts + 1"
        " WHERE id = (SELECT id FROM job WHERE dead = 0 AND run_after_ms <= ?3"
        " AND lease_until_ms <= ?3 AND (?4 OR kind IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)) ORDER BY run_after_ms, id LIMIT 1)"
        " RETURNING id, kind, message_id, attempts, lease_until_ms, worker",
    [ST_JOB_DONE] =
        "DELETE FROM job WHERE id = ?1 AND worker = ?2 AND lease_until_ms = ?3 AND dead = 0",
    [ST_JOB_RETRY] =
        "UPDATE job SET dead = (attempts >= ?4), run_after_ms = ?5, lease_until_ms = 0,"
        " worker = '' WHERE id = ?1 AND worker = ?2 AND lease_until_ms = ?3 AND dead = 0"
        " RETURNING dead, attempts, message_id",
    [ST_JOB_COUNTS] = "SELECT COALESCE(SUM(dead = 0), 0), COALESCE(SUM(dead <> 0), 0) FROM job",
};

/* store_message_list: one statement per combination of the optional filters, so that each
 * can use its index. */
enum { LIST_STATUS = 1, LIST_PARTNER = 2, LIST_REFERENCE = 4, LIST_VARIANTS = 8 };

struct store {
    sqlite3 *db;
    char *path;
    int version;
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *list[LIST_VARIANTS];
    sqlite3_stmt *extra[STORE_SQLITE_EXTRA_SLOTS]; /* other modules' (store_sqlite_internal.h) */
    store_durability durability;
    bool durable_once;         /* store_begin_durable switched a relaxed handle to FULL */
    store_write_gate *gate;    /* borrowed; NULL: none */
    bool gated;                /* this handle holds the gate */
};

struct store_write_gate {
    pthread_mutex_t lock;
};

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The result and sentence for a failed SQLite call. */
static edi_result db_fail(store *s, const char *what, char *why, size_t why_n)
{
    int ext = sqlite3_extended_errcode(s->db);
    edi_result r = EDI_E_STORE;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        r = EDI_E_NOT_FOUND;
    else if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        r = EDI_E_CONFLICT;
    if (r == EDI_E_NOT_FOUND)
        edi_say(why, why_n, "%s: the message it refers to does not exist (database %s)", what,
                s->path);
    else
        edi_say(why, why_n, "%s failed in the database %s: %s", what, s->path,
                sqlite3_errmsg(s->db));
    return r;
}

/* The prepared statement `sql` in `*slot`, prepared at first use. NULL when it cannot be
 * prepared, or when it is still running (a callback of a listing called the same listing). */
static sqlite3_stmt *prepared(store *s, sqlite3_stmt **slot, const char *sql, char *why,
                              size_t why_n)
{
    if (*slot) {
        if (sqlite3_stmt_busy(*slot)) {
            edi_say(why, why_n, "the statement \"%.60s...\" is still in use on this handle "
                    "(a listing's callback must not start the same listing)", sql);
            return NULL;
        }
        return *slot;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        edi_say(why, why_n, "cannot prepare a statement for the database %s: %s", s->path,
                sqlite3_errmsg(s->db));
        *slot = NULL;
        return NULL;
    }
    return *slot;
}

static sqlite3_stmt *stmt(store *s, int which, char *why, size_t why_n)
{
    return prepared(s, &s->st[which], stmt_sql[which], why, why_n);
}

/* Ready the statement for its next use. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Run a statement that returns no rows. */
static edi_result exec_stmt(store *s, int which, const char *what, char *why, size_t why_n)
{
    sqlite3_stmt *st = stmt(s, which, why, why_n);
    if (!st)
        return EDI_E_STORE;
    int rc = sqlite3_step(st);
    edi_result r = rc == SQLITE_DONE ? EDI_OK : db_fail(s, what, why, why_n);
    done(st);
    return r;
}

/* Bind the text of a fixed-size field, never reading past its end. */
static void bind_field(sqlite3_stmt *st, int i, const char *field, size_t size)
{
    sqlite3_bind_text(st, i, field, (int)strnlen(field, size), SQLITE_TRANSIENT);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Copy a text column into a fixed-size field; a longer text is cut at a character
 * boundary (the database keeps it whole). */
static void column_field(sqlite3_stmt *st, int i, char *field, size_t size)
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

/* ---- transactions ------------------------------------------------------------------ */

/* The gate is taken before BEGIN IMMEDIATE and given back when the transaction ends. A
 * transaction that SQLite ended by itself (an I/O error) keeps it until this handle's next
 * commit or rollback: the handle's thread goes on using it. */
static void gate_enter(store *s)
{
    if (s->gate && !s->gated) {
        pthread_mutex_lock(&s->gate->lock);
        s->gated = true;
    }
}

/* After a transaction ended: the gate back, and a relaxed handle relaxed again. */
static void transaction_ended(store *s)
{
    if (s->durable_once) {
        s->durable_once = false;
        sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    }
    if (s->gated) {
        s->gated = false;
        pthread_mutex_unlock(&s->gate->lock);
    }
}

static edi_result begin_immediate(store *s, char *why, size_t why_n)
{
    gate_enter(s);
    edi_result r = exec_stmt(s, ST_BEGIN, "starting a transaction", why, why_n);
    if (r != EDI_OK)
        transaction_ended(s);
    return r;
}

static edi_result check_no_transaction(store *s, const char *who, char *why, size_t why_n)
{
    if (!s) {
        edi_say(why, why_n, "%s needs a store", who);
        return EDI_E_ARG;
    }
    if (!sqlite3_get_autocommit(s->db)) {
        edi_say(why, why_n, "a transaction is already open on this store handle");
        return EDI_E_ARG;
    }
    return EDI_OK;
}

edi_result store_begin(store *s, char *why, size_t why_n)
{
    edi_result r = check_no_transaction(s, "store_begin", why, why_n);
    return r != EDI_OK ? r : begin_immediate(s, why, why_n);
}

edi_result store_begin_durable(store *s, char *why, size_t why_n)
{
    edi_result r = check_no_transaction(s, "store_begin_durable", why, why_n);
    if (r != EDI_OK)
        return r;
    if (s->durability == STORE_RELAXED) {
        if (sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
            return db_fail(s, "asking for a durable commit", why, why_n);
        s->durable_once = true;
    }
    return begin_immediate(s, why, why_n);
}

edi_result store_set_durability(store *s, store_durability d, char *why, size_t why_n)
{
    edi_result r = check_no_transaction(s, "store_set_durability", why, why_n);
    if (r != EDI_OK)
        return r;
    if (sqlite3_exec(s->db, d == STORE_RELAXED ? "PRAGMA synchronous = NORMAL"
                                               : "PRAGMA synchronous = FULL",
                     NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "setting how commits reach the disk", why, why_n);
    s->durability = d;
    return EDI_OK;
}

store_write_gate *store_write_gate_new(void)
{
    store_write_gate *g = calloc(1, sizeof *g);
    if (g && pthread_mutex_init(&g->lock, NULL) != 0) {
        free(g);
        return NULL;
    }
    return g;
}

void store_write_gate_free(store_write_gate *g)
{
    if (!g)
        return;
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void store_use_write_gate(store *s, store_write_gate *g)
{
    if (s && !s->gated)
        s->gate = g;
}

edi_result store_commit(store *s, char *why, size_t why_n)
{
    if (!s) {
        edi_say(why, why_n, "store_commit needs a store");
        return EDI_E_ARG;
    }
    if (sqlite3_get_autocommit(s->db)) {
        transaction_ended(s);
        edi_say(why, why_n, "no transaction is open on this store handle (it was not begun, "
                "or an error rolled it back)");
        return EDI_E_ARG;
    }
    edi_result r = exec_stmt(s, ST_COMMIT, "committing", why, why_n);
    if (r != EDI_OK)
        store_rollback(s);
    else
        transaction_ended(s);
    return r;
}

void store_rollback(store *s)
{
    if (!s)
        return;
    if (!sqlite3_get_autocommit(s->db))
        exec_stmt(s, ST_ROLLBACK, "rolling back", NULL, 0);
    transaction_ended(s);
}

/* Every writing function below is wrapped in op_begin/op_end: its own BEGIN IMMEDIATE
 * transaction, or a savepoint inside the caller's, so that it is all or nothing. */
static edi_result op_begin(store *s, bool *own, char *why, size_t why_n)
{
    *own = sqlite3_get_autocommit(s->db) != 0;
    if (*own)
        return begin_immediate(s, why, why_n);
    return exec_stmt(s, ST_SAVEPOINT, "starting a transaction", why, why_n);
}

static edi_result op_end(store *s, bool own, edi_result r, char *why, size_t why_n)
{
    if (own) {
        if (r == EDI_OK)
            return store_commit(s, why, why_n);
        store_rollback(s);
        return r;
    }
    /* An I/O error may have ended the caller's transaction already. */
    if (sqlite3_get_autocommit(s->db))
        return r == EDI_OK ? EDI_E_STORE : r;
    if (r != EDI_OK)
        exec_stmt(s, ST_ROLLBACK_TO, "rolling back to a savepoint", NULL, 0);
    edi_result rr = exec_stmt(s, ST_RELEASE, "releasing a savepoint", why, why_n);
    return r != EDI_OK ? r : rr;
}

/* ---- for the other modules of this backend (store_sqlite_internal.h) --------------- */

sqlite3 *store_sqlite_db(store *s)
{
    return s->db;
}

const char *store_sqlite_path(store *s)
{
    return s->path;
}

sqlite3_stmt *store_sqlite_stmt(store *s, int slot, const char *sql, char *why, size_t why_n)
{
    if (slot < 0 || slot >= STORE_SQLITE_EXTRA_SLOTS) {
        edi_say(why, why_n, "statement slot %d is outside 0..%d", slot,
                STORE_SQLITE_EXTRA_SLOTS - 1);
        return NULL;
    }
    return prepared(s, &s->extra[slot], sql, why, why_n);
}

void store_sqlite_done(sqlite3_stmt *st)
{
    done(st);
}

bool store_sqlite_row(store *s, sqlite3_stmt *st, const char *what, edi_result *r, char *why,
                      size_t why_n)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        *r = db_fail(s, what, why, why_n);
    return false;
}

edi_result store_sqlite_fail(store *s, const char *what, char *why, size_t why_n)
{
    int ext = sqlite3_extended_errcode(s->db);
    edi_say(why, why_n, "%s failed in the database %s: %s", what, s->path, sqlite3_errmsg(s->db));
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return EDI_E_CONFLICT;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return EDI_E_NOT_FOUND;
    return EDI_E_STORE;
}

edi_result store_sqlite_op_begin(store *s, bool *own, char *why, size_t why_n)
{
    return op_begin(s, own, why, why_n);
}

edi_result store_sqlite_op_end(store *s, bool own, edi_result r, char *why, size_t why_n)
{
    return op_end(s, own, r, why, why_n);
}

/* ---- open, migrate, close ---------------------------------------------------------- */

static edi_result read_version(store *s, int *version, char *why, size_t why_n)
{
    sqlite3_stmt *st = stmt(s, ST_VERSION, why, why_n);
    if (!st)
        return EDI_E_STORE;
    edi_result r = EDI_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        r = db_fail(s, "reading the schema version", why, why_n);
    done(st);
    return r;
}

/* Add each column its table lacks. Names are constants of this file, never input. */
static edi_result add_columns(store *s, const added_column *cols, char *why, size_t why_n)
{
    for (const added_column *c = cols; c && c->table; c++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
                               &st, NULL) != SQLITE_OK)
            return db_fail(s, "reading a table's columns", why, why_n);
        sqlite3_bind_text(st, 1, c->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->column, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_ROW)
            continue;
        if (rc != SQLITE_DONE)
            return db_fail(s, "reading a table's columns", why, why_n);
        char sql[256];
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", c->table, c->column,
                 c->declaration);
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return db_fail(s, "adding a column", why, why_n);
    }
    return EDI_OK;
}

static edi_result migrate(store *s, char *why, size_t why_n)
{
    edi_result r = exec_stmt(s, ST_BEGIN, "starting a transaction", why, why_n);
    if (r != EDI_OK)
        return r;
    if (sqlite3_exec(s->db,
                     "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                     " what TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        r = db_fail(s, "creating the schema_version table", why, why_n);
        store_rollback(s);
        return r;
    }
    if ((r = read_version(s, &s->version, why, why_n)) != EDI_OK) {
        store_rollback(s);
        return r;
    }
    if ((r = store_commit(s, why, why_n)) != EDI_OK)
        return r;
    if (s->version > MIGRATION_COUNT) {
        edi_say(why, why_n, "the database %s has schema version %d, but this gateway knows "
                "only versions up to %d: it was written by a newer gateway, so use that one "
                "(or a backup made before the upgrade)", s->path, s->version, MIGRATION_COUNT);
        return EDI_E_STORE;
    }
    for (int i = s->version; i < MIGRATION_COUNT; i++) {
        if ((r = exec_stmt(s, ST_BEGIN, "starting a transaction", why, why_n)) != EDI_OK)
            return r;
        /* Another process may have applied it meanwhile. */
        int now_at = 0;
        if ((r = read_version(s, &now_at, why, why_n)) != EDI_OK) {
            store_rollback(s);
            return r;
        }
        if (now_at <= i) {
            char *err = NULL;
            if ((r = add_columns(s, migrations[i].columns, why, why_n)) != EDI_OK) {
                store_rollback(s);
                return r;
            }
            if (sqlite3_exec(s->db, migrations[i].sql, NULL, NULL, &err) != SQLITE_OK) {
                edi_say(why, why_n, "migration %d (%s) of the database %s failed: %s", i + 1,
                        migrations[i].what, s->path, err ? err : sqlite3_errmsg(s->db));
                sqlite3_free(err);
                store_rollback(s);
                return EDI_E_STORE;
            }
            sqlite3_stmt *st = stmt(s, ST_VERSION_ADD, why, why_n);
            if (!st) {
                store_rollback(s);
                return EDI_E_STORE;
            }
            sqlite3_bind_int(st, 1, i + 1);
            sqlite3_bind_text(st, 2, migrations[i].what, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, store_now_ms());
            int rc = sqlite3_step(st);
            done(st);
            if (rc != SQLITE_DONE) {
                r = db_fail(s, "recording a schema migration", why, why_n);
                store_rollback(s);
                return r;
            }
        }
        if ((r = store_commit(s, why, why_n)) != EDI_OK)
            return r;
        s->version = i + 1;
    }
    return EDI_OK;
}

store *store_open_sqlite(const char *path, char *why, size_t why_n)
{
    if (!path || !*path) {
        edi_say(why, why_n, "no database file given");
        return NULL;
    }
    store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        edi_say(why, why_n, "out of memory opening the database %s", path);
        return NULL;
    }
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc != SQLITE_OK) {
        edi_say(why, why_n, "cannot open the database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    sqlite3_stmt *st = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        mode = (const char *)sqlite3_column_text(st, 0);
    bool wal = mode && strcmp(mode, "wal") == 0;
    if (!wal)
        edi_say(why, why_n, "cannot put the database %s in WAL mode: %s", path,
                mode ? mode : sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (!wal) {
        store_close(s);
        return NULL;
    }
    if (sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
                     NULL) != SQLITE_OK) {
        edi_say(why, why_n, "cannot set up the database %s: %s", path, sqlite3_errmsg(s->db));
        store_close(s);
        return NULL;
    }
    if (migrate(s, why, why_n) != EDI_OK) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    store_rollback(s);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (int i = 0; i < LIST_VARIANTS; i++)
        sqlite3_finalize(s->list[i]);
    for (int i = 0; i < STORE_SQLITE_EXTRA_SLOTS; i++)
        sqlite3_finalize(s->extra[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int store_schema_version(store *s)
{
    return s ? s->version : 0;
}

/* ---- messages ---------------------------------------------------------------------- */

/* A text that must fit its field in store_message / store_event. */
static bool fits(const char *text, size_t size)
{
    return !text || strlen(text) < size;
}

static edi_result history_add(store *s, store_id message_id, const char *event, const char *actor,
                              const char *detail, char *why, size_t why_n)
{
    sqlite3_stmt *st = stmt(s, ST_HIST_ADD, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, message_id);
    sqlite3_bind_int64(st, 2, store_now_ms());
    sqlite3_bind_text(st, 3, event, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, actor ? actor : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    edi_result r = rc == SQLITE_DONE ? EDI_OK : db_fail(s, "adding to the history", why, why_n);
    done(st);
    return r;
}

static edi_result job_add(store *s, const char *kind, store_id message_id, int64_t run_after_ms,
                          char *why, size_t why_n)
{
    sqlite3_stmt *st = stmt(s, ST_JOB_ADD, why, why_n);
    if (!st)
        return EDI_E_STORE;
    int64_t now = store_now_ms();
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, message_id);
    sqlite3_bind_int64(st, 3, run_after_ms > 0 ? run_after_ms : now);
    sqlite3_bind_int64(st, 4, now);
    int rc = sqlite3_step(st);
    edi_result r = rc == SQLITE_DONE ? EDI_OK : db_fail(s, "adding a job", why, why_n);
    done(st);
    return r;
}

static bool valid_kind(const char *kind)
{
    return kind && *kind && strlen(kind) < sizeof((store_job *)0)->kind;
}

edi_result store_message_insert(store *s, const store_message *m, const char *first_job,
                                store_id *id, char *why, size_t why_n)
{
    if (!s || !m || !id || !m->content_id[0] || (m->direction != STORE_IN &&
                                                 m->direction != STORE_OUT)) {
        edi_say(why, why_n, "store_message_insert needs a store, a message with a direction "
                "and a content id, and somewhere to put the id");
        return EDI_E_ARG;
    }
    if (first_job && !valid_kind(first_job)) {
        edi_say(why, why_n, "the job kind \"%.40s\" is empty or too long", first_job);
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = stmt(s, ST_MSG_INSERT, why, why_n);
    if (!st)
        return op_end(s, own, EDI_E_STORE, why, why_n);
    int64_t now = store_now_ms();
    sqlite3_bind_int(st, 1, (int)m->direction);
    bind_field(st, 2, m->partner, sizeof m->partner);
    bind_field(st, 3, m->channel, sizeof m->channel);
    bind_field(st, 4, m->filename, sizeof m->filename);
    bind_field(st, 5, m->content_id, sizeof m->content_id);
    sqlite3_bind_int64(st, 6, m->size);
    bind_field(st, 7, m->format, sizeof m->format);
    if (m->status[0])
        bind_field(st, 8, m->status, sizeof m->status);
    else
        sqlite3_bind_text(st, 8, STORE_STATUS_RECEIVED, -1, SQLITE_STATIC);
    bind_field(st, 9, m->status_reason, sizeof m->status_reason);
    bind_field(st, 10, m->reference, sizeof m->reference);
    if (m->parent_id > 0)
        sqlite3_bind_int64(st, 11, m->parent_id);
    else
        sqlite3_bind_null(st, 11);
    sqlite3_bind_int64(st, 12, now);
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        return op_end(s, own, db_fail(s, "recording a message", why, why_n), why, why_n);
    store_id new_id = sqlite3_last_insert_rowid(s->db);
    char detail[512];
    snprintf(detail, sizeof detail, "received through %.*s%s%.*s, %lld bytes",
             (int)strnlen(m->channel, sizeof m->channel), m->channel[0] ? m->channel : "?",
             m->filename[0] ? " as " : "", (int)strnlen(m->filename, sizeof m->filename),
             m->filename, (long long)m->size);
    r = history_add(s, new_id, "received", "gateway", detail, why, why_n);
    if (r == EDI_OK && first_job)
        r = job_add(s, first_job, new_id, 0, why, why_n);
    r = op_end(s, own, r, why, why_n);
    if (r == EDI_OK)
        *id = new_id;
    return r;
}

static void row_to_message(sqlite3_stmt *st, store_message *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->direction = sqlite3_column_int(st, 1) == STORE_OUT ? STORE_OUT : STORE_IN;
    column_field(st, 2, m->partner, sizeof m->partner);
    column_field(st, 3, m->channel, sizeof m->channel);
    column_field(st, 4, m->filename, sizeof m->filename);
    column_field(st, 5, m->content_id, sizeof m->content_id);
    m->size = sqlite3_column_int64(st, 6);
    column_field(st, 7, m->format, sizeof m->format);
    column_field(st, 8, m->status, sizeof m->status);
    column_field(st, 9, m->status_reason, sizeof m->status_reason);
    column_field(st, 10, m->reference, sizeof m->reference);
    m->parent_id = sqlite3_column_int64(st, 11);
    m->created_ms = sqlite3_column_int64(st, 12);
    m->updated_ms = sqlite3_column_int64(st, 13);
}

edi_result store_message_get(store *s, store_id id, store_message *out, char *why, size_t why_n)
{
    if (!s || !out) {
        edi_say(why, why_n, "store_message_get needs a store and a record");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = stmt(s, ST_MSG_GET, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    edi_result r = EDI_OK;
    if (rc == SQLITE_ROW) {
        row_to_message(st, out);
    } else if (rc == SQLITE_DONE) {
        edi_say(why, why_n, "there is no message %lld in the database %s", (long long)id,
                s->path);
        r = EDI_E_NOT_FOUND;
    } else {
        r = db_fail(s, "reading a message", why, why_n);
    }
    done(st);
    return r;
}

edi_result store_message_update(store *s, store_id id, const char *partner, const char *format,
                                const char *reference, const char *status, const char *reason,
                                char *why, size_t why_n)
{
    const store_message *m = NULL;
    if (!s) {
        edi_say(why, why_n, "store_message_update needs a store");
        return EDI_E_ARG;
    }
    if (!fits(partner, sizeof m->partner) || !fits(format, sizeof m->format) ||
        !fits(reference, sizeof m->reference) || !fits(status, sizeof m->status) ||
        (status && !*status)) {
        edi_say(why, why_n, "message %lld: a partner, format, reference or status is too long "
                "for its field (or the status is empty)", (long long)id);
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = stmt(s, ST_MSG_UPDATE, why, why_n);
    if (!st)
        return op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, id);
    bind_text_or_null(st, 2, partner);
    bind_text_or_null(st, 3, format);
    bind_text_or_null(st, 4, reference);
    bind_text_or_null(st, 5, status);
    bind_text_or_null(st, 6, reason);
    sqlite3_bind_int64(st, 7, store_now_ms());
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE) {
        r = db_fail(s, "updating a message", why, why_n);
    } else if (sqlite3_changes(s->db) == 0) {
        edi_say(why, why_n, "there is no message %lld in the database %s", (long long)id,
                s->path);
        r = EDI_E_NOT_FOUND;
    }
    return op_end(s, own, r, why, why_n);
}

edi_result store_message_list(store *s, const store_message_filter *f,
                              int (*each)(void *ctx, const store_message *m), void *ctx,
                              char *why, size_t why_n)
{
    if (!s || !f || !each) {
        edi_say(why, why_n, "store_message_list needs a store, a filter and a callback");
        return EDI_E_ARG;
    }
    int variant = (f->status && *f->status ? LIST_STATUS : 0) |
                  (f->partner && *f->partner ? LIST_PARTNER : 0) |
                  (f->reference && *f->reference ? LIST_REFERENCE : 0);
    /* The text is made of constant pieces only; the values are bound below. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " MESSAGE_COLS " FROM message WHERE created_ms >= ?1"
             " AND (?2 < 0 OR direction = ?2)%s%s%s"
             " ORDER BY created_ms DESC, id DESC LIMIT ?6",
             variant & LIST_STATUS ? " AND status = ?3" : "",
             variant & LIST_PARTNER ? " AND partner = ?4" : "",
             variant & LIST_REFERENCE ? " AND reference = ?5" : "");
    sqlite3_stmt *st = prepared(s, &s->list[variant], sql, why, why_n);
    if (!st)
        return EDI_E_STORE;
    sqlite3_bind_int64(st, 1, f->since_ms);
    sqlite3_bind_int(st, 2, f->direction == STORE_IN || f->direction == STORE_OUT ? f->direction
                                                                                  : -1);
    if (variant & LIST_STATUS)
        sqlite3_bind_text(st, 3, f->status, -1, SQLITE_TRANSIENT);
    if (variant & LIST_PARTNER)
        sqlite3_bind_text(st, 4, f->partner, -1, SQLITE_TRANSIENT);
    if (variant & LIST_REFERENCE)
        sqlite3_bind_text(st, 5, f->reference, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, f->limit ? (int64_t)f->limit : 100);
    edi_result r = EDI_OK;
    store_message *m = malloc(sizeof *m);
    if (!m) {
        done(st);
        edi_say(why, why_n, "out of memory listing messages");
        return EDI_E_NOMEM;
    }
    while (store_sqlite_row(s, st, "listing messages", &r, why, why_n)) {
        row_to_message(st, m);
        if (each(ctx, m) != 0)
            break;
    }
    free(m);
    done(st);
    return r;
}

/* ---- history ----------------------------------------------------------------------- */

edi_result store_history_add(store *s, store_id message_id, const char *event, const char *actor,
                             const char *detail, char *why, size_t why_n)
{
    const store_event *e = NULL;
    if (!s || !event || !*event || !fits(event, sizeof e->event) ||
        !fits(actor, sizeof e->actor)) {
        edi_say(why, why_n, "store_history_add needs a store and an event name of at most %zu "
                "characters (and an actor of at most %zu)", sizeof e->event - 1,
                sizeof e->actor - 1);
        return EDI_E_ARG;
    }
    /* One statement: no transaction of its own is needed. */
    return history_add(s, message_id, event, actor, detail, why, why_n);
}

edi_result store_history_list(store *s, store_id message_id,
                              int (*each)(void *ctx, const store_event *e), void *ctx,
                              char *why, size_t why_n)
{
    if (!s || !each) {
        edi_say(why, why_n, "store_history_list needs a store and a callback");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = stmt(s, ST_HIST_LIST, why, why_n);
    if (!st)
        return EDI_E_STORE;
    store_event *e = malloc(sizeof *e);
    if (!e) {
        edi_say(why, why_n, "out of memory listing a history");
        return EDI_E_NOMEM;
    }
    sqlite3_bind_int64(st, 1, message_id);
    edi_result r = EDI_OK;
    while (store_sqlite_row(s, st, "listing a history", &r, why, why_n)) {
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->message_id = sqlite3_column_int64(st, 1);
        e->at_ms = sqlite3_column_int64(st, 2);
        column_field(st, 3, e->event, sizeof e->event);
        column_field(st, 4, e->actor, sizeof e->actor);
        column_field(st, 5, e->detail, sizeof e->detail);
        if (each(ctx, e) != 0)
            break;
    }
    free(e);
    done(st);
    return r;
}

/* ---- the job queue ----------------------------------------------------------------- */

edi_result store_job_enqueue(store *s, const char *kind, store_id message_id, int64_t run_after_ms,
                             char *why, size_t why_n)
{
    if (!s || !valid_kind(kind)) {
        edi_say(why, why_n, "store_job_enqueue needs a store and a job kind of 1 to %zu "
                "characters", sizeof((store_job *)0)->kind - 1);
        return EDI_E_ARG;
    }
    return job_add(s, kind, message_id, run_after_ms, why, why_n);
}

edi_result store_job_claim(store *s, const char *worker, int64_t lease_ms, const char *const *kinds,
                           store_job *out, bool *got, char *why, size_t why_n)
{
    if (!s || !worker || !*worker || !fits(worker, sizeof out->worker) || lease_ms <= 0 || !out ||
        !got) {
        edi_say(why, why_n, "store_job_claim needs a store, a worker name of at most %zu "
                "characters, a positive lease and somewhere to put the job",
                sizeof out->worker - 1);
        return EDI_E_ARG;
    }
    *got = false;
    size_t n_kinds = 0;
    while (kinds && kinds[n_kinds])
        n_kinds++;
    if (n_kinds > CLAIM_KINDS_MAX) {
        edi_say(why, why_n, "a worker can claim at most %d kinds of jobs, not %zu",
                CLAIM_KINDS_MAX, n_kinds);
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = stmt(s, ST_JOB_CLAIM, why, why_n);
    if (!st)
        return op_end(s, own, EDI_E_STORE, why, why_n);
    int64_t now = store_now_ms();
    sqlite3_bind_text(st, 1, worker, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now + lease_ms);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, kinds == NULL);
    for (size_t i = 0; i < n_kinds; i++)
        sqlite3_bind_text(st, 5 + (int)i, kinds[i], -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(st, 0);
        column_field(st, 1, out->kind, sizeof out->kind);
        out->message_id = sqlite3_column_int64(st, 2);
        out->attempts = sqlite3_column_int(st, 3) - 1;
        out->lease_until_ms = sqlite3_column_int64(st, 4);
        column_field(st, 5, out->worker, sizeof out->worker);
        rc = sqlite3_step(st);
        *got = true;
    }
    if (rc != SQLITE_DONE) {
        *got = false;
        r = db_fail(s, "claiming a job", why, why_n);
    }
    done(st);
    r = op_end(s, own, r, why, why_n);
    if (r != EDI_OK)
        *got = false;
    return r;
}

static edi_result lost_lease(const store_job *j, char *why, size_t why_n)
{
    edi_say(why, why_n, "job %lld (%s) is no longer leased to %s: its lease expired and "
            "another worker took it, so this worker's work must be rolled back",
            (long long)j->id, j->kind, j->worker);
    return EDI_E_CONFLICT;
}

edi_result store_job_done(store *s, const store_job *j, const char *next_kind, char *why,
                          size_t why_n)
{
    if (!s || !j || (next_kind && !valid_kind(next_kind))) {
        edi_say(why, why_n, "store_job_done needs a store, a claimed job and a next kind of "
                "at most %zu characters (or none)", sizeof j->kind - 1);
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = stmt(s, ST_JOB_DONE, why, why_n);
    if (!st)
        return op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, j->id);
    bind_field(st, 2, j->worker, sizeof j->worker);
    sqlite3_bind_int64(st, 3, j->lease_until_ms);
    int rc = sqlite3_step(st);
    done(st);
    if (rc != SQLITE_DONE)
        r = db_fail(s, "finishing a job", why, why_n);
    else if (sqlite3_changes(s->db) != 1)
        r = lost_lease(j, why, why_n);
    else if (next_kind)
        r = job_add(s, next_kind, j->message_id, 0, why, why_n);
    return op_end(s, own, r, why, why_n);
}

edi_result store_job_retry(store *s, const store_job *j, int64_t retry_after_ms, int max_attempts,
                           const char *reason, char *why, size_t why_n)
{
    if (!s || !j || retry_after_ms < 0 || max_attempts < 1) {
        edi_say(why, why_n, "store_job_retry needs a store, a claimed job, a delay of 0 or "
                "more and at least one attempt");
        return EDI_E_ARG;
    }
    bool own;
    edi_result r = op_begin(s, &own, why, why_n);
    if (r != EDI_OK)
        return r;
    sqlite3_stmt *st = stmt(s, ST_JOB_RETRY, why, why_n);
    if (!st)
        return op_end(s, own, EDI_E_STORE, why, why_n);
    sqlite3_bind_int64(st, 1, j->id);
    bind_field(st, 2, j->worker, sizeof j->worker);
    sqlite3_bind_int64(st, 3, j->lease_until_ms);
    sqlite3_bind_int(st, 4, max_attempts);
    sqlite3_bind_int64(st, 5, store_now_ms() + retry_after_ms);
    int rc = sqlite3_step(st);
    bool dead = false;
    int attempts = 0;
    store_id message_id = 0;
    bool found = false;
    if (rc == SQLITE_ROW) {
        found = true;
        dead = sqlite3_column_int(st, 0) != 0;
        attempts = sqlite3_column_int(st, 1);
        message_id = sqlite3_column_int64(st, 2);
        rc = sqlite3_step(st);
    }
    done(st);
    if (rc != SQLITE_DONE) {
        r = db_fail(s, "giving a job back", why, why_n);
    } else if (!found) {
        r = lost_lease(j, why, why_n);
    } else {
        char detail[1024];
        if (dead)
            snprintf(detail, sizeof detail, "the %.32s step gave up after %d attempts: %s",
                     j->kind, attempts, reason ? reason : "no reason given");
        else
            snprintf(detail, sizeof detail,
                     "the %.32s step failed (attempt %d of %d) and runs again in %lld ms: %s",
                     j->kind, attempts, max_attempts, (long long)retry_after_ms,
                     reason ? reason : "no reason given");
        r = history_add(s, message_id, dead ? "dead" : "retry", j->worker, detail, why, why_n);
    }
    return op_end(s, own, r, why, why_n);
}

edi_result store_job_counts(store *s, int64_t *waiting, int64_t *dead, char *why, size_t why_n)
{
    if (!s || !waiting || !dead) {
        edi_say(why, why_n, "store_job_counts needs a store and two counters");
        return EDI_E_ARG;
    }
    sqlite3_stmt *st = stmt(s, ST_JOB_COUNTS, why, why_n);
    if (!st)
        return EDI_E_STORE;
    edi_result r = EDI_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *waiting = sqlite3_column_int64(st, 0);
        *dead = sqlite3_column_int64(st, 1);
    } else {
        r = db_fail(s, "counting jobs", why, why_n);
    }
    done(st);
    return r;
}

/* store.h: the gateway's database, behind one interface so that the SQLite backend of
 * today and a PostgreSQL backend later serve the same callers. It owns the records of
 * messages (inbound and outbound, each pointing at its raw payload in the content store),
 * their append-only history, and the job queue that drives every step: a step's work, its
 * history and the next job are written in one transaction, workers claim jobs with a lease,
 * and a job whose lease expired is claimed again (every step is idempotent).
 *
 * Threads: one `store` handle per thread (a handle is one database connection). Several
 * handles, threads and processes may open the same database. Times are Unix milliseconds.
 * Errors: an edi_result and a sentence in `why` (EDI_E_STORE: the database failed;
 * EDI_E_NOT_FOUND; EDI_E_CONFLICT: a lost lease or a duplicate). Master data (customers,
 * users, articles, contracts, order numbers, credit) is the part in store_master.h. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"

typedef int64_t store_id;

typedef struct store store;

/* Open (creating it when missing) the SQLite database at `path` in WAL mode, and bring its
 * schema to the newest version: numbered migrations are applied in order, each in its own
 * transaction, and recorded. A database newer than this program is refused. NULL with a
 * sentence in `why`. Free with store_close. */
store *store_open_sqlite(const char *path, char *why, size_t why_n);
void store_close(store *s);

/* The schema version the database is at (the number of the last migration applied). */
int store_schema_version(store *s);

/* Now, in Unix milliseconds (the clock the store uses for leases and history). */
int64_t store_now_ms(void);

/* ---- transactions ------------------------------------------------------------------ */

/* Every function below runs in its own transaction unless the caller has begun one; then it
 * joins it, and nothing is visible to others before store_commit. store_begin takes the
 * write lock at once (SQLite BEGIN IMMEDIATE), waiting up to a few seconds for it. */
edi_result store_begin(store *s, char *why, size_t why_n);
edi_result store_commit(store *s, char *why, size_t why_n);
void store_rollback(store *s);

/* How a handle's commits reach the disk.
 *   STORE_DURABLE (what store_open gives): a commit is on disk when it returns, so it
 *     survives a power loss. For every handle that tells the outside world something
 *     (an inbox file moved away, an HTTP answer, a command's output).
 *   STORE_RELAXED: a commit survives a crash of the process (kill -9), but the last ones
 *     may be lost with the machine's power; the database is then as it was a moment
 *     earlier, never damaged. For the pipeline's workers: a lost step's job is still
 *     waiting and the step runs again (every step is idempotent). Before anything leaves
 *     the gateway such a handle uses store_begin_durable.
 * Only between transactions; EDI_E_ARG inside one. */
typedef enum { STORE_DURABLE = 0, STORE_RELAXED } store_durability;
edi_result store_set_durability(store *s, store_durability d, char *why, size_t why_n);

/* store_begin for a transaction whose commit is on disk when store_commit returns, and
 * with it every commit before it, whatever the handle's durability. */
edi_result store_begin_durable(store *s, char *why, size_t why_n);

/* A lock of the process that its store handles on one database take for the length of a
 * write transaction: a thread waiting to write wakes as soon as the one before it commits,
 * where SQLite's busy handler would poll with growing sleeps (other processes, such as a
 * command run by hand, still meet that). Made and freed by the owner of the handles, after
 * the last handle using it is closed. NULL when out of memory. */
typedef struct store_write_gate store_write_gate;
store_write_gate *store_write_gate_new(void);
void store_write_gate_free(store_write_gate *g);
/* Handle `s` takes gate `g` (NULL: none) from its next transaction on. Use one thread per
 * handle and at most one open transaction per thread, or threads wait for each other. */
void store_use_write_gate(store *s, store_write_gate *g);

/* ---- messages ---------------------------------------------------------------------- */

typedef enum { STORE_IN = 0, STORE_OUT = 1 } store_direction;

/* Statuses a message passes through; the pipeline sets them, people filter by them. */
#define STORE_STATUS_RECEIVED "received"   /* stored, nothing done yet */
#define STORE_STATUS_PROCESSING "processing"
#define STORE_STATUS_DONE "done"           /* inbound: mapped and handed to the pipeline */
#define STORE_STATUS_FAILED "failed"       /* needs a person: status_reason says why */
#define STORE_STATUS_QUEUED "queued"       /* outbound: waiting to be sent */
#define STORE_STATUS_SENT "sent"
#define STORE_STATUS_DEAD "dead"           /* outbound: the last retry failed */

typedef struct {
    store_id id;                 /* set by the store */
    store_direction direction;
    char partner[64];            /* partner id, "" when not (yet) known */
    char channel[32];            /* "dir", "api", "cli", later "as2", "sftp", "mail" */
    char filename[256];          /* as received or to send, sanitized; may be "" */
    char content_id[65];         /* the payload in the content store */
    int64_t size;                /* bytes of the payload */
    char format[64];             /* "EDIFACT ORDERS D96A", "openTRANS 2.1 ORDER", ...; "" unknown */
    char status[24];             /* STORE_STATUS_* */
    char status_reason[640];     /* for failed messages: what, where, why, what to do */
    char reference[96];          /* the business number once known (order, invoice) */
    store_id parent_id;          /* the message this one answers or was edited from; 0 none */
    int64_t created_ms, updated_ms; /* set by the store */
} store_message;

/* Record a message (status as given, normally STORE_STATUS_RECEIVED) with the history
 * event "received" and, when `first_job` is not NULL, the job of that kind for it, in one
 * transaction. *id gets the new id. */
edi_result store_message_insert(store *s, const store_message *m, const char *first_job,
                                store_id *id, char *why, size_t why_n);

edi_result store_message_get(store *s, store_id id, store_message *out, char *why, size_t why_n);

/* Change what later steps learned: partner, format, reference, status and its reason
 * (fields given as NULL are left as they are). */
edi_result store_message_update(store *s, store_id id, const char *partner, const char *format,
                                const char *reference, const char *status, const char *reason,
                                char *why, size_t why_n);

/* A filter for listing; zero/empty fields do not filter. */
typedef struct {
    const char *status;
    const char *partner;
    const char *reference;
    int64_t since_ms;
    int direction;               /* -1 any, else store_direction */
    size_t limit;                /* 0: 100 */
} store_message_filter;

/* Call `each` for every matching message, newest first; a non-zero return stops. */
edi_result store_message_list(store *s, const store_message_filter *f,
                              int (*each)(void *ctx, const store_message *m), void *ctx,
                              char *why, size_t why_n);

/* ---- history (append-only) --------------------------------------------------------- */

typedef struct {
    store_id id, message_id;
    int64_t at_ms;
    char event[32];              /* "received", "parsed", "mapped", "finding", "failed", ... */
    char actor[64];              /* "gateway", a worker, a user */
    char detail[1024];           /* a sentence, or JSON for structured findings */
} store_event;

edi_result store_history_add(store *s, store_id message_id, const char *event, const char *actor,
                             const char *detail, char *why, size_t why_n);

/* Every event of the message, oldest first. */
edi_result store_history_list(store *s, store_id message_id,
                              int (*each)(void *ctx, const store_event *e), void *ctx,
                              char *why, size_t why_n);

/* ---- the job queue ----------------------------------------------------------------- */

typedef struct {
    store_id id;
    char kind[32];               /* the step: "identify", "map", "send", ... */
    store_id message_id;
    int attempts;                /* how often it was claimed before this claim */
    int64_t lease_until_ms;
    char worker[64];
} store_job;

/* Add a job of `kind` for `message_id`, to run not before `run_after_ms` (0: now). Within
 * a caller's transaction this is the transactional outbox: the job exists exactly when the
 * work that asked for it was committed. */
edi_result store_job_enqueue(store *s, const char *kind, store_id message_id, int64_t run_after_ms,
                             char *why, size_t why_n);

/* Claim the oldest job that is due and not leased (or whose lease expired), for `worker`,
 * until now + lease_ms. *got is false when there is none. Only kinds in `kinds`
 * (NULL-terminated; NULL: any) are claimed. */
edi_result store_job_claim(store *s, const char *worker, int64_t lease_ms, const char *const *kinds,
                           store_job *out, bool *got, char *why, size_t why_n);

/* Finish a claimed job: it is removed, and when `next_kind` is not NULL the next job for the
 * same message is enqueued, in the caller's transaction (or its own). EDI_E_CONFLICT when
 * the lease is no longer this worker's (it expired and another worker claimed the job):
 * the caller must roll back its work. */
edi_result store_job_done(store *s, const store_job *j, const char *next_kind, char *why,
                          size_t why_n);

/* Give a claimed job back to run again `retry_after_ms` milliseconds from now (a delay, not
 * a time), with `reason` in the message's history; after `max_attempts` claims it is kept as
 * dead instead (and the history says so). EDI_E_CONFLICT as for store_job_done. */
edi_result store_job_retry(store *s, const store_job *j, int64_t retry_after_ms, int max_attempts,
                           const char *reason, char *why, size_t why_n);

/* Jobs waiting (due or not) and dead, for status pages and tests. */
edi_result store_job_counts(store *s, int64_t *waiting, int64_t *dead, char *why, size_t why_n);

#endif

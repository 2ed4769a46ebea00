/* pipeline.h: the steps a received message goes through, each one job of the store's queue:
 * "identify" (format by content, partner by envelope), "contrl" (the CONTRL the partner
 * wants, as an outbound message), "map" (canonical documents into the content store, with
 * their findings in the history; each canonical order recorded as an order), "check" (the
 * order checks and approval rules decide each order: rejected, held, waiting for approval
 * or accepted; gateway/orders.h), "answer" (the order response of each decided order, and
 * each despatch advice and invoice recorded for its orders, in the partner's format, as an
 * outbound message), "send" (an outbound payload into the partner's outbox folder, retried
 * with exponential backoff and dead after the last try) and "mail" (an outbound mail to the
 * SMTP server, retried with backoff). Support asks for a message to be sent again
 * (pipeline_resend) or processed again, from its own bytes or an edited copy. Every step claims its job, does its work, then writes its results, its history,
 * the next job and the end of its job in one transaction; a step that lost its lease rolls
 * back. Steps are idempotent: a job that runs twice leaves what one run leaves. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "as2_send.h"
#include "channel_sftp.h"
#include "content_store.h"
#include "convert.h"
#include "edi_directory.h"
#include "mailer.h"
#include "orders.h"
#include "partner.h"
#include "store.h"

/* The job kinds the steps handle, NULL-terminated (for store_job_claim). */
extern const char *const pipeline_job_kinds[];

/* What a worker thread brings: its own store handle and conversion engine; the content
 * store, EDIFACT directory and partner set may be shared by every worker. Borrowed. */
typedef struct {
    store *store;
    content_store *content;
    convert_engine *engine;
    edi_directory *directory;
    const partner_set *partners;
    const char *worker;        /* its name in leases and history: "worker-1234-2" */
    int64_t lease_ms;
    bool orders;               /* the order pipeline runs for the orders of partners with a
                                  customer and for web orders: map records them, "check"
                                  follows */
    const orders_settings *approvals; /* asking approvers and telling web-order customers
                                         (orders_notify_requester); NULL, or no mail_from:
                                         nobody can be asked or told */
    const mailer_options *mail;       /* the SMTP server; NULL: mails cannot be sent */
    sftp_gate *sftp_gate;             /* the partners' limits on SFTP connections; NULL: none */
    const as2_send_settings *as2;     /* our AS2 side (<as2>); NULL: AS2 cannot be sent */
    /* The outbox: a send that cannot write is tried again after send_backoff_ms, doubling
     * each time up to send_backoff_max_ms, send_attempts times in all; then the message is
     * dead. 0: the defaults PIPELINE_SEND_* below. */
    int send_attempts;
    int64_t send_backoff_ms, send_backoff_max_ms;
} pipeline_ctx;

#define PIPELINE_SEND_ATTEMPTS 10
#define PIPELINE_SEND_BACKOFF_MS 1000
#define PIPELINE_SEND_BACKOFF_MAX_MS 300000

/* The pause before try `attempt` + 1 after try `attempt` (1, 2, ...) failed:
 * first x 2^(attempt-1), at most `max` (0 values: the defaults). */
int64_t pipeline_send_backoff(int attempt, int64_t first, int64_t max);

/* Claim one due job and run its step. *ran is false when there was none. EDI_OK when the
 * step ended (whatever became of the message: failed messages are an outcome, not an
 * error); EDI_E_CONFLICT when the lease was lost (the work was rolled back, another worker
 * has the job); other errors (the store, the disk) after the job was given back to run
 * again later, `why` saying what went wrong. */
edi_result pipeline_step(pipeline_ctx *p, bool *ran, char *why, size_t why_n);

/* Run the step of the claimed job `j` (as pipeline_step does after its claim). */
edi_result pipeline_run(pipeline_ctx *p, const store_job *j, char *why, size_t why_n);

/* Ask for message `id` to be processed again from its stored raw bytes: status received,
 * the history event "reprocess" by `actor` and a new "identify" job, in one transaction.
 * EDI_E_NOT_FOUND for an unknown id, EDI_E_ARG for an outbound message. */
edi_result pipeline_reprocess(store *s, store_id id, const char *actor, char *why, size_t why_n);

/* Process an edited copy of inbound message `id`: `len` bytes at `data` go to the content
 * store and become a new inbound message (same partner and channel, parent = `id`, file
 * name "edited-<name>") with its "identify" job; the original keeps its bytes and status and
 * gets the history event "edited" naming the copy and `actor`, in one transaction.
 * *copy_id gets the new message. EDI_E_NOT_FOUND, EDI_E_ARG (outbound, or no bytes). */
edi_result pipeline_reprocess_edited(store *s, content_store *cs, store_id id, const char *data,
                                     size_t len, const char *actor, store_id *copy_id,
                                     char *why, size_t why_n);

/* Send outbound message `id` again (after its partner's outbox was fixed, say): status
 * queued, the history event "resend" naming `actor`, and a new "send" job ("mail" for a
 * mail), in one transaction. EDI_E_NOT_FOUND, EDI_E_ARG for an inbound message. */
edi_result pipeline_resend(store *s, store_id id, const char *actor, char *why, size_t why_n);

#endif

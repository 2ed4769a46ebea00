/* channel_email_in.h: the e-mail channel, inbound. It owns polling mailboxes (the shared
 * ones of the configuration, each partner's own from its profile): every mail is stored
 * whole as an inbound message (channel "email") exactly once, and only then marked seen
 * and moved to the done folder; and unpacking a stored mail in the pipeline: its documents
 * become child messages with their own "identify" job, a mail that cannot be used is a
 * failed message with its reason (and, when the partner wants it, a reply to the sender
 * saying what to do), a delivery status notification marks the outbound message it
 * reports on failed. Reading MIME is mail_unpack's, speaking IMAP imap_client's. */
#ifndef CHANNEL_EMAIL_IN_H
#define CHANNEL_EMAIL_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "content_store.h"
#include "edi_buf.h"
#include "edi_result.h"
#include "partner.h"
#include "pipeline.h"
#include "store.h"

/* ---- polling ----------------------------------------------------------------------- */

typedef struct email_poller email_poller;

/* The mailboxes to poll: every <imap> of `cfg` (partner "") and the <mailbox> of every
 * partner profile in `ps` that has one (that partner; polled every 60 s with the system's
 * CA certificates; imaps://, or imap:// with STARTTLS unless its loopbackPlain says so). Mails over `max_bytes` are left in the mailbox
 * and reported. `cfg` and `ps` are borrowed and must outlive the poller. NULL when out of
 * memory. Free with email_poller_free. */
email_poller *email_poller_new(const gateway_config *cfg, const partner_set *ps,
                               size_t max_bytes);
void email_poller_free(email_poller *p);
size_t email_poller_count(const email_poller *p);

/* Called with a sentence when a mailbox cannot be read or a mail cannot be taken (once per
 * new problem, not at every poll). */
typedef void (*email_report_fn)(void *ctx, const char *sentence);

/* Poll every mailbox that is due at `now_ms` (its interval passed since its last poll).
 * For each mail: its raw bytes into the content store, then the message (status received,
 * channel "email", partner the mailbox's or "", file name the subject + ".eml" or
 * "mail-<uid>.eml") with the history events "received" and "mailbox" (where it came from:
 * mailbox, UID, Message-ID, sender) and its "identify" job in one transaction; only then
 * \Seen and the move to the done folder. A mail already in the mailbox when the poller
 * first looked (the process may have stored it before a crash) is looked up first (same
 * channel and bytes, received after it reached the server) and only moved when it is
 * there. *taken (may be NULL) counts the mails stored. Problems go to `report`; EDI_OK
 * unless the store failed. */
edi_result email_poller_poll(email_poller *p, store *s, content_store *cs, int64_t now_ms,
                             size_t *taken, email_report_fn report, void *ctx, char *why,
                             size_t why_n);

/* ---- unpacking (a pipeline step) ------------------------------------------------------- */

/* Whether inbound message `m` with its bytes is a mail to unpack rather than a document to
 * identify: channel "email" and no parent (what a mailbox gave), or bytes that look like a
 * mail (a .eml dropped into an inbox, an edited copy of a mail). */
bool email_in_is_mail(const store_message *m, const char *data, size_t len);

/* The step for mail message `m` (its raw bytes `raw`) under claimed job `j`, in one
 * transaction with the end of the job: the documents of a usable mail become child messages
 * (parent m, channel "email", the mailbox's partner or the one whose <email><address> is
 * the sender, each with an "identify" job; documents a run before already made are not made
 * again) and the mail is done with the history "unpacked: N documents: ..."; a mail that
 * cannot be used, or from a sender no profile has when the mailbox is shared, is failed
 * with its reason, and a reply (an outbound "mail" message with its "mail" job) tells the
 * sender what to do when the partner's profile says replyOnFailure and the mail was not
 * sent by a machine; a delivery status notification marks the outbound message whose
 * Message-ID it returns failed with the status and diagnostic, and is done. A failure of
 * the store gives the job back to run again. Returns as pipeline_run does. */
edi_result email_in_unpack(pipeline_ctx *p, const store_job *j, const store_message *m,
                           const edi_buf *raw, char *why, size_t why_n);

#endif

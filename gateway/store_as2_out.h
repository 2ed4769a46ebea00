/* store_as2_out.h: the AS2 messages we sent (table as2_out, migration 7): per outbound
 * message its AS2 Message-ID, the transmission attempt, the MIC computed at send time and
 * what became of the MDN (awaiting it until a deadline, received, MIC mismatch, negative,
 * missing). A retry keeps the Message-ID and counts up `attempt` on the same row (RFC 4130
 * §5.4 / bis: a resend is the same message); a new transmission after a final state (a
 * person's `gateway resend`) is a new row with a new Message-ID and the next attempt.
 * Errors as store.h: an edi_result and a sentence in `why`. */
#ifndef STORE_AS2_OUT_H
#define STORE_AS2_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"
#include "store.h"

/* MDN states (as2_out.mdn_state). */
#define AS2_OUT_AWAITING "awaiting"         /* sent (or being sent); the MDN is due */
#define AS2_OUT_RESEND "resend"             /* its MDN did not come in time; a send job
                                               will transmit it again */
#define AS2_OUT_RECEIVED "received"         /* MDN processed and the MIC matches */
#define AS2_OUT_MIC_MISMATCH "mic-mismatch" /* MDN processed, but its MIC is not ours */
#define AS2_OUT_NEGATIVE "negative"         /* MDN with an error or failure disposition */
#define AS2_OUT_MISSING "missing"           /* no MDN after the last attempt's deadline */
#define AS2_OUT_BAD_SIGNATURE "bad-signature" /* an MDN whose signature does not verify */
#define AS2_OUT_REFUSED "refused"           /* the partner's server refused the POST (4xx) */
#define AS2_OUT_NOT_REQUESTED "not-requested" /* the partner wants no MDN */

#define AS2_OUT_ID_MAX 256                  /* Message-ID with brackets, with NUL */

typedef struct {
    store_id message_id;                    /* the outbound message */
    char as2_message_id[AS2_OUT_ID_MAX];    /* "<...@...>" as sent */
    int attempt;                            /* 1, 2, ... */
    char mic[100];                          /* base64 digest (no line breaks) */
    char mic_alg[16];                       /* RFC spelling: "sha-256" */
    char mdn_mode[8];                       /* "sync" | "async" | "none" */
    char mdn_state[16];                     /* AS2_OUT_* */
    char mdn_content_id[65];                /* the MDN in the content store; "" none */
    char mdn_detail[1024];                  /* disposition, which signature variant, ... */
    int64_t sent_ms;
    int64_t deadline_ms;                    /* 0: none */
} store_as2_out;

/* A final state: no MDN is awaited any more for that row. */
bool store_as2_out_final(const char *mdn_state);

/* The newest row (highest attempt) of outbound message `message_id`; EDI_E_NOT_FOUND. */
edi_result store_as2_out_latest(store *s, store_id message_id, store_as2_out *out, char *why,
                                size_t why_n);

/* The row of AS2 Message-ID `as2_message_id` (compared exactly, brackets included);
 * EDI_E_NOT_FOUND. */
edi_result store_as2_out_by_as2_id(store *s, const char *as2_message_id, store_as2_out *out,
                                   char *why, size_t why_n);

/* Record a transmission (row->mdn_content_id and mdn_detail may be ""). When row->attempt
 * is greater than 1 and a row of the message with attempt - 1 and the same Message-ID
 * exists, that row is moved to the new attempt (a retry: one row per Message-ID); otherwise
 * a new row is inserted. EDI_E_CONFLICT when the Message-ID belongs to another row or the
 * attempt is already recorded. */
edi_result store_as2_out_record(store *s, const store_as2_out *row, char *why, size_t why_n);

/* Move the row of `as2_message_id` from state `from` (NULL: any state that is not final) to
 * `state`, with the MDN's content id (NULL: unchanged) and `detail` (NULL: unchanged), and
 * the deadline (-1: unchanged, 0: none). EDI_E_NOT_FOUND for an unknown Message-ID,
 * EDI_E_CONFLICT when the row is no longer in `from` (another thread got there first). */
edi_result store_as2_out_set_state(store *s, const char *as2_message_id, const char *from,
                                   const char *state, const char *mdn_content_id,
                                   const char *detail, int64_t deadline_ms, char *why,
                                   size_t why_n);

/* Call `each` for every row awaiting an asynchronous MDN whose deadline is before `now_ms`,
 * oldest deadline first, at most `limit` (0: 100). A non-zero return stops. The rows are
 * read first and the callback runs after the statement is reset, so it may write. */
edi_result store_as2_out_overdue(store *s, int64_t now_ms, size_t limit,
                                 int (*each)(void *ctx, const store_as2_out *row), void *ctx,
                                 char *why, size_t why_n);

#endif

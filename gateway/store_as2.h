/* store_as2.h: the AS2 messages received (table as2_in, migration 7), keyed by the sender's
 * AS2-From and its Message-ID: which stored message an AS2 message became, the disposition
 * we answered, and the MDN we sent (in the content store) so that a repeated message gets
 * the same MDN again instead of a second order. Outbound AS2 is store_as2_out.h. */
#ifndef STORE_AS2_H
#define STORE_AS2_H

#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"
#include "store.h"

#define STORE_AS2_ID_MAX 129          /* an AS2 name: 1..128 printable characters, with NUL */
#define STORE_AS2_MESSAGE_ID_MAX 1000 /* RFC 4130 5.3.3: at most 998, with brackets */

typedef struct {
    char as2_from[STORE_AS2_ID_MAX];
    char as2_message_id[STORE_AS2_MESSAGE_ID_MAX]; /* exactly as received */
    store_id message_id;       /* the stored inbound message; 0 when refused before storing */
    char disposition[160];     /* "processed", "processed/error: decryption-failed", ... */
    char mdn_content_id[65];   /* the MDN we answered (headers and body), "" when none */
    int64_t received_ms;
} store_as2_in;

/* The row of (as2_from, as2_message_id) into *out; EDI_E_NOT_FOUND when there is none. */
edi_result store_as2_in_get(store *s, const char *as2_from, const char *as2_message_id,
                            store_as2_in *out, char *why, size_t why_n);

/* Record a received AS2 message; a row of the same key is replaced (a retry after a
 * negative MDN is a new try). In the caller's transaction, or its own. */
edi_result store_as2_in_put(store *s, const store_as2_in *row, char *why, size_t why_n);

#endif

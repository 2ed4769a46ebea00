/* channel_sftp.h: the SFTP channel. It owns pulling one partner's files from its server
 * (taken only when complete by the profile's rule, stored the way every channel stores a
 * payload, and only then deleted or moved to the archive folder, exactly once across
 * crashes), pushing an outbound message (temp name, then rename), the per-partner limit on
 * connections, and a partner's problems as alerts: a failed message with the sentence,
 * recorded once per change, while the poller goes on with the other partners. */
#ifndef CHANNEL_SFTP_H
#define CHANNEL_SFTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "content_store.h"
#include "edi_buf.h"
#include "edi_result.h"
#include "partner.h"
#include "sftp_client.h"
#include "store.h"

/* How far a server's clock may be ahead of ours for the crash lookup (see
 * channel_sftp_poll): a file received before is found when it was stored after its
 * modification time minus this. */
#define CHANNEL_SFTP_CLOCK_SKEW_MS (15 * 60 * 1000)

/* ---- the per-partner limit on connections ---------------------------------------------- */

/* A counting semaphore per partner id, shared by the threads that connect (the poller and
 * the senders). Owned by whoever creates it (the daemon); thread-safe. */
typedef struct sftp_gate sftp_gate;

sftp_gate *sftp_gate_new(void);
void sftp_gate_free(sftp_gate *g);

/* Take one of `max` slots of `partner`, waiting up to `wait_ms` for one to come free; false
 * when none did (or out of memory). Every true is matched by one sftp_gate_leave. */
bool sftp_gate_enter(sftp_gate *g, const char *partner_id, unsigned max, unsigned wait_ms);
void sftp_gate_leave(sftp_gate *g, const char *partner_id);

/* ---- pulling --------------------------------------------------------------------------- */

/* The completeness rule: take[i] for each entry of the listing `now` (n entries) that is
 * a document to take now: a regular file, not hidden, matching cfg->pattern, and complete:
 * stable (the previous listing `before` has it with the same size and modification time),
 * marker (`now` also has NAME + marker_suffix; the markers themselves are never taken) or
 * rename (its name does not match ignore_pattern). */
void channel_sftp_select(const partner_sftp *cfg, const sftp_entry *now, size_t n,
                         const sftp_entry *before, size_t n_before, bool *take);

/* The poller's state for one partner: the previous listing, the files stored but not yet
 * removed, the problems recorded last. */
typedef struct channel_sftp_puller channel_sftp_puller;

/* For partner `p` (its <pull> block; the profile must outlive the puller); files over
 * `max_bytes` are left on the server with an alert. NULL when out of memory. */
channel_sftp_puller *channel_sftp_puller_new(const partner *p, size_t max_bytes);
void channel_sftp_puller_free(channel_sftp_puller *pl);

/* When the next poll is due (ms since 1970; 0 at first: at once). */
int64_t channel_sftp_next_ms(const channel_sftp_puller *pl);

/* One poll: connect (a slot of `gate`, which may be NULL), list the pull folder, and take
 * each complete file: download it into memory, store it (channel_receive_fd: content
 * store, then the message of channel "sftp" with the file name and the partner, durable),
 * then delete it or move it to the archive folder (and remove its marker). Exactly once
 * across crashes: a file that was there at the first listing of this process is looked
 * up in the store first (same partner, channel, name and content, stored after its
 * modification time less CHANNEL_SFTP_CLOCK_SKEW_MS) and, when it was stored before, only
 * deleted or moved; a file whose removal failed is remembered and only removed at the
 * next poll. Problems of the partner (no connection, another host key, a refused login,
 * a vanished or too large file, a removal refused) do not fail the call: each new one is
 * recorded as an alert (a failed inbound message of channel "sftp" whose reason is the
 * sentence, with a "failed" event) once, until the poll is clean again; `report` gets a
 * line to log when the problems changed, else "". `stop` (may be NULL) ends the poll
 * between files. *taken (may be NULL) counts the messages stored. Returns EDI_OK, or the
 * store's error (`report` says) when something could not be stored. */
edi_result channel_sftp_poll(channel_sftp_puller *pl, store *s, content_store *cs,
                             sftp_gate *gate, const atomic_bool *stop, size_t *taken,
                             char *report, size_t report_n);

/* ---- pushing --------------------------------------------------------------------------- */

/* Deliver the outbound message `m` (its bytes `raw`) to partner `who`'s push folder under
 * m->filename through a temporary name (sftp_upload), one connection of its own taken
 * from `gate` (may be NULL: no limit). The buffers are those of the pipeline's delivery:
 * `where` (also on failure) names the place, `fix` what fixes a lasting failure (no full
 * stop), `detail` the history text when sent, `sentence` what went wrong. Returns EDI_OK
 * (sent), EDI_E_ARG when a person must act first (no push folder, another host key, a
 * refused login, permission denied), EDI_E_IO when it may pass (no connection, all
 * connections in use, the disk full, no such folder yet). */
edi_result channel_sftp_deliver(const partner *who, const store_message *m, const edi_buf *raw,
                                sftp_gate *gate, char *where, size_t where_n, char *fix,
                                size_t fix_n, char *detail, size_t detail_n, char *sentence,
                                size_t sentence_n);

#endif

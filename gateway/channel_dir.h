/* channel_dir.h: the directory channel. It owns watching an inbox folder (a file is taken
 * only when it is complete), receiving each new file exactly once (raw bytes into the
 * content store, then the message and its first job into the store, then the file moved to
 * the inbox's processed/ folder), and writing outbound files atomically (temp name, fsync,
 * rename, fsync of the folder). It knows bytes and partners, not formats. */
#ifndef CHANNEL_DIR_H
#define CHANNEL_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "content_store.h"
#include "edi_result.h"
#include "store.h"

/* Names an inbox never takes: hidden files (".x"), temp files ("*.tmp", "*.part", "*~")
 * and the channel's own folders. */
bool channel_dir_skipped_name(const char *name);

/* Receive one payload: its bytes (read from `fd` to its end, at most `max` bytes) into the
 * content store, then a message (direction in, status received, `channel`, `partner`: the
 * partner the channel already knows or "", `filename`: sanitized) with the history event
 * "received" and the job "identify", in one transaction. *id gets the message id, *content_id
 * (CONTENT_ID_SIZE, may be NULL) the payload's id. EDI_E_LIMIT for a payload over `max`;
 * errors of the stores otherwise. */
edi_result channel_receive_fd(store *s, content_store *cs, const char *channel,
                              const char *partner, const char *filename, int fd, size_t max,
                              store_id *id, char *content_id, char *why, size_t why_n);

/* The same for a payload already in memory: `len` bytes at `data` (a channel that got them
 * over the network). In the caller's transaction when it has begun one (then the message
 * and its job commit with the caller's other records). */
edi_result channel_receive_buf(store *s, content_store *cs, const char *channel,
                               const char *partner, const char *filename, const void *data,
                               size_t len, store_id *id, char *content_id, char *why,
                               size_t why_n);

/* What both share and channels that store the payload themselves use: the message for a
 * payload already in the content store (`content_id`, `len` bytes), as above, in the
 * caller's transaction when it has begun one. */
edi_result channel_record_received(store *s, const char *channel, const char *partner,
                                   const char *filename, const char *content_id, size_t len,
                                   store_id *id, char *why, size_t why_n);

/* The name a received file is kept under: control characters and '/' become '_'. */
void channel_file_name(const char *name, char *out, size_t n);

/* An inbox: one folder, watched by repeated calls of channel_inbox_poll from one thread. */
typedef struct channel_inbox channel_inbox;

/* The inbox `folder` (created when missing, with processed/ and refused/ in it) for files
 * from `partner` ("" or NULL: a shared inbox, partners found from the content). Files over
 * `max_bytes` are moved to refused/. NULL with a sentence in `why`. Free with
 * channel_inbox_free. */
channel_inbox *channel_inbox_new(const char *folder, const char *partner, size_t max_bytes,
                                 char *why, size_t why_n);
void channel_inbox_free(channel_inbox *in);
const char *channel_inbox_folder(const channel_inbox *in);

/* One look at the folder. A regular file is taken when this look and the one before agree
 * on its size and modification time and, where the system can tell (a Linux read lease on
 * a file we own), no process has it open for writing. A taken file is received
 * (channel_receive_fd, channel "dir") and then moved to processed/<message id>-<name>.
 * Exactly once across crashes: a file that was already in the folder at the first look is
 * looked up in the store (same channel, name and content received after its last change)
 * and, when it was received before, only moved. *taken (may be NULL) counts the files
 * received by this call. Problems with single files (unreadable, too large) are reported
 * through `why` of the return value only when nothing else can be done: the others go on.
 * The process must ignore SIGIO (a lease break would otherwise end it). */
edi_result channel_inbox_poll(channel_inbox *in, store *s, content_store *cs, size_t *taken,
                              char *why, size_t why_n);

/* Write `len` bytes to <folder>/<name> atomically: <folder>/.<name>.tmp is written and
 * fsynced, renamed to the name, then the folder is fsynced. The folder is created when
 * missing. Writing the same name again replaces the file. `name` must be a plain file name.
 * The final path goes to `path` (may be NULL). EDI_E_ARG for a bad name, EDI_E_IO. */
edi_result channel_dir_write(const char *folder, const char *name, const void *data, size_t len,
                             char *path, size_t path_n, char *why, size_t why_n);

/* mkdir -p with mode 0750; false with errno set. */
bool channel_dir_mkdirs(const char *path);

#endif

/* content_store.h: raw payloads on disk, each file named by the SHA-256 of its bytes. It
 * owns writing a payload durably (temp file, fsync, rename, fsync of the folder) before
 * anything is acknowledged, reading it back with its hash verified, and nothing else: what
 * a payload is and who sent it is the store's business (store.h). */
#ifndef CONTENT_STORE_H
#define CONTENT_STORE_H

#include <stddef.h>

#include "edi_buf.h"
#include "edi_result.h"

/* A content id: 64 lowercase hex digits of the SHA-256, plus the NUL. */
#define CONTENT_ID_SIZE 65

typedef struct content_store content_store;

/* The store in folder `dir`, created (mode 0700, with its tmp/ folder) when missing. Files
 * live at dir/ab/<id>. Temp files a crash left behind are removed. NULL with a sentence
 * in `why` when the folder cannot be made or written. Free with content_store_close. One
 * content store may be shared by threads: every call is independent. */
content_store *content_store_open(const char *dir, char *why, size_t why_n);
void content_store_close(content_store *cs);

/* Store `len` bytes and give their id. When it returns EDI_OK the bytes are on disk and
 * survive a crash (file and folder fsynced). Storing the same bytes again is a no-op that
 * gives the same id. EDI_E_IO (disk full, permissions: `why` says which file and why). */
edi_result content_store_put(content_store *cs, const void *data, size_t len,
                             char id[CONTENT_ID_SIZE], char *why, size_t why_n);

/* The same for the bytes of several parts one after the other, stored as one payload
 * (headers and a body that lives elsewhere, without joining them in memory first). */
typedef struct {
    const void *data;
    size_t len;
} content_part;
edi_result content_store_put_parts(content_store *cs, const content_part *parts, size_t n,
                                   char id[CONTENT_ID_SIZE], char *why, size_t why_n);

/* The same for the bytes read from `fd` up to end of file, refusing more than `max` bytes
 * with EDI_E_LIMIT (nothing is kept then); *len_out (may be NULL) gets the size. */
edi_result content_store_put_fd(content_store *cs, int fd, size_t max, char id[CONTENT_ID_SIZE],
                                size_t *len_out, char *why, size_t why_n);

/* Read the payload `id` into `out` (appended; the caller frees it). EDI_E_IO when it is
 * missing, EDI_E_CORRUPT when its bytes no longer match its id (damaged on disk), EDI_E_ARG
 * when `id` is not 64 lowercase hex digits. */
edi_result content_store_get(content_store *cs, const char *id, edi_buf *out, char *why,
                             size_t why_n);

/* The path of payload `id` (for people and for tools), or EDI_E_ARG for a bad id. */
edi_result content_store_path(content_store *cs, const char *id, char *path, size_t path_n);

#endif

/* sftp_client.h: one SFTP connection to a partner's server (libssh2). It owns connecting
 * with a timeout, checking the server's host key against the profile's fingerprint before
 * anything is sent in the login, logging in with a key or a password read from its file
 * at that moment (never kept, never in a sentence), and the file operations the SFTP
 * channel needs, each failure a result plus a sentence naming the server and the path. */
#ifndef SFTP_CLIENT_H
#define SFTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"
#include "partner.h"

/* "SHA256:" + 43 base64 characters + NUL. */
#define SFTP_FINGERPRINT_MAX 51

typedef struct sftp_conn sftp_conn;

/* One entry of a remote folder. */
typedef struct {
    char name[256];
    uint64_t size;
    int64_t mtime;             /* seconds since 1970 as the server says; 0 unknown */
    bool regular;              /* a plain file (not a folder, link or device) */
} sftp_entry;

/* The fingerprint `ssh-keygen -lf` prints for a host key: "SHA256:" and the base64 of the
 * SHA-256 of the key blob, without padding. */
void sftp_fingerprint(const unsigned char *blob, size_t len, char out[SFTP_FINGERPRINT_MAX]);

/* Connect to the server `cfg` names: TCP within cfg->timeout_s, the SSH handshake, the host
 * key compared with cfg->host_key (constant time), the login, the SFTP subsystem; every
 * later blocking call gives up after cfg->timeout_s. Returns EDI_OK and the connection in
 * *out (free with sftp_close); EDI_E_ARG when a person must act (another host key, the
 * login refused, a secret file missing or readable by others); EDI_E_IO when it may pass
 * (no connection, a timeout, the connection dropped). `why` gets the sentence. */
edi_result sftp_connect(const partner_sftp *cfg, sftp_conn **out, char *why, size_t why_n);

/* Say goodbye to the server and free everything (c may be NULL). */
void sftp_close(sftp_conn *c);

/* "sftp://user@host:port" for sentences. */
const char *sftp_url(const sftp_conn *c);

/* False once the connection dropped or timed out: every later call fails at once. */
bool sftp_alive(const sftp_conn *c);

/* The entries of `folder` but "." and "..", in the server's order, into a new array the
 * caller frees (*items NULL when there are none). */
edi_result sftp_list(sftp_conn *c, const char *folder, sftp_entry **items, size_t *n,
                     char *why, size_t why_n);

/* The bytes of the file `path` written to `fd` (from its current position), at most `max`:
 * EDI_E_LIMIT for a larger file. *len gets the bytes written. EDI_E_NOT_FOUND when the
 * file is gone (vanished), EDI_E_ARG when the account may not read it, EDI_E_IO. */
edi_result sftp_download(sftp_conn *c, const char *path, int fd, size_t max, size_t *len,
                         char *why, size_t why_n);

/* Upload `len` bytes to <folder>/<name>: written to <folder>/<name><temp_suffix> (replacing
 * a leftover of an earlier try), synced where the server can, then renamed to the name,
 * replacing a file of that name (where the server cannot replace in one step, the old
 * file is removed first: the name is never a partial file). `name` must be a plain file
 * name. The final path in `path` (may be NULL). EDI_E_ARG (permission denied, a bad name),
 * EDI_E_IO (disk full, connection), EDI_E_NOT_FOUND (no such folder). */
edi_result sftp_upload(sftp_conn *c, const char *folder, const char *name,
                       const char *temp_suffix, const void *data, size_t len, char *path,
                       size_t path_n, char *why, size_t why_n);

/* Remove the file `path`. EDI_E_NOT_FOUND when it is not there. */
edi_result sftp_remove(sftp_conn *c, const char *path, char *why, size_t why_n);

/* Rename `from` to `to` without replacing anything: EDI_E_CONFLICT when `to` exists. */
edi_result sftp_rename(sftp_conn *c, const char *from, const char *to, char *why,
                       size_t why_n);

/* Whether `path` exists. */
edi_result sftp_exists(sftp_conn *c, const char *path, bool *exists, char *why, size_t why_n);

#endif

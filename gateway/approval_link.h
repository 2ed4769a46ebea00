/* approval_link.h: the signed, single-use, expiring tokens in the links of approval mails.
 * It owns the token format, the signing keys (loaded from a file or the environment, a
 * current and a previous one for rotation), verification with a distinct verdict per kind
 * of refusal, and the single-use rule through a "used nonce" interface the store backs.
 *
 * Token: base64url(payload) "." base64url(HMAC-SHA256(key, payload)), no padding, where the
 * payload is the text "gw1" LF approval id LF approver id LF scope LF expiry LF nonce (scope
 * "approve", "reject" or "decide"; expiry in seconds since 1970 UTC; nonce 16 random bytes
 * as hex). Tokens are not secret from their holder (the payload is only encoded), they
 * cannot be forged or changed without the key. */
#ifndef APPROVAL_LINK_H
#define APPROVAL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"

#define APPROVAL_LINK_KEY_MIN 32    /* bytes */
#define APPROVAL_LINK_KEY_MAX 256
#define APPROVAL_LINK_ID_MAX 65     /* approval and user ids, with the NUL */
#define APPROVAL_LINK_NONCE_HEX 33  /* 16 bytes as hex and the NUL */
#define APPROVAL_LINK_TOKEN_MAX 512 /* every token fits, with its NUL */

/* A signing key. Clear it with approval_link_key_clear when done (it is wiped). */
typedef struct {
    unsigned char bytes[APPROVAL_LINK_KEY_MAX];
    size_t len;                     /* 0: no key */
} approval_link_key;

/* The key is the file's bytes without one trailing line break (so `openssl rand -hex 32 >
 * key` works), at least APPROVAL_LINK_KEY_MIN of them. The file must be a regular file
 * that neither group nor others can read or write (chmod 600). EDI_E_IO, EDI_E_ARG (too
 * short, too long, open to others) with a sentence that names the file, never the key. */
edi_result approval_link_key_from_file(const char *path, approval_link_key *out, char *why,
                                       size_t why_n);

/* The key is the value of the environment variable `name`. EDI_E_NOT_FOUND when unset,
 * EDI_E_ARG when too short or too long; the sentence names the variable, never the value. */
edi_result approval_link_key_from_env(const char *name, approval_link_key *out, char *why,
                                      size_t why_n);

/* From bytes (tests, or a key the caller already holds). EDI_E_ARG when too short or long. */
edi_result approval_link_key_from_bytes(const void *bytes, size_t n, approval_link_key *out,
                                        char *why, size_t why_n);

/* Wipe the key (OPENSSL_cleanse) and mark it empty. */
void approval_link_key_clear(approval_link_key *k);

/* The keys in force: tokens are signed with `current`; a token signed with `previous`
 * (len 0: none) is accepted too until its own expiry, so that a key can be rotated without
 * breaking the links already sent. Keep the previous key for the longest link lifetime. */
typedef struct {
    approval_link_key current;
    approval_link_key previous;
} approval_link_keys;

/* What a token allows. */
typedef enum {
    APPROVAL_LINK_APPROVE = 0,
    APPROVAL_LINK_REJECT,
    APPROVAL_LINK_DECIDE,           /* either: the link leads to a page with both buttons */
} approval_link_scope;

/* "approve", "reject", "decide". */
const char *approval_link_scope_name(approval_link_scope s);

/* What a verified token says. */
typedef struct {
    char approval_id[APPROVAL_LINK_ID_MAX];
    char approver_id[APPROVAL_LINK_ID_MAX];
    approval_link_scope scope;
    int64_t expires_at;
    char nonce[APPROVAL_LINK_NONCE_HEX];
} approval_link_claims;

/* A new token for `approver_id` to act on `approval_id` until `expires_at`, with a fresh
 * random nonce (RAND_bytes), signed with keys->current, into `token` (at least
 * APPROVAL_LINK_TOKEN_MAX bytes). Ids are 1..64 printable ASCII characters without blanks.
 * EDI_E_ARG (ids, no current key, small buffer), EDI_E_NOMEM (libcrypto failed). */
edi_result approval_link_make(const approval_link_keys *keys, const char *approval_id,
                              const char *approver_id, approval_link_scope scope,
                              int64_t expires_at, char *token, size_t token_n, char *why,
                              size_t why_n);

/* The single-use rule: mark_used records `nonce` (its token expires at `expires_at`, after
 * which the record may be deleted) and returns EDI_OK the first time, EDI_E_CONFLICT when
 * the nonce was used before, another result (EDI_E_STORE ...) with a sentence when it could
 * not tell. The store backs it with a UNIQUE column; approval_link_memory is for tests. */
typedef struct {
    void *ctx;
    edi_result (*mark_used)(void *ctx, const char *nonce, int64_t expires_at, char *why,
                            size_t why_n);
} approval_link_nonces;

typedef enum {
    APPROVAL_LINK_VALID = 0,
    APPROVAL_LINK_MALFORMED,        /* not a token at all: garbage, cut off, bad encoding */
    APPROVAL_LINK_TAMPERED,         /* the signature does not match: changed, or another key */
    APPROVAL_LINK_EXPIRED,
    APPROVAL_LINK_WRONG_APPROVAL,   /* a genuine token, but for another approval */
    APPROVAL_LINK_WRONG_APPROVER,   /* a genuine token, but for another approver */
    APPROVAL_LINK_WRONG_ACTION,     /* e.g. an approve token used to reject */
    APPROVAL_LINK_USED,             /* it was used before */
    APPROVAL_LINK_ERROR,            /* the nonce record could not be checked */
} approval_link_verdict;

/* A short name for logs and the API: "valid", "malformed", "tampered", "expired",
 * "wrong-approval", "wrong-approver", "wrong-action", "used", "error". */
const char *approval_link_verdict_name(approval_link_verdict v);

/* Verify `token` at `now` for `action` (APPROVE or REJECT; DECIDE when only looking).
 * `approval_id` and `approver_id` are what the caller expects (NULL: not checked; the
 * approver id is then taken from the token, which is the usual case for a link followed
 * from a mail). The signature is compared in constant time (CRYPTO_memcmp) against the
 * current key and then the previous one. With `nonces` NULL the token is only checked
 * (a page showing the order: a GET, which mail scanners also fetch, must not use it up);
 * with `nonces` it is used up as the last step, only when everything else passed (the POST
 * that decides). Returns EDI_OK with *verdict APPROVAL_LINK_VALID and `claims` filled;
 * otherwise EDI_E_ARG (malformed, tampered, wrong ...), EDI_E_CONFLICT (expired, used) or
 * the nonce interface's error, with *verdict and a sentence for the person who clicked. */
edi_result approval_link_verify(const approval_link_keys *keys, const char *token,
                                const char *approval_id, const char *approver_id,
                                approval_link_scope action, int64_t now,
                                const approval_link_nonces *nonces,
                                approval_link_claims *claims, approval_link_verdict *verdict,
                                char *why, size_t why_n);

/* The in-memory used-nonce set for tests and the single-process demo: NULL when out of
 * memory; free with approval_link_memory_free. approval_link_memory_nonces gives its
 * interface (valid while the set is). */
typedef struct approval_link_memory approval_link_memory;
approval_link_memory *approval_link_memory_new(void);
void approval_link_memory_free(approval_link_memory *m);
approval_link_nonces approval_link_memory_nonces(approval_link_memory *m);

#endif

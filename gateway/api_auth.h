/* api_auth.h: the API's keys. It owns reading a key from where a reference points (an
 * environment variable or a private key file; the key is never logged or echoed), comparing
 * keys by their SHA-256 digests in constant time, finding who a presented key belongs to
 * (the ERP/admin key, a partner's key, a customer user's personal token by its digest in
 * the store) and issuing user tokens, of which only the digest is kept. */
#ifndef API_AUTH_H
#define API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "edi_result.h"
#include "partner.h"

/* Keys shorter than this are never accepted (a configured one is refused or ignored). */
#define API_KEY_MIN 16
/* The longest key read from a variable or file, with the NUL. */
#define API_KEY_MAX 512
/* User tokens: "gwu_" and 43 base64url characters (32 random bytes), with the NUL. */
#define API_TOKEN_PREFIX "gwu_"
#define API_TOKEN_SIZE 48

/* The key `ref` points at: the environment variable `ref` (PARTNER_KEY_ENV) or the file
 * `ref` (PARTNER_KEY_FILE: at most API_KEY_MAX - 1 bytes, trailing blanks and line breaks
 * dropped, readable by its owner only). EDI_E_NOT_FOUND (no such variable, kind NONE),
 * EDI_E_IO (the file cannot be read), EDI_E_ARG (a file others may read, a key shorter than
 * API_KEY_MIN or longer than API_KEY_MAX - 1); `why` names the reference, never the key. */
edi_result api_auth_load_key(partner_key_kind kind, const char *ref, char key[API_KEY_MAX],
                             char *why, size_t why_n);

/* The SHA-256 of `len` bytes as 64 lowercase hex digits and the NUL. */
void api_sha256_hex(const void *data, size_t len, char hex[65]);

/* True when the keys are equal: their SHA-256 digests are compared in constant time
 * (CRYPTO_memcmp), so neither the time nor the length tells how much of a guess matched. */
bool api_key_equal(const char *presented, const char *expected);

/* Who `key` belongs to: the admin key, then every partner with an API key reference, then
 * the customer user whose token digest is the key's (the store is locked for that). *out is
 * API_NOBODY for a key nobody has. EDI_E_STORE when the lookup failed. */
edi_result api_auth_identify(const api_context *ctx, const char *key, api_principal *out,
                             char *why, size_t why_n);

/* A new user token (RAND_bytes) and its digest. EDI_E_IO when no randomness is available. */
edi_result api_token_new(char token[API_TOKEN_SIZE], char digest[65], char *why, size_t why_n);

/* The HTTP server's key hook (http_auth_hook) with an api_context: true for a key someone
 * has (an active user for tokens), `principal` naming them as api_principal.name does. */
bool api_auth_hook(void *ctx, const char *key, char *principal, size_t n);

#endif

/* as2_mic.h: the AS2 Message Integrity Check (RFC 4130 §7.3.1, §7.4.3; RFC 5402 §4):
 * digest algorithm names in any spelling inbound and the RFC spelling outbound, the MIC
 * (base64 digest) over exact byte segments (as2_mime_part_segments), its
 * "Received-Content-MIC" text form, parsing it back leniently, and comparing two MICs.
 * Which bytes to hash is the caller's structural choice, per reference §2.2:
 *   signed (with or without encryption around it): the signed part 1 as received
 *     (headers + blank line + body in its transfer encoding; compressed part if
 *     compress-before-sign), with the signature's digest algorithm;
 *   encrypted, unsigned: the decrypted entity (headers included; headerless = the bare
 *     content), after decompression when compressed;
 *   neither: the (decompressed) content.
 * No state, no allocation beyond OpenSSL's digest context. */
#ifndef AS2_MIC_H
#define AS2_MIC_H

#include <stdbool.h>
#include <stddef.h>

#include "as2_mime.h"
#include "edi_result.h"

typedef enum {
    AS2_MIC_NONE = 0,    /* unknown / not given */
    AS2_MIC_MD5,         /* legacy, inbound only */
    AS2_MIC_SHA1,        /* legacy, inbound (and outbound only where a partner insists) */
    AS2_MIC_SHA224,
    AS2_MIC_SHA256,
    AS2_MIC_SHA384,
    AS2_MIC_SHA512,
} as2_mic_alg;

/* A base64 digest of SHA-512 is 88 characters; with ", sha-512" and NUL 100 is enough. */
#define AS2_MIC_B64_MAX 96
#define AS2_MIC_TEXT_MAX 112

/* Parse an algorithm name in any spelling seen in the wild: case-insensitive, '-', '_' and
 * spaces ignored, an "rsa-" prefix or "with-rsa..." suffix dropped: sha1, SHA-1, sha_1,
 * sha256, sha-256, SHA_256, rsa-sha256, md5, ... A `len` of (size_t)-1 means NUL-terminated.
 * AS2_MIC_NONE when not recognised. */
as2_mic_alg as2_mic_alg_parse(const char *s, size_t len);

/* The RFC 5751 §3.4.3.1 / RFC 4130 spelling: "md5", "sha-1", "sha-224", "sha-256",
 * "sha-384", "sha-512"; "" for AS2_MIC_NONE. Also the micalg parameter we send. */
const char *as2_mic_alg_name(as2_mic_alg alg);

/* The OpenSSL digest for the algorithm (EVP_sha256() ...); NULL for AS2_MIC_NONE. Declared
 * as const void * so that this header does not pull OpenSSL in; cast to const EVP_MD *. */
const void *as2_mic_alg_md(as2_mic_alg alg);

/* The algorithm of an OpenSSL digest NID (NID_sha256 ...), AS2_MIC_NONE when not one of
 * ours. */
as2_mic_alg as2_mic_alg_from_nid(int nid);

/* The digest length in bytes (0 for AS2_MIC_NONE). */
size_t as2_mic_alg_size(as2_mic_alg alg);

/* Digest the segments in order with `alg` into raw bytes (at least 64 bytes), length into
 * *md_len. EDI_OK; EDI_E_ARG (AS2_MIC_NONE); EDI_E_NOMEM (OpenSSL could not make a
 * context). Memory: constant. */
edi_result as2_mic_digest(as2_mic_alg alg, const as2_seg *segs, size_t n, unsigned char *md,
                          size_t *md_len, char *why, size_t why_n);

/* The MIC of the segments: base64 of the digest, no line breaks, into `b64`
 * (AS2_MIC_B64_MAX). Errors as as2_mic_digest. */
edi_result as2_mic_compute(as2_mic_alg alg, const as2_seg *segs, size_t n, char *b64,
                           size_t b64_n, char *why, size_t why_n);

/* Base64 (no line breaks) of raw digest bytes into b64 (AS2_MIC_B64_MAX). False when it
 * does not fit. */
bool as2_mic_b64(const unsigned char *md, size_t md_len, char *b64, size_t b64_n);

/* The Received-Content-MIC value: "<b64>, <alg name>" into `out` (AS2_MIC_TEXT_MAX).
 * False when it does not fit or alg is AS2_MIC_NONE. */
bool as2_mic_format(const char *b64, as2_mic_alg alg, char *out, size_t n);

/* Parse a Received-Content-MIC value leniently: "<b64>,<alg>" with any white space, any
 * algorithm spelling (Sterling "=,sha1", libas2 "SHA-256"). True and the base64 (trimmed)
 * and algorithm on success; false when there is no comma, the base64 is empty or too long,
 * or the algorithm is unknown. */
bool as2_mic_parse(const char *value, char *b64, size_t b64_n, as2_mic_alg *alg);

/* Whether two MICs are the same digest: same algorithm, and the base64 texts decode to the
 * same bytes (so differences in padding or white space do not matter). */
bool as2_mic_equal(const char *b64_a, as2_mic_alg alg_a, const char *b64_b, as2_mic_alg alg_b);

#endif

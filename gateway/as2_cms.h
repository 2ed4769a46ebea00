/* as2_cms.h: the CMS (RFC 5652) layers of AS2 on OpenSSL 3: decrypting EnvelopedData and
 * AuthEnvelopedData (RSA PKCS#1 v1.5 and OAEP key transport), verifying detached signatures
 * over exact byte segments (RSA PKCS#1 v1.5 and RSASSA-PSS, SHA-1/224/256/384/512, with or
 * without signed attributes), RFC 3274/5402 CompressedData (zlib, since Debian's OpenSSL is
 * built without it), and the outbound side: sign (detached), encrypt, compress. Each failure
 * is an as2_error that maps to one MDN disposition, with a sentence in the caller's `why`.
 * Keys and certificates are the caller's (as2_certs.h loads them); nothing here keeps state.
 *
 * Links with libcrypto and libz (pkg-config zlib). */
#ifndef AS2_CMS_H
#define AS2_CMS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "as2_mic.h"
#include "as2_mime.h"
#include "edi_buf.h"
#include "edi_result.h"

/* What went wrong, one value per MDN disposition (RFC 4130 §7.4.3, reference §1.3). */
typedef enum {
    AS2_OK = 0,
    AS2_E_AUTHENTICATION,        /* the signature does not verify over the content, or no
                                    certificate we were given made it: authentication-failed */
    AS2_E_DECRYPTION,            /* not encrypted to any key we have, or the content cannot
                                    be decrypted (wrong key, damaged, GCM tag wrong):
                                    decryption-failed */
    AS2_E_DECOMPRESSION,         /* CompressedData that is not zlib or does not inflate:
                                    decompression-failed */
    AS2_E_INSUFFICIENT_SECURITY, /* an algorithm refused by rule (signing with SHA-1 or MD5
                                    without allow_legacy): insufficient-message-security */
    AS2_E_FORMAT,                /* the bytes are not the CMS structure expected (not DER/BER,
                                    wrong content type, a signature part with no SignerInfo):
                                    unexpected-processing-error */
    AS2_E_LIMIT,                 /* output larger than the caller's limit (a zip bomb):
                                    unexpected-processing-error */
    AS2_E_ARG,                   /* the caller passed nothing usable (no key, no recipient) */
    AS2_E_NOMEM,
    AS2_E_INTERNAL,              /* OpenSSL failed where it should not (signing, encrypting);
                                    the sentence carries OpenSSL's reason */
} as2_error;

/* A static sentence for the code ("the signature does not verify"); never NULL. */
const char *as2_error_str(as2_error e);

/* The MDN disposition modifier for a receive-side failure: "authentication-failed",
 * "decryption-failed", "decompression-failed", "insufficient-message-security",
 * "unexpected-processing-error" (AS2_E_FORMAT, AS2_E_LIMIT, AS2_E_ARG, AS2_E_NOMEM,
 * AS2_E_INTERNAL); "" for AS2_OK. */
const char *as2_error_disposition(as2_error e);

/* The edi_result for callers that propagate one: AS2_OK -> EDI_OK, AS2_E_NOMEM ->
 * EDI_E_NOMEM, AS2_E_LIMIT -> EDI_E_LIMIT, AS2_E_ARG -> EDI_E_ARG, the rest EDI_E_SYNTAX. */
edi_result as2_error_result(as2_error e);

/* ---- algorithms ---------------------------------------------------------------------- */

typedef enum {
    AS2_CIPHER_NONE = 0,
    AS2_CIPHER_3DES,           /* des-ede3-cbc, legacy */
    AS2_CIPHER_AES128_CBC,
    AS2_CIPHER_AES192_CBC,
    AS2_CIPHER_AES256_CBC,
    AS2_CIPHER_AES128_GCM,     /* AuthEnvelopedData (RFC 5083/5084) */
    AS2_CIPHER_AES192_GCM,
    AS2_CIPHER_AES256_GCM,
    AS2_CIPHER_OTHER,          /* inbound only: something OpenSSL decrypted that is none of
                                  the above (RC2, DES, ...); the NID says what */
} as2_cipher;

typedef enum {
    AS2_KT_NONE = 0,
    AS2_KT_RSA_PKCS1,          /* rsaEncryption (PKCS#1 v1.5) */
    AS2_KT_RSA_OAEP,           /* RSAES-OAEP */
    AS2_KT_OTHER,
} as2_key_transport;

/* Names: "3des", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-gcm", "aes192-gcm",
 * "aes256-gcm" (parsing is lenient: case, '-', '_' ignored; "des-ede3-cbc", "tripledes",
 * "aes-256-cbc", "aes_256_cbc" all work). "" / false for unknown. */
const char *as2_cipher_name(as2_cipher c);
bool as2_cipher_parse(const char *s, as2_cipher *out);
/* "pkcs1" and "oaep" (also "rsaes-oaep", "rsaes_pkcs1v15", "pkcs1v15"). */
const char *as2_key_transport_name(as2_key_transport kt);
bool as2_key_transport_parse(const char *s, as2_key_transport *out);

/* ---- reading a CMS body -------------------------------------------------------------- */

typedef enum {
    AS2_CMS_UNKNOWN = 0,       /* not a ContentInfo at all */
    AS2_CMS_DATA,
    AS2_CMS_SIGNED,
    AS2_CMS_ENVELOPED,
    AS2_CMS_AUTH_ENVELOPED,
    AS2_CMS_COMPRESSED,
    AS2_CMS_OTHER,             /* a ContentInfo of another type */
} as2_cms_type;

/* The outer content type of DER/BER bytes (looks at the ContentInfo's first two fields
 * only: constant time and memory). For when the smime-type parameter is missing or lies. */
as2_cms_type as2_cms_sniff(const unsigned char *der, size_t len);

/* Parse DER or BER (indefinite lengths, as Mendelson sends) `der` into *out (the caller
 * frees it with CMS_ContentInfo_free). AS2_OK, AS2_E_FORMAT (not CMS; `why` has OpenSSL's
 * reason), AS2_E_NOMEM. Memory: one copy of the content octets (ciphertext) on top of the
 * caller's bytes, which may be freed once this returns. */
as2_error as2_cms_read(const unsigned char *der, size_t len, CMS_ContentInfo **out,
                       char *why, size_t why_n);

/* ---- decrypting ---------------------------------------------------------------------- */

typedef struct {
    as2_cms_type type;         /* AS2_CMS_ENVELOPED or AS2_CMS_AUTH_ENVELOPED */
    as2_cipher cipher;
    int cipher_nid;            /* OpenSSL's NID of the content cipher */
    as2_key_transport kt;      /* of the recipient info that was ours */
    as2_mic_alg oaep_md;       /* OAEP: its hash (libas2 uses SHA-512), else AS2_MIC_NONE */
    size_t n_recipients;       /* recipient infos in the message */
} as2_decrypt_info;

/* One line about every recipient info of an enveloped `cms`, for sentences: "2 recipient
 * infos: key transport (rsaEncryption) to issuer CN=gw, serial 0x1A2B; key transport
 * (RSAES-OAEP) to subject key id 0a1b..". "" for other types. Never fails (truncates). */
void as2_cms_recipients(CMS_ContentInfo *cms, char *buf, size_t n);

/* Decrypt an EnvelopedData or AuthEnvelopedData `cms` with our key pair (`key` and its
 * certificate `cert`: the recipient info must name `cert`, as as2_keyring_for_recipient
 * found it) and append the plaintext to `out` (the caller frees it). `key` NULL means none of
 * our keys matched: AS2_E_DECRYPTION with the recipient infos in the sentence. *info (may be
 * NULL) says what was used, also on failure as far as known (for policy checks and
 * history). AS2_OK; AS2_E_DECRYPTION ("not encrypted to our certificate CN=.. serial ..;
 * the message has 1 recipient info: ..." or OpenSSL's reason: bad padding, tag mismatch);
 * AS2_E_FORMAT (not enveloped); AS2_E_NOMEM. Memory: the plaintext (out is grown once to
 * the ciphertext's size, then filled by a BIO writing straight into it), on top of the
 * parsed `cms`. `cms` is not freed. */
as2_error as2_cms_decrypt(CMS_ContentInfo *cms, EVP_PKEY *key, X509 *cert, edi_buf *out,
                          as2_decrypt_info *info, char *why, size_t why_n);

/* ---- verifying ----------------------------------------------------------------------- */

/* Which bytes a signature verified over (reference §2.3). */
typedef enum {
    AS2_VARIANT_EXACT = 0,        /* the part exactly as received */
    AS2_VARIANT_CANONICAL,        /* header lines re-ended with CRLF (LF-only capture) */
    AS2_VARIANT_NO_TRAILING_CRLF, /* one trailing CRLF dropped (libas2's signed MDNs) */
} as2_variant;

const char *as2_variant_name(as2_variant v);   /* "exact", "canonical", "no-trailing-crlf" */

typedef struct {
    as2_mic_alg digest;        /* the SignerInfo's digestAlgorithm (the MIC algorithm) */
    int digest_nid;            /* OpenSSL's NID, also when `digest` is AS2_MIC_NONE */
    bool pss;                  /* RSASSA-PSS, else PKCS#1 v1.5 */
    bool signed_attrs;         /* the SignerInfo has signed attributes */
    bool binary_signature;     /* the signature part was raw DER (not base64) */
    size_t signer;             /* index in `certs` of the certificate that verified */
    as2_variant variant;       /* which bytes verified */
    char mic[AS2_MIC_B64_MAX]; /* the MIC over exactly those bytes with `digest` (so the
                                  MIC and the signature never disagree about the bytes) */
} as2_verify_info;

/* Verify the detached CMS SignedData `sig` (DER/BER) over the content segments, with the
 * signer's certificate taken ONLY from `certs` (the partner's signing certificates; the
 * certificates embedded in the signature are ignored, and no chain or validity check is made
 * here: which certificates to trust and their expiry is as2_certs' job). The content is
 * hashed as binary (no canonicalisation). *info (may be NULL) is filled as far as known, also
 * on failure. AS2_OK; AS2_E_AUTHENTICATION ("the signature does not verify with the
 * certificate CN=..: the content was changed or signed with another key", "signed by
 * issuer .. serial .., which is none of the 2 certificates of the partner"); AS2_E_FORMAT
 * (not SignedData, no SignerInfo, not detached); AS2_E_INSUFFICIENT_SECURITY (MD5 unless
 * allow_md5); AS2_E_NOMEM. Memory: the parsed signature; the content is streamed from the
 * segments through the digest (no copy). */
as2_error as2_cms_verify(const unsigned char *sig, size_t sig_len, const as2_seg *content,
                         size_t n_content, STACK_OF(X509) *certs, bool allow_md5,
                         as2_verify_info *info, char *why, size_t why_n);

/* Variants as2_cms_verify_signed may try after the exact bytes failed. */
#define AS2_VERIFY_TRY_CANONICAL        1u  /* headers with bare LF re-ended with CRLF */
#define AS2_VERIFY_TRY_NO_TRAILING_CRLF 2u  /* SEND's MDN check: libas2 signs one CRLF short */

/* Verify a multipart/signed that as2_mime_multipart split (`mp`: part 0 the content,
 * part 1 the signature, both slices of `buf`): the signature part is decoded by its
 * Content-Transfer-Encoding (base64 or binary; a body that starts like DER is taken as
 * binary, one that does not is tried as base64), then the exact part-0 bytes are verified,
 * then each variant in `try_variants` whose bytes differ. info->variant and info->mic tell
 * which bytes verified and their MIC. Errors as as2_cms_verify (the sentence of the exact
 * attempt; "(also tried: canonical)" appended), AS2_E_FORMAT when `mp` has not exactly 2
 * parts or the signature part cannot be decoded. Memory: the decoded signature, and a
 * canonical copy of the header block (never of the body). */
as2_error as2_cms_verify_signed(const char *buf, const as2_multipart *mp,
                                STACK_OF(X509) *certs, unsigned try_variants, bool allow_md5,
                                as2_verify_info *info, char *why, size_t why_n);

/* ---- decompressing ------------------------------------------------------------------- */

/* Inflate an RFC 3274 CompressedData ContentInfo (DER or BER; parsed with OpenSSL ASN.1
 * templates, no hand-made DER reader) whose compressionAlgorithm is zlib
 * (1.2.840.113549.1.9.16.3.8) and whose content is id-data, appending the inflated bytes
 * (a MIME entity) to `out` (the caller frees it). AS2_OK; AS2_E_DECOMPRESSION (not
 * CompressedData, another algorithm, a zlib stream that is damaged or truncated, with the
 * zlib reason); AS2_E_LIMIT (more than `limit` bytes would come out); AS2_E_NOMEM. Memory:
 * one copy of the compressed octets plus the output. */
as2_error as2_cms_decompress(const unsigned char *der, size_t len, size_t limit, edi_buf *out,
                             char *why, size_t why_n);

/* ---- writing ------------------------------------------------------------------------- */

typedef struct {
    as2_mic_alg digest;        /* AS2_MIC_NONE = SHA-256 */
    bool pss;                  /* RSASSA-PSS (salt length = digest length, MGF1 same hash) */
    bool no_signed_attrs;      /* a bare SignerInfo (Sterling style); default: signed
                                  attributes contentType, signingTime, messageDigest */
    bool no_certs;             /* do not embed our certificate */
    bool allow_sha1;           /* SHA-1 is refused (AS2_E_INSUFFICIENT_SECURITY) unless set:
                                  inbound legacy only, or a partner that insists */
} as2_sign_opts;

/* Sign the content segments (a whole MIME entity, exactly the bytes that will be part 1
 * of the multipart/signed: they are hashed as binary) with `key`/`cert`, appending a
 * detached CMS SignedData in DER to `der` (the caller frees it; as2_mime_write_signed wraps
 * it). `o` NULL = defaults. AS2_OK, AS2_E_INSUFFICIENT_SECURITY (SHA-1/MD5 not allowed),
 * AS2_E_ARG (no key, key and certificate do not match, AS2_MIC_NONE digest impossible),
 * AS2_E_INTERNAL, AS2_E_NOMEM. Memory: the signature (a few KB); the content is streamed. */
as2_error as2_cms_sign(const as2_seg *content, size_t n_content, EVP_PKEY *key, X509 *cert,
                       const as2_sign_opts *o, edi_buf *der, char *why, size_t why_n);

typedef struct {
    as2_cipher cipher;         /* AS2_CIPHER_NONE = AES-256-CBC; GCM -> AuthEnvelopedData */
    as2_key_transport kt;      /* AS2_KT_NONE = PKCS#1 v1.5 */
    as2_mic_alg oaep_md;       /* OAEP hash and MGF1 hash: AS2_MIC_NONE = SHA-256 */
} as2_encrypt_opts;

/* Encrypt the content segments (a whole MIME entity) to every certificate in `recips`
 * (the partner's, and ours too if we want to read our own sent messages), appending an
 * EnvelopedData (AuthEnvelopedData for GCM) ContentInfo in DER to `der` (the caller frees
 * it). AS2_OK, AS2_E_ARG (no recipient, a certificate without an RSA key, AS2_CIPHER_OTHER),
 * AS2_E_INTERNAL, AS2_E_NOMEM. Memory: the output (content size + padding); the content is
 * streamed from the segments. */
as2_error as2_cms_encrypt(const as2_seg *content, size_t n_content, X509 *const *recips,
                          size_t n_recips, const as2_encrypt_opts *o, edi_buf *der, char *why,
                          size_t why_n);

/* Compress the content segments (a whole MIME entity) with zlib into an RFC 3274
 * CompressedData ContentInfo in DER appended to `der` (the caller frees it). AS2_OK,
 * AS2_E_NOMEM, AS2_E_INTERNAL. Memory: the compressed size, twice (zlib output, then DER). */
as2_error as2_cms_compress(const as2_seg *content, size_t n_content, edi_buf *der, char *why,
                           size_t why_n);

#endif

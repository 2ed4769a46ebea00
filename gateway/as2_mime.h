/* as2_mime.h: our own MIME handling for AS2 (RFC 2045/2046/1847) over the raw bytes we
 * received: header blocks (folding, LF-only lines, any case), Content-Type parameters,
 * multipart boundaries, each part kept as slices {offset, length} of the original buffer
 * (never a re-serialised tree, so MICs and signatures are computed over exactly what came),
 * transfer-encoding decoding into new buffers, and writing the few entities AS2 sends
 * (a MIME part, multipart/signed). It knows no crypto and no partners. */
#ifndef AS2_MIME_H
#define AS2_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_buf.h"
#include "edi_result.h"

/* A byte range of a buffer the caller owns: buf + off, len bytes. */
typedef struct {
    size_t off;
    size_t len;
} as2_slice;

/* A run of bytes anywhere (into a received buffer or into a scratch buffer); the MIC and
 * the CMS functions take content as a list of segments, so a canonicalised header block
 * and a body left in place are hashed or signed as one stream without copying the body. */
typedef struct {
    const unsigned char *p;
    size_t len;
} as2_seg;

/* One MIME entity inside a buffer. All slices are relative to that buffer.
 *   whole   = header block + blank line + body: for a signed part, what RFC 1847 signs;
 *   headers = the header lines up to (not including) the line end that ends the last one;
 *   body    = what follows the blank line (for a multipart part: up to, not including,
 *             the line end before the next delimiter).
 * `headerless` entities (Mendelson's encrypted-unsigned content is the bare payload) have
 * headers.len == 0 and body == whole. */
typedef struct {
    as2_slice whole;
    as2_slice headers;
    as2_slice body;
    bool headerless;
    bool lf_only_headers;   /* at least one header line ends in a bare LF (a capture saved
                               with LF): the MIC/signature input needs them as CRLF */
} as2_part;

/* The parts of a multipart (RFC 2046 §5.1). */
#define AS2_MIME_MAX_PARTS 16

typedef struct {
    as2_part part[AS2_MIME_MAX_PARTS];
    size_t n;
} as2_multipart;

/* A parsed Content-Type value. Strings are NUL-terminated, "" when absent; `type` is
 * lower-cased ("multipart/signed"); parameter values are unquoted, case kept. */
#define AS2_MIME_PARAM_MAX 256

typedef struct {
    char type[128];
    char boundary[AS2_MIME_PARAM_MAX];    /* at most 70 characters per RFC 2046; longer refused */
    char micalg[64];
    char protocol[128];
    char smime_type[64];                  /* "enveloped-data", "compressed-data", ... lower case */
    char report_type[64];                 /* multipart/report: "disposition-notification" */
    char name[AS2_MIME_PARAM_MAX];
} as2_content_type;

/* Transfer encodings (absent = binary, as AS2 over HTTP has it: RFC 4130 §5.2.1). */
typedef enum {
    AS2_CTE_BINARY = 0,    /* also "8bit" and absent */
    AS2_CTE_7BIT,
    AS2_CTE_BASE64,
    AS2_CTE_QUOTED_PRINTABLE,
} as2_cte;

/* ---- reading -------------------------------------------------------------------------- */

/* Find the header block of the entity that fills `buf[0..len)`: header lines (CRLF or LF,
 * folded continuation lines allowed) up to the first empty line. The entity has a header
 * block only when every line before that empty line is a header field ("name: value" with a
 * token name, or a continuation) and one of them is Content-Type; otherwise (no empty line,
 * a line that is not a header, no Content-Type) it is `headerless` and the whole buffer is
 * the body. Never fails; writes *out. No allocation. */
void as2_mime_entity(const char *buf, size_t len, as2_part *out);

/* The value of header field `name` (case-insensitive) in the header block `headers` of
 * `buf`: the first occurrence, continuation lines joined with their leading white space
 * kept as one space, surrounding white space trimmed, into `out` (NUL-terminated). False
 * when there is no such field or the value does not fit in `n` (then `out` is ""). */
bool as2_mime_header(const char *buf, as2_slice headers, const char *name, char *out, size_t n);

/* Parse a Content-Type value ("multipart/signed; protocol=\"...\";\tboundary=..."):
 * parameters separated by ';' with any white space, names case-insensitive, values quoted
 * (with \-escapes) or tokens. EDI_OK; EDI_E_SYNTAX when there is no type/subtype or a
 * parameter is malformed (a quote not closed), EDI_E_LIMIT when a value we keep is too long;
 * `why` says which. */
edi_result as2_mime_content_type(const char *value, as2_content_type *ct, char *why,
                                 size_t why_n);

/* Any parameter of a header value by name (case-insensitive), unquoted, into `out`. False
 * when absent or too long. Used for Content-Disposition's filename, the Disposition-
 * Notification-Options list and the like. */
bool as2_mime_param(const char *value, const char *param, char *out, size_t n);

/* The transfer encoding named by a Content-Transfer-Encoding value (NULL or "" = binary).
 * EDI_OK; EDI_E_SYNTAX for an unknown encoding (`why` quotes it). */
edi_result as2_mime_cte_parse(const char *value, as2_cte *out, char *why, size_t why_n);

/* Split the multipart body `body` of `buf` at `boundary` (RFC 2046 §5.1.1): the preamble
 * before the first "--boundary" line and the epilogue after "--boundary--" are skipped;
 * each part starts after the line end of its delimiter line and ends before the CRLF (or
 * LF) that precedes the next delimiter (that line end belongs to the delimiter). Delimiter
 * lines may carry trailing white space. Each part is then read with as2_mime_entity's rules
 * except that a part always has a header block when its first line is a header field or
 * the part starts with an empty line (RFC 2046: no headers = text/plain). EDI_OK and *out;
 * EDI_E_SYNTAX (no delimiter found, no closing delimiter, no part), EDI_E_LIMIT (more than
 * AS2_MIME_MAX_PARTS parts); `why` says which. No allocation. */
edi_result as2_mime_multipart(const char *buf, as2_slice body, const char *boundary,
                              as2_multipart *out, char *why, size_t why_n);

/* Undo the part's transfer encoding (read from its Content-Transfer-Encoding header;
 * absent = binary): base64 (line breaks and white space ignored, padding checked) and
 * quoted-printable decode, binary/7bit/8bit are copied. The bytes are appended to `out`
 * (the caller frees it). EDI_OK; EDI_E_SYNTAX (damaged base64, unknown encoding),
 * EDI_E_NOMEM. Memory: the decoded size (3/4 of a base64 body). */
edi_result as2_mime_decode_body(const char *buf, const as2_part *part, edi_buf *out,
                                char *why, size_t why_n);

/* Base64-decode `len` bytes (white space and line breaks ignored) appended to `out`.
 * EDI_OK, EDI_E_SYNTAX (a character outside the alphabet, bad padding), EDI_E_NOMEM. */
edi_result as2_mime_base64_decode(const char *s, size_t len, edi_buf *out, char *why,
                                  size_t why_n);

/* The part as the segments a signature or MIC covers (RFC 4130 §7.3.1, reference §2.2):
 * exactly its `whole` bytes when they arrived canonical. When `canonical` is true and the
 * headers end lines in bare LF, the header block is rewritten with CRLF into `scratch`
 * (appended; the caller frees it; small) and the body is left as is; when additionally
 * `canonical_body` is true and the part is not CTE binary, a body with bare LFs is rewritten
 * with CRLF into `scratch` too (text parts of captures saved with LF; never binary bodies).
 * Writes up to 3 segments into segs (pointing into buf and scratch: valid while both live
 * and scratch is not appended to) and their count into *n. EDI_OK or EDI_E_NOMEM. */
edi_result as2_mime_part_segments(const char *buf, const as2_part *part, bool canonical,
                                  bool canonical_body, edi_buf *scratch, as2_seg segs[3],
                                  size_t *n);

/* Whether the segments hold a bare LF in the header block of the part (so that the
 * canonical variant differs from the bytes as received). */
bool as2_mime_needs_canonical(const char *buf, const as2_part *part);

/* ---- writing -------------------------------------------------------------------------- */

/* Append base64 of `len` bytes to `out` in lines of 76 characters, each ended by CRLF
 * (the last line too). false on EDI_E_NOMEM (out keeps what it had). */
bool as2_mime_base64_encode(const unsigned char *p, size_t len, edi_buf *out);

/* A fresh random boundary ("----=_as2_" + 32 hex digits) into out (at least 48 bytes). */
void as2_mime_boundary(char *out, size_t n);

/* Append a MIME part to `out`: the header lines `headers` (each "Name: value", CRLF-joined
 * by the caller, without the final blank line; header values are checked for CR/LF that do
 * not start a folded line: EDI_E_ARG), CRLF CRLF, then `body` (binary, as is). The part's
 * slice in `out` (from where `out` was on entry) goes into *written when not NULL.
 * EDI_OK, EDI_E_ARG, EDI_E_NOMEM. Memory: the body size. */
edi_result as2_mime_write_part(const char *headers, const as2_seg *body, size_t n_body,
                               edi_buf *out, as2_slice *written, char *why, size_t why_n);

/* Append a multipart/signed body (RFC 1847, RFC 5751 §3.4.3) to `out`:
 *   "--B" CRLF <content segments exactly> CRLF "--B" CRLF
 *   "Content-Type: application/pkcs7-signature; name=smime.p7s" CRLF
 *   "Content-Transfer-Encoding: base64" CRLF (or binary when `binary_signature`)
 *   "Content-Disposition: attachment; filename=smime.p7s" CRLF CRLF
 *   <signature, base64 lines or raw DER> CRLF "--B--" CRLF
 * with a fresh boundary B that does not occur in the content, and the matching
 * Content-Type value ("multipart/signed; protocol=\"application/pkcs7-signature\";
 * micalg=sha-256; boundary=\"B\"") into content_type (at least 160 bytes). `micalg` is the
 * RFC 5751 name (as2_mic_alg_name). The content must be a whole MIME entity (headers, blank
 * line, body) and is what the signature was computed over. EDI_OK, EDI_E_ARG (content_type
 * too small), EDI_E_NOMEM. Memory: content + 4/3 signature. */
edi_result as2_mime_write_signed(const as2_seg *content, size_t n_content,
                                 const unsigned char *sig, size_t sig_len, const char *micalg,
                                 bool binary_signature, edi_buf *out, char *content_type,
                                 size_t content_type_n, char *why, size_t why_n);

/* Concatenate segments into `out` (appended). false on EDI_E_NOMEM. */
bool as2_mime_append_segs(const as2_seg *segs, size_t n, edi_buf *out);

#endif

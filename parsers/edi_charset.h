/* edi_charset.h: the character sets of EDIFACT values (UNB S001 0001, UNOA to UNOY).
 * It owns decoding value bytes to UTF-8, encoding UTF-8 back for the serializer, the
 * repertoire check of each syntax level, and hints for senders who mislabel their bytes. */
#ifndef EDI_CHARSET_H
#define EDI_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_result.h"

/* A decoder/encoder for one character set. It is immutable after edi_charset_open, so
 * one object may serve many interchanges and threads at once. */
typedef struct edi_charset edi_charset;

/* Worst-case output sizes, so callers can size buffers once:
 * - to UTF-8: a single-byte set's character needs at most 3 UTF-8 bytes (all of them are
 *   in the Basic Multilingual Plane), and every undecodable byte becomes U+FFFD (3 bytes);
 *   valid UTF-8 input keeps its length. So 3 bytes out per byte in.
 * - from UTF-8: a single-byte target writes at most one byte per input byte; a UTF-8
 *   target writes U+FFFD (3 bytes) for each byte of an invalid sequence. */
#define EDI_CHARSET_TO_UTF8_MAX(len) ((len) * 3)
#define EDI_CHARSET_FROM_UTF8_MAX(len) ((len) * 3)

typedef enum {
    EDI_CHARSET_ISSUE_NONE = 0,
    /* The bytes mean nothing in the character set (a byte above 0x7F under UNOA, a hole
     * in ISO 8859-6, invalid UTF-8). to_utf8 writes U+FFFD; from_utf8 (invalid UTF-8
     * input) writes '?' or U+FFFD. */
    EDI_CHARSET_ISSUE_UNDECODABLE,
    /* The character is defined by the code but outside the repertoire of the syntax
     * level (lower case under UNOA, a control character). It is converted as itself,
     * so nothing is lost; downstream writers that cannot carry control characters
     * (XML 1.0) must still deal with them. */
    EDI_CHARSET_ISSUE_REPERTOIRE,
    /* from_utf8 only: the target character set has no code for the character; '?' is
     * written in its place. */
    EDI_CHARSET_ISSUE_UNREPRESENTABLE
} edi_charset_issue_kind;

/* The first problem found in one value. */
typedef struct {
    edi_charset_issue_kind kind;
    size_t offset;              /* byte index in the input of the first offending byte */
    unsigned char bytes[4];     /* the offending byte(s) */
    unsigned byte_count;        /* 1 to 4 */
    /* A sentence in UTF-8, e.g. `byte 0xFC ("ü" in Windows-1252) is not in the UNOA
     * repertoire`; it does not repeat the offset. */
    char text[160];
} edi_charset_issue;

/* Open the character set of syntax identifier `syntax_id` (UNB 0001, e.g. "UNOC").
 * `override` is NULL or "" to decode as declared; otherwise the partner agreement says
 * the bytes really are in this set, and it replaces the declared one for decoding,
 * encoding and the repertoire check: any decodable syntax identifier, or one of the
 * override-only names "UTF-8" and "WINDOWS-1252". Names are matched ignoring case.
 * With an override the declared identifier may be anything, even unknown.
 * Returns EDI_OK and a new object in *out (free with edi_charset_free), or
 * EDI_E_CHARSET for UNOX (ISO 2022 code extension, not supported), identifiers we
 * cannot decode (e.g. IATB, KECA) and unknown overrides, EDI_E_ARG for NULL arguments,
 * EDI_E_NOMEM. On failure `why` (may be NULL) receives a sentence saying what to do. */
edi_result edi_charset_open(const char *syntax_id, const char *override, edi_charset **out,
                            char *why, size_t why_n);
void edi_charset_free(edi_charset *cs);

/* The set used for the bytes: the override if one was given, else the declared
 * identifier ("UNOC", "UTF-8", "WINDOWS-1252"). */
const char *edi_charset_name(const edi_charset *cs);
/* The identifier the interchange declared, as passed to edi_charset_open (printable
 * ASCII only, at most 16 characters). */
const char *edi_charset_declared(const edi_charset *cs);
/* What the set is, e.g. "ISO 8859-1 (Latin-1)". */
const char *edi_charset_description(const edi_charset *cs);

/* Decode `len` bytes to UTF-8. Never fails: undecodable bytes become U+FFFD, characters
 * outside the repertoire are decoded as themselves; the first problem goes to `issue`
 * (may be NULL; its kind is EDI_CHARSET_ISSUE_NONE when there was none).
 * Writes at most `out_n` bytes and never cuts a character in two; no NUL is added.
 * Returns the length the whole conversion needs (at most EDI_CHARSET_TO_UTF8_MAX(len)):
 * a result larger than `out_n` means the output was cut short. */
size_t edi_charset_to_utf8(const edi_charset *cs, const char *in, size_t len, char *out,
                           size_t out_n, edi_charset_issue *issue);

/* Whether all `len` bytes are characters of the repertoire, without decoding. True or
 * false exactly when edi_charset_to_utf8 would record no issue or an issue, and the
 * issue is the same. Built for every value of large files: a table look-up per byte. */
bool edi_charset_check(const edi_charset *cs, const char *in, size_t len,
                       edi_charset_issue *issue);

/* Encode UTF-8 `in` into the character set, for writing an interchange. Characters the
 * set has no code for become '?', invalid UTF-8 becomes '?' (U+FFFD for UTF-8 sets),
 * characters outside the repertoire are written as themselves; the first problem goes
 * to `issue` (may be NULL). Output contract as edi_charset_to_utf8; the result is at
 * most EDI_CHARSET_FROM_UTF8_MAX(len). */
size_t edi_charset_from_utf8(const edi_charset *cs, const char *in, size_t len, char *out,
                             size_t out_n, edi_charset_issue *issue);

/* What the bytes of a value look like, whatever was declared. */
typedef enum {
    EDI_GUESS_ASCII,        /* only bytes below 0x80: no sign of any particular set */
    EDI_GUESS_UTF8,         /* valid UTF-8 with at least one multi-byte sequence */
    EDI_GUESS_WINDOWS_1252, /* not UTF-8, with bytes 0x80-0x9F that are printable in
                             * Windows-1252 but control codes in every ISO 8859 part */
    EDI_GUESS_8BIT          /* not UTF-8: some single-byte set */
} edi_charset_guess_result;

edi_charset_guess_result edi_charset_guess(const char *in, size_t len);

/* When the bytes of a value suggest the sender's real character set differs from the
 * one `cs` decodes (UTF-8 under UNOC, Windows-1252 under UNOC or UNOY, 8-bit bytes
 * under UNOA/UNOB), write a sentence such as `declared UNOC but the bytes look like
 * UTF-8; set the partner's charset override to UTF-8` to `hint` (NUL-terminated, cut to
 * hint_n) and return true; else return false and leave `hint` alone. */
bool edi_charset_mislabel_hint(const edi_charset *cs, const char *in, size_t len, char *hint,
                               size_t hint_n);

#endif

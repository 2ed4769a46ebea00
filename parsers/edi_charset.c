/* edi_charset.c: see edi_charset.h. Single-byte sets are 256-entry tables filled through
 * glibc iconv when a set is opened; UTF-8 is validated here (a few lines, and the exact
 * position and extent of an invalid sequence is needed for the issue). */
#include "edi_charset.h"

#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    SET_LEVEL_A,     /* ISO 9735 level A repertoire in ISO 646 */
    SET_LEVEL_B,     /* ISO 9735 level B repertoire in ISO 646 */
    SET_SINGLE_BYTE, /* a single-byte code decoded through iconv */
    SET_UTF8,
    SET_UNSUPPORTED
} set_kind;

typedef struct {
    const char *name;        /* the syntax identifier, or the override-only name */
    set_kind kind;
    const char *iconv_name;  /* SET_SINGLE_BYTE only */
    const char *description;
    bool override_only;      /* a pseudo-charset for mislabelled senders, not a 0001 code */
} set_def;

/* 0001 codes from the ISO 9735 v4 r02 code list (shared staedi/v4r02.xml), meanings as
 * in shared/reference/edifact.md §1.4. */
static const set_def SETS[] = {
    {"UNOA", SET_LEVEL_A, NULL, "ISO 9735 level A (upper case, digits, punctuation)", false},
    {"UNOB", SET_LEVEL_B, NULL, "ISO 9735 level B (level A and lower case)", false},
    {"UNOC", SET_SINGLE_BYTE, "ISO-8859-1", "ISO 8859-1 (Latin-1)", false},
    {"UNOD", SET_SINGLE_BYTE, "ISO-8859-2", "ISO 8859-2 (Latin-2)", false},
    {"UNOE", SET_SINGLE_BYTE, "ISO-8859-5", "ISO 8859-5 (Cyrillic)", false},
    {"UNOF", SET_SINGLE_BYTE, "ISO-8859-7", "ISO 8859-7 (Greek)", false},
    {"UNOG", SET_SINGLE_BYTE, "ISO-8859-3", "ISO 8859-3 (Latin-3)", false},
    {"UNOH", SET_SINGLE_BYTE, "ISO-8859-4", "ISO 8859-4 (Latin-4)", false},
    {"UNOI", SET_SINGLE_BYTE, "ISO-8859-6", "ISO 8859-6 (Arabic)", false},
    {"UNOJ", SET_SINGLE_BYTE, "ISO-8859-8", "ISO 8859-8 (Hebrew)", false},
    {"UNOK", SET_SINGLE_BYTE, "ISO-8859-9", "ISO 8859-9 (Latin-5, Turkish)", false},
    {"UNOL", SET_SINGLE_BYTE, "ISO-8859-15", "ISO 8859-15 (Latin-9)", false},
    {"UNOW", SET_UTF8, NULL, "UTF-8 (ISO 10646 with the UTF-8 code extension)", false},
    {"UNOX", SET_UNSUPPORTED, NULL, "ISO 2022 code extension", false},
    {"UNOY", SET_UTF8, NULL, "ISO 10646 octets without code extension, read as UTF-8", false},
    {"UTF-8", SET_UTF8, NULL, "UTF-8", true},
    {"WINDOWS-1252", SET_SINGLE_BYTE, "CP1252", "Windows-1252", true},
};

/* ISO 9735 level A (D422 §5.1): A-Z, 0-9, space, . , - ( ) / = ' + : ? and the
 * characters "not for telex" ! " % & * ; < > */
static const char LEVEL_A_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>";
/* Level B (D422 §5.2) adds a-z and nothing else printable: no @ # $ _ [ ] etc. */
static const char LEVEL_B_EXTRA[] = "abcdefghijklmnopqrstuvwxyz";

#define DECLARED_MAX 16

typedef struct {
    uint8_t len; /* 0: the byte means nothing in the code */
    uint8_t b[3];
} utf8_char;

typedef struct {
    uint32_t cp;
    uint8_t byte;
} reverse_entry;

struct edi_charset {
    const set_def *set;
    char declared[DECLARED_MAX + 1];
    /* 1 where the byte on its own is a character of the repertoire. For UTF-8 sets only
     * ASCII bytes can be 1, so any byte from 0x80 up leaves the fast loop. */
    uint8_t allowed[256];
    utf8_char decode[256];          /* the code's meaning of each byte; ASCII for UTF-8 sets */
    utf8_char windows_1252[256];    /* each byte's meaning in Windows-1252, for hints */
    reverse_entry reverse[256];     /* single-byte sets: defined bytes sorted by code point */
    unsigned n_reverse;
};

static const unsigned char REPLACEMENT[3] = {0xEF, 0xBF, 0xBD}; /* U+FFFD */

/* Length of the well-formed UTF-8 sequence at p (1 to 4) with its code point in *cp; or,
 * when the sequence is ill-formed, 0 and in *bad the length of its maximal subpart (at
 * least 1), which is what one U+FFFD replaces (Unicode ch. 3, "U+FFFD Substitution of
 * Maximal Subparts"). Overlongs, surrogates and code points above U+10FFFF are ill-formed. */
static unsigned utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp, unsigned *bad)
{
    unsigned char b = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    unsigned need;
    uint32_t c;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        c = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        c = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (unsigned k = 1; k <= need; k++) {
        if (k >= avail || p[k] < lo || p[k] > hi) {
            *bad = k;
            return 0;
        }
        c = (c << 6) | (p[k] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = c;
    return need + 1;
}

static uint32_t utf8_char_cp(const utf8_char *c)
{
    uint32_t cp;
    unsigned bad;
    return utf8_decode(c->b, c->len, &cp, &bad) ? cp : 0xFFFD;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

/* Level B lists IS4, IS3 and IS1 as its separators (D422 §5.2); a released one can
 * reach a value, so from level B up they are part of the repertoire. */
static bool is_information_separator(uint32_t cp)
{
    return cp == 0x1C || cp == 0x1D || cp == 0x1F;
}

static bool in_repertoire_above_level_a(uint32_t cp)
{
    return !is_control(cp) || is_information_separator(cp);
}

/* ---- issues ---- */

static void issue_begin(edi_charset_issue *issue)
{
    if (issue) {
        issue->kind = EDI_CHARSET_ISSUE_NONE;
        issue->offset = 0;
        issue->byte_count = 0;
        issue->text[0] = '\0';
    }
}

static bool issue_wanted(const edi_charset_issue *issue)
{
    return issue && issue->kind == EDI_CHARSET_ISSUE_NONE;
}

/* Record kind, offset and bytes, and write "byte 0xFC" or "bytes 0xC3 0xBC" followed by
 * the formatted rest of the sentence. */
static void issue_set(edi_charset_issue *issue, edi_charset_issue_kind kind, size_t offset,
                      const unsigned char *bytes, unsigned n, const char *fmt, ...)
{
    issue->kind = kind;
    issue->offset = offset;
    issue->byte_count = n;
    memcpy(issue->bytes, bytes, n);
    int used = snprintf(issue->text, sizeof issue->text, "byte%s", n > 1 ? "s" : "");
    for (unsigned k = 0; k < n; k++)
        used += snprintf(issue->text + used, sizeof issue->text - (size_t)used, " 0x%02X",
                         bytes[k]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(issue->text + used, sizeof issue->text - (size_t)used, fmt, ap);
    va_end(ap);
}

/* The same for a whole character: "character "€" (U+20AC)" or "character U+0085 (a
 * control character)". */
static void issue_set_char(edi_charset_issue *issue, edi_charset_issue_kind kind, size_t offset,
                           const unsigned char *bytes, unsigned n, uint32_t cp,
                           const char *rest)
{
    issue->kind = kind;
    issue->offset = offset;
    issue->byte_count = n;
    memcpy(issue->bytes, bytes, n);
    if (is_control(cp))
        snprintf(issue->text, sizeof issue->text,
                 "character U+%04X (a control character) %s", (unsigned)cp, rest);
    else
        snprintf(issue->text, sizeof issue->text, "character \"%.*s\" (U+%04X) %s", (int)n,
                 (const char *)bytes, (unsigned)cp, rest);
}

/* The Windows-1252 reading of a byte from 0x80 up, as a hint for mislabelled files;
 * NULL where Windows-1252 has no printable character either. */
static const utf8_char *windows_1252_hint(const edi_charset *cs, unsigned char b)
{
    const utf8_char *w = &cs->windows_1252[b];
    if (b < 0x80 || w->len == 0 || is_control(utf8_char_cp(w)))
        return NULL;
    return w;
}

/* Describe the byte at in[i] that the allowed table refused; for UTF-8 sets only ASCII
 * bytes come here. */
static void describe_byte(const edi_charset *cs, const unsigned char *in, size_t len, size_t i,
                          edi_charset_issue *issue)
{
    unsigned char b = in[i];
    const utf8_char *d = &cs->decode[b];
    const utf8_char *w = windows_1252_hint(cs, b);
    const char *name = cs->set->name;
    if (d->len == 0) {
        uint32_t cp;
        unsigned bad;
        unsigned n = utf8_decode(in + i, len - i, &cp, &bad);
        if (n > 1)
            issue_set(issue, EDI_CHARSET_ISSUE_UNDECODABLE, i, in + i, n,
                      " (\"%.*s\" in UTF-8) are not in the %s repertoire", (int)n,
                      (const char *)(in + i), name);
        else if (w)
            issue_set(issue, EDI_CHARSET_ISSUE_UNDECODABLE, i, in + i, 1,
                      " (\"%.*s\" in Windows-1252) is not in the %s repertoire", (int)w->len,
                      (const char *)w->b, name);
        else
            issue_set(issue, EDI_CHARSET_ISSUE_UNDECODABLE, i, in + i, 1,
                      " is not in the %s repertoire", name);
    } else if (!is_control(utf8_char_cp(d))) {
        issue_set(issue, EDI_CHARSET_ISSUE_REPERTOIRE, i, in + i, 1,
                  " (\"%.*s\") is not in the %s repertoire", (int)d->len, (const char *)d->b,
                  name);
    } else if (w) {
        issue_set(issue, EDI_CHARSET_ISSUE_REPERTOIRE, i, in + i, 1,
                  " (a control character here, \"%.*s\" in Windows-1252) is not in the %s "
                  "repertoire",
                  (int)w->len, (const char *)w->b, name);
    } else {
        issue_set(issue, EDI_CHARSET_ISSUE_REPERTOIRE, i, in + i, 1,
                  " (a control character) is not in the %s repertoire", name);
    }
}

/* Describe an ill-formed UTF-8 sequence of `n` bytes at in[i]; `what` names the set that
 * requires UTF-8 ("UNOY"), or is NULL when the input is UTF-8 by contract. */
static void describe_invalid_utf8(const edi_charset *cs, const unsigned char *in, size_t i,
                                  unsigned n, const char *what, edi_charset_issue *issue)
{
    char requires[32] = "";
    if (what)
        snprintf(requires, sizeof requires, ", which %s requires", what);
    const utf8_char *w = n == 1 ? windows_1252_hint(cs, in[i]) : NULL;
    if (w)
        issue_set(issue, EDI_CHARSET_ISSUE_UNDECODABLE, i, in + i, n,
                  " (\"%.*s\" in Windows-1252) is not valid UTF-8%s", (int)w->len,
                  (const char *)w->b, requires);
    else
        issue_set(issue, EDI_CHARSET_ISSUE_UNDECODABLE, i, in + i, n, " %s not valid UTF-8%s",
                  n > 1 ? "are" : "is", requires);
}

/* Describe the problem with the sequence at in[i] in a UTF-8 set: ill-formed (n == 0,
 * `bad` bytes long) or a character outside the repertoire. */
static void describe_utf8_sequence(const edi_charset *cs, const unsigned char *in, size_t i,
                                   unsigned n, unsigned bad, uint32_t cp,
                                   edi_charset_issue *issue)
{
    char rest[64];
    if (!n) {
        describe_invalid_utf8(cs, in, i, bad, cs->set->override_only ? NULL : cs->set->name,
                              issue);
        return;
    }
    snprintf(rest, sizeof rest, "is not in the %s repertoire", cs->set->name);
    issue_set_char(issue, EDI_CHARSET_ISSUE_REPERTOIRE, i, in + i, n, cp, rest);
}

/* ---- output ---- */

/* `n` counts the bytes the whole conversion needs, written or not; since it only grows,
 * once a character does not fit no later one does, so the output has no gaps. */
typedef struct {
    char *out;
    size_t cap;
    size_t n;
} sink;

static void put(sink *s, const void *bytes, size_t k)
{
    if (k && s->n + k <= s->cap)
        memcpy(s->out + s->n, bytes, k);
    s->n += k;
}

/* ---- opening ---- */

static const set_def *find_set(const char *name)
{
    for (size_t i = 0; i < sizeof SETS / sizeof SETS[0]; i++)
        if (strcasecmp(SETS[i].name, name) == 0)
            return &SETS[i];
    return NULL;
}

/* A printable copy of a caller's identifier for messages: other bytes become '?'. */
static void printable_copy(const char *s, char out[DECLARED_MAX + 1])
{
    size_t i = 0;
    for (; i < DECLARED_MAX && s[i]; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    out[i] = '\0';
}

/* Fill `table` with the UTF-8 form of each byte in the iconv code `code`. */
static edi_result fill_from_iconv(const char *code, utf8_char table[256], char *why,
                                  size_t why_n)
{
    iconv_t cd = iconv_open("UTF-8", code);
    if (cd == (iconv_t)-1) {
        edi_say(why, why_n,
            "the C library cannot convert %s (iconv_open failed): install the glibc "
            "character set modules (gconv)",
            code);
        return EDI_E_CHARSET;
    }
    for (unsigned b = 0; b < 256; b++) {
        char in = (char)b;
        char buf[8];
        char *ip = &in, *op = buf;
        size_t il = 1, ol = sizeof buf;
        iconv(cd, NULL, NULL, NULL, NULL);
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        size_t n = sizeof buf - ol;
        /* Every character of these codes is in the BMP (at most 3 UTF-8 bytes); a byte
         * iconv refuses is a hole in the code. */
        if (r == (size_t)-1 || il != 0 || n == 0 || n > 3) {
            table[b].len = 0;
            continue;
        }
        table[b].len = (uint8_t)n;
        memcpy(table[b].b, buf, n);
    }
    iconv_close(cd);
    return EDI_OK;
}

static int reverse_cmp(const void *a, const void *b)
{
    uint32_t x = ((const reverse_entry *)a)->cp, y = ((const reverse_entry *)b)->cp;
    return (x > y) - (x < y);
}

static void build_tables(edi_charset *cs)
{
    const set_def *set = cs->set;
    if (set->kind != SET_SINGLE_BYTE)
        for (unsigned b = 0; b < 0x80; b++) {
            cs->decode[b].len = 1;
            cs->decode[b].b[0] = (uint8_t)b;
        }
    if (set->kind == SET_LEVEL_A || set->kind == SET_LEVEL_B) {
        for (const char *p = LEVEL_A_CHARS; *p; p++)
            cs->allowed[(unsigned char)*p] = 1;
        if (set->kind == SET_LEVEL_B) {
            for (const char *p = LEVEL_B_EXTRA; *p; p++)
                cs->allowed[(unsigned char)*p] = 1;
            cs->allowed[0x1C] = cs->allowed[0x1D] = cs->allowed[0x1F] = 1;
        }
    } else {
        for (unsigned b = 0; b < 256; b++)
            cs->allowed[b] = cs->decode[b].len && in_repertoire_above_level_a(utf8_char_cp(
                                                      &cs->decode[b]));
    }
    if (set->kind == SET_UTF8)
        return;
    for (unsigned b = 0; b < 256; b++)
        if (cs->decode[b].len) {
            cs->reverse[cs->n_reverse].cp = utf8_char_cp(&cs->decode[b]);
            cs->reverse[cs->n_reverse].byte = (uint8_t)b;
            cs->n_reverse++;
        }
    qsort(cs->reverse, cs->n_reverse, sizeof cs->reverse[0], reverse_cmp);
}

static edi_result refuse(const set_def *set, const char *quoted, bool as_override, char *why,
                         size_t why_n)
{
    if (set && set->kind == SET_UNSUPPORTED)
        edi_say(why, why_n,
            "UNOX (ISO 2022 code extension) is not supported: agree UNOC, UNOW or UNOY "
            "with the sender");
    else if (as_override)
        edi_say(why, why_n,
            "charset override \"%s\" is not known: use a syntax identifier (UNOA to UNOY, "
            "not UNOX), UTF-8 or WINDOWS-1252",
            quoted);
    else if (set)
        edi_say(why, why_n,
            "\"%s\" is not a syntax identifier; it can only be used as a partner's charset "
            "override",
            quoted);
    else
        edi_say(why, why_n,
            "unknown character set: syntax identifier \"%s\" is not one of UNOA to UNOY, so "
            "its values cannot be decoded; set the partner's charset override to the "
            "character set the sender really uses",
            quoted);
    return EDI_E_CHARSET;
}

edi_result edi_charset_open(const char *syntax_id, const char *override, edi_charset **out,
                            char *why, size_t why_n)
{
    if (!out || !syntax_id) {
        edi_say(why, why_n, "edi_charset_open needs a syntax identifier and a place for the result");
        return EDI_E_ARG;
    }
    *out = NULL;
    char declared[DECLARED_MAX + 1];
    printable_copy(syntax_id, declared);
    const set_def *set;
    if (override && *override) {
        char quoted[DECLARED_MAX + 1];
        printable_copy(override, quoted);
        set = find_set(override);
        if (!set || set->kind == SET_UNSUPPORTED)
            return refuse(set, quoted, true, why, why_n);
    } else {
        set = find_set(syntax_id);
        if (!set || set->kind == SET_UNSUPPORTED || set->override_only)
            return refuse(set, declared, false, why, why_n);
    }

    edi_charset *cs = calloc(1, sizeof *cs);
    if (!cs) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    cs->set = set;
    memcpy(cs->declared, declared, sizeof declared);
    edi_result r = fill_from_iconv("CP1252", cs->windows_1252, why, why_n);
    if (r == EDI_OK && set->kind == SET_SINGLE_BYTE)
        r = fill_from_iconv(set->iconv_name, cs->decode, why, why_n);
    if (r != EDI_OK) {
        free(cs);
        return r;
    }
    build_tables(cs);
    *out = cs;
    return EDI_OK;
}

void edi_charset_free(edi_charset *cs)
{
    free(cs);
}

const char *edi_charset_name(const edi_charset *cs)
{
    return cs->set->name;
}

const char *edi_charset_declared(const edi_charset *cs)
{
    return cs->declared;
}

const char *edi_charset_description(const edi_charset *cs)
{
    return cs->set->description;
}

/* ---- conversion ---- */

size_t edi_charset_to_utf8(const edi_charset *cs, const char *in, size_t len, char *out,
                           size_t out_n, edi_charset_issue *issue)
{
    const unsigned char *p = (const unsigned char *)in;
    sink s = {out, out_n, 0};
    issue_begin(issue);
    if (cs->set->kind != SET_UTF8) {
        for (size_t i = 0; i < len; i++) {
            const utf8_char *d = &cs->decode[p[i]];
            if (!cs->allowed[p[i]] && issue_wanted(issue))
                describe_byte(cs, p, len, i, issue);
            if (d->len)
                put(&s, d->b, d->len);
            else
                put(&s, REPLACEMENT, sizeof REPLACEMENT);
        }
        return s.n;
    }
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && p[run] < 0x80 && cs->allowed[p[run]])
            run++;
        put(&s, p + i, run - i);
        i = run;
        if (i == len)
            break;
        if (p[i] < 0x80) {
            if (issue_wanted(issue))
                describe_byte(cs, p, len, i, issue);
            put(&s, p + i, 1);
            i++;
            continue;
        }
        uint32_t cp;
        unsigned bad;
        unsigned n = utf8_decode(p + i, len - i, &cp, &bad);
        if ((!n || !in_repertoire_above_level_a(cp)) && issue_wanted(issue))
            describe_utf8_sequence(cs, p, i, n, bad, cp, issue);
        if (!n) {
            put(&s, REPLACEMENT, sizeof REPLACEMENT);
            i += bad;
            continue;
        }
        put(&s, p + i, n);
        i += n;
    }
    return s.n;
}

bool edi_charset_check(const edi_charset *cs, const char *in, size_t len,
                       edi_charset_issue *issue)
{
    const unsigned char *p = (const unsigned char *)in;
    const uint8_t *allowed = cs->allowed;
    issue_begin(issue);
    if (cs->set->kind != SET_UTF8) {
        for (size_t i = 0; i < len; i++)
            if (!allowed[p[i]]) {
                if (issue)
                    describe_byte(cs, p, len, i, issue);
                return false;
            }
        return true;
    }
    size_t i = 0;
    while (i < len) {
        if (allowed[p[i]]) {
            i++;
            continue;
        }
        if (p[i] < 0x80) {
            if (issue)
                describe_byte(cs, p, len, i, issue);
            return false;
        }
        uint32_t cp;
        unsigned bad;
        unsigned n = utf8_decode(p + i, len - i, &cp, &bad);
        if (!n || !in_repertoire_above_level_a(cp)) {
            if (issue)
                describe_utf8_sequence(cs, p, i, n, bad, cp, issue);
            return false;
        }
        i += n;
    }
    return true;
}

/* The byte that encodes `cp` in a single-byte set, or -1. */
static int encode_single_byte(const edi_charset *cs, uint32_t cp)
{
    reverse_entry key = {cp, 0};
    const reverse_entry *e =
        bsearch(&key, cs->reverse, cs->n_reverse, sizeof cs->reverse[0], reverse_cmp);
    return e ? e->byte : -1;
}

size_t edi_charset_from_utf8(const edi_charset *cs, const char *in, size_t len, char *out,
                             size_t out_n, edi_charset_issue *issue)
{
    const unsigned char *p = (const unsigned char *)in;
    bool utf8 = cs->set->kind == SET_UTF8;
    char rest[96];
    sink s = {out, out_n, 0};
    issue_begin(issue);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        unsigned bad;
        unsigned n = utf8_decode(p + i, len - i, &cp, &bad);
        if (!n) {
            if (issue_wanted(issue))
                describe_invalid_utf8(cs, p, i, bad, NULL, issue);
            if (utf8)
                put(&s, REPLACEMENT, sizeof REPLACEMENT);
            else
                put(&s, "?", 1);
            i += bad;
            continue;
        }
        if (utf8) {
            if (!in_repertoire_above_level_a(cp) && issue_wanted(issue))
                describe_utf8_sequence(cs, p, i, n, bad, cp, issue);
            put(&s, p + i, n);
        } else {
            int byte = encode_single_byte(cs, cp);
            if (byte < 0) {
                if (issue_wanted(issue)) {
                    snprintf(rest, sizeof rest, "cannot be written in %s (%s)", cs->set->name,
                             cs->set->description);
                    issue_set_char(issue, EDI_CHARSET_ISSUE_UNREPRESENTABLE, i, p + i, n, cp,
                                   rest);
                }
                put(&s, "?", 1);
            } else {
                if (!cs->allowed[byte] && issue_wanted(issue)) {
                    snprintf(rest, sizeof rest, "is not in the %s repertoire", cs->set->name);
                    issue_set_char(issue, EDI_CHARSET_ISSUE_REPERTOIRE, i, p + i, n, cp, rest);
                }
                unsigned char c = (unsigned char)byte;
                put(&s, &c, 1);
            }
        }
        i += n;
    }
    return s.n;
}

/* Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined (Microsoft's published
 * cp1252 table); the other bytes 0x80-0x9F are printable there and control codes in
 * ISO 8859. Bit (b - 0x80) is set for the printable ones. */
static const uint32_t WINDOWS_1252_PRINTABLE_C1 =
    ~((1u << 0x01) | (1u << 0x0D) | (1u << 0x0F) | (1u << 0x10) | (1u << 0x1D));

edi_charset_guess_result edi_charset_guess(const char *in, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    bool high = false, utf8 = true, c1_1252 = false;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        high = true;
        if (p[i] < 0xA0 && ((WINDOWS_1252_PRINTABLE_C1 >> (p[i] - 0x80)) & 1))
            c1_1252 = true;
        uint32_t cp;
        unsigned bad;
        unsigned n = utf8_decode(p + i, len - i, &cp, &bad);
        if (n) {
            i += n;
        } else {
            utf8 = false;
            i++;
        }
    }
    if (!high)
        return EDI_GUESS_ASCII;
    if (utf8)
        return EDI_GUESS_UTF8;
    return c1_1252 ? EDI_GUESS_WINDOWS_1252 : EDI_GUESS_8BIT;
}

bool edi_charset_mislabel_hint(const edi_charset *cs, const char *in, size_t len, char *hint,
                               size_t hint_n)
{
    const set_def *set = cs->set;
    bool latin = set->kind == SET_LEVEL_A || set->kind == SET_LEVEL_B ||
                 strcmp(set->name, "UNOC") == 0 || strcmp(set->name, "UNOL") == 0;
    char now[64];
    if (set->override_only)
        snprintf(now, sizeof now, "charset override %s", set->name);
    else
        snprintf(now, sizeof now, "declared %s", set->name);
    switch (edi_charset_guess(in, len)) {
    case EDI_GUESS_ASCII:
        return false;
    case EDI_GUESS_UTF8:
        if (set->kind == SET_UTF8)
            return false;
        edi_say(hint, hint_n,
            "%s but the bytes look like UTF-8; set the partner's charset override to UTF-8",
            now);
        return true;
    case EDI_GUESS_WINDOWS_1252:
        if (!(latin || set->kind == SET_UTF8))
            return false;
        edi_say(hint, hint_n,
            "%s but the bytes look like Windows-1252; set the partner's charset override "
            "to WINDOWS-1252",
            now);
        return true;
    case EDI_GUESS_8BIT:
        if (set->kind == SET_UTF8) {
            edi_say(hint, hint_n,
                "%s but the bytes are not UTF-8; find out which 8-bit character set the "
                "sender uses (often WINDOWS-1252 or UNOC) and set it as the partner's "
                "charset override",
                now);
            return true;
        }
        if (set->kind == SET_LEVEL_A || set->kind == SET_LEVEL_B) {
            edi_say(hint, hint_n,
                "%s but the bytes use 8 bits; find out which character set the sender uses "
                "(often UNOC or WINDOWS-1252) and set it as the partner's charset override",
                now);
            return true;
        }
        return false;
    }
    return false;
}

/* as2_mime.c: MIME over raw bytes for AS2: slices, headers, multipart, encodings. */
#define _GNU_SOURCE /* memmem: boundaries in bodies of any size */
#include "as2_mime.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

/* One line of buf: [start, end) without its line end; next = after the line end. */
typedef struct {
    size_t start, end, next;
    bool bare_lf;   /* ended by LF without CR */
} line_t;

static bool next_line(const char *buf, size_t pos, size_t limit, line_t *l)
{
    if (pos >= limit)
        return false;
    const char *nl = memchr(buf + pos, '\n', limit - pos);
    l->start = pos;
    l->bare_lf = false;
    if (!nl) {
        l->end = l->next = limit;
        return true;
    }
    size_t e = (size_t)(nl - buf);
    l->next = e + 1;
    if (e > pos && buf[e - 1] == '\r')
        e--;
    else
        l->bare_lf = true;
    l->end = e;
    return true;
}

static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "name:" at the start of the line (a header field's first line). */
static bool is_field_line(const char *buf, const line_t *l)
{
    size_t i = l->start;
    while (i < l->end && is_tchar((unsigned char)buf[i]))
        i++;
    if (i == l->start)
        return false;
    while (i < l->end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    return i < l->end && buf[i] == ':';
}

static bool is_continuation(const char *buf, const line_t *l)
{
    return l->end > l->start && (buf[l->start] == ' ' || buf[l->start] == '\t');
}

static bool name_is(const char *buf, const line_t *l, const char *name)
{
    size_t n = strlen(name);
    if (l->end - l->start < n + 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)buf[l->start + i]) != tolower((unsigned char)name[i]))
            return false;
    size_t i = l->start + n;
    while (i < l->end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    return i < l->end && buf[i] == ':';
}

/* Read a header block from `from` within [from, limit). `need_ct`: a Content-Type field
 * must be among them. `part_rules`: a first empty line is an empty header block and a
 * block ended by the end of the part has an empty body. False = headerless. */
static bool read_headers(const char *buf, size_t from, size_t limit, bool need_ct,
                         bool part_rules, as2_part *out)
{
    line_t l;
    size_t pos = from;
    bool any = false, ct = false, bare = false;
    size_t hdr_end = from;
    while (next_line(buf, pos, limit, &l)) {
        if (l.end == l.start) {                      /* the empty line */
            if (!any && !part_rules)
                return false;
            if (need_ct && !ct)
                return false;
            out->headers = (as2_slice){from, hdr_end - from};
            out->body = (as2_slice){l.next, limit - l.next};
            out->lf_only_headers = bare || l.bare_lf;
            return true;
        }
        if (is_field_line(buf, &l)) {
            if (name_is(buf, &l, "content-type"))
                ct = true;
        } else if (!(any && is_continuation(buf, &l))) {
            return false;
        }
        any = true;
        bare = bare || l.bare_lf;
        hdr_end = l.end;
        pos = l.next;
    }
    if (!part_rules || !any || (need_ct && !ct))
        return false;
    out->headers = (as2_slice){from, hdr_end - from};
    out->body = (as2_slice){limit, 0};
    out->lf_only_headers = bare;
    return true;
}

void as2_mime_entity(const char *buf, size_t len, as2_part *out)
{
    memset(out, 0, sizeof *out);
    out->whole = (as2_slice){0, len};
    if (!read_headers(buf, 0, len, true, false, out)) {
        out->headerless = true;
        out->headers = (as2_slice){0, 0};
        out->body = (as2_slice){0, len};
        out->lf_only_headers = false;
    }
}

bool as2_mime_header(const char *buf, as2_slice headers, const char *name, char *out, size_t n)
{
    if (n == 0)
        return false;
    out[0] = '\0';
    size_t limit = headers.off + headers.len, pos = headers.off;
    line_t l;
    while (next_line(buf, pos, limit, &l)) {
        pos = l.next;
        if (!name_is(buf, &l, name))
            continue;
        const char *colon = memchr(buf + l.start, ':', l.end - l.start);
        size_t k = 0;
        size_t s = (size_t)(colon - buf) + 1;
        for (;;) {
            while (s < l.end && (buf[s] == ' ' || buf[s] == '\t'))
                s++;
            if (k > 0 && s < l.end) {
                if (k + 1 >= n)
                    goto too_long;
                out[k++] = ' ';
            }
            size_t e = l.end;
            if (e - s >= n - k)
                goto too_long;
            memcpy(out + k, buf + s, e - s);
            k += e - s;
            line_t c;
            if (!next_line(buf, pos, limit, &c) || !is_continuation(buf, &c))
                break;
            l = c;
            s = c.start;
            pos = c.next;
        }
        while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == '\t'))
            k--;
        out[k] = '\0';
        return true;
    }
    return false;
too_long:
    out[0] = '\0';
    return false;
}

/* ---- parameters -------------------------------------------------------------------- */

/* Read one parameter "name=value" at *p (after a ';'); name lower-cased into nm, value
 * unquoted into val. 0 = ok, 1 = end, -1 = malformed, -2 = too long. */
static int next_param(const char **pp, char *nm, size_t nm_n, char *val, size_t val_n)
{
    const char *p = *pp;
    while (*p && (*p == ';' || isspace((unsigned char)*p)))
        p++;
    if (!*p)
        return 1;
    size_t k = 0;
    while (*p && *p != '=' && *p != ';' && !isspace((unsigned char)*p)) {
        if (k + 1 >= nm_n)
            return -2;
        nm[k++] = (char)tolower((unsigned char)*p++);
    }
    nm[k] = '\0';
    while (isspace((unsigned char)*p))
        p++;
    k = 0;
    val[0] = '\0';
    if (*p != '=') {                 /* a parameter without value: skip it */
        *pp = p;
        return k == 0 && nm[0] == '\0' ? -1 : 0;
    }
    p++;
    while (isspace((unsigned char)*p))
        p++;
    bool long_val = false;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (k + 1 >= val_n)
                long_val = true;
            else
                val[k++] = *p;
            p++;
        }
        if (*p != '"')
            return -1;
        p++;
    } else {
        while (*p && *p != ';') {
            if (k + 1 >= val_n)
                long_val = true;
            else
                val[k++] = *p;
            p++;
        }
        while (k > 0 && isspace((unsigned char)val[k - 1]))
            k--;
    }
    val[k] = '\0';
    *pp = p;
    return long_val ? -2 : 0;
}

bool as2_mime_param(const char *value, const char *param, char *out, size_t n)
{
    if (!value || n == 0)
        return false;
    const char *p = strchr(value, ';');
    char nm[64], val[1024];
    while (p) {
        int r = next_param(&p, nm, sizeof nm, val, sizeof val);
        if (r == 1 || r == -1)
            break;
        if (r == 0 && strcasecmp(nm, param) == 0) {
            if (strlen(val) >= n)
                return false;
            memcpy(out, val, strlen(val) + 1);
            return true;
        }
    }
    out[0] = '\0';
    return false;
}

static bool keep(char *dst, size_t dst_n, const char *val, bool lower)
{
    size_t l = strlen(val);
    if (l >= dst_n)
        return false;
    for (size_t i = 0; i <= l; i++)
        dst[i] = lower ? (char)tolower((unsigned char)val[i]) : val[i];
    return true;
}

edi_result as2_mime_content_type(const char *value, as2_content_type *ct, char *why,
                                 size_t why_n)
{
    memset(ct, 0, sizeof *ct);
    const char *p = value ? value : "";
    while (isspace((unsigned char)*p))
        p++;
    size_t k = 0;
    bool slash = false;
    while (*p && *p != ';' && !isspace((unsigned char)*p)) {
        if (k + 1 >= sizeof ct->type) {
            edi_say(why, why_n, "the Content-Type is longer than %zu characters",
                    sizeof ct->type - 1);
            return EDI_E_LIMIT;
        }
        slash = slash || *p == '/';
        ct->type[k++] = (char)tolower((unsigned char)*p++);
    }
    ct->type[k] = '\0';
    if (!slash || ct->type[0] == '/' || ct->type[k - 1] == '/') {
        edi_say(why, why_n, "the Content-Type \"%.80s\" has no type/subtype", value ? value : "");
        return EDI_E_SYNTAX;
    }
    char nm[64], val[1024];
    for (;;) {
        int r = next_param(&p, nm, sizeof nm, val, sizeof val);
        if (r == 1)
            break;
        if (r == -1) {
            edi_say(why, why_n, "the Content-Type \"%.80s\" has a malformed parameter (a quote "
                    "not closed)", value);
            return EDI_E_SYNTAX;
        }
        bool ok = true;
        if (r == -2)
            ok = false;
        else if (strcmp(nm, "boundary") == 0)
            ok = strlen(val) <= 70 && keep(ct->boundary, sizeof ct->boundary, val, false);
        else if (strcmp(nm, "micalg") == 0)
            ok = keep(ct->micalg, sizeof ct->micalg, val, false);
        else if (strcmp(nm, "protocol") == 0)
            ok = keep(ct->protocol, sizeof ct->protocol, val, true);
        else if (strcmp(nm, "smime-type") == 0)
            ok = keep(ct->smime_type, sizeof ct->smime_type, val, true);
        else if (strcmp(nm, "report-type") == 0)
            ok = keep(ct->report_type, sizeof ct->report_type, val, true);
        else if (strcmp(nm, "name") == 0)
            ok = keep(ct->name, sizeof ct->name, val, false);
        if (!ok) {
            edi_say(why, why_n, "the Content-Type parameter %s is too long", nm);
            return EDI_E_LIMIT;
        }
    }
    return EDI_OK;
}

edi_result as2_mime_cte_parse(const char *value, as2_cte *out, char *why, size_t why_n)
{
    char v[32] = "";
    size_t k = 0;
    for (const char *p = value ? value : ""; *p && k + 1 < sizeof v; p++)
        if (!isspace((unsigned char)*p) && *p != '"')
            v[k++] = (char)tolower((unsigned char)*p);
    v[k] = '\0';
    if (k == 0 || strcmp(v, "binary") == 0 || strcmp(v, "8bit") == 0)
        *out = AS2_CTE_BINARY;
    else if (strcmp(v, "7bit") == 0)
        *out = AS2_CTE_7BIT;
    else if (strcmp(v, "base64") == 0)
        *out = AS2_CTE_BASE64;
    else if (strcmp(v, "quoted-printable") == 0)
        *out = AS2_CTE_QUOTED_PRINTABLE;
    else {
        edi_say(why, why_n, "unknown Content-Transfer-Encoding \"%.40s\"", value);
        return EDI_E_SYNTAX;
    }
    return EDI_OK;
}

/* ---- multipart --------------------------------------------------------------------- */

/* Whether a delimiter line "--boundary[--][WS]" starts at `at`; *close for "--"; *next
 * after its line end. */
static bool delimiter_at(const char *buf, size_t at, size_t limit, const char *b, size_t bl,
                         bool *close, size_t *next)
{
    if (limit - at < bl + 2 || buf[at] != '-' || buf[at + 1] != '-' ||
        memcmp(buf + at + 2, b, bl) != 0)
        return false;
    size_t i = at + 2 + bl;
    *close = false;
    if (limit - i >= 2 && buf[i] == '-' && buf[i + 1] == '-') {
        *close = true;
        i += 2;
    }
    while (i < limit && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    if (i == limit) {
        *next = limit;
        return true;
    }
    if (buf[i] == '\n') {
        *next = i + 1;
        return true;
    }
    if (buf[i] == '\r' && i + 1 < limit && buf[i + 1] == '\n') {
        *next = i + 2;
        return true;
    }
    if (buf[i] == '\r' && i + 1 == limit) {
        *next = limit;
        return true;
    }
    return false;
}

/* The next delimiter line at or after `from` that starts a line. */
static bool find_delimiter(const char *buf, size_t from, size_t limit, const char *b,
                           size_t bl, size_t *at, bool *close, size_t *next)
{
    size_t pos = from;
    while (pos < limit) {
        const char *hit = memmem(buf + pos, limit - pos, "--", 2);
        if (!hit)
            return false;
        size_t h = (size_t)(hit - buf);
        bool line_start = h == 0 || buf[h - 1] == '\n';
        if (line_start && delimiter_at(buf, h, limit, b, bl, close, next)) {
            *at = h;
            return true;
        }
        pos = h + 1;
    }
    return false;
}

edi_result as2_mime_multipart(const char *buf, as2_slice body, const char *boundary,
                              as2_multipart *out, char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    size_t bl = boundary ? strlen(boundary) : 0;
    if (bl == 0) {
        edi_say(why, why_n, "the multipart has no boundary parameter");
        return EDI_E_SYNTAX;
    }
    size_t limit = body.off + body.len, at, next;
    bool close;
    if (!find_delimiter(buf, body.off, limit, boundary, bl, &at, &close, &next) || close) {
        edi_say(why, why_n, "the multipart body has no delimiter line \"--%.80s\"", boundary);
        return EDI_E_SYNTAX;
    }
    for (;;) {
        size_t start = next, at2, next2;
        bool close2;
        if (!find_delimiter(buf, start, limit, boundary, bl, &at2, &close2, &next2)) {
            edi_say(why, why_n, "the multipart body ends without its closing delimiter "
                    "\"--%.80s--\" (truncated?)", boundary);
            return EDI_E_SYNTAX;
        }
        size_t end = at2;                           /* drop the line end before it */
        if (end > start && buf[end - 1] == '\n')
            end--;
        if (end > start && buf[end - 1] == '\r')
            end--;
        if (out->n == AS2_MIME_MAX_PARTS) {
            edi_say(why, why_n, "the multipart has more than %d parts", AS2_MIME_MAX_PARTS);
            return EDI_E_LIMIT;
        }
        as2_part *p = &out->part[out->n++];
        memset(p, 0, sizeof *p);
        p->whole = (as2_slice){start, end - start};
        if (!read_headers(buf, start, end, false, true, p)) {
            p->headerless = true;
            p->headers = (as2_slice){start, 0};
            p->body = p->whole;
        }
        if (close2)
            break;
        next = next2;
    }
    return EDI_OK;
}

/* ---- decoding ---------------------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

edi_result as2_mime_base64_decode(const char *s, size_t len, edi_buf *out, char *why,
                                  size_t why_n)
{
    if (!edi_buf_grow(out, len / 4 * 3 + 3)) {
        edi_say(why, why_n, "out of memory decoding %zu bytes of base64", len);
        return EDI_E_NOMEM;
    }
    unsigned char *o = (unsigned char *)out->p + out->len;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) {
            edi_say(why, why_n, "the base64 text has %s at byte %zu",
                    pad ? "data after its padding" : "a character outside the alphabet", i);
            return EDI_E_SYNTAX;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (bits >= 6 || pad > 2 || (pad && (bits / 2) != pad)) {
        edi_say(why, why_n, "the base64 text is truncated or badly padded");
        return EDI_E_SYNTAX;
    }
    out->len += k;
    return EDI_OK;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)toupper(c);
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static edi_result qp_decode(const char *s, size_t len, edi_buf *out, char *why, size_t why_n)
{
    if (!edi_buf_grow(out, len)) {
        edi_say(why, why_n, "out of memory decoding quoted-printable");
        return EDI_E_NOMEM;
    }
    char *o = out->p + out->len;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '=') {
            o[k++] = s[i];
            continue;
        }
        if (i + 1 < len && s[i + 1] == '\n') {          /* soft line break */
            i += 1;
        } else if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
        } else if (i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            o[k++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    out->len += k;
    return EDI_OK;
}

edi_result as2_mime_decode_body(const char *buf, const as2_part *part, edi_buf *out,
                                char *why, size_t why_n)
{
    char v[64];
    as2_cte cte = AS2_CTE_BINARY;
    if (!part->headerless &&
        as2_mime_header(buf, part->headers, "Content-Transfer-Encoding", v, sizeof v)) {
        edi_result r = as2_mime_cte_parse(v, &cte, why, why_n);
        if (r != EDI_OK)
            return r;
    }
    const char *s = buf + part->body.off;
    switch (cte) {
    case AS2_CTE_BASE64:
        return as2_mime_base64_decode(s, part->body.len, out, why, why_n);
    case AS2_CTE_QUOTED_PRINTABLE:
        return qp_decode(s, part->body.len, out, why, why_n);
    case AS2_CTE_BINARY:
    case AS2_CTE_7BIT:
        break;
    }
    if (!edi_buf_append(out, s, part->body.len)) {
        edi_say(why, why_n, "out of memory copying a body of %zu bytes", part->body.len);
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* ---- canonical segments ------------------------------------------------------------ */

bool as2_mime_needs_canonical(const char *buf, const as2_part *part)
{
    (void)buf;
    return !part->headerless && part->lf_only_headers;
}

/* Append [s, s+len) to scratch with every bare LF turned into CRLF. */
static bool append_crlf(edi_buf *scratch, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len;
        if (!edi_buf_append(scratch, s + i, e - i))
            return false;
        if (!nl)
            break;
        if (e == i || s[e - 1] != '\r') {
            if (!edi_buf_append(scratch, "\r\n", 2))
                return false;
        } else if (!edi_buf_append(scratch, "\n", 1)) {
            return false;
        }
        i = e + 1;
    }
    return true;
}

static bool part_is_binary(const char *buf, const as2_part *part)
{
    char v[64];
    as2_cte cte = AS2_CTE_BINARY;
    if (part->headerless ||
        !as2_mime_header(buf, part->headers, "Content-Transfer-Encoding", v, sizeof v))
        return true;                                 /* absent = binary (RFC 4130 §5.2.1) */
    return as2_mime_cte_parse(v, &cte, NULL, 0) != EDI_OK || cte == AS2_CTE_BINARY;
}

edi_result as2_mime_part_segments(const char *buf, const as2_part *part, bool canonical,
                                  bool canonical_body, edi_buf *scratch, as2_seg segs[3],
                                  size_t *n)
{
    const unsigned char *u = (const unsigned char *)buf;
    bool fix_headers = canonical && as2_mime_needs_canonical(buf, part);
    bool fix_body = canonical && canonical_body && !part_is_binary(buf, part) &&
                    memchr(buf + part->body.off, '\n', part->body.len) != NULL;
    if (!fix_headers && !fix_body) {
        segs[0] = (as2_seg){u + part->whole.off, part->whole.len};
        *n = 1;
        return EDI_OK;
    }
    size_t base = scratch->len;
    size_t head_len;
    if (fix_headers) {
        if (!append_crlf(scratch, buf + part->headers.off, part->headers.len) ||
            !edi_buf_append(scratch, "\r\n\r\n", 4))
            return EDI_E_NOMEM;
        head_len = scratch->len - base;
    } else {
        head_len = part->body.off - part->whole.off;
    }
    size_t body_base = scratch->len;
    if (fix_body && !append_crlf(scratch, buf + part->body.off, part->body.len))
        return EDI_E_NOMEM;
    /* Pointers into scratch only after every append (it may have moved). */
    size_t k = 0;
    if (fix_headers)
        segs[k++] = (as2_seg){(const unsigned char *)scratch->p + base, head_len};
    else
        segs[k++] = (as2_seg){u + part->whole.off, head_len};
    if (fix_body)
        segs[k++] = (as2_seg){(const unsigned char *)scratch->p + body_base,
                              scratch->len - body_base};
    else
        segs[k++] = (as2_seg){u + part->body.off, part->body.len};
    *n = k;
    return EDI_OK;
}

/* ---- writing ----------------------------------------------------------------------- */

bool as2_mime_base64_encode(const unsigned char *p, size_t len, edi_buf *out)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t groups = (len + 2) / 3, lines = (groups + 18) / 19;
    if (!edi_buf_grow(out, groups * 4 + lines * 2))
        return false;
    char *o = out->p + out->len;
    size_t k = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        o[k++] = alpha[(v >> 18) & 63];
        o[k++] = alpha[(v >> 12) & 63];
        o[k++] = i + 1 < len ? alpha[(v >> 6) & 63] : '=';
        o[k++] = i + 2 < len ? alpha[v & 63] : '=';
        if ((i / 3 + 1) % 19 == 0 || i + 3 >= len) {
            o[k++] = '\r';
            o[k++] = '\n';
        }
    }
    out->len += k;
    return true;
}

void as2_mime_boundary(char *out, size_t n)
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0x5a, sizeof r);
    char hex[33];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, n, "----=_as2_%s", hex);
}

bool as2_mime_append_segs(const as2_seg *segs, size_t n, edi_buf *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += segs[i].len;
    if (!edi_buf_grow(out, total))
        return false;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->p + out->len, segs[i].p, segs[i].len);
        out->len += segs[i].len;
    }
    return true;
}

edi_result as2_mime_write_part(const char *headers, const as2_seg *body, size_t n_body,
                               edi_buf *out, as2_slice *written, char *why, size_t why_n)
{
    for (const char *p = headers; *p; p++) {
        bool fold = p[0] == '\r' && p[1] == '\n' && p[2] != '\0';
        if ((*p == '\r' && !fold) || (*p == '\n' && (p == headers || p[-1] != '\r'))) {
            edi_say(why, why_n, "a header line contains a bare line break");
            return EDI_E_ARG;
        }
    }
    size_t start = out->len;
    if (!edi_buf_append(out, headers, strlen(headers)) || !edi_buf_append(out, "\r\n\r\n", 4) ||
        !as2_mime_append_segs(body, n_body, out)) {
        out->len = start;
        edi_say(why, why_n, "out of memory writing a MIME part");
        return EDI_E_NOMEM;
    }
    if (written)
        *written = (as2_slice){start, out->len - start};
    return EDI_OK;
}

static bool segs_contain(const as2_seg *segs, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i < n; i++)
        if (memmem(segs[i].p, segs[i].len, needle, nl))
            return true;
    return false;   /* a boundary split across segments cannot start a line of one part */
}

edi_result as2_mime_write_signed(const as2_seg *content, size_t n_content,
                                 const unsigned char *sig, size_t sig_len, const char *micalg,
                                 bool binary_signature, edi_buf *out, char *content_type,
                                 size_t content_type_n, char *why, size_t why_n)
{
    char b[64];
    do
        as2_mime_boundary(b, sizeof b);
    while (segs_contain(content, n_content, b));
    int k = snprintf(content_type, content_type_n,
                     "multipart/signed; protocol=\"application/pkcs7-signature\"; "
                     "micalg=%s; boundary=\"%s\"", micalg, b);
    if (k < 0 || (size_t)k >= content_type_n) {
        edi_say(why, why_n, "no room for the multipart/signed Content-Type");
        return EDI_E_ARG;
    }
    size_t start = out->len;
    char line[256];
    snprintf(line, sizeof line, "--%s\r\n", b);
    bool ok = edi_buf_append(out, line, strlen(line)) &&
              as2_mime_append_segs(content, n_content, out);
    snprintf(line, sizeof line, "\r\n--%s\r\n", b);
    ok = ok && edi_buf_append(out, line, strlen(line));
    snprintf(line, sizeof line,
             "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
             "Content-Transfer-Encoding: %s\r\n"
             "Content-Disposition: attachment; filename=smime.p7s\r\n\r\n",
             binary_signature ? "binary" : "base64");
    ok = ok && edi_buf_append(out, line, strlen(line));
    if (binary_signature)
        ok = ok && edi_buf_append(out, (const char *)sig, sig_len) &&
             edi_buf_append(out, "\r\n", 2);
    else
        ok = ok && as2_mime_base64_encode(sig, sig_len, out);
    snprintf(line, sizeof line, "--%s--\r\n", b);
    ok = ok && edi_buf_append(out, line, strlen(line));
    if (!ok) {
        out->len = start;
        edi_say(why, why_n, "out of memory writing a multipart/signed");
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

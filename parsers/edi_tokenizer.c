/* The tokenizer is a byte loop over a class table built from the service characters.
 * A segment is scanned in one pass; when it crosses the end of the buffer the partial
 * segment is moved to the front, more input is read and the segment is scanned again
 * from its start (only the one crossing segment pays for that). */
#include "edi_tokenizer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    C_DATA = 0,
    C_COMP,
    C_ELEM,
    C_REL,
    C_REP,
    C_TERM,
    C_LF,
    C_CR
};

enum { ST_FILE_START, ST_INTERCHANGE_START, ST_IN_INTERCHANGE };

struct edi_tokenizer {
    int fd;
    const char *data;    /* the bytes: own buffer (fd mode) or the caller's (memory mode) */
    char *own;           /* owned buffer in fd mode, NULL in memory mode */
    size_t cap;          /* size of own */
    size_t pos;          /* next unread byte in data */
    size_t end;          /* bytes valid in data */
    uint64_t base;       /* input offset of data[0] */
    unsigned line;       /* line of data[pos] */
    bool eof;            /* no more input beyond data[end] */
    bool done;
    int state;
    bool reset_pending;  /* the last segment was UNZ: defaults apply again */
    bool started_interchange;
    bool seen_interchange;  /* some UNA/UNB/UNH was found: trailing junk is not fatal */
    edi_tokenizer_options opt;
    edi_service_chars sc;
    uint8_t cls[256];
    edi_element *elements;
    size_t el_cap;
    edi_component *comps;
    size_t comp_cap;
};

static const edi_service_chars default_sc = {
    .component = ':', .element = '+', .decimal = '.', .release = '?',
    .repetition = '*', .terminator = '\'', .una = false, .repetition_active = false,
};

static void build_class_table(edi_tokenizer *t)
{
    memset(t->cls, C_DATA, sizeof t->cls);
    t->cls['\n'] = C_LF;
    t->cls['\r'] = C_CR;
    t->cls[(unsigned char)t->sc.component] = C_COMP;
    t->cls[(unsigned char)t->sc.element] = C_ELEM;
    if (t->sc.release)
        t->cls[(unsigned char)t->sc.release] = C_REL;
    if (t->sc.repetition_active && t->sc.repetition)
        t->cls[(unsigned char)t->sc.repetition] = C_REP;
    t->cls[(unsigned char)t->sc.terminator] = C_TERM;
}

static void set_defaults(edi_tokenizer *t)
{
    t->sc = default_sc;
    build_class_table(t);
}

static edi_tokenizer *tokenizer_alloc(const edi_tokenizer_options *opt)
{
    edi_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (opt)
        t->opt = *opt;
    if (!t->opt.chunk_size)
        t->opt.chunk_size = 256 * 1024;
    if (!t->opt.max_segment)
        t->opt.max_segment = 64u * 1024 * 1024;
    if (!t->opt.max_components)
        t->opt.max_components = 100000;
    t->fd = -1;
    t->line = 1;
    t->state = ST_FILE_START;
    t->el_cap = 64;
    t->comp_cap = 128;
    t->elements = malloc(t->el_cap * sizeof *t->elements);
    t->comps = malloc(t->comp_cap * sizeof *t->comps);
    if (!t->elements || !t->comps) {
        edi_tokenizer_free(t);
        return NULL;
    }
    set_defaults(t);
    return t;
}

edi_tokenizer *edi_tokenizer_new_fd(int fd, const edi_tokenizer_options *opt)
{
    edi_tokenizer *t = tokenizer_alloc(opt);
    if (!t)
        return NULL;
    t->fd = fd;
    t->cap = t->opt.chunk_size;
    t->own = malloc(t->cap);
    if (!t->own) {
        edi_tokenizer_free(t);
        return NULL;
    }
    t->data = t->own;
    return t;
}

edi_tokenizer *edi_tokenizer_new_mem(const char *buf, size_t len, const edi_tokenizer_options *opt)
{
    edi_tokenizer *t = tokenizer_alloc(opt);
    if (!t)
        return NULL;
    t->data = buf ? buf : "";
    t->end = buf ? len : 0;
    t->eof = true;
    return t;
}

void edi_tokenizer_free(edi_tokenizer *t)
{
    if (!t)
        return;
    free(t->own);
    free(t->elements);
    free(t->comps);
    free(t);
}

bool edi_tokenizer_at_interchange_start(const edi_tokenizer *t)
{
    return t->started_interchange;
}

uint64_t edi_tokenizer_offset(const edi_tokenizer *t)
{
    return t->base + t->pos;
}

/* Read at least one more byte (unless at end of input), keeping data[keep..end): that
 * part is moved to the front first, and *keep becomes 0. The buffer grows only when a
 * single segment fills it. Returns EDI_OK, EDI_E_LIMIT (a segment would exceed
 * max_segment), EDI_E_NOMEM or EDI_E_IO. */
static edi_result fill_more(edi_tokenizer *t, size_t *keep)
{
    if (t->eof)
        return EDI_OK;
    if (*keep > 0) {
        size_t n = t->end - *keep;
        memmove(t->own, t->own + *keep, n);
        t->base += *keep;
        t->pos -= *keep;
        t->end = n;
        *keep = 0;
    }
    if (t->end == t->cap) {
        if (t->cap >= t->opt.max_segment)
            return EDI_E_LIMIT;
        size_t ncap = t->cap * 2;
        if (ncap > t->opt.max_segment)
            ncap = t->opt.max_segment;
        char *n = realloc(t->own, ncap);
        if (!n)
            return EDI_E_NOMEM;
        t->own = n;
        t->data = n;
        t->cap = ncap;
    }
    for (;;) {
        ssize_t r = read(t->fd, t->own + t->end, t->cap - t->end);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return EDI_E_IO;
        if (r == 0)
            t->eof = true;
        t->end += (size_t)r;
        return EDI_OK;
    }
}

/* Make `n` bytes available from pos on, unless the input ends first. */
static edi_result ensure(edi_tokenizer *t, size_t n)
{
    while (!t->eof && t->end - t->pos < n) {
        size_t keep = t->pos;
        edi_result r = fill_more(t, &keep);
        if (r != EDI_OK)
            return r;
    }
    return EDI_OK;
}

static void report(edi_tokenizer *t, edi_findings *f, const edi_position *at, size_t where,
                   edi_severity sev, int code, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void report(edi_tokenizer *t, edi_findings *f, const edi_position *at, size_t where,
                   edi_severity sev, int code, const char *fmt, ...)
{
    if (!f)
        return;
    edi_position p;
    if (at)
        p = *at;
    else
        memset(&p, 0, sizeof p);
    p.offset = t->base + where;
    p.line = t->line;
    p.tag[0] = '\0';
    p.segment = 0;
    va_list ap;
    va_start(ap, fmt);
    edi_findings_vadd(f, &p, EDI_LEVEL_INTERCHANGE, sev, code, 0, 0, fmt, ap);
    va_end(ap);
}

static bool is_gap_byte(const edi_tokenizer *t, unsigned char c)
{
    if (t->cls[c] != C_DATA && t->cls[c] != C_LF && t->cls[c] != C_CR)
        return false;
    return c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\0' || c == 0x1a;
}

/* Skip line breaks and blanks between segments. */
static edi_result skip_gap(edi_tokenizer *t)
{
    for (;;) {
        while (t->pos < t->end && is_gap_byte(t, (unsigned char)t->data[t->pos])) {
            if (t->data[t->pos] == '\n')
                t->line++;
            t->pos++;
        }
        if (t->pos < t->end || t->eof)
            return EDI_OK;
        edi_result r = ensure(t, 1);
        if (r != EDI_OK)
            return r;
    }
}

static bool starts_with(const edi_tokenizer *t, size_t at, const char *s)
{
    size_t n = strlen(s);
    return t->end - at >= n && memcmp(t->data + at, s, n) == 0;
}

static bool looks_like_header(const edi_tokenizer *t, size_t at)
{
    if (t->end - at < 4)
        return false;
    const char *p = t->data + at;
    if (memcmp(p, "UNA", 3) == 0)
        return true;
    if (memcmp(p, "UNB", 3) == 0 || memcmp(p, "UNH", 3) == 0) {
        unsigned char c = (unsigned char)p[3];
        return !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != ' ';
    }
    return false;
}

/* More than one byte in eight a control character (other than line breaks and tabs). */
static bool looks_binary(const char *p, size_t n)
{
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
            ctl++;
    }
    return ctl * 8 > n;
}

static void quote_sample(char *q, size_t n, const char *p, size_t len)
{
    char inner[80];
    edi_quote(inner, sizeof inner, p, len, 40);
    snprintf(q, n, "\"%s\"", inner);
}

/* At the start of an interchange: accept UNA/UNB (or a bare UNH for an unenveloped
 * message); anything else is junk that is skipped and reported. */
static edi_result find_header(edi_tokenizer *t, edi_findings *f, const edi_position *at)
{
    uint64_t junk_off = t->base + t->pos;
    unsigned junk_line = t->line;
    char sample[48];
    size_t sample_len = 0;

    for (;;) {
        edi_result r = ensure(t, 9);
        if (r != EDI_OK)
            return r;
        if (t->pos >= t->end)
            break;
        if (looks_like_header(t, t->pos))
            break;
        if (sample_len < sizeof sample - 1)
            sample[sample_len++] = t->data[t->pos];
        if (t->data[t->pos] == '\n')
            t->line++;
        t->pos++;
    }
    uint64_t skipped = t->base + t->pos - junk_off;
    if (skipped) {
        /* Binary junk (a compressed or encrypted file, say) is described, not quoted:
         * a string of escaped bytes helps nobody. */
        char q[96];
        if (looks_binary(sample, sample_len))
            snprintf(q, sizeof q, "binary data, not text: was the file sent compressed or encrypted?");
        else
            quote_sample(q, sizeof q, sample, sample_len);
        edi_position p = at ? *at : (edi_position){0};
        p.offset = junk_off;
        p.line = junk_line;
        p.segment = 0;
        p.tag[0] = '\0';
        if (f && t->pos >= t->end && t->seen_interchange) {
            edi_findings_add(f, &p, EDI_LEVEL_INTERCHANGE, EDI_SEV_WARNING, EDI_SE_INVALID_OCCURRENCE, 0, 0,
                             "%llu bytes after the last interchange were ignored (%s); "
                             "they are not EDIFACT",
                             (unsigned long long)skipped, q);
        } else if (f) {
            if (t->pos >= t->end)
                edi_findings_add(f, &p, EDI_LEVEL_INTERCHANGE, EDI_SEV_ERROR, EDI_SE_MISSING, 0, 0,
                                 "no interchange header (UNA or UNB) found in %llu bytes (%s): "
                                 "this is not an EDIFACT interchange",
                                 (unsigned long long)skipped, q);
            else
                edi_findings_add(f, &p, EDI_LEVEL_INTERCHANGE, EDI_SEV_WARNING, EDI_SE_INVALID_OCCURRENCE, 0, 0,
                                 "%llu bytes before the interchange header were ignored (%s); "
                                 "ask the sender to send only the EDIFACT data",
                                 (unsigned long long)skipped, q);
        }
    }
    if (t->pos >= t->end)
        return t->seen_interchange ? EDI_END : EDI_E_SYNTAX;
    t->seen_interchange = true;
    return EDI_OK;
}

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* UNA plus six characters: component, element, decimal mark, release, repetition (v4;
 * reserved in v3), terminator. */
static edi_result read_una(edi_tokenizer *t, edi_findings *f, const edi_position *at)
{
    if (t->end - t->pos < 9) {
        report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_MISSING,
               "the file ends inside the UNA segment (it needs \"UNA\" and exactly six service characters)");
        t->pos = t->end;
        return EDI_E_TRUNCATED;
    }
    const char *u = t->data + t->pos + 3;
    edi_service_chars sc = default_sc;
    sc.component = u[0];
    sc.element = u[1];
    sc.decimal = u[2];
    sc.release = u[3] == ' ' ? '\0' : u[3];
    sc.repetition = u[4] == ' ' ? '\0' : u[4];
    sc.terminator = u[5];
    sc.una = true;

    char uniq[6] = { sc.component, sc.element, sc.release, sc.repetition, sc.terminator, 0 };
    bool ok = true;
    for (int i = 0; i < 5 && ok; i++) {
        if (!uniq[i])
            continue;
        if (is_alnum(uniq[i]))
            ok = false;
        for (int j = i + 1; j < 5; j++)
            if (uniq[i] && uniq[i] == uniq[j])
                ok = false;
    }
    if (!ok) {
        char q[32];
        edi_quote(q, sizeof q, t->data + t->pos, 9, 9);
        report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_INVALID_SERVICE_CHAR,
               "UNA \"%s\" uses the same character twice or a letter or digit as a separator; "
               "the default separators (:+.? ') are used instead", q);
        sc = default_sc;
        sc.una = true;
    } else if (sc.decimal != '.' && sc.decimal != ',') {
        report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_INVALID_SERVICE_CHAR,
               "UNA gives \"%c\" as decimal mark; only \".\" and \",\" are allowed, \".\" is assumed",
               sc.decimal);
        sc.decimal = '.';
    }
    t->sc = sc;
    build_class_table(t);
    t->pos += 9;
    return EDI_OK;
}

static bool push_component(edi_tokenizer *t, uint32_t *nc, const char *p, size_t len, bool escaped)
{
    if (*nc == t->comp_cap) {
        if (t->comp_cap >= t->opt.max_components)
            return false;
        size_t ncap = t->comp_cap * 2;
        edi_component *n = realloc(t->comps, ncap * sizeof *n);
        if (!n)
            return false;
        t->comps = n;
        t->comp_cap = ncap;
    }
    edi_component *c = &t->comps[(*nc)++];
    c->p = p;
    c->len = (uint32_t)len;
    c->escaped = escaped;
    return true;
}

static bool push_element(edi_tokenizer *t, uint32_t *ne, uint32_t first, uint32_t count,
                         uint32_t position, uint32_t repeat)
{
    if (*ne == t->el_cap) {
        size_t ncap = t->el_cap * 2;
        edi_element *n = realloc(t->elements, ncap * sizeof *n);
        if (!n)
            return false;
        t->elements = n;
        t->el_cap = ncap;
    }
    edi_element *e = &t->elements[(*ne)++];
    e->first = first;
    e->count = count;
    e->position = position;
    e->repeat = repeat;
    return true;
}

enum scan_status { SCAN_DONE, SCAN_MORE, SCAN_LIMIT, SCAN_NOMEM };

/* Scan one segment starting at data[s]. On SCAN_DONE *next is the index after the
 * terminator. Element 0 (the tag) is stored like any other element. */
static enum scan_status scan_segment(edi_tokenizer *t, size_t s, edi_segment *seg, size_t *next,
                                     unsigned *lines)
{
    const unsigned char *base = (const unsigned char *)t->data;
    const unsigned char *p = base + s, *e = base + t->end;
    const unsigned char *cstart = p;
    const uint8_t *cls = t->cls;
    uint32_t nc = 0, ne = 0, el_first = 0, position = 0, repeat = 0;
    bool escaped = false;
    *lines = 0;
    seg->had_line_breaks = false;
    seg->had_stray_release = false;

    for (;;) {
        while (p < e && cls[*p] == C_DATA)
            p++;
        if (p >= e)
            return SCAN_MORE;
        switch (cls[*p]) {
        case C_COMP:
            if (!push_component(t, &nc, (const char *)cstart, (size_t)(p - cstart), escaped))
                return nc >= t->opt.max_components ? SCAN_LIMIT : SCAN_NOMEM;
            escaped = false;
            cstart = ++p;
            break;
        case C_ELEM:
        case C_REP:
        case C_TERM: {
            int c = cls[*p];
            if (!push_component(t, &nc, (const char *)cstart, (size_t)(p - cstart), escaped))
                return nc >= t->opt.max_components ? SCAN_LIMIT : SCAN_NOMEM;
            if (!push_element(t, &ne, el_first, nc - el_first, position, repeat))
                return SCAN_NOMEM;
            el_first = nc;
            escaped = false;
            cstart = ++p;
            if (c == C_ELEM) {
                position++;
                repeat = 0;
            } else if (c == C_REP) {
                repeat++;
            } else {
                *next = (size_t)(p - base);
                seg->elements = t->elements + 1;
                seg->n_elements = ne - 1;
                seg->components = t->comps;
                seg->n_components = nc;
                seg->max_position = position;
                return SCAN_DONE;
            }
            break;
        }
        case C_REL: {
            /* In a wrapped file the released character may follow a line break: the
             * release applies to the next character that is not a skipped line break. */
            const unsigned char *q = p + 1;
            while (!t->opt.keep_line_breaks && q < e && (cls[*q] == C_LF || cls[*q] == C_CR)) {
                if (*q == '\n')
                    (*lines)++;
                seg->had_line_breaks = true;
                q++;
            }
            if (q >= e)
                return SCAN_MORE;
            if (cls[*q] == C_DATA || cls[*q] == C_LF || cls[*q] == C_CR)
                seg->had_stray_release = true;
            if (*q == '\n')
                (*lines)++;
            escaped = true;
            p = q + 1;
            break;
        }
        case C_LF:
            (*lines)++;
            /* fall through */
        case C_CR:
            if (!t->opt.keep_line_breaks) {
                escaped = true;
                seg->had_line_breaks = true;
            }
            p++;
            break;
        }
        if ((size_t)(p - (base + s)) > t->opt.max_segment)
            return SCAN_LIMIT;
    }
}

static void fill_tag(edi_segment *seg)
{
    const edi_element *tagel = seg->elements - 1;
    seg->tag_raw = seg->components[tagel->first];
    const edi_component *c = &seg->tag_raw;
    seg->tag[0] = '\0';
    /* A wrapped file may break a line inside the tag ("BG\nM"): copy it unescaped. */
    char t[8];
    size_t n = c->len;
    if (n > 6)
        return;
    if (c->escaped)
        n = edi_component_copy(seg, c, t);
    else
        memcpy(t, c->p, n);
    if (n != 3)
        return;
    for (int i = 0; i < 3; i++)
        if (!(t[i] >= 'A' && t[i] <= 'Z'))
            return;
    memcpy(seg->tag, t, 3);
    seg->tag[3] = '\0';
}

/* UNB S001 component 2 is the syntax version; 4 and later use the repetition separator
 * and, when UNA is absent, the default `*`. */
static void after_unb(edi_tokenizer *t, const edi_segment *seg)
{
    char ver[4];
    edi_segment_value(seg, 1, 2, ver, sizeof ver);
    if (ver[0] >= '4' && ver[0] <= '9' && ver[1] == '\0') {
        if (!t->sc.una)
            t->sc.repetition = '*';
        t->sc.repetition_active = t->sc.repetition != '\0';
        build_class_table(t);
    }
}

edi_result edi_tokenizer_next(edi_tokenizer *t, edi_segment *seg, edi_findings *f,
                              const edi_position *at)
{
    edi_result r;
    if (t->done)
        return EDI_END;
    t->started_interchange = false;
    if (t->reset_pending) {
        set_defaults(t);
        t->reset_pending = false;
        t->state = ST_INTERCHANGE_START;
    }
    if ((r = skip_gap(t)) != EDI_OK)
        goto fail;

    if (t->state == ST_FILE_START) {
        if ((r = ensure(t, 3)) != EDI_OK)
            goto fail;
        if (starts_with(t, t->pos, "\xEF\xBB\xBF")) {
            t->pos += 3;
            if ((r = skip_gap(t)) != EDI_OK)
                goto fail;
        }
        t->state = ST_INTERCHANGE_START;
    }
    if (t->pos >= t->end && t->eof) {
        t->done = true;
        if (t->seen_interchange)
            return EDI_END;
        uint64_t n = t->base + t->pos;
        if (n)
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_MISSING,
                   "the file holds only %llu bytes of white space and line breaks: there is no interchange",
                   (unsigned long long)n);
        else
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_MISSING,
                   "the file is empty (0 bytes): there is no interchange");
        return EDI_E_SYNTAX;
    }
    /* UNA can only start an interchange: one inside an interchange means the previous
     * one ended without UNZ (the reader reports that) and a new one begins. */
    if (t->state == ST_IN_INTERCHANGE && t->data[t->pos] == 'U') {
        if ((r = ensure(t, 3)) != EDI_OK)
            goto fail;
        if (starts_with(t, t->pos, "UNA")) {
            set_defaults(t);
            t->state = ST_INTERCHANGE_START;
        } else if (starts_with(t, t->pos, "UNB") && t->sc.repetition_active) {
            /* A UNB after a missing UNZ starts a new interchange: as at the start of every
             * interchange, the repetition separator only counts once its UNB says syntax 4
             * (what we write back puts a UNA before it, and must read the same). */
            t->sc.repetition_active = false;
            build_class_table(t);
        }
    }
    if (t->state == ST_INTERCHANGE_START) {
        if ((r = find_header(t, f, at)) != EDI_OK)
            goto fail;
        if (starts_with(t, t->pos, "UNA")) {
            if ((r = read_una(t, f, at)) != EDI_OK)
                goto fail;
            if ((r = skip_gap(t)) != EDI_OK)
                goto fail;
            if ((r = ensure(t, 4)) != EDI_OK)
                goto fail;
        } else if (starts_with(t, t->pos, "UNB\x1D")) {
            /* Level B information separators (IS1/IS3/IS4) when there is no UNA. */
            t->sc.component = 0x1F;
            t->sc.element = 0x1D;
            t->sc.terminator = 0x1C;
            build_class_table(t);
        }
        t->state = ST_IN_INTERCHANGE;
        t->started_interchange = true;
    }

    for (;;) {
        size_t next;
        unsigned lines;
        enum scan_status st = scan_segment(t, t->pos, seg, &next, &lines);
        if (st == SCAN_DONE) {
            seg->raw = t->data + t->pos;
            seg->raw_len = next - t->pos - 1;
            seg->offset = t->base + t->pos;
            seg->line = t->line;
            seg->sc = &t->sc;
            t->line += lines;
            t->pos = next;
            fill_tag(seg);
            if (memcmp(seg->tag, "UNB", 4) == 0)
                after_unb(t, seg);
            else if (memcmp(seg->tag, "UNZ", 4) == 0)
                t->reset_pending = true;
            return EDI_OK;
        }
        if (st == SCAN_NOMEM) {
            r = EDI_E_NOMEM;
            goto fail;
        }
        if (st == SCAN_LIMIT) {
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_TOO_MANY_CONSTITUENTS,
                   "a segment is larger than the limit (%zu bytes or %zu elements and components); "
                   "the rest of the file was not read",
                   t->opt.max_segment, t->opt.max_components);
            r = EDI_E_LIMIT;
            goto fail;
        }
        if (t->eof && t->pos == t->end && t->started_interchange) {
            /* Nothing after the UNA that started this interchange. */
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_MISSING,
                   "the file ends right after the UNA service string advice, before the UNB "
                   "that should follow it: the transmission was cut off; ask the sender to "
                   "send the file again");
            r = EDI_E_TRUNCATED;
            goto fail;
        }
        if (t->eof) {
            char q[64];
            size_t n = t->end - t->pos;
            edi_quote(q, sizeof q, t->data + t->pos, n, 30);
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_MISSING,
                   "the file ends inside a segment (\"%s\" has no segment terminator \"%c\"): "
                   "the transmission was cut off; ask the sender to send the file again",
                   q, t->sc.terminator);
            t->pos = t->end;
            r = EDI_E_TRUNCATED;
            goto fail;
        }
        size_t keep = t->pos;
        r = fill_more(t, &keep);
        if (r == EDI_E_LIMIT) {
            report(t, f, at, t->pos, EDI_SEV_ERROR, EDI_SE_TOO_MANY_CONSTITUENTS,
                   "a segment is longer than the limit of %zu bytes; the rest of the file was not read",
                   t->opt.max_segment);
            goto fail;
        }
        if (r != EDI_OK)
            goto fail;
    }

fail:
    t->done = true;
    return r;
}

size_t edi_component_copy(const edi_segment *seg, const edi_component *c, char *out)
{
    if (!c->escaped) {
        memcpy(out, c->p, c->len);
        out[c->len] = '\0';
        return c->len;
    }
    char rel = seg->sc->release;
    bool strip = seg->had_line_breaks;
    size_t o = 0;
    for (uint32_t i = 0; i < c->len; i++) {
        char ch = c->p[i];
        if (rel && ch == rel && i + 1 < c->len) {
            i++;
            while (strip && i + 1 < c->len && (c->p[i] == '\n' || c->p[i] == '\r'))
                i++;
            out[o++] = c->p[i];
            continue;
        }
        if (strip && (ch == '\n' || ch == '\r'))
            continue;
        out[o++] = ch;
    }
    out[o] = '\0';
    return o;
}

const edi_element *edi_segment_element(const edi_segment *seg, uint32_t position)
{
    /* Without repetitions the element for `position` sits at index position-1. */
    if (position >= 1 && position <= seg->n_elements &&
        seg->elements[position - 1].position == position &&
        seg->elements[position - 1].repeat == 0)
        return &seg->elements[position - 1];
    for (uint32_t i = 0; i < seg->n_elements; i++)
        if (seg->elements[i].position == position)
            return &seg->elements[i];
    return NULL;
}

const edi_component *edi_segment_component(const edi_segment *seg, uint32_t position, uint32_t comp)
{
    const edi_element *e = edi_segment_element(seg, position);
    if (!e || comp < 1 || comp > e->count)
        return NULL;
    const edi_component *c = &seg->components[e->first + comp - 1];
    return c->len ? c : NULL;
}

size_t edi_segment_value(const edi_segment *seg, uint32_t position, uint32_t comp, char *out, size_t n)
{
    const edi_component *c = edi_segment_component(seg, position, comp);
    if (n)
        out[0] = '\0';
    if (!c)
        return 0;
    if (c->len < n) {
        return edi_component_copy(seg, c, out);
    }
    char *tmp = malloc((size_t)c->len + 1);
    if (!tmp)
        return 0;
    size_t len = edi_component_copy(seg, c, tmp);
    if (n) {
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(out, tmp, k);
        out[k] = '\0';
    }
    free(tmp);
    return len;
}

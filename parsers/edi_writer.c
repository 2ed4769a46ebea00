/* The writer appends straight into its output buffer. Separators that follow the last
 * non-empty value of a segment are written tentatively: `committed` marks the end of
 * the last value, so trailing empty components and elements are dropped by cutting the
 * buffer back, without a second buffer per segment. */
#include "edi_writer.h"

#include "edi_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARNING_MAX 320

struct edi_writer {
    edi_service_chars sc;
    int syntax_version;
    char line_break[3];
    bool need_una;          /* separators or charset call for UNA before each interchange */
    edi_charset *cs;

    edi_buf out;            /* the bytes written */
    size_t committed;       /* end of the segment's last non-empty value (or its tag) */
    edi_buf scratch;        /* a value encoded to the charset, before escaping */

    bool in_segment;
    bool in_interchange;    /* a segment written since the start or the last UNZ */
    bool in_message;
    char tag[4];
    unsigned element;       /* position of the current element, 0 before the first */
    unsigned component;     /* 1-based component of the current element, 0 before the first */

    unsigned message_segments, messages, groups;
    char warning[WARNING_MAX];
};

void edi_writer_options_default(edi_writer_options *o)
{
    memset(o, 0, sizeof *o);
    o->sc.component = ':';
    o->sc.element = '+';
    o->sc.decimal = '.';
    o->sc.release = '?';
    o->sc.repetition = '*';
    o->sc.terminator = '\'';
    o->syntax_version = 3;
    o->charset = "UNOC";
    o->line_break = "";
}

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The same checks the tokenizer applies to a received UNA, so that what we write can be
 * read back: no letters or digits, no character in two roles, a known decimal mark. */
static bool separators_usable(const edi_service_chars *sc, int version, char *why, size_t why_n)
{
    char roles[5] = { sc->component, sc->element, sc->release,
                      version >= 4 ? sc->repetition : '\0', sc->terminator };
    static const char *const names[5] = { "component separator", "data element separator",
                                          "release character", "repetition separator",
                                          "segment terminator" };
    for (int i = 0; i < 5; i++) {
        if (!roles[i])
            continue;
        if (is_alnum(roles[i]) || roles[i] == ' ' || roles[i] == '\r' || roles[i] == '\n') {
            edi_say(why, why_n, "the %s \"%c\" cannot be used: separators must not be letters, digits, "
                "blanks or line breaks", names[i], roles[i]);
            return false;
        }
        for (int j = i + 1; j < 5; j++)
            if (roles[i] == roles[j]) {
                edi_say(why, why_n, "\"%c\" is given as both %s and %s; each service character must be "
                    "different", roles[i], names[i], names[j]);
                return false;
            }
    }
    if (!sc->component || !sc->element || !sc->terminator) {
        edi_say(why, why_n, "the component separator, data element separator and segment terminator "
            "must all be set");
        return false;
    }
    if (sc->decimal != '.' && sc->decimal != ',') {
        edi_say(why, why_n, "the decimal mark must be \".\" or \",\"");
        return false;
    }
    return true;
}

static bool default_separators(const edi_service_chars *sc, int version)
{
    return sc->component == ':' && sc->element == '+' && sc->decimal == '.' && sc->release == '?' &&
           sc->terminator == '\'' && (version < 4 || sc->repetition == '*');
}

edi_writer *edi_writer_new(const edi_writer_options *o, char *why, size_t why_n)
{
    edi_writer_options def;
    if (!o) {
        edi_writer_options_default(&def);
        o = &def;
    }
    const char *charset = o->charset && o->charset[0] ? o->charset : "UNOC";
    const char *lb = o->line_break ? o->line_break : "";
    int version = o->syntax_version >= 4 ? 4 : 3;
    if (strcmp(lb, "") != 0 && strcmp(lb, "\n") != 0 && strcmp(lb, "\r\n") != 0) {
        edi_say(why, why_n, "the line break after segments must be empty, LF or CR LF");
        return NULL;
    }
    if (o->syntax_version > 4) {
        edi_say(why, why_n, "syntax version %d is not supported; versions 1 to 4 are", o->syntax_version);
        return NULL;
    }
    if (!separators_usable(&o->sc, version, why, why_n))
        return NULL;

    edi_writer *w = calloc(1, sizeof *w);
    if (!w) {
        edi_say(why, why_n, "out of memory");
        return NULL;
    }
    if (edi_charset_open(charset, NULL, &w->cs, why, why_n) != EDI_OK) {
        free(w);
        return NULL;
    }
    w->sc = o->sc;
    /* A UNA may leave the repetition separator blank even in version 4 (the tokenizer
     * reads that as "none"); such an interchange has no repetitions. */
    w->sc.repetition_active = version >= 4 && o->sc.repetition;
    w->syntax_version = version;
    snprintf(w->line_break, sizeof w->line_break, "%s", lb);
    w->need_una = o->force_una || !default_separators(&o->sc, version) || strcmp(charset, "UNOA") != 0;
    return w;
}

void edi_writer_free(edi_writer *w)
{
    if (!w)
        return;
    edi_charset_free(w->cs);
    edi_buf_free(&w->out);
    edi_buf_free(&w->scratch);
    free(w);
}

static bool reserve(edi_writer *w, size_t more)
{
    return edi_buf_grow(&w->out, more);
}

static bool append(edi_writer *w, const char *s, size_t n)
{
    return edi_buf_append(&w->out, s, n);
}

static bool append_char(edi_writer *w, char c)
{
    return append(w, &c, 1);
}

static edi_result write_una(edi_writer *w)
{
    char una[9] = { 'U', 'N', 'A', w->sc.component, w->sc.element, w->sc.decimal,
                    w->sc.release ? w->sc.release : ' ',
                    w->sc.repetition_active ? w->sc.repetition : ' ', w->sc.terminator };
    if (!append(w, una, sizeof una) || !append(w, w->line_break, strlen(w->line_break)))
        return EDI_E_NOMEM;
    return EDI_OK;
}

static bool valid_tag(const char *tag)
{
    if (!tag || strlen(tag) != 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (tag[i] < 'A' || tag[i] > 'Z')
            return false;
    return true;
}

edi_result edi_writer_begin_segment(edi_writer *w, const char *tag)
{
    if (!w || w->in_segment || !valid_tag(tag))
        return EDI_E_ARG;
    bool unb = strcmp(tag, "UNB") == 0, unh = strcmp(tag, "UNH") == 0;
    /* The tokenizer (like ISO 9735) returns to the default separators after UNZ, so every
     * interchange that needs UNA gets its own, before its first segment: normally UNB,
     * UNH for a bare message, or whatever a damaged interchange starts with. */
    if (!w->in_interchange && w->need_una) {
        edi_result r = write_una(w);
        if (r != EDI_OK)
            return r;
    }
    if (!append(w, tag, 3))
        return EDI_E_NOMEM;
    memcpy(w->tag, tag, 4);
    w->in_segment = true;
    w->in_interchange = true;
    w->committed = w->out.len;
    w->element = 0;
    w->component = 0;

    if (unb) {
        w->messages = 0;
        w->groups = 0;
    } else if (!strcmp(tag, "UNG")) {
        w->groups++;
        w->messages = 0;
    } else if (!strcmp(tag, "UNZ")) {
        w->in_interchange = false;
    } else if (unh) {
        w->in_message = true;
        w->messages++;
        w->message_segments = 1;
    } else if (w->in_message) {
        w->message_segments++;
        if (!strcmp(tag, "UNT"))
            w->in_message = false;
    }
    return EDI_OK;
}

edi_result edi_writer_element(edi_writer *w, bool repeat)
{
    if (!w || !w->in_segment)
        return EDI_E_ARG;
    if (repeat && (!w->sc.repetition_active || w->element == 0))
        return EDI_E_ARG;
    /* Component separators after the last value belong to trailing empty components of
     * the element that ends here: drop them. */
    while (w->out.len > w->committed && w->out.p[w->out.len - 1] == w->sc.component)
        w->out.len--;
    if (!append_char(w, repeat ? w->sc.repetition : w->sc.element))
        return EDI_E_NOMEM;
    if (!repeat)
        w->element++;
    w->component = 0;
    return EDI_OK;
}

static void note_issue(edi_writer *w, const edi_charset_issue *issue)
{
    if (w->warning[0] || issue->kind == EDI_CHARSET_ISSUE_NONE)
        return;
    snprintf(w->warning, sizeof w->warning, "segment %s, element %u, component %u: %s", w->tag,
             w->element, w->component, issue->text);
}

static bool is_service_char(const edi_writer *w, char c)
{
    return c == w->sc.component || c == w->sc.element || c == w->sc.terminator ||
           (w->sc.release && c == w->sc.release) ||
           (w->sc.repetition_active && c == w->sc.repetition);
}

edi_result edi_writer_component(edi_writer *w, const char *value, size_t len)
{
    if (!w || !w->in_segment || w->element == 0 || (!value && len))
        return EDI_E_ARG;
    if (w->component > 0 && !append_char(w, w->sc.component))
        return EDI_E_NOMEM;
    w->component++;
    if (len == 0)
        return EDI_OK;

    size_t need = EDI_CHARSET_FROM_UTF8_MAX(len);
    if (need / 3 != len)
        return EDI_E_LIMIT;
    if (!edi_buf_grow(&w->scratch, need))
        return EDI_E_NOMEM;
    edi_charset_issue issue;
    size_t n = edi_charset_from_utf8(w->cs, value, len, w->scratch.p, w->scratch.cap, &issue);
    note_issue(w, &issue);
    /* A reader skips line breaks inside segments (wrapped files), so a value cannot carry
     * one: it is written as a space, and said so. */
    for (size_t i = 0; i < n; i++) {
        char *c = &w->scratch.p[i];
        if ((*c == '\n' || *c == '\r') && !is_service_char(w, *c)) {
            if (!w->warning[0])
                snprintf(w->warning, sizeof w->warning,
                         "segment %s, element %u, component %u: a line break in the value was written "
                         "as a space (EDIFACT values cannot hold line breaks)", w->tag, w->element,
                         w->component);
            *c = ' ';
        }
    }

    size_t escapes = 0;
    for (size_t i = 0; i < n; i++)
        if (is_service_char(w, w->scratch.p[i]))
            escapes++;
    if (escapes && !w->sc.release) {
        char c = 0;
        for (size_t i = 0; i < n && !c; i++)
            if (is_service_char(w, w->scratch.p[i]))
                c = w->scratch.p[i];
        snprintf(w->warning, sizeof w->warning,
                 "segment %s, element %u, component %u: the value contains the service character "
                 "\"%c\" and there is no release character to escape it", w->tag, w->element,
                 w->component, c);
        return EDI_E_ARG;
    }
    if (!reserve(w, n + escapes))
        return EDI_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        char c = w->scratch.p[i];
        if (is_service_char(w, c))
            w->out.p[w->out.len++] = w->sc.release;
        w->out.p[w->out.len++] = c;
    }
    w->committed = w->out.len;
    return EDI_OK;
}

edi_result edi_writer_end_segment(edi_writer *w)
{
    if (!w || !w->in_segment)
        return EDI_E_ARG;
    w->out.len = w->committed;
    w->in_segment = false;
    if (!append_char(w, w->sc.terminator) || !append(w, w->line_break, strlen(w->line_break)))
        return EDI_E_NOMEM;
    return EDI_OK;
}

/* Our notation always uses the default separators; `*` separates repetitions only when
 * the writer writes repetitions (syntax version 4), as the tokenizer reads it. */
edi_result edi_writer_segment_text(edi_writer *w, const char *fields)
{
    if (!w || !fields)
        return EDI_E_ARG;
    size_t n = strlen(fields);
    if (n < 3 || (n > 3 && fields[3] != '+'))
        return EDI_E_ARG;
    char tag[4] = { fields[0], fields[1], fields[2], '\0' };
    edi_result r = edi_writer_begin_segment(w, tag);
    if (r != EDI_OK)
        return r;
    char *value = malloc(n + 1);
    if (!value)
        return EDI_E_NOMEM;
    size_t vlen = 0;
    for (size_t i = 3; i < n && r == EDI_OK; i++) {
        char c = fields[i];
        if (c == '?' && i + 1 < n) {
            value[vlen++] = fields[++i];
            continue;
        }
        bool sep = c == '+' || c == ':' || (c == '*' && w->sc.repetition_active);
        if (!sep) {
            value[vlen++] = c;
            continue;
        }
        if (i > 3)
            r = edi_writer_component(w, value, vlen);
        vlen = 0;
        if (r == EDI_OK && c != ':')
            r = edi_writer_element(w, c == '*');
    }
    if (r == EDI_OK && n > 3)
        r = edi_writer_component(w, value, vlen);
    free(value);
    if (r == EDI_OK)
        r = edi_writer_end_segment(w);
    return r;
}

unsigned edi_writer_message_segments(const edi_writer *w)
{
    return w->message_segments;
}

unsigned edi_writer_messages(const edi_writer *w)
{
    return w->messages;
}

unsigned edi_writer_groups(const edi_writer *w)
{
    return w->groups;
}

const char *edi_writer_data(const edi_writer *w, size_t *len)
{
    if (len)
        *len = w->out.len;
    return w->out.p ? w->out.p : "";
}

const char *edi_writer_warning(const edi_writer *w)
{
    return w->warning[0] ? w->warning : NULL;
}

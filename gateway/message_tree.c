/* message_tree.c: the parsed tree of a stored message (message_tree.h). */
#define _GNU_SOURCE /* memfd_create and fopencookie: EDIFACT-XML streamed from memory into a bounded buffer */
#include "message_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "edi_charset.h"
#include "edi_reader.h"
#include "edi_xml.h"

/* Findings kept per message while reading for the tree; more are only counted. */
#define TREE_FINDINGS_PER_MESSAGE 100
/* Findings listed with the tree; the rest are counted. */
#define TREE_FINDINGS_LISTED 20

/* ---- bounded text ----------------------------------------------------------------- */

typedef struct {
    message_tree *t;
    size_t max;    /* 0: all */
    bool nomem;
} sink;

/* The length of the valid UTF-8 sequence at p (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Cut the text at the limit: back to the last line end, or, in a line longer than the
 * limit, back to the start of a character. */
static void sink_cut(sink *s)
{
    edi_buf *b = &s->t->text;
    size_t keep = b->len;
    while (keep > 0 && b->p[keep - 1] != '\n')
        keep--;
    if (keep == 0) {
        keep = b->len;
        while (keep > 0 && ((unsigned char)b->p[keep - 1] & 0xC0) == 0x80)
            keep--;
        if (keep > 0 && (unsigned char)b->p[keep - 1] >= 0xC0)
            keep--;
        b->len = keep;
        if (!edi_buf_append(b, "\n", 1))
            s->nomem = true;
    } else {
        b->len = keep;
    }
    s->t->truncated = true;
}

static void sink_put(sink *s, const char *p, size_t n)
{
    message_tree *t = s->t;
    t->total_bytes += n;
    for (const char *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
        t->total_lines++;
    if (t->truncated || s->nomem)
        return;
    if (s->max && t->text.len + n > s->max) {
        size_t room = s->max - t->text.len;
        if (!edi_buf_append(&t->text, p, room))
            s->nomem = true;
        else
            sink_cut(s);
        return;
    }
    if (!edi_buf_append(&t->text, p, n))
        s->nomem = true;
}

static void sink_printf(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sink_printf(sink *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        sink_put(s, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Count the lines shown and NUL-terminate the text (not counted in its length). */
static edi_result sink_finish(sink *s)
{
    message_tree *t = s->t;
    if (t->total_bytes && !t->truncated && t->text.len && t->text.p[t->text.len - 1] != '\n')
        sink_put(s, "\n", 1);
    if (s->nomem || !edi_buf_append(&t->text, "", 1))
        return EDI_E_NOMEM;
    t->text.len--;
    t->shown_lines = 0;
    for (size_t i = 0; i < t->text.len; i++)
        t->shown_lines += t->text.p[i] == '\n';
    return EDI_OK;
}

/* Append `len` bytes to `b` as printable UTF-8: valid sequences as they are, control
 * characters and bytes that are not UTF-8 as '.'; with `escape`, its characters preceded
 * by '?' (a value shown with the standard separators). */
static bool append_printable(edi_buf *b, const char *p, size_t len, const char *escape)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < len;) {
        size_t n = u[i] >= 0x80 ? utf8_len(u + i, len - i) : 1;
        bool ok;
        if (n > 1) {
            if (!edi_buf_append(b, p + i, n))
                return false;
            i += n;
            continue;
        }
        if (u[i] < 0x20 || u[i] >= 0x7f) {
            ok = edi_buf_append(b, ".", 1);
        } else {
            ok = (!escape || !strchr(escape, p[i]) || edi_buf_append(b, "?", 1)) &&
                 edi_buf_append(b, p + i, 1);
        }
        if (!ok)
            return false;
        i++;
    }
    return true;
}

/* ---- EDIFACT: the reader's findings ------------------------------------------------- */

static void format_finding(const edi_finding *fd, char *out, size_t n)
{
    char text[560];
    edi_finding_format(fd, text, sizeof text);
    snprintf(out, n, "line %u (byte %llu), %s", fd->at.line, (unsigned long long)fd->at.offset,
             text);
}

/* After reading: the counts of findings, the first TREE_FINDINGS_LISTED of them, and where
 * reading stopped when `r` is not EDI_OK: the first error added after the last segment
 * was read (`after`: the number of findings then), which is the reason (a cut-off
 * segment, ...) before the consequences (no UNT, no UNZ). */
static bool edifact_outcome(message_tree *t, edi_result r, const edi_findings *f, size_t after)
{
    t->errors = f->errors;
    t->warnings = f->warnings;
    char line[1024];
    for (size_t i = 0; i < f->count && i < TREE_FINDINGS_LISTED; i++) {
        format_finding(&f->items[i], line, sizeof line);
        if (!append_printable(&t->findings, line, strlen(line), NULL) ||
            !edi_buf_append(&t->findings, "\n", 1))
            return false;
    }
    size_t more = f->count + f->dropped - (f->count < TREE_FINDINGS_LISTED ? f->count
                                                                             : TREE_FINDINGS_LISTED);
    if (more) {
        snprintf(line, sizeof line, "... and %zu more (`gateway edi check` lists all)\n", more);
        if (!edi_buf_append(&t->findings, line, strlen(line)))
            return false;
    }
    if (!edi_buf_append(&t->findings, "", 1))
        return false;
    t->findings.len--;
    if (r == EDI_OK)
        return true;
    t->stopped = true;
    const edi_finding *why = NULL;
    for (size_t i = after; i < f->count && !why; i++)
        if (f->items[i].severity == EDI_SEV_ERROR)
            why = &f->items[i];
    for (size_t i = f->count; i > 0 && !why; i--)
        if (f->items[i - 1].severity == EDI_SEV_ERROR)
            why = &f->items[i - 1];
    if (why)
        format_finding(why, t->stop, sizeof t->stop);
    else
        snprintf(t->stop, sizeof t->stop, "%s", edi_result_str(r));
    return true;
}

/* A handler that only notes how many findings there were when the last segment was read. */
typedef struct {
    const edi_findings *f;
    size_t after;
} last_segment;

static int note_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                        const edi_position *at, const edi_placement *pl)
{
    (void)ic;
    (void)seg;
    (void)at;
    (void)pl;
    last_segment *ls = ctx;
    ls->after = ls->f->count;
    return 0;
}

/* ---- EDIFACT: the segment listing --------------------------------------------------- */

typedef struct {
    sink *s;
    const edi_findings *f;
    size_t after;       /* findings when the last segment was read */
    edi_buf line, value, utf8;
    bool nomem;
} listing;

/* The value of one component, decoded to UTF-8 when the interchange's charset is known. */
static bool component_text(listing *l, const edi_interchange_info *ic, const edi_segment *seg,
                           const edi_component *c, const char *escape)
{
    if (c->len == 0)
        return true;
    l->value.len = 0;
    if (!edi_buf_grow(&l->value, (size_t)c->len + 1))
        return false;
    size_t n = edi_component_copy(seg, c, l->value.p);
    if (!ic->charset)
        return append_printable(&l->line, l->value.p, n, escape);
    size_t cap = EDI_CHARSET_TO_UTF8_MAX(n);
    l->utf8.len = 0;
    if (!edi_buf_grow(&l->utf8, cap + 1))
        return false;
    size_t u = edi_charset_to_utf8(ic->charset, l->value.p, n, l->utf8.p, cap, NULL);
    return append_printable(&l->line, l->utf8.p, u < cap ? u : cap, escape);
}

/* The data elements of `seg` with the standard separators (+ : and * for repeats), values
 * unescaped and decoded, service characters inside values released with '?'. */
static bool elements_text(listing *l, const edi_interchange_info *ic, const edi_segment *seg)
{
    const char *escape = seg->sc && seg->sc->repetition_active ? "+:?'*" : "+:?'";
    uint32_t prev = 0;
    for (uint32_t i = 0; i < seg->n_elements; i++) {
        const edi_element *e = &seg->elements[i];
        if (e->repeat > 0 && e->position == prev) {
            if (!edi_buf_append(&l->line, "*", 1))
                return false;
        } else {
            for (uint32_t k = prev; k < e->position; k++)
                if (!edi_buf_append(&l->line, "+", 1))
                    return false;
        }
        prev = e->position;
        for (uint32_t j = 0; j < e->count; j++) {
            if (j && !edi_buf_append(&l->line, ":", 1))
                return false;
            if (e->first + j < seg->n_components &&
                !component_text(l, ic, seg, &seg->components[e->first + j], escape))
                return false;
        }
    }
    return true;
}

static void listing_put(listing *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void listing_put(listing *l, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    l->line.len = 0;
    if (!append_printable(&l->line, text, strlen(text), NULL) ||
        !edi_buf_append(&l->line, "\n", 1)) {
        l->nomem = true;
        return;
    }
    sink_put(l->s, l->line.p, l->line.len);
}

static int on_interchange(void *ctx, const edi_interchange_info *ic)
{
    listing *l = ctx;
    if (!ic->has_unb) {
        listing_put(l, "interchange %u: without UNB", ic->index);
        return 0;
    }
    listing_put(l, "interchange %u: %s %d%s%s, from %s%s%s to %s%s%s, reference %s%s",
                ic->index, ic->syntax_id, ic->syntax_version,
                ic->charset && strcmp(edi_charset_name(ic->charset), ic->syntax_id) ? " read as " : "",
                ic->charset && strcmp(edi_charset_name(ic->charset), ic->syntax_id)
                    ? edi_charset_name(ic->charset) : "",
                ic->sender, ic->sender_qualifier[0] ? ":" : "", ic->sender_qualifier,
                ic->recipient, ic->recipient_qualifier[0] ? ":" : "", ic->recipient_qualifier,
                ic->control_ref, ic->test ? " (test)" : "");
    return 0;
}

static int on_message(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    listing *l = ctx;
    (void)ic;
    char def[128];
    if (m->def)
        snprintf(def, sizeof def, "read as %s", m->def->label);
    else
        snprintf(def, sizeof def, "no directory definition: elements by position, no groups");
    listing_put(l, "message %u: %s %s %s %s%s%s, reference %s%s%s (%s)", m->index, m->type,
                m->version, m->release, m->agency, m->association[0] ? " " : "", m->association,
                m->ref, m->group_ref[0] ? ", group " : "", m->group_ref, def);
    return 0;
}

static int on_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                      const edi_position *at, const edi_placement *pl)
{
    listing *l = ctx;
    l->after = l->f->count;
    if (pl && pl->opened)
        listing_put(l, "%24s  %*s%s", "", (int)(2 * pl->opened->depth), "", pl->opened->name);
    char head[96];
    snprintf(head, sizeof head, "%6u %6u %10llu  %*s", at->segment, seg->line,
             (unsigned long long)seg->offset, (int)(2 * (pl ? pl->depth : 0)), "");
    l->line.len = 0;
    bool ok = edi_buf_append(&l->line, head, strlen(head));
    if (ok && seg->tag[0])
        ok = edi_buf_append(&l->line, seg->tag, strlen(seg->tag));
    else if (ok)
        ok = append_printable(&l->line, seg->tag_raw.p, seg->tag_raw.len, NULL);
    if (ok && seg->n_elements)
        ok = elements_text(l, ic, seg);
    if (ok)
        ok = edi_buf_append(&l->line, "\n", 1);
    if (!ok) {
        l->nomem = true;
        return 0;
    }
    sink_put(l->s, l->line.p, l->line.len);
    return 0;
}

static edi_result edifact_segments(sink *s, const char *raw, size_t len,
                                   const edi_reader_options *opt)
{
    edi_findings f;
    edi_findings_init(&f, TREE_FINDINGS_PER_MESSAGE);
    listing l = { .s = s, .f = &f };
    edi_reader_handler h = {
        .ctx = &l,
        .interchange_begin = on_interchange,
        .message_begin = on_message,
        .segment = on_segment,
    };
    sink_printf(s, "   seg   line       byte  tag and data elements (segment groups indented "
                "under their name)\n");
    edi_result r = edi_reader_run_mem(raw, len, opt, &h, &f);
    edi_buf_free(&l.line);
    edi_buf_free(&l.value);
    edi_buf_free(&l.utf8);
    bool ok = r != EDI_E_NOMEM && !l.nomem && edifact_outcome(s->t, r, &f, l.after);
    edi_findings_free(&f);
    return ok ? EDI_OK : EDI_E_NOMEM;
}

/* ---- EDIFACT: EDIFACT-XML, streamed into the bounded text -------------------------- */

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
    sink_put(c, buf, size);
    return (ssize_t)size;
}

static edi_result edifact_xml(sink *s, const char *raw, size_t len, const edi_reader_options *opt,
                              char *why, size_t why_n)
{
    /* edi_xml_stream_fd reads a file descriptor: the bytes go into an anonymous memory
     * file, the text through a stream that keeps what the limit allows and counts the
     * rest, so memory follows the largest message as for `edi to-xml`. */
    int fd = memfd_create("message-tree", MFD_CLOEXEC);
    if (fd < 0) {
        edi_say(why, why_n, "no memory file for reading the message: %s", strerror(errno));
        return EDI_E_IO;
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, raw + done, len - done);
        if (w < 0) {
            edi_say(why, why_n, "the message could not be copied for reading: %s", strerror(errno));
            close(fd);
            return EDI_E_IO;
        }
        done += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        edi_say(why, why_n, "the message could not be read back: %s", strerror(errno));
        close(fd);
        return EDI_E_IO;
    }
    cookie_io_functions_t io = { .write = cookie_write };
    FILE *out = fopencookie(s, "w", io);
    if (!out) {
        close(fd);
        return EDI_E_NOMEM;
    }
    edi_findings f;
    edi_findings_init(&f, TREE_FINDINGS_PER_MESSAGE);
    edi_result r = edi_xml_stream_fd(fd, opt, out, &f);
    fclose(out);
    close(fd);
    if (r == EDI_E_NOMEM || r == EDI_E_IO) {
        edi_say(why, why_n, "the EDIFACT-XML could not be written: %s", edi_result_str(r));
        edi_findings_free(&f);
        return r;
    }
    last_segment ls = { .f = &f };
    if (r != EDI_OK) {
        /* Where it stopped: read again, noting the findings at the last segment. */
        edi_findings again;
        edi_findings_init(&again, TREE_FINDINGS_PER_MESSAGE);
        last_segment la = { .f = &again };
        edi_reader_handler h = { .ctx = &la, .segment = note_segment };
        edi_reader_run_mem(raw, len, opt, &h, &again);
        ls.after = la.after;
        edi_findings_free(&again);
    }
    bool ok = edifact_outcome(s->t, r, &f, ls.after);
    edi_findings_free(&f);
    return ok ? EDI_OK : EDI_E_NOMEM;
}

/* ---- XML documents and JSON ---------------------------------------------------------- */

static bool blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n", *s))
            return false;
    return true;
}

/* Drop the white space between elements (text nodes of blanks beside element siblings), so
 * that libxml2 indents the document however it was laid out; mixed content is kept. */
static void drop_layout(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        bool has_element = false;
        for (xmlNodePtr c = n->children; c && !has_element; c = c->next)
            has_element = c->type == XML_ELEMENT_NODE;
        for (xmlNodePtr c = n->children; c && has_element;) {
            xmlNodePtr next = c->next;
            if (c->type == XML_TEXT_NODE && blank(c->content)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
            c = next;
        }
        drop_layout(n->children);
    }
}

static edi_result xml_document(sink *s, const char *raw, size_t len)
{
    xmlDocPtr doc = NULL;
    char perr[512] = "";
    edi_result r = mapping_parse_xml(raw, len, &doc, perr, sizeof perr);
    if (r == EDI_E_NOMEM)
        return r;
    if (r != EDI_OK) {
        s->t->stopped = true;
        snprintf(s->t->stop, sizeof s->t->stop, "%s", perr[0] ? perr : edi_result_str(r));
        xmlFreeDoc(doc);
        return EDI_OK;
    }
    drop_layout(xmlDocGetRootElement(doc));
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(doc);
    if (!mem)
        return EDI_E_NOMEM;
    sink_put(s, (const char *)mem, (size_t)size);
    xmlFree(mem);
    return EDI_OK;
}

static edi_result json_document(sink *s, const char *raw, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(raw, len, JSON_DECODE_ANY, &err);
    if (!j) {
        s->t->stopped = true;
        snprintf(s->t->stop, sizeof s->t->stop, "line %d, column %d: %s", err.line, err.column,
                 err.text);
        return EDI_OK;
    }
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(j);
    if (!text)
        return EDI_E_NOMEM;
    sink_put(s, text, strlen(text));
    sink_put(s, "\n", 1);
    free(text);
    return EDI_OK;
}

static bool is_xml(mapping_format f)
{
    switch (f) {
    case MAPPING_FORMAT_OPENTRANS_21_ORDER:
    case MAPPING_FORMAT_OPENTRANS_10_ORDER:
    case MAPPING_FORMAT_UBL_INVOICE:
    case MAPPING_FORMAT_UBL_CREDIT_NOTE:
    case MAPPING_FORMAT_CII_INVOICE:
    case MAPPING_FORMAT_CANONICAL_ORDER:
    case MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE:
    case MAPPING_FORMAT_CANONICAL_DESPATCH_ADVICE:
    case MAPPING_FORMAT_CANONICAL_INVOICE:
    case MAPPING_FORMAT_XML_OTHER:
        return true;
    default:
        return false;
    }
}

/* ---- the module's functions --------------------------------------------------------- */

edi_result message_tree_render(const char *raw, size_t len, const message_tree_options *o,
                               message_tree *out, char *why, size_t why_n)
{
    if (!out)
        return EDI_E_ARG;
    memset(out, 0, sizeof *out);
    if (!raw && len) {
        edi_say(why, why_n, "no bytes given");
        return EDI_E_ARG;
    }
    message_tree_options def = { .max_bytes = MESSAGE_TREE_DEFAULT_MAX };
    if (!o)
        o = &def;
    char what[512] = "";
    out->format = o->format != MAPPING_FORMAT_UNKNOWN ? o->format
                                                      : mapping_detect(raw, len, what, sizeof what);
    sink s = { .t = out, .max = o->max_bytes };
    edi_result r;
    if (out->format == MAPPING_FORMAT_EDIFACT) {
        edi_reader_options opt = {
            .directory = o->directory,
            .charset_override = o->charset_override && o->charset_override[0]
                                    ? o->charset_override : NULL,
            .max_findings_per_message = TREE_FINDINGS_PER_MESSAGE,
        };
        if (o->style == MESSAGE_TREE_XML && o->max_bytes && len > MESSAGE_TREE_EDIFACT_XML_MAX) {
            edi_say(why, why_n, "the interchange has %zu bytes, more than the %zu MiB whose "
                    "EDIFACT-XML is built for a shortened tree (a message's tree takes about 75 "
                    "times its size); the segment listing shows it, or ask for all of it", len,
                    MESSAGE_TREE_EDIFACT_XML_MAX >> 20);
            return EDI_E_LIMIT;
        }
        r = o->style == MESSAGE_TREE_XML ? edifact_xml(&s, raw, len, &opt, why, why_n)
                                         : edifact_segments(&s, raw, len, &opt);
    } else if (is_xml(out->format) || out->format == MAPPING_FORMAT_JSON) {
        if (o->max_bytes && len > MESSAGE_TREE_PARSE_MAX) {
            edi_say(why, why_n, "the document has %zu bytes, more than the %zu MiB parsed for a "
                    "shortened tree; ask for all of it to parse it whole", len,
                    MESSAGE_TREE_PARSE_MAX >> 20);
            return EDI_E_LIMIT;
        }
        r = out->format == MAPPING_FORMAT_JSON ? json_document(&s, raw, len)
                                               : xml_document(&s, raw, len);
    } else {
        edi_say(why, why_n, "%s", what[0] ? what : "the content is not a format the gateway reads");
        return EDI_E_ARG;
    }
    if (r == EDI_OK)
        r = sink_finish(&s);
    if (r == EDI_E_NOMEM)
        edi_say(why, why_n, "out of memory rendering the tree");
    return r;
}

void message_tree_free(message_tree *t)
{
    if (t) {
        edi_buf_free(&t->text);
        edi_buf_free(&t->findings);
    }
}

bool message_tree_style_parse(const char *name, message_tree_style *style)
{
    if (!strcmp(name, "segments"))
        *style = MESSAGE_TREE_SEGMENTS;
    else if (!strcmp(name, "xml"))
        *style = MESSAGE_TREE_XML;
    else
        return false;
    return true;
}

/* Building: a reader handler appends one element per segment to the open interchange,
 * group, message or segment group; the validator's placement says which groups close and
 * open before a segment. Streaming: the same builder, writing and freeing each node of
 * the tree as soon as it is complete. Serializing: a walk over the tree with one
 * edi_writer per interchange, so that each interchange can keep its own separators and
 * character set.
 * Parsing: libxml2 with a DOCTYPE refused as soon as it starts, so no DTD or entity is
 * ever read. */
#include "edi_xml.h"

#include "edi_buf.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

/* ==== building the tree ========================================================== */

typedef struct {
    const edi_reader_options *opt;
    edi_findings *f;
    xmlDocPtr doc;
    xmlNsPtr ns;
    xmlNodePtr root, ic, group, msg;
    bool ic_described;               /* interchange_begin has given ic its attributes */
    /* Open segment groups of the message, outermost first. */
    xmlNodePtr groups[EDI_DIRECTORY_MAX_DEPTH];
    unsigned depth;
    unsigned messages;               /* messages of the current interchange */
    const edi_message_def *service;  /* service segment definitions, or NULL */
    edi_charset *fallback;           /* UTF-8, for interchanges whose charset is unknown */
    edi_buf raw, utf8, xml;
    bool nomem;
    /* Streaming (edi_xml_stream_fd) only, else NULL: where complete nodes are written
     * before they are freed; libxml2's serializer for them, writing into `text`; the
     * containers whose start tag is written, by level (<edifact>, <interchange>, <group>). */
    FILE *out;
    xmlSaveCtxtPtr save;
    xmlBufferPtr text;
    xmlNodePtr started[3];
} builder;

static bool stream_flush(builder *b);

static xmlNodePtr add_element(builder *b, xmlNodePtr parent, const char *name)
{
    xmlNodePtr n = xmlNewDocNode(b->doc, b->ns, BAD_CAST name, NULL);
    if (!n || !xmlAddChild(parent, n)) {
        xmlFreeNode(n);
        b->nomem = true;
        return NULL;
    }
    return n;
}

/* A text node holding `len` bytes of `text`. Most EDIFACT values are short: up to 15
 * bytes are kept inside the node, in its unused `properties` and `nsDef` fields, as
 * libxml2's own parser does with XML_PARSE_COMPACT (libxml2 knows such a node when it
 * copies, changes or frees it); that saves an allocation per value, a fifth of the tree. */
static xmlNodePtr new_text(builder *b, const char *text, size_t len)
{
    enum { INLINE_MAX = 2 * sizeof(void *) - 1 };
    if (len > INLINE_MAX)
        return xmlNewDocTextLen(b->doc, BAD_CAST text, (int)len);
    xmlNodePtr t = xmlNewDocTextLen(b->doc, NULL, 0);
    if (t) {
        char *slot = (char *)t + offsetof(xmlNode, properties);
        memcpy(slot, text, len);
        slot[len] = '\0';
        t->content = BAD_CAST slot;
    }
    return t;
}

static bool add_text(builder *b, xmlNodePtr parent, const char *text, size_t len)
{
    if (!len)
        return true;
    xmlNodePtr t = new_text(b, text, len);
    if (!t || !xmlAddChild(parent, t)) {
        xmlFreeNode(t);
        b->nomem = true;
        return false;
    }
    return true;
}

static bool add_attr(builder *b, xmlNodePtr n, const char *name, const char *value)
{
    xmlAttrPtr a = xmlNewProp(n, BAD_CAST name, NULL);
    xmlNodePtr t = a ? new_text(b, value, strlen(value)) : NULL;
    if (!t) {
        b->nomem = true;
        return false;
    }
    t->parent = (xmlNodePtr)a;
    a->children = a->last = t;
    return true;
}

/* Written by hand: three of these per segment, and snprintf was a tenth of the tree. */
static bool add_attr_uint(builder *b, xmlNodePtr n, const char *name, unsigned long long v)
{
    char num[24];
    char *p = num + sizeof num - 1;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return add_attr(b, n, name, p);
}

/* XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000 up. */
static bool xml_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == 0x09 || cp == 0x0A || cp == 0x0D;
    return cp < 0xD800 || (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
}

#define NO_BAD_CHAR UINT32_MAX

/* Decode `len` bytes in the interchange's character set to UTF-8 that XML can hold, in
 * b->xml (NUL-terminated). Characters XML 1.0 has no place for become U+FFFD; the first
 * goes to *bad (NO_BAD_CHAR when there was none). False on out of memory. */
static bool decode(builder *b, const edi_interchange_info *ic, const char *in, size_t len,
                   size_t *out_len, uint32_t *bad)
{
    *bad = NO_BAD_CHAR;
    const edi_charset *cs = ic && ic->charset ? ic->charset : b->fallback;
    if (!cs) {
        if (edi_charset_open("UNOY", NULL, &b->fallback, NULL, 0) != EDI_OK) {
            b->nomem = true;
            return false;
        }
        cs = b->fallback;
    }
    size_t max = EDI_CHARSET_TO_UTF8_MAX(len);
    if (!edi_buf_grow(&b->utf8, max + 1) || !edi_buf_grow(&b->xml, max * 3 + 1)) {
        b->nomem = true;
        return false;
    }
    size_t n = edi_charset_to_utf8(cs, in, len, b->utf8.p, max, NULL);
    const unsigned char *u = (const unsigned char *)b->utf8.p;
    char *o = b->xml.p;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        /* to_utf8 writes valid UTF-8 only, so the lead byte gives the length. */
        unsigned w = u[i] < 0x80 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
        if (i + w > n)
            w = (unsigned)(n - i);
        uint32_t cp = w == 1 ? u[i]
                    : w == 2 ? ((uint32_t)(u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F)
                    : w == 3 ? ((uint32_t)(u[i] & 0x0F) << 12) | ((uint32_t)(u[i + 1] & 0x3F) << 6) |
                                   (u[i + 2] & 0x3F)
                             : ((uint32_t)(u[i] & 0x07) << 18) | ((uint32_t)(u[i + 1] & 0x3F) << 12) |
                                   ((uint32_t)(u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
        if (xml_char(cp)) {
            memcpy(o + k, u + i, w);
            k += w;
        } else {
            if (*bad == NO_BAD_CHAR)
                *bad = cp;
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
        }
        i += w;
    }
    o[k] = '\0';
    *out_len = k;
    return true;
}

/* The attribute value of an envelope field (raw bytes, NUL-terminated). */
static bool add_value_attr(builder *b, const edi_interchange_info *ic, xmlNodePtr n,
                           const char *name, const char *raw)
{
    size_t len;
    uint32_t bad;
    if (!decode(b, ic, raw, strlen(raw), &len, &bad))
        return false;
    return add_attr(b, n, name, b->xml.p);
}

/* The raw bytes of a component with release characters removed, in b->raw. */
static bool component_bytes(builder *b, const edi_segment *seg, const edi_component *c, size_t *len)
{
    if (!edi_buf_grow(&b->raw, (size_t)c->len + 1)) {
        b->nomem = true;
        return false;
    }
    *len = edi_component_copy(seg, c, b->raw.p);
    return true;
}

static bool component_empty(builder *b, const edi_segment *seg, const edi_component *c)
{
    size_t len = 0;
    if (!c->len)
        return true;
    if (!c->escaped)
        return false;
    return component_bytes(b, seg, c, &len) && len == 0;
}

static void report_bad_char(builder *b, const edi_position *at, unsigned element,
                            unsigned component, uint32_t bad)
{
    edi_findings_add(b->f, at, EDI_LEVEL_ELEMENT, EDI_SEV_WARNING, EDI_SE_INVALID_CHARACTERS,
                     element, component,
                     "the character U+%04X cannot be stored in EDIFACT-XML (XML 1.0 has no "
                     "place for it); it was replaced by U+FFFD",
                     (unsigned)bad);
}

/* Add the decoded value of component c as the text of n. */
static bool add_component_text(builder *b, const edi_interchange_info *ic, const edi_segment *seg,
                               const edi_position *at, const edi_component *c, xmlNodePtr n,
                               unsigned element, unsigned component)
{
    size_t raw_len, len;
    uint32_t bad;
    if (!component_bytes(b, seg, c, &raw_len) || !decode(b, ic, b->raw.p, raw_len, &len, &bad))
        return false;
    if (bad != NO_BAD_CHAR)
        report_bad_char(b, at, element, component, bad);
    return add_text(b, n, b->xml.p, len);
}

/* `prefix` and `id` into `out` (n bytes), cut to fit: what snprintf "%s%s" writes. */
static void prefixed(char *out, size_t n, const char *prefix, const char *id)
{
    size_t k = 0;
    for (const char *p = prefix; *p && k + 1 < n; p++)
        out[k++] = *p;
    for (const char *p = id; *p && k + 1 < n; p++)
        out[k++] = *p;
    out[k] = '\0';
}

/* Data elements become children named from the definition (C002, D1004, components
 * D1001) or by position (E3, C2); trailing empty elements and components are left out,
 * inner empty ones stay as empty elements. */
static bool add_data_elements(builder *b, const edi_interchange_info *ic, const edi_segment *seg,
                              const edi_position *at, const edi_segment_def *def, xmlNodePtr sn)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < seg->n_elements; i++) {
        const edi_element *e = &seg->elements[i];
        for (uint32_t k = 0; k < e->count; k++)
            if (!component_empty(b, seg, &seg->components[e->first + k]))
                used = i + 1;
    }
    for (uint32_t i = 0; i < used && !b->nomem; i++) {
        const edi_element *e = &seg->elements[i];
        const edi_element_def *ed =
            def && e->position >= 1 && e->position <= def->n_elements ? &def->elements[e->position - 1] : NULL;
        uint32_t ncomp = 0;
        for (uint32_t k = 0; k < e->count; k++)
            if (!component_empty(b, seg, &seg->components[e->first + k]))
                ncomp = k + 1;
        char name[16];
        if (ed && ed->composite)
            prefixed(name, sizeof name, "", ed->id);
        else if (ed)
            prefixed(name, sizeof name, "D", ed->id);
        else
            snprintf(name, sizeof name, "E%u", (unsigned)e->position);
        xmlNodePtr en = add_element(b, sn, name);
        if (!en || (e->repeat && !add_attr(b, en, "repeat", "1")))
            return false;
        bool composite = (ed && ed->composite) || ncomp > 1;
        if (!composite) {
            if (ncomp && !add_component_text(b, ic, seg, at, &seg->components[e->first], en, e->position, 1))
                return false;
            continue;
        }
        for (uint32_t k = 0; k < ncomp; k++) {
            if (ed && ed->composite && k < ed->n_values)
                prefixed(name, sizeof name, "D", ed->values[k].id);
            else
                snprintf(name, sizeof name, "C%u", (unsigned)(k + 1));
            xmlNodePtr cn = add_element(b, en, name);
            if (!cn || !add_component_text(b, ic, seg, at, &seg->components[e->first + k], cn,
                                           e->position, k + 1))
                return false;
        }
    }
    return !b->nomem;
}

static void segment_value_attr(builder *b, const edi_interchange_info *ic, const edi_segment *seg,
                               xmlNodePtr n, const char *name, uint32_t el, uint32_t comp)
{
    const edi_component *c = edi_segment_component(seg, el, comp);
    size_t raw_len, len;
    uint32_t bad;
    if (!c)
        return;
    if (component_bytes(b, seg, c, &raw_len) && decode(b, ic, b->raw.p, raw_len, &len, &bad))
        add_attr(b, n, name, b->xml.p);
}

/* The <interchange> element's attributes, and the service segment definitions. */
static bool describe_interchange(builder *b, xmlNodePtr n, const edi_interchange_info *ic)
{
    b->service = NULL;
    if (b->opt && b->opt->directory) {
        int v = ic->syntax_version ? ic->syntax_version : 3;
        if (edi_directory_service(b->opt->directory, v, &b->service, NULL, 0) != EDI_OK)
            b->service = NULL;
    }
    add_attr_uint(b, n, "index", ic->index);
    const edi_service_chars *sc = &ic->sc;
    char una[7] = { sc->component, sc->element, sc->decimal, sc->release ? sc->release : ' ',
                    sc->repetition_active && sc->repetition ? sc->repetition : ' ', sc->terminator, 0 };
    bool printable = true;
    for (int i = 0; i < 6; i++)
        if ((unsigned char)una[i] < 0x20 || (unsigned char)una[i] >= 0x7F)
            printable = false;
    if (printable) {
        add_attr(b, n, "una", una);
    } else {
        edi_position at = { .interchange = ic->index };
        edi_findings_add(b->f, &at, EDI_LEVEL_INTERCHANGE, EDI_SEV_WARNING, EDI_SE_INVALID_SERVICE_CHAR, 0, 0,
                         "the interchange's service characters are control characters, which "
                         "EDIFACT-XML cannot hold; the tree has no una attribute");
    }
    if (ic->has_unb) {
        add_value_attr(b, ic, n, "syntax", ic->syntax_id);
        if (ic->syntax_version)
            add_attr_uint(b, n, "version", (unsigned)ic->syntax_version);
        add_value_attr(b, ic, n, "control-ref", ic->control_ref);
        add_value_attr(b, ic, n, "sender", ic->sender);
        add_value_attr(b, ic, n, "recipient", ic->recipient);
        add_attr(b, n, "test", ic->test ? "1" : "0");
        add_attr(b, n, "ack-requested", ic->ack_requested ? "1" : "0");
    }
    return !b->nomem;
}

static xmlNodePtr open_interchange(builder *b)
{
    xmlNodePtr n = add_element(b, b->root, "interchange");
    b->ic = n;
    b->group = b->msg = NULL;
    b->depth = 0;
    b->messages = 0;
    b->service = NULL;
    b->ic_described = false;
    return n;
}

static int on_interchange_begin(void *ctx, const edi_interchange_info *ic)
{
    builder *b = ctx;
    /* Segments that came before the interchange's UNB or UNH (after a UNA) are already in
     * an <interchange>: it is this one. */
    if (!(b->ic && !b->ic_described) && !open_interchange(b))
        return EDI_E_NOMEM;
    b->ic_described = true;
    return describe_interchange(b, b->ic, ic) ? 0 : EDI_E_NOMEM;
}

static int on_interchange_end(void *ctx, const edi_interchange_info *ic)
{
    builder *b = ctx;
    (void)ic;
    b->ic = b->group = b->msg = NULL;
    b->depth = 0;
    return stream_flush(b) ? 0 : EDI_E_IO;
}

static int on_message_end(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    builder *b = ctx;
    (void)ic;
    if (b->msg && m->def && m->def->directory[0])
        add_attr(b, b->msg, "directory", m->def->directory);
    b->msg = NULL;
    b->depth = 0;
    if (b->nomem)
        return EDI_E_NOMEM;
    return stream_flush(b) ? 0 : EDI_E_IO;
}

/* Close and open segment groups as the validator placed the segment; returns the element
 * the segment goes into. */
static xmlNodePtr place(builder *b, const edi_placement *pl)
{
    if (pl) {
        for (unsigned i = 0; i < pl->closed && b->depth > 0; i++)
            b->depth--;
        if (pl->opened && b->depth < EDI_DIRECTORY_MAX_DEPTH) {
            xmlNodePtr parent = b->depth ? b->groups[b->depth - 1] : b->msg;
            xmlNodePtr g = add_element(b, parent, pl->opened->name);
            if (!g)
                return NULL;
            b->groups[b->depth++] = g;
        }
    }
    return b->depth ? b->groups[b->depth - 1] : b->msg;
}

static bool valid_tag(const char *p)
{
    return p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' && p[2] >= 'A' && p[2] <= 'Z';
}

static int on_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                      const edi_position *at, const edi_placement *pl)
{
    builder *b = ctx;
    const char *tag = seg->tag;
    const edi_segment_def *def = NULL;
    xmlNodePtr parent;

    if (!b->ic && !open_interchange(b))
        return EDI_E_NOMEM;
    bool service = tag[0] == 'U' && tag[1] == 'N';
    if (service && b->service)
        def = edi_message_def_segment(b->service, tag);

    if (!strcmp(tag, "UNG")) {
        b->group = add_element(b, b->ic, "group");
        if (!b->group)
            return EDI_E_NOMEM;
        segment_value_attr(b, ic, seg, b->group, "ref", 5, 1);
        parent = b->group;
    } else if (!strcmp(tag, "UNH")) {
        b->msg = add_element(b, b->group ? b->group : b->ic, "message");
        if (!b->msg)
            return EDI_E_NOMEM;
        b->depth = 0;
        add_attr_uint(b, b->msg, "index", ++b->messages);
        static const char *const names[] = { "type", "version", "release", "agency", "association" };
        segment_value_attr(b, ic, seg, b->msg, "ref", 1, 1);
        for (uint32_t k = 0; k < 5; k++)
            segment_value_attr(b, ic, seg, b->msg, names[k], 2, k + 1);
        parent = b->msg;
    } else if (b->msg && !strcmp(tag, "UNT")) {
        b->depth = 0;
        parent = b->msg;
    } else if (b->msg) {
        parent = place(b, pl);
        if (pl)
            def = pl->def;
    } else if (!strcmp(tag, "UNZ")) {
        b->group = NULL;
        parent = b->ic;
    } else {
        parent = b->group ? b->group : b->ic;
    }
    if (!parent)
        return EDI_E_NOMEM;

    /* The tokenizer leaves the tag empty when a line break splits it (hard-wrapped files);
     * without the line break it may still be a tag. */
    char name[4];
    memcpy(name, tag, 4);
    size_t raw_len = 0;
    if (!tag[0] && !component_bytes(b, seg, &seg->tag_raw, &raw_len))
        return EDI_E_NOMEM;
    if (!tag[0] && raw_len == 3 && valid_tag(b->raw.p)) {
        memcpy(name, b->raw.p, 3);
        name[3] = '\0';
    }
    xmlNodePtr sn = add_element(b, parent, name[0] ? name : "segment");
    if (!sn)
        return EDI_E_NOMEM;
    if (!name[0]) {
        size_t len;
        uint32_t bad;
        if (decode(b, ic, b->raw.p, raw_len, &len, &bad))
            add_attr(b, sn, "tag", b->xml.p);
    }
    add_attr_uint(b, sn, "seg", at->segment);
    add_attr_uint(b, sn, "offset", seg->offset);
    add_attr_uint(b, sn, "line", seg->line);
    if (!add_data_elements(b, ic, seg, at, def, sn))
        return EDI_E_NOMEM;
    if (!strcmp(tag, "UNE"))
        b->group = NULL;
    if (b->nomem)
        return EDI_E_NOMEM;
    /* Outside a message the segment is complete: streaming need not keep it. */
    return b->msg || stream_flush(b) ? 0 : EDI_E_IO;
}

/* A builder with an empty <edifact> document. */
static edi_result builder_open(builder *b, const edi_reader_options *opt, edi_findings *f)
{
    memset(b, 0, sizeof *b);
    b->opt = opt;
    b->f = f;
    b->doc = xmlNewDoc(BAD_CAST "1.0");
    if (!b->doc)
        return EDI_E_NOMEM;
    /* Element and attribute names are few: interned once instead of copied per node
     * (the document frees the dictionary). */
    b->doc->dict = xmlDictCreate();
    if (!b->doc->dict) {
        xmlFreeDoc(b->doc);
        return EDI_E_NOMEM;
    }
    b->root = xmlNewDocNode(b->doc, NULL, BAD_CAST "edifact", NULL);
    if (!b->root) {
        xmlFreeDoc(b->doc);
        return EDI_E_NOMEM;
    }
    xmlDocSetRootElement(b->doc, b->root);
    b->ns = xmlNewNs(b->root, BAD_CAST EDI_XML_NS, NULL);
    if (!b->ns) {
        xmlFreeDoc(b->doc);
        return EDI_E_NOMEM;
    }
    xmlSetNs(b->root, b->ns);
    return EDI_OK;
}

/* Read the input into b->doc (which the caller frees, also on error); EDI_E_NOMEM when
 * the tree could not be built completely. */
static edi_result builder_run(builder *b, int fd, const char *buf, size_t len, bool from_fd)
{
    edi_reader_handler h = {
        .ctx = b,
        .interchange_begin = on_interchange_begin,
        .segment = on_segment,
        .message_end = on_message_end,
        .interchange_end = on_interchange_end,
    };
    edi_result r = from_fd ? edi_reader_run_fd(fd, b->opt, &h, b->f)
                           : edi_reader_run_mem(buf, len, b->opt, &h, b->f);
    edi_charset_free(b->fallback);
    edi_buf_free(&b->raw);
    edi_buf_free(&b->utf8);
    edi_buf_free(&b->xml);
    return b->nomem ? EDI_E_NOMEM : r;
}

static edi_result build(int fd, const char *buf, size_t len, bool from_fd,
                        const edi_reader_options *opt, xmlDocPtr *out, edi_findings *f)
{
    if (!out)
        return EDI_E_ARG;
    *out = NULL;
    if (!f)
        return EDI_E_ARG;
    builder b;
    edi_result r = builder_open(&b, opt, f);
    if (r != EDI_OK)
        return r;
    r = builder_run(&b, fd, buf, len, from_fd);
    if (r == EDI_E_NOMEM) {
        xmlFreeDoc(b.doc);
        return EDI_E_NOMEM;
    }
    *out = b.doc;
    return r;
}

edi_result edi_xml_read_fd(int fd, const edi_reader_options *opt, xmlDocPtr *out, edi_findings *f)
{
    return build(fd, NULL, 0, true, opt, out, f);
}

edi_result edi_xml_read_mem(const char *buf, size_t len, const edi_reader_options *opt,
                            xmlDocPtr *out, edi_findings *f)
{
    return build(-1, buf, len, false, opt, out, f);
}

/* ==== streaming the tree ========================================================== */

/* The text is what xmlDocFormatDump(out, doc, 1) writes for the whole tree. libxml2
 * indents the children of an element whose children are all elements: its start tag, a
 * line break, each child indented by two blanks per level and followed by a line break,
 * and the end tag indented at the element's level. Other elements (values, empty ones)
 * are written as they are at any level. So the elements that indent their children are
 * written here, start and end tag apart, and libxml2 writes the tags and every other
 * element: a save context without encoding, which escapes text as xmlDocFormatDump does
 * for a document without encoding (xmlNodeDumpOutput would not: it writes UTF-8). */

/* libxml2 stops indenting deeper at level 30; the tree is never that deep. */
_Static_assert(EDI_DIRECTORY_MAX_DEPTH + 7 < 30, "EDIFACT-XML levels stay below libxml2's indentation limit");

static void put(builder *b, const char *p, size_t len)
{
    fwrite(p, 1, len, b->out);
}

static void put_indent(builder *b, int level)
{
    for (int i = 0; i < level; i++)
        put(b, "  ", 2);
}

/* libxml2's text of n; *len receives its length. NULL when memory ran out. */
static const char *serialize(builder *b, xmlNodePtr n, size_t *len)
{
    xmlBufferEmpty(b->text);
    xmlSaveTree(b->save, n);
    if (xmlSaveFlush(b->save) < 0) {
        b->nomem = true;
        return NULL;
    }
    *len = (size_t)xmlBufferLength(b->text);
    return (const char *)xmlBufferContent(b->text);
}

static bool indents_children(xmlNodePtr n)
{
    if (!n->children)
        return false;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE || c->type == XML_ENTITY_REF_NODE)
            return false;
    return true;
}

/* The start tag as libxml2 writes it: the element without its children is
 * "<name attributes/>", which becomes "<name attributes>". */
static bool put_start_tag(builder *b, xmlNodePtr n, int level)
{
    xmlNodePtr first = n->children, last = n->last;
    n->children = n->last = NULL;
    size_t len = 0;
    const char *p = serialize(b, n, &len);
    n->children = first;
    n->last = last;
    if (!p || len < 2 || p[len - 2] != '/' || p[len - 1] != '>') {
        b->nomem = true;
        return false;
    }
    put_indent(b, level);
    put(b, p, len - 2);
    put(b, ">\n", 2);
    return true;
}

static void put_end_tag(builder *b, xmlNodePtr n, int level)
{
    put_indent(b, level);
    put(b, "</", 2);
    if (n->ns && n->ns->prefix) {
        put(b, (const char *)n->ns->prefix, strlen((const char *)n->ns->prefix));
        put(b, ":", 1);
    }
    put(b, (const char *)n->name, strlen((const char *)n->name));
    put(b, ">", 1);
}

/* A complete element at `level`, without the line break after it. */
static bool put_tree(builder *b, xmlNodePtr n, int level)
{
    if (!indents_children(n)) {
        size_t len = 0;
        const char *p = serialize(b, n, &len);
        if (!p)
            return false;
        put_indent(b, level);
        put(b, p, len);
        return true;
    }
    if (!put_start_tag(b, n, level))
        return false;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (!put_tree(b, c, level + 1))
            return false;
        put(b, "\n", 1);
    }
    put_end_tag(b, n, level);
    return true;
}

/* An open container's start tag, once, after its parent's. */
static bool start_container(builder *b, xmlNodePtr n, int level)
{
    if (b->started[level] == n)
        return true;
    if (level > 0 && !start_container(b, n->parent, level - 1))
        return false;
    if (!put_start_tag(b, n, level))
        return false;
    b->started[level] = n;
    return true;
}

/* Write and free the children of n (at `level`) that are complete, in order, down to the
 * node still being built: the open interchange or group (its own complete children are
 * written) or the open message (kept whole until message_end). */
static bool flush_children(builder *b, xmlNodePtr n, int level)
{
    xmlNodePtr c = n->children;
    while (c) {
        if (c == b->msg)
            return true;
        if (c == b->ic || c == b->group)
            return flush_children(b, c, level + 1);
        if (!start_container(b, n, level))
            return false;
        if (level + 1 < 3 && b->started[level + 1] == c) {
            if (!flush_children(b, c, level + 1))
                return false;
            put_end_tag(b, c, level + 1);
            b->started[level + 1] = NULL;
        } else if (!put_tree(b, c, level + 1)) {
            return false;
        }
        put(b, "\n", 1);
        xmlNodePtr next = c->next;
        xmlUnlinkNode(c);
        xmlFreeNode(c);
        c = next;
    }
    return true;
}

/* Called whenever nodes may have become complete. False when writing failed or memory
 * ran out (b->nomem). */
static bool stream_flush(builder *b)
{
    if (!b->out)
        return true;
    /* interchange_begin has not yet given the open interchange its attributes. */
    if (b->ic && !b->ic_described)
        return true;
    return flush_children(b, b->root, 0) && !ferror(b->out);
}

edi_result edi_xml_stream_fd(int fd, const edi_reader_options *opt, FILE *out, edi_findings *f)
{
    if (!out || !f)
        return EDI_E_ARG;
    builder b;
    edi_result r = builder_open(&b, opt, f);
    if (r != EDI_OK)
        return r;
    b.out = out;
    b.text = xmlBufferCreate();
    b.save = b.text ? xmlSaveToBuffer(b.text, NULL, XML_SAVE_FORMAT | XML_SAVE_NO_DECL) : NULL;
    if (!b.save) {
        xmlBufferFree(b.text);
        xmlFreeDoc(b.doc);
        return EDI_E_NOMEM;
    }
    put(&b, "<?xml version=\"1.0\"?>\n", 22);
    r = builder_run(&b, fd, NULL, 0, true);
    if (r != EDI_E_NOMEM && !ferror(out)) {
        /* The end of the input completes whatever is still open. */
        b.ic = b.group = b.msg = NULL;
        bool ok = b.started[0] ? flush_children(&b, b.root, 0) : put_tree(&b, b.root, 0);
        if (ok && b.started[0])
            put_end_tag(&b, b.root, 0);
        put(&b, "\n", 1);
        if (!ok)
            r = EDI_E_NOMEM;
    }
    xmlSaveClose(b.save);
    xmlBufferFree(b.text);
    xmlFreeDoc(b.doc);
    bool write_failed = fflush(out) != 0 || ferror(out);
    if (r == EDI_E_NOMEM)
        return r;
    return write_failed ? EDI_E_IO : r;
}

/* ==== parsing EDIFACT-XML ========================================================= */

typedef struct {
    bool doctype;
} parse_guard;

/* Called by libxml2 when <!DOCTYPE starts, before any declaration in it is read. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    ((parse_guard *)ctxt->_private)->doctype = true;
    xmlStopParser(ctxt);
}

edi_result edi_xml_parse_mem(const char *buf, size_t len, xmlDocPtr *out, char *why, size_t why_n)
{
    if (!out || (!buf && len))
        return EDI_E_ARG;
    *out = NULL;
    if (len > EDI_XML_MAX_BYTES) {
        edi_say(why, why_n, "the EDIFACT-XML document has %zu bytes; at most %zu are accepted", len,
            EDI_XML_MAX_BYTES);
        return EDI_E_LIMIT;
    }
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt || !ctxt->sax) {
        xmlFreeParserCtxt(ctxt);
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    parse_guard guard = { false };
    ctxt->_private = &guard;
    ctxt->sax->internalSubset = refuse_doctype;
    /* No XML_PARSE_NOENT, DTDLOAD, DTDATTR or XINCLUDE: nothing outside the buffer is read. */
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                  XML_PARSE_BIG_LINES;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf ? buf : "", (int)len, NULL, NULL, options);
    edi_result r = EDI_OK;
    if (guard.doctype) {
        edi_say(why, why_n, "line %d: the document has a DOCTYPE; EDIFACT-XML has none, and DTDs are "
            "not read for safety", ctxt->input ? ctxt->input->line : 0);
        r = EDI_E_XML;
    } else if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        if (e && e->code == XML_ERR_NO_MEMORY) {
            edi_say(why, why_n, "out of memory");
            r = EDI_E_NOMEM;
        } else if (e && e->code == XML_ERR_INTERNAL_ERROR && e->message &&
                   strstr(e->message, "depth")) {
            /* libxml2's own text suggests XML_PARSE_HUGE, an option no user can set here. */
            edi_say(why, why_n, "line %d: the elements are nested more than 256 levels deep; no "
                "business document is, so it is refused", e->line);
            r = EDI_E_LIMIT;
        } else {
            char msg[200] = "not well-formed";
            if (e && e->message) {
                snprintf(msg, sizeof msg, "%s", e->message);
                size_t n = strlen(msg);
                while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                    msg[--n] = '\0';
            }
            edi_say(why, why_n, "line %d: the document is not well-formed XML: %s", e ? e->line : 0, msg);
            r = EDI_E_XML;
        }
    }
    xmlFreeParserCtxt(ctxt);
    if (r != EDI_OK) {
        xmlFreeDoc(doc);
        return r;
    }
    *out = doc;
    return EDI_OK;
}

edi_result edi_xml_parse_file(const char *path, xmlDocPtr *out, char *why, size_t why_n)
{
    if (!path || !out)
        return EDI_E_ARG;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        edi_say(why, why_n, "cannot open it: %s", strerror(errno));
        return EDI_E_IO;
    }
    edi_buf s = { 0 };
    edi_result r = edi_buf_read_fd(&s, fd, EDI_XML_MAX_BYTES);
    if (r == EDI_E_LIMIT)
        edi_say(why, why_n, "the file is larger than %zu bytes, the most accepted for EDIFACT-XML",
                EDI_XML_MAX_BYTES);
    else if (r == EDI_E_IO)
        edi_say(why, why_n, "cannot read it: %s", strerror(errno));
    else if (r == EDI_E_NOMEM)
        edi_say(why, why_n, "out of memory");
    close(fd);
    if (r == EDI_OK)
        r = edi_xml_parse_mem(s.p, s.len, out, why, why_n);
    edi_buf_free(&s);
    return r;
}

/* ==== serializing ================================================================= */

typedef struct {
    edi_writer *w;              /* the current interchange's */
    const char *set_charset;    /* UNB 0001 as written, or NULL: as in the tree */
    char charset_id[17];        /* the storage of set_charset */
    int set_version;            /* UNB 0002 as written */
    bool convert_date;          /* the caller changes the syntax version: convert UNB 0017 */
    bool previous_unterminated; /* the interchange written before had no UNZ */
    int version;                /* the syntax version being written */
    bool repetitions;           /* ... and whether it has a repetition separator */
    char decimal;               /* the decimal mark being written (UNA position 3) */
    edi_directory *dir;         /* NULL: numbers are written as the tree has them */
    const edi_message_def *msg_def; /* the current message's definition, or NULL */
    edi_buf out;
    size_t out_len;
    char *why;
    size_t why_n;
    char warning[320];
    char path[256];
} serializer;

static bool in_ns(xmlNodePtr n)
{
    return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, EDI_XML_NS);
}

static bool named(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && in_ns(n) && !strcmp((const char *)n->name, name);
}

static bool is_segment_name(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
           s[2] >= 'A' && s[2] <= 'Z';
}

static bool is_group_name(const char *s)
{
    if (s[0] != 'S' || s[1] != 'G' || !s[2])
        return false;
    for (const char *p = s + 2; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static void path_append(char *buf, size_t n, size_t *len, const char *text)
{
    size_t k = strlen(text);
    if (*len + k >= n)
        k = n - 1 - *len;
    memcpy(buf + *len, text, k);
    *len += k;
    buf[*len] = '\0';
}

/* Where a node is, for sentences: `line 12, /edifact/interchange[1]/message[2]/BGM[1]`
 * (the line only when the tree came from a parsed document). */
static const char *where(serializer *s, xmlNodePtr n)
{
    xmlNodePtr chain[32];
    unsigned depth = 0;
    for (xmlNodePtr p = n; p && p->type == XML_ELEMENT_NODE && depth < 32; p = p->parent)
        chain[depth++] = p;
    size_t len = 0;
    s->path[0] = '\0';
    long line = xmlGetLineNo(n);
    if (line > 0) {
        char num[40];
        snprintf(num, sizeof num, "line %ld, ", line);
        path_append(s->path, sizeof s->path, &len, num);
    }
    while (depth--) {
        xmlNodePtr p = chain[depth];
        path_append(s->path, sizeof s->path, &len, "/");
        path_append(s->path, sizeof s->path, &len, (const char *)p->name);
        if (p->parent && p->parent->type == XML_ELEMENT_NODE) {
            unsigned idx = 1;
            for (xmlNodePtr q = p->prev; q; q = q->prev)
                if (q->type == XML_ELEMENT_NODE && !strcmp((const char *)q->name, (const char *)p->name))
                    idx++;
            char num[16];
            snprintf(num, sizeof num, "[%u]", idx);
            path_append(s->path, sizeof s->path, &len, num);
        }
    }
    return s->path;
}

static edi_result bad_tree(serializer *s, xmlNodePtr n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static edi_result bad_tree(serializer *s, xmlNodePtr n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    edi_say(s->why, s->why_n, "%s: %s", where(s, n), msg);
    return EDI_E_XML;
}

/* Comments, processing instructions and blank text between elements carry no data;
 * anything else that is not an element is an error in the caller's eyes. */
static bool ignorable(xmlNodePtr n)
{
    return n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE ||
           ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && xmlIsBlankNode(n));
}

static edi_result check_structure_child(serializer *s, xmlNodePtr parent, xmlNodePtr n)
{
    if (n->type == XML_ELEMENT_NODE && !in_ns(n))
        return bad_tree(s, n, "<%s> is not in the EDIFACT-XML namespace %s", (const char *)n->name,
                        EDI_XML_NS);
    if (n->type != XML_ELEMENT_NODE)
        return bad_tree(s, parent, "<%s> holds text or other content outside its child elements",
                        (const char *)parent->name);
    return EDI_OK;
}

static edi_result writer_error(serializer *s, xmlNodePtr n, edi_result r)
{
    if (r == EDI_E_NOMEM) {
        edi_say(s->why, s->why_n, "out of memory");
        return r;
    }
    /* The writer refuses a value with arguments only when it has no release character for
     * a separator in it, and then says so in its warning. */
    const char *w = r == EDI_E_ARG ? edi_writer_warning(s->w) : NULL;
    return bad_tree(s, n, "cannot be written: %s", w ? w : edi_result_str(r));
}

/* The text of a leaf (simple data element or component). */
static edi_result leaf_text(serializer *s, xmlNodePtr n, xmlChar **text)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return bad_tree(s, c, "<%s> inside a component: components hold text only",
                            (const char *)c->name);
        else if (c->type == XML_ENTITY_REF_NODE)
            return bad_tree(s, n, "entity references are not allowed");
    *text = xmlNodeGetContent(n);
    if (!*text) {
        edi_say(s->why, s->why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* Syntax 1 to 3 accept only the decimal mark in force, so a number whose definition is
 * numeric (n) is written with it: a tree mapped from a document that used the other mark
 * still gives a valid interchange. Syntax 4 accepts both and numbers stay as they are. */
static void decimal_mark_for_writing(const serializer *s, const edi_value_def *vd, char *text)
{
    if (!vd || vd->cls != EDI_CLASS_N || s->version >= 4)
        return;
    /* Only a well-formed number (-digits, one mark, digits) is touched: a bad value stays
     * as it is so that the finding it earns still quotes it. */
    char other = s->decimal == ',' ? '.' : ',';
    char *p = text + (text[0] == '-');
    size_t before = strspn(p, "0123456789");
    if (!before || p[before] != other)
        return;
    size_t after = strspn(p + before + 1, "0123456789");
    if (after && p[before + 1 + after] == '\0')
        p[before] = s->decimal;
}

static edi_result write_component(serializer *s, xmlNodePtr n, const char *override,
                                  const edi_value_def *vd)
{
    edi_result r;
    if (override) {
        r = edi_writer_component(s->w, override, strlen(override));
    } else {
        xmlChar *text = NULL;
        r = leaf_text(s, n, &text);
        if (r != EDI_OK)
            return r;
        decimal_mark_for_writing(s, vd, (char *)text);
        r = edi_writer_component(s->w, (const char *)text, strlen((const char *)text));
        xmlFree(text);
    }
    return r == EDI_OK ? EDI_OK : writer_error(s, n, r);
}

static bool has_element_child(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* An element as the tree has it, except that set[k] (when not NULL) replaces component
 * k + 1; components the tree lacks before a replaced one are empty. `ed` is the
 * element's definition when the directory knows it (for the decimal mark). */
static edi_result write_element(serializer *s, xmlNodePtr e, const char *const *set, unsigned n_set,
                                const edi_element_def *ed)
{
    edi_result r;
    unsigned k = 0;
    if (!has_element_child(e)) {
        const edi_value_def *vd = ed && ed->n_values ? &ed->values[0] : NULL;
        if ((r = write_component(s, e, n_set ? set[0] : NULL, vd)) != EDI_OK)
            return r;
        k = 1;
    } else {
        for (xmlNodePtr c = e->children; c; c = c->next) {
            if (ignorable(c))
                continue;
            if ((r = check_structure_child(s, e, c)) != EDI_OK)
                return r;
            const edi_value_def *vd = ed && k < ed->n_values ? &ed->values[k] : NULL;
            if ((r = write_component(s, c, k < n_set ? set[k] : NULL, vd)) != EDI_OK)
                return r;
            k++;
        }
    }
    for (; k < n_set; k++)
        if ((r = write_component(s, e, set[k] ? set[k] : "", NULL)) != EDI_OK)
            return r;
    return EDI_OK;
}

/* Values the serializer sets itself in element 1: a count (UNT, UNE, UNZ), computed once
 * the segment has begun so that UNT counts itself, or UNB S001 (the character set and
 * version actually written; a NULL entry keeps the tree's component). */
typedef struct {
    unsigned (*count)(const edi_writer *w);
    const char *set[2];
    const char *date;   /* UNB S004 0017 in the form of the version written, or NULL */
} overrides;

static edi_result write_segment(serializer *s, xmlNodePtr seg, const overrides *ov)
{
    const char *tag = (const char *)seg->name;
    edi_result r = edi_writer_begin_segment(s->w, tag);
    if (r != EDI_OK)
        return writer_error(s, seg, r);
    char num[16];
    const char *set[2] = { NULL, NULL };
    unsigned n_set = 0;
    if (ov && ov->count) {
        snprintf(num, sizeof num, "%u", ov->count(s->w));
        set[0] = num;
        n_set = 1;
    } else if (ov) {
        set[0] = ov->set[0];
        set[1] = ov->set[1];
        n_set = set[1] ? 2 : set[0] ? 1 : 0;
    }
    const edi_segment_def *sd = s->msg_def ? edi_message_def_segment(s->msg_def, tag) : NULL;
    unsigned position = 0;
    for (xmlNodePtr e = seg->children; e; e = e->next) {
        if (ignorable(e))
            continue;
        if ((r = check_structure_child(s, seg, e)) != EDI_OK)
            return r;
        xmlChar *rep = xmlGetProp(e, BAD_CAST "repeat");
        bool repeat = rep && !strcmp((const char *)rep, "1");
        bool bad_repeat = rep && !repeat && strcmp((const char *)rep, "0") != 0;
        xmlFree(rep);
        if (bad_repeat)
            return bad_tree(s, e, "the repeat attribute is \"1\" for a repetition, or absent");
        if (repeat && position == 0)
            return bad_tree(s, e, "the first data element of a segment cannot be a repetition");
        if (repeat && !s->repetitions)
            return bad_tree(s, e, "repetitions (repeat=\"1\") need syntax version 4 and a repetition "
                            "separator; this interchange is written in version %d%s", s->version,
                            s->version >= 4 ? " without one" : "");
        if ((r = edi_writer_element(s->w, repeat)) != EDI_OK)
            return writer_error(s, e, r);
        if (!repeat)
            position++;
        bool first = position == 1 && !repeat;
        bool date = ov && ov->date && position == 4 && !repeat;
        const edi_element_def *ed = sd && position <= sd->n_elements ? &sd->elements[position - 1] : NULL;
        if (date)
            r = write_element(s, e, &ov->date, 1, NULL);
        else
            r = write_element(s, e, first ? set : NULL, first ? n_set : 0, ed);
        if (r != EDI_OK)
            return r;
    }
    if (position == 0 && n_set) {
        if ((r = edi_writer_element(s->w, false)) != EDI_OK)
            return writer_error(s, seg, r);
        for (unsigned k = 0; k < n_set; k++)
            if ((r = write_component(s, seg, set[k] ? set[k] : "", NULL)) != EDI_OK)
                return r;
    }
    r = edi_writer_end_segment(s->w);
    return r == EDI_OK ? EDI_OK : writer_error(s, seg, r);
}

/* Syntax 4 writes the interchange date as CCYYMMDD, 1 to 3 as YYMMDD: when the caller
 * asks for a version on the other side of that line than the tree's, the date is converted (YY below 70 is 20YY, as the
 * date windows of EDI translators do). NULL when the date needs no change. */
static const char *unb_date_for_version(xmlNodePtr unb, int version, char *buf, size_t n)
{
    xmlNodePtr el = unb->children;
    unsigned pos = 0;
    for (; el; el = el->next) {
        if (el->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *rep = xmlGetProp(el, BAD_CAST "repeat");
        bool repeat = rep && !strcmp((const char *)rep, "1");
        xmlFree(rep);
        if (!repeat && ++pos == 4)
            break;
    }
    if (!el)
        return NULL;
    xmlNodePtr c = el->children;
    while (c && c->type != XML_ELEMENT_NODE)
        c = c->next;
    xmlChar *v = xmlNodeGetContent(c ? c : el);
    const char *d = v ? (const char *)v : "";
    size_t len = strlen(d);
    bool digits = len > 0 && strspn(d, "0123456789") == len;
    const char *result = NULL;
    if (digits && version >= 4 && len == 6) {
        snprintf(buf, n, "%s%s", (d[0] - '0') * 10 + (d[1] - '0') < 70 ? "20" : "19", d);
        result = buf;
    } else if (digits && version < 4 && len == 8) {
        snprintf(buf, n, "%s", d + 2);
        result = buf;
    }
    xmlFree(v);
    return result;
}

static edi_result write_counted(serializer *s, xmlNodePtr seg, unsigned (*count)(const edi_writer *))
{
    overrides ov = { count, { NULL, NULL }, NULL };
    return write_segment(s, seg, &ov);
}

static edi_result write_message_body(serializer *s, xmlNodePtr parent)
{
    edi_result r;
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (ignorable(n))
            continue;
        if ((r = check_structure_child(s, parent, n)) != EDI_OK)
            return r;
        const char *name = (const char *)n->name;
        if (is_group_name(name))
            r = write_message_body(s, n);
        else if (!strcmp(name, "UNT"))
            r = write_counted(s, n, edi_writer_message_segments);
        else if (is_segment_name(name))
            r = write_segment(s, n, NULL);
        else
            r = bad_tree(s, n, "<%s> is not allowed in a message: expected segments (three upper-case "
                         "letters) or segment groups (SG plus a number)", name);
        if (r != EDI_OK)
            return r;
    }
    return EDI_OK;
}

/* The directory's definition for a <message>, from its identifier attributes. */
static const edi_message_def *message_def(serializer *s, xmlNodePtr msg)
{
    if (!s->dir)
        return NULL;
    static const char *const attrs[] = { "type", "version", "release", "agency", "association" };
    xmlChar *v[5];
    for (int i = 0; i < 5; i++)
        v[i] = xmlGetProp(msg, BAD_CAST attrs[i]);
    const edi_message_def *def = NULL;
    if (v[0] && v[1] && v[2] && v[3] &&
        edi_directory_find(s->dir, (const char *)v[0], (const char *)v[1], (const char *)v[2],
                           (const char *)v[3], v[4] ? (const char *)v[4] : "", &def, NULL, 0) != EDI_OK)
        def = NULL;
    for (int i = 0; i < 5; i++)
        xmlFree(v[i]);
    return def;
}

static unsigned interchange_count(const edi_writer *w)
{
    return edi_writer_groups(w) ? edi_writer_groups(w) : edi_writer_messages(w);
}

static edi_result write_interchange_body(serializer *s, xmlNodePtr parent, bool in_group)
{
    edi_result r;
    for (xmlNodePtr n = parent->children; n; n = n->next) {
        if (ignorable(n))
            continue;
        if ((r = check_structure_child(s, parent, n)) != EDI_OK)
            return r;
        const char *name = (const char *)n->name;
        if (!strcmp(name, "message")) {
            s->msg_def = message_def(s, n);
            r = write_message_body(s, n);
            s->msg_def = NULL;
        } else if (!strcmp(name, "group") && !in_group) {
            r = write_interchange_body(s, n, true);
        } else if (!strcmp(name, "UNB")) {
            char version[4], date[12];
            overrides ov = { NULL, { s->set_charset, NULL }, NULL };
            if (s->set_version) {
                snprintf(version, sizeof version, "%d", s->set_version);
                ov.set[1] = version;
                if (s->convert_date)
                    ov.date = unb_date_for_version(n, s->set_version, date, sizeof date);
            }
            r = write_segment(s, n, &ov);
        } else if (!strcmp(name, "UNE")) {
            r = write_counted(s, n, edi_writer_messages);
        } else if (!strcmp(name, "UNZ")) {
            r = write_counted(s, n, interchange_count);
        } else if (is_segment_name(name)) {
            r = write_segment(s, n, NULL);
        } else {
            r = bad_tree(s, n, "<%s> is not allowed in <%s>: expected segments, %s<message>", name,
                         (const char *)parent->name, in_group ? "" : "<group> or ");
        }
        if (r != EDI_OK)
            return r;
    }
    return EDI_OK;
}

static void warn_once(serializer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn_once(serializer *s, const char *fmt, ...)
{
    if (s->warning[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->warning, sizeof s->warning, fmt, ap);
    va_end(ap);
}

/* Component k (1-based) of UNB S001 in the tree, or NULL; free with xmlFree. */
static xmlChar *unb_s001(xmlNodePtr ic, unsigned k)
{
    for (xmlNodePtr u = ic->children; u; u = u->next) {
        if (!named(u, "UNB"))
            continue;
        xmlNodePtr e = u->children;
        while (e && e->type != XML_ELEMENT_NODE)
            e = e->next;
        if (!e)
            return NULL;
        if (!has_element_child(e))
            return k == 1 ? xmlNodeGetContent(e) : NULL;
        unsigned i = 0;
        for (xmlNodePtr c = e->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && ++i == k)
                return xmlNodeGetContent(c);
        return NULL;
    }
    return NULL;
}

/* The interchange's value: the attribute, else UNB S001 component k; NULL when neither
 * is there or it is empty. Free with xmlFree. */
static xmlChar *tree_setting(xmlNodePtr ic, const char *attr, unsigned k)
{
    xmlChar *v = xmlGetProp(ic, BAD_CAST attr);
    if (!v)
        v = unb_s001(ic, k);
    if (v && !v[0]) {
        xmlFree(v);
        v = NULL;
    }
    return v;
}

/* Options for one interchange: what the caller set, the rest from the tree. *charset
 * keeps the tree's string alive until the writer has copied it. */
static edi_result interchange_options(serializer *s, xmlNodePtr ic, const edi_writer_options *o,
                                      edi_writer_options *wo, xmlChar **charset)
{
    edi_writer_options_default(wo);
    if (o)
        *wo = *o;
    s->set_charset = o ? o->charset : NULL;
    if (!o || !o->syntax_version) {
        xmlChar *v = tree_setting(ic, "version", 2);
        wo->syntax_version = 3;
        if (v) {
            bool ok = strlen((const char *)v) == 1 && v[0] >= '1' && v[0] <= '4';
            if (ok)
                wo->syntax_version = v[0] - '0';
            xmlFree(v);
            if (!ok)
                return bad_tree(s, ic, "the version attribute (or UNB S001 0002) is a syntax version "
                                "from 1 to 4");
        }
    }
    s->set_version = wo->syntax_version;
    s->convert_date = false;
    if (o && o->syntax_version) {
        xmlChar *v = tree_setting(ic, "version", 2);
        int tree_version = v && v[0] >= '1' && v[0] <= '4' && !v[1] ? v[0] - '0' : 3;
        xmlFree(v);
        s->convert_date = (tree_version >= 4) != (o->syntax_version >= 4);
    }
    s->version = wo->syntax_version;
    if (!o || !o->sc.terminator) {
        edi_writer_options d;
        edi_writer_options_default(&d);
        wo->sc = d.sc;
        xmlChar *una = xmlGetProp(ic, BAD_CAST "una");
        if (una) {
            bool ok = strlen((const char *)una) == 6;
            if (ok) {
                wo->sc.component = (char)una[0];
                wo->sc.element = (char)una[1];
                wo->sc.decimal = (char)una[2];
                wo->sc.release = una[3] == ' ' ? '\0' : (char)una[3];
                wo->sc.repetition = una[4] == ' ' ? '\0' : (char)una[4];
                wo->sc.terminator = (char)una[5];
            }
            xmlFree(una);
            if (!ok)
                return bad_tree(s, ic, "the una attribute holds exactly the six service characters, "
                                "e.g. \":+.? '\"");
        }
    }
    /* Syntax version 4 added these repertoires; a version 3 UNB cannot name them. */
    if (o && o->charset && wo->syntax_version < 4 &&
        strstr(" UNOG UNOH UNOI UNOJ UNOK UNOL UNOW UNOX UNOY ", o->charset) &&
        strlen(o->charset) == 4) {
        edi_say(s->why, s->why_n, "the character set %s exists only in syntax version 4; "
                "write the interchange with syntax version 4 (--syntax 4) or choose UNOA to UNOF",
                o->charset);
        return EDI_E_ARG;
    }
    if (!o || !o->charset) {
        *charset = tree_setting(ic, "syntax", 1);
        wo->charset = *charset ? (const char *)*charset : "UNOC";
        s->set_charset = wo->charset;
        edi_charset *cs = NULL;
        if (edi_charset_open(wo->charset, NULL, &cs, NULL, 0) != EDI_OK) {
            /* The reader decoded such an interchange as UTF-8; writing it back the same way
             * keeps the bytes, and UNB keeps its identifier. */
            warn_once(s, "the character set \"%.16s\" cannot be written; values were written as "
                      "UTF-8 (UNOY) and UNB still names \"%.16s\"", wo->charset, wo->charset);
            wo->charset = "UNOY";
            s->set_charset = NULL;
        }
        edi_charset_free(cs);
    }
    return EDI_OK;
}

static bool has_child_named(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
            return true;
    return false;
}

static edi_result write_interchange(serializer *s, xmlNodePtr ic, const edi_writer_options *o)
{
    edi_writer_options wo;
    xmlChar *charset = NULL;
    edi_result r = interchange_options(s, ic, o, &wo, &charset);
    if (r != EDI_OK) {
        xmlFree(charset);
        return r;
    }
    /* After an interchange without UNZ a reader still uses that interchange's separators;
     * only a UNA tells it that a new interchange begins. */
    if (s->previous_unterminated)
        wo.force_una = true;
    s->previous_unterminated = !has_child_named(ic, "UNZ");
    char why[256] = "";
    s->w = edi_writer_new(&wo, why, sizeof why);
    s->repetitions = wo.syntax_version >= 4 && wo.sc.repetition;
    s->decimal = wo.sc.decimal ? wo.sc.decimal : '.';
    if (s->set_charset) {
        snprintf(s->charset_id, sizeof s->charset_id, "%s", s->set_charset);
        s->set_charset = s->charset_id;
    }
    xmlFree(charset);
    if (!s->w) {
        if (o && o->charset && wo.charset == o->charset) {
            edi_charset *cs = NULL;
            edi_result cr = edi_charset_open(o->charset, NULL, &cs, NULL, 0);
            edi_charset_free(cs);
            if (cr != EDI_OK) {
                edi_say(s->why, s->why_n, "%s", why);
                return EDI_E_CHARSET;
            }
        }
        if (!why[0]) {
            edi_say(s->why, s->why_n, "out of memory");
            return EDI_E_NOMEM;
        }
        /* Separators and versions the caller chose are the caller's mistake; those taken
         * from the tree are the tree's. */
        if (o && o->sc.terminator && o->syntax_version) {
            edi_say(s->why, s->why_n, "%s", why);
            return EDI_E_ARG;
        }
        return bad_tree(s, ic, "%s", why);
    }
    r = write_interchange_body(s, ic, false);
    if (r == EDI_OK) {
        size_t len;
        const char *data = edi_writer_data(s->w, &len);
        const char *w = edi_writer_warning(s->w);
        if (w)
            warn_once(s, "%s", w);
        if (!edi_buf_grow(&s->out, s->out_len + len + 1)) {
            edi_say(s->why, s->why_n, "out of memory");
            r = EDI_E_NOMEM;
        } else {
            memcpy(s->out.p + s->out_len, data, len);
            s->out_len += len;
        }
    }
    edi_writer_free(s->w);
    s->w = NULL;
    return r;
}

void edi_xml_output_free(edi_xml_output *out)
{
    if (!out)
        return;
    free(out->data);
    out->data = NULL;
    out->len = 0;
}

edi_result edi_xml_write(xmlDocPtr doc, const edi_writer_options *o, edi_directory *dir,
                         edi_xml_output *out, char *why, size_t why_n)
{
    if (!out)
        return EDI_E_ARG;
    memset(out, 0, sizeof *out);
    serializer s;
    memset(&s, 0, sizeof s);
    s.why = why;
    s.why_n = why_n;
    s.dir = dir;
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        edi_say(why, why_n, "the document is empty: EDIFACT-XML starts with <edifact xmlns=\"%s\">", EDI_XML_NS);
        return EDI_E_XML;
    }
    if (!named(root, "edifact"))
        return bad_tree(&s, root, "the root element is <%s>%s; EDIFACT-XML starts with <edifact xmlns=\"%s\">",
                        (const char *)root->name, in_ns(root) ? "" : " outside the EDIFACT-XML namespace",
                        EDI_XML_NS);
    edi_result r = EDI_OK;
    for (xmlNodePtr n = root->children; n && r == EDI_OK; n = n->next) {
        if (ignorable(n))
            continue;
        if ((r = check_structure_child(&s, root, n)) != EDI_OK)
            break;
        if (!named(n, "interchange"))
            r = bad_tree(&s, n, "<%s> is not allowed in <edifact>: expected <interchange>", (const char *)n->name);
        else
            r = write_interchange(&s, n, o);
    }
    if (r != EDI_OK) {
        free(s.out.p);
        return r;
    }
    if (!s.out.p && !edi_buf_grow(&s.out, 1)) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    out->data = s.out.p;
    out->len = s.out_len;
    snprintf(out->warning, sizeof out->warning, "%s", s.warning);
    return EDI_OK;
}

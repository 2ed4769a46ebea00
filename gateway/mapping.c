/* The mapping step: format detection, the stylesheet cache, transforms under security
 * preferences, and validation against the canonical schema. */
#include "mapping.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlschemas.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltutils.h>

#include "edi_xml.h"

/* ==== format detection ============================================================ */

const char *mapping_format_name(mapping_format f)
{
    switch (f) {
    case MAPPING_FORMAT_EDIFACT: return "EDIFACT";
    case MAPPING_FORMAT_OPENTRANS_21_ORDER: return "openTRANS 2.1 ORDER";
    case MAPPING_FORMAT_OPENTRANS_10_ORDER: return "openTRANS 1.0 ORDER";
    case MAPPING_FORMAT_UBL_INVOICE: return "UBL Invoice";
    case MAPPING_FORMAT_UBL_CREDIT_NOTE: return "UBL CreditNote";
    case MAPPING_FORMAT_CII_INVOICE: return "CII CrossIndustryInvoice";
    case MAPPING_FORMAT_CANONICAL_ORDER: return "canonical order";
    case MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE: return "canonical orderResponse";
    case MAPPING_FORMAT_CANONICAL_DESPATCH_ADVICE: return "canonical despatchAdvice";
    case MAPPING_FORMAT_CANONICAL_INVOICE: return "canonical invoice";
    case MAPPING_FORMAT_XML_OTHER: return "XML";
    case MAPPING_FORMAT_JSON: return "JSON";
    case MAPPING_FORMAT_UNKNOWN: break;
    }
    return "unknown";
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
    return !is_space(c) && c != '>' && c != '/' && c != '=' && c != '\0' && c != '<';
}

/* A cursor over the bytes being recognised; `line` follows it for the DOCTYPE sentence. */
typedef struct {
    const char *p, *end;
    int line;
} scan;

static void advance(scan *s, size_t n)
{
    for (size_t i = 0; i < n && s->p < s->end; i++, s->p++)
        if (*s->p == '\n')
            s->line++;
}

static void skip_space(scan *s)
{
    while (s->p < s->end && is_space(*s->p))
        advance(s, 1);
}

static bool starts(const scan *s, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(s->end - s->p) >= n && memcmp(s->p, lit, n) == 0;
}

/* Move past the first `lit`; false when the input ends first. */
static bool skip_past(scan *s, const char *lit)
{
    size_t n = strlen(lit);
    while ((size_t)(s->end - s->p) >= n) {
        if (memcmp(s->p, lit, n) == 0) {
            advance(s, n);
            return true;
        }
        advance(s, 1);
    }
    return false;
}

/* Past a DOCTYPE: its internal subset (between [ and ]) may hold '>' in declarations. */
static bool skip_doctype(scan *s)
{
    char quote = '\0';
    int depth = 0;
    for (; s->p < s->end; advance(s, 1)) {
        char c = *s->p;
        if (quote) {
            if (c == quote)
                quote = '\0';
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[') {
            depth++;
        } else if (c == ']') {
            depth--;
        } else if (c == '>' && depth <= 0) {
            advance(s, 1);
            return true;
        }
    }
    return false;
}

typedef struct {
    char prefix[64], local[128], ns[256];
    bool doctype;
    int doctype_line;
} xml_root;

static void copy_span(char *dst, size_t n, const char *from, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, from, len);
    dst[len] = '\0';
}

/* Read the prolog and the root's start tag: its name and the namespace of its prefix. */
static bool read_root(scan *s, xml_root *r)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        skip_space(s);
        if (starts(s, "<?")) {
            if (!skip_past(s, "?>"))
                return false;
        } else if (starts(s, "<!--")) {
            if (!skip_past(s, "-->"))
                return false;
        } else if (starts(s, "<!DOCTYPE")) {
            r->doctype = true;
            r->doctype_line = s->line;
            if (!skip_doctype(s))
                return false;
        } else {
            break;
        }
    }
    if (!starts(s, "<"))
        return false;
    advance(s, 1);
    const char *name = s->p;
    while (s->p < s->end && is_name_char(*s->p))
        advance(s, 1);
    size_t name_len = (size_t)(s->p - name);
    if (!name_len)
        return false;
    const char *colon = memchr(name, ':', name_len);
    if (colon) {
        copy_span(r->prefix, sizeof r->prefix, name, (size_t)(colon - name));
        copy_span(r->local, sizeof r->local, colon + 1, name_len - (size_t)(colon - name) - 1);
    } else {
        copy_span(r->local, sizeof r->local, name, name_len);
    }
    char want[80];
    snprintf(want, sizeof want, r->prefix[0] ? "xmlns:%s" : "xmlns", r->prefix);
    /* Attributes: name = "value" until the tag ends. */
    for (;;) {
        skip_space(s);
        if (s->p >= s->end)
            return false;
        if (*s->p == '>' || *s->p == '/')
            return true;
        const char *an = s->p;
        while (s->p < s->end && is_name_char(*s->p))
            advance(s, 1);
        size_t an_len = (size_t)(s->p - an);
        skip_space(s);
        if (!an_len || s->p >= s->end || *s->p != '=')
            return false;
        advance(s, 1);
        skip_space(s);
        if (s->p >= s->end || (*s->p != '"' && *s->p != '\''))
            return false;
        char q = *s->p;
        advance(s, 1);
        const char *v = s->p;
        const char *close = memchr(v, q, (size_t)(s->end - v));
        if (!close)
            return false;
        if (an_len == strlen(want) && memcmp(an, want, an_len) == 0)
            copy_span(r->ns, sizeof r->ns, v, (size_t)(close - v));
        advance(s, (size_t)(close - v) + 1);
    }
}

static const struct {
    const char *ns, *local;
    mapping_format format;
} xml_formats[] = {
    { "http://www.opentrans.org/XMLSchema/2.1", "ORDER", MAPPING_FORMAT_OPENTRANS_21_ORDER },
    { "", "ORDER", MAPPING_FORMAT_OPENTRANS_10_ORDER },
    { "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "Invoice", MAPPING_FORMAT_UBL_INVOICE },
    { "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "CreditNote",
      MAPPING_FORMAT_UBL_CREDIT_NOTE },
    { "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100", "CrossIndustryInvoice",
      MAPPING_FORMAT_CII_INVOICE },
    { MAPPING_CANONICAL_NS, "order", MAPPING_FORMAT_CANONICAL_ORDER },
    { MAPPING_CANONICAL_NS, "orderResponse", MAPPING_FORMAT_CANONICAL_ORDER_RESPONSE },
    { MAPPING_CANONICAL_NS, "despatchAdvice", MAPPING_FORMAT_CANONICAL_DESPATCH_ADVICE },
    { MAPPING_CANONICAL_NS, "invoice", MAPPING_FORMAT_CANONICAL_INVOICE },
};

/* A service segment tag at `p` and then a separator, which is never a letter or digit. */
static bool edifact_at(const char *p, const char *end)
{
    return end - p > 3 && (!strncmp(p, "UNA", 3) || !strncmp(p, "UNB", 3) || !strncmp(p, "UNH", 3)) &&
           !((p[3] >= 'A' && p[3] <= 'Z') || (p[3] >= '0' && p[3] <= '9'));
}

/* Senders' systems put banners before the interchange (a line of '#', a file header):
 * the EDIFACT reader skips such junk and reports it, so an interchange that starts at the
 * beginning of a line within the first EDIFACT_JUNK_MAX bytes is EDIFACT too. */
#define EDIFACT_JUNK_MAX 4096

static bool edifact_after_junk(const char *p, const char *end)
{
    const char *stop = end - p > EDIFACT_JUNK_MAX ? p + EDIFACT_JUNK_MAX : end;
    for (const char *q = p; q < stop; q++)
        if ((*q == '\n' || *q == '\r') && edifact_at(q + 1, end))
            return true;
    return false;
}

mapping_format mapping_detect(const char *buf, size_t len, char *why, size_t why_n)
{
    scan s = { buf, buf + (buf ? len : 0), 1 };
    if (starts(&s, "\xef\xbb\xbf"))
        advance(&s, 3);
    skip_space(&s);
    if (s.p >= s.end) {
        edi_say(why, why_n, "the file is empty or holds only white space");
        return MAPPING_FORMAT_UNKNOWN;
    }
    if (edifact_at(s.p, s.end))
        return MAPPING_FORMAT_EDIFACT;
    if (*s.p == '{' || *s.p == '[')
        return MAPPING_FORMAT_JSON;
    if (*s.p == '<') {
        xml_root r;
        if (!read_root(&s, &r)) {
            edi_say(why, why_n, "the file starts like XML but no root element could be read "
                    "(line %d)", s.line);
            return MAPPING_FORMAT_UNKNOWN;
        }
        for (size_t i = 0; i < sizeof xml_formats / sizeof xml_formats[0]; i++)
            if (!strcmp(r.ns, xml_formats[i].ns) && !strcmp(r.local, xml_formats[i].local))
                return xml_formats[i].format;
        edi_say(why, why_n, "an XML document whose root element is %s%s%s%s, which the gateway "
                "does not read (it reads openTRANS ORDER, UBL Invoice and CreditNote, CII "
                "CrossIndustryInvoice and the canonical documents)", r.local, r.ns[0] ? " in namespace \"" : " without a namespace",
                r.ns, r.ns[0] ? "\"" : "");
        return MAPPING_FORMAT_XML_OTHER;
    }
    if (edifact_after_junk(s.p, s.end))
        return MAPPING_FORMAT_EDIFACT;
    /* A byte order mark of UTF-16 (UTF-32 starts the same way): text in the wrong encoding. */
    if (len >= 2 && (!memcmp(buf, "\xff\xfe", 2) || !memcmp(buf, "\xfe\xff", 2) ||
                     (len >= 4 && !memcmp(buf, "\0\0\xfe\xff", 4)))) {
        edi_say(why, why_n, "the file is UTF-16 or UTF-32 text (it starts with that byte order "
                "mark); the gateway reads EDIFACT, XML and JSON in UTF-8 or a single-byte "
                "character set: ask the sender to send it in UTF-8");
        return MAPPING_FORMAT_UNKNOWN;
    }
    /* Quote only what is safe to print: the first word if it is plain ASCII. */
    char word[24];
    size_t n = 0;
    while (s.p + n < s.end && n < sizeof word - 1 && s.p[n] > ' ' && s.p[n] < 0x7f)
        n++;
    copy_span(word, sizeof word, s.p, n);
    if (n)
        edi_say(why, why_n, "the file is neither EDIFACT (UNA, UNB or UNH), XML nor JSON: it "
                "starts with \"%s\"", word);
    else
        edi_say(why, why_n, "the file is neither EDIFACT (UNA, UNB or UNH), XML nor JSON: it "
                "starts with a byte that is not printable text");
    return MAPPING_FORMAT_UNKNOWN;
}

edi_result mapping_parse_xml(const char *buf, size_t len, xmlDocPtr *out, char *why, size_t why_n)
{
    if (!out)
        return EDI_E_ARG;
    *out = NULL;
    scan s = { buf, buf + (buf ? len : 0), 1 };
    if (starts(&s, "\xef\xbb\xbf"))
        advance(&s, 3);
    xml_root r;
    if (read_root(&s, &r) && r.doctype) {
        edi_say(why, why_n, "line %d: the document has a DOCTYPE; DTDs are not read and entities "
                "not expanded, for safety", r.doctype_line);
        return EDI_E_XML;
    }
    /* edi_xml_parse_mem refuses a DOCTYPE too, wherever the scan above stopped. */
    return edi_xml_parse_mem(buf, len, out, why, why_n);
}

/* ==== the context ================================================================= */

/* One cache of the context: each entry a key (a file path, or a module's key) and what was
 * made from it, freed with the entry's free_fn when the context goes. */
typedef struct {
    char *key;
    void *data;
    void (*free_fn)(void *);
} cache_entry;

typedef struct {
    cache_entry *v;
    size_t n, cap;
} cache;

/* The data kept under `key`, or NULL. */
static void *cache_find(const cache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0)
            return c->v[i].data;
    return NULL;
}

/* Keep `data` under `key`; the cache owns it from now on, also when this fails with
 * EDI_E_NOMEM (it is then freed at once). */
static edi_result cache_add(cache *c, const char *key, void *data, void (*free_fn)(void *))
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        cache_entry *grown = realloc(c->v, cap * sizeof *grown);
        if (!grown) {
            free_fn(data);
            return EDI_E_NOMEM;
        }
        c->v = grown;
        c->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free_fn(data);
        return EDI_E_NOMEM;
    }
    c->v[c->n++] = (cache_entry){ k, data, free_fn };
    return EDI_OK;
}

static void cache_free(cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        c->v[i].free_fn(c->v[i].data);
    }
    free(c->v);
}

/* A compiled schema and the document it was compiled from (it points into it); either may
 * be NULL while it is being made. */
typedef struct {
    xmlDocPtr doc;
    xmlSchemaPtr schema;
} compiled_schema;

static void free_style(void *style)
{
    xsltFreeStylesheet(style);
}

static void free_schema(void *p)
{
    compiled_schema *cs = p;
    xmlSchemaFree(cs->schema);
    xmlFreeDoc(cs->doc);
    free(cs);
}

struct mapping_ctx {
    char *schema_path;
    xsltSecurityPrefsPtr prefs;
    cache styles;    /* path -> xsltStylesheetPtr */
    cache schemas;   /* path -> compiled_schema */
    cache data;      /* mapping_cache_put */
};

mapping_ctx *mapping_new(const char *schema_path)
{
    mapping_ctx *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->schema_path = strdup(schema_path ? schema_path : "");
    m->prefs = xsltNewSecurityPrefs();
    /* A mapping reads one tree and returns one tree. Reading files stays allowed because a
     * stylesheet may read its own lookup tables (document('')); the input cannot name one
     * unless a stylesheet of ours asks for it. */
    if (!m->schema_path || !m->prefs ||
        xsltSetSecurityPrefs(m->prefs, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid) != 0 ||
        xsltSetSecurityPrefs(m->prefs, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid) != 0 ||
        xsltSetSecurityPrefs(m->prefs, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid) != 0 ||
        xsltSetSecurityPrefs(m->prefs, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid) != 0) {
        mapping_free(m);
        return NULL;
    }
    return m;
}

void mapping_free(mapping_ctx *m)
{
    if (!m)
        return;
    cache_free(&m->styles);
    cache_free(&m->schemas);
    cache_free(&m->data);
    if (m->prefs)
        xsltFreeSecurityPrefs(m->prefs);
    free(m->schema_path);
    free(m);
}

void *mapping_cache_get(mapping_ctx *m, const char *key)
{
    return m && key ? cache_find(&m->data, key) : NULL;
}

edi_result mapping_cache_put(mapping_ctx *m, const char *key, void *data, void (*free_fn)(void *))
{
    if (!m || !key || !data || !free_fn)
        return EDI_E_ARG;
    return cache_add(&m->data, key, data, free_fn);
}

edi_result mapping_stylesheet(mapping_ctx *m, const char *path, xsltStylesheetPtr *out,
                              char *why, size_t why_n)
{
    if (!m || !path || !out)
        return EDI_E_ARG;
    *out = cache_find(&m->styles, path);
    if (*out)
        return EDI_OK;
    char reason[400] = "";
    xmlDocPtr doc = NULL;
    edi_result r = edi_xml_parse_file(path, &doc, reason, sizeof reason);
    if (r != EDI_OK) {
        edi_say(why, why_n, "the stylesheet %s cannot be read: %s", path, reason);
        return r;
    }
    /* Without a base URL, xsl:import and xsl:include would resolve against the current
     * directory instead of the stylesheet's own folder. */
    if (!doc->URL)
        doc->URL = xmlStrdup(BAD_CAST path);
    xsltStylesheetPtr style = xsltParseStylesheetDoc(doc);
    if (!style) {
        /* libxslt takes the document only when it compiles it. */
        xmlFreeDoc(doc);
        edi_say(why, why_n, "%s is not a usable XSLT stylesheet (libxslt's reasons are above)", path);
        return EDI_E_XML;
    }
    if (cache_add(&m->styles, path, style, free_style) != EDI_OK) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    *out = style;
    return EDI_OK;
}

/* ---- transforming ---------------------------------------------------------------- */

/* What libxslt reports during one transformation, in order (messages arrive in pieces). */
typedef struct {
    char text[2048];
    size_t len;
} report;

static void collect_report(void *ctx, const char *fmt, ...)
{
    report *rep = ctx;
    if (rep->len + 1 >= sizeof rep->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rep->text + rep->len, sizeof rep->text - rep->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        rep->len += (size_t)n < sizeof rep->text - rep->len ? (size_t)n : sizeof rep->text - rep->len - 1;
}

/* The report as one sentence: lines joined with "; ", trailing breaks dropped. */
static void report_sentence(const report *rep, char *dst, size_t n)
{
    if (!dst || !n)
        return;
    size_t o = 0;
    bool pending = false;
    for (size_t i = 0; i < rep->len && o + 3 < n; i++) {
        char c = rep->text[i];
        if (c == '\n') {
            pending = o > 0;
            continue;
        }
        if (pending) {
            dst[o++] = ';';
            dst[o++] = ' ';
            pending = false;
            if (o + 1 >= n)
                break;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
}

edi_result mapping_apply(mapping_ctx *m, xsltStylesheetPtr style, xmlDocPtr doc,
                         const char **params, xmlDocPtr *out, char *notes, size_t notes_n,
                         char *why, size_t why_n)
{
    if (notes && notes_n)
        notes[0] = '\0';
    if (!m || !style || !doc || !out)
        return EDI_E_ARG;
    *out = NULL;
    xsltTransformContextPtr ctxt = xsltNewTransformContext(style, doc);
    if (!ctxt) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    report rep = { .len = 0 };
    xsltSetTransformErrorFunc(ctxt, &rep, collect_report);
    if (xsltSetCtxtSecurityPrefs(m->prefs, ctxt) != 0) {
        xsltFreeTransformContext(ctxt);
        edi_say(why, why_n, "the security preferences could not be set");
        return EDI_E_ARG;
    }
    xmlDocPtr res = xsltApplyStylesheetUser(style, doc, params, NULL, NULL, ctxt);
    bool stopped = ctxt->state != XSLT_STATE_OK;
    xsltFreeTransformContext(ctxt);
    if (!res || stopped) {
        xmlFreeDoc(res);
        char sentence[1024];
        report_sentence(&rep, sentence, sizeof sentence);
        edi_say(why, why_n, "the mapping stopped: %s",
                sentence[0] ? sentence : "libxslt gave no reason");
        return EDI_E_XML;
    }
    if (notes && notes_n)
        snprintf(notes, notes_n, "%s", rep.text);
    *out = res;
    return EDI_OK;
}

/* ---- validating ------------------------------------------------------------------ */

typedef struct {
    char text[512];
    int line;
    bool have;
} first_error;

static void keep_first_error(void *ctx, xmlErrorPtr e)
{
    first_error *fe = ctx;
    if (fe->have || !e)
        return;
    fe->have = true;
    fe->line = e->line;
    snprintf(fe->text, sizeof fe->text, "%s", e->message ? e->message : "invalid");
    size_t n = strlen(fe->text);
    while (n && (fe->text[n - 1] == '\n' || fe->text[n - 1] == ' '))
        fe->text[--n] = '\0';
}

/* The compiled schema at `path`, compiled on the first call (imports and includes are
 * read from the schema's own folder) and kept by the context. */
static edi_result schema_get(mapping_ctx *m, const char *path, xmlSchemaPtr *out, char *why,
                             size_t why_n)
{
    const compiled_schema *kept = cache_find(&m->schemas, path);
    if (kept) {
        *out = kept->schema;
        return EDI_OK;
    }
    compiled_schema *c = calloc(1, sizeof *c);
    if (!c) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    char reason[400] = "";
    edi_result r = edi_xml_parse_file(path, &c->doc, reason, sizeof reason);
    if (r != EDI_OK) {
        edi_say(why, why_n, "the schema %s cannot be read: %s", path, reason);
        free_schema(c);
        return r == EDI_E_NOMEM ? r : EDI_E_IO;
    }
    if (!c->doc->URL)
        c->doc->URL = xmlStrdup(BAD_CAST path);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewDocParserCtxt(c->doc);
    if (!pc) {
        edi_say(why, why_n, "out of memory");
        free_schema(c);
        return EDI_E_NOMEM;
    }
    first_error fe = { .have = false };
    xmlSchemaSetParserStructuredErrors(pc, keep_first_error, &fe);
    c->schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (!c->schema) {
        edi_say(why, why_n, "the schema %s is not usable: line %d: %s", path, fe.line,
                fe.have ? fe.text : "unknown error");
        free_schema(c);
        return EDI_E_IO;
    }
    xmlSchemaPtr schema = c->schema;
    if (cache_add(&m->schemas, path, c, free_schema) != EDI_OK) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    *out = schema;
    return EDI_OK;
}

/* A validation context for the schema at `path` (see schema_get); the caller frees it with
 * xmlSchemaFreeValidCtxt. */
static edi_result validator(mapping_ctx *m, const char *path, xmlSchemaValidCtxtPtr *out,
                            char *why, size_t why_n)
{
    xmlSchemaPtr schema;
    edi_result r = schema_get(m, path, &schema, why, why_n);
    if (r != EDI_OK)
        return r;
    *out = xmlSchemaNewValidCtxt(schema);
    if (!*out) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

edi_result mapping_validate(mapping_ctx *m, xmlDocPtr doc, char *why, size_t why_n)
{
    if (!m || !doc)
        return EDI_E_ARG;
    xmlSchemaValidCtxtPtr vc;
    edi_result r = validator(m, m->schema_path, &vc, why, why_n);
    if (r != EDI_OK)
        return r;
    first_error fe = { .have = false };
    xmlSchemaSetValidStructuredErrors(vc, keep_first_error, &fe);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (rc == 0)
        return EDI_OK;
    if (fe.have)
        edi_say(why, why_n, "the canonical document is not valid: line %d: %s", fe.line, fe.text);
    else
        edi_say(why, why_n, "the canonical document could not be validated");
    return rc < 0 ? EDI_E_NOMEM : EDI_E_XML;
}

typedef struct {
    doc_findings *out;
    doc_severity sev;
    const char *rule;
    edi_result failed;
} finding_sink;

/* Every schema error becomes one finding: its line, the element's path, the message. */
static void add_schema_error(void *ctx, xmlErrorPtr e)
{
    finding_sink *sink = ctx;
    if (!e)
        return;
    char text[600];
    snprintf(text, sizeof text, "%s", e->message ? e->message : "invalid");
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = '\0';
    char where[192] = "";
    if (e->node && ((xmlNodePtr)e->node)->type == XML_ELEMENT_NODE) {
        xmlChar *path = xmlGetNodePath((xmlNodePtr)e->node);
        if (path)
            snprintf(where, sizeof where, "%s", (const char *)path);
        xmlFree(path);
    }
    if (doc_findings_add(sink->out, sink->sev, sink->rule, e->line, where, "%s", text) != EDI_OK)
        sink->failed = EDI_E_NOMEM;
}

edi_result mapping_schema_check(mapping_ctx *m, const char *xsd_path, xmlDocPtr doc,
                                doc_severity sev, const char *rule, doc_findings *out,
                                char *why, size_t why_n)
{
    if (!m || !xsd_path || !doc || !out)
        return EDI_E_ARG;
    xmlSchemaValidCtxtPtr vc;
    edi_result r = validator(m, xsd_path, &vc, why, why_n);
    if (r != EDI_OK)
        return r;
    finding_sink sink = { out, sev, rule ? rule : "XSD", EDI_OK };
    xmlSchemaSetValidStructuredErrors(vc, add_schema_error, &sink);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (rc < 0 || sink.failed != EDI_OK) {
        edi_say(why, why_n, "out of memory while validating against %s", xsd_path);
        return EDI_E_NOMEM;
    }
    if (rc == 0)
        return EDI_OK;
    edi_say(why, why_n, "the document is not valid against %s", xsd_path);
    return EDI_E_XML;
}

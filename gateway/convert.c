/* The conversion engine: detect -> read -> inbound stylesheet -> complete -> code maps ->
 * validate -> rules -> outbound stylesheet -> check what was written. Every step reports
 * into the caller's findings; nothing here prints. */
#include "convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxslt/xsltutils.h>

#include "canonical_totals.h"
#include "edi_directory.h"
#include "edi_reader.h"
#include "edi_writer.h"
#include "edi_xml.h"
#include "einvoice.h"
#include "en16931.h"
#include "en16931_rules.h"
#include "opentrans_lint.h"

/* An EDIFACT-XML tree takes about 100 times its input (edi_xml.h): 8 MiB of EDIFACT is
 * already most of a gigabyte. */
#define MAX_EDIFACT_BYTES ((size_t)8 << 20)

enum {
    RULES_CORE = EN16931_RULES_CORE,
    RULES_XRECHNUNG = EN16931_RULES_XRECHNUNG,
    RULES_PEPPOL = EN16931_RULES_PEPPOL,
};

typedef enum { OUT_CANONICAL, OUT_EDIFACT, OUT_XML, OUT_HTML } out_kind;

#define SPEC_XRECHNUNG "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
#define SPEC_PEPPOL "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
#define PROCESS_PEPPOL "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

static const struct target_def {
    const char *name;
    const char *style;        /* file in the xslt folder */
    const char *root;         /* the canonical root it converts; NULL: any */
    out_kind out;
    const char *profile;      /* the stylesheet's `profile` parameter, or NULL */
    unsigned rules;           /* EN 16931 rule sets an invoice must pass first; 0: none */
    const char *ext;          /* suggested file name ending */
    const char *spec;         /* BT-24 and BT-23 the stylesheet writes, whatever the canonical */
    const char *process;      /* document says; NULL: the canonical document's own */
} targets[CONVERT_TARGET_COUNT] = {
    [CONVERT_TO_CANONICAL] = { "canonical", NULL, NULL, OUT_CANONICAL, NULL, 0, "xml" },
    [CONVERT_TO_ORDERS] = { "orders", "canonical-to-orders.xsl", "order", OUT_EDIFACT, NULL, 0,
                            "orders.edi" },
    [CONVERT_TO_ORDRSP] = { "ordrsp", "canonical-to-ordrsp.xsl", "orderResponse", OUT_EDIFACT,
                            NULL, 0, "ordrsp.edi" },
    [CONVERT_TO_DESADV] = { "desadv", "canonical-to-desadv.xsl", "despatchAdvice", OUT_EDIFACT,
                            NULL, 0, "desadv.edi" },
    [CONVERT_TO_INVOIC] = { "invoic", "canonical-to-invoic.xsl", "invoice", OUT_EDIFACT, NULL,
                            RULES_CORE, "invoic.edi" },
    [CONVERT_TO_OPENTRANS] = { "opentrans", "canonical-to-opentrans.xsl", NULL, OUT_XML, NULL,
                               RULES_CORE, "opentrans.xml" },
    [CONVERT_TO_XRECHNUNG_UBL] = { "xrechnung-ubl", "canonical-to-ubl.xsl", "invoice", OUT_XML,
                                   "xrechnung", RULES_CORE | RULES_XRECHNUNG, "xrechnung-ubl.xml",
                                   SPEC_XRECHNUNG, PROCESS_PEPPOL },
    [CONVERT_TO_XRECHNUNG_CII] = { "xrechnung-cii", "canonical-to-cii.xsl", "invoice", OUT_XML,
                                   "xrechnung", RULES_CORE | RULES_XRECHNUNG, "xrechnung-cii.xml",
                                   SPEC_XRECHNUNG, PROCESS_PEPPOL },
    [CONVERT_TO_PEPPOL] = { "peppol", "canonical-to-ubl.xsl", "invoice", OUT_XML, "peppol",
                            RULES_CORE | RULES_PEPPOL, "peppol.xml", SPEC_PEPPOL, PROCESS_PEPPOL },
    /* A rendering for people, not a document that is sent: no rules gate it. */
    [CONVERT_TO_HTML] = { "html", "canonical-invoice-to-html.xsl", "invoice", OUT_HTML, NULL, 0,
                          "html" },
};

const char *convert_target_name(convert_target t)
{
    return t < CONVERT_TARGET_COUNT ? targets[t].name : "?";
}

bool convert_target_parse(const char *name, convert_target *out)
{
    for (size_t i = 0; name && i < CONVERT_TARGET_COUNT; i++)
        if (!strcmp(name, targets[i].name)) {
            *out = (convert_target)i;
            return true;
        }
    return false;
}

const char *convert_target_stylesheet(convert_target t)
{
    return t < CONVERT_TARGET_COUNT ? targets[t].style : NULL;
}

void convert_results_free(convert_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->items[i].data);
    free(r->items);
    memset(r, 0, sizeof *r);
}

/* ---- the engine ------------------------------------------------------------------ */

struct convert_engine {
    char *formats;
    char *xslt;
    mapping_ctx *m;
    edi_directory *dir;       /* opened on first use */
};

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

convert_engine *convert_engine_new(const char *formats_dir, const char *xslt_dir, char *why,
                                   size_t why_n)
{
    convert_engine *e = calloc(1, sizeof *e);
    char *schema = formats_dir ? join(formats_dir, "canonical/canonical.xsd") : NULL;
    if (e && formats_dir && xslt_dir) {
        e->formats = strdup(formats_dir);
        e->xslt = strdup(xslt_dir);
        e->m = schema ? mapping_new(schema) : NULL;
    }
    free(schema);
    if (!e || !e->formats || !e->xslt || !e->m) {
        convert_engine_free(e);
        edi_say(why, why_n, formats_dir && xslt_dir ? "out of memory"
                : "the engine needs the formats and xslt folders");
        return NULL;
    }
    return e;
}

void convert_engine_free(convert_engine *e)
{
    if (!e)
        return;
    mapping_free(e->m);
    edi_directory_free(e->dir);
    free(e->formats);
    free(e->xslt);
    free(e);
}

mapping_ctx *convert_engine_mapping(convert_engine *e)
{
    return e ? e->m : NULL;
}

static edi_result open_directory(convert_engine *e, char *why, size_t why_n)
{
    if (e->dir)
        return EDI_OK;
    char *path = join(e->formats, "edifact");
    char *probe = path ? join(path, "service/v3.edd") : NULL;
    edi_result r = EDI_OK;
    if (!probe) {
        r = EDI_E_NOMEM;
        edi_say(why, why_n, "out of memory");
    } else if (access(probe, R_OK) != 0) {
        /* The directory loads lazily: a wrong folder would otherwise only show as "no
         * directory" findings for every message. */
        r = EDI_E_DIRECTORY;
        edi_say(why, why_n, "no EDIFACT directory definitions in %s; give the formats folder", path);
    } else if (!(e->dir = edi_directory_open(path))) {
        r = EDI_E_NOMEM;
        edi_say(why, why_n, "out of memory opening the directory definitions");
    }
    free(probe);
    free(path);
    return r;
}

bool convert_target_available(convert_engine *e, convert_target target, char *why, size_t why_n)
{
    if (!e || target >= CONVERT_TARGET_COUNT)
        return false;
    if (!targets[target].style)
        return true;
    char *path = join(e->xslt, targets[target].style);
    bool there = path && access(path, R_OK) == 0;
    if (!there)
        edi_say(why, why_n, "--to %s is not available yet: its stylesheet %s is not installed",
                targets[target].name, path ? path : targets[target].style);
    free(path);
    return there;
}

/* ---- one run ------------------------------------------------------------------- */

typedef struct {
    convert_engine *e;
    convert_target target;
    const convert_options *opt;
    convert_results *out;
    doc_findings *f;
    char *why;
    size_t why_n;
    convert_status status;
    convert_status said;      /* the status `why` speaks of; DONE: nothing said yet */
    size_t documents;         /* documents found in the input */
} run;

static void worsen(run *r, convert_status s)
{
    if (s > r->status)
        r->status = s;
}

/* A refusal of one document (`what` names it: a finding) or of the whole run (`what` NULL:
 * the run's `why`, where the gravest and then the first sentence stays). */
static void refuse(run *r, convert_status s, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(run *r, convert_status s, const char *what, const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (what) {
        doc_findings_add(r->f, DOC_ERROR, "CONVERT", 0, what, "%s", text);
    } else if (s > r->said) {
        edi_say(r->why, r->why_n, "%s", text);
        r->said = s;
    }
    worsen(r, s);
}

/* Each line of `notes` (xsl:message texts, totals warnings) as a warning. */
static void add_notes(run *r, const char *rule, const char *what, const char *notes)
{
    for (const char *p = notes; *p;) {
        size_t n = strcspn(p, "\n");
        if (n)
            doc_findings_add(r->f, DOC_WARNING, rule, 0, what, "%.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

/* Stylesheet `file` in the xslt folder, or the partner's override at `override`. */
static bool load_style(run *r, const char *file, const char *override, const char *what,
                       xsltStylesheetPtr *style)
{
    char *path = override ? strdup(override) : join(r->e->xslt, file);
    if (!path) {
        refuse(r, CONVERT_REFUSED, what, "out of memory");
        return false;
    }
    char why[768] = "";
    bool ok = false;
    if (access(path, R_OK) != 0)
        refuse(r, CONVERT_REFUSED, what, "the mapping %s is not there%s", path,
               override ? " (named by the partner profile)" : "; give the stylesheets' folder");
    else if (mapping_stylesheet(r->e->m, path, style, why, sizeof why) != EDI_OK)
        refuse(r, CONVERT_REFUSED, what, "%s", why);
    else
        ok = true;
    free(path);
    return ok;
}

/* "<a><b><where>" into the finding's where, cut to fit. */
static void prefix_where(doc_finding *fd, const char *a, const char *b)
{
    char where[512];
    int n = snprintf(where, sizeof where, "%s%s%s", a, b, fd->where);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof fd->where ? (size_t)n : sizeof fd->where - 1;
    memcpy(fd->where, where, len);
    fd->where[len] = '\0';
}

static const char *root_name(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    return root ? (const char *)root->name : "";
}

static bool is_invoice(xmlDocPtr doc)
{
    return !strcmp(root_name(doc), "invoice");
}

/* The canonical element `name` directly under the root, as text (caller frees), or NULL. */
static xmlChar *top_value(xmlDocPtr doc, const char *name)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return xmlNodeGetContent(c);
    return NULL;
}

/* Keep one output: `data`/`len`, or when `data` is NULL the document `res` serialized as
 * `style` (may be NULL) says. `doc` is the canonical document it was made from (its
 * number names the output). */
static void keep(run *r, xmlDocPtr doc, xmlDocPtr res, xsltStylesheetPtr style, const char *data,
                 size_t len, const char *media, const char *what)
{
    xmlChar *txt = NULL;
    int n = 0;
    if (!data) {
        if (style)
            xsltSaveResultToString(&txt, &n, res, style);
        else
            xmlDocDumpFormatMemoryEnc(res, &txt, &n, "UTF-8", 1);
        if (!txt) {
            refuse(r, CONVERT_REFUSED, what, "out of memory writing the result");
            return;
        }
        data = (const char *)txt;
        len = (size_t)n;
    }
    if (r->out->count == r->out->cap) {
        size_t cap = r->out->cap ? r->out->cap * 2 : 4;
        convert_output *grown = realloc(r->out->items, cap * sizeof *grown);
        if (!grown) {
            xmlFree(txt);
            refuse(r, CONVERT_REFUSED, what, "out of memory");
            return;
        }
        r->out->items = grown;
        r->out->cap = cap;
    }
    convert_output *o = &r->out->items[r->out->count];
    memset(o, 0, sizeof *o);
    o->data = malloc(len + 1);
    if (!o->data) {
        xmlFree(txt);
        refuse(r, CONVERT_REFUSED, what, "out of memory");
        return;
    }
    memcpy(o->data, data, len);
    o->data[len] = '\0';
    o->len = len;
    o->media_type = media;
    snprintf(o->what, sizeof o->what, "%s", what);
    /* The document number, reduced to characters every file system takes. */
    char number[64] = "document";
    xmlChar *num = doc ? top_value(doc, "number") : NULL;
    if (num && num[0]) {
        size_t k = 0;
        for (const xmlChar *p = num; *p && k + 1 < sizeof number; p++)
            number[k++] = ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_' || *p == '.')
                          ? (char)*p : '_';
        number[k] = '\0';
    }
    xmlFree(num);
    snprintf(o->name, sizeof o->name, "%s.%s", number, targets[r->target].ext);
    r->out->count++;
    xmlFree(txt);
}

/* ---- EDIFACT findings ------------------------------------------------------------ */

static void edifact_where(const edi_finding *fd, const char *prefix, char *where, size_t n)
{
    int k = snprintf(where, n, "%sinterchange %u", prefix, fd->at.interchange);
    if (fd->at.message && k > 0 && (size_t)k < n)
        k += snprintf(where + k, n - (size_t)k, ", message %u (ref %s)", fd->at.message,
                      fd->at.message_ref);
    if (fd->at.segment && k > 0 && (size_t)k < n)
        k += snprintf(where + k, n - (size_t)k, ", segment %u%s%s%s", fd->at.segment,
                      fd->at.tag[0] ? " (" : "", fd->at.tag, fd->at.tag[0] ? ")" : "");
    if (fd->element && k > 0 && (size_t)k < n)
        k += snprintf(where + k, n - (size_t)k, ", element %u", fd->element);
    if (fd->component && k > 0 && (size_t)k < n)
        snprintf(where + k, n - (size_t)k, ", component %u", fd->component);
}

/* Reader findings as document findings, `prefix` before each position; warnings only
 * with `warnings_too`. */
static void add_edifact_findings(run *r, const edi_findings *ef, const char *prefix,
                                 bool warnings_too)
{
    for (size_t i = 0; i < ef->count; i++) {
        const edi_finding *fd = &ef->items[i];
        if (fd->severity == EDI_SEV_WARNING && !warnings_too)
            continue;
        char rule[32], where[192];
        snprintf(rule, sizeof rule, "EDIFACT-%d", fd->code);
        edifact_where(fd, prefix, where, sizeof where);
        doc_findings_add(r->f, fd->severity == EDI_SEV_ERROR ? DOC_ERROR : DOC_WARNING, rule,
                         (long)fd->at.line, where, "%s", fd->text);
    }
    if (ef->dropped)
        doc_findings_add(r->f, DOC_WARNING, "EDIFACT", 0, prefix,
                         "%zu more findings were not kept", ef->dropped);
}

/* ---- outbound ------------------------------------------------------------------ */

/* A parameter value as an XPath string literal; false when it holds a quote. */
static bool quote_param(const char *v, char *dst, size_t n)
{
    if (strchr(v, '\'') || strlen(v) + 3 > n)
        return false;
    snprintf(dst, n, "'%s'", v);
    return true;
}

static bool datetime_ok(const char *d)
{
    return strlen(d) == 13 && d[8] == ':' && strspn(d, "0123456789") == 8 &&
           strspn(d + 9, "0123456789") == 4;
}

typedef struct {
    const char *names[16];
    char values[16][80];
    size_t n;
    const char *list[33];
} param_set;

static bool add_param(run *r, param_set *ps, const char *name, const char *value, const char *what)
{
    if (!value || !value[0])
        return true;
    if (!quote_param(value, ps->values[ps->n], sizeof ps->values[ps->n])) {
        refuse(r, CONVERT_REFUSED, what, "the value of %s must hold no quote and be shorter than "
               "77 characters: %.80s", name, value);
        return false;
    }
    ps->names[ps->n++] = name;
    return true;
}

static const char **param_list(param_set *ps)
{
    size_t k = 0;
    for (size_t i = 0; i < ps->n; i++) {
        ps->list[k++] = ps->names[i];
        ps->list[k++] = ps->values[i];
    }
    ps->list[k] = NULL;
    return ps->list;
}

static bool edifact_params(run *r, param_set *ps, const char *what)
{
    const convert_options *o = r->opt;
    const partner *p = o->partner;
    char now[16];
    const char *datetime = o->datetime;
    if (!datetime) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y%m%d:%H%M", &tm);
        datetime = now;
    } else if (!datetime_ok(datetime)) {
        refuse(r, CONVERT_REFUSED, what, "the date and time must be CCYYMMDD:HHMM, not %.40s", datetime);
        return false;
    }
    char version[4] = "";
    int v = o->syntax_version ? o->syntax_version : p ? p->syntax_version : 0;
    if (v)
        snprintf(version, sizeof version, "%d", v);
    const char *pick_dir = o->directory ? o->directory : p && p->directory[0] ? p->directory : NULL;
    const char *pick_assoc = o->association ? o->association
                             : p && p->association[0] ? p->association : NULL;
    const char *pick_syntax = o->syntax_id ? o->syntax_id : p && p->syntax_id[0] ? p->syntax_id : NULL;
    return add_param(r, ps, "control-ref", o->control_ref ? o->control_ref : "1", what) &&
           add_param(r, ps, "datetime", datetime, what) &&
           add_param(r, ps, "message-ref", o->message_ref, what) &&
           add_param(r, ps, "directory", pick_dir, what) &&
           add_param(r, ps, "association", pick_assoc, what) &&
           add_param(r, ps, "syntax-id", pick_syntax, what) &&
           add_param(r, ps, "syntax-version", version, what) &&
           add_param(r, ps, "sender-id", o->sender_id, what) &&
           add_param(r, ps, "sender-qualifier", o->sender_qualifier, what) &&
           add_param(r, ps, "recipient-id", o->recipient_id, what) &&
           add_param(r, ps, "recipient-qualifier", o->recipient_qualifier, what);
}

/* Serialize the EDIFACT-XML the stylesheet made, read it back with our own reader and keep
 * it only when the reader finds no error. */
static void write_edifact(run *r, xmlDocPtr canonical, xmlDocPtr tree, const char *what)
{
    char why[768] = "";
    if (open_directory(r->e, why, sizeof why) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "%s", why);
        return;
    }
    const convert_options *o = r->opt;
    const partner *p = o->partner;
    edi_writer_options wo;
    edi_writer_options_default(&wo);
    wo.charset = o->syntax_id ? o->syntax_id : p && p->syntax_id[0] ? p->syntax_id : NULL;
    wo.syntax_version = o->syntax_version ? o->syntax_version : p ? p->syntax_version : 0;
    wo.line_break = p && p->line_break ? p->line_break : "";
    if (p && p->separators[0]) {
        wo.sc.component = p->separators[0];
        wo.sc.element = p->separators[1];
        wo.sc.decimal = p->separators[2];
        wo.sc.release = p->separators[3] == ' ' ? '\0' : p->separators[3];
        wo.sc.terminator = p->separators[4];
        if (p->repetition)
            wo.sc.repetition = p->repetition;
        wo.force_una = true;
    } else {
        wo.sc.terminator = '\0'; /* the separators of the tree (the stylesheet's choice) */
    }
    edi_xml_output eo = { 0 };
    edi_result res = edi_xml_write(tree, &wo, r->e->dir, &eo, why, sizeof why);
    if (res != EDI_OK) {
        /* The tree is ours, not the user's: a refusal is a fault of the mapping. */
        refuse(r, CONVERT_REFUSED, what, "the EDIFACT could not be written: %s: %s",
               edi_result_str(res), why);
        edi_xml_output_free(&eo);
        return;
    }
    if (eo.warning[0])
        doc_findings_add(r->f, DOC_WARNING, "CHARSET", 0, what, "%s", eo.warning);
    edi_findings ef;
    edi_findings_init(&ef, 0);
    edi_reader_options ro = { .directory = r->e->dir };
    res = edi_reader_run_mem(eo.data, eo.len, &ro, NULL, &ef);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s, as written: ", what);
    if (res != EDI_OK || ef.errors) {
        add_edifact_findings(r, &ef, prefix, false);
        refuse(r, CONVERT_FINDINGS, what, "the %s written is not valid for our own reader (%zu "
               "errors), so it is not kept", targets[r->target].name, ef.errors);
    } else {
        add_edifact_findings(r, &ef, prefix, true);
        keep(r, canonical, NULL, NULL, eo.data, eo.len, "application/EDIFACT", what);
    }
    edi_findings_free(&ef);
    edi_xml_output_free(&eo);
}

/* The official schema for an XML result, by its root; NULL when there is none. */
static const char *official_xsd(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    const char *ns = root && root->ns ? (const char *)root->ns->href : "";
    const char *name = root ? (const char *)root->name : "";
    if (!strcmp(ns, "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"))
        return "xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd";
    if (!strcmp(ns, "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"))
        return "xsd/ubl21/maindoc/UBL-CreditNote-2.1.xsd";
    if (!strcmp(name, "CrossIndustryInvoice"))
        return "xsd/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd";
    if (!strcmp(ns, "http://www.opentrans.org/XMLSchema/2.1"))
        return "xsd/opentrans/opentrans_2_1.xsd";
    return NULL;
}

static void check_xml(run *r, xmlDocPtr canonical, xmlDocPtr res, xsltStylesheetPtr style,
                      const char *what)
{
    const char *xsd = official_xsd(res);
    if (!xsd) {
        refuse(r, CONVERT_REFUSED, what, "the stylesheet wrote a %s element, which has no "
               "official schema here", root_name(res));
        return;
    }
    char *path = join(r->e->formats, xsd);
    char why[768] = "";
    size_t before = r->f->count;
    edi_result v = path ? mapping_schema_check(r->e->m, path, res, DOC_ERROR, "XSD", r->f, why,
                                               sizeof why)
                        : EDI_E_NOMEM;
    free(path);
    for (size_t i = before; i < r->f->count; i++)
        prefix_where(&r->f->items[i], what, ", as written: ");
    if (v == EDI_E_XML)
        refuse(r, CONVERT_FINDINGS, what, "the %s written is not valid against %s, so it is not "
               "kept", targets[r->target].name, xsd);
    else if (v != EDI_OK)
        refuse(r, CONVERT_REFUSED, what, "%s", why);
    else
        keep(r, canonical, res, style, NULL, 0, "application/xml", what);
}

/* Set the canonical element `name` under the root to `value` (a constant without markup
 * characters): its text when it is there, else a new element after the last of `after`
 * (the schema's order). */
static bool set_top(xmlDocPtr doc, const char *name, const char *value, const char *const *after)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), prev = NULL;
    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!strcmp((const char *)c->name, name)) {
            xmlNodeSetContent(c, BAD_CAST value);
            return true;
        }
        for (size_t k = 0; after[k]; k++)
            if (!strcmp((const char *)c->name, after[k]))
                prev = c;
    }
    if (!prev)
        return false;
    xmlNodePtr el = xmlNewDocNode(doc, root->ns, BAD_CAST name, BAD_CAST value);
    return el && xmlAddNextSibling(prev, el) != NULL;
}

/* The names of a rule set combination, for people. */
static const char *rules_name(unsigned rules)
{
    return rules & RULES_XRECHNUNG ? "en16931+xrechnung" : rules & RULES_PEPPOL ? "en16931+peppol"
           : "en16931";
}

/* Run the rule sets on a canonical invoice; false (and the run's status FINDINGS) when a
 * rule is broken, every breach a finding. `gate`: a document is about to be written, and a
 * finding more says it is not. */
static bool rules_pass(run *r, xmlDocPtr doc, unsigned rules, const char *what, bool gate)
{
    char why[768] = "";
    size_t before = r->f->count;
    edi_result c = en16931_check(doc, rules, r->f, why, sizeof why);
    /* EDIFACT INVOIC and openTRANS INVOICE have no place for BT-24: that it is missing
     * cannot stop them. */
    bool carries_bt24 = r->target == CONVERT_TO_CANONICAL || targets[r->target].spec;
    size_t errors = 0;
    for (size_t i = before; i < r->f->count; i++) {
        doc_finding *fd = &r->f->items[i];
        prefix_where(fd, what, ": ");
        if (!carries_bt24 && !strcmp(fd->rule, "BR-01"))
            fd->severity = DOC_WARNING;
        errors += fd->severity == DOC_ERROR;
    }
    if (c != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "the rules could not be checked: %s", why);
        return false;
    }
    if (errors && gate)
        refuse(r, CONVERT_FINDINGS, what, "the invoice breaks %zu %s rules, so it is not written; "
               "the findings name them", errors, rules_name(rules));
    else if (errors)
        worsen(r, CONVERT_FINDINGS);
    return errors == 0;
}

static void outbound(run *r, xmlDocPtr doc, const char *what)
{
    const struct target_def *t = &targets[r->target];
    const partner *p = r->opt->partner;
    if (t->root && strcmp(root_name(doc), t->root) != 0) {
        refuse(r, CONVERT_REFUSED, what, "the document is a canonical %s; --to %s converts a "
               "canonical %s", root_name(doc), t->name, t->root);
        return;
    }
    if (partner_map_outbound(p, doc, NULL) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "out of memory");
        return;
    }
    /* The rules see the BT-24 and BT-23 that will be sent. */
    static const char *const before_spec[] = { "kind", "type", NULL };
    static const char *const before_process[] = { "kind", "type", "specification", NULL };
    if (t->spec && is_invoice(doc) && (!set_top(doc, "specification", t->spec, before_spec) ||
                                       !set_top(doc, "process", t->process, before_process))) {
        refuse(r, CONVERT_REFUSED, what, "out of memory");
        return;
    }
    /* An invoice is checked before anything is written: what breaks a rule is not sent. */
    if (t->rules && is_invoice(doc) && !rules_pass(r, doc, t->rules, what, true))
        return;
    xsltStylesheetPtr style = NULL;
    if (!load_style(r, t->style, partner_stylesheet_path(p, false, t->name), what, &style))
        return;
    param_set ps = { .n = 0 };
    if (t->profile && !add_param(r, &ps, "profile", t->profile, what))
        return;
    if (t->out == OUT_EDIFACT && !edifact_params(r, &ps, what))
        return;
    char why[1024] = "", notes[2048] = "";
    xmlDocPtr res = NULL;
    edi_result a = mapping_apply(r->e->m, style, doc, param_list(&ps), &res, notes, sizeof notes,
                                 why, sizeof why);
    add_notes(r, "MAPPING", what, notes);
    if (a != EDI_OK) {
        refuse(r, a == EDI_E_XML ? CONVERT_FINDINGS : CONVERT_REFUSED, what, "%s", why);
        return;
    }
    if (t->out == OUT_EDIFACT)
        write_edifact(r, doc, res, what);
    else if (t->out == OUT_XML)
        check_xml(r, doc, res, style, what);
    else
        keep(r, doc, res, style, NULL, 0, "text/html", what);
    xmlFreeDoc(res);
}

/* ---- canonical ----------------------------------------------------------------- */

/* Complete, map and validate one canonical document (ours: `doc` is changed), then write
 * the target. `style` is the inbound stylesheet that made it; NULL: it was received as
 * canonical and is taken as it is, so only an invoice is completed (its totals and VAT
 * breakdown are what EN 16931 defines them to be), never an order, response or advice. */
static bool prepare_canonical(run *r, xmlDocPtr doc, xsltStylesheetPtr style, const char *what)
{
    char why[1024] = "", notes[2048] = "";
    if (is_invoice(doc)) {
        size_t before = r->f->count;
        if (en16931_complete(doc, r->f, why, sizeof why) != EDI_OK) {
            refuse(r, CONVERT_REFUSED, what, "%s", why);
            return false;
        }
        bool errors = false;
        for (size_t i = before; i < r->f->count; i++) {
            prefix_where(&r->f->items[i], what, ": ");
            errors = errors || r->f->items[i].severity == DOC_ERROR;
        }
        if (errors)
            worsen(r, CONVERT_FINDINGS);
    } else if (style) {
        if (canonical_totals_complete(doc, notes, sizeof notes, why, sizeof why) != EDI_OK) {
            refuse(r, CONVERT_REFUSED, what, "%s", why);
            return false;
        }
        add_notes(r, "TOTALS", what, notes);
    }
    if (partner_map_inbound(r->opt->partner, doc, NULL) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "out of memory");
        return false;
    }
    edi_result v = mapping_validate(r->e->m, doc, why, sizeof why);
    if (v != EDI_OK) {
        /* A schema we cannot read is our installation's fault, not the input's. */
        refuse(r, v == EDI_E_XML ? CONVERT_FINDINGS : CONVERT_REFUSED, what, "%s", why);
        return false;
    }
    return true;
}

static void canonical_step(run *r, xmlDocPtr doc, xsltStylesheetPtr style, const char *what)
{
    if (!prepare_canonical(r, doc, style, what))
        return;
    if (r->target == CONVERT_TO_CANONICAL)
        keep(r, doc, doc, style, NULL, 0, "application/xml", what);
    else
        outbound(r, doc, what);
}

/* The canonical document an inbound stylesheet (the partner's for `key`, else `file`)
 * makes of `src`, or NULL after saying why. The caller frees it. */
static xmlDocPtr to_canonical(run *r, xmlDocPtr src, const char *file, const char *key,
                              const char *what, xsltStylesheetPtr *style)
{
    if (!load_style(r, file, partner_stylesheet_path(r->opt->partner, true, key), what, style))
        return NULL;
    char why[1024] = "", notes[2048] = "";
    xmlDocPtr res = NULL;
    edi_result a = mapping_apply(r->e->m, *style, src, NULL, &res, notes, sizeof notes, why,
                                 sizeof why);
    add_notes(r, "MAPPING", what, notes);
    if (a != EDI_OK)
        refuse(r, a == EDI_E_XML ? CONVERT_FINDINGS : CONVERT_REFUSED, what, "%s", why);
    return res;
}

/* Apply an inbound stylesheet to `src` and go on with its canonical result. */
static void inbound(run *r, xmlDocPtr src, const char *file, const char *key, const char *what)
{
    xsltStylesheetPtr style = NULL;
    xmlDocPtr res = to_canonical(r, src, file, key, what, &style);
    if (res)
        canonical_step(r, res, style, what);
    xmlFreeDoc(res);
}

/* ---- inbound formats ----------------------------------------------------------- */

static const struct {
    const char *type;
    const char *style;
    const char *key;      /* partner profile: <stylesheet for="..."> */
} edifact_inbound[] = {
    { "ORDERS", "edifact-orders-to-canonical.xsl", "edifact-orders" },
};

static void edifact_message(run *r, xmlNodePtr msg)
{
    xmlChar *type = xmlGetProp(msg, BAD_CAST "type");
    xmlChar *ref = xmlGetProp(msg, BAD_CAST "ref");
    char what[160];
    snprintf(what, sizeof what, "message %s", ref ? (const char *)ref : "?");
    r->documents++;
    size_t k = 0;
    while (k < sizeof edifact_inbound / sizeof edifact_inbound[0] &&
           !(type && !strcmp((const char *)type, edifact_inbound[k].type)))
        k++;
    if (k == sizeof edifact_inbound / sizeof edifact_inbound[0]) {
        refuse(r, CONVERT_REFUSED, what, "%s is %s: converting it to canonical is not supported "
               "yet (ORDERS is)", what, type ? (const char *)type : "of no type");
    } else {
        /* The message on its own as the document (the stylesheet maps the first it sees):
         * it is lent to the transformation as the tree's root and put back after. Not a
         * copy (a third of the tree's cost) and not the whole tree with the parameter
         * `message` (libxslt numbers every element of the document for each run, which
         * would make an interchange of n messages cost n squared). */
        xmlDocPtr tree = msg->doc;
        xmlNodePtr parent = msg->parent, next = msg->next;
        xmlUnlinkNode(msg);
        xmlNodePtr root = xmlDocSetRootElement(tree, msg);
        inbound(r, tree, edifact_inbound[k].style, edifact_inbound[k].key, what);
        xmlDocSetRootElement(tree, root);
        if (next)
            xmlAddPrevSibling(next, msg);
        else
            xmlAddChild(parent, msg);
    }
    xmlFree(type);
    xmlFree(ref);
}

static void from_edifact(run *r, const char *buf, size_t len)
{
    if (len > MAX_EDIFACT_BYTES) {
        refuse(r, CONVERT_REFUSED, NULL, "%zu bytes of EDIFACT; at most %zu are converted at once",
               len, MAX_EDIFACT_BYTES);
        return;
    }
    char why[768] = "";
    if (open_directory(r->e, why, sizeof why) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, NULL, "%s", why);
        return;
    }
    const partner *p = r->opt->partner;
    edi_findings ef;
    edi_findings_init(&ef, 0);
    edi_reader_options ro = { .directory = r->e->dir,
                              .charset_override = p && p->charset[0] ? p->charset : NULL };
    xmlDocPtr tree = NULL;
    edi_result res = edi_xml_read_mem(buf, len, &ro, &tree, &ef);
    add_edifact_findings(r, &ef, "", true);
    if (ef.errors)
        refuse(r, CONVERT_FINDINGS, NULL, "the EDIFACT check found %zu errors", ef.errors);
    edi_findings_free(&ef);
    if (!tree) {
        refuse(r, CONVERT_REFUSED, NULL, "%s", edi_result_str(res));
        return;
    }
    xmlXPathContextPtr x = xmlXPathNewContext(tree);
    xmlXPathObjectPtr found = NULL;
    if (x && xmlXPathRegisterNs(x, BAD_CAST "e", BAD_CAST EDI_XML_NS) == 0)
        found = xmlXPathEvalExpression(BAD_CAST "//e:message", x);
    int n = found && found->nodesetval ? found->nodesetval->nodeNr : 0;
    if (!found)
        refuse(r, CONVERT_REFUSED, NULL, "out of memory");
    else if (n == 0)
        refuse(r, CONVERT_FINDINGS, NULL, "the interchange holds no message to convert");
    for (int i = 0; i < n; i++)
        edifact_message(r, found->nodesetval->nodeTab[i]);
    xmlXPathFreeObject(found);
    xmlXPathFreeContext(x);
    xmlFreeDoc(tree);
}

/* Lint a received openTRANS document: lenient, its deviations are warnings; for a partner
 * whose profile says strict, errors, and the document is not converted. */
static bool opentrans_ok(run *r, xmlDocPtr doc, const char *what)
{
    const partner *p = r->opt->partner;
    bool strict = p && p->opentrans_strict;
    char why[768] = "";
    size_t before = r->f->count;
    edi_result l = opentrans_lint(r->e->m, r->e->formats, doc, strict, r->f, why, sizeof why);
    size_t errors = 0;
    for (size_t i = before; i < r->f->count; i++) {
        prefix_where(&r->f->items[i], what, ": ");
        errors += r->f->items[i].severity == DOC_ERROR;
    }
    if (l != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "the openTRANS check could not run: %s", why);
        return false;
    }
    if (errors) {
        refuse(r, CONVERT_FINDINGS, what, "%zu deviations from the openTRANS schema; the partner "
               "profile %s asks for strict openTRANS, so the document is not converted", errors,
               p ? p->id : "");
        return false;
    }
    return true;
}

/* The kind of e-invoice a UBL or CII document is; a BT-24 we do not know is a warning
 * (the document is still converted: `invoice check` decides about BR-01). */
static bool einvoice_of(run *r, xmlDocPtr doc, const char *what, einvoice_kind *kind)
{
    char why[512] = "";
    if (einvoice_identify(doc, kind, why, sizeof why) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, what, "%s", why);
        return false;
    }
    if (kind->spec == EINVOICE_SPEC_UNKNOWN)
        doc_findings_add(r->f, DOC_WARNING, "BT-24", 0, what, "%s; converted as plain EN 16931",
                         why);
    return true;
}

static void from_xml(run *r, const char *buf, size_t len, mapping_format format)
{
    const char *what = mapping_format_name(format);
    char why[768] = "";
    xmlDocPtr doc = NULL;
    r->documents++;
    /* Parsed before anything else: an unsafe document is refused either way. */
    if (mapping_parse_xml(buf, len, &doc, why, sizeof why) != EDI_OK) {
        refuse(r, CONVERT_REFUSED, NULL, "%s", why);
        return;
    }
    einvoice_kind kind;
    switch (format) {
    case MAPPING_FORMAT_OPENTRANS_21_ORDER:
    case MAPPING_FORMAT_OPENTRANS_10_ORDER:
        if (opentrans_ok(r, doc, what))
            inbound(r, doc, "opentrans-order-to-canonical.xsl", "opentrans-order", what);
        break;
    case MAPPING_FORMAT_UBL_INVOICE:
    case MAPPING_FORMAT_UBL_CREDIT_NOTE:
    case MAPPING_FORMAT_CII_INVOICE:
        if (einvoice_of(r, doc, what, &kind))
            inbound(r, doc, einvoice_stylesheet(kind.syntax),
                    kind.syntax == EINVOICE_SYNTAX_CII ? "cii-invoice" : "ubl-invoice", what);
        break;
    default:
        /* The four canonical documents are taken as they are. */
        canonical_step(r, doc, NULL, what);
        break;
    }
    xmlFreeDoc(doc);
}

convert_status convert_run(convert_engine *e, const char *buf, size_t len, convert_target target,
                           const convert_options *opt, convert_results *out,
                           doc_findings *findings, char *why, size_t why_n)
{
    static const convert_options none = { 0 };
    if (!e || !buf || !out || !findings || target >= CONVERT_TARGET_COUNT) {
        edi_say(why, why_n, "convert_run: missing argument");
        return CONVERT_REFUSED;
    }
    run r = { e, target, opt ? opt : &none, out, findings, why, why_n, CONVERT_DONE, CONVERT_DONE, 0 };
    size_t kept_before = out->count;
    if (!convert_target_available(e, target, why, why_n))
        return CONVERT_REFUSED;
    char detected[512] = "";
    mapping_format format = mapping_detect(buf, len, detected, sizeof detected);
    switch (format) {
    case MAPPING_FORMAT_EDIFACT:
        from_edifact(&r, buf, len);
        break;
    case MAPPING_FORMAT_UNKNOWN:
    case MAPPING_FORMAT_XML_OTHER:
        refuse(&r, CONVERT_REFUSED, NULL, "%s", detected);
        break;
    case MAPPING_FORMAT_JSON:
        refuse(&r, CONVERT_REFUSED, NULL, "the file is JSON; converting it to canonical is not "
               "supported yet (a web order comes through POST /api/orders, from a partner "
               "whose profile accepts web-order)");
        break;
    default:
        from_xml(&r, buf, len, format);
        break;
    }
    if (r.status != CONVERT_DONE && r.said == CONVERT_DONE)
        edi_say(why, why_n, "%zu of %zu documents converted; the findings say why not the others",
                out->count - kept_before, r.documents);
    return r.status;
}

/* The rule sets a canonical invoice's specification identifier (BT-24) asks for; a UBL or
 * CII invoice is identified by einvoice_identify instead. */
static unsigned rules_of_specification(xmlDocPtr doc)
{
    xmlChar *spec = top_value(doc, "specification");
    unsigned rules = RULES_CORE;
    if (spec && strstr((const char *)spec, "xrechnung"))
        rules |= RULES_XRECHNUNG;
    else if (spec && strstr((const char *)spec, "peppol"))
        rules |= RULES_PEPPOL;
    xmlFree(spec);
    return rules;
}

convert_status convert_check_invoice(convert_engine *e, const char *buf, size_t len,
                                     convert_rules rules, const convert_options *opt,
                                     doc_findings *findings, const char **rules_used,
                                     char *why, size_t why_n)
{
    static const convert_options none = { 0 };
    if (rules_used)
        *rules_used = "";
    if (!e || !buf || !findings) {
        edi_say(why, why_n, "convert_check_invoice: missing argument");
        return CONVERT_REFUSED;
    }
    run r = { e, CONVERT_TO_CANONICAL, opt ? opt : &none, NULL, findings, why, why_n,
              CONVERT_DONE, CONVERT_DONE, 1 };
    char detected[512] = "";
    mapping_format format = mapping_detect(buf, len, detected, sizeof detected);
    bool einvoice = format == MAPPING_FORMAT_UBL_INVOICE ||
                    format == MAPPING_FORMAT_UBL_CREDIT_NOTE || format == MAPPING_FORMAT_CII_INVOICE;
    if (!einvoice && format != MAPPING_FORMAT_CANONICAL_INVOICE) {
        edi_say(why, why_n, "%s; invoice check reads UBL Invoice or CreditNote, CII "
                "CrossIndustryInvoice or a canonical invoice",
                format == MAPPING_FORMAT_UNKNOWN || format == MAPPING_FORMAT_XML_OTHER
                ? detected : mapping_format_name(format));
        return CONVERT_REFUSED;
    }
    const char *what = mapping_format_name(format);
    xmlDocPtr src = NULL;
    if (mapping_parse_xml(buf, len, &src, detected, sizeof detected) != EDI_OK) {
        edi_say(why, why_n, "%s", detected);
        return CONVERT_REFUSED;
    }
    xsltStylesheetPtr style = NULL;
    einvoice_kind kind = { .spec = EINVOICE_SPEC_UNKNOWN };
    xmlDocPtr doc = src;
    if (einvoice)
        doc = einvoice_of(&r, src, what, &kind)
              ? to_canonical(&r, src, einvoice_stylesheet(kind.syntax),
                             kind.syntax == EINVOICE_SYNTAX_CII ? "cii-invoice" : "ubl-invoice",
                             what, &style)
              : NULL;
    /* A canonical invoice the schema refuses is still checked: the rules say more about
     * what is missing than the schema does. */
    if (doc && (prepare_canonical(&r, doc, style, what) || r.status == CONVERT_FINDINGS)) {
        unsigned sets = rules == CONVERT_RULES_EN16931 ? RULES_CORE
                        : rules == CONVERT_RULES_XRECHNUNG ? RULES_CORE | RULES_XRECHNUNG
                        : rules == CONVERT_RULES_PEPPOL ? RULES_CORE | RULES_PEPPOL
                        : !einvoice ? rules_of_specification(doc)
                        : kind.spec == EINVOICE_SPEC_XRECHNUNG ? RULES_CORE | RULES_XRECHNUNG
                        : kind.spec == EINVOICE_SPEC_PEPPOL_BIS3 ? RULES_CORE | RULES_PEPPOL
                        : RULES_CORE;
        if (rules_used)
            *rules_used = rules_name(sets);
        rules_pass(&r, doc, sets, what, false);
    }
    if (doc != src)
        xmlFreeDoc(doc);
    xmlFreeDoc(src);
    if (r.status != CONVERT_DONE && r.said == CONVERT_DONE)
        edi_say(why, why_n, "the invoice is not valid; the findings say why");
    return r.status;
}

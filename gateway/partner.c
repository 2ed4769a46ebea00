/* Partner profiles: read with the safe XML parser, validated against partners/partner.xsd
 * (every error a finding with its line), then copied into a plain record so that nothing
 * later depends on the profile's tree. */
#include "partner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_xml.h"

static bool is_partner_el(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, PARTNER_NS) && !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_partner_el(c, name))
            return c;
    return NULL;
}

/* The element's text (or attribute `attr`) into dst; "" when absent. */
static void copy_value(xmlNodePtr n, const char *attr, char *dst, size_t n_dst)
{
    dst[0] = '\0';
    if (!n)
        return;
    xmlChar *v = attr ? xmlGetProp(n, BAD_CAST attr) : xmlNodeGetContent(n);
    if (v)
        snprintf(dst, n_dst, "%s", (const char *)v);
    xmlFree(v);
}

void partner_free(partner *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_styles; i++)
        free(p->styles[i].path);
    free(p->styles);
    free(p->maps);
    free(p->file);
    free(p);
}

static edi_result add_style(partner *p, const char *folder, xmlNodePtr el, bool inbound)
{
    char key[24], href[1024];
    copy_value(el, inbound ? "for" : "target", key, sizeof key);
    copy_value(el, "href", href, sizeof href);
    partner_stylesheet *grown = realloc(p->styles, (p->n_styles + 1) * sizeof *grown);
    if (!grown)
        return EDI_E_NOMEM;
    p->styles = grown;
    size_t len = strlen(folder) + strlen(href) + 2;
    char *path = malloc(len);
    if (!path)
        return EDI_E_NOMEM;
    snprintf(path, len, "%s/%s", folder, href);
    partner_stylesheet *s = &p->styles[p->n_styles++];
    s->inbound = inbound;
    snprintf(s->key, sizeof s->key, "%s", key);
    s->path = path;
    return EDI_OK;
}

static edi_result add_map(partner *p, xmlNodePtr el, partner_map_kind kind)
{
    partner_map *grown = realloc(p->maps, (p->n_maps + 1) * sizeof *grown);
    if (!grown)
        return EDI_E_NOMEM;
    p->maps = grown;
    partner_map *m = &p->maps[p->n_maps++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    copy_value(el, "partner", m->code, sizeof m->code);
    copy_value(el, kind == PARTNER_MAP_UNIT ? "rec20" : kind == PARTNER_MAP_REFERENCE ? "kind" : "role",
               m->canonical, sizeof m->canonical);
    m->directions = PARTNER_IN;
    if (kind == PARTNER_MAP_UNIT) {
        char dir[8];
        copy_value(el, "direction", dir, sizeof dir);
        m->directions = !strcmp(dir, "in") ? PARTNER_IN : !strcmp(dir, "out") ? PARTNER_OUT
                        : PARTNER_IN | PARTNER_OUT;
    }
    return EDI_OK;
}

/* The tree was validated: every value has the form the schema gives it. */
static edi_result read_profile(partner *p, xmlNodePtr root, const char *folder)
{
    copy_value(root, "id", p->id, sizeof p->id);
    copy_value(child(root, "name"), NULL, p->name, sizeof p->name);
    edi_result r = EDI_OK;
    xmlNodePtr in = child(root, "inbound");
    char mode[16];
    copy_value(child(in, "opentrans"), "mode", mode, sizeof mode);
    p->opentrans_strict = !strcmp(mode, "strict");
    copy_value(child(in, "charset"), NULL, p->charset, sizeof p->charset);
    for (xmlNodePtr c = in ? in->children : NULL; c && r == EDI_OK; c = c->next)
        if (is_partner_el(c, "stylesheet"))
            r = add_style(p, folder, c, true);
    xmlNodePtr out = child(root, "outbound");
    xmlNodePtr edi = child(out, "edifact");
    copy_value(child(edi, "directory"), NULL, p->directory, sizeof p->directory);
    copy_value(child(edi, "association"), NULL, p->association, sizeof p->association);
    xmlNodePtr syntax = child(edi, "syntax");
    copy_value(syntax, "id", p->syntax_id, sizeof p->syntax_id);
    char version[4];
    copy_value(syntax, "version", version, sizeof version);
    p->syntax_version = version[0] ? version[0] - '0' : 0;
    xmlNodePtr seps = child(edi, "separators");
    copy_value(seps, NULL, p->separators, sizeof p->separators);
    char rep[4];
    copy_value(seps, "repetition", rep, sizeof rep);
    p->repetition = rep[0];
    char breaks[8];
    copy_value(child(edi, "lineBreaks"), NULL, breaks, sizeof breaks);
    p->line_break = !strcmp(breaks, "lf") ? "\n" : !strcmp(breaks, "crlf") ? "\r\n"
                    : !strcmp(breaks, "none") ? "" : NULL;
    for (xmlNodePtr c = out ? out->children : NULL; c && r == EDI_OK; c = c->next)
        if (is_partner_el(c, "stylesheet"))
            r = add_style(p, folder, c, false);
    xmlNodePtr maps = child(root, "codeMaps");
    static const struct { const char *el; partner_map_kind kind; } map_els[] = {
        { "unit", PARTNER_MAP_UNIT }, { "reference", PARTNER_MAP_REFERENCE },
        { "date", PARTNER_MAP_DATE }, { "party", PARTNER_MAP_PARTY },
    };
    for (xmlNodePtr c = maps ? maps->children : NULL; c && r == EDI_OK; c = c->next)
        for (size_t k = 0; k < sizeof map_els / sizeof map_els[0]; k++)
            if (is_partner_el(c, map_els[k].el))
                r = add_map(p, c, map_els[k].kind);
    return r;
}

/* The folder part of `file` ("." when there is none). */
static char *folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == file ? 1 : (size_t)(slash - file);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, file, n);
        d[n] = '\0';
    }
    return d;
}

edi_result partner_load(mapping_ctx *m, const char *schema_path, const char *file,
                        partner **out, doc_findings *findings, char *why, size_t why_n)
{
    if (!m || !schema_path || !file || !out || !findings)
        return EDI_E_ARG;
    *out = NULL;
    xmlDocPtr doc = NULL;
    char reason[512] = "";
    edi_result r = edi_xml_parse_file(file, &doc, reason, sizeof reason);
    if (r != EDI_OK) {
        long line = 0;
        if (sscanf(reason, "line %ld:", &line) != 1)
            line = 0;
        if (r == EDI_E_XML || r == EDI_E_LIMIT) {
            doc_findings_add(findings, DOC_ERROR, "PARTNER", line, file, "%s", reason);
            edi_say(why, why_n, "the partner profile %s is refused: %s", file, reason);
            return EDI_E_XML;
        }
        edi_say(why, why_n, "the partner profile %s cannot be read: %s", file, reason);
        return r;
    }
    size_t before = findings->count;
    char sentence[512] = "";
    r = mapping_schema_check(m, schema_path, doc, DOC_ERROR, "PARTNER", findings, sentence,
                             sizeof sentence);
    /* The schema's findings name the element; the file is what the user has to open. */
    for (size_t i = before; i < findings->count; i++) {
        doc_finding *f = &findings->items[i];
        char where[512];
        int n = snprintf(where, sizeof where, "%s%s%s", file, f->where[0] ? " " : "", f->where);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof f->where ? (size_t)n : sizeof f->where - 1;
        memcpy(f->where, where, len);
        f->where[len] = '\0';
    }
    if (r != EDI_OK) {
        xmlFreeDoc(doc);
        if (r == EDI_E_XML) {
            const doc_finding *first = findings->count > before ? &findings->items[before] : NULL;
            edi_say(why, why_n, "the partner profile %s is refused: line %ld: %s", file,
                    first ? first->line : 0L, first ? first->text : sentence);
        } else {
            edi_say(why, why_n, "the partner profile %s cannot be checked: %s", file, sentence);
        }
        return r;
    }
    partner *p = calloc(1, sizeof *p);
    char *folder = folder_of(file);
    if (p)
        p->file = strdup(file);
    r = p && folder && p->file ? read_profile(p, xmlDocGetRootElement(doc), folder) : EDI_E_NOMEM;
    free(folder);
    xmlFreeDoc(doc);
    if (r != EDI_OK) {
        partner_free(p);
        edi_say(why, why_n, "out of memory reading the partner profile %s", file);
        return r;
    }
    *out = p;
    return EDI_OK;
}

static bool plain_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64 || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

edi_result partner_find(mapping_ctx *m, const char *schema_path, const char *dir,
                        const char *id, partner **out, doc_findings *findings, char *why,
                        size_t why_n)
{
    if (!dir || !id)
        return EDI_E_ARG;
    if (!plain_id(id)) {
        edi_say(why, why_n, "\"%.64s\" is not a partner id: ids are letters, digits, '_', '-' and "
                "'.', not starting with '.'", id);
        return EDI_E_ARG;
    }
    size_t len = strlen(dir) + strlen(id) + 6;
    char *file = malloc(len);
    if (!file) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    snprintf(file, len, "%s/%s.xml", dir, id);
    edi_result r = partner_load(m, schema_path, file, out, findings, why, why_n);
    free(file);
    return r;
}

const char *partner_stylesheet_path(const partner *p, bool inbound, const char *key)
{
    for (size_t i = 0; p && key && i < p->n_styles; i++)
        if (p->styles[i].inbound == inbound && !strcmp(p->styles[i].key, key))
            return p->styles[i].path;
    return NULL;
}

/* ---- code maps ------------------------------------------------------------------- */

static const partner_map *find_map(const partner *p, partner_map_kind kind, unsigned direction,
                                   const char *value, bool by_canonical)
{
    for (size_t i = 0; value && i < p->n_maps; i++) {
        const partner_map *m = &p->maps[i];
        if (m->kind == kind && (m->directions & direction) &&
            !strcmp(by_canonical ? m->canonical : m->code, value))
            return m;
    }
    return NULL;
}

static bool is_canonical(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, MAPPING_CANONICAL_NS);
}

typedef struct {
    const partner *p;
    size_t changed;
    edi_result r;
} walk;

static void set_attr(walk *w, xmlNodePtr n, const char *name, const char *value)
{
    xmlChar *old = xmlGetProp(n, BAD_CAST name);
    bool same = old && !strcmp((const char *)old, value);
    xmlFree(old);
    if (same)
        return;
    if (!xmlSetProp(n, BAD_CAST name, BAD_CAST value))
        w->r = EDI_E_NOMEM;
    else
        w->changed++;
}

/* One unit pair (@unit/@unitAsSent or @basisUnit/@basisUnitAsSent) inbound. */
static void unit_in(walk *w, xmlNodePtr n, const char *unit, const char *as_sent)
{
    xmlChar *sent = xmlGetProp(n, BAD_CAST as_sent);
    if (!sent)
        sent = xmlGetProp(n, BAD_CAST unit);
    const partner_map *m = find_map(w->p, PARTNER_MAP_UNIT, PARTNER_IN, (const char *)sent, false);
    if (m) {
        set_attr(w, n, unit, m->canonical);
        set_attr(w, n, as_sent, (const char *)sent);
    }
    xmlFree(sent);
}

static void unit_out(walk *w, xmlNodePtr n, const char *unit, const char *as_sent)
{
    xmlChar *rec20 = xmlGetProp(n, BAD_CAST unit);
    const partner_map *m = find_map(w->p, PARTNER_MAP_UNIT, PARTNER_OUT, (const char *)rec20, true);
    if (m) {
        set_attr(w, n, unit, m->code);
        set_attr(w, n, as_sent, m->code);
    }
    xmlFree(rec20);
}

static void qualifier_in(walk *w, xmlNodePtr n, partner_map_kind kind, const char *attr)
{
    xmlChar *q = xmlGetProp(n, BAD_CAST "qualifier");
    const partner_map *m = find_map(w->p, kind, PARTNER_IN, (const char *)q, false);
    if (m)
        set_attr(w, n, attr, m->canonical);
    xmlFree(q);
}

static void walk_tree(walk *w, xmlNodePtr n, bool inbound)
{
    for (; n && w->r == EDI_OK; n = n->next) {
        if (!is_canonical(n))
            continue;
        const char *name = (const char *)n->name;
        /* Extensions hold what was received as it came: never rewritten. */
        if (!strcmp(name, "extension"))
            continue;
        if (inbound) {
            unit_in(w, n, "unit", "unitAsSent");
            unit_in(w, n, "basisUnit", "basisUnitAsSent");
            if (!strcmp(name, "reference"))
                qualifier_in(w, n, PARTNER_MAP_REFERENCE, "kind");
            else if (!strcmp(name, "date"))
                qualifier_in(w, n, PARTNER_MAP_DATE, "role");
            else if (!strcmp(name, "party"))
                qualifier_in(w, n, PARTNER_MAP_PARTY, "role");
        } else {
            unit_out(w, n, "unit", "unitAsSent");
            unit_out(w, n, "basisUnit", "basisUnitAsSent");
        }
        walk_tree(w, n->children, inbound);
    }
}

static edi_result apply_maps(const partner *p, xmlDocPtr doc, size_t *changed, bool inbound)
{
    if (changed)
        *changed = 0;
    if (!p || !p->n_maps)
        return EDI_OK;
    if (!doc)
        return EDI_E_ARG;
    walk w = { p, 0, EDI_OK };
    walk_tree(&w, xmlDocGetRootElement(doc), inbound);
    if (changed)
        *changed = w.changed;
    return w.r;
}

edi_result partner_map_inbound(const partner *p, xmlDocPtr doc, size_t *changed)
{
    return apply_maps(p, doc, changed, true);
}

edi_result partner_map_outbound(const partner *p, xmlDocPtr doc, size_t *changed)
{
    return apply_maps(p, doc, changed, false);
}

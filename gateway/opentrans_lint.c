/* opentrans_lint.c: see opentrans_lint.h. Two passes over one document: our own checks
 * walk the tree (one finding per deviating element), then the official schema validates it
 * and each of its errors that our checks did not already explain becomes a sentence of its
 * own. What the schema says about names, units, currencies and dates is read from its
 * files, so that the checks and the schema cannot drift apart. */
#include "opentrans_lint.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_xml.h"

#define OT21_NS "http://www.opentrans.org/XMLSchema/2.1"
#define OT10_NS "http://www.opentrans.org/XMLSchema/1.0"
#define BMECAT_NS "http://www.bmecat.org/bmecat/2005"
#define XSD_NS "http://www.w3.org/2001/XMLSchema"

/* ---- what the schema files say --------------------------------------------------- */

/* A sorted set of names; the strings belong to the schema trees in schema_facts. */
typedef struct {
    const char **v;
    size_t n, cap;
} name_set;

typedef struct {
    xmlDocPtr ot_xsd, bm_xsd;
    name_set ot_names;      /* global elements of opentrans_2_1.xsd */
    name_set bm_names;      /* global elements of bmecat_2005.xsd */
    name_set bm_from_ot;    /* elements opentrans_2_1.xsd takes from BMEcat (ref="bmecat:X") */
    name_set date_names;    /* elements of type dtDATETIME */
    name_set unit_names;    /* elements of type dtPUNIT */
    name_set currency_names;/* elements of type dtCURRENCIES */
    name_set units;         /* the dtPUNIT enumeration */
    name_set currencies;    /* the dtCURRENCIES enumeration */
    name_set complex_types; /* named complex types whose content is elements */
    name_set element_only;  /* elements whose content is elements (may be empty) */
} schema_facts;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool set_add(name_set *s, const char *name)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const char **grown = realloc(s->v, cap * sizeof *grown);
        if (!grown)
            return false;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = name;
    return true;
}

static void set_sort(name_set *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static bool set_has(const name_set *s, const char *name)
{
    return name && s->n && bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void facts_free(schema_facts *f)
{
    name_set *sets[] = { &f->ot_names, &f->bm_names, &f->bm_from_ot, &f->date_names,
                         &f->unit_names, &f->currency_names, &f->units, &f->currencies,
                         &f->complex_types, &f->element_only };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        free(sets[i]->v);
    xmlFreeDoc(f->ot_xsd);
    xmlFreeDoc(f->bm_xsd);
}

/* The facts as the mapping context's cache frees them. */
static void facts_release(void *p)
{
    facts_free(p);
    free(p);
}

static bool is_xsd(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && !strcmp((const char *)n->ns->href, XSD_NS) &&
           !strcmp((const char *)n->name, name);
}

static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (!a->ns && !strcmp((const char *)a->name, name) && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static const char *no_prefix(const char *qname)
{
    const char *colon = qname ? strchr(qname, ':') : NULL;
    return colon ? colon + 1 : qname;
}

/* The simple type an element declaration builds on: @type, or the base of its own
 * simpleType or simpleContent restriction/extension. */
static const char *element_base_type(const xmlNode *el)
{
    const char *t = attr(el, "type");
    if (t)
        return no_prefix(t);
    for (const xmlNode *c = el->children; c; c = c->next) {
        if (!is_xsd(c, "simpleType") && !is_xsd(c, "complexType"))
            continue;
        for (const xmlNode *d = c->children; d; d = d->next) {
            if (is_xsd(d, "restriction"))
                return no_prefix(attr(d, "base"));
            if (is_xsd(d, "simpleContent"))
                for (const xmlNode *e = d->children; e; e = e->next)
                    if ((is_xsd(e, "restriction") || is_xsd(e, "extension")) && attr(e, "base"))
                        return no_prefix(attr(e, "base"));
        }
    }
    return NULL;
}

/* A complexType whose content is elements (a sequence, choice, all or group, or a
 * complexContent derivation), as opposed to text with attributes. */
static bool has_element_content(const xmlNode *ct)
{
    for (const xmlNode *c = ct->children; c; c = c->next)
        if (is_xsd(c, "sequence") || is_xsd(c, "choice") || is_xsd(c, "all") ||
            is_xsd(c, "group") || is_xsd(c, "complexContent"))
            return true;
    return false;
}

/* The named complex types with element content, from both files (first pass). */
static bool scan_complex_types(schema_facts *f, const xmlNode *root)
{
    for (const xmlNode *c = root->children; c; c = c->next)
        if (is_xsd(c, "complexType") && attr(c, "name") && has_element_content(c) &&
            !set_add(&f->complex_types, attr(c, "name")))
            return false;
    return true;
}

/* Whether the declaration `el` has element content: its own complexType, or a named one. */
static bool declares_element_content(const schema_facts *f, const xmlNode *el)
{
    const char *t = attr(el, "type");
    if (t)
        return set_has(&f->complex_types, no_prefix(t));
    for (const xmlNode *c = el->children; c; c = c->next)
        if (is_xsd(c, "complexType"))
            return has_element_content(c);
    return false;
}

/* Every element declaration below `n`: names, references, and the sets by type. */
static bool scan_schema(schema_facts *f, const xmlNode *n, bool is_ot, int depth)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_xsd(c, "element")) {
            const char *name = attr(c, "name");
            const char *ref = attr(c, "ref");
            if (name && depth == 0 && !set_add(is_ot ? &f->ot_names : &f->bm_names, name))
                return false;
            if (name && declares_element_content(f, c) && !set_add(&f->element_only, name))
                return false;
            if (is_ot && ref && !strncmp(ref, "bmecat:", 7) && !set_add(&f->bm_from_ot, ref + 7))
                return false;
            const char *type = name ? element_base_type(c) : NULL;
            if (type) {
                name_set *s = !strcmp(type, "dtDATETIME") ? &f->date_names
                            : !strcmp(type, "dtPUNIT") ? &f->unit_names
                            : !strcmp(type, "dtCURRENCIES") ? &f->currency_names : NULL;
                if (s && !set_add(s, name))
                    return false;
            }
        }
        if (!is_ot && depth == 0 && is_xsd(c, "simpleType")) {
            const char *name = attr(c, "name");
            name_set *s = !name ? NULL : !strcmp(name, "dtPUNIT") ? &f->units
                        : !strcmp(name, "dtCURRENCIES") ? &f->currencies : NULL;
            for (const xmlNode *r = s ? c->children : NULL; r; r = r->next)
                for (const xmlNode *e = is_xsd(r, "restriction") ? r->children : NULL; e; e = e->next)
                    if (is_xsd(e, "enumeration") && attr(e, "value") && !set_add(s, attr(e, "value")))
                        return false;
        }
        if (!scan_schema(f, c, is_ot, depth + 1))
            return false;
    }
    return true;
}

static edi_result facts_load(schema_facts *f, const char *formats_dir, char *why, size_t why_n)
{
    static const char *const files[] = { "/xsd/opentrans/opentrans_2_1.xsd",
                                         "/xsd/opentrans/bmecat_2005.xsd" };
    xmlDocPtr *docs[] = { &f->ot_xsd, &f->bm_xsd };
    for (size_t i = 0; i < 2; i++) {
        char path[4096], reason[400] = "";
        snprintf(path, sizeof path, "%s%s", formats_dir, files[i]);
        edi_result r = edi_xml_parse_file(path, docs[i], reason, sizeof reason);
        if (r != EDI_OK) {
            edi_say(why, why_n, "the openTRANS schema %s cannot be read: %s", path, reason);
            return r == EDI_E_NOMEM ? EDI_E_NOMEM : EDI_E_IO;
        }
        if (!scan_complex_types(f, xmlDocGetRootElement(*docs[i]))) {
            edi_say(why, why_n, "out of memory");
            return EDI_E_NOMEM;
        }
    }
    set_sort(&f->complex_types);
    for (size_t i = 0; i < 2; i++)
        if (!scan_schema(f, xmlDocGetRootElement(*docs[i]), i == 0, 0)) {
            edi_say(why, why_n, "out of memory");
            return EDI_E_NOMEM;
        }
    if (!f->units.n || !f->currencies.n || !f->ot_names.n || !f->bm_from_ot.n) {
        edi_say(why, why_n, "the openTRANS schema in %s/xsd/opentrans lacks its unit or currency list",
                formats_dir);
        return EDI_E_IO;
    }
    name_set *sets[] = { &f->ot_names, &f->bm_names, &f->bm_from_ot, &f->date_names,
                         &f->unit_names, &f->currency_names, &f->units, &f->currencies,
                         &f->element_only };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        set_sort(sets[i]);
    return EDI_OK;
}

/* ---- the document ---------------------------------------------------------------- */

typedef enum { NS_UNKNOWN, NS_OT, NS_BM, NS_NONE, NS_OTHER } ns_kind;

static ns_kind ns_of(const xmlNode *n, bool v21)
{
    if (!n->ns || !n->ns->href || !*n->ns->href)
        return NS_NONE;
    const char *h = (const char *)n->ns->href;
    if (!strcmp(h, BMECAT_NS))
        return NS_BM;
    if (!strcmp(h, v21 ? OT21_NS : OT10_NS))
        return NS_OT;
    return NS_OTHER;
}

/* The party references: every element of type typePARTY_ID whose name ends in _IDREF,
 * except the catalogue's classification system. */
static bool is_party_idref(const char *name)
{
    static const char *const refs[] = {
        "BUYER_IDREF", "CUSTOMER_IDREF", "DELIVERER_IDREF", "DELIVERY_IDREF",
        "DOCUMENT_CREATOR_IDREF", "DOCUMENT_ISSUER_IDREF", "DOCUMENT_RECIPIENT_IDREF",
        "FINAL_DELIVERY_IDREF", "INVOICE_ISSUER_IDREF", "INVOICE_RECIPIENT_IDREF",
        "IPP_OPERATOR_IDREF", "MANUFACTURER_IDREF", "PARTY_IDREF", "PAYER_IDREF",
        "REMITTEE_IDREF", "SUPPLIER_IDREF", "VERIFICATION_PARTY_IDREF",
    };
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        if (!strcmp(name, refs[i]))
            return true;
    return false;
}

static bool has_element_child(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* The element's own text (text and CDATA children joined); the caller frees. */
static char *own_text(const xmlNode *n)
{
    size_t len = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            len += strlen((const char *)c->content);
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t k = strlen((const char *)c->content);
            memcpy(s + o, c->content, k);
            o += k;
        }
    s[o] = '\0';
    return s;
}

/* `s` without leading and trailing white space, written into `dst`. */
static void trimmed(const char *s, char *dst, size_t n)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    snprintf(dst, n, "%.*s", (int)len, s);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* "bmecat:NAME" for a BMEcat element, the bare name for any other. */
static void display_name(const xmlNode *n, bool v21, char *dst, size_t size)
{
    snprintf(dst, size, "%s%s", ns_of(n, v21) == NS_BM ? "bmecat:" : "", (const char *)n->name);
}

/* Where the element is, in words a support person can follow: the names from the root. */
static void where_of(const xmlNode *n, char *dst, size_t size)
{
    const xmlNode *chain[64];
    size_t depth = 0;
    for (const xmlNode *p = n; p && p->type == XML_ELEMENT_NODE && depth < 64; p = p->parent)
        chain[depth++] = p;
    size_t o = 0;
    dst[0] = '\0';
    while (depth-- && o + 1 < size) {
        int k = snprintf(dst + o, size - o, "/%s", (const char *)chain[depth]->name);
        if (k < 0)
            break;
        o += (size_t)k < size - o ? (size_t)k : size - o - 1;
    }
}

/* ---- dates: bmecat dtDATETIME --------------------------------------------------- */

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY[-MM[-DD[Thh:mm[:ss[.f+]][Z|+hh:mm|-hh:mm]]]], as the schema's pattern has it. */
static bool is_dtdatetime(const char *s)
{
    if (!digits(s, 4))
        return false;
    s += 4;
    if (!*s)
        return true;
    if (s[0] != '-' || !digits(s + 1, 2) || two(s + 1) < 1 || two(s + 1) > 12)
        return false;
    s += 3;
    if (!*s)
        return true;
    if (s[0] != '-' || !digits(s + 1, 2) || two(s + 1) < 1 || two(s + 1) > 31)
        return false;
    s += 3;
    if (!*s)
        return true;
    if (s[0] != 'T' || !digits(s + 1, 2) || two(s + 1) > 23 || s[3] != ':' || !digits(s + 4, 2) ||
        two(s + 4) > 59)
        return false;
    s += 6;
    if (s[0] == ':') {
        if (!digits(s + 1, 2) || two(s + 1) > 59)
            return false;
        s += 3;
        if (s[0] == '.') {
            if (!isdigit((unsigned char)s[1]))
                return false;
            s++;
            while (isdigit((unsigned char)*s))
                s++;
        }
    }
    if (!*s)
        return true;
    if (s[0] == 'Z')
        return s[1] == '\0';
    return (s[0] == '+' || s[0] == '-') && digits(s + 1, 2) && two(s + 1) <= 23 && s[3] == ':' &&
           digits(s + 4, 2) && two(s + 4) <= 59 && s[6] == '\0';
}

/* ---- the walk -------------------------------------------------------------------- */

typedef struct {
    const schema_facts *sf;
    bool v21;
    doc_findings own;          /* our own findings, severity decided at the end */
    const xmlNode **nodes;     /* the element each own finding is about */
    size_t nodes_cap;
    name_set party_ids;        /* PARTY_ID values (strings owned by party_texts) */
    char **party_texts;
    size_t n_party_texts, cap_party_texts;
    edi_result failed;
} lint_ctx;

static void add_own(lint_ctx *c, const xmlNode *n, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_own(lint_ctx *c, const xmlNode *n, const char *rule, const char *fmt, ...)
{
    if (c->failed != EDI_OK)
        return;
    if (c->own.count + 1 > c->nodes_cap) {
        size_t cap = c->nodes_cap ? c->nodes_cap * 2 : 32;
        const xmlNode **grown = realloc(c->nodes, cap * sizeof *grown);
        if (!grown) {
            c->failed = EDI_E_NOMEM;
            return;
        }
        c->nodes = grown;
        c->nodes_cap = cap;
    }
    char text[640], where[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    where_of(n, where, sizeof where);
    size_t before = c->own.count;
    if (doc_findings_add(&c->own, DOC_WARNING, rule, xmlGetLineNo(n), where, "%s", text) != EDI_OK) {
        c->failed = EDI_E_NOMEM;
        return;
    }
    if (c->own.count > before)
        c->nodes[before] = n;
}

static void check_prefix(lint_ctx *c, const xmlNode *n, ns_kind expected, ns_kind actual)
{
    long line = xmlGetLineNo(n);
    const char *name = (const char *)n->name;
    if (expected == NS_BM && actual == NS_OT)
        add_own(c, n, "OT-PREFIX",
                "%s (line %ld) is written without the bmecat: prefix, so it is in the openTRANS "
                "namespace; the schema takes %s from BMEcat 2005 and expects bmecat:%s "
                "(namespace " BMECAT_NS "). It was read anyway.", name, line, name, name);
    else if (expected == NS_OT && actual == NS_BM)
        add_own(c, n, "OT-PREFIX",
                "bmecat:%s (line %ld) is in the BMEcat namespace, but openTRANS 2.1 defines %s "
                "itself; it should be written without the bmecat: prefix (namespace " OT21_NS
                "). It was read anyway.", name, line, name);
    else if (actual == NS_NONE)
        add_own(c, n, "OT-PREFIX",
                "%s (line %ld) has no namespace; openTRANS 2.1 expects it in the %s namespace (%s). "
                "It was read anyway.", name, line, expected == NS_BM ? "BMEcat" : "openTRANS",
                expected == NS_BM ? BMECAT_NS : OT21_NS);
}

static void check_unit(lint_ctx *c, const xmlNode *n, const char *raw, const char *v, const char *shown)
{
    long line = xmlGetLineNo(n);
    if (set_has(&c->sf->units, raw))
        return;
    if (set_has(&c->sf->units, v)) {
        add_own(c, n, "OT-UNIT", "%s (line %ld) is '%s', with blanks around the code; the schema "
                "accepts %s only without them. It was read as %s.", shown, line, raw, v, v);
        return;
    }
    if (!strcmp(v, "PCE"))
        add_own(c, n, "OT-UNIT", "%s (line %ld) is PCE, the old EANCOM code for a piece, which is "
                "not in the BMEcat 2005 unit list (UN/ECE Rec 20); C62 (one, a piece) is meant. "
                "It was read as C62.", shown, line);
    else if (!strcmp(v, "HR"))
        add_own(c, n, "OT-UNIT", "%s (line %ld) is HR, which is not a UN/ECE Rec 20 code; an hour "
                "is HUR. It was read as HUR.", shown, line);
    else if (!strcmp(v, "H87"))
        add_own(c, n, "OT-UNIT", "%s (line %ld) is H87 (piece), a code newer than the BMEcat 2005 "
                "unit list; the list's code for a piece is C62. It was read as H87.", shown, line);
    else {
        char upper[64];
        size_t i = 0;
        for (; v[i] && i + 1 < sizeof upper; i++)
            upper[i] = (char)toupper((unsigned char)v[i]);
        upper[i] = '\0';
        if (strcmp(upper, v) != 0 && set_has(&c->sf->units, upper))
            add_own(c, n, "OT-UNIT", "%s (line %ld) is '%s' in lower case; the unit list has %s. "
                    "It was read as sent.", shown, line, v, upper);
        else
            add_own(c, n, "OT-UNIT", "%s (line %ld) is '%s', which is not in the BMEcat 2005 unit "
                    "list (UN/ECE Rec 20 codes such as C62, MTR, KGM, HUR). It was read as sent.",
                    shown, line, v);
    }
}

static void check_currency(lint_ctx *c, const xmlNode *n, const char *raw, const char *v,
                           const char *shown)
{
    long line = xmlGetLineNo(n);
    if (set_has(&c->sf->currencies, raw))
        return;
    if (set_has(&c->sf->currencies, v))
        add_own(c, n, "OT-CURRENCY", "%s (line %ld) is '%s', with blanks around the code; the "
                "schema accepts %s only without them. It was read as %s.", shown, line, raw, v, v);
    else if (strlen(v) == 3 && isupper((unsigned char)v[0]) && isupper((unsigned char)v[1]) &&
             isupper((unsigned char)v[2]))
        add_own(c, n, "OT-CURRENCY", "%s (line %ld) is %s, which the BMEcat 2005 currency list of "
                "openTRANS 2.1 does not have (the list is from 2005 and lacks later ISO 4217 codes "
                "such as PLN, RON, BGN, TRY, RSD). It was read anyway.", shown, line, v);
    else
        add_own(c, n, "OT-CURRENCY", "%s (line %ld) is '%s', which is not an ISO 4217 currency "
                "code such as EUR or CHF. It was read as sent.", shown, line, v);
}

static void check_date(lint_ctx *c, const xmlNode *n, const char *v, const char *shown)
{
    if (is_dtdatetime(v))
        return;
    long line = xmlGetLineNo(n);
    char fixed[128];
    snprintf(fixed, sizeof fixed, "%.127s", v);
    if (strlen(fixed) > 10 && fixed[10] == ' ') {
        fixed[10] = 'T';
        if (is_dtdatetime(fixed)) {
            add_own(c, n, "OT-DATE", "%s (line %ld) is '%s', with a blank between date and time; "
                    "the schema wants ISO 8601 with a T: '%s'. It was read as %s.", shown, line, v,
                    fixed, fixed);
            return;
        }
    }
    add_own(c, n, "OT-DATE", "%s (line %ld) is '%s', which is not a date as the schema wants it "
            "(ISO 8601: 2026-11-26, 2026-11-26T14:00 or 2026-11-26T14:00:00+01:00). It was kept "
            "as received.", shown, line, v);
}

static void keep_party_id(lint_ctx *c, const char *v)
{
    if (c->n_party_texts == c->cap_party_texts) {
        size_t cap = c->cap_party_texts ? c->cap_party_texts * 2 : 16;
        char **grown = realloc(c->party_texts, cap * sizeof *grown);
        if (!grown) {
            c->failed = EDI_E_NOMEM;
            return;
        }
        c->party_texts = grown;
        c->cap_party_texts = cap;
    }
    char *copy = strdup(v);
    if (!copy || !set_add(&c->party_ids, copy)) {
        free(copy);
        c->failed = EDI_E_NOMEM;
        return;
    }
    c->party_texts[c->n_party_texts++] = copy;
}

/* One element: its namespace, then the leaf checks; `expected` is the namespace the schema
 * gives it (NS_UNKNOWN when the name alone does not tell). Children follow. */
static void walk(lint_ctx *c, const xmlNode *n, ns_kind parent_ns)
{
    for (const xmlNode *e = n->children; e && c->failed == EDI_OK; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)e->name;
        ns_kind actual = ns_of(e, c->v21);
        if (actual == NS_OTHER)
            continue;   /* a signature, MIME data: not ours to judge */
        ns_kind expected = NS_UNKNOWN;
        if (c->v21) {
            if (parent_ns == NS_BM)
                expected = NS_BM;
            else {
                bool bm = set_has(&c->sf->bm_from_ot, name), ot = set_has(&c->sf->ot_names, name);
                expected = bm && !ot ? NS_BM : ot && !bm ? NS_OT : NS_UNKNOWN;
            }
            if (expected != NS_UNKNOWN && actual != expected)
                check_prefix(c, e, expected, actual);
        }
        char shown[128];
        snprintf(shown, sizeof shown, "%s%s", expected == NS_BM || actual == NS_BM ? "bmecat:" : "",
                 name);
        /* A name openTRANS 2.1 does not have at all (its content is not judged either). */
        if (c->v21 && parent_ns != NS_BM && expected == NS_UNKNOWN &&
            !set_has(&c->sf->ot_names, name) && !set_has(&c->sf->bm_from_ot, name)) {
            char fix[160];
            snprintf(fix, sizeof fix, "%s_FIX", name);
            if (set_has(&c->sf->ot_names, fix))
                add_own(c, e, "OT-UNKNOWN", "%s (line %ld) is the BMEcat catalogue element; "
                        "openTRANS 2.1 has %s in its place. It was kept as received, not "
                        "interpreted.", shown, xmlGetLineNo(e), fix);
            else if (set_has(&c->sf->bm_names, name))
                add_own(c, e, "OT-UNKNOWN", "%s (line %ld) is a BMEcat 2005 catalogue element that "
                        "openTRANS 2.1 does not use. It was kept as received, not interpreted.",
                        shown, xmlGetLineNo(e));
            else
                add_own(c, e, "OT-UNKNOWN", "%s (line %ld) is not an element of openTRANS 2.1 or "
                        "BMEcat 2005 (a misspelling, or a partner's own element outside a UDX). "
                        "It was kept as received, not interpreted.", shown, xmlGetLineNo(e));
            continue;
        }
        if (!has_element_child(e)) {
            char *raw = own_text(e);
            if (!raw) {
                c->failed = EDI_E_NOMEM;
                return;
            }
            char v[512];
            trimmed(raw, v, sizeof v);
            /* An element whose content is elements may be empty when they are all optional;
             * the schema says whether this one may, and is explained below if not. */
            if (blank(raw) && !set_has(&c->sf->element_only, name))
                add_own(c, e, "OT-EMPTY", "%s (line %ld) is empty; the schema wants a value there "
                        "or the element left out. It was read as absent.", shown, xmlGetLineNo(e));
            else if (set_has(&c->sf->unit_names, name))
                check_unit(c, e, raw, v, shown);
            else if (set_has(&c->sf->currency_names, name))
                check_currency(c, e, raw, v, shown);
            else if (set_has(&c->sf->date_names, name))
                check_date(c, e, v, shown);
            if (!strcmp(name, "PARTY_ID") && !blank(raw))
                keep_party_id(c, v);
            free(raw);
        }
        /* The content of a UDX is the partner's own; below it nothing is checked. */
        size_t len = strlen(name);
        if (len >= 4 && !strcmp(name + len - 4, "_UDX"))
            continue;
        walk(c, e, expected != NS_UNKNOWN ? expected : actual);
    }
}

/* Every party reference names a PARTY_ID of the document (the schema has no keyref). */
static void check_idrefs(lint_ctx *c, const xmlNode *n)
{
    for (const xmlNode *e = n->children; e && c->failed == EDI_OK; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (is_party_idref((const char *)e->name) && !has_element_child(e)) {
            char *raw = own_text(e);
            if (!raw) {
                c->failed = EDI_E_NOMEM;
                return;
            }
            char v[512], shown[128];
            trimmed(raw, v, sizeof v);
            display_name(e, c->v21, shown, sizeof shown);
            if (*v && !set_has(&c->party_ids, v))
                add_own(c, e, "OT-IDREF", "%s (line %ld) names the party '%s', but no PARTY_ID in "
                        "the document has that value; the schema cannot check this (it has no key "
                        "references). It was read anyway: the party is taken by its PARTY_ROLE "
                        "where one has it.", shown, xmlGetLineNo(e), v);
            free(raw);
        }
        check_idrefs(c, e);
    }
}

/* ---- the schema's errors, in words ---------------------------------------------- */

typedef struct {
    char *path;
    const xmlNode *node;
} path_entry;

static int cmp_path(const void *a, const void *b)
{
    return strcmp(((const path_entry *)a)->path, ((const path_entry *)b)->path);
}

typedef struct {
    path_entry *v;
    size_t n, cap;
} path_table;

static bool paths_build(path_table *t, const xmlNode *n)
{
    for (const xmlNode *e = n; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 256;
            path_entry *grown = realloc(t->v, cap * sizeof *grown);
            if (!grown)
                return false;
            t->v = grown;
            t->cap = cap;
        }
        xmlChar *p = xmlGetNodePath(e);
        if (!p)
            return false;
        t->v[t->n++] = (path_entry){ (char *)p, e };
        if (!paths_build(t, e->children))
            return false;
    }
    return true;
}

static void paths_free(path_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        xmlFree(t->v[i].path);
    free(t->v);
}

static const xmlNode *paths_find(const path_table *t, const char *path)
{
    if (!t->n || !path || !*path)
        return NULL;
    path_entry key = { (char *)path, NULL };
    const path_entry *hit = bsearch(&key, t->v, t->n, sizeof *t->v, cmp_path);
    return hit ? hit->node : NULL;
}

/* The schema's message with namespaces written as people write them: openTRANS names
 * bare, BMEcat names as bmecat:NAME; long value sets and patterns cut. */
static void tidy_message(const char *msg, char *dst, size_t n)
{
    size_t o = 0;
    const char *ot = "{" OT21_NS "}", *bm = "{" BMECAT_NS "}";
    while (*msg && o + 1 < n) {
        if (!strncmp(msg, ot, strlen(ot))) {
            msg += strlen(ot);
            continue;
        }
        if (!strncmp(msg, bm, strlen(bm))) {
            msg += strlen(bm);
            int k = snprintf(dst + o, n - o, "bmecat:");
            o += k > 0 && (size_t)k < n - o ? (size_t)k : 0;
            continue;
        }
        dst[o++] = *msg++;
    }
    dst[o] = '\0';
    if (o > 220)
        snprintf(dst + 217, n - 217, "...");
}

/* The names in "Expected is ( {ns}A, {ns}B )" or "Expected is one of ( ... )", each as
 * namespace and local name; returns how many (at most `max`). */
typedef struct {
    char ns[64];
    char name[64];
} qname;

static size_t expected_names(const char *msg, qname *out, size_t max)
{
    const char *p = strstr(msg, "Expected is");
    p = p ? strchr(p, '(') : NULL;
    size_t k = 0;
    while (p && *p && *p != ')' && k < max) {
        p++;
        while (*p == ' ')
            p++;
        qname q = { "", "" };
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (!end)
                break;
            snprintf(q.ns, sizeof q.ns, "%.*s", (int)(end - p - 1), p + 1);
            p = end + 1;
        }
        size_t len = strcspn(p, ", )");
        snprintf(q.name, sizeof q.name, "%.*s", (int)len, p);
        p += len;
        if (*q.name)
            out[k++] = q;
        p = strpbrk(p, ",)");
        if (!p || *p == ')')
            break;
    }
    return k;
}

static bool qname_is(const qname *q, const xmlNode *n)
{
    const char *href = n->ns && n->ns->href ? (const char *)n->ns->href : "";
    return !strcmp(q->name, (const char *)n->name) && !strcmp(q->ns, href);
}

static void qname_show(const qname *q, char *dst, size_t n)
{
    snprintf(dst, n, "%s%s", !strcmp(q->ns, BMECAT_NS) ? "bmecat:" : "", q->name);
}

/* "A", "A or B", "A, B or C" (six names at most, then "and others"). */
static void list_names(const qname *q, size_t k, char *dst, size_t n)
{
    size_t o = 0;
    dst[0] = '\0';
    size_t shown = k > 6 ? 6 : k;
    for (size_t i = 0; i < shown && o + 1 < n; i++) {
        char one[80];
        qname_show(&q[i], one, sizeof one);
        const char *sep = i == 0 ? "" : (i + 1 == shown && k <= 6) ? " or " : ", ";
        int w = snprintf(dst + o, n - o, "%s%s", sep, one);
        if (w < 0)
            return;
        o += (size_t)w < n - o ? (size_t)w : n - o - 1;
    }
    if (k > 6 && o + 1 < n)
        snprintf(dst + o, n - o, " or another of %zu elements", k - 6);
}

/* The value in "... The value 'V' ..." (the first quoted string after "value "). */
static bool quoted_value(const char *msg, char *dst, size_t n)
{
    const char *p = strstr(msg, "The value '");
    if (!p)
        return false;
    p += strlen("The value '");
    const char *end = strstr(p, "' ");
    if (!end)
        end = strrchr(p, '\'');
    if (!end || end < p)
        return false;
    snprintf(dst, n, "%.*s", (int)(end - p), p);
    return true;
}

/* snprintf that may cut: the sentences are capped on purpose (doc_finding's text size). */
static void put(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* One schema error that none of our checks explained, as a sentence (rule, text). */
static void explain_schema_error(const doc_finding *x, const xmlNode *node, bool v21, char *rule,
                                 size_t rule_n, char *text, size_t text_n)
{
    char raw[640];
    tidy_message(x->text, raw, sizeof raw);
    char shown[128] = "An element", parent[128] = "the document";
    if (node) {
        display_name(node, v21, shown, sizeof shown);
        if (node->parent && node->parent->type == XML_ELEMENT_NODE)
            display_name(node->parent, v21, parent, sizeof parent);
    }
    const char *body = strstr(x->text, "': ");
    body = body ? body + 3 : x->text;
    long line = x->line;
    qname exp[64];
    size_t k = expected_names(body, exp, sizeof exp / sizeof exp[0]);
    char names[400];
    list_names(exp, k, names, sizeof names);
    put(rule, rule_n, "XSD");
    if (!strncmp(body, "This element is not expected.", 29) && node) {
        /* Same name in the other namespace: a prefix problem our walk could not decide. */
        for (size_t i = 0; i < k; i++)
            if (!strcmp(exp[i].name, (const char *)node->name)) {
                char want[80];
                qname_show(&exp[i], want, sizeof want);
                put(rule, rule_n, "OT-PREFIX");
                put(text, text_n, "%s (line %ld) is in the wrong namespace: at this place "
                         "the schema expects %s. It was read anyway. Schema: %s", shown, line,
                         want, raw);
                return;
            }
        put(rule, rule_n, "OT-ORDER");
        /* The only element allowed here comes later: this one is too early. */
        if (k == 1)
            for (const xmlNode *s = node->next; s; s = s->next)
                if (s->type == XML_ELEMENT_NODE && qname_is(&exp[0], s)) {
                    put(text, text_n, "%s (line %ld) is out of order: %s (line %ld) must "
                             "come before it inside %s. It was read anyway. Schema: %s", shown,
                             line, names, xmlGetLineNo(s), parent, raw);
                    return;
                }
        const xmlNode *prev = node->prev;
        while (prev && prev->type != XML_ELEMENT_NODE)
            prev = prev->prev;
        if (prev) {
            char before[128];
            display_name(prev, v21, before, sizeof before);
            put(text, text_n, "%s (line %ld) is out of place inside %s: after %s (line %ld) "
                     "the schema allows only %s there. It was read anyway. Schema: %s", shown,
                     line, parent, before, xmlGetLineNo(prev), names, raw);
        } else
            put(text, text_n, "%s (line %ld) cannot be the first element inside %s: the "
                     "schema wants %s first. It was read anyway. Schema: %s", shown, line,
                     parent, names, raw);
        return;
    }
    if (!strncmp(body, "Missing child element(s).", 25)) {
        put(rule, rule_n, "OT-MISSING");
        put(text, text_n, "%s (line %ld) lacks %s, which the schema requires inside it. It "
                 "was read anyway. Schema: %s", shown, line, names, raw);
        return;
    }
    if (strstr(body, "Character content other than whitespace is not allowed")) {
        put(text, text_n, "%s (line %ld) holds text, but the schema wants only elements "
                 "inside it. It was read anyway. Schema: %s", shown, line, raw);
        return;
    }
    char value[200];
    if (strstr(body, "[facet '") && quoted_value(body, value, sizeof value)) {
        char t[200];
        trimmed(value, t, sizeof t);
        if (strcmp(t, value) != 0 && *t)
            put(text, text_n, "%s (line %ld) is '%s', with blanks around the value, which "
                     "the schema does not allow (without them it is '%s'). It was read anyway. "
                     "Schema: %s", shown, line, value, t, raw);
        else
            put(text, text_n, "%s (line %ld) is '%s', which the schema does not allow "
                     "there (not in its list, or not of the form it wants). It was read anyway. "
                     "Schema: %s", shown, line, value, raw);
        return;
    }
    put(text, text_n, "%s (line %ld) does not meet the schema. It was read anyway. Schema: %s",
             shown, line, raw);
}

/* ---- the whole check ------------------------------------------------------------- */

edi_result opentrans_lint(mapping_ctx *m, const char *formats_dir, xmlDocPtr doc, bool strict,
                          doc_findings *out, char *why, size_t why_n)
{
    if (!m || !formats_dir || !doc || !out) {
        edi_say(why, why_n, "opentrans_lint needs a mapping context, the formats folder, a document and a findings list");
        return EDI_E_ARG;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root) {
        edi_say(why, why_n, "the document is empty");
        return EDI_E_ARG;
    }
    const char *href = root->ns && root->ns->href ? (const char *)root->ns->href : "";
    bool v21 = !strcmp(href, OT21_NS);
    if (!v21 && *href && strcmp(href, OT10_NS) != 0) {
        edi_say(why, why_n, "the root %s is in the namespace %s, not openTRANS 2.1 or 1.0",
                (const char *)root->name, href);
        return EDI_E_ARG;
    }

    /* The schema facts are read once per mapping context, like the compiled schema. */
    char key[4200];
    snprintf(key, sizeof key, "opentrans_lint:%s", formats_dir);
    schema_facts *sf = mapping_cache_get(m, key);
    edi_result r = EDI_OK;
    if (!sf) {
        sf = calloc(1, sizeof *sf);
        r = !sf ? EDI_E_NOMEM : facts_load(sf, formats_dir, why, why_n);
        if (r == EDI_OK)
            r = mapping_cache_put(m, key, sf, facts_release);
        else if (sf)
            facts_release(sf);
        if (r != EDI_OK) {
            if (r == EDI_E_NOMEM)
                edi_say(why, why_n, "out of memory");
            return r;
        }
    }
    lint_ctx c = { .sf = sf, .v21 = v21, .failed = EDI_OK };
    doc_findings xsd = { 0 };
    path_table paths = { 0 };
    if (r != EDI_OK)
        goto done;

    /* Our own checks. The root is judged like its children. */
    if (v21 && ns_of(root, true) != NS_OT)
        check_prefix(&c, root, NS_OT, ns_of(root, true));
    walk(&c, (xmlNodePtr)doc, NS_OT);
    set_sort(&c.party_ids);
    check_idrefs(&c, (xmlNodePtr)doc);
    if (c.failed != EDI_OK) {
        r = c.failed;
        edi_say(why, why_n, "out of memory");
        goto done;
    }

    /* The schema (2.1 only; 1.0 has none here). */
    bool schema_valid = true;
    if (v21) {
        char path[4096];
        snprintf(path, sizeof path, "%s/xsd/opentrans/opentrans_2_1.xsd", formats_dir);
        r = mapping_schema_check(m, path, doc, DOC_ERROR, "XSD", &xsd, why, why_n);
        if (r == EDI_E_XML)
            r = EDI_OK;
        else if (r != EDI_OK)
            goto done;
        schema_valid = xsd.count == 0 && xsd.dropped == 0;
        if (xsd.count && !paths_build(&paths, root)) {
            r = EDI_E_NOMEM;
            edi_say(why, why_n, "out of memory");
            goto done;
        }
        if (paths.n)
            qsort(paths.v, paths.n, sizeof *paths.v, cmp_path);
    }

    /* Our findings first, in document order; in strict mode they are errors when the
     * schema rejected the document (each of them is a schema violation), and the party
     * references always are. */
    for (size_t i = 0; i < c.own.count; i++) {
        const doc_finding *f = &c.own.items[i];
        doc_severity sev = DOC_WARNING;
        if (strict && (!strcmp(f->rule, "OT-IDREF") || !schema_valid))
            sev = DOC_ERROR;
        if (doc_findings_add(out, sev, f->rule, f->line, f->where, "%s", f->text) != EDI_OK) {
            r = EDI_E_NOMEM;
            edi_say(why, why_n, "out of memory");
            goto done;
        }
    }
    /* Then every schema error about an element none of our findings is about. */
    for (size_t i = 0; i < xsd.count; i++) {
        const doc_finding *x = &xsd.items[i];
        const xmlNode *node = paths_find(&paths, x->where);
        bool covered = false;
        for (size_t j = 0; node && j < c.own.count && !covered; j++)
            covered = c.nodes[j] == node;
        if (covered)
            continue;
        char rule[32], text[640], where[192];
        explain_schema_error(x, node, v21, rule, sizeof rule, text, sizeof text);
        if (node)
            where_of(node, where, sizeof where);
        else
            snprintf(where, sizeof where, "%s", x->where);
        if (doc_findings_add(out, strict ? DOC_ERROR : DOC_WARNING, rule, x->line, where, "%s",
                             text) != EDI_OK) {
            r = EDI_E_NOMEM;
            edi_say(why, why_n, "out of memory");
            goto done;
        }
    }
    r = EDI_OK;
    if (why && why_n)
        why[0] = '\0';

done:
    paths_free(&paths);
    doc_findings_free(&xsd);
    doc_findings_free(&c.own);
    free(c.nodes);
    for (size_t i = 0; i < c.n_party_texts; i++)
        free(c.party_texts[i]);
    free(c.party_texts);
    free(c.party_ids.v);
    return r;
}

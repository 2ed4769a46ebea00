/* weborder.c: the web shop's JSON order to the canonical order (weborder.h). jansson reads
 * the JSON (duplicate members refused, integers never turned into reals); every value is
 * checked here and written into the canonical order as the text it was. */
#include "weborder.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "canonical_totals.h"
#include "decimal.h"
#include "store_master.h"

#define CANONICAL_NS "urn:edi-gateway:canonical:1"
#define WEBORDER_NS "urn:edi-gateway:web-order:1"

#define ID_MAX 63      /* order number, ids, article numbers (MD_ID_MAX without the NUL) */
#define TEXT_MAX 512   /* names, remarks, descriptions */

/* What one reading keeps: where findings go and how many errors there were. */
typedef struct {
    doc_findings *f;
    size_t errors;
    bool nomem;
    char *why;
    size_t why_n;
    xmlNsPtr ns;
} reader;

static void problem(reader *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(reader *r, const char *where, const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (r->errors++ == 0)
        edi_say(r->why, r->why_n, "%s: %s", where, text);
    if (doc_findings_add(r->f, DOC_ERROR, WEBORDER_RULE, 0, where, "%s", text) == EDI_E_NOMEM)
        r->nomem = true;
}

/* "prefix.name", or "name" at the top. */
static void path_of(char *out, size_t n, const char *prefix, const char *name)
{
    snprintf(out, n, "%s%s%s", prefix, *prefix ? "." : "", name);
}

/* Members of `obj` that are not in `allowed` (NULL-terminated) are refused by name. */
static void only_members(reader *r, json_t *obj, const char *prefix, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            char where[192], list[400] = "";
            path_of(where, sizeof where, prefix, key);
            for (size_t i = 0; allowed[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         allowed[i]);
            problem(r, where, "\"%.60s\" is not a member of a web order here; the members are "
                    "%s (docs/api.md, \"The web order\"); remove it or correct its name", key,
                    list);
        }
    }
}

/* The kinds of text a member may hold. */
typedef enum {
    T_TEXT,      /* free text: no control characters except tab and line breaks */
    T_ID,        /* an id or number: no control characters, no blanks around */
    T_DECIMAL,   /* an amount or quantity as a string: 12.50 */
    T_DATE,      /* YYYY-MM-DD, optionally THH:MM[:SS] and Z or +HH:MM */
    T_UNIT,      /* UN/ECE Rec 20: 2-3 capitals or digits */
    T_CURRENCY,  /* ISO 4217: 3 capitals */
    T_COUNTRY,   /* ISO 3166-1 alpha-2 */
} text_kind;

static bool all_in(const char *s, size_t lo, size_t hi, const char *set)
{
    size_t n = strlen(s);
    return n >= lo && n <= hi && strspn(s, set) == n;
}

static bool two_digits(const char *p, int max)
{
    return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
           (p[0] - '0') * 10 + (p[1] - '0') <= max;
}

/* An ISO 8601 date with an optional time and offset, as canonical.xsd's IsoDateText. */
static bool iso_date(const char *s)
{
    char date[11];
    if (strlen(s) < 10)
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!store_check_date(date, NULL, 0))
        return false;
    const char *p = s + 10;
    if (!*p)
        return true;
    if (*p++ != 'T' || !two_digits(p, 23) || p[2] != ':' || !two_digits(p + 3, 59))
        return false;
    p += 5;
    if (*p == ':') {
        if (!two_digits(p + 1, 59))
            return false;
        p += 3;
    }
    if (*p == 'Z')
        return p[1] == '\0';
    if (*p == '+' || *p == '-')
        return two_digits(p + 1, 23) && p[3] == ':' && two_digits(p + 4, 59) && p[6] == '\0';
    return *p == '\0';
}

/* Characters XML 1.0 cannot carry: C0 controls other than tab, LF, CR; U+FFFE, U+FFFF. */
static bool xml_safe(const char *s, bool allow_breaks)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 && !(allow_breaks && (*p == '\t' || *p == '\n' || *p == '\r')))
            return false;
        if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
            return false;
    }
    return true;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "true or false";
    default: return "null";
    }
}

/* The member `name` of `obj` as checked text of `kind`: NULL when absent (a problem when
 * `required`) or refused (a problem naming the member). */
static const char *text(reader *r, json_t *obj, const char *prefix, const char *name,
                        bool required, text_kind kind)
{
    char where[192];
    path_of(where, sizeof where, prefix, name);
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (required)
            problem(r, where, "is missing; every web order needs it");
        return NULL;
    }
    if (json_is_number(v) && (kind == T_DECIMAL)) {
        problem(r, where, "is a JSON number; amounts and quantities must be strings such as "
                "\"12.50\", because a JSON number may be read as floating point and lose the "
                "exact value; put the value in quotes");
        return NULL;
    }
    if (!json_is_string(v)) {
        problem(r, where, "is %s; write it as a string", json_type_name(v));
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n != json_string_length(v) || !xml_safe(s, kind == T_TEXT)) {
        problem(r, where, "contains a control character; remove it");
        return NULL;
    }
    if (n == 0 || strspn(s, " \t\r\n") == n) {
        if (required || kind != T_TEXT)
            problem(r, where, "is empty; write a value or leave the member out");
        return NULL;
    }
    switch (kind) {
    case T_TEXT:
        if (n > TEXT_MAX) {
            problem(r, where, "is %zu bytes long, at most %d are taken; shorten it", n, TEXT_MAX);
            return NULL;
        }
        return s;
    case T_ID:
        if (n > ID_MAX) {
            problem(r, where, "\"%.40s...\" is %zu bytes long, at most %d are taken; shorten it",
                    s, n, ID_MAX);
            return NULL;
        }
        if (s[0] == ' ' || s[n - 1] == ' ') {
            problem(r, where, "\"%s\" has blanks around it; remove them", s);
            return NULL;
        }
        return s;
    case T_DECIMAL: {
        decimal d;
        char sentence[256];
        if (strchr(s, ',')) {
            problem(r, where, "\"%.40s\" has a decimal comma; write a point, such as \"12.50\"", s);
            return NULL;
        }
        if (decimal_parse(s, &d, sentence, sizeof sentence) != EDI_OK) {
            problem(r, where, "\"%.40s\" is not a decimal number (%s); write digits with an "
                    "optional point, such as \"12.50\"", s, sentence);
            return NULL;
        }
        return s;
    }
    case T_DATE:
        if (!iso_date(s)) {
            problem(r, where, "\"%.40s\" is not a date; write YYYY-MM-DD, optionally with the "
                    "time as in 2026-11-26T14:05:00+01:00", s);
            return NULL;
        }
        return s;
    case T_UNIT:
        if (!all_in(s, 2, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")) {
            problem(r, where, "\"%.20s\" is not a UN/ECE Recommendation 20 unit code; write one "
                    "such as C62 (piece), MTR or KGM", s);
            return NULL;
        }
        return s;
    case T_CURRENCY:
        if (!all_in(s, 3, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
            problem(r, where, "\"%.20s\" is not an ISO 4217 currency code; write one such as EUR",
                    s);
            return NULL;
        }
        return s;
    case T_COUNTRY:
        if (!all_in(s, 2, 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
            problem(r, where, "\"%.20s\" is not an ISO 3166-1 country code; write two capitals "
                    "such as DE", s);
            return NULL;
        }
        return s;
    }
    return NULL;
}

/* A decimal member with a sign rule: strictly positive, or zero and more. */
static const char *amount(reader *r, json_t *obj, const char *prefix, const char *name,
                          bool required, bool zero_ok)
{
    const char *s = text(r, obj, prefix, name, required, T_DECIMAL);
    if (!s)
        return NULL;
    decimal d, zero = { 0, 0 };
    decimal_parse(s, &d, NULL, 0);
    int c = decimal_cmp(d, zero);
    if (c < 0 || (c == 0 && !zero_ok)) {
        char where[192];
        path_of(where, sizeof where, prefix, name);
        problem(r, where, "\"%s\" is %s; write a number above 0%s", s, c < 0 ? "negative" : "zero",
                zero_ok ? " or 0" : "");
        return NULL;
    }
    return s;
}

/* The member `name` of `obj` as an object (NULL when absent or refused). */
static json_t *object(reader *r, json_t *obj, const char *prefix, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        char where[192];
        path_of(where, sizeof where, prefix, name);
        problem(r, where, "is %s; write an object { ... }", json_type_name(v));
        return NULL;
    }
    return v;
}

static xmlNodePtr add(reader *r, xmlNodePtr parent, const char *name, const char *value)
{
    xmlNodePtr n = xmlNewTextChild(parent, r->ns, BAD_CAST name, BAD_CAST value);
    if (!n)
        r->nomem = true;
    return n;
}

static void attr(reader *r, xmlNodePtr n, const char *name, const char *value)
{
    if (n && value && !xmlNewProp(n, BAD_CAST name, BAD_CAST value))
        r->nomem = true;
}

/* "delivery_address" or "invoice_address": a party of `role`. */
static void address(reader *r, json_t *order, const char *name, const char *role,
                    xmlNodePtr root)
{
    static const char *const members[] = { "name", "name2", "department", "street", "street2",
                                           "postcode", "city", "country", "contact", NULL };
    static const char *const contact_members[] = { "name", "phone", "email", NULL };
    json_t *a = object(r, order, "", name);
    if (!a)
        return;
    only_members(r, a, name, members);
    const char *v[8];
    for (size_t i = 0; i < 7; i++)
        v[i] = text(r, a, name, members[i], i == 0, T_TEXT);
    v[7] = text(r, a, name, "country", false, T_COUNTRY);
    char cpath[64];
    path_of(cpath, sizeof cpath, name, "contact");
    json_t *c = object(r, a, name, "contact");
    const char *cv[3] = { NULL, NULL, NULL };
    if (c) {
        only_members(r, c, cpath, contact_members);
        for (size_t i = 0; i < 3; i++)
            cv[i] = text(r, c, cpath, contact_members[i], false, T_TEXT);
    }
    if (!v[0])
        return;
    xmlNodePtr p = add(r, root, "party", NULL);
    attr(r, p, "role", role);
    static const char *const canonical[] = { "name", "name", "department", "street", "street",
                                             "postcode", "city" };
    for (size_t i = 0; p && i < 7; i++)
        if (v[i])
            add(r, p, canonical[i], v[i]);
    if (p && v[7])
        add(r, p, "country", v[7]);
    if (p && (cv[0] || cv[1] || cv[2])) {
        xmlNodePtr ct = add(r, p, "contact", NULL);
        static const char *const cnames[] = { "name", "phone", "email" };
        for (size_t i = 0; ct && i < 3; i++)
            if (cv[i])
                add(r, ct, cnames[i], cv[i]);
    }
}

static void line(reader *r, json_t *l, size_t index, xmlNodePtr root)
{
    static const char *const members[] = { "number", "gtin", "supplier_number", "buyer_article",
                                           "description", "quantity", "unit", "net_price",
                                           "price_basis", "delivery_date", "remarks", NULL };
    char prefix[32];
    snprintf(prefix, sizeof prefix, "lines[%zu]", index);
    if (!json_is_object(l)) {
        problem(r, prefix, "is %s; every line is an object { ... }", json_type_name(l));
        return;
    }
    only_members(r, l, prefix, members);
    char own_number[24];
    snprintf(own_number, sizeof own_number, "%zu", index + 1);
    const char *number = text(r, l, prefix, "number", false, T_ID);
    const char *gtin = text(r, l, prefix, "gtin", false, T_ID);
    const char *supplier = text(r, l, prefix, "supplier_number", false, T_ID);
    const char *buyer = text(r, l, prefix, "buyer_article", false, T_ID);
    const char *description = text(r, l, prefix, "description", false, T_TEXT);
    const char *quantity = amount(r, l, prefix, "quantity", true, false);
    const char *unit = text(r, l, prefix, "unit", false, T_UNIT);
    const char *price = amount(r, l, prefix, "net_price", false, true);
    const char *basis = amount(r, l, prefix, "price_basis", false, false);
    const char *delivery = text(r, l, prefix, "delivery_date", false, T_DATE);
    const char *remarks = text(r, l, prefix, "remarks", false, T_TEXT);
    if (gtin && !store_check_gtin(gtin, NULL, 0)) {
        char where[64];
        path_of(where, sizeof where, prefix, "gtin");
        problem(r, where, "\"%s\" is not a GTIN (8, 12, 13 or 14 digits with a correct check "
                "digit); correct it or send the supplier_number instead", gtin);
        gtin = NULL;
    }
    if (!json_object_get(l, "gtin") && !json_object_get(l, "supplier_number") &&
        !json_object_get(l, "buyer_article"))
        problem(r, prefix, "names no article; give its gtin, supplier_number or buyer_article");
    if (basis && !price) {
        char where[64];
        path_of(where, sizeof where, prefix, "price_basis");
        problem(r, where, "is given without a net_price; add the price or leave the basis out");
    }
    if (r->errors)
        return;
    xmlNodePtr n = add(r, root, "line", NULL);
    if (!n)
        return;
    add(r, n, "number", number ? number : own_number);
    if (gtin)
        add(r, n, "gtin", gtin);
    if (supplier)
        add(r, n, "supplierArticle", supplier);
    if (buyer)
        add(r, n, "buyerArticle", buyer);
    if (description)
        add(r, n, "description", description);
    xmlNodePtr q = add(r, n, "quantity", quantity);
    if (unit) {
        attr(r, q, "unit", unit);
        attr(r, q, "unitAsSent", unit);
    }
    if (price) {
        xmlNodePtr pr = add(r, n, "netPrice", price);
        if (basis)
            attr(r, pr, "basisQuantity", basis);
    }
    if (delivery) {
        xmlNodePtr d = add(r, n, "date", delivery);
        attr(r, d, "role", "delivery_requested");
    }
    if (remarks)
        add(r, n, "text", remarks);
}

/* The order's header members and its lines into `root`. */
static void order(reader *r, json_t *o, xmlNodePtr root, const char **user, const char **customer)
{
    static const char *const members[] = { "order_number", "order_date", "customer_id", "user_id",
                                           "type", "currency", "delivery_date", "project",
                                           "remarks", "delivery_address", "invoice_address",
                                           "lines", NULL };
    only_members(r, o, "", members);
    const char *number = text(r, o, "", "order_number", true, T_ID);
    const char *date = text(r, o, "", "order_date", true, T_DATE);
    *customer = text(r, o, "", "customer_id", true, T_ID);
    *user = text(r, o, "", "user_id", true, T_ID);
    const char *type = text(r, o, "", "type", false, T_ID);
    const char *currency = text(r, o, "", "currency", false, T_CURRENCY);
    const char *delivery = text(r, o, "", "delivery_date", false, T_DATE);
    const char *project = text(r, o, "", "project", false, T_ID);
    const char *remarks = text(r, o, "", "remarks", false, T_TEXT);
    if (type && strcmp(type, "standard") && strcmp(type, "express")) {
        problem(r, "type", "\"%.40s\" is not an order type of the web shop; write \"standard\" "
                "or \"express\", or leave it out for standard", type);
        type = NULL;
    }
    add(r, root, "kind", "order");
    attr(r, add(r, root, "type", type ? type : "standard"), "code", type ? type : "standard");
    if (number)
        add(r, root, "number", number);
    if (date)
        attr(r, add(r, root, "date", date), "role", "document");
    if (delivery)
        attr(r, add(r, root, "date", delivery), "role", "delivery_requested");
    if (currency)
        add(r, root, "currency", currency);
    if (project)
        attr(r, add(r, root, "reference", project), "kind", "project");
    if (remarks)
        add(r, root, "text", remarks);
    if (*customer) {
        xmlNodePtr buyer = add(r, root, "party", NULL);
        attr(r, buyer, "role", "buyer");
        attr(r, add(r, buyer, "id", *customer), "scheme", "supplier_specific");
    }
    address(r, o, "delivery_address", "delivery", root);
    address(r, o, "invoice_address", "invoicee", root);

    json_t *lines = json_object_get(o, "lines");
    if (!lines || json_is_null(lines)) {
        problem(r, "lines", "is missing; a web order needs at least one line");
    } else if (!json_is_array(lines)) {
        problem(r, "lines", "is %s; write an array of lines [ { ... } ]", json_type_name(lines));
    } else if (json_array_size(lines) == 0) {
        problem(r, "lines", "is empty; a web order needs at least one line");
    } else if (json_array_size(lines) > WEBORDER_MAX_LINES) {
        problem(r, "lines", "has %zu lines, at most %d are taken in one order; split it",
                json_array_size(lines), WEBORDER_MAX_LINES);
    } else {
        size_t i;
        json_t *l;
        json_array_foreach(lines, i, l)
            line(r, l, i, root);
    }
    /* Sent: no totals; canonical_totals computes them and the list says they were missing. */
    attr(r, add(r, root, "totals", NULL), "missing", "lineCount lineAmountTotal");
    if (*user && *customer) {
        xmlNodePtr ext = add(r, root, "extension", NULL);
        attr(r, ext, "source", "web-order");
        xmlNsPtr wns = ext ? xmlNewNs(ext, BAD_CAST WEBORDER_NS, BAD_CAST "w") : NULL;
        xmlNodePtr by = wns ? xmlNewChild(ext, wns, BAD_CAST "placedBy", NULL) : NULL;
        if (!by)
            r->nomem = true;
        attr(r, by, "user", *user);
        attr(r, by, "customer", *customer);
    }
}

edi_result weborder_to_canonical(const char *json, size_t len, xmlDocPtr *out, char user_id[65],
                                 char customer_id[65], doc_findings *findings, char *why,
                                 size_t why_n)
{
    doc_findings own;
    doc_findings_init(&own);
    reader r = { .f = findings ? findings : &own, .why = why, .why_n = why_n };
    *out = NULL;
    user_id[0] = customer_id[0] = '\0';
    if (!json) {
        edi_say(why, why_n, "weborder_to_canonical needs the JSON text");
        return EDI_E_ARG;
    }
    json_error_t err;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!o || !json_is_object(o)) {
        char where[64];
        if (o)
            snprintf(where, sizeof where, "the whole document");
        else
            snprintf(where, sizeof where, "line %d, column %d", err.line, err.column);
        edi_say(why, why_n, "The web order is not %s: %s (%s); send one JSON object as "
                "docs/api.md describes", o ? "one JSON object" : "valid JSON",
                o ? json_type_name(o) : err.text, where);
        doc_findings_add(r.f, DOC_ERROR, WEBORDER_RULE, o ? 0 : err.line, where, "%s", why);
        json_decref(o);
        doc_findings_free(&own);
        return EDI_E_SYNTAX;
    }
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "order", NULL) : NULL;
    if (!root) {
        xmlFreeDoc(doc);
        json_decref(o);
        doc_findings_free(&own);
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    xmlDocSetRootElement(doc, root);
    r.ns = xmlNewNs(root, BAD_CAST CANONICAL_NS, NULL);
    xmlSetNs(root, r.ns);
    xmlNewProp(root, BAD_CAST "source", BAD_CAST WEBORDER_FORMAT);
    const char *user = NULL, *customer = NULL;
    order(&r, o, root, &user, &customer);
    edi_result res = EDI_OK;
    if (r.nomem) {
        edi_say(why, why_n, "out of memory");
        res = EDI_E_NOMEM;
    } else if (r.errors) {
        res = EDI_E_ARG;
    } else {
        char warnings[2048] = "";
        res = canonical_totals_complete(doc, warnings, sizeof warnings, why, why_n);
        for (char *w = warnings; res == EDI_OK && *w;) {
            char *end = strchr(w, '\n');
            if (end)
                *end = '\0';
            if (*w)
                doc_findings_add(r.f, DOC_WARNING, WEBORDER_RULE, 0, "totals", "%s", w);
            w = end ? end + 1 : w + strlen(w);
        }
    }
    if (res == EDI_OK) {
        snprintf(user_id, 65, "%s", user);
        snprintf(customer_id, 65, "%s", customer);
        *out = doc;
    } else {
        xmlFreeDoc(doc);
    }
    json_decref(o);
    doc_findings_free(&own);
    return res;
}

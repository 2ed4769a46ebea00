/* einvoice.c: the syntax of an e-invoice from its root, the specification from BT-24. */
#include "einvoice.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlstring.h>

#define NS_UBL_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_UBL_CREDIT_NOTE "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_UBL_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_CII_RSM "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_CII_RAM "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
#define NS_ZUGFERD1 "urn:ferd:CrossIndustryDocument:invoice:1p0"

/* The identifiers known exactly; `cii_only` for the Factur-X/ZUGFeRD profiles. */
static const struct {
    const char *id;
    einvoice_spec spec;
    bool cii_only;
} known[] = {
    {"urn:cen.eu:en16931:2017", EINVOICE_SPEC_EN16931, false},
    {"urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", EINVOICE_SPEC_PEPPOL_BIS3, false},
    {"urn:factur-x.eu:1p0:minimum", EINVOICE_SPEC_FACTURX_MINIMUM, true},
    {"urn:zugferd.de:2p0:minimum", EINVOICE_SPEC_FACTURX_MINIMUM, true},
    {"urn:factur-x.eu:1p0:basicwl", EINVOICE_SPEC_FACTURX_BASIC_WL, true},
    {"urn:zugferd.de:2p0:basicwl", EINVOICE_SPEC_FACTURX_BASIC_WL, true},
    {"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", EINVOICE_SPEC_FACTURX_BASIC, true},
    {"urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", EINVOICE_SPEC_FACTURX_BASIC, true},
    {"urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", EINVOICE_SPEC_FACTURX_BASIC, true},
    {"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", EINVOICE_SPEC_FACTURX_EXTENDED, true},
    {"urn:cen.eu:en16931:2017:conformant:factur-x.eu:1p0:extended", EINVOICE_SPEC_FACTURX_EXTENDED, true},
    {"urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended", EINVOICE_SPEC_FACTURX_EXTENDED, true},
};

/* XRechnung identifiers are a prefix, the version, and optionally the extension or the
 * CVD (Common Voucher Data) suffix. 2.0 and 1.x used the xoev-de forms. */
static const char *const xrechnung_prefixes[] = {
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_",
    "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_",
    "urn:cen.eu:en16931:2017:xoev-de:kosit:standard:xrechnung_",
};
static const char *const xrechnung_suffixes[] = {
    "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_",
    "#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_",
};

static bool name_is(xmlNodePtr n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *ns, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (name_is(c, ns, name))
            return c;
    return NULL;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The length of a version such as "3.0" or "2.3.1" at the start of `s` (0: none). */
static size_t version_len(const char *s)
{
    size_t n = 0;
    while ((s[n] >= '0' && s[n] <= '9') || (n > 0 && s[n] == '.' && s[n - 1] != '.'))
        n++;
    while (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

/* An XRechnung identifier: true with the version copied, or false when `id` is not one. */
static bool xrechnung(const char *id, char *version, size_t version_n)
{
    for (size_t i = 0; i < sizeof xrechnung_prefixes / sizeof *xrechnung_prefixes; i++) {
        if (!starts_with_ci(id, xrechnung_prefixes[i]))
            continue;
        const char *v = id + strlen(xrechnung_prefixes[i]);
        size_t vn = version_len(v);
        if (vn == 0 || vn >= version_n)
            return false;
        const char *rest = v + vn;
        bool ok = *rest == '\0';
        for (size_t k = 0; !ok && k < sizeof xrechnung_suffixes / sizeof *xrechnung_suffixes; k++) {
            if (starts_with_ci(rest, xrechnung_suffixes[k])) {
                const char *sv = rest + strlen(xrechnung_suffixes[k]);
                size_t svn = version_len(sv);
                ok = svn > 0 && sv[svn] == '\0';
            }
        }
        if (!ok)
            return false;
        memcpy(version, v, vn);
        version[vn] = '\0';
        return true;
    }
    return false;
}

/* Where the specification identifier (BT-24) stands in syntax `s`. */
static const char *bt24_path(einvoice_syntax s)
{
    return s == EINVOICE_SYNTAX_CII
               ? "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
               : "cbc:CustomizationID";
}

/* Classify the trimmed identifier in out->id for out->syntax. */
static void classify(einvoice_kind *out, char *why, size_t why_n)
{
    const bool cii = out->syntax == EINVOICE_SYNTAX_CII;
    const char *where = bt24_path(out->syntax);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        if (strcasecmp(out->id, known[i].id) != 0)
            continue;
        if (known[i].cii_only && !cii) {
            edi_say(why, why_n,
                    "the specification identifier (BT-24) \"%s\" names the %s profile, which exists only "
                    "in CII, but the document is UBL; it is read as UBL without a known specification",
                    out->id, einvoice_spec_name(known[i].spec));
            return;
        }
        out->spec = known[i].spec;
        return;
    }
    if (xrechnung(out->id, out->version, sizeof out->version)) {
        out->spec = EINVOICE_SPEC_XRECHNUNG;
        return;
    }
    if (starts_with_ci(out->id, "urn:ferd:CrossIndustryDocument:invoice:1p0:")) {
        edi_say(why, why_n,
                "the specification identifier (BT-24) \"%s\" is a ZUGFeRD 1.0 profile, but the document "
                "is CII D16B (ZUGFeRD 2.x / Factur-X): it is read without a known specification; ask the "
                "sender for an EN 16931 or Factur-X identifier",
                out->id);
        return;
    }
    if (starts_with_ci(out->id, "urn:cen.eu:en16931:2017")) {
        edi_say(why, why_n,
                "the specification identifier (BT-24) \"%s\" in %s claims EN 16931 with a specification "
                "we do not know (not XRechnung, Peppol BIS 3 or a Factur-X profile); its extra rules are "
                "not checked",
                out->id, where);
        return;
    }
    edi_say(why, why_n,
            "the specification identifier (BT-24) \"%s\" in %s is not one we know (EN 16931, XRechnung, "
            "Peppol BIS 3, Factur-X/ZUGFeRD); the document may not be an EN 16931 invoice",
            out->id, where);
}

edi_result einvoice_identify(xmlDocPtr doc, einvoice_kind *out, char *why, size_t why_n)
{
    if (!doc || !out) {
        edi_say(why, why_n, "einvoice_identify needs a document and a place for the result");
        return EDI_E_ARG;
    }
    memset(out, 0, sizeof *out);
    edi_say(why, why_n, "%s", "");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root) {
        edi_say(why, why_n, "the document has no root element, so it is not an e-invoice");
        return EDI_E_XML;
    }
    xmlNodePtr idnode = NULL;
    if (name_is(root, NS_UBL_INVOICE, "Invoice") || name_is(root, NS_UBL_CREDIT_NOTE, "CreditNote")) {
        out->syntax = name_is(root, NS_UBL_INVOICE, "Invoice") ? EINVOICE_SYNTAX_UBL_INVOICE
                                                               : EINVOICE_SYNTAX_UBL_CREDIT_NOTE;
        idnode = child(root, NS_UBL_CBC, "CustomizationID");
    } else if (name_is(root, NS_CII_RSM, "CrossIndustryInvoice")) {
        out->syntax = EINVOICE_SYNTAX_CII;
        xmlNodePtr ctx = child(root, NS_CII_RSM, "ExchangedDocumentContext");
        for (xmlNodePtr c = ctx ? ctx->children : NULL; c && !idnode; c = c->next)
            if (name_is(c, NS_CII_RAM, "GuidelineSpecifiedDocumentContextParameter"))
                idnode = child(c, NS_CII_RAM, "ID");
    } else {
        const char *ns = root->ns && root->ns->href ? (const char *)root->ns->href : "";
        if (strcmp(ns, NS_ZUGFERD1) == 0)
            edi_say(why, why_n,
                    "the root element is a ZUGFeRD 1.0 CrossIndustryDocument; only ZUGFeRD 2.x / Factur-X "
                    "(CII D16B CrossIndustryInvoice) and UBL 2.1 invoices are read: ask the sender for "
                    "ZUGFeRD 2.x or XRechnung");
        else
            edi_say(why, why_n,
                    "the root element is {%s}%s, not a UBL 2.1 Invoice or CreditNote nor a CII "
                    "CrossIndustryInvoice, so the document is not an e-invoice we read",
                    ns, (const char *)root->name);
        out->syntax = EINVOICE_SYNTAX_UNKNOWN;
        return EDI_E_XML;
    }

    xmlChar *text = idnode ? xmlNodeGetContent(idnode) : NULL;
    const char *s = text ? (const char *)text : "";
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n == 0) {
        edi_say(why, why_n,
                "the document has no specification identifier (BT-24, %s), so it does not say which "
                "rules it follows (EN 16931, XRechnung, Peppol BIS 3, Factur-X); it is read as plain %s",
                bt24_path(out->syntax), out->syntax == EINVOICE_SYNTAX_CII ? "CII" : "UBL");
    } else if (n >= sizeof out->id) {
        edi_say(why, why_n,
                "the specification identifier (BT-24) is %zu characters long, longer than any we know, so "
                "the document does not follow a known specification",
                n);
    } else {
        memcpy(out->id, s, n);
        out->id[n] = '\0';
        classify(out, why, why_n);
    }
    xmlFree(text);
    return EDI_OK;
}

const char *einvoice_spec_name(einvoice_spec s)
{
    switch (s) {
    case EINVOICE_SPEC_EN16931: return "EN 16931";
    case EINVOICE_SPEC_XRECHNUNG: return "XRechnung";
    case EINVOICE_SPEC_PEPPOL_BIS3: return "Peppol BIS Billing 3.0";
    case EINVOICE_SPEC_FACTURX_MINIMUM: return "Factur-X MINIMUM";
    case EINVOICE_SPEC_FACTURX_BASIC_WL: return "Factur-X BASIC WL";
    case EINVOICE_SPEC_FACTURX_BASIC: return "Factur-X BASIC";
    case EINVOICE_SPEC_FACTURX_EXTENDED: return "Factur-X EXTENDED";
    case EINVOICE_SPEC_UNKNOWN: break;
    }
    return "unknown specification";
}

const char *einvoice_stylesheet(einvoice_syntax s)
{
    switch (s) {
    case EINVOICE_SYNTAX_UBL_INVOICE:
    case EINVOICE_SYNTAX_UBL_CREDIT_NOTE: return "ubl-invoice-to-canonical.xsl";
    case EINVOICE_SYNTAX_CII: return "cii-invoice-to-canonical.xsl";
    case EINVOICE_SYNTAX_UNKNOWN: break;
    }
    return NULL;
}

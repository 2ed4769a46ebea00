/* einvoice.h: what kind of e-invoice a received XML document is. It owns telling the
 * syntax (UBL 2.1 Invoice or CreditNote, UN/CEFACT CII D16B CrossIndustryInvoice) from the
 * root, and the specification it follows (EN 16931 BT-24: XRechnung, Peppol BIS Billing
 * 3.0, plain EN 16931, the Factur-X/ZUGFeRD 2.x profiles) from its identifier, never from
 * the root alone; and which stylesheet maps the syntax to the canonical invoice. */
#ifndef EINVOICE_H
#define EINVOICE_H

#include <stddef.h>

#include <libxml/tree.h>

#include "edi_result.h"

typedef enum {
    EINVOICE_SYNTAX_UNKNOWN = 0,
    EINVOICE_SYNTAX_UBL_INVOICE,
    EINVOICE_SYNTAX_UBL_CREDIT_NOTE,
    EINVOICE_SYNTAX_CII
} einvoice_syntax;

typedef enum {
    EINVOICE_SPEC_UNKNOWN = 0,
    EINVOICE_SPEC_EN16931,          /* urn:cen.eu:en16931:2017 (also Factur-X EN 16931/COMFORT) */
    EINVOICE_SPEC_XRECHNUNG,        /* XRechnung 1.2 .. 3.0, with or without the extension */
    EINVOICE_SPEC_PEPPOL_BIS3,
    EINVOICE_SPEC_FACTURX_MINIMUM,  /* Factur-X 1.0 and ZUGFeRD 2.x profiles (CII only) */
    EINVOICE_SPEC_FACTURX_BASIC_WL,
    EINVOICE_SPEC_FACTURX_BASIC,
    EINVOICE_SPEC_FACTURX_EXTENDED
} einvoice_spec;

typedef struct {
    einvoice_syntax syntax;
    einvoice_spec spec;
    char id[256];      /* BT-24 as sent (blanks around it trimmed), "" when absent */
    char version[16];  /* XRechnung version such as "3.0", else "" */
} einvoice_kind;

/* EDI_OK with *out filled when the root is a UBL Invoice/CreditNote or a CII
 * CrossIndustryInvoice (spec UNKNOWN and a sentence in why when BT-24 is missing or not one
 * we know: the caller decides whether to warn or refuse; why is "" when the spec is known);
 * EDI_E_XML with a sentence when the root is none of them; EDI_E_ARG when doc or out is
 * NULL. Identifiers are compared without regard to ASCII case, and the colon-separated
 * Factur-X forms ("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic") count too.
 * A Factur-X/ZUGFeRD identifier in a UBL document is UNKNOWN (those profiles exist in CII
 * only). `doc` stays the caller's; nothing is to be freed. */
edi_result einvoice_identify(xmlDocPtr doc, einvoice_kind *out, char *why, size_t why_n);

/* "XRechnung", "Peppol BIS Billing 3.0", "EN 16931", "Factur-X BASIC", ...; never NULL. */
const char *einvoice_spec_name(einvoice_spec s);

/* "ubl-invoice-to-canonical.xsl" (both UBL roots) or "cii-invoice-to-canonical.xsl", the
 * file name in the xslt folder; NULL for UNKNOWN. */
const char *einvoice_stylesheet(einvoice_syntax s);

#endif

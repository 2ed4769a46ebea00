/* Outbound e-invoices: canonical invoice -> UBL 2.1 (xslt/canonical-to-ubl.xsl: XRechnung
 * 3.0, Peppol BIS Billing 3.0, EN 16931) and -> CII D16B (xslt/canonical-to-cii.xsl:
 * XRechnung, EN 16931, Factur-X EN16931), run through the gateway's mapping step
 * (gateway/mapping: security preferences, stylesheet cache, official schemas).
 * The fixtures tests/corpus/canonical/einvoice-out-*.xml (amounts computed by hand, and
 * confirmed by the C completion, gateway/en16931.h, finding nothing to add) must give
 * schema-valid documents with every value where EN 16931 puts it. The round trip takes
 * every XRechnung test suite invoice in tests/corpus/einvoice/xrechnung/ (UBL and CII) ->
 * canonical (xslt/ubl-invoice-to-canonical.xsl, xslt/cii-invoice-to-canonical.xsl) ->
 * completed in C -> UBL and CII, and checks that the results are schema-valid and that the
 * invoice number, the line count, each line's net amount, every total BT-106..BT-115 the
 * source has and the whole VAT breakdown are unchanged by value (gateway/decimal.h: 12.5
 * equals 12.50). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "decimal.h"
#include "doc_finding.h"
#include "en16931.h"
#include "mapping_fixture.h"

#define ROOT GATEWAY_FORMATS_DIR "/.."
#define UBL_TO_CANONICAL MF_XSLT "ubl-invoice-to-canonical.xsl"
#define CII_TO_CANONICAL MF_XSLT "cii-invoice-to-canonical.xsl"
#define XSD_INVOICE GATEWAY_FORMATS_DIR "/xsd/ubl21/maindoc/UBL-Invoice-2.1.xsd"
#define XSD_CREDIT_NOTE GATEWAY_FORMATS_DIR "/xsd/ubl21/maindoc/UBL-CreditNote-2.1.xsd"
#define XSD_CII GATEWAY_FORMATS_DIR "/xsd/cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
#define XSD_FACTURX GATEWAY_FORMATS_DIR "/xsd/facturx/EN16931/FACTUR-X_EN16931.xsd"
#define FIXTURES ROOT "/tests/corpus/canonical"
#define ROUNDTRIP ROOT "/tests/corpus/einvoice/xrechnung"

#define NS_CII "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"

#define CUSTOMIZATION_XRECHNUNG "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
#define CUSTOMIZATION_PEPPOL "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
#define CUSTOMIZATION_EN16931 "urn:cen.eu:en16931:2017"
#define PROCESS_PEPPOL "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

static mapping_ctx *mapping;
static xsltStylesheetPtr to_ubl, to_cii;

static int setup(void **state)
{
    *state = mapping = mf_mapping_new("canonical-to-ubl.xsl", &to_ubl,
                                      "canonical-to-cii.xsl", &to_cii, NULL);
    return mapping ? 0 : -1;
}

/* ---- reading, transforming, validating ------------------------------------------------ */

static xmlDocPtr read_fixture(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    xmlDocPtr doc = mf_parse_file(path);
    mf_assert_canonical(mapping, doc, name);
    return doc;
}

/* An invoice fixture is complete and its hand-computed amounts agree with the EN 16931
 * calculation: completing it in C (gateway/en16931.h) finds nothing to add or to object to. */
static xmlDocPtr read_invoice_fixture(const char *name)
{
    xmlDocPtr doc = read_fixture(name);
    doc_findings f;
    doc_findings_init(&f);
    char why[512] = "";
    if (en16931_complete(doc, &f, why, sizeof why) != EDI_OK)
        fail_msg("%s: completing failed: %s", name, why);
    if (f.count)
        doc_findings_print(&f, stderr, false, name);
    assert_int_equal(f.count, 0);
    doc_findings_free(&f);
    assert_xpath(doc, "count(//@computed)", "0");
    return doc;
}

/* Apply `style` with the profile parameter; NULL and the reason in `why` when the
 * stylesheet stopped. */
static xmlDocPtr try_transform(xsltStylesheetPtr style, xmlDocPtr doc, const char *profile,
                               char *why, size_t why_n)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "'%s'", profile);
    const char *params[] = { "profile", quoted, NULL };
    xmlDocPtr out = NULL;
    if (mapping_apply(mapping, style, doc, params, &out, NULL, 0, why, why_n) != EDI_OK)
        return NULL;
    return out;
}

static xmlDocPtr transform(xsltStylesheetPtr style, xmlDocPtr doc, const char *profile)
{
    char why[1024] = "";
    xmlDocPtr out = try_transform(style, doc, profile, why, sizeof why);
    if (!out)
        fail_msg("profile %s: the transformation failed: %s", profile, why);
    return out;
}

/* True when `doc` is valid against `xsd`; otherwise the schema errors go to stderr, each
 * with `label`. */
static bool schema_valid(xmlDocPtr doc, const char *xsd, const char *label)
{
    doc_findings f;
    doc_findings_init(&f);
    char why[512] = "";
    edi_result r = mapping_schema_check(mapping, xsd, doc, DOC_ERROR, "XSD", &f, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "%s: %s\n", label, why);
        doc_findings_print(&f, stderr, false, label);
    }
    doc_findings_free(&f);
    return r == EDI_OK;
}

/* Elements without children and without text: Peppol (and good manners) forbid them; CII
 * needs ram:ApplicableHeaderTradeDelivery even when there is nothing to say in it. */
#define EMPTY_ELEMENTS "count(//*[not(*) and normalize-space() = '' and not(self::ram:ApplicableHeaderTradeDelivery)])"

static xmlDocPtr to_ubl_valid(xmlDocPtr canonical, const char *profile, bool credit)
{
    xmlDocPtr out = transform(to_ubl, canonical, profile);
    if (!schema_valid(out, credit ? XSD_CREDIT_NOTE : XSD_INVOICE, profile))
        fail_msg("the UBL written for profile %s is not valid against the UBL 2.1 schema", profile);
    assert_xpath(out, EMPTY_ELEMENTS, "0");
    return out;
}

static xmlDocPtr to_cii_valid(xmlDocPtr canonical, const char *profile)
{
    xmlDocPtr out = transform(to_cii, canonical, profile);
    if (!schema_valid(out, XSD_CII, profile))
        fail_msg("the CII written for profile %s is not valid against the CII D16B schema", profile);
    if (strcmp(profile, "facturx-en16931") == 0 && !schema_valid(out, XSD_FACTURX, profile))
        fail_msg("the CII written for profile %s is not valid against the Factur-X EN16931 schema", profile);
    assert_xpath(out, EMPTY_ELEMENTS, "0");
    return out;
}

/* ---- the fixtures --------------------------------------------------------------------- */

#define LMT "/inv:Invoice/cac:LegalMonetaryTotal/"
#define SUB19 "/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cbc:Percent = '19']/"
#define SUB7 "/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cbc:Percent = '7']/"
#define LINE(n) "/inv:Invoice/cac:InvoiceLine[cbc:ID = '" #n "']/"

/* Two VAT rates, document allowance and charge, a line allowance, a price per 100 MTR and a
 * SEPA credit transfer, in each UBL profile. */
static void standard_to_ubl(void **state)
{
    (void)state;
    static const char *const profile[][2] = {
        { "xrechnung", CUSTOMIZATION_XRECHNUNG },
        { "peppol", CUSTOMIZATION_PEPPOL },
        { "en16931", CUSTOMIZATION_EN16931 },
    };
    xmlDocPtr c = read_invoice_fixture("einvoice-out-standard.xml");
    for (size_t i = 0; i < 3; i++) {
        xmlDocPtr u = to_ubl_valid(c, profile[i][0], false);
        assert_xpath(u, "string(/inv:Invoice/cbc:CustomizationID)", profile[i][1]);
        assert_xpath(u, "string(/inv:Invoice/cbc:ProfileID)", i < 2 ? PROCESS_PEPPOL : "");
        assert_xpath(u, "string(/inv:Invoice/cbc:ID)", "RE-2026-0815");
        assert_xpath(u, "string(/inv:Invoice/cbc:IssueDate)", "2026-11-26");
        assert_xpath(u, "string(/inv:Invoice/cbc:DueDate)", "2026-12-26");
        assert_xpath(u, "string(/inv:Invoice/cbc:InvoiceTypeCode)", "380");
        /* Two notes, the first with its subject code; Peppol allows one, so it gets both. */
        if (strcmp(profile[i][0], "peppol") == 0) {
            assert_xpath(u, "count(/inv:Invoice/cbc:Note)", "1");
            assert_xpath(u, "string(/inv:Invoice/cbc:Note)",
                     "#AAI#Lieferung frei Haus ab 500 EUR.\nBitte bei Zahlung die Rechnungsnummer angeben.");
        } else {
            assert_xpath(u, "count(/inv:Invoice/cbc:Note)", "2");
            assert_xpath(u, "string(/inv:Invoice/cbc:Note[1])", "#AAI#Lieferung frei Haus ab 500 EUR.");
            assert_xpath(u, "string(/inv:Invoice/cbc:Note[2])", "Bitte bei Zahlung die Rechnungsnummer angeben.");
        }
        assert_xpath(u, "string(/inv:Invoice/cbc:DocumentCurrencyCode)", "EUR");
        assert_xpath(u, "string(/inv:Invoice/cbc:BuyerReference)", "04011000-12345-03");
        assert_xpath(u, "string(/inv:Invoice/cac:InvoicePeriod/cbc:EndDate)", "2026-11-30");
        assert_xpath(u, "string(/inv:Invoice/cac:OrderReference/cbc:ID)", "PO-2026-1187");
        assert_xpath(u, "string(/inv:Invoice/cac:ContractDocumentReference/cbc:ID)", "RV-2026-07");
        assert_xpath(u, "string(/inv:Invoice/cac:DespatchDocumentReference/cbc:ID)", "LS-2026-4711");
        assert_xpath(u, "string(/inv:Invoice/cac:OrderReference/cbc:SalesOrderID)", "AB-2026-0331");
        assert_xpath(u, "string(/inv:Invoice/cac:ReceiptDocumentReference/cbc:ID)", "WE-2026-118");
        assert_xpath(u, "string(/inv:Invoice/cac:OriginatorDocumentReference/cbc:ID)", "LOS-7");
        assert_xpath(u, "string(/inv:Invoice/cac:AdditionalDocumentReference[cbc:DocumentTypeCode = '130']/cbc:ID[@schemeID = 'AAQ'])",
                 "ZAEHLER-55012");
        assert_xpath(u, "string(/inv:Invoice/cac:ProjectReference/cbc:ID)", "PRJ-NETZ-2026");
        assert_xpath(u, "string(/inv:Invoice/cbc:AccountingCost)", "KST-4711");
        assert_xpath(u, "string(/inv:Invoice/cac:TaxRepresentativeParty/cac:PartyTaxScheme/cbc:CompanyID)", "DE111222333");
        assert_xpath(u, "string(/inv:Invoice/cac:TaxRepresentativeParty/cac:PostalAddress/cbc:CityName)", "Karlsruhe");
        /* Seller: endpoint, GLN, trading name, address, VAT and tax number, legal name. */
#define SELLER "/inv:Invoice/cac:AccountingSupplierParty/cac:Party/"
        assert_xpath(u, "string(" SELLER "cbc:EndpointID/@schemeID)", "EM");
        assert_xpath(u, "string(" SELLER "cac:PartyIdentification/cbc:ID[@schemeID = '0088'])", "4098765000012");
        assert_xpath(u, "string(" SELLER "cac:PartyName/cbc:Name)", "Muster Elektro");
        assert_xpath(u, "string(" SELLER "cac:PostalAddress/cbc:AdditionalStreetName)", "Halle 3");
        assert_xpath(u, "string(" SELLER "cac:PostalAddress/cac:Country/cbc:IdentificationCode)", "DE");
        assert_xpath(u, "string(" SELLER "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'VAT']/cbc:CompanyID)", "DE123456789");
        assert_xpath(u, "string(" SELLER "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID = 'FC']/cbc:CompanyID)", "201/113/40209");
        assert_xpath(u, "string(" SELLER "cac:PartyLegalEntity/cbc:RegistrationName)", "Muster Elektro GmbH");
        assert_xpath(u, "string(" SELLER "cac:Contact/cbc:ElectronicMail)", "a.schmidt@muster-elektro.example");
#define BUYER "/inv:Invoice/cac:AccountingCustomerParty/cac:Party/"
        assert_xpath(u, "string(" BUYER "cbc:EndpointID[@schemeID = '0204'])", "04011000-12345-03");
        assert_xpath(u, "string(" BUYER "cac:PartyTaxScheme/cbc:CompanyID)", "DE987654321");
        assert_xpath(u, "string(/inv:Invoice/cac:Delivery/cbc:ActualDeliveryDate)", "2026-11-20");
        assert_xpath(u, "string(/inv:Invoice/cac:Delivery/cac:DeliveryLocation/cbc:ID[@schemeID = '0088'])", "4012345000023");
        /* Payment: SEPA credit transfer with IBAN, BIC, remittance; payment terms. */
#define PAY "/inv:Invoice/cac:PaymentMeans/"
        assert_xpath(u, "string(" PAY "cbc:PaymentMeansCode)", "58");
        assert_xpath(u, "string(" PAY "cbc:PaymentID)", "RE-2026-0815");
        assert_xpath(u, "string(" PAY "cac:PayeeFinancialAccount/cbc:ID)", "DE02120300000000202051");
        assert_xpath(u, "string(" PAY "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID)", "BYLADEM1001");
        assert_xpath(u, "string(/inv:Invoice/cac:PaymentTerms/cbc:Note)", "Zahlbar innerhalb von 30 Tagen ohne Abzug.");
        /* Document allowance (7 %) and charge (19 %). */
        assert_xpath(u, "string(/inv:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/cbc:Amount)", "3.60");
        assert_xpath(u, "string(/inv:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/cbc:BaseAmount)", "72.00");
        assert_xpath(u, "string(/inv:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/cac:TaxCategory/cbc:Percent)", "7");
        assert_xpath(u, "string(/inv:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator = 'true']/cbc:AllowanceChargeReasonCode)", "FC");
        assert_xpath(u, "string(/inv:Invoice/cac:AllowanceCharge[cbc:ChargeIndicator = 'true']/cbc:Amount)", "15.00");
        /* VAT: the total and one subtotal per rate. */
        assert_xpath(u, "count(/inv:Invoice/cac:TaxTotal)", "1");
        assert_xpath(u, "string(/inv:Invoice/cac:TaxTotal/cbc:TaxAmount)", "112.12");
        assert_xpath(u, "count(/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal)", "2");
        assert_xpath(u, "string(" SUB19 "cbc:TaxableAmount)", "564.88");
        assert_xpath(u, "string(" SUB19 "cbc:TaxAmount)", "107.33");
        assert_xpath(u, "string(" SUB19 "cac:TaxCategory/cbc:ID)", "S");
        assert_xpath(u, "string(" SUB19 "cac:TaxCategory/cac:TaxScheme/cbc:ID)", "VAT");
        assert_xpath(u, "string(" SUB7 "cbc:TaxableAmount)", "68.40");
        assert_xpath(u, "string(" SUB7 "cbc:TaxAmount)", "4.79");
        /* Totals. */
        assert_xpath(u, "string(" LMT "cbc:LineExtensionAmount)", "621.88");
        assert_xpath(u, "string(" LMT "cbc:TaxExclusiveAmount)", "633.28");
        assert_xpath(u, "string(" LMT "cbc:TaxInclusiveAmount)", "745.40");
        assert_xpath(u, "string(" LMT "cbc:AllowanceTotalAmount)", "3.60");
        assert_xpath(u, "string(" LMT "cbc:ChargeTotalAmount)", "15.00");
        assert_xpath(u, "string(" LMT "cbc:PayableAmount)", "745.40");
        assert_xpath(u, "count(" LMT "cbc:PrepaidAmount)", "0");
        /* Every amount names its currency. */
        assert_xpath(u, "count(//cbc:*[contains(local-name(), 'Amount')][not(@currencyID = 'EUR')])", "0");
        /* Lines: amounts, units, price basis, line allowance, item. */
        assert_xpath(u, "count(/inv:Invoice/cac:InvoiceLine)", "3");
        assert_xpath(u, "string(" LINE(1) "cbc:LineExtensionAmount)", "540.00");
        assert_xpath(u, "string(" LINE(1) "cbc:InvoicedQuantity/@unitCode)", "C62");
        assert_xpath(u, "string(" LINE(1) "cac:OrderLineReference/cbc:LineID)", "10");
        assert_xpath(u, "string(" LINE(1) "cac:AllowanceCharge/cbc:Amount)", "60.00");
        assert_xpath(u, "string(" LINE(1) "cac:AllowanceCharge/cbc:ChargeIndicator)", "false");
        assert_xpath(u, "count(" LINE(1) "cac:AllowanceCharge/cac:TaxCategory)", "0");
        assert_xpath(u, "string(" LINE(1) "cac:Item/cbc:Name)", "Leitungsschutzschalter B16");
        assert_xpath(u, "string(" LINE(1) "cac:Item/cac:StandardItemIdentification/cbc:ID[@schemeID = '0160'])", "4006381333931");
        assert_xpath(u, "string(" LINE(1) "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent)", "19");
        assert_xpath(u, "string(" LINE(2) "cbc:LineExtensionAmount)", "9.88");
        assert_xpath(u, "string(" LINE(2) "cbc:InvoicedQuantity)", "250");
        assert_xpath(u, "string(" LINE(2) "cbc:InvoicedQuantity/@unitCode)", "MTR");
        assert_xpath(u, "string(" LINE(2) "cac:Price/cbc:PriceAmount)", "3.95");
        assert_xpath(u, "string(" LINE(2) "cac:Price/cbc:BaseQuantity)", "100");
        assert_xpath(u, "string(" LINE(2) "cac:Price/cbc:BaseQuantity/@unitCode)", "MTR");
        assert_xpath(u, "string(" LINE(3) "cbc:LineExtensionAmount)", "72.00");
        assert_xpath(u, "string(" LINE(3) "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent)", "7");
        assert_xpath(u, "string(" LINE(3) "cac:Item/cac:AdditionalItemProperty[cbc:Name = 'Auflage']/cbc:Value)", "12");
        xmlFreeDoc(u);
    }
    xmlFreeDoc(c);
}

#define CII_SETTLEMENT "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
#define CII_AGREEMENT "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
#define CII_SUM CII_SETTLEMENT "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
#define CII_LINE(n) "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[ram:AssociatedDocumentLineDocument/ram:LineID = '" #n "']/"

static void standard_to_cii(void **state)
{
    (void)state;
    static const char *const profile[][2] = {
        { "xrechnung", CUSTOMIZATION_XRECHNUNG },
        { "en16931", CUSTOMIZATION_EN16931 },
        { "facturx-en16931", CUSTOMIZATION_EN16931 },
    };
    xmlDocPtr c = read_invoice_fixture("einvoice-out-standard.xml");
    for (size_t i = 0; i < 3; i++) {
        xmlDocPtr x = to_cii_valid(c, profile[i][0]);
        assert_xpath(x, "string(//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)", profile[i][1]);
        assert_xpath(x, "string(//rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID)",
                 i == 0 ? PROCESS_PEPPOL : "");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:ID)", "RE-2026-0815");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:TypeCode)", "380");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString)", "20261126");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString/@format)", "102");
        assert_xpath(x, "count(//rsm:ExchangedDocument/ram:IncludedNote)", "2");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:IncludedNote[1]/ram:SubjectCode)", "AAI");
        assert_xpath(x, "string(//rsm:ExchangedDocument/ram:IncludedNote[1]/ram:Content)", "Lieferung frei Haus ab 500 EUR.");
        assert_xpath(x, "count(//rsm:ExchangedDocument/ram:IncludedNote[2]/ram:SubjectCode)", "0");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:BuyerReference)", "04011000-12345-03");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SellerTradeParty/ram:GlobalID[@schemeID = '0088'])", "4098765000012");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA'])", "DE123456789");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'FC'])", "201/113/40209");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID = '0204'])", "04011000-12345-03");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID)", "PO-2026-1187");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID)", "AB-2026-0331");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:AdditionalReferencedDocument[ram:TypeCode = '130']/ram:ReferenceTypeCode)", "AAQ");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SpecifiedProcuringProject/ram:ID)", "PRJ-NETZ-2026");
        assert_xpath(x, "string(" CII_AGREEMENT "ram:SellerTaxRepresentativeTradeParty/ram:SpecifiedTaxRegistration/ram:ID)", "DE111222333");
        assert_xpath(x, "string(//ram:ApplicableHeaderTradeDelivery/ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID)", "WE-2026-118");
        assert_xpath(x, "string(//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:GlobalID[@schemeID = '0088'])", "4012345000023");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID)", "KST-4711");
        assert_xpath(x, "string(//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString)", "20261120");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:InvoiceCurrencyCode)", "EUR");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:PaymentReference)", "RE-2026-0815");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode)", "58");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID)",
                 "DE02120300000000202051");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID)",
                 "BYLADEM1001");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString)", "20261226");
        /* VAT breakdown. */
        assert_xpath(x, "count(" CII_SETTLEMENT "ram:ApplicableTradeTax)", "2");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:RateApplicablePercent = '19']/ram:BasisAmount)", "564.88");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:RateApplicablePercent = '19']/ram:CalculatedAmount)", "107.33");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:RateApplicablePercent = '19']/ram:CategoryCode)", "S");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:RateApplicablePercent = '7']/ram:BasisAmount)", "68.40");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:RateApplicablePercent = '7']/ram:CalculatedAmount)", "4.79");
        /* Document allowance and charge with their VAT. */
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = 'false']/ram:ActualAmount)", "3.60");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = 'false']/ram:CategoryTradeTax/ram:RateApplicablePercent)", "7");
        assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = 'true']/ram:ActualAmount)", "15.00");
        /* Totals: only BT-110 carries a currency. */
        assert_xpath(x, "string(" CII_SUM "ram:LineTotalAmount)", "621.88");
        assert_xpath(x, "string(" CII_SUM "ram:AllowanceTotalAmount)", "3.60");
        assert_xpath(x, "string(" CII_SUM "ram:ChargeTotalAmount)", "15.00");
        assert_xpath(x, "string(" CII_SUM "ram:TaxBasisTotalAmount)", "633.28");
        assert_xpath(x, "string(" CII_SUM "ram:TaxTotalAmount[@currencyID = 'EUR'])", "112.12");
        assert_xpath(x, "string(" CII_SUM "ram:GrandTotalAmount)", "745.40");
        assert_xpath(x, "string(" CII_SUM "ram:DuePayableAmount)", "745.40");
        assert_xpath(x, "count(//@currencyID)", "1");
        /* Lines. */
        assert_xpath(x, "count(//ram:IncludedSupplyChainTradeLineItem)", "3");
        assert_xpath(x, "string(" CII_LINE(1) "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount)", "540.00");
        assert_xpath(x, "string(" CII_LINE(1) "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount)", "60.00");
        assert_xpath(x, "string(" CII_LINE(1) "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent)", "19");
        assert_xpath(x, "string(" CII_LINE(1) "ram:SpecifiedTradeProduct/ram:GlobalID[@schemeID = '0160'])", "4006381333931");
        assert_xpath(x, "string(" CII_LINE(1) "ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument/ram:LineID)", "10");
        assert_xpath(x, "string(" CII_LINE(2) "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode)", "MTR");
        assert_xpath(x, "string(" CII_LINE(2) "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount)", "3.95");
        assert_xpath(x, "string(" CII_LINE(2) "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity)", "100");
        assert_xpath(x, "string(" CII_LINE(2) "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity/@unitCode)", "MTR");
        assert_xpath(x, "string(" CII_LINE(2) "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount)", "9.88");
        assert_xpath(x, "string(" CII_LINE(3) "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount)", "72.00");
        xmlFreeDoc(x);
    }
    xmlFreeDoc(c);
}

/* A credit note in USD with VAT accounted in EUR: CreditNote, CreditNoteLine,
 * CreditedQuantity, the due date on the payment means, and BT-111 as a second total. */
static void credit_note(void **state)
{
    (void)state;
    xmlDocPtr c = read_invoice_fixture("einvoice-out-credit-note.xml");
    static const char *const profiles[] = { "xrechnung", "peppol" };
    for (size_t i = 0; i < 2; i++) {
        xmlDocPtr u = to_ubl_valid(c, profiles[i], true);
        assert_xpath(u, "count(/cn:CreditNote)", "1");
        assert_xpath(u, "string(/cn:CreditNote/cbc:CreditNoteTypeCode)", "381");
        assert_xpath(u, "string(/cn:CreditNote/cbc:TaxPointDate)", "2026-11-27");
        assert_xpath(u, "string(/cn:CreditNote/cbc:BuyerReference)", "LEITWEG-991-77");
        assert_xpath(u, "string(/cn:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID)", "RE-2026-0815");
        assert_xpath(u, "string(/cn:CreditNote/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate)", "2026-11-26");
        assert_xpath(u, "string(/cn:CreditNote/cac:AdditionalDocumentReference[cbc:DocumentTypeCode = '50']/cbc:ID)", "PRJ-4711");
        assert_xpath(u, "string(/cn:CreditNote/cac:OriginatorDocumentReference/cbc:ID)", "LOS-3");
        assert_xpath(u, "string(/cn:CreditNote/cac:PaymentMeans/cbc:PaymentDueDate)", "2026-12-12");
        assert_xpath(u, "string(/cn:CreditNote/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID)", "DE75512108001245126199");
        assert_xpath(u, "count(/cn:CreditNote/cac:TaxTotal)", "2");
        assert_xpath(u, "string(/cn:CreditNote/cac:TaxTotal[cac:TaxSubtotal]/cbc:TaxAmount)", "12.86");
        assert_xpath(u, "string(/cn:CreditNote/cac:TaxTotal[cac:TaxSubtotal]/cbc:TaxAmount/@currencyID)", "USD");
        assert_xpath(u, "string(/cn:CreditNote/cac:TaxTotal[not(cac:TaxSubtotal)]/cbc:TaxAmount)", "11.93");
        assert_xpath(u, "string(/cn:CreditNote/cac:TaxTotal[not(cac:TaxSubtotal)]/cbc:TaxAmount/@currencyID)", "EUR");
        assert_xpath(u, "string(/cn:CreditNote/cbc:TaxCurrencyCode)", "EUR");
        assert_xpath(u, "string(/cn:CreditNote/cac:LegalMonetaryTotal/cbc:PayableAmount)", "110.86");
        assert_xpath(u, "string(/cn:CreditNote/cac:LegalMonetaryTotal/cbc:PayableAmount/@currencyID)", "USD");
        assert_xpath(u, "count(/cn:CreditNote/cac:CreditNoteLine)", "2");
        assert_xpath(u, "count(//cac:InvoiceLine | //cbc:InvoicedQuantity)", "0");
        assert_xpath(u, "string(/cn:CreditNote/cac:CreditNoteLine[cbc:ID = '2']/cbc:CreditedQuantity)", "2");
        assert_xpath(u, "string(/cn:CreditNote/cac:CreditNoteLine[cbc:ID = '2']/cbc:CreditedQuantity/@unitCode)", "C62");
        assert_xpath(u, "string(/cn:CreditNote/cac:CreditNoteLine[cbc:ID = '2']/cbc:LineExtensionAmount)", "48.00");
        assert_xpath(u, "string(/cn:CreditNote/cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID)", "K-10025");
        xmlFreeDoc(u);
    }
    xmlDocPtr x = to_cii_valid(c, "xrechnung");
    assert_xpath(x, "string(//rsm:ExchangedDocument/ram:TypeCode)", "381");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:TaxCurrencyCode)", "EUR");
    assert_xpath(x, "count(" CII_SETTLEMENT "ram:ApplicableTradeTax[ram:TaxPointDate/udt:DateString = '20261127'])", "2");
    assert_xpath(x, "string(" CII_SUM "ram:TaxTotalAmount[@currencyID = 'USD'])", "12.86");
    assert_xpath(x, "string(" CII_SUM "ram:TaxTotalAmount[@currencyID = 'EUR'])", "11.93");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:InvoiceReferencedDocument/ram:IssuerAssignedID)", "RE-2026-0815");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString)", "20261126");
    assert_xpath(x, "string(" CII_AGREEMENT "ram:SpecifiedProcuringProject/ram:ID)", "PRJ-4711");
    assert_xpath(x, "string(" CII_AGREEMENT "ram:AdditionalReferencedDocument[ram:TypeCode = '50']/ram:IssuerAssignedID)", "LOS-3");
    assert_xpath(x, "count(//ram:IncludedSupplyChainTradeLineItem)", "2");
    xmlFreeDoc(x);
    xmlDocPtr f = to_cii_valid(c, "facturx-en16931");
    xmlFreeDoc(f);
    xmlFreeDoc(c);
}

/* Reverse charge: category AE at 0 % with the exemption reason and VATEX code, both VAT
 * identifiers. */
static void reverse_charge(void **state)
{
    (void)state;
    xmlDocPtr c = read_invoice_fixture("einvoice-out-reverse-charge.xml");
    xmlDocPtr u = to_ubl_valid(c, "peppol", false);
#define CAT "/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert_xpath(u, "string(" CAT "cbc:ID)", "AE");
    assert_xpath(u, "string(" CAT "cbc:Percent)", "0");
    assert_xpath(u, "string(" CAT "cbc:TaxExemptionReasonCode)", "VATEX-EU-AE");
    assert_xpath(u, "string(" CAT "cbc:TaxExemptionReason)", "Steuerschuldnerschaft des Leistungsempfängers");
    assert_xpath(u, "string(/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount)", "850.00");
    assert_xpath(u, "string(/inv:Invoice/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount)", "0.00");
    assert_xpath(u, "string(/inv:Invoice/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID)", "AE");
    assert_xpath(u, "count(/inv:Invoice/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:TaxExemptionReason)", "0");
    assert_xpath(u, "string(/inv:Invoice/cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode)", "HUR");
    assert_xpath(u, "string(/inv:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID)", "DE123456789");
    assert_xpath(u, "string(/inv:Invoice/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID)", "ATU12345678");
    assert_xpath(u, "string(/inv:Invoice/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode)", "AT");
    xmlFreeDoc(u);
    xmlDocPtr x = to_cii_valid(c, "xrechnung");
#define TAX CII_SETTLEMENT "ram:ApplicableTradeTax/"
    assert_xpath(x, "string(" TAX "ram:CategoryCode)", "AE");
    assert_xpath(x, "string(" TAX "ram:RateApplicablePercent)", "0");
    assert_xpath(x, "string(" TAX "ram:ExemptionReasonCode)", "VATEX-EU-AE");
    assert_xpath(x, "string(" TAX "ram:ExemptionReason)", "Steuerschuldnerschaft des Leistungsempfängers");
    assert_xpath(x, "string(" TAX "ram:BasisAmount)", "850.00");
    assert_xpath(x, "string(" TAX "ram:CalculatedAmount)", "0.00");
    assert_xpath(x, "string(" CII_AGREEMENT "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA'])", "ATU12345678");
    xmlFreeDoc(x);
    xmlDocPtr f = to_cii_valid(c, "facturx-en16931");
    xmlFreeDoc(f);
    xmlFreeDoc(c);
}

/* Exempt (E) with its reason, a prepaid amount, and SEPA direct debit: mandate, creditor
 * identifier, debited account. */
static void exempt_direct_debit(void **state)
{
    (void)state;
    xmlDocPtr c = read_invoice_fixture("einvoice-out-exempt.xml");
    xmlDocPtr u = to_ubl_valid(c, "xrechnung", false);
    assert_xpath(u, "string(" CAT "cbc:ID)", "E");
    assert_xpath(u, "string(" CAT "cbc:TaxExemptionReason)", "Steuerfrei nach § 4 Nr. 21 UStG");
    assert_xpath(u, "string(" CAT "cbc:TaxExemptionReasonCode)", "VATEX-EU-132-1I");
    assert_xpath(u, "string(" LMT "cbc:TaxInclusiveAmount)", "1200.00");
    assert_xpath(u, "string(" LMT "cbc:PrepaidAmount)", "200.00");
    assert_xpath(u, "string(" LMT "cbc:PayableAmount)", "1000.00");
    assert_xpath(u, "string(/inv:Invoice/cbc:DueDate)", "2026-12-15");
    assert_xpath(u, "string(/inv:Invoice/cac:PaymentMeans/cbc:PaymentMeansCode)", "59");
    assert_xpath(u, "string(/inv:Invoice/cac:PaymentMeans/cac:PaymentMandate/cbc:ID)", "MANDAT-0815");
    assert_xpath(u, "string(/inv:Invoice/cac:PaymentMeans/cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID)", "DE89370400440532013000");
    assert_xpath(u, "count(/inv:Invoice/cac:PaymentMeans/cac:PayeeFinancialAccount)", "0");
    /* BT-90 belongs to the payee when there is one. */
    assert_xpath(u, "string(/inv:Invoice/cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID = 'SEPA'])", "DE98ZZZ09999999999");
    assert_xpath(u, "string(/inv:Invoice/cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID = '0088'])", "4098765000029");
    assert_xpath(u, "string(/inv:Invoice/cac:PayeeParty/cac:PartyName/cbc:Name)", "Muster Elektro Inkasso GmbH");
    assert_xpath(u, "count(/inv:Invoice/cac:AccountingSupplierParty//cbc:ID[@schemeID = 'SEPA'])", "0");
    assert_xpath(u, "string(/inv:Invoice/cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate)", "2026-11-02");
    xmlFreeDoc(u);
    xmlDocPtr x = to_cii_valid(c, "xrechnung");
    assert_xpath(x, "string(" TAX "ram:CategoryCode)", "E");
    assert_xpath(x, "string(" TAX "ram:ExemptionReason)", "Steuerfrei nach § 4 Nr. 21 UStG");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:CreditorReferenceID)", "DE98ZZZ09999999999");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:PayeeTradeParty/ram:GlobalID[@schemeID = '0088'])", "4098765000029");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:PayeeTradeParty/ram:Name)", "Muster Elektro Inkasso GmbH");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayerPartyDebtorFinancialAccount/ram:IBANID)",
             "DE89370400440532013000");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID)", "MANDAT-0815");
    assert_xpath(x, "string(" CII_SETTLEMENT "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString)", "20261215");
    assert_xpath(x, "string(" CII_SUM "ram:TotalPrepaidAmount)", "200.00");
    assert_xpath(x, "string(" CII_SUM "ram:DuePayableAmount)", "1000.00");
    assert_xpath(x, "string(//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString)",
             "20261127");
    xmlFreeDoc(x);
    xmlFreeDoc(to_cii_valid(c, "facturx-en16931"));

    /* Two direct debits with the same creditor and mandate: the creditor identifier, the
     * payment reference and the mandate are written once, as the schemas allow. */
    xmlXPathObjectPtr o = xpath_eval(c, "/c:invoice/c:paymentMeans");
    assert_int_equal(o->nodesetval ? o->nodesetval->nodeNr : 0, 1);
    xmlNodePtr means = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    assert_non_null(xmlAddNextSibling(means, xmlDocCopyNode(means, c, 1)));
    u = to_ubl_valid(c, "xrechnung", false);
    assert_xpath(u, "count(/inv:Invoice/cac:PaymentMeans)", "2");
    assert_xpath(u, "count(//cbc:ID[@schemeID = 'SEPA'])", "1");
    xmlFreeDoc(u);
    x = to_cii_valid(c, "facturx-en16931");
    assert_xpath(x, "count(" CII_SETTLEMENT "ram:SpecifiedTradeSettlementPaymentMeans)", "2");
    assert_xpath(x, "count(" CII_SETTLEMENT "ram:CreditorReferenceID)", "1");
    assert_xpath(x, "count(" CII_SETTLEMENT "ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID)", "1");
    xmlFreeDoc(x);
    xmlFreeDoc(c);
}

/* The stylesheets stop, with a sentence, on what the schema could not take, on an unknown
 * profile and on a document that is not an invoice. */
static void refusals(void **state)
{
    (void)state;
    char why[1024];
    xmlDocPtr c = read_invoice_fixture("einvoice-out-standard.xml");

    why[0] = '\0';
    assert_null(try_transform(to_ubl, c, "xrechnung-2", why, sizeof why));
    assert_non_null(strstr(why, "profile must be xrechnung, peppol or en16931"));
    why[0] = '\0';
    assert_null(try_transform(to_cii, c, "peppol", why, sizeof why));
    assert_non_null(strstr(why, "profile must be xrechnung, en16931 or facturx-en16931"));

    /* Without BT-115 the UBL LegalMonetaryTotal cannot be written. */
    xmlXPathObjectPtr o = xpath_eval(c, "/c:invoice/c:totals/c:payableAmount");
    assert_int_equal(o->nodesetval ? o->nodesetval->nodeNr : 0, 1);
    xmlNodePtr payable = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    xmlUnlinkNode(payable);
    xmlFreeNode(payable);
    why[0] = '\0';
    assert_null(try_transform(to_ubl, c, "peppol", why, sizeof why));
    assert_non_null(strstr(why, "payableAmount (BT-115)"));
    xmlFreeDoc(c);

    c = read_fixture("orderresponse-changed.xml");
    why[0] = '\0';
    assert_null(try_transform(to_ubl, c, "xrechnung", why, sizeof why));
    assert_non_null(strstr(why, "not a canonical invoice"));
    why[0] = '\0';
    assert_null(try_transform(to_cii, c, "xrechnung", why, sizeof why));
    assert_non_null(strstr(why, "not a canonical invoice"));
    xmlFreeDoc(c);
}

/* ---- the round trip ------------------------------------------------------------------- */

typedef enum { SYNTAX_UBL = 0, SYNTAX_CII = 1 } syntax;

/* Where EN 16931 puts a value in each syntax; `%d` in line and VAT paths is the 1-based
 * position. */
typedef struct {
    const char *number, *line_count, *line_amount;
    const char *vat_count, *vat_category, *vat_rate, *vat_basis, *vat_amount;
    const char *total[10];
} syntax_paths;

static const char *const total_bt[10] = {
    "BT-106", "BT-107", "BT-108", "BT-109", "BT-110",
    "BT-111", "BT-112", "BT-113", "BT-114", "BT-115",
};

#define UBL_LINES "(/*/cac:InvoiceLine | /*/cac:CreditNoteLine)"
#define UBL_SUB "(/*/cac:TaxTotal/cac:TaxSubtotal)[%d]/"
#define UBL_LMT "/*/cac:LegalMonetaryTotal/"
#define CII_TX "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
#define CII_HS CII_TX "ram:ApplicableHeaderTradeSettlement/"
#define CII_MS CII_HS "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
#define CII_VAT "(" CII_HS "ram:ApplicableTradeTax)[%d]/"

static const syntax_paths paths[2] = {
    [SYNTAX_UBL] = {
        .number = "normalize-space(/*/cbc:ID)",
        .line_count = "count" UBL_LINES,
        .line_amount = "normalize-space(" UBL_LINES "[%d]/cbc:LineExtensionAmount)",
        .vat_count = "count(/*/cac:TaxTotal/cac:TaxSubtotal)",
        .vat_category = "normalize-space(" UBL_SUB "cac:TaxCategory/cbc:ID)",
        .vat_rate = "normalize-space(" UBL_SUB "cac:TaxCategory/cbc:Percent)",
        .vat_basis = "normalize-space(" UBL_SUB "cbc:TaxableAmount)",
        .vat_amount = "normalize-space(" UBL_SUB "cbc:TaxAmount)",
        .total = {
            "normalize-space(" UBL_LMT "cbc:LineExtensionAmount)",
            "normalize-space(" UBL_LMT "cbc:AllowanceTotalAmount)",
            "normalize-space(" UBL_LMT "cbc:ChargeTotalAmount)",
            "normalize-space(" UBL_LMT "cbc:TaxExclusiveAmount)",
            "normalize-space(/*/cac:TaxTotal/cbc:TaxAmount[@currencyID = normalize-space(/*/cbc:DocumentCurrencyCode)])",
            "normalize-space(/*/cac:TaxTotal/cbc:TaxAmount[normalize-space(/*/cbc:TaxCurrencyCode) != normalize-space(/*/cbc:DocumentCurrencyCode)]"
            "[@currencyID = normalize-space(/*/cbc:TaxCurrencyCode)])",
            "normalize-space(" UBL_LMT "cbc:TaxInclusiveAmount)",
            "normalize-space(" UBL_LMT "cbc:PrepaidAmount)",
            "normalize-space(" UBL_LMT "cbc:PayableRoundingAmount)",
            "normalize-space(" UBL_LMT "cbc:PayableAmount)",
        },
    },
    [SYNTAX_CII] = {
        .number = "normalize-space(/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID)",
        .line_count = "count(" CII_TX "ram:IncludedSupplyChainTradeLineItem)",
        .line_amount = "normalize-space((" CII_TX "ram:IncludedSupplyChainTradeLineItem)[%d]/ram:SpecifiedLineTradeSettlement"
                       "/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount)",
        .vat_count = "count(" CII_HS "ram:ApplicableTradeTax)",
        .vat_category = "normalize-space(" CII_VAT "ram:CategoryCode)",
        .vat_rate = "normalize-space(" CII_VAT "ram:RateApplicablePercent)",
        .vat_basis = "normalize-space(" CII_VAT "ram:BasisAmount)",
        .vat_amount = "normalize-space(" CII_VAT "ram:CalculatedAmount)",
        .total = {
            "normalize-space(" CII_MS "ram:LineTotalAmount)",
            "normalize-space(" CII_MS "ram:AllowanceTotalAmount)",
            "normalize-space(" CII_MS "ram:ChargeTotalAmount)",
            "normalize-space(" CII_MS "ram:TaxBasisTotalAmount)",
            "normalize-space(" CII_MS "ram:TaxTotalAmount[not(@currencyID) or @currencyID = normalize-space(../../ram:InvoiceCurrencyCode)])",
            "normalize-space(" CII_MS "ram:TaxTotalAmount[normalize-space(../../ram:TaxCurrencyCode) != normalize-space(../../ram:InvoiceCurrencyCode)]"
            "[@currencyID = normalize-space(../../ram:TaxCurrencyCode)])",
            "normalize-space(" CII_MS "ram:GrandTotalAmount)",
            "normalize-space(" CII_MS "ram:TotalPrepaidAmount)",
            "normalize-space(" CII_MS "ram:RoundingAmount)",
            "normalize-space(" CII_MS "ram:DuePayableAmount)",
        },
    },
};

static const char *const syntax_name[2] = { "UBL", "CII" };

/* What differs, one sentence per line: sample, syntax, BT, expected, found. */
typedef struct {
    char text[32768];
    size_t len;
    int count;
} diff_report;

__attribute__((format(printf, 2, 3)))
static void diff(diff_report *d, const char *fmt, ...)
{
    d->count++;
    if (d->len + 2 >= sizeof d->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->text + d->len, sizeof d->text - d->len - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    d->len += (size_t)n < sizeof d->text - d->len - 1 ? (size_t)n : sizeof d->text - d->len - 2;
    d->text[d->len++] = '\n';
    d->text[d->len] = '\0';
}

/* The same value: both empty, or both decimals equal by value (12.5 = 12.50), or else the
 * same text. */
static bool same_value(const char *a, const char *b)
{
    decimal da, db;
    char why[128];
    if (*a && *b && decimal_parse(a, &da, why, sizeof why) == EDI_OK
        && decimal_parse(b, &db, why, sizeof why) == EDI_OK)
        return decimal_cmp(da, db) == 0;
    return strcmp(a, b) == 0;
}

static char *x_fmt(xmlDocPtr doc, const char *fmt, int i)
{
    char expr[1024];
    snprintf(expr, sizeof expr, fmt, i);
    return xpath_string(doc, expr);
}

/* Compare the output `out` (syntax `os`) with the source `src` (syntax `ss`). */
static void compare(const char *sample, xmlDocPtr src, syntax ss, xmlDocPtr out, syntax os, diff_report *d)
{
    const syntax_paths *s = &paths[ss], *o = &paths[os];
    const char *on = syntax_name[os];

    char *a = xpath_string(src, s->number), *b = xpath_string(out, o->number);
    if (strcmp(a, b) != 0)
        diff(d, "%s -> %s: BT-1 invoice number: expected \"%s\", found \"%s\"", sample, on, a, b);
    free(a);
    free(b);

    for (int t = 0; t < 10; t++) {
        a = xpath_string(src, s->total[t]);
        b = xpath_string(out, o->total[t]);
        if (*a && !same_value(a, b))
            diff(d, "%s -> %s: %s: expected %s, found %s", sample, on, total_bt[t], a, *b ? b : "nothing");
        free(a);
        free(b);
    }

    a = xpath_string(src, s->line_count);
    b = xpath_string(out, o->line_count);
    int lines = atoi(a);
    bool same_lines = strcmp(a, b) == 0;
    if (!same_lines)
        diff(d, "%s -> %s: line count: expected %s, found %s", sample, on, a, b);
    free(a);
    free(b);
    for (int i = 1; same_lines && i <= lines; i++) {
        a = x_fmt(src, s->line_amount, i);
        b = x_fmt(out, o->line_amount, i);
        if (!same_value(a, b))
            diff(d, "%s -> %s: BT-131 of line %d: expected %s, found %s", sample, on, i, *a ? a : "nothing",
                 *b ? b : "nothing");
        free(a);
        free(b);
    }

    a = xpath_string(src, s->vat_count);
    b = xpath_string(out, o->vat_count);
    int entries = atoi(a);
    bool same_entries = strcmp(a, b) == 0;
    if (!same_entries)
        diff(d, "%s -> %s: VAT breakdown entries (BG-23): expected %s, found %s", sample, on, a, b);
    free(a);
    free(b);
    const char *const vs[4] = { s->vat_category, s->vat_rate, s->vat_basis, s->vat_amount };
    const char *const vo[4] = { o->vat_category, o->vat_rate, o->vat_basis, o->vat_amount };
    static const char *const vat_bt[4] = { "BT-118 category", "BT-119 rate", "BT-116 basis", "BT-117 amount" };
    for (int i = 1; same_entries && i <= entries; i++) {
        for (int k = 0; k < 4; k++) {
            a = x_fmt(src, vs[k], i);
            b = x_fmt(out, vo[k], i);
            if (!same_value(a, b))
                diff(d, "%s -> %s: VAT breakdown entry %d, %s: expected %s, found %s", sample, on, i, vat_bt[k],
                     *a ? a : "nothing", *b ? b : "nothing");
            free(a);
            free(b);
        }
    }
}

static int xml_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && strcmp(e->d_name + n - 4, ".xml") == 0;
}

/* One sample through both ways; what differs goes into `d`. */
static void round_trip_one(const char *name, diff_report *d, int *done)
{
    char path[1024], why[1024] = "";
    snprintf(path, sizeof path, "%s/%s", ROUNDTRIP, name);
    xmlDocPtr src = mf_parse_file(path);
    xmlNodePtr root = xmlDocGetRootElement(src);
    const char *ns = root && root->ns ? (const char *)root->ns->href : "";
    syntax ss = strcmp(ns, NS_CII) == 0 ? SYNTAX_CII : SYNTAX_UBL;
    const char *inbound = ss == SYNTAX_CII ? CII_TO_CANONICAL : UBL_TO_CANONICAL;
    if (access(inbound, R_OK) != 0) {
        xmlFreeDoc(src);
        return;
    }
    xsltStylesheetPtr in_style = NULL;
    if (mapping_stylesheet(mapping, inbound, &in_style, why, sizeof why) != EDI_OK)
        fail_msg("%s: %s", inbound, why);
    (*done)++;

    xmlDocPtr canonical = NULL;
    if (mapping_apply(mapping, in_style, src, NULL, &canonical, NULL, 0, why, sizeof why) != EDI_OK) {
        diff(d, "%s: %s -> canonical failed: %s", name, syntax_name[ss], why);
        xmlFreeDoc(src);
        return;
    }
    if (mapping_validate(mapping, canonical, why, sizeof why) != EDI_OK)
        diff(d, "%s: the canonical invoice is not valid: %s", name, why);
    /* What `gateway convert` does between the two stylesheets: complete in C what the
     * source left out (a CII invoice without BT-110, ...); sent values stay as they are,
     * and disagreements are findings that are not this test's business. */
    doc_findings completion;
    doc_findings_init(&completion);
    if (en16931_complete(canonical, &completion, why, sizeof why) != EDI_OK)
        diff(d, "%s: completing the canonical invoice failed: %s", name, why);
    doc_findings_free(&completion);

    xmlDocPtr u = try_transform(to_ubl, canonical, "xrechnung", why, sizeof why);
    if (!u) {
        diff(d, "%s: canonical -> UBL stopped: %s", name, why);
    } else {
        char *local = xpath_string(u, "local-name(/*)");
        if (!schema_valid(u, strcmp(local, "CreditNote") == 0 ? XSD_CREDIT_NOTE : XSD_INVOICE, name))
            diff(d, "%s -> UBL: not valid against the UBL 2.1 schema (errors above)", name);
        free(local);
        char *empties = xpath_string(u, EMPTY_ELEMENTS);
        if (strcmp(empties, "0") != 0)
            diff(d, "%s -> UBL: %s empty elements", name, empties);
        free(empties);
        compare(name, src, ss, u, SYNTAX_UBL, d);
        xmlFreeDoc(u);
    }
    xmlDocPtr x = try_transform(to_cii, canonical, "xrechnung", why, sizeof why);
    if (!x) {
        diff(d, "%s: canonical -> CII stopped: %s", name, why);
    } else {
        if (!schema_valid(x, XSD_CII, name))
            diff(d, "%s -> CII: not valid against the CII D16B schema (errors above)", name);
        compare(name, src, ss, x, SYNTAX_CII, d);
        xmlFreeDoc(x);
    }
    xmlFreeDoc(canonical);
    xmlFreeDoc(src);
}

static void round_trip(void **state)
{
    (void)state;
    struct dirent **names = NULL;
    int n = scandir(ROUNDTRIP, &names, xml_file, alphasort);
    if (n <= 0)
        fail_msg("no samples in %s", ROUNDTRIP);
    diff_report *d = calloc(1, sizeof *d);
    assert_non_null(d);
    int done = 0;
    for (int i = 0; i < n; i++) {
        round_trip_one(names[i]->d_name, d, &done);
        free(names[i]);
    }
    free(names);
    int count = d->count;
    if (count)
        fprintf(stderr, "%s", d->text);
    free(d);
    if (done == 0)
        skip();
    print_message("round trip: %d of %d samples, %d differences\n", done, n, count);
    assert_int_equal(count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_to_ubl),
        cmocka_unit_test(standard_to_cii),
        cmocka_unit_test(credit_note),
        cmocka_unit_test(reverse_charge),
        cmocka_unit_test(exempt_direct_debit),
        cmocka_unit_test(refusals),
        cmocka_unit_test(round_trip),
    };
    return cmocka_run_group_tests(tests, setup, mf_teardown);
}

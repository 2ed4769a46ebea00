/* xpath_assert.h: XPath helpers for the unit tests that check XML documents. Expressions
 * may use the project's prefixes: e: EDIFACT-XML, c: canonical, ot: openTRANS 2.1, and for
 * e-invoices inv/cn (UBL Invoice/CreditNote), cac, cbc, rsm, ram, udt, qdt (UBL and CII).
 * Include after <cmocka.h>; the functions are static inline so a test uses what it needs. */
#ifndef XPATH_ASSERT_H
#define XPATH_ASSERT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* The result of `expr` over `doc` (free with xmlXPathFreeObject); a bad expression fails
 * the test. */
static inline xmlXPathObjectPtr xpath_eval(xmlDocPtr doc, const char *expr)
{
    static const char *const ns[][2] = {
        { "e", "urn:edi-gateway:edifact-xml:1" },
        { "c", "urn:edi-gateway:canonical:1" },
        { "ot", "http://www.opentrans.org/XMLSchema/2.1" },
        { "inv", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" },
        { "cn", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" },
        { "cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" },
        { "cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" },
        { "rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" },
        { "ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" },
        { "udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" },
        { "qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100" },
    };
    xmlXPathContextPtr x = xmlXPathNewContext(doc);
    assert_non_null(x);
    x->node = (xmlNodePtr)doc; /* relative paths start at the document */
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        assert_int_equal(xmlXPathRegisterNs(x, BAD_CAST ns[i][0], BAD_CAST ns[i][1]), 0);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x);
    xmlXPathFreeContext(x);
    if (!o)
        fail_msg("bad XPath %s", expr);
    return o;
}

/* The string value of `expr` ("" when it selects nothing); the caller frees. */
static inline char *xpath_string(xmlDocPtr doc, const char *expr)
{
    xmlXPathObjectPtr o = xpath_eval(doc, expr);
    xmlChar *s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    char *copy = strdup((const char *)s);
    xmlFree(s);
    assert_non_null(copy);
    return copy;
}

static inline double xpath_number(xmlDocPtr doc, const char *expr)
{
    xmlXPathObjectPtr o = xpath_eval(doc, expr);
    double v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return v;
}

static inline void assert_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_string(doc, expr);
    if (strcmp(got, want) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: got \"%s\", want \"%s\"", expr, got, want);
        free(got);
        fail_msg("%s", msg);
    }
    free(got);
}

#endif

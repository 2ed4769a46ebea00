/* Partner profiles (gateway/partner.h): a full profile is read into the record (EDIFACT
 * settings, stylesheets resolved against the profile's folder, code maps with their
 * directions); a profile the schema refuses gives a finding with its line and the file; a
 * partner id that is a path is refused before any file is opened; the inbound code maps turn
 * the partner's unit codes and qualifiers into canonical ones (keeping what was sent) and
 * leave extensions alone; the outbound map turns Rec 20 back into the partner's code.
 * The gateway's sections: every field read (identifiers, accepted formats, answers with
 * their EDIFACT settings, channel folders resolved, approval); each check the schema
 * cannot make refuses the profile with its line; a folder's set looks partners up by each
 * identifier and refuses identifiers two profiles claim; `gateway partners check` (through
 * cli_partners_main) prints the samples and the findings, as text and JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <limits.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "cli_partners.h"
#include "mapping.h"
#include "partner.h"
#include "xpath_assert.h"

#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define PARTNER_XSD GATEWAY_FORMATS_DIR "/../partners/partner.xsd"
#define PROFILES GATEWAY_FORMATS_DIR "/../tests/corpus/partners"
#define SAMPLES GATEWAY_FORMATS_DIR "/../samples/partners"

typedef struct {
    mapping_ctx *m;
    doc_findings f;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->m = mapping_new(CANONICAL_XSD);
    doc_findings_init(&fx->f);
    *state = fx;
    return fx->m ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    doc_findings_free(&fx->f);
    mapping_free(fx->m);
    free(fx);
    return 0;
}

static void full_profile_is_read(void **state)
{
    fixture *fx = *state;
    partner *p = NULL;
    char why[512] = "";
    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "acme", &p, &fx->f, why, sizeof why),
                     EDI_OK);
    assert_int_equal(fx->f.count, 0);
    assert_string_equal(p->id, "acme");
    assert_string_equal(p->name, "ACME Baumarkt GmbH");
    assert_false(p->opentrans_strict);
    assert_string_equal(p->directory, "D96A");
    assert_string_equal(p->association, "");
    assert_string_equal(p->syntax_id, "UNOC");
    assert_int_equal(p->syntax_version, 3);
    assert_string_equal(p->separators, ":+,?'");
    assert_int_equal(p->repetition, '\0');
    assert_non_null(p->line_break);
    assert_string_equal(p->line_break, "\n");
    /* The stylesheet is found next to the profile, for its target only. */
    assert_string_equal(partner_stylesheet_path(p, false, "ordrsp"), PROFILES "/acme-ordrsp.xsl");
    assert_null(partner_stylesheet_path(p, true, "ordrsp"));
    assert_null(partner_stylesheet_path(p, false, "desadv"));
    assert_null(partner_stylesheet_path(NULL, false, "ordrsp"));
    assert_int_equal(p->n_maps, 5);
    assert_int_equal(p->maps[0].kind, PARTNER_MAP_UNIT);
    assert_int_equal(p->maps[0].directions, PARTNER_IN | PARTNER_OUT);
    assert_int_equal(p->maps[1].directions, PARTNER_OUT);
    assert_int_equal(p->maps[2].kind, PARTNER_MAP_REFERENCE);
    assert_string_equal(p->maps[2].canonical, "contract");
    assert_int_equal(p->maps[4].kind, PARTNER_MAP_PARTY);
    partner_free(p);

    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "strict", &p, &fx->f, why,
                                  sizeof why), EDI_OK);
    assert_true(p->opentrans_strict);
    assert_null(p->line_break);
    assert_int_equal(p->syntax_version, 0);
    partner_free(p);
}

static void refused_profile_names_file_and_line(void **state)
{
    fixture *fx = *state;
    partner *p = NULL;
    char why[512] = "";
    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "bad", &p, &fx->f, why, sizeof why),
                     EDI_E_XML);
    assert_null(p);
    assert_int_equal(fx->f.count, 1);
    assert_int_equal(fx->f.items[0].severity, DOC_ERROR);
    assert_int_equal(fx->f.items[0].line, 9);
    assert_non_null(strstr(fx->f.items[0].where, "bad.xml"));
    assert_non_null(strstr(fx->f.items[0].text, "sometimes"));
    assert_non_null(strstr(why, "bad.xml is refused: line 9:"));
}

static void not_xml_and_missing_profiles(void **state)
{
    fixture *fx = *state;
    partner *p = NULL;
    char why[512] = "", path[] = "/tmp/test_partner_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "<partner xmlns='urn:edi-gateway:partner:1' id='x'>\n<name>X</name>\n<oops>\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_int_equal(partner_load(fx->m, PARTNER_XSD, path, &p, &fx->f, why, sizeof why), EDI_E_XML);
    unlink(path);
    assert_int_equal(fx->f.count, 1);
    assert_true(fx->f.items[0].line >= 3);
    assert_non_null(strstr(why, "not well-formed"));

    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "nobody", &p, &fx->f, why, sizeof why),
                     EDI_E_IO);
    assert_non_null(strstr(why, "nobody.xml cannot be read"));
    /* An id is a name, never a path: nothing is opened. */
    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "../partners/acme", &p, &fx->f, why,
                                  sizeof why), EDI_E_ARG);
    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, ".hidden", &p, &fx->f, why,
                                  sizeof why), EDI_E_ARG);
    assert_null(p);
}

#define DOC_HEAD "<order xmlns='" MAPPING_CANONICAL_NS "'><kind>order</kind><number>1</number>"

static xmlDocPtr parse(const char *xml)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
    assert_non_null(d);
    return d;
}

static partner *acme(fixture *fx)
{
    partner *p = NULL;
    char why[512] = "";
    assert_int_equal(partner_find(fx->m, PARTNER_XSD, PROFILES, "acme", &p, &fx->f, why, sizeof why),
                     EDI_OK);
    return p;
}

static void inbound_maps(void **state)
{
    fixture *fx = *state;
    partner *p = acme(fx);
    xmlDocPtr d = parse(DOC_HEAD
        "<date role='other' qualifier='ZZ1'>2026-12-01</date>"
        "<reference kind='other' qualifier='ZZZ'>K-1</reference>"
        "<reference kind='other' qualifier='YYY'>K-2</reference>"
        "<party role='other' qualifier='ZZ'><name>Rechnung</name></party>"
        "<line><number>1</number><quantity unit='ST' unitAsSent='ST'>4</quantity>"
        "<netPrice basisQuantity='10' basisUnit='ST'>2.00</netPrice></line>"
        "<line><number>2</number><quantity unitAsSent='EA'>1</quantity></line>"
        "<extension><quantity xmlns='" MAPPING_CANONICAL_NS "' unit='ST'>9</quantity></extension>"
        "</order>");
    size_t changed = 0;
    assert_int_equal(partner_map_inbound(p, d, &changed), EDI_OK);
    assert_xpath(d, "/c:order/c:date/@role", "delivery");
    assert_xpath(d, "/c:order/c:reference[1]/@kind", "contract");
    assert_xpath(d, "/c:order/c:reference[1]/@qualifier", "ZZZ");
    assert_xpath(d, "/c:order/c:reference[2]/@kind", "other");
    assert_xpath(d, "/c:order/c:party/@role", "invoicee");
    assert_xpath(d, "/c:order/c:line[1]/c:quantity/@unit", "C62");
    assert_xpath(d, "/c:order/c:line[1]/c:quantity/@unitAsSent", "ST");
    assert_xpath(d, "/c:order/c:line[1]/c:netPrice/@basisUnit", "C62");
    assert_xpath(d, "/c:order/c:line[1]/c:netPrice/@basisUnitAsSent", "ST");
    /* EA maps outbound only: inbound it stays as sent. */
    assert_xpath(d, "count(/c:order/c:line[2]/c:quantity/@unit)", "0");
    assert_xpath(d, "/c:order/c:extension/c:quantity/@unit", "ST");
    assert_int_equal(changed, 6); /* role, kind, role, @unit, @basisUnit, @basisUnitAsSent */
    /* Valid canonical after the maps. */
    char why[512] = "";
    assert_int_equal(mapping_validate(fx->m, d, why, sizeof why), EDI_OK);
    /* A second run finds nothing left to change. */
    assert_int_equal(partner_map_inbound(p, d, &changed), EDI_OK);
    assert_int_equal(changed, 0);
    xmlFreeDoc(d);
    partner_free(p);
}

static void outbound_maps(void **state)
{
    fixture *fx = *state;
    partner *p = acme(fx);
    xmlDocPtr d = parse(DOC_HEAD
        "<reference kind='other' qualifier='ZZZ'>K-1</reference>"
        "<line><number>1</number><quantity unit='C62' unitAsSent='PCE'>4</quantity>"
        "<netPrice basisQuantity='10' basisUnit='C62'>2.00</netPrice></line>"
        "<line><number>2</number><quantity unit='MTR'>1</quantity></line></order>");
    size_t changed = 0;
    assert_int_equal(partner_map_outbound(p, d, &changed), EDI_OK);
    /* The first map that goes out (ST, both directions) wins over EA (out only). */
    assert_xpath(d, "/c:order/c:line[1]/c:quantity/@unit", "ST");
    assert_xpath(d, "/c:order/c:line[1]/c:quantity/@unitAsSent", "ST");
    assert_xpath(d, "/c:order/c:line[1]/c:netPrice/@basisUnit", "ST");
    assert_xpath(d, "/c:order/c:line[2]/c:quantity/@unit", "MTR");
    /* Qualifier maps are inbound only. */
    assert_xpath(d, "/c:order/c:reference/@kind", "other");
    assert_int_equal(changed, 4);
    xmlFreeDoc(d);
    /* Without a partner nothing happens. */
    d = parse(DOC_HEAD "<line><number>1</number><quantity unit='C62'>1</quantity></line></order>");
    assert_int_equal(partner_map_outbound(NULL, d, &changed), EDI_OK);
    assert_int_equal(changed, 0);
    assert_xpath(d, "/c:order/c:line/c:quantity/@unit", "C62");
    xmlFreeDoc(d);
    partner_free(p);
}

/* ---- the gateway's sections ------------------------------------------------------ */

static partner *load(fixture *fx, const char *dir, const char *id)
{
    partner *p = NULL;
    char why[512] = "";
    edi_result r = partner_find(fx->m, PARTNER_XSD, dir, id, &p, &fx->f, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("%s: %s", id, why);
    assert_int_equal(fx->f.count, 0);
    return p;
}

/* `rel` against the real path of `dir`. */
static void real_join(const char *dir, const char *rel, char *out, size_t n)
{
    char base[PATH_MAX];
    assert_non_null(realpath(dir, base));
    snprintf(out, n, "%s/%s", base, rel);
}

static void gateway_fields_are_read(void **state)
{
    fixture *fx = *state;
    partner *p = load(fx, PROFILES "/set", "full");
    char want[PATH_MAX + 64];
    assert_string_equal(p->customer, "K-4711");
    assert_int_equal(p->n_unb, 2);
    assert_string_equal(p->unb[0].id, "4000001000005");
    assert_string_equal(p->unb[0].qualifier, "14");
    assert_int_equal(p->unb[0].line, 7);
    assert_string_equal(p->unb[1].id, "FULLEDI");
    assert_string_equal(p->unb[1].qualifier, "");
    assert_string_equal(p->gln, "4000001000005");
    assert_int_equal(p->lines.gln, 9);
    assert_string_equal(p->as2_id, "FULL-AS2");
    assert_string_equal(p->opentrans_id, "FULL 77");
    assert_int_equal(p->api_key_kind, PARTNER_KEY_FILE);
    real_join(PROFILES, "keys/full.key", want, sizeof want);
    assert_string_equal(p->api_key_ref, want);
    /* accepted formats: an <accept> without a version takes every version */
    assert_int_equal(p->n_accepts, 3);
    assert_int_equal(p->accepts[0].format, PARTNER_FORMAT_EDIFACT_ORDERS);
    assert_string_equal(p->accepts[0].version, "D96A");
    assert_true(partner_accepts(p, "edifact-orders", "D96A"));
    assert_false(partner_accepts(p, "edifact-orders", "D01B"));
    assert_true(partner_accepts(p, "edifact-orders", NULL));
    assert_true(partner_accepts(p, "opentrans-order", "1.0"));
    assert_true(partner_accepts(p, "web-order", ""));
    assert_false(partner_accepts(p, "ubl-invoice", NULL));
    assert_string_equal(p->charset, "WINDOWS-1252");
    /* answers: the order response's own EDIFACT block over outbound/edifact */
    assert_true(p->contrl_wanted);
    assert_string_equal(p->order_response, "ordrsp");
    assert_string_equal(p->despatch, "desadv");
    assert_string_equal(p->invoice, "xrechnung-cii");
    assert_string_equal(partner_answer_target(p, PARTNER_ANSWER_INVOICE), "xrechnung-cii");
    assert_string_equal(p->directory, "D01B");
    const partner_edifact *rsp = &p->answer_edifact[PARTNER_ANSWER_ORDER_RESPONSE];
    assert_string_equal(rsp->directory, "D96A");
    assert_string_equal(rsp->association, "EAN005");
    assert_string_equal(rsp->syntax_id, "UNOC");
    assert_int_equal(rsp->syntax_version, 3);
    assert_string_equal(rsp->separators, ":+, '");
    assert_string_equal(rsp->line_break, "\r\n");
    const partner_edifact *des = &p->answer_edifact[PARTNER_ANSWER_DESPATCH];
    assert_string_equal(des->directory, "D01B");
    assert_string_equal(des->association, "");
    assert_null(des->line_break);
    assert_string_equal(p->answer_edifact[PARTNER_ANSWER_INVOICE].directory, "");
    /* the view carries the answer's settings and shares the rest */
    partner view;
    partner_answer_view(p, PARTNER_ANSWER_ORDER_RESPONSE, &view);
    assert_string_equal(view.directory, "D96A");
    assert_string_equal(view.separators, ":+, '");
    assert_string_equal(view.line_break, "\r\n");
    assert_string_equal(view.id, "full");
    assert_ptr_equal(view.maps, p->maps);
    assert_string_equal(p->separators, ""); /* the profile itself unchanged */
    /* channel folders resolved against the profile's folder, or as absolute */
    assert_int_equal(p->channel, PARTNER_CHANNEL_DIRECTORY);
    real_join(PROFILES "/set", "in/full", want, sizeof want);
    assert_string_equal(p->inbox, want);
    assert_string_equal(p->outbox, "/var/tmp/gateway-test/out/full");
    assert_int_equal(p->approval, PARTNER_APPROVAL_REQUISITIONERS);
    assert_string_equal(partner_approval_name(p->approval), "requisitioner-orders");
    partner_free(p);

    p = load(fx, PROFILES "/set", "envkey");
    assert_int_equal(p->api_key_kind, PARTNER_KEY_ENV);
    assert_string_equal(p->api_key_ref, "SHOP_API_KEY");
    assert_int_equal(p->approval, PARTNER_APPROVAL_ALWAYS);
    assert_false(partner_accepts(p, "edifact-orders", NULL));
    assert_int_equal(p->channel, PARTNER_CHANNEL_NONE);
    assert_string_equal(p->order_response, "");
    partner_free(p);

    p = load(fx, SAMPLES, "mueller");
    assert_int_equal(p->approval, PARTNER_APPROVAL_ABOVE);
    assert_string_equal(p->approval_amount, "25000.00");
    assert_string_equal(p->approval_currency, "EUR");
    assert_string_equal(p->answer_edifact[PARTNER_ANSWER_ORDER_RESPONSE].association, "EAN005");
    assert_string_equal(p->answer_edifact[PARTNER_ANSWER_INVOICE].directory, "D96A");
    partner_free(p);

    /* A profile written for the conversion engine alone: the new fields are empty. */
    p = load(fx, PROFILES, "acme");
    assert_string_equal(p->customer, "");
    assert_int_equal(p->n_unb, 0);
    assert_int_equal(p->n_accepts, 0);
    assert_false(p->contrl_wanted);
    assert_string_equal(p->invoice, "");
    assert_int_equal(p->channel, PARTNER_CHANNEL_NONE);
    assert_int_equal(p->approval, PARTNER_APPROVAL_NONE);
    assert_int_equal(p->api_key_kind, PARTNER_KEY_NONE);
    partner_free(p);
}

static const struct {
    const char *id;
    long line;
    const char *rule, *text;
} refusals[] = {
    { "gln-check", 5, "PARTNER-CHECK", "check digit (it would be 5)" },
    { "unb-gln", 5, "PARTNER-CHECK", "qualifier 14 (a GLN), but its check digit is wrong" },
    { "unb-twice", 6, "PARTNER-CHECK", "X1 is listed already on line 5" },
    { "version", 8, "PARTNER-CHECK", "opentrans-order has no version D96A" },
    { "twice", 9, "PARTNER-CHECK", "edifact-orders D01B is accepted twice" },
    { "no-unb", 8, "PARTNER-CHECK", "sends EDIFACT orders but has no <unb>" },
    { "no-party", 5, "PARTNER-CHECK", "neither an <opentrans> party id nor a <gln>" },
    { "no-key", 8, "PARTNER-CHECK", "web orders but has no API key" },
    { "contrl", 5, "PARTNER-CHECK", "CONTRL answers EDIFACT interchanges" },
    { "no-directory", 11, "PARTNER-CHECK", "invoice answer is EDIFACT (invoic) but names no directory" },
    { "xml-edifact", 6, "PARTNER-CHECK", "is opentrans, not EDIFACT" },
    { "no-outbox", 4, "PARTNER-CHECK", "no outbox" },
    { "same-box", 7, "PARTNER-CHECK", "the outbox is the inbox" },
    { "empty-channel", 5, "PARTNER-CHECK", "neither an <inbox> nor an <outbox>" },
    { "zero", 5, "PARTNER-CHECK", "write <always/>" },
    { "bad-qualifier", 5, "PARTNER", "'zz'" },
    { "no-currency", 5, "PARTNER", "'currency' is required" },
    { "key-twice", 6, "PARTNER", "apiKeyFile" },
};

static void each_refusal_has_its_line(void **state)
{
    fixture *fx = *state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        partner *p = NULL;
        char why[1024] = "", file[64];
        doc_findings_free(&fx->f);
        doc_findings_init(&fx->f);
        edi_result r = partner_find(fx->m, PARTNER_XSD, PROFILES "/checks", refusals[i].id, &p,
                                    &fx->f, why, sizeof why);
        if (r != EDI_E_XML || fx->f.count != 1 || fx->f.items[0].line != refusals[i].line ||
            strcmp(fx->f.items[0].rule, refusals[i].rule) ||
            !strstr(fx->f.items[0].text, refusals[i].text))
            fail_msg("%s: result %d, %zu findings, first: %s line %ld: %s", refusals[i].id, (int)r,
                     fx->f.count, fx->f.count ? fx->f.items[0].rule : "-",
                     fx->f.count ? fx->f.items[0].line : 0L,
                     fx->f.count ? fx->f.items[0].text : why);
        assert_null(p);
        snprintf(file, sizeof file, "/%s.xml", refusals[i].id);
        assert_non_null(strstr(fx->f.items[0].where, file));
        char at[32];
        snprintf(at, sizeof at, "is refused: line %ld:", refusals[i].line);
        assert_non_null(strstr(why, at));
    }
}

static void set_lookups(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    partner_set *ps = partner_set_load(fx->m, PARTNER_XSD, PROFILES "/set", &fx->f, why, sizeof why);
    assert_non_null(ps);
    assert_int_equal(fx->f.count, 0);
    assert_int_equal(partner_set_count(ps), 2); /* README.md is not a profile */
    const partner *envkey = partner_set_at(ps, 0), *full = partner_set_at(ps, 1);
    assert_string_equal(envkey->id, "envkey");
    assert_string_equal(full->id, "full");
    assert_null(partner_set_at(ps, 2));
    assert_ptr_equal(partner_set_by_id(ps, "full"), full);
    assert_null(partner_set_by_id(ps, "nobody"));
    assert_ptr_equal(partner_set_by_unb(ps, "4000001000005", "14"), full);
    assert_ptr_equal(partner_set_by_unb(ps, "4000001000005", NULL), full);
    assert_ptr_equal(partner_set_by_unb(ps, "4000001000005", ""), full);
    assert_null(partner_set_by_unb(ps, "4000001000005", "ZZ"));
    assert_ptr_equal(partner_set_by_unb(ps, "FULLEDI", "ZZZ"), full); /* any qualifier */
    assert_ptr_equal(partner_set_by_unb(ps, "SHOP-EU", "ZZZ"), envkey);
    assert_null(partner_set_by_unb(ps, "SHOP-EU", "14"));
    assert_null(partner_set_by_unb(ps, "", NULL));
    assert_null(partner_set_by_unb(ps, NULL, "14"));
    assert_ptr_equal(partner_set_by_gln(ps, "4000001000005"), full);
    assert_null(partner_set_by_gln(ps, "4000001000012"));
    assert_null(partner_set_by_gln(ps, ""));
    assert_ptr_equal(partner_set_by_opentrans_id(ps, "FULL 77"), full);
    assert_null(partner_set_by_opentrans_id(ps, "FULL"));
    assert_ptr_equal(partner_set_by_as2_id(ps, "FULL-AS2"), full);
    assert_null(partner_set_by_as2_id(ps, NULL));
    partner_set_free(ps);

    /* The samples: the large customer is found by the UNB sender of the sample order. */
    ps = partner_set_load(fx->m, PARTNER_XSD, SAMPLES, &fx->f, why, sizeof why);
    assert_non_null(ps);
    assert_int_equal(fx->f.count, 0);
    assert_int_equal(partner_set_count(ps), 5);
    assert_string_equal(partner_set_by_unb(ps, "4012345000016", "14")->id, "mueller");
    assert_true(partner_accepts(partner_set_by_id(ps, "webshop"), "web-order", NULL));
    assert_string_equal(partner_set_by_opentrans_id(ps, "123456")->id, "itscope");
    assert_string_equal(partner_set_by_id(ps, "stadtwerke-finanz")->invoice, "xrechnung-ubl");
    partner_set_free(ps);

    /* A folder that cannot be read is the only refusal of the whole set. */
    assert_null(partner_set_load(fx->m, PARTNER_XSD, PROFILES "/no-such-folder", &fx->f, why,
                                 sizeof why));
    assert_non_null(strstr(why, "no-such-folder cannot be read"));
}

static void duplicates_across_profiles(void **state)
{
    fixture *fx = *state;
    char why[512] = "";
    partner_set *ps = partner_set_load(fx->m, PARTNER_XSD, PROFILES "/dups", &fx->f, why, sizeof why);
    assert_non_null(ps);
    /* a and b share a UNB id and an openTRANS id, d reads a's outbox, e's id without a
     * qualifier covers f's: all of them are left out; c (another qualifier) stays. */
    assert_int_equal(partner_set_count(ps), 1);
    assert_string_equal(partner_set_at(ps, 0)->id, "c");
    static const struct { const char *file; long line; const char *text; } want[] = {
        { "/b.xml", 6, "the UNB id 4000001000005:14 is claimed by a too" },
        { "/b.xml", 8, "the openTRANS party id OT-1 is claimed by a too" },
        { "/d.xml", 7, "(outbox there, inbox here)" },
        { "/f.xml", 6, "the UNB id EEE:ZZZ is claimed by e too" },
    };
    assert_int_equal(fx->f.count, 4);
    for (size_t i = 0; i < 4; i++) {
        const doc_finding *f = &fx->f.items[i];
        assert_string_equal(f->rule, "PARTNER-DUPLICATE");
        assert_int_equal(f->line, want[i].line);
        assert_non_null(strstr(f->where, want[i].file));
        if (!strstr(f->text, want[i].text))
            fail_msg("finding %zu: %s", i, f->text);
    }
    assert_non_null(strstr(fx->f.items[0].text, "a.xml line 6"));
    assert_null(partner_set_by_unb(ps, "4000001000005", "14"));
    assert_string_equal(partner_set_by_unb(ps, "4000001000005", "ZZ")->id, "c");
    assert_null(partner_set_by_unb(ps, "EEE", NULL));
    assert_null(partner_set_by_opentrans_id(ps, "OT-1"));
    partner_set_free(ps);

    /* Every refused profile of the checks folder, and the id that is not the file name. */
    doc_findings_free(&fx->f);
    doc_findings_init(&fx->f);
    ps = partner_set_load(fx->m, PARTNER_XSD, PROFILES "/checks", &fx->f, why, sizeof why);
    assert_non_null(ps);
    assert_int_equal(partner_set_count(ps), 0);
    assert_int_equal(fx->f.count, sizeof refusals / sizeof refusals[0] + 1);
    assert_true(doc_findings_has(&fx->f, "PARTNER-FILE"));
    partner_set_free(ps);
}

/* cli_partners_main with stdout in `out` (NUL-terminated); returns its exit status. */
static int run_cli(char **argv, int argc, char *out, size_t n)
{
    char path[] = "/tmp/test_partner_cli_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDOUT_FILENO) >= 0);
    int status = cli_partners_main(argc, argv);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    ssize_t got = pread(fd, out, n - 1, 0);
    close(fd);
    unlink(path);
    out[got > 0 ? got : 0] = '\0';
    return status;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void partners_check_command(void **state)
{
    (void)state;
    static char out[65536];
    char *ok_args[] = { "partners", "check", "--partners", SAMPLES, NULL };
    assert_int_equal(run_cli(ok_args, 4, out, sizeof out), 0);
    assert_int_equal(count_lines(out), 5);
    assert_non_null(strstr(out, "mueller \"Müller Haustechnik GmbH\" customer K-10001 ids "
                                "unb=4012345000016:14,gln=4012345000016 "));
    assert_non_null(strstr(out, "answers contrl,orderResponse=ordrsp,despatch=desadv,invoice=invoic"));
    assert_non_null(strstr(out, "stadtwerke-finanz "));
    assert_non_null(strstr(out, "/var/outbox/itscope\n"));

    char *bad_args[] = { "partners", "check", "--partners", PROFILES "/dups", NULL };
    assert_int_equal(run_cli(bad_args, 4, out, sizeof out), 1);
    assert_non_null(strstr(out, "error PARTNER-DUPLICATE line 6 ("));
    assert_non_null(strstr(out, "/dups/f.xml): the UNB id EEE:ZZZ"));
    assert_non_null(strstr(out, "4 findings"));

    char *json_args[] = { "partners", "check", "--json", "--partners", PROFILES "/dups", NULL };
    assert_int_equal(run_cli(json_args, 5, out, sizeof out), 1);
    json_error_t err;
    json_t *j = json_loads(out, 0, &err);
    if (!j)
        fail_msg("not JSON: %s: %s", err.text, out);
    assert_int_equal(json_array_size(json_object_get(j, "partners")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "partners"), 0),
                                                          "id")), "c");
    json_t *findings = json_object_get(j, "findings");
    assert_int_equal(json_array_size(findings), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(findings, 2), "line")), 7);
    json_decref(j);

    char *missing[] = { "partners", "check", "--partners", PROFILES "/no-such-folder", NULL };
    assert_int_equal(run_cli(missing, 4, out, sizeof out), 2);
    char *usage_args[] = { "partners", "list", NULL };
    assert_int_equal(run_cli(usage_args, 2, out, sizeof out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(full_profile_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_profile_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(not_xml_and_missing_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(inbound_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(outbound_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(gateway_fields_are_read, setup, teardown),
        cmocka_unit_test_setup_teardown(each_refusal_has_its_line, setup, teardown),
        cmocka_unit_test_setup_teardown(set_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicates_across_profiles, setup, teardown),
        cmocka_unit_test(partners_check_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

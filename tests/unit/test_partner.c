/* Partner profiles (gateway/partner.h): a full profile is read into the record (EDIFACT
 * settings, stylesheets resolved against the profile's folder, code maps with their
 * directions); a profile the schema refuses gives a finding with its line and the file; a
 * partner id that is a path is refused before any file is opened; the inbound code maps turn
 * the partner's unit codes and qualifiers into canonical ones (keeping what was sent) and
 * leave extensions alone; the outbound map turns Rec 20 back into the partner's code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "mapping.h"
#include "partner.h"
#include "xpath_assert.h"

#define CANONICAL_XSD GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define PARTNER_XSD GATEWAY_FORMATS_DIR "/../partners/partner.xsd"
#define PROFILES GATEWAY_FORMATS_DIR "/../tests/corpus/partners"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(full_profile_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_profile_names_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(not_xml_and_missing_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(inbound_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(outbound_maps, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

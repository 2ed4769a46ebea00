/* The web shop's JSON order to canonical (gateway/weborder.h): every file of
 * tests/corpus/weborders has its verdict in EXPECTED.tsv (valid canonical, or refused with
 * the member named first); amounts and quantities come through as the exact strings sent
 * (trailing zeros, nine decimals, large values); JSON numbers for money and quantities are
 * refused with a sentence saying why; every problem of a document is listed, not only the
 * first; line numbers, parties, the user and customer come out where canonical.xsd puts
 * them; totals are computed in C. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "mapping.h"
#include "weborder.h"
#include "xpath_assert.h"

#define SCHEMA GATEWAY_FORMATS_DIR "/canonical/canonical.xsd"
#define CORPUS GATEWAY_FORMATS_DIR "/../tests/corpus/weborders"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

typedef struct {
    edi_result r;
    xmlDocPtr doc;
    char user[65], customer[65], why[1024];
    doc_findings f;
} mapped;

static void map_text(const char *json, size_t len, mapped *m)
{
    memset(m, 0, sizeof *m);
    doc_findings_init(&m->f);
    m->r = weborder_to_canonical(json, len, &m->doc, m->user, m->customer, &m->f, m->why,
                                 sizeof m->why);
}

static void done(mapped *m)
{
    xmlFreeDoc(m->doc);
    doc_findings_free(&m->f);
}

static void assert_valid(xmlDocPtr doc)
{
    mapping_ctx *mc = mapping_new(SCHEMA);
    assert_non_null(mc);
    char why[1024] = "";
    edi_result r = mapping_validate(mc, doc, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("not valid canonical: %s", why);
    mapping_free(mc);
}

/* Every line's quantity, net price and basis in the canonical order are the JSON strings. */
static void assert_values_kept(const char *json, xmlDocPtr doc)
{
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    size_t i;
    json_t *l;
    static const char *const pairs[][2] = {
        { "quantity", "c:quantity" },
        { "net_price", "c:netPrice" },
        { "price_basis", "c:netPrice/@basisQuantity" },
        { "unit", "c:quantity/@unit" },
        { "gtin", "c:gtin" },
        { "supplier_number", "c:supplierArticle" },
        { "buyer_article", "c:buyerArticle" },
    };
    json_array_foreach(json_object_get(o, "lines"), i, l) {
        for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
            char expr[128];
            snprintf(expr, sizeof expr, "/c:order/c:line[%zu]/%s", i + 1, pairs[k][1]);
            char *got = xpath_string(doc, expr);
            const char *sent = json_string_value(json_object_get(l, pairs[k][0]));
            assert_string_equal(got, sent ? sent : "");
            free(got);
        }
    }
    char *number = xpath_string(doc, "/c:order/c:number");
    assert_string_equal(number, json_string_value(json_object_get(o, "order_number")));
    free(number);
    json_decref(o);
}

static void corpus_verdicts(void **state)
{
    (void)state;
    size_t len;
    char *tsv = slurp(CORPUS "/EXPECTED.tsv", &len);
    int rows = 0, ok = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *file = line, *verdict = strchr(file, '\t');
        assert_non_null(verdict);
        *verdict++ = '\0';
        char *where = strchr(verdict, '\t');
        assert_non_null(where);
        *where++ = '\0';
        char path[512];
        snprintf(path, sizeof path, CORPUS "/%s", file);
        size_t n;
        char *json = slurp(path, &n);
        mapped m;
        map_text(json, n, &m);
        rows++;
        if (!strcmp(verdict, "ok")) {
            if (m.r != EDI_OK)
                fail_msg("%s: %s", file, m.why);
            assert_valid(m.doc);
            assert_values_kept(json, m.doc);
            assert_int_equal(doc_findings_count(&m.f, DOC_ERROR), 0);
            json_t *o = json_loads(json, 0, NULL);
            assert_string_equal(m.user, json_string_value(json_object_get(o, "user_id")));
            assert_string_equal(m.customer, json_string_value(json_object_get(o, "customer_id")));
            json_decref(o);
            ok++;
        } else {
            edi_result want = !strcmp(verdict, "arg") ? EDI_E_ARG : EDI_E_SYNTAX;
            if (m.r != want)
                fail_msg("%s: got %s (%s)", file, edi_result_str(m.r), m.why);
            assert_null(m.doc);
            assert_string_equal(m.user, "");
            assert_true(m.f.count >= 1);
            assert_int_equal(m.f.items[0].severity, DOC_ERROR);
            assert_string_equal(m.f.items[0].rule, WEBORDER_RULE);
            if (strcmp(m.f.items[0].where, where))
                fail_msg("%s: first finding at \"%s\", expected \"%s\": %s", file,
                         m.f.items[0].where, where, m.f.items[0].text);
            assert_true(strlen(m.why) > 20);
        }
        done(&m);
        free(json);
    }
    assert_true(rows >= 15);
    assert_int_equal(ok, 3);
    free(tsv);
}

static void amounts_are_kept_exactly(void **state)
{
    (void)state;
    size_t n;
    char *json = slurp(CORPUS "/ok-exact-amounts.json", &n);
    mapped m;
    map_text(json, n, &m);
    assert_int_equal(m.r, EDI_OK);
    static const char *const want[][2] = {
        { "/c:order/c:line[1]/c:quantity", "12.500" },
        { "/c:order/c:line[1]/c:netPrice", "3.950000001" },
        { "/c:order/c:line[1]/c:netPrice/@basisQuantity", "100" },
        { "/c:order/c:line[2]/c:quantity", "0.1" },
        { "/c:order/c:line[2]/c:netPrice", "0.10" },
        { "/c:order/c:line[3]/c:quantity", "1000000000.25" },
        { "/c:order/c:line[3]/c:netPrice", "0" },
        /* computed in C with decimals: 12.500 x 3.950000001 / 100 = 0.49375... -> 0.49 */
        { "/c:order/c:line[1]/c:lineAmount[@computed='true']", "0.49" },
        { "/c:order/c:line[2]/c:lineAmount", "0.01" },
        { "/c:order/c:line[3]/c:lineAmount", "0.00" },
        { "/c:order/c:totals/c:lineAmountTotal", "0.50" },
        { "/c:order/c:totals/c:lineCount", "3" },
        { "/c:order/c:type", "express" },
        { "/c:order/c:party[@role='invoicee']/c:street[2]", "Postfach 4711" },
        { "/c:order/c:party[@role='buyer']/c:id[@scheme='supplier_specific']", "K-10001" },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char *got = xpath_string(m.doc, want[i][0]);
        if (strcmp(got, want[i][1]))
            fail_msg("%s is \"%s\", expected \"%s\"", want[i][0], got, want[i][1]);
        free(got);
    }
    done(&m);
    free(json);
}

static void numbers_for_money_are_refused(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"order_number\":\"W\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":\"1\","
        "\"net_price\":12.5}]}",
        "{\"order_number\":\"W\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":3}]}",
        "{\"order_number\":\"W\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":\"1\","
        "\"net_price\":\"1\",\"price_basis\":100}]}",
    };
    static const char *const where[] = { "lines[0].net_price", "lines[0].quantity",
                                         "lines[0].price_basis" };
    for (size_t i = 0; i < 3; i++) {
        mapped m;
        map_text(bodies[i], strlen(bodies[i]), &m);
        assert_int_equal(m.r, EDI_E_ARG);
        assert_int_equal(m.f.count, 1);
        assert_string_equal(m.f.items[0].where, where[i]);
        assert_non_null(strstr(m.f.items[0].text, "JSON number"));
        assert_non_null(strstr(m.f.items[0].text, "string"));
        done(&m);
    }
}

static void every_problem_is_listed(void **state)
{
    (void)state;
    const char *json = "{\"order_number\":\"\",\"order_date\":\"26.11.2026\",\"customer_id\":\"K\","
                       "\"colour\":\"red\",\"currency\":\"euro\",\"lines\":[{\"quantity\":\"-1\","
                       "\"gtin\":\"4006381333931\",\"unit\":\"piece\"},7]}";
    mapped m;
    map_text(json, strlen(json), &m);
    assert_int_equal(m.r, EDI_E_ARG);
    static const char *const want[] = { "colour", "order_number", "order_date", "user_id",
                                        "currency", "lines[0].quantity", "lines[0].unit",
                                        "lines[1]" };
    size_t n = sizeof want / sizeof *want;
    assert_int_equal(m.f.count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(m.f.items[i].where, want[i]);
    done(&m);
}

static void lines_are_numbered_and_the_order_complete(void **state)
{
    (void)state;
    size_t n;
    char *json = slurp(CORPUS "/ok-requisitioner.json", &n);
    mapped m;
    map_text(json, n, &m);
    assert_int_equal(m.r, EDI_OK);
    assert_string_equal(m.user, "U-4002");
    assert_string_equal(m.customer, "K-40004");
    static const char *const want[][2] = {
        { "/c:order/@source", WEBORDER_FORMAT },
        { "/c:order/c:date[@role='document']", "2026-11-26T14:05:00+01:00" },
        { "/c:order/c:date[@role='delivery_requested']", "2026-12-03" },
        { "/c:order/c:reference[@kind='project']", "Baustelle Lindenweg 7" },
        { "/c:order/c:party[@role='delivery']/c:contact/c:email", "tim.span@holzwurm.example" },
        { "/c:order/c:party[@role='delivery']/c:name[2]", "Werkstatt" },
        { "/c:order/c:line[1]/c:number", "10" },
        { "/c:order/c:line[1]/c:description", "Thermostatkopf TH-100, weiß" },
        { "/c:order/c:line[1]/c:lineAmount", "158.40" },
        { "/c:order/c:line[2]/c:lineAmount", "170.00" },
        { "/c:order/c:line[2]/c:text", "Montage am Nachmittag" },
        { "/c:order/c:totals/c:lineAmountTotal", "328.40" },
        { "/c:order/c:extension/*[local-name()='placedBy']/@user", "U-4002" },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char *got = xpath_string(m.doc, want[i][0]);
        if (strcmp(got, want[i][1]))
            fail_msg("%s is \"%s\", expected \"%s\"", want[i][0], got, want[i][1]);
        free(got);
    }
    done(&m);
    free(json);

    const char *min = "{\"order_number\":\"W\",\"order_date\":\"2026-11-26\",\"customer_id\":"
                      "\"K\",\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\","
                      "\"quantity\":\"1\"},{\"supplier_number\":\"X\",\"quantity\":\"2\"}]}";
    map_text(min, strlen(min), &m);
    assert_int_equal(m.r, EDI_OK);
    char *second = xpath_string(m.doc, "/c:order/c:line[2]/c:number");
    assert_string_equal(second, "2");
    free(second);
    assert_valid(m.doc);
    done(&m);
}

static void hostile_text_is_refused(void **state)
{
    (void)state;
    /* A control character XML cannot carry; a NUL inside a string; not UTF-8. */
    static const char *const bodies[] = {
        "{\"order_number\":\"W\\u0001\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":\"1\"}]}",
        "{\"order_number\":\"W\\u0000X\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":\"1\"}]}",
        "{\"order_number\":\"W\xff\",\"order_date\":\"2026-11-26\",\"customer_id\":\"K\","
        "\"user_id\":\"U\",\"lines\":[{\"gtin\":\"4006381333931\",\"quantity\":\"1\"}]}",
    };
    for (size_t i = 0; i < 3; i++) {
        mapped m;
        map_text(bodies[i], strlen(bodies[i]), &m);
        assert_true(m.r == EDI_E_ARG || m.r == EDI_E_SYNTAX);
        assert_null(m.doc);
        done(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_verdicts),
        cmocka_unit_test(amounts_are_kept_exactly),
        cmocka_unit_test(numbers_for_money_are_refused),
        cmocka_unit_test(every_problem_is_listed),
        cmocka_unit_test(lines_are_numbered_and_the_order_complete),
        cmocka_unit_test(hostile_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Directory: loading the generated .edd files, choosing UN or EANCOM files, service and
 * CONTRL definitions, caching, code lookups, and the loader's file:line errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edi_directory.h"

static char edifact_dir[1024];

static int open_dir(void **state)
{
    const char *env = getenv("EDI_FORMATS_DIR");
    snprintf(edifact_dir, sizeof edifact_dir, "%s/edifact", env && *env ? env : "formats");
    *state = edi_directory_open(edifact_dir);
    return *state ? 0 : -1;
}

static int close_dir(void **state)
{
    edi_directory_free(*state);
    return 0;
}

static const edi_message_def *find(edi_directory *d, const char *type, const char *release, const char *assoc)
{
    const edi_message_def *m = NULL;
    char why[256];
    edi_result r = edi_directory_find(d, type, "D", release, "UN", assoc, &m, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("%s D.%s %s: %s", type, release, assoc, why);
    return m;
}

static const edi_struct_node *child(const edi_struct_node *g, const char *name)
{
    for (uint32_t i = 0; i < g->n_children; i++)
        if (!strcmp(g->children[i].name, name))
            return &g->children[i];
    return NULL;
}

static void test_d96a_orders_structure(void **state)
{
    const edi_message_def *m = find(*state, "ORDERS", "96A", NULL);
    assert_string_equal(m->type, "ORDERS");
    assert_string_equal(m->release, "96A");
    assert_string_equal(m->association, "");
    assert_string_equal(m->directory, "D96A");
    assert_string_equal(m->label, "ORDERS D.96A");

    /* UNH/UNT are not part of the structure: it starts with BGM M1, DTM M35. */
    const edi_struct_node *bgm = &m->root.children[0];
    assert_int_equal(bgm->kind, EDI_NODE_SEGMENT);
    assert_string_equal(bgm->name, "BGM");
    assert_int_equal(bgm->status, EDI_STATUS_MANDATORY);
    assert_int_equal(bgm->max_repeat, 1);
    assert_int_equal(m->root.children[1].max_repeat, 35);

    /* SG2 NAD C99 holds SG3 RFF; SG25 (LIN) repeats 200000 times; UNS is mandatory. */
    const edi_struct_node *sg2 = child(&m->root, "SG2");
    assert_non_null(sg2);
    assert_int_equal(sg2->kind, EDI_NODE_GROUP);
    assert_int_equal(sg2->status, EDI_STATUS_CONDITIONAL);
    assert_int_equal(sg2->max_repeat, 99);
    assert_string_equal(sg2->children[0].name, "NAD");
    assert_int_equal(sg2->tag_key, edi_tag_key("NAD"));
    const edi_struct_node *sg3 = child(sg2, "SG3");
    assert_non_null(sg3);
    assert_ptr_equal(sg3->parent, sg2);
    assert_int_equal(sg3->depth, 1);
    assert_int_equal(child(&m->root, "SG25")->max_repeat, 200000);
    assert_int_equal(child(&m->root, "UNS")->status, EDI_STATUS_MANDATORY);
    assert_int_equal(m->max_depth, 3);
}

static void test_d96a_segment_definitions(void **state)
{
    const edi_message_def *m = find(*state, "ORDERS", "96A", "");
    const edi_segment_def *bgm = edi_message_def_segment(m, "BGM");
    assert_non_null(bgm);
    assert_int_equal(bgm->n_elements, 4);
    const edi_element_def *c002 = &bgm->elements[0];
    assert_string_equal(c002->id, "C002");
    assert_true(c002->composite);
    assert_int_equal(c002->n_values, 4);
    assert_string_equal(c002->values[3].id, "1000");
    assert_int_equal(c002->values[3].cls, EDI_CLASS_AN);
    assert_int_equal(c002->values[3].max_len, 35);
    const edi_element_def *e1004 = &bgm->elements[1];
    assert_false(e1004->composite);
    assert_int_equal(e1004->n_values, 1);
    assert_string_equal(e1004->values[0].id, "1004");
    assert_null(e1004->values[0].codes);

    /* 1225 message function: coded, an..3 (the length comes from the UNECE directory). */
    const edi_value_def *f1225 = &bgm->elements[2].values[0];
    assert_string_equal(f1225->id, "1225");
    assert_int_equal(f1225->max_len, 3);
    assert_non_null(f1225->codes);
    assert_true(edi_code_list_contains(f1225->codes, "9", 1));
    assert_true(edi_code_list_contains(f1225->codes, "29", 2));
    assert_false(edi_code_list_contains(f1225->codes, "999", 3));
    assert_false(edi_code_list_contains(f1225->codes, "", 0));
    assert_false(edi_code_list_contains(f1225->codes, "123456789", 9));

    /* QTY 6060 is n..15; D01B LIN 1082 became an..6 while D96A has n..6. */
    const edi_segment_def *qty = edi_message_def_segment(m, "QTY");
    assert_int_equal(qty->elements[0].values[1].cls, EDI_CLASS_N);
    assert_int_equal(qty->elements[0].values[1].max_len, 15);
    assert_int_equal(edi_message_def_segment(m, "LIN")->elements[0].values[0].cls, EDI_CLASS_N);
    const edi_message_def *m01 = find(*state, "ORDERS", "01B", "");
    assert_int_equal(edi_message_def_segment(m01, "LIN")->elements[0].values[0].cls, EDI_CLASS_AN);
    /* D01B COM C076 repeats 3 times (a syntax 4 repetition). */
    assert_int_equal(edi_message_def_segment(m01, "COM")->elements[0].max_repeat, 3);
}

static void test_eancom_selection(void **state)
{
    const edi_message_def *ean97 = find(*state, "ORDERS", "96A", "EAN008");
    assert_string_equal(ean97->directory, "EAN97");
    assert_string_equal(ean97->association, "EAN");
    assert_string_equal(ean97->label, "ORDERS D.96A EANCOM");
    assert_string_equal(find(*state, "ORDERS", "01B", "EAN010")->directory, "EAN02");
    assert_string_equal(find(*state, "DESADV", "01B", "EAN007")->directory, "EAN02");
    /* Another association code is not EANCOM: the UN directory applies. */
    assert_string_equal(find(*state, "ORDERS", "96A", "XYZ001")->directory, "D96A");

    /* The subset keeps the UN group numbers: EANCOM ORDERS has SG2 NAD and SG25 LIN, but
     * not SG4 (DOC). It marks NAD C058 as not used. */
    const edi_struct_node *sg2 = child(&ean97->root, "SG2");
    assert_non_null(sg2);
    assert_non_null(child(sg2, "SG3"));
    assert_null(child(sg2, "SG4"));
    assert_non_null(child(&ean97->root, "SG25"));
    const edi_segment_def *nad = edi_message_def_segment(ean97, "NAD");
    assert_string_equal(nad->elements[2].id, "C058");
    assert_int_equal(nad->elements[2].status, EDI_STATUS_NOT_USED);
    /* EANCOM restricts codes: 6063 21 is a UN and EANCOM code, 47 only UN. */
    const edi_value_def *q97 = &edi_message_def_segment(ean97, "QTY")->elements[0].values[0];
    const edi_message_def *un = find(*state, "ORDERS", "96A", NULL);
    const edi_value_def *qun = &edi_message_def_segment(un, "QTY")->elements[0].values[0];
    assert_true(edi_code_list_contains(q97->codes, "21", 2));
    assert_false(edi_code_list_contains(q97->codes, "47", 2));
    assert_true(edi_code_list_contains(qun->codes, "47", 2));
}

static void test_unknown_message(void **state)
{
    const edi_message_def *m = (const edi_message_def *)1;
    char why[256];
    assert_int_equal(edi_directory_find(*state, "DESADV", "D", "97B", "UN", NULL, &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_null(m);
    assert_string_equal(why, "no directory for DESADV D.97B; the envelope was checked, the content was not");
    assert_int_equal(edi_directory_find(*state, "SLSRPT", "D", "96A", "UN", "EAN004", &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_non_null(strstr(why, "SLSRPT D.96A"));
    assert_int_equal(edi_directory_find(*state, "ORDERS", "D", "93A", "UN", "EAN007", &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_non_null(strstr(why, "no EANCOM directory for ORDERS D.93A"));
    /* Values from a UNH become part of a path: anything but A-Z0-9 is refused. */
    assert_int_equal(edi_directory_find(*state, "../D96A/ORDERS", "D", "96A", "UN", NULL, &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_int_equal(edi_directory_find(*state, "ORDERS", "D", "96A/..", "UN", NULL, &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_null(m);
    assert_int_equal(edi_directory_find(*state, "ORDERS", "D", "96A", "XX", NULL, &m, why, sizeof why),
                     EDI_E_DIRECTORY);
    assert_int_equal(edi_directory_find(*state, NULL, "D", "96A", "UN", NULL, &m, why, sizeof why), EDI_E_ARG);
}

static void test_cache_returns_same_definition(void **state)
{
    const edi_message_def *a = find(*state, "INVOIC", "96A", NULL);
    const edi_message_def *b = find(*state, "INVOIC", "96A", "");
    assert_ptr_equal(a, b);
    const edi_message_def *m;
    char why1[256], why2[256];
    edi_directory_find(*state, "PRICAT", "D", "96A", "UN", NULL, &m, why1, sizeof why1);
    edi_directory_find(*state, "PRICAT", "D", "96A", "UN", NULL, &m, why2, sizeof why2);
    assert_string_equal(why1, why2);
}

static void test_service_definitions(void **state)
{
    const edi_message_def *v3, *v4, *v2;
    char why[256];
    assert_int_equal(edi_directory_service(*state, 3, &v3, why, sizeof why), EDI_OK);
    assert_int_equal(edi_directory_service(*state, 4, &v4, why, sizeof why), EDI_OK);
    assert_int_equal(edi_directory_service(*state, 2, &v2, why, sizeof why), EDI_OK);
    assert_ptr_equal(v2, v3);
    assert_int_equal(v3->syntax_version, 3);
    assert_int_equal(v4->syntax_version, 4);

    /* UNB S004 0017: YYMMDD (n6) in syntax 3, CCYYMMDD (n8) in syntax 4. */
    const edi_segment_def *unb3 = edi_message_def_segment(v3, "UNB"), *unb4 = edi_message_def_segment(v4, "UNB");
    assert_string_equal(unb3->elements[3].id, "S004");
    assert_int_equal(unb3->elements[3].values[0].min_len, 6);
    assert_int_equal(unb3->elements[3].values[0].max_len, 6);
    assert_int_equal(unb4->elements[3].values[0].max_len, 8);
    /* 0001: UNOC in both, UNOY only from syntax 4 on. */
    const edi_code_list *l3 = unb3->elements[0].values[0].codes, *l4 = unb4->elements[0].values[0].codes;
    assert_true(edi_code_list_contains(l3, "UNOC", 4));
    assert_false(edi_code_list_contains(l3, "UNOY", 4));
    assert_true(edi_code_list_contains(l4, "UNOY", 4));
    for (const char *const *t = (const char *const[]){ "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ", NULL }; *t; t++)
        assert_non_null(edi_message_def_segment(v4, *t));
    /* UNH in syntax 4 has S016..S018 (7 elements), in syntax 3 four. */
    assert_int_equal(edi_message_def_segment(v3, "UNH")->n_elements, 4);
    assert_int_equal(edi_message_def_segment(v4, "UNH")->n_elements, 7);

    const edi_message_def *m = (const edi_message_def *)1;
    assert_int_equal(edi_directory_service(*state, 5, &m, why, sizeof why), EDI_E_DIRECTORY);
    assert_null(m);
    assert_string_equal(why, "no service segment definitions for syntax version 5");
}

static void test_contrl_definitions(void **state)
{
    const edi_message_def *c3, *c4;
    char why[256];
    assert_int_equal(edi_directory_contrl(*state, 3, &c3, why, sizeof why), EDI_OK);
    assert_int_equal(edi_directory_contrl(*state, 4, &c4, why, sizeof why), EDI_OK);
    assert_string_equal(c3->version, "D");
    assert_string_equal(c3->release, "3");
    assert_string_equal(c4->version, "4");
    assert_string_equal(c4->release, "1");
    const edi_message_def *via_find;
    assert_int_equal(edi_directory_find(*state, "CONTRL", "D", "3", "UN", NULL, &via_find, why, sizeof why), EDI_OK);
    assert_ptr_equal(via_find, c3);

    /* UCI: the service segment tag is 0013 in syntax 3 and 0135 in syntax 4; S002 has
     * three components in syntax 3 and four (0042) in syntax 4. */
    const edi_segment_def *uci3 = edi_message_def_segment(c3, "UCI"), *uci4 = edi_message_def_segment(c4, "UCI");
    assert_int_equal(uci3->n_elements, 7);
    assert_int_equal(uci4->n_elements, 9);
    assert_string_equal(uci3->elements[5].id, "0013");
    assert_string_equal(uci4->elements[5].id, "0135");
    assert_int_equal(uci3->elements[1].n_values, 3);
    assert_int_equal(uci4->elements[1].n_values, 4);
    /* 0083 action: 4, 7, 8; syntax 3 still accepts the 1995 codes. */
    const edi_code_list *a3 = uci3->elements[3].values[0].codes, *a4 = uci4->elements[3].values[0].codes;
    assert_true(edi_code_list_contains(a4, "7", 1));
    assert_false(edi_code_list_contains(a4, "1", 1));
    assert_true(edi_code_list_contains(a3, "1", 1));
    /* UCM 0062 is mandatory in syntax 3 only. */
    assert_int_equal(edi_message_def_segment(c3, "UCM")->elements[0].status, EDI_STATUS_MANDATORY);
    assert_int_equal(edi_message_def_segment(c4, "UCM")->elements[0].status, EDI_STATUS_CONDITIONAL);
    /* Structure: UCI, SG1 (UCM, SG2 (UCS, UCD)), SG3 (UCF, SG4 ...). */
    assert_string_equal(c3->root.children[0].name, "UCI");
    const edi_struct_node *sg1 = child(&c3->root, "SG1");
    assert_string_equal(sg1->children[1].name, "SG2");
    assert_string_equal(sg1->children[1].children[1].name, "UCD");
    assert_int_equal(sg1->children[1].children[1].max_repeat, 99);
    assert_int_equal(edi_directory_contrl(*state, 7, &c3, why, sizeof why), EDI_E_DIRECTORY);
}

static void test_every_generated_file_loads(void **state)
{
    (void)state;
    static const char *const sets[] = { "D96A", "D01B", "EAN97", "EAN02" };
    static const char *const msgs[] = { "ORDERS", "ORDRSP", "DESADV", "INVOIC", "APERAK" };
    char path[1200], why[512];
    for (size_t s = 0; s < 4; s++) {
        for (size_t i = 0; i < 5; i++) {
            snprintf(path, sizeof path, "%s/%s/%s.edd", edifact_dir, sets[s], msgs[i]);
            edi_message_def *m = NULL;
            if (edi_message_def_load(path, &m, why, sizeof why) != EDI_OK)
                fail_msg("%s", why);
            assert_string_equal(m->type, msgs[i]);
            assert_string_equal(m->directory, sets[s]);
            /* Every group starts with a segment and every segment entry has a definition
             * of its own tag (the loader checks both; this shows it ran on real files). */
            for (uint32_t k = 0; k < m->root.n_children; k++) {
                const edi_struct_node *n = &m->root.children[k];
                if (n->kind == EDI_NODE_GROUP)
                    assert_int_equal(n->children[0].kind, EDI_NODE_SEGMENT);
                else
                    assert_string_equal(n->segment->tag, n->name);
            }
            edi_message_def_free(m);
        }
    }
}

/* ---- loader errors: small files written to a temporary folder ------------------------- */

static const char *tmp_dir(void)
{
    const char *t = getenv("TEST_TMP");
    return t && *t ? t : "/tmp";
}

static edi_result load_text(const char *text, char *why, size_t why_n, char *path, size_t path_n)
{
    snprintf(path, path_n, "%s/test_directory_%ld.edd", tmp_dir(), (long)getpid());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    edi_message_def *m = NULL;
    edi_result r = edi_message_def_load(path, &m, why, why_n);
    edi_message_def_free(m);
    unlink(path);
    return r;
}

#define GOOD_HEAD "# a comment\nH message ORDERS D 96A UN -\n"
#define GOOD_BODY "S BGM M 1 BGM\nG SG1 C 10\n  S RFF M 1 RFF\n" \
                  "D BGM BGM Beginning of message\nE 1 1225 C 1 an..3 1225 Message function\n" \
                  "D RFF RFF Reference\nC 1 C506 M 1 Reference\nc 1 1153 M an..3 - Reference qualifier\n" \
                  "L 1225 3 1 2 9\n"

static void expect_error(const char *text, unsigned line, const char *words)
{
    char why[512], path[1200], want[1300];
    assert_int_equal(load_text(text, why, sizeof why, path, sizeof path), EDI_E_DIRECTORY);
    snprintf(want, sizeof want, "%s:%u: ", path, line);
    if (strncmp(why, want, strlen(want)) || !strstr(why, words))
        fail_msg("got \"%s\", want \"%s...%s\"", why, want, words);
}

static void test_loader_accepts_minimal_file(void **state)
{
    (void)state;
    char why[512] = "", path[1200];
    assert_int_equal(load_text(GOOD_HEAD GOOD_BODY, why, sizeof why, path, sizeof path), EDI_OK);
}

static void test_loader_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("S BGM M 1 BGM\n", 1, "must start with an H line");
    expect_error(GOOD_HEAD "X foo\n" GOOD_BODY, 3, "unknown record");
    expect_error(GOOD_HEAD "S BGM Q 1 BGM\n", 3, "status \"Q\" is not M or C");
    expect_error(GOOD_HEAD "S BGM M many BGM\n", 3, "maximum repeat \"many\" is not a number");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\nG SG1 C 10\nS RFF M 1 RFF\n", 5, "group SG1 is empty");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\n   S RFF M 1 RFF\n", 4, "two spaces per group level");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\n  S RFF M 1 RFF\n", 4, "indented deeper");
    expect_error(GOOD_HEAD "S BGM M 1 NOPE\nD BGM BGM x\nE 1 1004 C 1 an..35 - n\n", 3,
                 "definition NOPE is not defined");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\nD BGM BGM x\nE 2 1004 C 1 an..35 - n\n", 5,
                 "element position 2 follows position 0");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\nD BGM BGM x\nE 1 1004 C 1 x..35 - n\n", 5,
                 "format \"x..35\" does not start with a, n or an");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\nD BGM BGM x\nE 1 1004 C 1 an..35 L9 n\n", 5,
                 "code list L9 is not defined");
    expect_error(GOOD_HEAD "S BGM M 1 BGM\nD BGM BGM x\nc 1 1004 C an..3 - n\n", 5,
                 "must follow a composite");
    expect_error(GOOD_HEAD GOOD_BODY "L 9 3 B A C\n", 12, "out of order");
    expect_error(GOOD_HEAD GOOD_BODY "L 9 3 A B\n", 12, "announces 3 codes but has 2");
    expect_error(GOOD_HEAD GOOD_BODY "L 9 1 ABCDEFGHI\n", 12, "longer than 8 characters");
    expect_error(GOOD_HEAD GOOD_BODY "L 1225 1 1\n", 12, "code list 1225 is defined twice");
    expect_error(GOOD_HEAD "S BGM M 1 RFF\nD RFF RFF x\nE 1 1153 C 1 an..3 - n\n", 3,
                 "segment BGM refers to definition RFF of tag RFF");
}

static void test_loader_missing_file(void **state)
{
    (void)state;
    edi_message_def *m = (edi_message_def *)1;
    char why[512];
    assert_int_equal(edi_message_def_load("/nonexistent/x.edd", &m, why, sizeof why), EDI_E_DIRECTORY);
    assert_null(m);
    assert_non_null(strstr(why, "/nonexistent/x.edd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d96a_orders_structure),
        cmocka_unit_test(test_d96a_segment_definitions),
        cmocka_unit_test(test_eancom_selection),
        cmocka_unit_test(test_unknown_message),
        cmocka_unit_test(test_cache_returns_same_definition),
        cmocka_unit_test(test_service_definitions),
        cmocka_unit_test(test_contrl_definitions),
        cmocka_unit_test(test_every_generated_file_loads),
        cmocka_unit_test(test_loader_accepts_minimal_file),
        cmocka_unit_test(test_loader_errors_name_file_and_line),
        cmocka_unit_test(test_loader_missing_file),
    };
    return cmocka_run_group_tests(tests, open_dir, close_dir);
}

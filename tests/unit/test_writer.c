/* Writer: UNA rules, release escaping read back by the tokenizer, trailing empties,
 * repetitions, character set encoding, line breaks, trailer counts and argument errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "edi_tokenizer.h"
#include "edi_writer.h"

static edi_writer *new_writer(const edi_writer_options *o)
{
    char why[256] = "";
    edi_writer *w = edi_writer_new(o, why, sizeof why);
    if (!w)
        fail_msg("edi_writer_new: %s", why);
    return w;
}

/* The writer's output as a NUL-terminated string (valid until the next write). */
static char *output(const edi_writer *w)
{
    size_t len;
    const char *d = edi_writer_data(w, &len);
    static char copy[4096];
    assert_true(len < sizeof copy);
    memcpy(copy, d, len);
    copy[len] = '\0';
    return copy;
}

static void seg(edi_writer *w, const char *text)
{
    assert_int_equal(edi_writer_segment_text(w, text), EDI_OK);
}

static void test_unoa_defaults_need_no_una(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOA";
    edi_writer *w = new_writer(&o);
    seg(w, "UNB+UNOA:3+S+R+200101:1000+REF");
    seg(w, "UNZ+0+REF");
    assert_string_equal(output(w), "UNB+UNOA:3+S+R+200101:1000+REF'UNZ+0+REF'");
    assert_null(edi_writer_warning(w));
    edi_writer_free(w);

    o.force_una = true;
    w = new_writer(&o);
    seg(w, "UNB+UNOA:3+S+R+200101:1000+REF");
    assert_string_equal(output(w), "UNA:+.? 'UNB+UNOA:3+S+R+200101:1000+REF'");
    edi_writer_free(w);
}

static void test_una_for_charset_above_level_a_and_each_interchange(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.line_break = "\n";
    edi_writer *w = new_writer(&o);
    seg(w, "UNB+UNOC:3+S+R+200101:1000+1");
    seg(w, "UNZ+0+1");
    seg(w, "UNB+UNOC:3+S+R+200101:1000+2");
    seg(w, "UNZ+0+2");
    assert_string_equal(output(w),
        "UNA:+.? '\nUNB+UNOC:3+S+R+200101:1000+1'\nUNZ+0+1'\n"
        "UNA:+.? '\nUNB+UNOC:3+S+R+200101:1000+2'\nUNZ+0+2'\n");
    edi_writer_free(w);

    /* A bare message starts with UNA too; its UNT does not get another one. */
    w = new_writer(&o);
    seg(w, "UNH+1+ORDERS:D:96A:UN");
    seg(w, "UNT+2+1");
    assert_string_equal(output(w), "UNA:+.? '\nUNH+1+ORDERS:D:96A:UN'\nUNT+2+1'\n");
    edi_writer_free(w);
}

static void test_custom_separators_read_back(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOA";
    o.sc.component = '=';
    o.sc.element = '*';
    o.sc.decimal = ',';
    o.sc.release = '!';
    o.sc.terminator = '~';
    edi_writer *w = new_writer(&o);
    seg(w, "UNB+UNOA:3+S+R+200101:1000+9");
    seg(w, "FTX+AAI+++A*B=C~D!E?:F?+G");
    seg(w, "UNZ+0+9");
    const char *out = output(w);
    assert_string_equal(out, "UNA=*,! ~UNB*UNOA=3*S*R*200101=1000*9~FTX*AAI***A!*B!=C!~D!!E:F+G~UNZ*0*9~");

    edi_tokenizer *t = edi_tokenizer_new_mem(out, strlen(out), NULL);
    assert_non_null(t);
    edi_segment s;
    assert_int_equal(edi_tokenizer_next(t, &s, NULL, NULL), EDI_OK);
    assert_int_equal(edi_tokenizer_next(t, &s, NULL, NULL), EDI_OK);
    assert_string_equal(s.tag, "FTX");
    char v[64];
    edi_segment_value(&s, 4, 1, v, sizeof v);
    assert_string_equal(v, "A*B=C~D!E:F+G");
    assert_int_equal(s.sc->decimal, ',');
    edi_tokenizer_free(t);
    edi_writer_free(w);
}

/* Every service character, the release character itself and release parity (values
 * ending in the release character) come back unchanged through the tokenizer. */
static void test_escaping_round_trips_through_tokenizer(void **state)
{
    (void)state;
    static const char *const values[] = {
        "plain", "a:b", "a+b", "it's", "10?+10=20", "?", "??", "x?", "?'", "*star*", ":+'?*", "",
    };
    for (int version = 3; version <= 4; version++) {
        edi_writer_options o;
        edi_writer_options_default(&o);
        o.syntax_version = version;
        edi_writer *w = new_writer(&o);
        assert_int_equal(edi_writer_begin_segment(w, "UNB"), EDI_OK);
        assert_int_equal(edi_writer_element(w, false), EDI_OK);
        assert_int_equal(edi_writer_component(w, "UNOC", 4), EDI_OK);
        assert_int_equal(edi_writer_component(w, version == 4 ? "4" : "3", 1), EDI_OK);
        assert_int_equal(edi_writer_end_segment(w), EDI_OK);
        size_t nv = sizeof values / sizeof values[0];
        for (size_t i = 0; i < nv; i++) {
            assert_int_equal(edi_writer_begin_segment(w, "FTX"), EDI_OK);
            assert_int_equal(edi_writer_element(w, false), EDI_OK);
            assert_int_equal(edi_writer_component(w, values[i], strlen(values[i])), EDI_OK);
            assert_int_equal(edi_writer_component(w, "end", 3), EDI_OK);
            assert_int_equal(edi_writer_end_segment(w), EDI_OK);
        }
        size_t len;
        const char *out = edi_writer_data(w, &len);
        edi_findings f;
        edi_findings_init(&f, 0);
        edi_tokenizer *t = edi_tokenizer_new_mem(out, len, NULL);
        assert_non_null(t);
        edi_segment s;
        assert_int_equal(edi_tokenizer_next(t, &s, &f, NULL), EDI_OK);
        for (size_t i = 0; i < nv; i++) {
            assert_int_equal(edi_tokenizer_next(t, &s, &f, NULL), EDI_OK);
            assert_int_equal(s.n_elements, 1);
            char v[64];
            edi_segment_value(&s, 1, 1, v, sizeof v);
            assert_string_equal(v, values[i]);
            edi_segment_value(&s, 1, 2, v, sizeof v);
            assert_string_equal(v, "end");
            assert_false(s.had_stray_release);
        }
        assert_int_equal(edi_tokenizer_next(t, &s, &f, NULL), EDI_END);
        assert_int_equal(f.count, 0);
        edi_findings_free(&f);
        edi_tokenizer_free(t);
        edi_writer_free(w);
    }
}

static void test_star_is_data_in_v3_and_escaped_in_v4(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOA";
    edi_writer *w = new_writer(&o);
    assert_int_equal(edi_writer_begin_segment(w, "NAD"), EDI_OK);
    assert_int_equal(edi_writer_element(w, false), EDI_OK);
    assert_int_equal(edi_writer_component(w, "A*B", 3), EDI_OK);
    assert_int_equal(edi_writer_end_segment(w), EDI_OK);
    assert_string_equal(output(w), "NAD+A*B'");
    /* No repetitions before syntax version 4. */
    assert_int_equal(edi_writer_begin_segment(w, "NAD"), EDI_OK);
    assert_int_equal(edi_writer_element(w, false), EDI_OK);
    assert_int_equal(edi_writer_element(w, true), EDI_E_ARG);
    edi_writer_free(w);

    o.syntax_version = 4;
    w = new_writer(&o);
    assert_int_equal(edi_writer_begin_segment(w, "NAD"), EDI_OK);
    assert_int_equal(edi_writer_element(w, false), EDI_OK);
    assert_int_equal(edi_writer_component(w, "A*B", 3), EDI_OK);
    assert_int_equal(edi_writer_element(w, true), EDI_OK);
    assert_int_equal(edi_writer_component(w, "C", 1), EDI_OK);
    assert_int_equal(edi_writer_component(w, "D", 1), EDI_OK);
    assert_int_equal(edi_writer_element(w, true), EDI_OK);
    assert_int_equal(edi_writer_component(w, "", 0), EDI_OK);
    assert_int_equal(edi_writer_end_segment(w), EDI_OK);
    seg(w, "RFF+A*B:C*+X");
    assert_string_equal(output(w), "NAD+A?*B*C:D'RFF+A*B:C*+X'");
    edi_writer_free(w);
}

static void test_trailing_empties_dropped_inner_kept(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.charset = "UNOA";
    edi_writer *w = new_writer(&o);
    seg(w, "BGM+220+PO1+9++");
    seg(w, "DTM+137:20200101::");
    seg(w, "NAD+BY+::+A::B:+:+");
    seg(w, "UNS+S");
    seg(w, "SRC");
    seg(w, "CNT+++");
    /* Empty components at the end of an inner element go, the element itself stays. */
    assert_int_equal(edi_writer_begin_segment(w, "QTY"), EDI_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(edi_writer_element(w, false), EDI_OK);
        assert_int_equal(edi_writer_component(w, i == 1 ? "21" : "", i == 1 ? 2 : 0), EDI_OK);
        assert_int_equal(edi_writer_component(w, "", 0), EDI_OK);
    }
    assert_int_equal(edi_writer_end_segment(w), EDI_OK);
    assert_string_equal(output(w),
        "BGM+220+PO1+9'DTM+137:20200101'NAD+BY++A::B'UNS+S'SRC'CNT'QTY++21'");
    edi_writer_free(w);
}

static void test_unoc_umlauts_from_utf8(void **state)
{
    (void)state;
    edi_writer_options o;
    edi_writer_options_default(&o);
    o.line_break = "\r\n";
    edi_writer *w = new_writer(&o);
    seg(w, "NAD+SU+++M\xC3\xBCller Stra\xC3\x9F" "e");
    assert_string_equal(output(w), "UNA:+.? '\r\nNAD+SU+++M\xFCller Stra\xDF" "e'\r\n");
    assert_null(edi_writer_warning(w));
    edi_writer_free(w);

    /* UNOA has no umlauts: '?' stands in (escaped, as it is the release character) and the
     * first such character is reported. */
    o.charset = "UNOA";
    o.line_break = "";
    w = new_writer(&o);
    seg(w, "NAD+SU+++M\xC3\xBCller");
    seg(w, "FTX+AAI+++\xE2\x82\xAC");
    assert_string_equal(output(w), "NAD+SU+++M?\?ller'FTX+AAI+++?\?'");
    const char *warning = edi_writer_warning(w);
    assert_non_null(warning);
    assert_non_null(strstr(warning, "NAD, element 4, component 1"));
    edi_writer_free(w);

    /* UNOW writes UTF-8 as it is. */
    o.charset = "UNOW";
    o.syntax_version = 4;
    w = new_writer(&o);
    seg(w, "FTX+AAI+++\xE2\x82\xAC 5");
    assert_string_equal(output(w), "UNA:+.?*'FTX+AAI+++\xE2\x82\xAC 5'");
    edi_writer_free(w);
}

static void test_counts_for_trailers(void **state)
{
    (void)state;
    edi_writer *w = new_writer(NULL);
    seg(w, "UNB+UNOC:3+S+R+200101:1000+1");
    seg(w, "UNG+ORDERS+S+R+200101:1000+G1+UN+D:96A");
    seg(w, "UNH+1+ORDERS:D:96A:UN");
    seg(w, "BGM+220+PO1");
    assert_int_equal(edi_writer_begin_segment(w, "UNT"), EDI_OK);
    assert_int_equal(edi_writer_message_segments(w), 3);
    assert_int_equal(edi_writer_end_segment(w), EDI_OK);
    seg(w, "UNH+2+ORDERS:D:96A:UN");
    seg(w, "UNT+2+2");
    assert_int_equal(edi_writer_message_segments(w), 2);
    assert_int_equal(edi_writer_messages(w), 2);
    seg(w, "UNE+2+G1");
    seg(w, "UNG+ORDERS+S+R+200101:1000+G2+UN+D:96A");
    seg(w, "UNH+3+ORDERS:D:96A:UN");
    seg(w, "UNT+2+3");
    assert_int_equal(edi_writer_messages(w), 1);
    assert_int_equal(edi_writer_groups(w), 2);
    seg(w, "UNE+1+G2");
    seg(w, "UNZ+2+1");
    seg(w, "UNB+UNOC:3+S+R+200101:1000+2");
    assert_int_equal(edi_writer_groups(w), 0);
    assert_int_equal(edi_writer_messages(w), 0);
    edi_writer_free(w);
}

static void test_bad_arguments_and_options(void **state)
{
    (void)state;
    edi_writer *w = new_writer(NULL);
    assert_int_equal(edi_writer_begin_segment(w, "bgm"), EDI_E_ARG);
    assert_int_equal(edi_writer_begin_segment(w, "BG"), EDI_E_ARG);
    assert_int_equal(edi_writer_element(w, false), EDI_E_ARG);
    assert_int_equal(edi_writer_end_segment(w), EDI_E_ARG);
    assert_int_equal(edi_writer_segment_text(w, "BGMX"), EDI_E_ARG);
    assert_int_equal(edi_writer_begin_segment(w, "BGM"), EDI_OK);
    assert_int_equal(edi_writer_component(w, "x", 1), EDI_E_ARG);
    assert_int_equal(edi_writer_begin_segment(w, "DTM"), EDI_E_ARG);
    edi_writer_free(w);

    edi_writer_options o;
    char why[256];
    edi_writer_options_default(&o);
    o.sc.element = ':';
    assert_null(edi_writer_new(&o, why, sizeof why));
    assert_non_null(strstr(why, "both component separator and data element separator"));

    edi_writer_options_default(&o);
    o.sc.terminator = 'X';
    assert_null(edi_writer_new(&o, why, sizeof why));
    assert_non_null(strstr(why, "segment terminator"));

    edi_writer_options_default(&o);
    o.charset = "UNOX";
    why[0] = '\0';
    assert_null(edi_writer_new(&o, why, sizeof why));
    assert_true(why[0] != '\0');

    edi_writer_options_default(&o);
    o.line_break = "\t";
    assert_null(edi_writer_new(&o, why, sizeof why));

    /* A blank repetition separator (UNA:+.? ' in version 4) means no repetitions. */
    edi_writer_options_default(&o);
    o.syntax_version = 4;
    o.sc.repetition = '\0';
    w = new_writer(&o);
    seg(w, "UNB+UNOC:4+S+R+20200101:1000+1");
    assert_int_equal(edi_writer_begin_segment(w, "FTX"), EDI_OK);
    assert_int_equal(edi_writer_element(w, false), EDI_OK);
    assert_int_equal(edi_writer_component(w, "a*b", 3), EDI_OK);
    assert_int_equal(edi_writer_element(w, true), EDI_E_ARG);
    assert_string_equal(output(w), "UNA:+.? 'UNB+UNOC:4+S+R+20200101:1000+1'FTX+a*b");
    edi_writer_free(w);

    /* No release character is possible until a value needs one. */
    edi_writer_options_default(&o);
    o.sc.release = '\0';
    w = new_writer(&o);
    seg(w, "UNB+UNOC:3+S+R+200101:1000+1");
    seg(w, "FTX+AAI+++no separators here");
    assert_string_equal(output(w), "UNA:+.  'UNB+UNOC:3+S+R+200101:1000+1'FTX+AAI+++no separators here'");
    assert_int_equal(edi_writer_segment_text(w, "FTX+AAI+++a?+b"), EDI_E_ARG);
    assert_non_null(strstr(edi_writer_warning(w), "no release character"));
    edi_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unoa_defaults_need_no_una),
        cmocka_unit_test(test_una_for_charset_above_level_a_and_each_interchange),
        cmocka_unit_test(test_custom_separators_read_back),
        cmocka_unit_test(test_escaping_round_trips_through_tokenizer),
        cmocka_unit_test(test_star_is_data_in_v3_and_escaped_in_v4),
        cmocka_unit_test(test_trailing_empties_dropped_inner_kept),
        cmocka_unit_test(test_unoc_umlauts_from_utf8),
        cmocka_unit_test(test_counts_for_trailers),
        cmocka_unit_test(test_bad_arguments_and_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

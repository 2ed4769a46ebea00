/* Character sets: which syntax identifiers open, decoding of each code to UTF-8, the
 * level A/B and UTF-8 repertoire checks and their issues, overrides, the mislabel guess,
 * encoding back from UTF-8, output bounds, and check agreeing with decode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_charset.h"

static edi_charset *open_ok(const char *syntax_id, const char *override)
{
    edi_charset *cs = NULL;
    char why[256] = "";
    edi_result r = edi_charset_open(syntax_id, override, &cs, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("opening %s (override %s) failed: %s", syntax_id, override ? override : "-",
                 why);
    assert_non_null(cs);
    return cs;
}

/* Decode `in` (length n) and compare with the NUL-terminated `want`. */
static void assert_decodes(const edi_charset *cs, const char *in, size_t n, const char *want,
                           edi_charset_issue *issue)
{
    char out[256];
    size_t got = edi_charset_to_utf8(cs, in, n, out, sizeof out, issue);
    assert_true(got <= sizeof out);
    assert_int_equal(got, strlen(want));
    assert_memory_equal(out, want, got);
}

static void assert_refused(const char *syntax_id, const char *override, const char *why_part)
{
    static max_align_t not_null;
    edi_charset *cs = (edi_charset *)&not_null; /* open must reset it to NULL */
    char why[256] = "";
    assert_int_equal(edi_charset_open(syntax_id, override, &cs, why, sizeof why),
                     EDI_E_CHARSET);
    assert_null(cs);
    if (!strstr(why, why_part))
        fail_msg("why for %s/%s is \"%s\", expected it to contain \"%s\"", syntax_id,
                 override ? override : "-", why, why_part);
}

static void test_every_identifier_opens(void **state)
{
    (void)state;
    static const char *const ids[] = {"UNOA", "UNOB", "UNOC", "UNOD", "UNOE", "UNOF", "UNOG",
                                      "UNOH", "UNOI", "UNOJ", "UNOK", "UNOL", "UNOW", "UNOY"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        edi_charset *cs = open_ok(ids[i], NULL);
        assert_string_equal(edi_charset_name(cs), ids[i]);
        assert_string_equal(edi_charset_declared(cs), ids[i]);
        assert_true(strlen(edi_charset_description(cs)) > 0);
        edi_charset_free(cs);
    }
    edi_charset *cs = open_ok("unoc", "");
    assert_string_equal(edi_charset_name(cs), "UNOC");
    assert_string_equal(edi_charset_description(cs), "ISO 8859-1 (Latin-1)");
    edi_charset_free(cs);
}

static void test_unox_refused_with_advice(void **state)
{
    (void)state;
    assert_refused("UNOX", NULL, "UNOX (ISO 2022 code extension) is not supported");
    assert_refused("UNOX", NULL, "agree UNOC, UNOW or UNOY with the sender");
    assert_refused("UNOA", "UNOX", "not supported");
}

static void test_unknown_identifiers_refused(void **state)
{
    (void)state;
    assert_refused("IATB", NULL, "unknown character set: syntax identifier \"IATB\"");
    assert_refused("KECA", NULL, "\"KECA\"");
    assert_refused("UNOZ", NULL, "unknown character set");
    assert_refused("", NULL, "unknown character set");
    assert_refused("UNO\x01\xFF", NULL, "\"UNO??\"");
    /* The pseudo-charsets are for overrides only. */
    assert_refused("UTF-8", NULL, "only be used as a partner's charset override");
    assert_refused("WINDOWS-1252", NULL, "only be used as a partner's charset override");
    assert_refused("UNOC", "LATIN1", "charset override \"LATIN1\" is not known");

    edi_charset *cs = NULL;
    char why[128] = "";
    assert_int_equal(edi_charset_open(NULL, NULL, &cs, why, sizeof why), EDI_E_ARG);
    assert_int_equal(edi_charset_open("UNOC", NULL, NULL, NULL, 0), EDI_E_ARG);
    assert_int_equal(edi_charset_open("IATB", NULL, &cs, NULL, 0), EDI_E_CHARSET);
}

static void test_overrides_replace_declared(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOC", "UTF-8");
    assert_string_equal(edi_charset_name(cs), "UTF-8");
    assert_string_equal(edi_charset_declared(cs), "UNOC");
    assert_decodes(cs, "M\xC3\xBCnchen", 8, "München", NULL);
    edi_charset_free(cs);

    /* An identifier we cannot decode is fine once the partner's real set is known. */
    cs = open_ok("IATB", "windows-1252");
    assert_string_equal(edi_charset_name(cs), "WINDOWS-1252");
    assert_string_equal(edi_charset_declared(cs), "IATB");
    edi_charset_free(cs);

    cs = open_ok("UNOA", "UNOC");
    assert_string_equal(edi_charset_name(cs), "UNOC");
    assert_decodes(cs, "M\xFCnchen", 7, "München", NULL);
    edi_charset_free(cs);
}

static void test_unoc_latin1(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOC", NULL);
    edi_charset_issue issue;
    assert_decodes(cs, "M\xFCnchen", 7, "München", &issue);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    assert_true(edi_charset_check(cs, "M\xFCnchen", 7, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    assert_decodes(cs, "\xA4\xA0\xFF", 3, "¤\u00A0ÿ", NULL);

    /* 0x80 is a C1 control in ISO 8859-1; a sender writing it usually meant Windows-1252. */
    assert_false(edi_charset_check(cs, "5 \x80", 3, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_REPERTOIRE);
    assert_int_equal(issue.offset, 2);
    assert_string_equal(issue.text, "byte 0x80 (a control character here, \"€\" in "
                                     "Windows-1252) is not in the UNOC repertoire");
    assert_false(edi_charset_check(cs, "a\tb", 3, &issue));
    assert_string_equal(issue.text,
                        "byte 0x09 (a control character) is not in the UNOC repertoire");
    edi_charset_free(cs);
}

static void test_other_iso_8859_parts(void **state)
{
    (void)state;
    static const struct {
        const char *id, *in, *want;
    } cases[] = {
        {"UNOD", "\xA3\xF3\x64\xBC", "Łódź"},
        {"UNOE", "\xBC\xDE\xE1\xDA\xD2\xD0", "Москва"},
        {"UNOF", "\xC1\xE8\xDE\xED\xE1", "Αθήνα"},
        {"UNOJ", "\xF9\xEC\xE5\xED", "שלום"},
        {"UNOK", "\xDDstanbul", "İstanbul"},
        {"UNOL", "5\xA4", "5€"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        edi_charset *cs = open_ok(cases[i].id, NULL);
        edi_charset_issue issue;
        assert_decodes(cs, cases[i].in, strlen(cases[i].in), cases[i].want, &issue);
        assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
        assert_true(edi_charset_check(cs, cases[i].in, strlen(cases[i].in), NULL));
        edi_charset_free(cs);
    }

    /* 0xA1 is a hole in ISO 8859-6. */
    edi_charset *cs = open_ok("UNOI", NULL);
    edi_charset_issue issue;
    assert_decodes(cs, "A\xA1", 2, "A\uFFFD", &issue);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    assert_int_equal(issue.offset, 1);
    assert_string_equal(issue.text,
                        "byte 0xA1 (\"¡\" in Windows-1252) is not in the UNOI repertoire");
    edi_charset_free(cs);
}

static void test_unoa_rejects_lower_case(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOA", NULL);
    edi_charset_issue issue;
    static const char level_a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>";
    assert_true(edi_charset_check(cs, level_a, strlen(level_a), &issue));

    assert_false(edi_charset_check(cs, "ABc", 3, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_REPERTOIRE);
    assert_int_equal(issue.offset, 2);
    assert_int_equal(issue.byte_count, 1);
    assert_int_equal(issue.bytes[0], 'c');
    assert_string_equal(issue.text, "byte 0x63 (\"c\") is not in the UNOA repertoire");
    /* Decoding keeps the character: it is known, only not allowed at level A. */
    assert_decodes(cs, "ABc", 3, "ABc", &issue);
    assert_int_equal(issue.offset, 2);

    assert_false(edi_charset_check(cs, "M\xFCNCHEN", 7, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    assert_int_equal(issue.offset, 1);
    assert_string_equal(issue.text,
                        "byte 0xFC (\"ü\" in Windows-1252) is not in the UNOA repertoire");
    assert_decodes(cs, "M\xFCNCHEN", 7, "M\uFFFDNCHEN", NULL);

    /* A UNOA file that is really UTF-8 (shared/reference/edifact.md §1.4). */
    assert_false(edi_charset_check(cs, "M\xC3\xBCNCHEN", 8, &issue));
    assert_int_equal(issue.byte_count, 2);
    assert_string_equal(issue.text,
                        "bytes 0xC3 0xBC (\"ü\" in UTF-8) are not in the UNOA repertoire");

    assert_false(edi_charset_check(cs, "A@B", 3, NULL));
    assert_false(edi_charset_check(cs, "A\x1D" "B", 3, NULL));
    edi_charset_free(cs);
}

static void test_unob_accepts_lower_case(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOB", NULL);
    edi_charset_issue issue;
    static const char text[] = "Hello, World (1/2): 10% off; \"ok\" <x> & y*z!?+'=";
    assert_true(edi_charset_check(cs, text, strlen(text), &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    /* Level B's information separators IS4, IS3, IS1. */
    assert_true(edi_charset_check(cs, "\x1C\x1D\x1F", 3, NULL));
    /* D422 §5.2 lists no other printable ASCII: no @, #, _, [ ]. */
    assert_false(edi_charset_check(cs, "info@example", 12, &issue));
    assert_int_equal(issue.offset, 4);
    assert_false(edi_charset_check(cs, "a_b", 3, NULL));
    assert_false(edi_charset_check(cs, "#1", 2, NULL));
    assert_false(edi_charset_check(cs, "ok\xE9", 3, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    edi_charset_free(cs);
}

static void test_utf8_sets(void **state)
{
    (void)state;
    static const char *const ids[] = {"UNOY", "UNOW"};
    for (size_t k = 0; k < 2; k++) {
        edi_charset *cs = open_ok(ids[k], NULL);
        edi_charset_issue issue;
        static const char cjk[] = "\xE6\x9D\xB1\xE4\xBA\xAC Tokyo \xF0\x9F\x98\x80";
        assert_true(edi_charset_check(cs, cjk, strlen(cjk), &issue));
        assert_decodes(cs, cjk, strlen(cjk), "東京 Tokyo 😀", &issue);
        assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);

        /* A sequence cut short: one U+FFFD for the maximal subpart. */
        assert_false(edi_charset_check(cs, "ab\xE6\x9D", 4, &issue));
        assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
        assert_int_equal(issue.offset, 2);
        assert_int_equal(issue.byte_count, 2);
        char want[96];
        snprintf(want, sizeof want, "bytes 0xE6 0x9D are not valid UTF-8, which %s requires",
                 ids[k]);
        assert_string_equal(issue.text, want);
        assert_decodes(cs, "ab\xE6\x9D", 4, "ab\uFFFD", NULL);

        assert_false(edi_charset_check(cs, "M\xFCnchen", 7, &issue));
        snprintf(want, sizeof want,
                 "byte 0xFC (\"ü\" in Windows-1252) is not valid UTF-8, which %s requires",
                 ids[k]);
        assert_string_equal(issue.text, want);

        /* Overlong encoding and a surrogate are ill-formed byte by byte. */
        assert_decodes(cs, "\xC0\x80", 2, "\uFFFD\uFFFD", &issue);
        assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
        assert_decodes(cs, "\xED\xA0\x80", 3, "\uFFFD\uFFFD\uFFFD", NULL);
        assert_decodes(cs, "\xE0\x9F\xBF", 3, "\uFFFD\uFFFD\uFFFD", NULL);
        assert_decodes(cs, "\xF0\x8F\xBF\xBF", 4, "\uFFFD\uFFFD\uFFFD\uFFFD", NULL);
        assert_decodes(cs, "\xED\x9F\xBF\xEE\x80\x80", 6, "\uD7FF\uE000", NULL);
        assert_false(edi_charset_check(cs, "\xF4\x90\x80\x80", 4, NULL));

        /* U+0085 is well-formed but a control character. */
        assert_false(edi_charset_check(cs, "x\xC2\x85", 3, &issue));
        assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_REPERTOIRE);
        assert_int_equal(issue.offset, 1);
        snprintf(want, sizeof want,
                 "character U+0085 (a control character) is not in the %s repertoire", ids[k]);
        assert_string_equal(issue.text, want);
        assert_false(edi_charset_check(cs, "x\ny", 3, NULL));
        edi_charset_free(cs);
    }
}

static void test_windows_1252_override(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOC", "WINDOWS-1252");
    edi_charset_issue issue;
    assert_decodes(cs, "\x80 5 \x93q\x94", 7, "€ 5 “q”", &issue);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    assert_true(edi_charset_check(cs, "\x80\xFC", 2, NULL));
    assert_false(edi_charset_check(cs, "x\x81", 2, &issue));
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    assert_string_equal(issue.text, "byte 0x81 is not in the WINDOWS-1252 repertoire");
    assert_decodes(cs, "x\x81", 2, "x\uFFFD", NULL);
    edi_charset_free(cs);
}

static void test_guess_and_mislabel_hint(void **state)
{
    (void)state;
    assert_int_equal(edi_charset_guess("MUNICH", 6), EDI_GUESS_ASCII);
    assert_int_equal(edi_charset_guess("", 0), EDI_GUESS_ASCII);
    assert_int_equal(edi_charset_guess("M\xC3\xBCnchen", 8), EDI_GUESS_UTF8);
    assert_int_equal(edi_charset_guess("\xE6\x9D\xB1", 3), EDI_GUESS_UTF8);
    assert_int_equal(edi_charset_guess("M\xFCnchen", 7), EDI_GUESS_8BIT);
    assert_int_equal(edi_charset_guess("5 \x80", 3), EDI_GUESS_WINDOWS_1252);
    /* 0x81 is undefined in Windows-1252 too. */
    assert_int_equal(edi_charset_guess("\x81\xFC", 2), EDI_GUESS_8BIT);
    /* Valid UTF-8 except at the end is not UTF-8. */
    assert_int_equal(edi_charset_guess("\xC3\xBC\xFC", 3), EDI_GUESS_8BIT);

    char hint[200] = "untouched";
    edi_charset *cs = open_ok("UNOC", NULL);
    assert_true(edi_charset_mislabel_hint(cs, "M\xC3\xBCnchen", 8, hint, sizeof hint));
    assert_string_equal(hint, "declared UNOC but the bytes look like UTF-8; set the "
                              "partner's charset override to UTF-8");
    assert_true(edi_charset_mislabel_hint(cs, "\x80", 1, hint, sizeof hint));
    assert_string_equal(hint, "declared UNOC but the bytes look like Windows-1252; set the "
                              "partner's charset override to WINDOWS-1252");
    strcpy(hint, "untouched");
    assert_false(edi_charset_mislabel_hint(cs, "M\xFCnchen", 7, hint, sizeof hint));
    assert_false(edi_charset_mislabel_hint(cs, "MUNICH", 6, hint, sizeof hint));
    assert_string_equal(hint, "untouched");
    edi_charset_free(cs);

    cs = open_ok("UNOY", NULL);
    assert_false(edi_charset_mislabel_hint(cs, "M\xC3\xBCnchen", 8, hint, sizeof hint));
    assert_true(edi_charset_mislabel_hint(cs, "M\xFCnchen", 7, hint, sizeof hint));
    assert_non_null(strstr(hint, "declared UNOY but the bytes are not UTF-8"));
    edi_charset_free(cs);

    cs = open_ok("UNOA", NULL);
    assert_true(edi_charset_mislabel_hint(cs, "M\xFCnchen", 7, hint, sizeof hint));
    assert_non_null(strstr(hint, "declared UNOA but the bytes use 8 bits"));
    edi_charset_free(cs);

    /* Windows-1250, not 1252, is the usual mislabel for ISO 8859-2: no 1252 hint there. */
    cs = open_ok("UNOD", NULL);
    assert_false(edi_charset_mislabel_hint(cs, "\x80", 1, hint, sizeof hint));
    edi_charset_free(cs);

    cs = open_ok("UNOC", "WINDOWS-1252");
    assert_true(edi_charset_mislabel_hint(cs, "M\xC3\xBCnchen", 8, hint, sizeof hint));
    assert_non_null(strstr(hint, "charset override WINDOWS-1252 but the bytes look like UTF-8"));
    edi_charset_free(cs);
}

static void test_from_utf8(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOC", NULL);
    edi_charset_issue issue;
    char out[512], back[512];

    /* Every printable ISO 8859-1 byte survives decode and encode. */
    char latin1[192];
    size_t n = 0;
    for (unsigned b = 0x20; b < 0x100; b++)
        if (b < 0x7F || b >= 0xA0)
            latin1[n++] = (char)b;
    size_t u = edi_charset_to_utf8(cs, latin1, n, out, sizeof out, &issue);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    size_t m = edi_charset_from_utf8(cs, out, u, back, sizeof back, &issue);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    assert_int_equal(m, n);
    assert_memory_equal(back, latin1, n);

    m = edi_charset_from_utf8(cs, "5 € net", strlen("5 € net"), out, sizeof out, &issue);
    assert_int_equal(m, 7);
    assert_memory_equal(out, "5 ? net", 7);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNREPRESENTABLE);
    assert_int_equal(issue.offset, 2);
    assert_int_equal(issue.byte_count, 3);
    assert_string_equal(issue.text, "character \"€\" (U+20AC) cannot be written in UNOC "
                                     "(ISO 8859-1 (Latin-1))");

    m = edi_charset_from_utf8(cs, "x\xFCy", 3, out, sizeof out, &issue);
    assert_memory_equal(out, "x?y", 3);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    assert_string_equal(issue.text, "byte 0xFC (\"ü\" in Windows-1252) is not valid UTF-8");
    edi_charset_free(cs);

    cs = open_ok("UNOL", NULL);
    m = edi_charset_from_utf8(cs, "5€", strlen("5€"), out, sizeof out, &issue);
    assert_int_equal(m, 2);
    assert_memory_equal(out, "5\xA4", 2);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    edi_charset_free(cs);

    cs = open_ok("UNOE", NULL);
    m = edi_charset_from_utf8(cs, "Москва", strlen("Москва"), out, sizeof out, &issue);
    assert_int_equal(m, 6);
    assert_memory_equal(out, "\xBC\xDE\xE1\xDA\xD2\xD0", 6);
    edi_charset_free(cs);

    /* Lower case has a code in ISO 646 but is outside level A: written, and reported. */
    cs = open_ok("UNOA", NULL);
    m = edi_charset_from_utf8(cs, "ABc", 3, out, sizeof out, &issue);
    assert_memory_equal(out, "ABc", 3);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_REPERTOIRE);
    assert_string_equal(issue.text, "character \"c\" (U+0063) is not in the UNOA repertoire");
    m = edi_charset_from_utf8(cs, "Ü", strlen("Ü"), out, sizeof out, &issue);
    assert_int_equal(m, 1);
    assert_int_equal(out[0], '?');
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNREPRESENTABLE);
    edi_charset_free(cs);

    cs = open_ok("UNOY", NULL);
    m = edi_charset_from_utf8(cs, "東京", strlen("東京"), out, sizeof out, &issue);
    assert_int_equal(m, strlen("東京"));
    assert_memory_equal(out, "東京", m);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_NONE);
    m = edi_charset_from_utf8(cs, "a\xFF", 2, out, sizeof out, &issue);
    assert_int_equal(m, 4);
    assert_memory_equal(out, "a\uFFFD", 4);
    assert_int_equal(issue.kind, EDI_CHARSET_ISSUE_UNDECODABLE);
    edi_charset_free(cs);
}

/* Every byte of every single-byte set that decodes encodes back to itself. */
static void test_single_byte_round_trip_all_bytes(void **state)
{
    (void)state;
    static const char *const ids[] = {"UNOC", "UNOD", "UNOE", "UNOF", "UNOG",   "UNOH",
                                      "UNOI", "UNOJ", "UNOK", "UNOL", "WINDOWS-1252"};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        edi_charset *cs = open_ok("UNOC", ids[k]);
        unsigned defined = 0;
        for (unsigned b = 0; b < 256; b++) {
            char in = (char)b, utf8[4], back[4];
            edi_charset_issue issue;
            size_t u = edi_charset_to_utf8(cs, &in, 1, utf8, sizeof utf8, &issue);
            assert_in_range(u, 1, 3);
            if (u == 3 && memcmp(utf8, "\uFFFD", 3) == 0)
                continue;
            defined++;
            size_t m = edi_charset_from_utf8(cs, utf8, u, back, sizeof back, NULL);
            if (m != 1 || back[0] != in)
                fail_msg("%s: byte 0x%02X does not survive a round trip", ids[k], b);
        }
        /* ISO 8859-6 has the most holes; no set here defines fewer than 170 bytes. */
        assert_in_range(defined, 170, 256);
        edi_charset_free(cs);
    }
}

/* Output is cut only at character boundaries and the full length is still reported. */
static void test_output_bounds(void **state)
{
    (void)state;
    edi_charset *cs = open_ok("UNOC", NULL);
    char out[8];
    memset(out, '#', sizeof out);
    assert_int_equal(edi_charset_to_utf8(cs, "M\xFCnchen", 7, out, 2, NULL), 8);
    assert_int_equal(out[0], 'M');
    assert_int_equal(out[1], '#');
    assert_int_equal(edi_charset_to_utf8(cs, "M\xFCnchen", 7, NULL, 0, NULL), 8);
    edi_charset_free(cs);

    /* The documented worst case is reached: every byte undecodable under UNOA. */
    cs = open_ok("UNOA", NULL);
    static const char high[5] = "\xFF\xFE\xFD\xFC\xFB";
    assert_int_equal(edi_charset_to_utf8(cs, high, 5, NULL, 0, NULL),
                     EDI_CHARSET_TO_UTF8_MAX(5));
    edi_charset_free(cs);
    cs = open_ok("UNOY", NULL);
    assert_int_equal(edi_charset_from_utf8(cs, high, 5, NULL, 0, NULL),
                     EDI_CHARSET_FROM_UTF8_MAX(5));
    assert_int_equal(edi_charset_to_utf8(cs, "ab\xE6\x9D\xB1", 5, NULL, 0, NULL), 5);
    edi_charset_free(cs);
}

/* check and to_utf8 agree on whether there is an issue and on the issue itself, on
 * pseudo-random bytes biased towards ASCII and UTF-8 lead/continuation bytes. */
static void test_check_agrees_with_decode(void **state)
{
    (void)state;
    static const char *const ids[] = {"UNOA", "UNOB", "UNOC", "UNOI", "UNOL", "UNOY", "UNOW"};
    uint32_t seed = 12345;
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        edi_charset *cs = open_ok(ids[k], NULL);
        for (int round = 0; round < 2000; round++) {
            char in[12], out[EDI_CHARSET_TO_UTF8_MAX(12)];
            size_t len = (size_t)(round % 12);
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = seed >> 16;
                static const unsigned char pick[] = {'A', 'z', ' ', '@', 0xC3, 0xBC, 0xE6,
                                                     0x80, 0xA1, 0x0A, 0xF0, 0x9F};
                in[i] = (char)(r % 3 ? pick[r % sizeof pick] : r >> 8);
            }
            edi_charset_issue by_check, by_decode;
            bool ok = edi_charset_check(cs, in, len, &by_check);
            edi_charset_to_utf8(cs, in, len, out, sizeof out, &by_decode);
            assert_int_equal(ok, by_decode.kind == EDI_CHARSET_ISSUE_NONE);
            assert_int_equal(by_check.kind, by_decode.kind);
            assert_int_equal(by_check.offset, by_decode.offset);
            assert_string_equal(by_check.text, by_decode.text);
        }
        edi_charset_free(cs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_identifier_opens),
        cmocka_unit_test(test_unox_refused_with_advice),
        cmocka_unit_test(test_unknown_identifiers_refused),
        cmocka_unit_test(test_overrides_replace_declared),
        cmocka_unit_test(test_unoc_latin1),
        cmocka_unit_test(test_other_iso_8859_parts),
        cmocka_unit_test(test_unoa_rejects_lower_case),
        cmocka_unit_test(test_unob_accepts_lower_case),
        cmocka_unit_test(test_utf8_sets),
        cmocka_unit_test(test_windows_1252_override),
        cmocka_unit_test(test_guess_and_mislabel_hint),
        cmocka_unit_test(test_from_utf8),
        cmocka_unit_test(test_single_byte_round_trip_all_bytes),
        cmocka_unit_test(test_output_bounds),
        cmocka_unit_test(test_check_agrees_with_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

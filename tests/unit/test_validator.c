/* Validator: segment order, groups, repeats, mandatory parts, element and component
 * counts, formats, numbers and decimal marks, codes, EANCOM subsets, syntax 4
 * repetitions, placement in the group tree, and the service segment check. Messages go
 * through the real tokenizer; findings are asserted by code, level, segment, element and
 * component. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_directory.h"
#include "edi_tokenizer.h"
#include "edi_validator.h"

#define MAX_SEGS 200

typedef struct {
    edi_findings f;
    edi_placement pl[MAX_SEGS];   /* one per body segment (between UNH and UNT) */
    unsigned n;
} run_t;

static edi_directory *dir;

static int setup(void **state)
{
    (void)state;
    char path[1024];
    const char *env = getenv("EDI_FORMATS_DIR");
    snprintf(path, sizeof path, "%s/edifact", env && *env ? env : "formats");
    dir = edi_directory_open(path);
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    edi_directory_free(dir);
    return 0;
}

static const edi_message_def *def_of(const char *type, const char *release, const char *assoc)
{
    const edi_message_def *m = NULL;
    char why[256];
    if (edi_directory_find(dir, type, "D", release, "UN", assoc, &m, why, sizeof why) != EDI_OK)
        fail_msg("%s", why);
    return m;
}

/* Tokenize `text` and validate every message in it with one validator, numbering segments
 * as a reader does (UNH = 1). UNA/UNB/UNZ are only read. */
static void run_opts(const edi_message_def *def, const char *text, size_t len,
                     const edi_validator_options *opt, run_t *r)
{
    memset(r, 0, sizeof *r);
    edi_findings_init(&r->f, 0);
    edi_tokenizer *t = edi_tokenizer_new_mem(text, len, NULL);
    edi_validator *v = edi_validator_new(def, opt);
    assert_non_null(t);
    assert_non_null(v);
    edi_segment seg;
    edi_position at = { .interchange = 1 };
    bool in_message = false;
    while (edi_tokenizer_next(t, &seg, &r->f, &at) == EDI_OK) {
        at.offset = seg.offset;
        at.line = seg.line;
        if (!strcmp(seg.tag, "UNH")) {
            at.message++;
            at.segment = 1;
            memcpy(at.tag, "UNH", 4);
            edi_validator_begin(v, &r->f, &at);
            in_message = true;
            continue;
        }
        if (!in_message)
            continue;
        at.segment++;
        memcpy(at.tag, seg.tag, sizeof at.tag);
        if (!strcmp(seg.tag, "UNT")) {
            edi_validator_end(v, &at);
            in_message = false;
            continue;
        }
        assert_true(r->n < MAX_SEGS);
        assert_int_equal(edi_validator_segment(v, &seg, &at, &r->pl[r->n]), EDI_OK);
        r->n++;
    }
    edi_validator_free(v);
    edi_tokenizer_free(t);
}

static void run(const edi_message_def *def, const char *text, run_t *r)
{
    run_opts(def, text, strlen(text), NULL, r);
}

static void done(run_t *r)
{
    edi_findings_free(&r->f);
}

static char *read_corpus(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "tests/corpus/edifact/%s", rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s (run from the repository root)", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

static void dump(const run_t *r)
{
    for (size_t i = 0; i < r->f.count; i++) {
        char line[600];
        edi_finding_format(&r->f.items[i], line, sizeof line);
        print_message("  finding %zu: [%d] %s\n", i, r->f.items[i].code, line);
    }
}

/* The finding with this code at this segment, element and component, or a failure. */
static const edi_finding *expect(const run_t *r, int code, edi_level level, unsigned segment,
                                 unsigned element, unsigned component)
{
    for (size_t i = 0; i < r->f.count; i++) {
        const edi_finding *fd = &r->f.items[i];
        if (fd->code == code && fd->at.segment == segment && fd->element == element &&
            fd->component == component) {
            assert_int_equal(fd->level, level);
            assert_int_equal(fd->severity, EDI_SEV_ERROR);
            return fd;
        }
    }
    dump(r);
    fail_msg("no finding %d at segment %u element %u component %u", code, segment, element, component);
    return NULL;
}

static void expect_count(const run_t *r, size_t n)
{
    if (r->f.count != n) {
        dump(r);
        fail_msg("%zu findings, expected %zu", r->f.count, n);
    }
}

static void expect_text(const edi_finding *fd, const char *words)
{
    if (!strstr(fd->text, words))
        fail_msg("finding text \"%s\" lacks \"%s\"", fd->text, words);
}

#define ORDERS96(body) "UNH+1+ORDERS:D:96A:UN'" body "UNT+99+1'"

/* ---- whole messages from the corpus ---------------------------------------------------- */

static void test_valid_un_message_has_no_findings(void **state)
{
    (void)state;
    size_t len;
    char *text = read_corpus("pydifact/wikipedia_de.edi", &len);
    run_t r;
    run_opts(def_of("ORDERS", "96A", NULL), text, len, NULL, &r);
    expect_count(&r, 0);
    /* BGM DTM NAD LIN QTY UNS CNT: NAD opens SG2, LIN closes it and opens SG25, QTY stays
     * in SG25, UNS closes it. */
    assert_int_equal(r.n, 7);
    assert_string_equal(r.pl[2].opened->name, "SG2");
    assert_int_equal(r.pl[3].closed, 1);
    assert_string_equal(r.pl[3].opened->name, "SG25");
    assert_null(r.pl[4].opened);
    assert_int_equal(r.pl[4].depth, 1);
    assert_string_equal(r.pl[4].def->tag, "QTY");
    assert_int_equal(r.pl[5].closed, 1);
    assert_int_equal(r.pl[5].depth, 0);
    done(&r);
    free(text);
}

static void test_valid_eancom_message_with_decimal_comma(void **state)
{
    (void)state;
    size_t len;
    char *text = read_corpus("pydifact/order.edi", &len);
    /* UNA:+,? ' in a syntax 4 interchange: the reader passes ',' and "accept both". */
    edi_validator_options opt = { .decimal = ',', .any_decimal = true };
    run_t r;
    run_opts(def_of("ORDERS", "96A", "EAN008"), text, len, &opt, &r);
    expect_count(&r, 0);
    assert_int_equal(r.n, 14);
    done(&r);
    free(text);
}

static void test_edifact_rs_fixtures_lack_uns(void **state)
{
    (void)state;
    /* The fixtures edifact-rs calls conforming end without UNS, which D.96A and D.01B
     * ORDERS make mandatory; that is the one finding, at the last segment (6, NAD). */
    static const char *const files[][2] = { { "edifact-rs/d96a_orders_conforming.edi", "96A" },
                                            { "edifact-rs/d01b_orders_conforming.edi", "01B" } };
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *text = read_corpus(files[i][0], &len);
        run_t r;
        run_opts(def_of("ORDERS", files[i][1], NULL), text, len, NULL, &r);
        expect_count(&r, 1);
        const edi_finding *fd = expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 6, 0, 0);
        assert_string_equal(fd->at.tag, "NAD");
        expect_text(fd, "mandatory segment UNS (Section control) is missing");
        done(&r);
        free(text);
    }
}

static void test_edifact_rs_malformed_fixture(void **state)
{
    (void)state;
    size_t len;
    char *text = read_corpus("edifact-rs/d96a_orders_malformed.edi", &len);
    run_t r;
    run_opts(def_of("ORDERS", "96A", NULL), text, len, NULL, &r);
    /* UNH DTM NAD+ZZZ UNT: BGM missing (reported at UNH) and UNS missing. NAD+ZZZ is
     * fine: ZZZ (mutually defined) is a D.96A party qualifier. The BGM before UNH is the
     * reader's business, not the validator's. */
    expect_count(&r, 2);
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 1, 0, 0), "segment BGM");
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 3, 0, 0), "segment UNS");
    assert_string_equal(r.pl[1].def->tag, "NAD");
    done(&r);
    free(text);
}

/* ---- structure --------------------------------------------------------------------------- */

static void test_segment_out_of_order(void **state)
{
    (void)state;
    run_t r;
    run(def_of("ORDERS", "96A", NULL), ORDERS96("DTM+137:20240101:102'BGM+220+1'UNS+S'"), &r);
    expect_count(&r, 2);
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 1, 0, 0), "BGM");
    expect_text(expect(&r, EDI_SE_NOT_SUPPORTED_IN_POSITION, EDI_LEVEL_SEGMENT, 3, 0, 0),
                "segment BGM is not expected after DTM");
    assert_null(r.pl[1].def);
    assert_null(r.pl[1].entry);
    assert_int_equal(r.pl[1].closed, 0);
    /* The unexpected segment does not move the place: UNS still fits. */
    assert_string_equal(r.pl[2].def->tag, "UNS");
    done(&r);
}

static void test_unknown_segment(void **state)
{
    (void)state;
    run_t r;
    run(def_of("ORDERS", "96A", NULL), ORDERS96("BGM+220+1'DTM+137:20240101:102'XYZ+1'UNS+S'"), &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_NOT_SUPPORTED_IN_POSITION, EDI_LEVEL_SEGMENT, 4, 0, 0),
                "segment XYZ is not part of ORDERS D.96A");
    done(&r);
}

static void test_too_many_segment_repeats(void **state)
{
    (void)state;
    char text[4096] = "UNH+1+ORDERS:D:96A:UN'BGM+220+1'";
    for (int i = 0; i < 36; i++)
        strcat(text, "DTM+137:20240101:102'");
    strcat(text, "UNS+S'UNT+40+1'");
    run_t r;
    run(def_of("ORDERS", "96A", NULL), text, &r);
    /* DTM is M35; the 36th DTM is segment 38 (UNH 1, BGM 2, DTMs 3..38). */
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_TOO_MANY_SEGMENT_REPEATS, EDI_LEVEL_SEGMENT, 38, 0, 0),
                "segment DTM occurs 36 times here; ORDERS D.96A allows at most 35");
    done(&r);
}

static void test_too_many_group_repeats(void **state)
{
    (void)state;
    char text[4096] = "UNH+1+ORDERS:D:96A:UN'BGM+220+1'DTM+137:20240101:102'";
    for (int i = 0; i < 11; i++)
        strcat(text, "RFF+ON:1'DTM+171:20240101:102'");
    strcat(text, "UNS+S'UNT+40+1'");
    run_t r;
    run(def_of("ORDERS", "96A", NULL), text, &r);
    /* SG1 (RFF-DTM) is C10; the 11th RFF is segment 4 + 2 * 10 = 24. */
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_TOO_MANY_GROUP_REPEATS, EDI_LEVEL_SEGMENT, 24, 0, 0),
                "segment group SG1 (starting with RFF) occurs 11 times");
    /* Every RFF closes the previous occurrence (RFF, DTM) and opens SG1 again. */
    assert_int_equal(r.pl[4].closed, 1);
    assert_string_equal(r.pl[4].opened->name, "SG1");
    done(&r);
}

static void test_mandatory_missing_in_group_and_at_end(void **state)
{
    (void)state;
    run_t r;
    /* SG54 is ALC M1, ALI C1, MOA M2: MOA never comes; reported at the last segment (ALC, 5). */
    run(def_of("ORDERS", "96A", NULL), ORDERS96("BGM+220+1'DTM+137:20240101:102'UNS+S'ALC+A'"), &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 5, 0, 0),
                "mandatory segment MOA (Monetary amount) is missing from segment group SG54");
    done(&r);

    /* An empty message misses BGM, DTM and UNS, all at UNH. */
    run(def_of("ORDERS", "96A", NULL), ORDERS96(""), &r);
    expect_count(&r, 3);
    expect_text(&r.f.items[0], "BGM");
    expect_text(&r.f.items[1], "DTM");
    expect_text(&r.f.items[2], "UNS");
    assert_int_equal(r.f.items[2].at.segment, 1);
    done(&r);

    /* A mandatory group: INVOIC D.96A SG48 (MOA) after UNS. */
    run(def_of("INVOIC", "96A", NULL), "UNH+1+INVOIC:D:96A:UN'BGM+380+1'DTM+137:20240101:102'UNS+S'UNT+5+1'", &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_SEGMENT, 4, 0, 0),
                "mandatory segment group SG48 (starting with MOA) is missing");
    done(&r);
}

static void test_placement_in_group_tree(void **state)
{
    (void)state;
    run_t r;
    run(def_of("ORDERS", "96A", NULL),
        ORDERS96("BGM+220+1'DTM+137:20240101:102'NAD+BY+1::9'RFF+ON:1'NAD+SU+2::9'"
                 "LIN+1'PIA+1+A:SA'LIN+2'UNS+S'CNT+2:2'"), &r);
    expect_count(&r, 0);
    assert_int_equal(r.n, 10);
    const edi_placement *p = r.pl;
    assert_int_equal(p[0].depth, 0);
    assert_string_equal(p[0].entry->name, "BGM");
    /* NAD opens SG2; RFF opens SG3 inside it. */
    assert_string_equal(p[2].opened->name, "SG2");
    assert_int_equal(p[2].depth, 1);
    assert_string_equal(p[3].opened->name, "SG3");
    assert_ptr_equal(p[3].opened->parent, p[2].opened);
    assert_int_equal(p[3].depth, 2);
    /* The second NAD closes SG3 and SG2, then opens SG2 again. */
    assert_int_equal(p[4].closed, 2);
    assert_ptr_equal(p[4].opened, p[2].opened);
    assert_int_equal(p[4].depth, 1);
    /* LIN closes SG2, opens SG25; PIA stays; the next LIN starts a new SG25. */
    assert_int_equal(p[5].closed, 1);
    assert_string_equal(p[5].opened->name, "SG25");
    assert_ptr_equal(p[5].entry, &p[5].opened->children[0]);
    assert_int_equal(p[6].closed, 0);
    assert_null(p[6].opened);
    assert_string_equal(p[6].def->tag, "PIA");
    assert_int_equal(p[7].closed, 1);
    assert_ptr_equal(p[7].opened, p[5].opened);
    assert_int_equal(p[8].closed, 1);
    assert_int_equal(p[8].depth, 0);
    assert_null(p[8].opened);
    done(&r);
}

/* ---- elements ---------------------------------------------------------------------------- */

static void test_element_and_component_counts(void **state)
{
    (void)state;
    run_t r;
    run(def_of("ORDERS", "96A", NULL),
        ORDERS96("BGM+220+1+9+AB+X'DTM+137:20240101:102:9'DTM+:20240101:102'DTM'UNS+S'"), &r);
    expect_count(&r, 4);
    expect_text(expect(&r, EDI_SE_TOO_MANY_CONSTITUENTS, EDI_LEVEL_ELEMENT, 2, 5, 0),
                "BGM has 4 data elements in ORDERS D.96A; element 5 is one too many");
    expect_text(expect(&r, EDI_SE_TOO_MANY_CONSTITUENTS, EDI_LEVEL_ELEMENT, 3, 1, 4),
                "C507 (Date/time/period) has 3 components; component 4 is one too many");
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_ELEMENT, 4, 1, 1),
                "mandatory component 2005 (Date/time/period qualifier) of C507 is missing");
    expect_text(expect(&r, EDI_SE_MISSING, EDI_LEVEL_ELEMENT, 5, 1, 0),
                "mandatory data element C507 (Date/time/period) is missing");
    done(&r);

    /* A simple data element with components; trailing empty elements are no error. */
    run(def_of("ORDERS", "96A", NULL), ORDERS96("BGM+220+1:2'DTM+137:20240101:102++'UNS+S'"), &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_TOO_MANY_CONSTITUENTS, EDI_LEVEL_ELEMENT, 2, 2, 2),
                "1004 (Document/message number) is a simple data element");
    done(&r);
}

#define LINE_ITEM(qty) "LIN+1'QTY+21:" qty "'"

static void test_numbers(void **state)
{
    (void)state;
    const edi_message_def *def = def_of("ORDERS", "96A", NULL);
    run_t r;
    run(def, ORDERS96("BGM+220+1'DTM+137:20240101:102'"
                      LINE_ITEM("12,5x") LINE_ITEM(",5") LINE_ITEM("2.") LINE_ITEM("-1234567890123.45")
                      LINE_ITEM("1234567890123456") LINE_ITEM("-") LINE_ITEM("1.2.3") "UNS+S'"), &r);
    /* Segments: BGM 2, DTM 3, then LIN/QTY pairs: QTY at 5, 7, 9, 11, 13, 15, 17. */
    expect_count(&r, 6);
    expect_text(expect(&r, EDI_SE_INVALID_CHARACTER_TYPE, EDI_LEVEL_ELEMENT, 5, 1, 2),
                "\"12,5x\" is not a number (n..15)");
    expect_text(expect(&r, EDI_SE_INVALID_VALUE, EDI_LEVEL_ELEMENT, 7, 1, 2), "needs a digit before the decimal mark");
    expect_text(expect(&r, EDI_SE_INVALID_VALUE, EDI_LEVEL_ELEMENT, 9, 1, 2), "needs a digit after the decimal mark");
    /* 15 digits with a minus sign and a decimal mark fit n..15; 16 digits do not. */
    expect_text(expect(&r, EDI_SE_TOO_LONG, EDI_LEVEL_ELEMENT, 13, 1, 2), "has 16 digits");
    expect(&r, EDI_SE_INVALID_CHARACTER_TYPE, EDI_LEVEL_ELEMENT, 15, 1, 2);
    expect(&r, EDI_SE_INVALID_CHARACTER_TYPE, EDI_LEVEL_ELEMENT, 17, 1, 2);
    done(&r);
}

static void test_decimal_mark_options(void **state)
{
    (void)state;
    const edi_message_def *def = def_of("ORDERS", "96A", NULL);
    const char *text = ORDERS96("BGM+220+1'DTM+137:20240101:102'" LINE_ITEM("12,5") LINE_ITEM("12.5") "UNS+S'");
    run_t r;

    edi_validator_options point = { .decimal = '.' };
    run_opts(def, text, strlen(text), &point, &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_INVALID_VALUE, EDI_LEVEL_ELEMENT, 5, 1, 2),
                "\"12,5\" uses \",\" as decimal mark, but this interchange uses \".\"");
    done(&r);

    edi_validator_options comma = { .decimal = ',' };
    run_opts(def, text, strlen(text), &comma, &r);
    expect_count(&r, 1);
    expect(&r, EDI_SE_INVALID_VALUE, EDI_LEVEL_ELEMENT, 7, 1, 2);
    done(&r);

    edi_validator_options both = { .decimal = '.', .any_decimal = true };
    run_opts(def, text, strlen(text), &both, &r);
    expect_count(&r, 0);
    done(&r);
}

static void test_lengths_use_unescaped_values(void **state)
{
    (void)state;
    const edi_message_def *def = def_of("ORDERS", "96A", NULL);
    /* 1004 is an..35; FTX 4440 is an..70 and "?+" counts as one character. */
    char text[1024], seventy[80], ftx[200];
    memset(seventy, 'A', 68);
    memcpy(seventy + 68, "?+", 3);   /* 68 + "+" = 69 characters, plus the next one */
    snprintf(ftx, sizeof ftx, "FTX+AAI+++%sB'FTX+AAI+++%sBC'", seventy, seventy);
    snprintf(text, sizeof text, "UNH+1+ORDERS:D:96A:UN'BGM+220+%s'DTM+137:20240101:102'%sUNS+S'UNT+6+1'",
             "123456789012345678901234567890123456", ftx);
    run_t r;
    run(def, text, &r);
    expect_count(&r, 2);
    expect_text(expect(&r, EDI_SE_TOO_LONG, EDI_LEVEL_ELEMENT, 2, 2, 0),
                "has 36 characters; 1004 (Document/message number) allows at most 35 (an..35)");
    /* The first FTX has exactly 70 characters once "?+" is read as "+"; the second 71. */
    expect_text(expect(&r, EDI_SE_TOO_LONG, EDI_LEVEL_ELEMENT, 5, 4, 1), "has 71 characters");
    done(&r);
}

static void test_utf8_lengths(void **state)
{
    (void)state;
    const edi_message_def *def = def_of("ORDERS", "96A", NULL);
    /* 34 letters and a "\xc3\xbc" (u umlaut): 35 characters in 36 bytes; 3036 is an..35. */
    const char *text = ORDERS96("BGM+220+1'DTM+137:20240101:102'"
                                "NAD+BY+++AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xbc'UNS+S'");
    run_t r;
    run_opts(def, text, strlen(text), NULL, &r);
    expect_count(&r, 1);
    expect(&r, EDI_SE_TOO_LONG, EDI_LEVEL_ELEMENT, 4, 4, 1);
    done(&r);
    edi_validator_options utf8 = { .utf8 = true };
    run_opts(def, text, strlen(text), &utf8, &r);
    expect_count(&r, 0);
    done(&r);
}

static void test_codes_un_and_eancom(void **state)
{
    (void)state;
    const char *body = "BGM+220+1'DTM+137:20240101:102'LIN+1'QTY+47:5'UNS+S'";
    char text[512];
    run_t r;
    snprintf(text, sizeof text, "UNH+1+ORDERS:D:96A:UN'%sUNT+7+1'", body);
    run(def_of("ORDERS", "96A", NULL), text, &r);
    expect_count(&r, 0);   /* 47 (invoiced quantity) is a UN code */
    done(&r);

    snprintf(text, sizeof text, "UNH+1+ORDERS:D:96A:UN:EAN008'%sUNT+7+1'", body);
    run(def_of("ORDERS", "96A", "EAN008"), text, &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_INVALID_VALUE, EDI_LEVEL_ELEMENT, 5, 1, 1),
                "\"47\" is not a code of 6063 (Quantity qualifier) in ORDERS D.96A EANCOM");
    done(&r);
}

static void test_not_used_in_eancom_subset(void **state)
{
    (void)state;
    run_t r;
    /* EANCOM leaves NAD C058 (name and address lines) out; the party name goes in C080. */
    run(def_of("ORDERS", "96A", "EAN008"),
        "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+1'DTM+137:20240101:102'NAD+BY+5412345000013::9+LINE'"
        "NAD+SU+5412345000020::9++NAME'UNS+S'UNT+7+1'", &r);
    expect_count(&r, 1);
    expect_text(expect(&r, EDI_SE_NOT_SUPPORTED_IN_POSITION, EDI_LEVEL_ELEMENT, 4, 3, 0),
                "C058 (Name and address) is not used in ORDERS D.96A EANCOM");
    done(&r);
}

static void test_syntax4_repetitions(void **state)
{
    (void)state;
    run_t r;
    /* UNA position 7 and a syntax 4 UNB turn on "*" as repetition separator. D.01B COM
     * C076 may occur 3 times; 1004 (a simple element) once. */
    run(def_of("ORDERS", "01B", NULL),
        "UNA:+.?*'UNB+UNOC:4+S+R+20240101:1200+1'UNH+1+ORDERS:D:01B:UN'BGM+220+1*2'"
        "DTM+137:20240101:102'NAD+BY+1::9'CTA+IC'COM+1:TE*2:FX*3:EM'COM+1:TE*2:FX*3:EM*4:AL'"
        "UNS+S'UNT+9+1'UNZ+1+1'", &r);
    expect_count(&r, 2);
    expect_text(expect(&r, EDI_SE_TOO_MANY_CONSTITUENTS, EDI_LEVEL_ELEMENT, 2, 2, 0),
                "C106 (Document/message identification) may occur 1 time; this is occurrence 2");
    expect_text(expect(&r, EDI_SE_TOO_MANY_CONSTITUENTS, EDI_LEVEL_ELEMENT, 7, 1, 0),
                "may occur 3 times; this is occurrence 4");
    done(&r);
}

static void test_validator_reuse_and_misuse(void **state)
{
    (void)state;
    const edi_message_def *def = def_of("ORDERS", "96A", NULL);
    edi_validator *v = edi_validator_new(def, NULL);
    edi_placement pl;
    edi_segment seg;
    memset(&seg, 0, sizeof seg);
    edi_position at = { .segment = 2, .tag = "BGM" };
    assert_int_equal(edi_validator_segment(v, &seg, &at, &pl), EDI_E_ARG);
    assert_null(pl.def);
    edi_validator_free(v);
    assert_null(edi_validator_new(NULL, NULL));

    /* One validator, two messages: the second starts afresh (its DTM is not a repeat and
     * nothing of the first message is reported again). */
    run_t r;
    run(def, "UNH+1+ORDERS:D:96A:UN'BGM+220+1'UNT+3+1'"
             "UNH+2+ORDERS:D:96A:UN'BGM+220+2'DTM+137:20240101:102'UNS+S'UNT+5+2'", &r);
    expect_count(&r, 2);
    assert_int_equal(r.f.items[0].at.message, 1);
    assert_int_equal(r.f.items[1].at.message, 1);
    assert_int_equal(r.pl[1].depth, 0);
    assert_string_equal(r.pl[2].def->tag, "DTM");
    done(&r);
}

/* ---- service segments through edi_validate_segment_elements ------------------------------- */

/* Check the segment `tag` of `text` (which must start like an interchange or message). */
static void check_service(int syntax, const char *text, const char *tag, edi_findings *f)
{
    const edi_message_def *svc;
    char why[256];
    assert_int_equal(edi_directory_service(dir, syntax, &svc, why, sizeof why), EDI_OK);
    edi_tokenizer *t = edi_tokenizer_new_mem(text, strlen(text), NULL);
    edi_segment seg;
    edi_position at = { .segment = 1 };
    edi_findings_init(f, 0);
    edi_findings scratch;
    edi_findings_init(&scratch, 0);
    do
        assert_int_equal(edi_tokenizer_next(t, &seg, &scratch, &at), EDI_OK);
    while (strcmp(seg.tag, tag));
    memcpy(at.tag, seg.tag, sizeof at.tag);
    edi_validate_segment_elements(edi_message_def_segment(svc, seg.tag), &seg, &at, NULL, f);
    edi_findings_free(&scratch);
    edi_tokenizer_free(t);
}

static void test_service_segments(void **state)
{
    (void)state;
    edi_findings f;
    check_service(3, "UNB+UNOC:3+SENDER:14+RECIPIENT:14+240101:1200+REF1'", "UNB", &f);
    assert_int_equal(f.count, 0);
    edi_findings_free(&f);

    /* Syntax 3 dates are YYMMDD: "2401" is too short; UNOX is a syntax 4 character set;
     * the interchange reference 0020 is missing. */
    check_service(3, "UNB+UNOX:3+SENDER+RECIPIENT+2401:1200'", "UNB", &f);
    assert_int_equal(f.count, 3);
    assert_int_equal(f.items[0].code, EDI_SE_INVALID_VALUE);
    assert_int_equal(f.items[0].element, 1);
    assert_int_equal(f.items[0].component, 1);
    assert_int_equal(f.items[1].code, EDI_SE_TOO_SHORT);
    assert_int_equal(f.items[1].level, EDI_LEVEL_ELEMENT);
    assert_int_equal(f.items[1].element, 4);
    assert_int_equal(f.items[1].component, 1);
    assert_non_null(strstr(f.items[1].text, "\"2401\" has 4 digits; 0017 (Date) needs exactly 6 (n6)"));
    assert_int_equal(f.items[2].code, EDI_SE_MISSING);
    assert_int_equal(f.items[2].element, 5);
    edi_findings_free(&f);

    /* Syntax 4 dates are CCYYMMDD. */
    check_service(4, "UNB+UNOY:4+SENDER+RECIPIENT+240101:1200+REF1'", "UNB", &f);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.items[0].code, EDI_SE_TOO_SHORT);
    edi_findings_free(&f);

    /* UNT 0074 is n..6 in syntax 3. */
    check_service(3, "UNH+1+ORDERS:D:96A:UN'UNT+12A+1'", "UNT", &f);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.items[0].code, EDI_SE_INVALID_CHARACTER_TYPE);
    edi_findings_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_un_message_has_no_findings),
        cmocka_unit_test(test_valid_eancom_message_with_decimal_comma),
        cmocka_unit_test(test_edifact_rs_fixtures_lack_uns),
        cmocka_unit_test(test_edifact_rs_malformed_fixture),
        cmocka_unit_test(test_segment_out_of_order),
        cmocka_unit_test(test_unknown_segment),
        cmocka_unit_test(test_too_many_segment_repeats),
        cmocka_unit_test(test_too_many_group_repeats),
        cmocka_unit_test(test_mandatory_missing_in_group_and_at_end),
        cmocka_unit_test(test_placement_in_group_tree),
        cmocka_unit_test(test_element_and_component_counts),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_decimal_mark_options),
        cmocka_unit_test(test_lengths_use_unescaped_values),
        cmocka_unit_test(test_utf8_lengths),
        cmocka_unit_test(test_codes_un_and_eancom),
        cmocka_unit_test(test_not_used_in_eancom_subset),
        cmocka_unit_test(test_syntax4_repetitions),
        cmocka_unit_test(test_validator_reuse_and_misuse),
        cmocka_unit_test(test_service_segments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

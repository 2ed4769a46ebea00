/* Tokenizer: service characters, release parity, repetition, line breaks, BOM, junk,
 * several interchanges, truncation, limits, and chunked reading equal to memory reading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edi_tokenizer.h"

/* Render all segments as `TAG|c:c|c*c` with `|` between elements, `:` between components,
 * `*` between repetitions and `\n` after each segment; values are unescaped. */
typedef struct {
    char *out;
    size_t len, cap;
    edi_result last;
    edi_findings findings;
    unsigned segments;
    unsigned first_line_of_last;
} render_t;

static void put(render_t *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->out = realloc(r->out, r->cap);
        assert_non_null(r->out);
    }
    memcpy(r->out + r->len, s, n);
    r->len += n;
    r->out[r->len] = '\0';
}

static void render_all(edi_tokenizer *t, render_t *r)
{
    edi_segment seg;
    edi_position at = {0};
    memset(r, 0, sizeof *r);
    edi_findings_init(&r->findings, 0);
    put(r, "", 0);
    while ((r->last = edi_tokenizer_next(t, &seg, &r->findings, &at)) == EDI_OK) {
        r->segments++;
        r->first_line_of_last = seg.line;
        char *buf = malloc(seg.raw_len + 1);
        assert_non_null(buf);
        size_t n = edi_component_copy(&seg, &seg.tag_raw, buf);
        put(r, buf, n);
        for (uint32_t i = 0; i < seg.n_elements; i++) {
            const edi_element *e = &seg.elements[i];
            put(r, e->repeat ? "*" : "|", 1);
            for (uint32_t k = 0; k < e->count; k++) {
                if (k)
                    put(r, ":", 1);
                n = edi_component_copy(&seg, &seg.components[e->first + k], buf);
                put(r, buf, n);
            }
        }
        put(r, "\n", 1);
        free(buf);
    }
}

static char *tokenize_mem(const char *in, size_t len, render_t *r)
{
    edi_tokenizer *t = edi_tokenizer_new_mem(in, len, NULL);
    assert_non_null(t);
    render_all(t, r);
    edi_tokenizer_free(t);
    return r->out;
}

static void render_free(render_t *r)
{
    free(r->out);
    edi_findings_free(&r->findings);
}

static void test_defaults_without_una(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNB+UNOA:3+SENDER+RECEIVER+200101:1000+REF1'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'UNZ+1+REF1'";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out,
        "UNB|UNOA:3|SENDER|RECEIVER|200101:1000|REF1\n"
        "UNH|1|ORDERS:D:96A:UN\nBGM|220|PO1\nUNT|3|1\nUNZ|1|REF1\n");
    assert_int_equal(r.last, EDI_END);
    assert_int_equal(r.findings.count, 0);
    render_free(&r);
}

static void test_una_custom_characters(void **state)
{
    (void)state;
    render_t r;
    /* component '=', element '*', decimal ',', release '!', terminator '~' */
    const char *in = "UNA=*,! ~UNB*UNOC=3*S*R*200101=1000*9~QTY*21=12,5~FTX*AAI***a!*b!~c!!~UNZ*1*9~";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out,
        "UNB|UNOC:3|S|R|200101:1000|9\nQTY|21:12,5\nFTX|AAI|||a*b~c!\nUNZ|1|9\n");
    render_free(&r);
}

static void test_release_parity(void **state)
{
    (void)state;
    render_t r;
    /* ??' literal ? then terminator; ???' literal ? and released '; ????' two literal ?. */
    const char *in = "UNB+UNOA:3+S+R+200101:1000+9'FTX+A?\?'FTX+B?\?\?'X'FTX+C?\?\?\?'FTX+D?+E?:F'UNZ+1+9'";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out,
        "UNB|UNOA:3|S|R|200101:1000|9\nFTX|A?\nFTX|B?'X\nFTX|C??\nFTX|D+E:F\nUNZ|1|9\n");
    render_free(&r);
}

static void test_repetition_only_in_v4(void **state)
{
    (void)state;
    render_t r;
    const char *v3 = "UNB+UNOC:3+S+R+200101:1000+9'NAD+BY+A*B'UNZ+1+9'";
    tokenize_mem(v3, strlen(v3), &r);
    assert_string_equal(r.out, "UNB|UNOC:3|S|R|200101:1000|9\nNAD|BY|A*B\nUNZ|1|9\n");
    render_free(&r);

    const char *v4 = "UNB+UNOC:4+S+R+20200101:1000+9'NAD+BY+A*B:C+X?*Y'UNZ+1+9'";
    tokenize_mem(v4, strlen(v4), &r);
    assert_string_equal(r.out, "UNB|UNOC:4|S|R|20200101:1000|9\nNAD|BY|A*B:C|X*Y\nUNZ|1|9\n");
    render_free(&r);

    /* After UNZ of a v4 interchange, a following v3 interchange treats * as data again. */
    const char *both = "UNB+UNOC:4+S+R+20200101:1000+9'A+1*2'UNZ+0+9'UNB+UNOC:3+S+R+200101:1000+8'A+1*2'UNZ+0+8'";
    tokenize_mem(both, strlen(both), &r);
    assert_non_null(strstr(r.out, "A|1*2\nUNZ|0|9\n"));
    assert_non_null(strstr(r.out, "A|1*2\nUNZ|0|8\n"));
    render_free(&r);
}

static void test_line_breaks_and_bom(void **state)
{
    (void)state;
    render_t r;
    const char *in = "\xEF\xBB\xBFUNA:+.? '\r\nUNB+UNOC:3+S+R+200101:1000+9'\r\nFTX+AAI+++long te\r\nxt'\nUNZ+1+9'\r\n";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out, "UNB|UNOC:3|S|R|200101:1000|9\nFTX|AAI|||long text\nUNZ|1|9\n");
    assert_int_equal(r.first_line_of_last, 5);
    assert_int_equal(r.findings.count, 0);
    render_free(&r);
}

/* Wrapped at the release character: the release applies to the character after the
 * line break, and a released line break is not data. */
static void test_release_across_line_break(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNB+UNOA:3+S+R+200101:1000+9'FTX+AAI+++A?\r\n+B+C?\nD'UNZ+1+9'";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out, "UNB|UNOA:3|S|R|200101:1000|9\nFTX|AAI|||A+B|CD\nUNZ|1|9\n");
    assert_int_equal(r.first_line_of_last, 3);
    render_free(&r);
}

static void test_junk_before_header_reported(void **state)
{
    (void)state;
    render_t r;
    const char *in = "#####\n@@@@\nUNB+UNOA:3+S+R+200101:1000+9'UNZ+0+9'";
    tokenize_mem(in, strlen(in), &r);
    assert_int_equal(r.segments, 2);
    assert_int_equal(r.findings.count, 1);
    assert_int_equal(r.findings.items[0].severity, EDI_SEV_WARNING);
    assert_int_equal(r.findings.items[0].at.offset, 0);
    assert_non_null(strstr(r.findings.items[0].text, "11 bytes before the interchange header"));
    render_free(&r);
}

static void test_trailing_junk_is_a_warning(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNB+UNOA:3+S+R+200101:1000+9'UNZ+0+9'\n--- end of file ---\n";
    tokenize_mem(in, strlen(in), &r);
    assert_int_equal(r.last, EDI_END);
    assert_int_equal(r.segments, 2);
    assert_int_equal(r.findings.count, 1);
    assert_int_equal(r.findings.items[0].severity, EDI_SEV_WARNING);
    assert_non_null(strstr(r.findings.items[0].text, "after the last interchange"));
    render_free(&r);
}

static void test_not_edifact(void **state)
{
    (void)state;
    render_t r;
    const char bin[] = { 0x00, 0x13, (char)0xff, 0x7f, 'A', 'B', 0x01, 'Z' };
    tokenize_mem(bin, sizeof bin, &r);
    assert_int_equal(r.last, EDI_E_SYNTAX);
    assert_int_equal(r.segments, 0);
    assert_int_equal(r.findings.count, 1);
    assert_non_null(strstr(r.findings.items[0].text, "not an EDIFACT interchange"));
    render_free(&r);

    tokenize_mem("", 0, &r);
    assert_int_equal(r.last, EDI_E_SYNTAX);
    assert_int_equal(r.segments, 0);
    assert_int_equal(r.findings.count, 1);
    assert_non_null(strstr(r.findings.items[0].text, "empty"));
    render_free(&r);

    tokenize_mem("\r\n \n", 4, &r);
    assert_int_equal(r.last, EDI_E_SYNTAX);
    assert_int_equal(r.findings.count, 1);
    assert_non_null(strstr(r.findings.items[0].text, "only 4 bytes of white space"));
    render_free(&r);
}

static void test_truncated(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNB+UNOA:3+S+R+200101:1000+9'UNH+1+ORDERS:D:96A:UN'BGM+22";
    tokenize_mem(in, strlen(in), &r);
    assert_int_equal(r.last, EDI_E_TRUNCATED);
    assert_int_equal(r.segments, 2);
    assert_int_equal(r.findings.count, 1);
    assert_int_equal(r.findings.items[0].at.offset, strlen(in) - 6);
    render_free(&r);

    /* A release character at the very end must not read past the buffer. */
    const char *rel = "UNB+UNOA:3+S+R+200101:1000+9'FTX+abc?";
    tokenize_mem(rel, strlen(rel), &r);
    assert_int_equal(r.last, EDI_E_TRUNCATED);
    assert_int_equal(r.segments, 1);
    render_free(&r);

    /* A UNA and nothing after it (but line breaks): said so, not an empty quoted segment. */
    const char *una[] = { "UNA:+.? '", "UNA:+.? '\r\n", "UNB+UNOA:3+S+R+200101:1000+9'UNZ+0+9'UNA:+.? '" };
    for (size_t i = 0; i < sizeof una / sizeof una[0]; i++) {
        tokenize_mem(una[i], strlen(una[i]), &r);
        assert_int_equal(r.last, EDI_E_TRUNCATED);
        assert_int_equal(r.segments, i == 2 ? 2 : 0);
        assert_int_equal(r.findings.count, 1);
        assert_non_null(strstr(r.findings.items[0].text, "ends right after the UNA"));
        assert_null(strstr(r.findings.items[0].text, "\"\""));
        render_free(&r);
    }
}

static void test_several_interchanges_and_una_again(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNA:+.? 'UNB+UNOA:3+S+R+200101:1000+1'UNZ+0+1'\n"
                     "UNA|+.? !UNB+UNOA|3+S+R+200101|1000+2!UNZ+0+2!";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out, "UNB|UNOA:3|S|R|200101:1000|1\nUNZ|0|1\nUNB|UNOA:3|S|R|200101:1000|2\nUNZ|0|2\n");
    render_free(&r);
}

/* A first interchange without UNZ, then UNA: the UNA starts the next interchange. */
static void test_una_after_missing_unz(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNB+UNOA:3+S+R+200101:1000+1'FTX+A'UNA|+.? !UNB+UNOA|3+S+R+200101|1000+2!UNZ+0+2!";
    tokenize_mem(in, strlen(in), &r);
    assert_string_equal(r.out, "UNB|UNOA:3|S|R|200101:1000|1\nFTX|A\nUNB|UNOA:3|S|R|200101:1000|2\nUNZ|0|2\n");
    assert_int_equal(r.findings.count, 0);
    render_free(&r);
}

static void test_bad_una_falls_back(void **state)
{
    (void)state;
    render_t r;
    const char *in = "UNA++.? 'UNB+UNOA:3+S+R+200101:1000+1'UNZ+0+1'";
    tokenize_mem(in, strlen(in), &r);
    assert_int_equal(r.segments, 2);
    assert_int_equal(r.findings.count, 1);
    assert_int_equal(r.findings.items[0].code, EDI_SE_INVALID_SERVICE_CHAR);
    render_free(&r);
}

static void test_many_separators_and_big_element(void **state)
{
    (void)state;
    render_t r;
    size_t n = 10000;
    char *in = malloc(n * 2 + 64);
    strcpy(in, "UNB+UNOA:3+S+R+200101:1000+1'FTX");
    size_t len = strlen(in);
    for (size_t i = 0; i < n; i++)
        in[len++] = (i % 2) ? ':' : '+';
    in[len++] = '\'';
    tokenize_mem(in, len, &r);
    assert_int_equal(r.last, EDI_END);
    assert_int_equal(r.segments, 2);
    render_free(&r);
    free(in);

    size_t big = 1024 * 1024;
    char *b = malloc(big + 64);
    strcpy(b, "UNB+UNOA:3+S+R+200101:1000+1'FTX+AAI+++");
    len = strlen(b);
    memset(b + len, 'X', big);
    len += big;
    b[len++] = '\'';
    tokenize_mem(b, len, &r);
    assert_int_equal(r.last, EDI_END);
    assert_int_equal(r.segments, 2);
    assert_int_equal(r.len, strlen("UNB|UNOA:3|S|R|200101:1000|1\nFTX|AAI|||\n") + big);
    render_free(&r);
    free(b);
}

/* Reading through a pipe in tiny chunks gives exactly what reading from memory gives. */
static void test_chunked_equals_memory(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBFjunk\nUNA:+,? 'UNB+UNOC:4+S+R+20200101:1000+9'\r\nFTX+AAI+++a?'b?\?+x*y'\n"
                     "QTY+21:12,5'UNZ+1+9'UNB+UNOA:3+S+R+200101:1000+8'NAD+A*B'UNZ+1+8'";
    render_t mem, fd;
    tokenize_mem(in, strlen(in), &mem);

    for (size_t chunk = 1; chunk <= 9; chunk += 4) {
        char path[] = "/tmp/tokXXXXXX";
        int f = mkstemp(path);
        assert_true(f >= 0);
        assert_int_equal(write(f, in, strlen(in)), (ssize_t)strlen(in));
        lseek(f, 0, SEEK_SET);
        edi_tokenizer_options o = { .chunk_size = chunk };
        edi_tokenizer *t = edi_tokenizer_new_fd(f, &o);
        render_all(t, &fd);
        edi_tokenizer_free(t);
        close(f);
        unlink(path);
        assert_string_equal(fd.out, mem.out);
        assert_int_equal(fd.findings.count, mem.findings.count);
        assert_int_equal(fd.last, EDI_END);
        render_free(&fd);
    }
    assert_non_null(strstr(mem.out, "FTX|AAI|||a'b?|x*y\n"));
    render_free(&mem);
}

static void test_segment_limit(void **state)
{
    (void)state;
    const char *in = "UNB+UNOA:3+S+R+200101:1000+9'FTX+AAI+++0123456789012345678901234567890123456789'UNZ+0+9'";
    char path[] = "/tmp/tokXXXXXX";
    int f = mkstemp(path);
    assert_true(f >= 0);
    assert_int_equal(write(f, in, strlen(in)), (ssize_t)strlen(in));
    lseek(f, 0, SEEK_SET);
    edi_tokenizer_options o = { .chunk_size = 16, .max_segment = 32 };
    edi_tokenizer *t = edi_tokenizer_new_fd(f, &o);
    render_t r;
    render_all(t, &r);
    assert_int_equal(r.last, EDI_E_LIMIT);
    assert_int_equal(r.segments, 1);
    assert_int_equal(r.findings.count, 1);
    render_free(&r);
    edi_tokenizer_free(t);
    close(f);
    unlink(path);
}

static void test_accessors(void **state)
{
    (void)state;
    const char *in = "UNB+UNOC:3+SENDER:14+REC+200101:1000+REF?+1'";
    edi_tokenizer *t = edi_tokenizer_new_mem(in, strlen(in), NULL);
    edi_segment seg;
    assert_int_equal(edi_tokenizer_next(t, &seg, NULL, NULL), EDI_OK);
    assert_string_equal(seg.tag, "UNB");
    char v[8];
    assert_int_equal(edi_segment_value(&seg, 2, 2, v, sizeof v), 2);
    assert_string_equal(v, "14");
    assert_int_equal(edi_segment_value(&seg, 5, 1, v, sizeof v), 5);
    assert_string_equal(v, "REF+1");
    assert_int_equal(edi_segment_value(&seg, 1, 1, v, 3), 4);
    assert_string_equal(v, "UN");
    assert_null(edi_segment_component(&seg, 3, 2));
    assert_null(edi_segment_element(&seg, 6));
    assert_int_equal(edi_tokenizer_next(t, &seg, NULL, NULL), EDI_END);
    edi_tokenizer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_without_una),
        cmocka_unit_test(test_una_custom_characters),
        cmocka_unit_test(test_release_parity),
        cmocka_unit_test(test_repetition_only_in_v4),
        cmocka_unit_test(test_line_breaks_and_bom),
        cmocka_unit_test(test_release_across_line_break),
        cmocka_unit_test(test_junk_before_header_reported),
        cmocka_unit_test(test_not_edifact),
        cmocka_unit_test(test_trailing_junk_is_a_warning),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_several_interchanges_and_una_again),
        cmocka_unit_test(test_bad_una_falls_back),
        cmocka_unit_test(test_una_after_missing_unz),
        cmocka_unit_test(test_many_separators_and_big_element),
        cmocka_unit_test(test_chunked_equals_memory),
        cmocka_unit_test(test_segment_limit),
        cmocka_unit_test(test_accessors),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, NULL, NULL);
}

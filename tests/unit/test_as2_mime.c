/* AS2 MIME over raw bytes (gateway/as2_mime.h) and MIC names and values (gateway/as2_mic.h):
 * folded and LF-only headers, Content-Type parameters, boundaries and the CRLF that belongs
 * to the delimiter, headerless content, base64 both ways, canonical segments, algorithm
 * spellings, Received-Content-MIC parsing and comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "as2_mic.h"
#include "as2_mime.h"

#define S(x) x, sizeof(x) - 1

static void headers_folded_and_lf_only(void **state)
{
    (void)state;
    const char m[] = "content-type: multipart/signed; protocol=\"application/pkcs7-signature\";\n"
                     "\tmicalg=sha256;\n boundary=\"b1\"\n"
                     "AS2-From: \"my partner\"\n\nbody";
    as2_part p;
    as2_mime_entity(S(m), &p);
    assert_false(p.headerless);
    assert_true(p.lf_only_headers);
    assert_int_equal(p.body.len, 4);
    assert_memory_equal(m + p.body.off, "body", 4);
    char v[300], why[200];
    assert_true(as2_mime_header(m, p.headers, "Content-Type", v, sizeof v));
    assert_string_equal(v, "multipart/signed; protocol=\"application/pkcs7-signature\"; "
                           "micalg=sha256; boundary=\"b1\"");
    as2_content_type ct;
    assert_int_equal(as2_mime_content_type(v, &ct, why, sizeof why), EDI_OK);
    assert_string_equal(ct.type, "multipart/signed");
    assert_string_equal(ct.boundary, "b1");
    assert_string_equal(ct.micalg, "sha256");
    assert_string_equal(ct.protocol, "application/pkcs7-signature");
    assert_true(as2_mime_header(m, p.headers, "as2-from", v, sizeof v));
    assert_string_equal(v, "\"my partner\"");
    assert_false(as2_mime_header(m, p.headers, "AS2-To", v, sizeof v));
    char small[8];
    assert_false(as2_mime_header(m, p.headers, "Content-Type", small, sizeof small));
    /* Malformed Content-Types. */
    assert_int_equal(as2_mime_content_type("text", &ct, why, sizeof why), EDI_E_SYNTAX);
    assert_int_equal(as2_mime_content_type("a/b; name=\"open", &ct, why, sizeof why),
                     EDI_E_SYNTAX);
    assert_non_null(strstr(why, "quote"));
    char fn[64];
    assert_true(as2_mime_param("attachment; FileName=\"a \\\"b\\\".edi\"", "filename", fn,
                               sizeof fn));
    assert_string_equal(fn, "a \"b\".edi");
    assert_true(as2_mime_param("attachment;filename=x.edi", "filename", fn, sizeof fn));
    assert_string_equal(fn, "x.edi");
    assert_false(as2_mime_param("attachment", "filename", fn, sizeof fn));
}

static void headerless_content(void **state)
{
    (void)state;
    /* EDIFACT lines look like "name:value" but there is no blank line and no Content-Type. */
    const char e[] = "UNB+UNOA:2+SENDER:14+RECEIVER:14'\nUNH+1+ORDERS:D:96A:UN'\n";
    as2_part p;
    as2_mime_entity(S(e), &p);
    assert_true(p.headerless);
    assert_int_equal(p.body.off, 0);
    assert_int_equal(p.body.len, sizeof e - 1);
    /* A header block needs a Content-Type. */
    const char x[] = "X-Foo: bar\r\n\r\nbody";
    as2_mime_entity(S(x), &p);
    assert_true(p.headerless);
    const char y[] = "Content-Type: text/plain\r\n\r\nbody";
    as2_mime_entity(S(y), &p);
    assert_false(p.headerless);
    assert_false(p.lf_only_headers);
    assert_int_equal(p.headers.len, strlen("Content-Type: text/plain"));
}

static void multipart_slices(void **state)
{
    (void)state;
    const char b[] = "preamble\r\n"
                     "--xyz\r\n"
                     "Content-Type: text/plain\r\n\r\n"
                     "one\r\n"
                     "\r\n"
                     "--xyz  \r\n"
                     "\r\n"
                     "two--xyz\r\n"
                     "--xyz--\r\n"
                     "epilogue";
    as2_multipart mp;
    char why[200];
    as2_slice body = {0, sizeof b - 1};
    assert_int_equal(as2_mime_multipart(b, body, "xyz", &mp, why, sizeof why), EDI_OK);
    assert_int_equal(mp.n, 2);
    /* Part 1 keeps its own trailing CRLF; the CRLF before the delimiter is not in it. */
    const char want1[] = "Content-Type: text/plain\r\n\r\none\r\n";
    assert_int_equal(mp.part[0].whole.len, sizeof want1 - 1);
    assert_memory_equal(b + mp.part[0].whole.off, want1, sizeof want1 - 1);
    assert_int_equal(mp.part[0].body.len, 5);
    /* Part 2 starts with an empty line: no headers; "--xyz" inside a line is data. */
    assert_false(mp.part[1].headerless);
    assert_int_equal(mp.part[1].headers.len, 0);
    assert_int_equal(mp.part[1].body.len, 8);
    assert_memory_equal(b + mp.part[1].body.off, "two--xyz", 8);
    /* Truncated: no closing delimiter. */
    const char t[] = "--xyz\r\nContent-Type: a/b\r\n\r\ndata\r\n";
    as2_slice tb = {0, sizeof t - 1};
    assert_int_equal(as2_mime_multipart(t, tb, "xyz", &mp, why, sizeof why), EDI_E_SYNTAX);
    assert_non_null(strstr(why, "closing delimiter"));
    assert_int_equal(as2_mime_multipart(t, tb, "nope", &mp, why, sizeof why), EDI_E_SYNTAX);
    /* LF-only framing. */
    const char l[] = "--q\nContent-Type: a/b\n\nx\n--q\nContent-Type: c/d\n\ny\n--q--\n";
    as2_slice lb = {0, sizeof l - 1};
    assert_int_equal(as2_mime_multipart(l, lb, "q", &mp, why, sizeof why), EDI_OK);
    assert_int_equal(mp.n, 2);
    assert_true(mp.part[0].lf_only_headers);
    assert_int_equal(mp.part[0].body.len, 1);
    assert_memory_equal(l + mp.part[1].body.off, "y", 1);
}

static void canonical_segments(void **state)
{
    (void)state;
    const char b[] = "--q\nContent-Type: a/b\nContent-Transfer-Encoding: binary\n\nx\ny\n--q--\n";
    as2_multipart mp;
    char why[200];
    as2_slice all = {0, sizeof b - 1};
    assert_int_equal(as2_mime_multipart(b, all, "q", &mp, why, sizeof why), EDI_OK);
    edi_buf scratch = {0};
    as2_seg segs[3];
    size_t n;
    assert_int_equal(as2_mime_part_segments(b, &mp.part[0], false, false, &scratch, segs, &n),
                     EDI_OK);
    assert_int_equal(n, 1);
    assert_true(as2_mime_needs_canonical(b, &mp.part[0]));
    assert_int_equal(as2_mime_part_segments(b, &mp.part[0], true, true, &scratch, segs, &n),
                     EDI_OK);
    assert_int_equal(n, 2);
    edi_buf all_bytes = {0};
    assert_true(as2_mime_append_segs(segs, n, &all_bytes));
    /* Headers re-ended with CRLF, the binary body untouched (still a bare LF). */
    const char want[] = "Content-Type: a/b\r\nContent-Transfer-Encoding: binary\r\n\r\nx\ny";
    assert_int_equal(all_bytes.len, sizeof want - 1);
    assert_memory_equal(all_bytes.p, want, sizeof want - 1);
    edi_buf_free(&all_bytes);
    edi_buf_free(&scratch);
}

static void base64_both_ways(void **state)
{
    (void)state;
    unsigned char data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len < sizeof data; len += 13) {
        edi_buf enc = {0}, dec = {0};
        char why[100];
        assert_true(as2_mime_base64_encode(data, len, &enc));
        for (size_t i = 0; i + 1 < enc.len; i++)          /* lines of 76 + CRLF */
            if (enc.p[i] == '\r')
                assert_true(i % 78 == 76 || i + 2 == enc.len);
        assert_int_equal(as2_mime_base64_decode(enc.p, enc.len, &dec, why, sizeof why), EDI_OK);
        assert_int_equal(dec.len, len);
        if (len)
            assert_memory_equal(dec.p, data, len);
        edi_buf_free(&enc);
        edi_buf_free(&dec);
    }
    edi_buf d = {0};
    char why[100];
    assert_int_equal(as2_mime_base64_decode(S("ab$d"), &d, why, sizeof why), EDI_E_SYNTAX);
    assert_int_equal(as2_mime_base64_decode(S("QQ==QQ=="), &d, why, sizeof why), EDI_E_SYNTAX);
    assert_int_equal(as2_mime_base64_decode(S("Q"), &d, why, sizeof why), EDI_E_SYNTAX);
    edi_buf_free(&d);
    /* decode_body honours the part's encoding; quoted-printable too. */
    const char q[] = "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                     "\r\nUNB=2BA=3D=\r\nB";
    as2_part p;
    as2_mime_entity(S(q), &p);
    edi_buf out = {0};
    assert_int_equal(as2_mime_decode_body(q, &p, &out, why, sizeof why), EDI_OK);
    assert_int_equal(out.len, 7);
    assert_memory_equal(out.p, "UNB+A=B", 7);
    edi_buf_free(&out);
    const char u[] = "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx";
    as2_mime_entity(S(u), &p);
    assert_int_equal(as2_mime_decode_body(u, &p, &out, why, sizeof why), EDI_E_SYNTAX);
    assert_non_null(strstr(why, "x-uuencode"));
}

static void writing_parts(void **state)
{
    (void)state;
    edi_buf out = {0};
    char why[100];
    as2_seg body = {(const unsigned char *)"DATA", 4};
    as2_slice w;
    assert_int_equal(as2_mime_write_part("Content-Type: a/b\r\nX-Y: z", &body, 1, &out, &w, why,
                                         sizeof why), EDI_OK);
    assert_int_equal(out.len, strlen("Content-Type: a/b\r\nX-Y: z\r\n\r\nDATA"));
    assert_memory_equal(out.p, "Content-Type: a/b\r\nX-Y: z\r\n\r\nDATA", out.len);
    assert_int_equal(w.len, out.len);
    /* Header injection is refused. */
    assert_int_equal(as2_mime_write_part("Content-Type: a/b\nEvil: 1", &body, 1, &out, NULL, why,
                                         sizeof why), EDI_E_ARG);
    assert_int_equal(as2_mime_write_part("Content-Type: a/b\r\n", &body, 1, &out, NULL, why,
                                         sizeof why), EDI_E_ARG);
    char b1[64], b2[64];
    as2_mime_boundary(b1, sizeof b1);
    as2_mime_boundary(b2, sizeof b2);
    assert_string_not_equal(b1, b2);
    assert_true(strlen(b1) <= 70);
    edi_buf_free(&out);
}

static void mic_names(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        as2_mic_alg a;
    } v[] = {
        {"sha1", AS2_MIC_SHA1},     {"SHA-1", AS2_MIC_SHA1},       {"sha_1", AS2_MIC_SHA1},
        {"SHA1", AS2_MIC_SHA1},     {"rsa-sha1", AS2_MIC_SHA1},    {"sha256", AS2_MIC_SHA256},
        {"sha-256", AS2_MIC_SHA256}, {"SHA_256", AS2_MIC_SHA256},  {" SHA-256 ", AS2_MIC_SHA256},
        {"\"sha-384\"", AS2_MIC_SHA384}, {"sha512", AS2_MIC_SHA512}, {"sha-224", AS2_MIC_SHA224},
        {"md5", AS2_MIC_MD5},       {"sha256WithRSAEncryption", AS2_MIC_SHA256},
        {"sha3-256", AS2_MIC_NONE}, {"", AS2_MIC_NONE},            {"sha-2", AS2_MIC_NONE},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(as2_mic_alg_parse(v[i].s, (size_t)-1), v[i].a);
    assert_int_equal(as2_mic_alg_parse("sha-256, sha1", 7), AS2_MIC_SHA256);
    assert_string_equal(as2_mic_alg_name(AS2_MIC_SHA256), "sha-256");
    assert_string_equal(as2_mic_alg_name(AS2_MIC_SHA1), "sha-1");
    assert_string_equal(as2_mic_alg_name(AS2_MIC_NONE), "");
    assert_int_equal(as2_mic_alg_size(AS2_MIC_SHA384), 48);
}

static void mic_values(void **state)
{
    (void)state;
    /* FIPS 180 test vector "abc", split across segments. */
    as2_seg segs[2] = {{(const unsigned char *)"a", 1}, {(const unsigned char *)"bc", 2}};
    char b64[AS2_MIC_B64_MAX], why[100], text[AS2_MIC_TEXT_MAX];
    assert_int_equal(as2_mic_compute(AS2_MIC_SHA256, segs, 2, b64, sizeof b64, why, sizeof why),
                     EDI_OK);
    assert_string_equal(b64, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    assert_int_equal(as2_mic_compute(AS2_MIC_SHA1, segs, 2, b64, sizeof b64, why, sizeof why),
                     EDI_OK);
    assert_string_equal(b64, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    assert_int_equal(as2_mic_compute(AS2_MIC_NONE, segs, 2, b64, sizeof b64, why, sizeof why),
                     EDI_E_ARG);
    assert_true(as2_mic_format("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", AS2_MIC_SHA1, text, sizeof text));
    assert_string_equal(text, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=, sha-1");
    as2_mic_alg alg;
    assert_true(as2_mic_parse("  qZk+NkcGgWq6PiVxeFDCbJzQ2J0=,SHA1 ", b64, sizeof b64, &alg));
    assert_int_equal(alg, AS2_MIC_SHA1);
    assert_string_equal(b64, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    assert_false(as2_mic_parse("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", b64, sizeof b64, &alg));
    assert_false(as2_mic_parse("abc, sha-999", b64, sizeof b64, &alg));
    assert_false(as2_mic_parse(" , sha-1", b64, sizeof b64, &alg));
    /* Equal: same digest even with white space; different algorithm or value: not. */
    assert_true(as2_mic_equal("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", AS2_MIC_SHA1,
                              "qZk+NkcGgWq6\r\nPiVxeFDCbJzQ2J0=", AS2_MIC_SHA1));
    assert_false(as2_mic_equal("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", AS2_MIC_SHA1,
                               "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", AS2_MIC_SHA256));
    assert_false(as2_mic_equal("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", AS2_MIC_SHA1,
                               "qZk+NkcGgWq6PiVxeFDCbJzQ2J4=", AS2_MIC_SHA1));
    assert_false(as2_mic_equal("qZk+", AS2_MIC_SHA1, "qZk+", AS2_MIC_SHA1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(headers_folded_and_lf_only),
        cmocka_unit_test(headerless_content),
        cmocka_unit_test(multipart_slices),
        cmocka_unit_test(canonical_segments),
        cmocka_unit_test(base64_both_ways),
        cmocka_unit_test(writing_parts),
        cmocka_unit_test(mic_names),
        cmocka_unit_test(mic_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_as2_util.h: helpers shared by the AS2 core unit tests: reading corpus files,
 * LF -> CRLF as libas2's own tests do, loading keys and certificates with OpenSSL, and a
 * throw-away RSA key pair with a self-signed certificate made at test time. Header-only
 * (static functions) so each test program stays one .c file. */
#ifndef TEST_AS2_UTIL_H
#define TEST_AS2_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "edi_buf.h"

#define AS2_CORPUS "tests/corpus/as2/"

/* The whole file into a zeroed edi_buf (NUL-terminated, not counted); aborts the test
 * program when it cannot be read. */
static inline edi_buf t_read(const char *path)
{
    edi_buf b = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        abort();
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (!edi_buf_append(&b, chunk, n))
            abort();
    fclose(f);
    if (!edi_buf_append(&b, "", 1))
        abort();
    b.len--;
    return b;
}

/* Every bare LF turned into CRLF (libas2's test data was saved with LF). */
static inline edi_buf t_crlf(const edi_buf *in)
{
    edi_buf o = {0};
    for (size_t i = 0; i < in->len; i++) {
        if (in->p[i] == '\n' && (i == 0 || in->p[i - 1] != '\r'))
            edi_buf_append(&o, "\r", 1);
        edi_buf_append(&o, in->p + i, 1);
    }
    edi_buf_append(&o, "", 1);
    o.len--;
    return o;
}

static inline X509 *t_cert(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
    if (!c) {
        rewind(f);
        c = d2i_X509_fp(f, NULL);
    }
    fclose(f);
    return c;
}

static inline EVP_PKEY *t_key(const char *path, const char *pass)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, (void *)pass);
    fclose(f);
    return k;
}

static inline STACK_OF(X509) *t_stack(X509 *c)
{
    STACK_OF(X509) *s = sk_X509_new_null();
    X509_up_ref(c);
    sk_X509_push(s, c);
    return s;
}

/* A fresh RSA-2048 key and a self-signed certificate for it, valid for a day. */
static inline bool t_keypair(const char *cn, EVP_PKEY **key, X509 **cert)
{
    *key = EVP_RSA_gen(2048);
    *cert = X509_new();
    if (!*key || !*cert)
        return false;
    X509_set_version(*cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(*cert), (long)(rand() & 0x7fffffff) + 1);
    X509_gmtime_adj(X509_getm_notBefore(*cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(*cert), 86400);
    X509_set_pubkey(*cert, *key);
    X509_NAME *nm = X509_get_subject_name(*cert);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(*cert, nm);
    return X509_sign(*cert, *key, EVP_sha256()) > 0;
}

#endif

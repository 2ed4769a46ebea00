/* as2_certs.h: the certificates and key pairs of AS2 (issue 5). It owns loading X.509
 * certificates (PEM, one or more, or DER) and key pairs (a PEM key with its certificate, or
 * PKCS#12 with a password file; legacy RC2-40 PKCS#12 through OpenSSL's "legacy" provider
 * in a library context of its own, never the default one), our keyring for rollover (decrypt
 * with the key the recipient info names, sign with the newest valid one, publish both), a
 * partner's certificates from its profile, and the expiry checks `partners check` reports. */
#ifndef AS2_CERTS_H
#define AS2_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config.h"
#include "edi_result.h"
#include "partner.h"

#define AS2_CERT_WARN_DAYS 30   /* `partners check` warns this long before an expiry */

/* ---- certificates ------------------------------------------------------------------ */

/* Every certificate in `file`: PEM (one or more CERTIFICATE blocks) or DER (exactly one).
 * Returns EDI_OK and a non-empty stack in *out (the caller frees it with
 * sk_X509_pop_free(*out, X509_free)); EDI_E_IO (cannot be read), EDI_E_SYNTAX (neither PEM
 * nor DER certificates), EDI_E_NOMEM; `why` says which file and what was wrong. */
edi_result as2_cert_load(const char *file, STACK_OF(X509) **out, char *why, size_t why_n);

/* The validity of a certificate against `now`. */
typedef enum {
    AS2_CERT_VALID = 0,        /* valid and not expiring within warn_days */
    AS2_CERT_EXPIRING,         /* valid, but notAfter is within warn_days */
    AS2_CERT_EXPIRED,          /* notAfter is in the past */
    AS2_CERT_NOT_YET_VALID,    /* notBefore is in the future */
} as2_cert_state;

/* notBefore and notAfter as time_t (UTC). False when the certificate's times cannot be
 * read (then both are 0). */
bool as2_cert_times(const X509 *cert, time_t *not_before, time_t *not_after);

/* The certificate's state at `now` with `warn_days` of warning (AS2_CERT_WARN_DAYS), and,
 * unless the state is AS2_CERT_VALID, a sentence in `why` naming `what` ("the partner's
 * signing certificate", "our AS2 certificate"), its subject, `file`, the date, and what to
 * do ("replace it ..."). For AS2_CERT_VALID `why` gets "valid until YYYY-MM-DD". */
as2_cert_state as2_cert_check(const X509 *cert, const char *what, const char *file,
                              time_t now, unsigned warn_days, char *why, size_t why_n);

/* "valid", "expiring", "expired", "not yet valid". */
const char *as2_cert_state_name(as2_cert_state s);

/* The certificate's subject as one line ("CN=gw-as2, O=Example"), into buf; buf is ""
 * when it cannot be printed. */
void as2_cert_subject(const X509 *cert, char *buf, size_t buf_n);

/* ---- key pairs --------------------------------------------------------------------- */

/* One key pair. Owned by whoever loaded it (as2_keypair_free), or by the keyring. */
typedef struct {
    EVP_PKEY *key;             /* the private key, in the default library context */
    X509 *cert;                /* its certificate */
    STACK_OF(X509) *chain;     /* further certificates from a PKCS#12 file; NULL if none */
    time_t not_before;         /* the certificate's validity */
    time_t not_after;
    char source[PARTNER_PATH_MAX]; /* the file it came from (the PKCS#12 or the cert) */
} as2_keypair;

/* A PEM private key (unencrypted, PKCS#8 or traditional) and its certificate (PEM or DER).
 * The key must belong to the certificate. Returns EDI_OK and *out; EDI_E_IO, EDI_E_SYNTAX
 * (not a key or a certificate), EDI_E_ARG (the key does not match the certificate),
 * EDI_E_NOMEM; `why` names the file. */
edi_result as2_keypair_load_pem(const char *key_file, const char *cert_file,
                                as2_keypair **out, char *why, size_t why_n);

/* A PKCS#12 file; the password is the first line of `password_file` (its line end
 * dropped), or empty when password_file is NULL. Files made by older tools (RC2-40, 3DES
 * PBE) are opened through the OpenSSL legacy provider in a library context created for that
 * load and freed after it; key and certificates are copied into the default context. When
 * the legacy provider module is not installed, `why` says so (the package to install).
 * Returns EDI_OK and *out; EDI_E_IO, EDI_E_SYNTAX (not PKCS#12, or no key or no matching
 * certificate in it), EDI_E_ARG (wrong password), EDI_E_NOMEM. */
edi_result as2_keypair_load_p12(const char *p12_file, const char *password_file,
                                as2_keypair **out, char *why, size_t why_n);

/* Free a key pair (NULL is fine). Never call it on one the keyring owns. */
void as2_keypair_free(as2_keypair *kp);

/* ---- our keyring (gateway.xml <as2>) ------------------------------------------------ */

typedef struct as2_keyring as2_keyring;

/* Load every <as2><key> of the configuration (1 or 2) in file order. A file that cannot be
 * loaded fails the whole load (`why` names the key's file and line). Expired keys load too
 * (decrypting a late message still works); as2_keyring_signer never chooses one. Returns
 * EDI_OK and *out (free with as2_keyring_free), EDI_E_ARG (no <as2> or no key), or the
 * loaders' results. The keyring is read-only once loaded, so threads may share it. */
edi_result as2_keyring_load(const config_as2 *cfg, as2_keyring **out, char *why,
                            size_t why_n);
void as2_keyring_free(as2_keyring *r);

/* How many key pairs it holds and the i-th (file order; NULL past the end). The pointers
 * live as long as the keyring. */
size_t as2_keyring_count(const as2_keyring *r);
const as2_keypair *as2_keyring_at(const as2_keyring *r, size_t i);

/* The key pair to sign with at `now`: among those whose certificate is valid at `now`, the
 * one with the latest notBefore (the newest). NULL when none is valid. */
const as2_keypair *as2_keyring_signer(const as2_keyring *r, time_t now);

/* The key pair an EnvelopedData or AuthEnvelopedData `cms` is encrypted to: the first whose
 * certificate matches a key-transport recipient info (issuer and serial, or subject key
 * identifier). NULL when no recipient info names one of ours (then the message is not for
 * our keys: decryption-failed). `cms` is not changed. */
const as2_keypair *as2_keyring_for_recipient(const as2_keyring *r, CMS_ContentInfo *cms);

/* Our certificates (all of them, for partners during a rollover) as PEM text, in keyring
 * order. Returns a NUL-terminated string the caller frees with free(), or NULL on
 * EDI_E_NOMEM. */
char *as2_keyring_certs_pem(const as2_keyring *r);

/* ---- a partner's certificates (profile <channel><as2><certificate>) ------------------- */

typedef struct {
    STACK_OF(X509) *signing;   /* every certificate marked signing that is valid at `now`
                                  (any of them verifies; rollover); never NULL after a
                                  successful load, may be empty */
    X509 *encryption;          /* the one we encrypt to: of those marked encryption, the
                                  newest valid at `now` (latest notBefore); NULL when none is
                                  marked or none is valid */
} as2_partner_certs;

/* Load the certificates of `p->as2` (every file, each may hold several certificates).
 * Certificates that have expired or are not yet valid at `now` are left out: the gateway
 * refuses them (`partners check` names them). Returns EDI_OK and *out (free with as2_partner_certs_free), EDI_E_ARG (the profile has no
 * AS2 channel), or as2_cert_load's results with the file in `why`. */
edi_result as2_partner_certs_load(const partner *p, time_t now, as2_partner_certs **out,
                                  char *why, size_t why_n);
void as2_partner_certs_free(as2_partner_certs *pc);

#endif

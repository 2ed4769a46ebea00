/* partner.h: trading partner profiles (partners/README.md, schema partners/partner.xsd).
 * It owns loading one profile file, validating it against the schema and the checks the
 * schema cannot make, with a finding per problem (file, line); the profile record the
 * conversion engine and the gateway read; the set of every profile in a folder with its
 * lookups by identifier (duplicates across profiles refused); and applying the partner's
 * code maps to a canonical document: inbound (the partner's unit codes and qualifiers to
 * canonical ones) and outbound (Rec 20 units to the partner's codes). */
#ifndef PARTNER_H
#define PARTNER_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "decimal.h"
#include "doc_finding.h"
#include "edi_result.h"
#include "mapping.h"

#define PARTNER_NS "urn:edi-gateway:partner:1"

typedef enum {
    PARTNER_MAP_UNIT = 0,      /* @unit/@basisUnit: partner code <-> Rec 20 */
    PARTNER_MAP_REFERENCE,     /* reference/@qualifier -> reference/@kind */
    PARTNER_MAP_DATE,          /* date/@qualifier -> date/@role */
    PARTNER_MAP_PARTY,         /* party/@qualifier -> party/@role */
} partner_map_kind;

enum { PARTNER_IN = 1, PARTNER_OUT = 2 };

typedef struct {
    partner_map_kind kind;
    char code[18];             /* the partner's code or qualifier */
    char canonical[33];        /* the Rec 20 code, or the canonical kind or role */
    unsigned directions;       /* PARTNER_IN | PARTNER_OUT (qualifiers: PARTNER_IN only) */
} partner_map;

typedef struct {
    bool inbound;              /* true: `key` is an inbound format ("edifact-orders", ...) */
    char key[24];              /* the format or the convert target ("ordrsp", ...) */
    char *path;                /* the profile's folder joined with href; owned */
    long line;                 /* its line in the profile */
} partner_stylesheet;

#define PARTNER_MAX_UNB 8           /* <identifiers><unb> per profile (the schema's limit) */
#define PARTNER_MAX_ACCEPT 8        /* <inbound><accept> per profile */
#define PARTNER_PATH_MAX 1024       /* a resolved inbox, outbox or key file path, with NUL */

/* A UNB sender (S002) that identifies the partner. */
typedef struct {
    char id[36];               /* 0004 */
    char qualifier[5];         /* 0007; "" means any qualifier */
    long line;                 /* its line in the profile, for findings */
} partner_unb;

/* The documents a partner may send (<inbound><accept format>). */
typedef enum {
    PARTNER_FORMAT_EDIFACT_ORDERS = 0,  /* "edifact-orders": versions D96A, D01B */
    PARTNER_FORMAT_OPENTRANS_ORDER,     /* "opentrans-order": versions 2.1, 1.0 */
    PARTNER_FORMAT_WEB_ORDER,           /* "web-order": JSON through the API; no version */
} partner_format;

typedef struct {
    partner_format format;
    char version[8];           /* "" any version the gateway reads */
} partner_accept;

typedef enum {
    PARTNER_KEY_NONE = 0,      /* no API key: the partner cannot use the API */
    PARTNER_KEY_ENV,           /* api_key_ref names an environment variable */
    PARTNER_KEY_FILE,          /* api_key_ref is the path of a file holding the key */
} partner_key_kind;

typedef enum {
    PARTNER_CHANNEL_NONE = 0,  /* no channel of its own */
    PARTNER_CHANNEL_DIRECTORY, /* files: inbox (may be ""), outbox (may be "") */
    PARTNER_CHANNEL_SFTP,      /* the partner's SFTP server: partner.sftp */
    PARTNER_CHANNEL_EMAIL,     /* mails: partner.email */
    PARTNER_CHANNEL_AS2,       /* AS2 (RFC 4130) over HTTP(S): partner.as2 */
} partner_channel;

/* When a file in the partner's pull folder is complete (<pull complete>). */
typedef enum {
    PARTNER_SFTP_STABLE = 0,   /* size and modification time equal across two polls */
    PARTNER_SFTP_MARKER,       /* NAME + marker_suffix exists next to it */
    PARTNER_SFTP_RENAME,       /* the partner writes under ignore_pattern, then renames */
} partner_sftp_complete;

#define PARTNER_SFTP_FOLDER_MAX 512 /* a remote folder, with NUL */
#define PARTNER_SFTP_PATTERN_MAX 128

/* <channel><sftp>: the partner's SFTP server. Secrets are never in the record: key_file,
 * passphrase_file and password_file name the files holding them (resolved like inbox),
 * read when connecting. */
typedef struct {
    char host[256];
    unsigned port;                          /* default 22 */
    char user[129];
    char key_file[PARTNER_PATH_MAX];        /* <privateKey file>; "" with a password */
    char passphrase_file[PARTNER_PATH_MAX]; /* <privateKey passphraseFile>; "" none */
    char password_file[PARTNER_PATH_MAX];   /* <password file>; "" with a key */
    char host_key[64];                      /* "SHA256:" + 43 base64 characters */
    unsigned max_connections;               /* per partner, pulls and sends; default 2 */
    unsigned timeout_s;                     /* every blocking step; default 30 */
    bool pull;                              /* a <pull> block is there */
    char pull_folder[PARTNER_SFTP_FOLDER_MAX];
    char pattern[PARTNER_SFTP_PATTERN_MAX]; /* glob of the files taken; default "*" */
    unsigned interval_s;                    /* between polls; default 60 */
    partner_sftp_complete complete;
    char marker_suffix[33];                 /* PARTNER_SFTP_MARKER: ".ok" */
    char ignore_pattern[PARTNER_SFTP_PATTERN_MAX]; /* PARTNER_SFTP_RENAME: "*.part" */
    char archive_folder[PARTNER_SFTP_FOLDER_MAX];  /* "" delete after storing */
    bool push;                              /* a <push> block is there */
    char push_folder[PARTNER_SFTP_FOLDER_MAX];
    char temp_suffix[33];                   /* uploads go to NAME + this; default ".part" */
} partner_sftp;

#define PARTNER_MAX_MAIL_RCPT 8      /* <to> and <cc> each (the schema's limit) */
#define PARTNER_MAIL_ADDR 255        /* a plain address local@domain, with NUL */

/* <channel><email>: the partner's mail settings (addresses plain local@domain, checked). */
typedef struct {
    char address[PARTNER_MAIL_ADDR];   /* the partner's: inbound mails from it are its */
    char to[PARTNER_MAX_MAIL_RCPT][PARTNER_MAIL_ADDR]; /* document recipients; none: address */
    size_t n_to;
    char cc[PARTNER_MAX_MAIL_RCPT][PARTNER_MAIL_ADDR]; /* copies */
    size_t n_cc;
    char from[PARTNER_MAIL_ADDR];      /* our sender; "": the configuration's <mail from> */
    char from_name[201];               /* "": the configuration's fromName */
    char subject_prefix[201];          /* "" none */
    bool reply_on_failure;             /* answer a sender whose mail failed */
    /* <mailbox>: the partner's own inbound mailbox; mailbox_url "" when it has none */
    char mailbox_url[501];             /* imaps://host[:port]/FOLDER, or imap:// (STARTTLS
                                          required unless mailbox_loopback_plain) */
    char mailbox_user[201];
    char mailbox_password_file[PARTNER_PATH_MAX]; /* resolved like inbox; never the password */
    char mailbox_done[101];            /* the folder processed mails move to; "Done" */
    bool mailbox_loopback_plain;       /* imap:// without TLS, only to a loopback server */
    long line;                         /* <email>'s line */
} partner_email;

/* ---- <channel><as2> (issue 5; gateway/as2_certs.h loads the files it names) ---- */

/* Digest algorithms (signatures and MICs); names as RFC 5751 spells them: "sha-1",
 * "sha-256", "sha-384", "sha-512" (partner_as2_digest_parse accepts any usual spelling). */
typedef enum {
    PARTNER_AS2_SHA1 = 0,      /* inbound only: never chosen for outbound signing */
    PARTNER_AS2_SHA256,
    PARTNER_AS2_SHA384,
    PARTNER_AS2_SHA512,
    PARTNER_AS2_N_DIGESTS,
} partner_as2_digest;

/* Content encryption algorithms; names "3des", "aes128-cbc", "aes192-cbc", "aes256-cbc",
 * "aes128-gcm", "aes256-gcm" (GCM in AuthEnvelopedData, RFC 5083/5084). */
typedef enum {
    PARTNER_AS2_3DES = 0,
    PARTNER_AS2_AES128_CBC,
    PARTNER_AS2_AES192_CBC,
    PARTNER_AS2_AES256_CBC,
    PARTNER_AS2_AES128_GCM,
    PARTNER_AS2_AES256_GCM,
    PARTNER_AS2_N_CIPHERS,
} partner_as2_cipher;

typedef enum {
    PARTNER_AS2_SIG_PKCS1 = 0, /* "pkcs1": RSA PKCS#1 v1.5 */
    PARTNER_AS2_SIG_PSS,       /* "pss": RSASSA-PSS */
} partner_as2_signature;

typedef enum {
    PARTNER_AS2_KT_PKCS1 = 0,  /* "pkcs1": RSA PKCS#1 v1.5 key transport */
    PARTNER_AS2_KT_OAEP,       /* "oaep": RSAES-OAEP (SHA-256 / MGF1-SHA-256) */
} partner_as2_key_transport;

typedef enum {
    PARTNER_AS2_COMPRESS_NONE = 0,     /* "none" */
    PARTNER_AS2_COMPRESS_BEFORE_SIGN,  /* "before-signing": the signed part is compressed */
    PARTNER_AS2_COMPRESS_AFTER_SIGN,   /* "after-signing": the signed entity is compressed */
} partner_as2_compress;

typedef enum {
    PARTNER_AS2_MDN_SYNC = 0,  /* "sync": in the HTTP response (the default) */
    PARTNER_AS2_MDN_ASYNC,     /* "async": POSTed by the partner to partner_as2.mdn_url */
    PARTNER_AS2_MDN_NONE,      /* "none": no MDN asked for */
} partner_as2_mdn;

#define PARTNER_AS2_MAX_CERTS 3      /* <certificate> per profile (the schema's limit) */
#define PARTNER_AS2_URL_MAX 1001     /* a URL, with NUL */
#define PARTNER_AS2_ID_MAX 129       /* an AS2 name: 1..128 printable ASCII, with NUL */

/* One of the partner's certificates (<certificate file use>): PEM (one or more
 * certificates) or DER. Rollover: two signing certificates may be listed at once; any of
 * them verifies. Encryption uses the newest valid one marked for it (as2_certs.h). */
typedef struct {
    char file[PARTNER_PATH_MAX];       /* resolved like inbox */
    bool signing;                      /* verifies the partner's signatures (and its MDNs) */
    bool encryption;                   /* we encrypt to it */
    long line;
} partner_as2_cert;

/* <channel><as2>: the partner's AS2 settings. The partner's own AS2 id is partner.as2_id
 * (<identifiers><as2>; required with this channel). Our key pairs are in the gateway's
 * configuration (<as2> in gateway.xml, config.h), never in a profile. */
typedef struct {
    char url[PARTNER_AS2_URL_MAX];     /* where we POST: http:// or https:// */
    char our_id[PARTNER_AS2_ID_MAX];   /* our AS2 name towards this partner; "": the
                                          configuration's <as2 id> */
    partner_as2_cert certs[PARTNER_AS2_MAX_CERTS];
    size_t n_certs;
    /* <inbound>: what we require of the partner's messages (and of its MDNs' signatures) */
    bool require_signed;
    bool require_encrypted;
    unsigned allowed_digests;          /* bit (1u << partner_as2_digest); all when unset */
    unsigned allowed_ciphers;          /* bit (1u << partner_as2_cipher); all when unset */
    size_t max_bytes;                  /* a message's limit on /as2; 0: the configuration's */
    /* <outbound>: how we build messages to the partner */
    bool sign;                         /* sign with our newest valid key */
    partner_as2_digest sign_digest;    /* default sha-256 */
    partner_as2_signature signature;   /* default pkcs1 */
    bool encrypt;                      /* encrypt to its encryption certificate */
    partner_as2_cipher cipher;         /* default aes256-cbc */
    partner_as2_key_transport key_transport; /* default pkcs1 */
    partner_as2_compress compress;     /* default none */
    bool base64;                       /* transferEncoding="base64" (RSSBus/Axway); default
                                          binary */
    bool chunked;                      /* chunked transfer; default false: Content-Length */
    char subject[201];                 /* the Subject header; "" the gateway's default */
    /* <mdn>: the MDN we ask the partner for */
    partner_as2_mdn mdn;
    bool mdn_signed;                   /* ask for a signed MDN (default true) */
    partner_as2_digest mdn_digest;     /* signed-receipt-micalg we ask for; default sha-256 */
    char mdn_url[PARTNER_AS2_URL_MAX]; /* async: Receipt-Delivery-Option; "": the
                                          configuration's <as2 asyncMdnUrl> */
    unsigned mdn_timeout_s;            /* MDN missing after this; 0: the configuration's */
    /* <retry>: resending until an MDN arrives */
    unsigned retries;                  /* attempts after the first; default 5 */
    unsigned retry_delay_s;            /* the first delay, doubled each time; default 60 */
    /* <tls>: HTTPS client settings; "" each when unset */
    char tls_ca_file[PARTNER_PATH_MAX];     /* CA certificates that verify its server;
                                               "": the system's */
    char tls_cert_file[PARTNER_PATH_MAX];   /* our client certificate (PEM) */
    char tls_key_file[PARTNER_PATH_MAX];    /* its key (PEM) */
    long line;                         /* <as2>'s line */
} partner_as2;

/* Names of the algorithm enums as the profile and the wire spell them ("sha-256",
 * "aes256-cbc"). */
const char *partner_as2_digest_name(partner_as2_digest d);
const char *partner_as2_cipher_name(partner_as2_cipher c);

/* Parse a digest name in any usual spelling ("sha256", "SHA-256", "sha_256", "rsa-sha256";
 * case-insensitive) or a cipher name ("3des", "des-ede3-cbc", "aes256-cbc", "aes-256-cbc",
 * "aes256-gcm", case-insensitive). False when the name is unknown (*out untouched). */
bool partner_as2_digest_parse(const char *name, partner_as2_digest *out);
bool partner_as2_cipher_parse(const char *name, partner_as2_cipher *out);

/* Whether the partner's orders wait for the customer's approver. */
typedef enum {
    PARTNER_APPROVAL_NONE = 0,        /* never (also when the profile does not say) */
    PARTNER_APPROVAL_ALWAYS,          /* every order */
    PARTNER_APPROVAL_ABOVE,           /* orders above approval_amount approval_currency */
    PARTNER_APPROVAL_REQUISITIONERS,  /* orders placed by a requisitioner */
} partner_approval;

/* The three answers a partner can get. */
typedef enum {
    PARTNER_ANSWER_ORDER_RESPONSE = 0,
    PARTNER_ANSWER_DESPATCH,
    PARTNER_ANSWER_INVOICE,
    PARTNER_N_ANSWERS,
} partner_answer;

/* EDIFACT settings as <outbound><edifact> gives them; "" (0, NULL) where unset. */
typedef struct {
    char directory[8];
    char association[8];
    char syntax_id[8];
    int syntax_version;
    char separators[6];
    char repetition;
    const char *line_break;    /* NULL, "", "\n" or "\r\n" (static) */
} partner_edifact;

/* One loaded profile; every string is "" when the profile does not set it. Owned by the
 * caller of partner_load, freed with partner_free; read-only afterwards, so one profile can
 * serve several threads. */
typedef struct {
    char id[65];
    char name[201];
    char *file;                /* the profile's path as given to partner_load */
    /* inbound */
    bool opentrans_strict;     /* openTRANS deviations are errors instead of warnings */
    char charset[16];          /* what the partner's EDIFACT really is: UTF-8, WINDOWS-1252 */
    /* outbound EDIFACT */
    char directory[8];         /* D96A or D01B */
    char association[8];       /* EANCOM association code, or "none" */
    char syntax_id[8];         /* UNOC ... */
    int syntax_version;        /* 1..4; 0 unset */
    char separators[6];        /* component, element, decimal, release (' ' none), terminator */
    char repetition;           /* '\0' unset */
    const char *line_break;    /* NULL unset, else "", "\n" or "\r\n" (static) */
    partner_stylesheet *styles;
    size_t n_styles;
    partner_map *maps;
    size_t n_maps;
    /* ---- the gateway's (issue 4) ---- */
    char customer[65];         /* the customer (master data) it orders for */
    partner_unb unb[PARTNER_MAX_UNB];   /* UNB senders, in profile order */
    size_t n_unb;
    char gln[14];              /* its GLN (check digit verified) */
    char as2_id[129];          /* AS2-From it sends with */
    char opentrans_id[65];     /* its PARTY_ID in openTRANS orders */
    partner_key_kind api_key_kind;
    char api_key_ref[PARTNER_PATH_MAX]; /* env variable name, or the key file's path
                                           (resolved like inbox); never the key */
    partner_accept accepts[PARTNER_MAX_ACCEPT]; /* what it may send; none: nothing */
    size_t n_accepts;
    bool contrl_wanted;        /* a CONTRL for each EDIFACT interchange it sends */
    /* The answers as the convert command names its targets, "" when it gets none:
     * order_response "ordrsp" | "opentrans"; despatch "desadv" | "opentrans";
     * invoice "invoic" | "opentrans" | "xrechnung-ubl" | "xrechnung-cii" | "peppol". */
    char order_response[16];
    char despatch[16];
    char invoice[16];
    /* Per answer (partner_answer), the EDIFACT settings that apply: the answer's own
     * <edifact> block over <outbound><edifact>, field by field; all unset for an answer
     * that is not EDIFACT (see partner_answer_view). */
    partner_edifact answer_edifact[PARTNER_N_ANSWERS];
    partner_channel channel;
    char inbox[PARTNER_PATH_MAX];   /* where its files are picked up; relative paths in the */
    char outbox[PARTNER_PATH_MAX];  /* profile are resolved against the profile's folder */
    partner_sftp sftp;              /* PARTNER_CHANNEL_SFTP */
    partner_email email;            /* PARTNER_CHANNEL_EMAIL */
    partner_as2 as2;                /* PARTNER_CHANNEL_AS2 */
    partner_approval approval;
    char approval_amount[DECIMAL_TEXT_MAX]; /* PARTNER_APPROVAL_ABOVE: "25000.00" */
    char approval_currency[4];              /* PARTNER_APPROVAL_ABOVE: ISO 4217 */
    /* Lines in the profile (0: not there), for findings that point at a value. */
    struct {
        long id, gln, as2_id, opentrans_id, api_key, inbox, outbox;
    } lines;
} partner;

/* Load the profile at `file` and validate it against the schema at `schema_path` (compiled
 * once and kept by `m`), then make the checks the schema cannot (rule PARTNER-CHECK: a GLN
 * or a UNB id with qualifier 14 whose check digit is wrong, a version that is not of its
 * format, a format accepted without the identifier that recognises it, CONTRL without
 * EDIFACT, an EDIFACT answer without a directory, EDIFACT settings on an answer that is
 * not EDIFACT, answers without an outbox, an inbox that is the outbox, an approval amount
 * of zero, a path too long). Every problem (not XML, a DOCTYPE, schema errors, checks) is
 * added to `findings` as an error with its line, `where` naming the file. Returns EDI_OK
 * and the profile in *out, EDI_E_IO (cannot be read), EDI_E_XML (refused: the findings
 * and `why` say why), EDI_E_NOMEM, EDI_E_ARG. */
edi_result partner_load(mapping_ctx *m, const char *schema_path, const char *file,
                        partner **out, doc_findings *findings, char *why, size_t why_n);

/* Load <dir>/<id>.xml. An id that is not a plain name (letters, digits, '_', '-', '.', not
 * starting with '.') is refused with EDI_E_ARG before any file is opened. */
edi_result partner_find(mapping_ctx *m, const char *schema_path, const char *dir,
                        const char *id, partner **out, doc_findings *findings, char *why,
                        size_t why_n);

void partner_free(partner *p);

/* The names the profile uses: "edifact-orders", ...; "none", "always", "above",
 * "requisitioner-orders". */
const char *partner_format_name(partner_format f);
const char *partner_approval_name(partner_approval a);

/* True when the profile accepts `format` (a partner_format name) in `version` (NULL or ""
 * asks for any version: true when some version is accepted). An <accept> without a version
 * accepts every version. */
bool partner_accepts(const partner *p, const char *format, const char *version);

/* The target of an answer ("" when the partner gets none). */
const char *partner_answer_target(const partner *p, partner_answer a);

/* A shallow copy of `p` whose EDIFACT fields (directory, association, syntax, separators,
 * line breaks) are the answer's, for convert_options.partner when writing that answer. The
 * view shares p's stylesheets and maps: it is valid while p is and must not be freed. */
void partner_answer_view(const partner *p, partner_answer a, partner *view);

/* Whether the partner's inbound policy allows a digest / cipher (p->as2 read; true for a
 * profile without an <as2> channel: nothing restricts it). */
bool partner_as2_allows_digest(const partner *p, partner_as2_digest d);
bool partner_as2_allows_cipher(const partner *p, partner_as2_cipher c);

/* ---- every profile of a folder --------------------------------------------------- */

typedef struct partner_set partner_set;

/* Every <id>.xml in `dir` (README.md, other files, hidden files and folders ignored), in
 * name order, each loaded with partner_load; a profile that is refused is left out and its
 * findings (errors with file and line) are added. Also refused, with a finding: a profile
 * whose id is not its file name (PARTNER-FILE), one naming a stylesheet that is not there
 * (PARTNER-CHECK), and every profile that claims an identifier another profile claims too
 * (PARTNER-DUPLICATE: UNB id with overlapping qualifiers, GLN, AS2 id, openTRANS id, API
 * key reference, inbox; or an inbox that is another profile's outbox): messages from it
 * could not be told apart, so neither gets them. NULL only on EDI_E_NOMEM or an unreadable
 * folder (why says). The caller frees with partner_set_free; the set is read-only, so
 * threads may share it. */
partner_set *partner_set_load(mapping_ctx *m, const char *schema_path, const char *dir,
                              doc_findings *findings, char *why, size_t why_n);
void partner_set_free(partner_set *ps);

/* How many profiles the set holds and the i-th, in file name order. */
size_t partner_set_count(const partner_set *ps);
const partner *partner_set_at(const partner_set *ps, size_t i);

/* Lookups; NULL when no profile claims it (also for NULL or "" arguments). Pointers stay
 * valid as long as the set. */
const partner *partner_set_by_id(const partner_set *ps, const char *id);
/* qualifier NULL or "": any; a profile's UNB id without a qualifier matches any. */
const partner *partner_set_by_unb(const partner_set *ps, const char *id, const char *qualifier);
const partner *partner_set_by_gln(const partner_set *ps, const char *gln);
const partner *partner_set_by_opentrans_id(const partner_set *ps, const char *party_id);
const partner *partner_set_by_as2_id(const partner_set *ps, const char *as2_id);

/* The partner's stylesheet for an inbound format or an outbound target, or NULL (p may be
 * NULL). The path stays valid as long as the profile. */
const char *partner_stylesheet_path(const partner *p, bool inbound, const char *key);

/* Apply the inbound code maps to the canonical document `doc` in place: a unit the partner
 * sent (@unitAsSent, else @unit; @basisUnitAsSent, else @basisUnit) that the profile maps
 * becomes its Rec 20 code in @unit (@basisUnit), the code as sent kept in @unitAsSent
 * (@basisUnitAsSent); a reference, date or party whose @qualifier the profile maps gets
 * that kind or role. Returns EDI_OK (also with p NULL: nothing to do), EDI_E_NOMEM, and
 * the number of values changed in *changed (may be NULL). */
edi_result partner_map_inbound(const partner *p, xmlDocPtr doc, size_t *changed);

/* Apply the outbound unit maps: a @unit (@basisUnit) holding a Rec 20 code the profile
 * maps outbound becomes the partner's code, in @unitAsSent (@basisUnitAsSent) too, so that
 * stylesheets that prefer the code as sent write the partner's. */
edi_result partner_map_outbound(const partner *p, xmlDocPtr doc, size_t *changed);

#endif

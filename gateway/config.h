/* config.h: the gateway daemon's configuration file (schema formats/config/gateway.xsd). It
 * owns reading and validating the file with a finding per problem (file and line), and the
 * settings record: paths made absolute against the file's folder, defaults filled in. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "doc_finding.h"
#include "edi_result.h"
#include "partner.h"

#define CONFIG_NS "urn:edi-gateway:config:1"

/* The fields of <seller>, indexes into gateway_config.seller; config_seller_names gives
 * each its attribute name in the file (also the member of an invoice request's `seller`
 * object it defaults, with the contact fields nested there as contact.name/phone/email). */
enum {
    CONFIG_SELLER_NAME, CONFIG_SELLER_GLN, CONFIG_SELLER_VAT_ID, CONFIG_SELLER_STREET,
    CONFIG_SELLER_POSTCODE, CONFIG_SELLER_CITY, CONFIG_SELLER_COUNTRY, CONFIG_SELLER_IBAN,
    CONFIG_SELLER_BIC, CONFIG_SELLER_CONTACT_NAME, CONFIG_SELLER_CONTACT_PHONE,
    CONFIG_SELLER_CONTACT_EMAIL, CONFIG_SELLER_FIELDS
};
extern const char *const config_seller_names[CONFIG_SELLER_FIELDS];

/* <imap>: a shared mailbox the gateway polls for mails (partners' own mailboxes are in
 * their profiles). Strings owned by the record; the password is never in it. */
typedef struct {
    char *url;               /* imaps://host[:port]/MAILBOX or imap:// (STARTTLS required) */
    char *user;
    char *password_file;     /* absolute; the file holds the password (mode 600) */
    char *done;              /* the folder stored mails move to; default "Done" */
    char *ca_file;           /* NULL: the system's CA certificates */
    unsigned interval_seconds; /* between polls; default 60 */
    bool loopback_plain;     /* loopbackPlain="true": imap:// without TLS, only to a server
                                on the loopback interface (tests) */
    long line;               /* its line in the file */
} config_imap;

/* <as2><key>: one of our AS2 key pairs: either a PEM key with its certificate, or a
 * PKCS#12 file with the file holding its password (gateway/as2_certs.h loads them). */
typedef struct {
    char *cert_file;         /* PEM or DER certificate; NULL with pkcs12_file */
    char *key_file;          /* PEM private key (unencrypted); NULL with pkcs12_file */
    char *pkcs12_file;       /* NULL with cert_file/key_file */
    char *password_file;     /* the PKCS#12 password (first line); NULL: empty password */
    long line;               /* its line in the file */
} config_as2_key;

#define CONFIG_AS2_MAX_KEYS 2 /* ours valid at once, for rollover (the schema's limit) */

/* <as2>: our side of AS2 (the partners' sides are in their profiles). enabled false (and
 * every field unset) when the file has no <as2>. */
typedef struct {
    bool enabled;
    char *id;                /* our AS2 name (AS2-To of inbound, AS2-From of outbound) */
    config_as2_key keys[CONFIG_AS2_MAX_KEYS]; /* in file order; both published, the one
                                                 matching decrypts, the newest valid signs */
    size_t n_keys;           /* 1 or 2 */
    size_t max_bytes;        /* the /as2 request size limit; default 100 MiB */
    unsigned mdn_timeout_seconds; /* an MDN is missing after this; default 3600 */
    char *async_mdn_url;     /* where partners POST async MDNs to us; NULL: none */
    long line;
} config_as2;

/* Every path is absolute (joined with the configuration file's folder when the file gave a
 * relative one) and owned by the record. */
typedef struct {
    char *file;              /* the configuration file, absolute */
    char *data_dir;          /* <data folder> */
    char *database;          /* the SQLite file: <data database>, default <data>/gateway.db */
    char *content_dir;       /* the content store: <data content>, default <data>/content */
    char *partners_dir;      /* the partner profiles */
    char *formats_dir;       /* formats/ (EDIFACT directories, schemas); default built in */
    char *xslt_dir;          /* the stylesheets; default built in */
    char *inbox_dir;         /* the shared inbox, NULL when there is none */
    bool http_enabled;       /* an <http> element was given */
    char http_address[46];   /* IPv4 or IPv6 literal; default 127.0.0.1 */
    unsigned http_port;
    char *http_tls_cert;     /* <http tlsCertificate>, absolute; NULL: plain HTTP */
    char *http_tls_key;      /* <http tlsKey>, absolute */
    /* <http><adminKey env|file>: where the ERP/admin API key is (never the key itself);
     * PARTNER_KEY_NONE and "" when absent: no key opens the ERP routes */
    partner_key_kind admin_key_kind;
    char admin_key_ref[PARTNER_PATH_MAX]; /* the variable's name, or the file, absolute */
    unsigned workers;        /* default 2 */
    unsigned lease_seconds;  /* default 60 */
    unsigned poll_ms;        /* default 1000 */
    size_t max_file_bytes;   /* default 64 MiB */
    /* <orders> holds the order pipeline's mail and approval settings (the pipeline itself
     * runs for the orders of every partner that belongs to a customer, and web orders).
     * <orders><mail>: NULL smtp_url when absent */
    char *smtp_url;
    char *mail_from;
    char *mail_from_name;    /* NULL: none */
    bool smtp_starttls_required;
    char *smtp_user;         /* NULL: no login; else exactly one of the two below */
    char *smtp_password_env; /* the variable's name, never the password */
    char *smtp_password_file; /* the file holding it (mode 600), absolute; never the password */
    bool smtp_plain_login_loopback; /* loopbackPlainLogin="true": a login without TLS is
                                       allowed to a server on the loopback interface (tests);
                                       default false: a login needs smtps:// or STARTTLS */
    char *smtp_ca_file;      /* NULL: the system's CA certificates */
    unsigned smtp_timeout_seconds;
    /* <orders><approval>: NULL link_base when absent */
    char *link_base;         /* without a trailing slash */
    char *link_key_file, *link_key_env;
    char *link_previous_key_file, *link_previous_key_env;
    unsigned approval_lifetime_hours;  /* default 72 */
    unsigned approval_reminder_hours;  /* default 24; 0 none */
    /* <seller>: the gateway operator as the seller (the invoices' default supplier, BG-4);
     * each field NULL when absent, the schema has checked their forms */
    char *seller[CONFIG_SELLER_FIELDS];
    /* <imap>: the shared mailboxes, in file order */
    config_imap *imap;
    size_t n_imap;
    config_as2 as2;          /* <as2> */
} gateway_config;

/* The built-in folders (the checkout's formats/ and xslt/), used when the file names none. */
const char *config_default_formats_dir(void);
const char *config_default_xslt_dir(void);

/* Read `path`, validate it against `schema_path` (NULL: <built-in formats>/config/gateway.xsd)
 * and fill in the record. Every problem is a DOC_ERROR finding in `findings` (rule
 * "CONFIG", its line, `where` naming the file), and `why` gets the first one as a sentence.
 * Returns EDI_OK and *out (free with config_free), EDI_E_IO (cannot be read), EDI_E_XML
 * (refused), EDI_E_NOMEM. */
edi_result config_load(const char *path, const char *schema_path, gateway_config **out,
                       doc_findings *findings, char *why, size_t why_n);

void config_free(gateway_config *c);

/* The configuration file a command uses: `option` (--config) if given, else
 * $GATEWAY_CONFIG, else "gateway.xml" in the current folder. Never NULL. */
const char *config_path(const char *option);

#endif

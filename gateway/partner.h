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
} partner_channel;

/* <channel><sftp>: the partner's SFTP server. */
typedef struct {
    char host[256];
} partner_sftp;

/* <channel><email>: the partner's mail settings. */
typedef struct {
    char address[321];         /* the partner's address */
} partner_email;

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

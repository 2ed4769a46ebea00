/* `gateway partners check [--partners DIR] [--config FILE] [--json]`: every profile of the
 * folder loaded as the gateway loads them (partner_set_load), then the AS2 certificates:
 * every partner's (and, with a configuration, ours) warned about 30 days before they expire
 * and refused once expired; and the secret files of SFTP and e-mail channels: missing is a
 * warning, readable by others an error. The profiles and the findings are the command's answer, so
 * both go to stdout: one line per profile the gateway would use, then one line per finding
 * and a verdict when there are findings; or with --json one object. Exit status: 0 no
 * errors (warnings allowed), 1 errors, 2 an unreadable folder or configuration, or usage. */
#include "cli_partners.h"
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "as2_certs.h"
#include "config.h"
#include "mapping.h"
#include "partner.h"

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif
#ifndef GATEWAY_PARTNERS_DIR
#define GATEWAY_PARTNERS_DIR GATEWAY_FORMATS_DIR "/../partners"
#endif

static void usage(FILE *out)
{
    fputs("usage: gateway partners check [--partners DIR] [--config FILE] [--json]\n"
          "\n"
          "Load every partner profile (<id>.xml) of the folder as the gateway does at start:\n"
          "each is validated against partners/partner.xsd and checked for what the schema\n"
          "cannot say (check digits, versions, answers without EDIFACT settings or outbox,\n"
          "identifiers two profiles claim, ...). A profile with an error is not used.\n"
          "AS2 certificates (the partners' and, with a configuration, ours in <as2>) are\n"
          "read: one that expires within 30 days is a warning (AS2-CERT), one that has\n"
          "expired, is not yet valid or cannot be read is an error; a profile that needs\n"
          "our key (encrypted inbound messages, signed outbound ones) needs <as2><key> in\n"
          "the configuration (AS2-CHECK). The secret files SFTP and e-mail channels read\n"
          "when they log in (<privateKey file>, <password file>, <mailbox passwordFile>):\n"
          "one that is not there is a warning, one that others may read an error\n"
          "(CHANNEL-SECRET).\n"
          "\n"
          "Output on stdout: one line per profile the gateway would use:\n"
          "  ID \"NAME\" customer C ids unb=ID:Q,gln=G,... accepts edifact-orders:D96A,...\n"
          "  answers contrl,ordrsp,desadv,invoic approval above:25000.00:EUR channel KIND ...\n"
          "where the channel is \"directory inbox=DIR outbox=DIR\", \"as2 url=URL\n"
          "certificates=N\", \"sftp sftp://USER@HOST:PORT pull=FOLDER/PATTERN push=FOLDER\"\n"
          "or \"email address=A to=A,... [cc=A,...] mailbox=URL\" (\"-\" for what is not set),\n"
          "then one line per finding (FILE: error RULE line N (where): text) and a verdict\n"
          "line when there are findings. With --json one object {folder, partners: [...],\n"
          "findings: [{severity, rule, line, where, text}]}.\n"
          "\n"
          "options:\n"
          "  --partners DIR  the profiles' folder (default: $GATEWAY_PARTNERS_DIR or the\n"
          "                  built-in path)\n"
          "  --formats DIR   the formats folder; the schema is DIR/../partners/partner.xsd\n"
          "                  (default: $EDI_FORMATS_DIR or the built-in path)\n"
          "  --config FILE   the gateway's configuration (default: $GATEWAY_CONFIG; none:\n"
          "                  our own AS2 keys are not checked); its partners folder is the\n"
          "                  default for --partners\n"
          "  --json          JSON instead of lines\n"
          "\n"
          "exit status: 0 every profile good (warnings allowed); 1 errors (the profiles\n"
          "named are not used, or a certificate is refused);\n"
          "2 the folder or the configuration cannot be read, or usage\n",
          out);
}

enum { OPT_PARTNERS = 256, OPT_FORMATS, OPT_CONFIG, OPT_JSON, OPT_HELP };

static const struct option options[] = {
    { "partners", required_argument, NULL, OPT_PARTNERS },
    { "formats", required_argument, NULL, OPT_FORMATS },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

typedef struct {
    const char *partners;
    const char *formats;
    const char *config;
    bool json;
} check_opts;

/* ---- one profile as a line ------------------------------------------------------- */

static const char *channel_name(const partner *p)
{
    switch (p->channel) {
    case PARTNER_CHANNEL_DIRECTORY: return "directory";
    case PARTNER_CHANNEL_SFTP: return "sftp";
    case PARTNER_CHANNEL_EMAIL: return "email";
    case PARTNER_CHANNEL_AS2: return "as2";
    case PARTNER_CHANNEL_NONE: break;
    }
    return "none";
}

/* Appends ",name=value" (the first without the comma) to `buf` when value is set. */
static void add_item(char *buf, size_t n, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    size_t len = strlen(buf);
    if (len < n)
        snprintf(buf + len, n - len, "%s%s%s%s", len ? "," : "", name ? name : "",
                 name ? "=" : "", value);
}

static const char *sftp_complete_name(partner_sftp_complete c)
{
    switch (c) {
    case PARTNER_SFTP_MARKER: return "marker";
    case PARTNER_SFTP_RENAME: return "rename";
    case PARTNER_SFTP_STABLE: break;
    }
    return "stable";
}

/* "sftp://user@host:port pull=FOLDER/PATTERN push=FOLDER" ("-" for no pull or push). */
static void print_sftp(const partner_sftp *s)
{
    printf("sftp sftp://%s@%s:%u pull=", s->user, s->host, s->port);
    size_t k = strlen(s->pull_folder);
    if (s->pull)
        printf("%s%s%s", s->pull_folder, k && s->pull_folder[k - 1] == '/' ? "" : "/",
               s->pattern);
    else
        fputc('-', stdout);
    printf(" push=%s\n", s->push ? s->push_folder : "-");
}

/* "email address=A to=T,... [cc=C,...] mailbox=URL|-": the recipients are the partner's
 * address when the profile names none. */
static void print_email(const partner_email *e)
{
    printf("email address=%s to=", e->address);
    for (size_t i = 0; i < e->n_to; i++)
        printf("%s%s", i ? "," : "", e->to[i]);
    if (!e->n_to)
        fputs(e->address, stdout);
    for (size_t i = 0; i < e->n_cc; i++)
        printf("%s%s", i ? "," : " cc=", e->cc[i]);
    printf(" mailbox=%s\n", e->mailbox_url[0] ? e->mailbox_url : "-");
}

static void print_profile(const partner *p)
{
    char ids[2048] = "", accepts[256] = "", answers[128] = "", approval[64] = "";
    for (size_t i = 0; i < p->n_unb; i++) {
        char v[48];
        snprintf(v, sizeof v, "%s%s%s", p->unb[i].id, p->unb[i].qualifier[0] ? ":" : "",
                 p->unb[i].qualifier);
        add_item(ids, sizeof ids, "unb", v);
    }
    add_item(ids, sizeof ids, "gln", p->gln);
    add_item(ids, sizeof ids, "as2", p->as2_id);
    add_item(ids, sizeof ids, "opentrans", p->opentrans_id);
    add_item(ids, sizeof ids, p->api_key_kind == PARTNER_KEY_ENV ? "apikey-env" : "apikey-file",
             p->api_key_ref);
    for (size_t i = 0; i < p->n_accepts; i++) {
        char v[40];
        snprintf(v, sizeof v, "%s%s%s", partner_format_name(p->accepts[i].format),
                 p->accepts[i].version[0] ? ":" : "", p->accepts[i].version);
        add_item(accepts, sizeof accepts, NULL, v);
    }
    if (p->contrl_wanted)
        add_item(answers, sizeof answers, NULL, "contrl");
    static const char *const kinds[PARTNER_N_ANSWERS] = { "orderResponse", "despatch", "invoice" };
    for (int a = 0; a < PARTNER_N_ANSWERS; a++)
        add_item(answers, sizeof answers, kinds[a], partner_answer_target(p, (partner_answer)a));
    snprintf(approval, sizeof approval, "%s", partner_approval_name(p->approval));
    if (p->approval == PARTNER_APPROVAL_ABOVE) {
        size_t len = strlen(approval);
        snprintf(approval + len, sizeof approval - len, ":%s:%s", p->approval_amount,
                 p->approval_currency);
    }
    printf("%s \"%s\" customer %s ids %s accepts %s answers %s approval %s channel ", p->id,
           p->name, p->customer[0] ? p->customer : "-", ids[0] ? ids : "-",
           accepts[0] ? accepts : "-", answers[0] ? answers : "-", approval);
    if (p->channel == PARTNER_CHANNEL_DIRECTORY)
        printf("directory inbox=%s outbox=%s\n", p->inbox[0] ? p->inbox : "-",
               p->outbox[0] ? p->outbox : "-");
    else if (p->channel == PARTNER_CHANNEL_AS2)
        printf("as2 url=%s certificates=%zu\n", p->as2.url, p->as2.n_certs);
    else if (p->channel == PARTNER_CHANNEL_SFTP)
        print_sftp(&p->sftp);
    else if (p->channel == PARTNER_CHANNEL_EMAIL)
        print_email(&p->email);
    else
        printf("-\n");
}

/* ---- one profile as JSON --------------------------------------------------------- */

/* A string, or null when it is "". */
static json_t *text_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *edifact_json(const partner_edifact *e)
{
    if (!e->directory[0])
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:i, s:o, s:o}", "directory", e->directory,
                     "association", text_or_null(e->association),
                     "syntax", text_or_null(e->syntax_id), "syntaxVersion", e->syntax_version,
                     "separators", text_or_null(e->separators),
                     "lineBreaks", e->line_break ? json_string(!e->line_break[0] ? "none"
                                                               : e->line_break[1] ? "crlf" : "lf")
                                                 : json_null());
}

static json_t *addresses_json(const char (*list)[PARTNER_MAIL_ADDR], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

/* The channel: its kind, the directory channel's folders, and for SFTP and e-mail what
 * is reached how (file names of secrets, never their content). */
static json_t *channel_json(const partner *p)
{
    json_t *c = json_pack("{s:s, s:o, s:o}", "kind", channel_name(p),
                          "inbox", text_or_null(p->inbox), "outbox", text_or_null(p->outbox));
    if (!c)
        return NULL;
    if (p->channel == PARTNER_CHANNEL_SFTP) {
        const partner_sftp *s = &p->sftp;
        json_object_set_new(c, "sftp", json_pack(
            "{s:s, s:i, s:s, s:s, s:o, s:o, s:i, s:i, s:o, s:o}",
            "host", s->host, "port", (int)s->port, "user", s->user, "hostKey", s->host_key,
            "privateKeyFile", text_or_null(s->key_file),
            "passwordFile", text_or_null(s->password_file),
            "maxConnections", (int)s->max_connections, "timeoutSeconds", (int)s->timeout_s,
            "pull", s->pull ? json_pack("{s:s, s:s, s:i, s:s, s:o}", "folder", s->pull_folder,
                                        "pattern", s->pattern, "intervalSeconds",
                                        (int)s->interval_s, "complete",
                                        sftp_complete_name(s->complete), "archive",
                                        text_or_null(s->archive_folder))
                            : json_null(),
            "push", s->push ? json_pack("{s:s, s:s}", "folder", s->push_folder, "tempSuffix",
                                        s->temp_suffix)
                            : json_null()));
    } else if (p->channel == PARTNER_CHANNEL_EMAIL) {
        const partner_email *e = &p->email;
        json_t *to = e->n_to ? addresses_json(e->to, e->n_to) : json_pack("[s]", e->address);
        json_object_set_new(c, "email", json_pack(
            "{s:s, s:o, s:o, s:o, s:o, s:b, s:o}", "address", e->address, "to", to,
            "cc", addresses_json(e->cc, e->n_cc), "from", text_or_null(e->from),
            "subjectPrefix", text_or_null(e->subject_prefix),
            "replyOnFailure", e->reply_on_failure,
            "mailbox", e->mailbox_url[0]
                ? json_pack("{s:s, s:s, s:s, s:s, s:b}", "url", e->mailbox_url, "user",
                            e->mailbox_user, "passwordFile", e->mailbox_password_file,
                            "done", e->mailbox_done[0] ? e->mailbox_done : "Done",
                            "loopbackPlain", e->mailbox_loopback_plain)
                : json_null()));
    }
    return c;
}

static json_t *profile_json(const partner *p)
{
    json_t *unb = json_array(), *accepts = json_array();
    for (size_t i = 0; unb && i < p->n_unb; i++)
        json_array_append_new(unb, json_pack("{s:s, s:o}", "id", p->unb[i].id, "qualifier",
                                             text_or_null(p->unb[i].qualifier)));
    for (size_t i = 0; accepts && i < p->n_accepts; i++)
        json_array_append_new(accepts, json_pack("{s:s, s:o}", "format",
                                                 partner_format_name(p->accepts[i].format),
                                                 "version", text_or_null(p->accepts[i].version)));
    json_t *answers = json_object();
    static const char *const kinds[PARTNER_N_ANSWERS] = { "orderResponse", "despatch", "invoice" };
    json_object_set_new(answers, "contrl", json_boolean(p->contrl_wanted));
    for (int a = 0; a < PARTNER_N_ANSWERS; a++) {
        const char *target = partner_answer_target(p, (partner_answer)a);
        json_object_set_new(answers, kinds[a], target[0]
            ? json_pack("{s:s, s:o}", "format", target, "edifact", edifact_json(&p->answer_edifact[a]))
            : json_null());
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:o,"
                     " s:o, s:{s:s, s:o, s:o}}",
                     "id", p->id, "name", p->name, "file", p->file,
                     "customer", text_or_null(p->customer),
                     "identifiers", "unb", unb, "gln", text_or_null(p->gln),
                     "as2", text_or_null(p->as2_id), "opentrans", text_or_null(p->opentrans_id),
                     "apiKeyEnv", text_or_null(p->api_key_kind == PARTNER_KEY_ENV ? p->api_key_ref : ""),
                     "apiKeyFile", text_or_null(p->api_key_kind == PARTNER_KEY_FILE ? p->api_key_ref : ""),
                     "accepts", accepts, "answers", answers,
                     "channel", channel_json(p),
                     "approval", "policy", partner_approval_name(p->approval),
                     "amount", text_or_null(p->approval_amount),
                     "currency", text_or_null(p->approval_currency));
}

static json_t *findings_json(const doc_findings *f)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < f->count; i++) {
        const doc_finding *d = &f->items[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s, s:s}", "severity",
                                              d->severity == DOC_ERROR ? "error" : "warning",
                                              "rule", d->rule, "line", (json_int_t)d->line,
                                              "where", d->where, "text", d->text));
    }
    return list;
}

/* ---- AS2 certificates and what needs our keys ------------------------------------ */

/* A finding for a certificate that is not simply valid: a warning when it expires within
 * AS2_CERT_WARN_DAYS, an error when it has expired or is not valid yet. */
static void cert_finding(doc_findings *f, const X509 *x, const char *what, const char *file,
                         long line, const char *where, time_t now)
{
    char why[640];
    as2_cert_state st = as2_cert_check(x, what, file, now, AS2_CERT_WARN_DAYS, why, sizeof why);
    if (st != AS2_CERT_VALID)
        doc_findings_add(f, st == AS2_CERT_EXPIRING ? DOC_WARNING : DOC_ERROR, "AS2-CERT", line,
                         where, "%s", why);
}

static void check_as2_partner(const partner *p, const gateway_config *cfg, bool have_keys,
                              time_t now, doc_findings *f)
{
    const partner_as2 *a = &p->as2;
    for (size_t i = 0; i < a->n_certs; i++) {
        const partner_as2_cert *c = &a->certs[i];
        const char *what = c->signing && c->encryption ? "the partner's certificate"
                           : c->signing ? "the partner's signing certificate"
                                        : "the partner's encryption certificate";
        STACK_OF(X509) *certs;
        char why[512];
        if (as2_cert_load(c->file, &certs, why, sizeof why) != EDI_OK) {
            doc_findings_add(f, DOC_ERROR, "AS2-CERT", c->line, p->file, "%s cannot be used: "
                             "%s; fix the file or the path in <certificate file>", what, why);
            continue;
        }
        for (int k = 0; k < sk_X509_num(certs); k++)
            cert_finding(f, sk_X509_value(certs, k), what, c->file, c->line, p->file, now);
        sk_X509_pop_free(certs, X509_free);
    }
    if (!cfg)
        return;
    if (!a->our_id[0] && !cfg->as2.enabled)
        doc_findings_add(f, DOC_ERROR, "AS2-CHECK", a->line, p->file, "the AS2 channel names "
                         "no ourId and the configuration %s has no <as2 id=\"...\">: add our "
                         "AS2 name to one of them", cfg->file);
    if (a->require_encrypted && !have_keys)
        doc_findings_add(f, DOC_ERROR, "AS2-CHECK", a->line, p->file, "the partner's messages "
                         "must be encrypted (requireEncrypted) but the configuration %s has no "
                         "usable <as2><key> to decrypt them with: add our key pair there",
                         cfg->file);
    if (a->sign && !have_keys)
        doc_findings_add(f, DOC_ERROR, "AS2-CHECK", a->line, p->file, "our messages to the "
                         "partner are signed (<outbound sign=\"%s\">) but the configuration %s "
                         "has no usable <as2><key> to sign with: add our key pair there, or "
                         "sign=\"none\"", partner_as2_digest_name(a->sign_digest), cfg->file);
    if (a->mdn == PARTNER_AS2_MDN_ASYNC && !a->mdn_url[0] && !cfg->as2.async_mdn_url)
        doc_findings_add(f, DOC_ERROR, "AS2-CHECK", a->line, p->file, "an asynchronous MDN is "
                         "asked for but no URL says where the partner should send it: add "
                         "<mdn url=\"...\"> to the profile or <as2 asyncMdnUrl=\"...\"> to %s",
                         cfg->file);
}

/* Our key pairs from the configuration: each loads, its certificate is not expired (a
 * warning 30 days before), and one of them can sign now. True when they all load. */
static bool check_our_keys(const gateway_config *cfg, time_t now, doc_findings *f)
{
    const config_as2 *a = &cfg->as2;
    if (!a->enabled)
        return false;
    as2_keyring *ring;
    char why[640];
    if (as2_keyring_load(a, &ring, why, sizeof why) != EDI_OK) {
        doc_findings_add(f, DOC_ERROR, "AS2-CERT", a->line, cfg->file, "%s", why);
        return false;
    }
    for (size_t i = 0; i < as2_keyring_count(ring); i++) {
        const as2_keypair *kp = as2_keyring_at(ring, i);
        cert_finding(f, kp->cert, "our AS2 certificate", kp->source, a->keys[i].line, cfg->file,
                     now);
    }
    bool ok = true;
    if (!as2_keyring_signer(ring, now)) {
        doc_findings_add(f, DOC_ERROR, "AS2-CERT", a->line, cfg->file, "none of our AS2 keys "
                         "in <as2> is valid now, so nothing can be signed and partners cannot "
                         "encrypt to us: add a key pair with a valid certificate");
        ok = false;
    }
    as2_keyring_free(ring);
    return ok;
}

/* ---- the channels' secret files --------------------------------------------------- */

/* A file the channel reads a secret from when it connects: not there yet is a warning (the
 * profile is used, and the channel cannot log in until the file is installed); there but
 * not a regular file only its owner may read is an error, since the channel refuses it. */
static void check_secret(doc_findings *f, const partner *p, long line, const char *what,
                         const char *attribute, const char *path)
{
    if (!path[0])
        return;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            doc_findings_add(f, DOC_WARNING, "CHANNEL-SECRET", line, p->file, "the %s file %s "
                             "(%s) is not there: the channel cannot log in until it is; put "
                             "the secret there, mode 600", what, path, attribute);
        else
            doc_findings_add(f, DOC_ERROR, "CHANNEL-SECRET", line, p->file, "the %s file %s "
                             "(%s) cannot be used: %s", what, path, attribute, strerror(errno));
    } else if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        doc_findings_add(f, DOC_ERROR, "CHANNEL-SECRET", line, p->file, "the %s file %s (%s) "
                         "%s, and the channel refuses it: %s", what, path, attribute,
                         S_ISREG(st.st_mode) ? "may be read by others" : "is not a regular file",
                         S_ISREG(st.st_mode) ? "make it private with chmod 600"
                                             : "name the file that holds the secret");
    }
}

static void check_channel_secrets(const partner *p, doc_findings *f)
{
    if (p->channel == PARTNER_CHANNEL_SFTP) {
        check_secret(f, p, 0, "SFTP private key", "<sftp><privateKey file>", p->sftp.key_file);
        check_secret(f, p, 0, "SFTP key passphrase", "<sftp><privateKey passphraseFile>",
                     p->sftp.passphrase_file);
        check_secret(f, p, 0, "SFTP password", "<sftp><password file>", p->sftp.password_file);
    } else if (p->channel == PARTNER_CHANNEL_EMAIL && p->email.mailbox_url[0]) {
        check_secret(f, p, p->email.line, "mailbox password", "<email><mailbox passwordFile>",
                     p->email.mailbox_password_file);
    }
}

/* ---- the command ----------------------------------------------------------------- */

static int check(const check_opts *o)
{
    const char *cfg_env = getenv("GATEWAY_CONFIG");
    const char *cfg_path = o->config ? o->config : cfg_env && *cfg_env ? cfg_env : NULL;
    gateway_config *cfg = NULL;
    if (cfg_path) {
        doc_findings cf;
        doc_findings_init(&cf);
        char cwhy[1024] = "";
        edi_result r = config_load(cfg_path, NULL, &cfg, &cf, cwhy, sizeof cwhy);
        doc_findings_free(&cf);
        if (r != EDI_OK) {
            fprintf(stderr, "gateway partners check: the configuration %s cannot be used: %s\n",
                    cfg_path, cwhy[0] ? cwhy : edi_result_str(r));
            return 2;
        }
    }
    const char *env = getenv("GATEWAY_PARTNERS_DIR");
    const char *dir = o->partners ? o->partners : env && *env ? env
                      : cfg ? cfg->partners_dir : GATEWAY_PARTNERS_DIR;
    const char *formats = cli_formats_root(o->formats);
    char canonical[4096], schema[4096];
    snprintf(canonical, sizeof canonical, "%s/canonical/canonical.xsd", formats);
    snprintf(schema, sizeof schema, "%s/../partners/partner.xsd", formats);
    mapping_ctx *m = mapping_new(canonical);
    if (!m) {
        fprintf(stderr, "gateway partners check: out of memory\n");
        config_free(cfg);
        return 2;
    }
    doc_findings f;
    doc_findings_init(&f);
    char why[1024] = "";
    partner_set *ps = partner_set_load(m, schema, dir, &f, why, sizeof why);
    int status = 2;
    if (ps) {
        time_t now = time(NULL);
        bool have_keys = cfg && check_our_keys(cfg, now, &f);
        for (size_t i = 0; i < partner_set_count(ps); i++) {
            if (partner_set_at(ps, i)->channel == PARTNER_CHANNEL_AS2)
                check_as2_partner(partner_set_at(ps, i), cfg, have_keys, now, &f);
            check_channel_secrets(partner_set_at(ps, i), &f);
        }
    }
    size_t errors = doc_findings_count(&f, DOC_ERROR) + f.dropped;
    size_t warnings = doc_findings_count(&f, DOC_WARNING);
    if (!ps) {
        fprintf(stderr, "gateway partners check: %s\n", why);
    } else if (o->json) {
        json_t *list = json_array();
        for (size_t i = 0; list && i < partner_set_count(ps); i++)
            json_array_append_new(list, profile_json(partner_set_at(ps, i)));
        json_t *all = json_pack("{s:s, s:o, s:o}", "folder", dir, "partners", list,
                                "findings", findings_json(&f));
        if (!all || json_dumpf(all, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF) {
            fprintf(stderr, "gateway partners check: cannot write the JSON\n");
            status = 2;
        } else {
            status = errors ? 1 : 0;
        }
        json_decref(all);
    } else {
        for (size_t i = 0; i < partner_set_count(ps); i++)
            print_profile(partner_set_at(ps, i));
        doc_findings_print(&f, stdout, false, NULL);
        if (errors && warnings)
            printf("%zu error%s and %zu warning%s: the profiles named are not used; %zu "
                   "profile%s used\n", errors, errors == 1 ? "" : "s", warnings,
                   warnings == 1 ? "" : "s", partner_set_count(ps),
                   partner_set_count(ps) == 1 ? "" : "s");
        else if (errors)
            printf("%zu finding%s: the profiles named are not used; %zu profile%s used\n",
                   errors, errors == 1 ? "" : "s", partner_set_count(ps),
                   partner_set_count(ps) == 1 ? "" : "s");
        else if (warnings)
            printf("%zu warning%s: the profiles are used, but see to %s; %zu profile%s used\n",
                   warnings, warnings == 1 ? "" : "s", warnings == 1 ? "it" : "them",
                   partner_set_count(ps), partner_set_count(ps) == 1 ? "" : "s");
        status = errors ? 1 : 0;
    }
    if (fflush(stdout) != 0)
        status = 2;
    partner_set_free(ps);
    doc_findings_free(&f);
    mapping_free(m);
    config_free(cfg);
    return status;
}

int cli_partners_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "gateway partners: unknown subcommand \"%s\"; the one there is: check\n",
                argv[1]);
        return 2;
    }
    check_opts o = { 0 };
    optind = 1;
    opterr = 0;
    int c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case OPT_PARTNERS: o.partners = optarg; break;
        case OPT_FORMATS: o.formats = optarg; break;
        case OPT_CONFIG: o.config = optarg; break;
        case OPT_JSON: o.json = true; break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "gateway partners check: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "gateway partners check: no file arguments; name the folder with "
                "--partners DIR\n");
        usage(stderr);
        return 2;
    }
    return check(&o);
}

/* Partner profiles: read with the safe XML parser, validated against partners/partner.xsd
 * (every error a finding with its line), checked for what the schema cannot say, then
 * copied into a plain record so that nothing later depends on the profile's tree. A set
 * holds every profile of a folder and refuses identifiers two profiles claim. */
#include "partner.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edi_xml.h"
#include "mailer.h"

static bool is_partner_el(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, PARTNER_NS) && !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_partner_el(c, name))
            return c;
    return NULL;
}

/* The element's text (or attribute `attr`) into dst; "" when absent. */
static void copy_value(xmlNodePtr n, const char *attr, char *dst, size_t n_dst)
{
    dst[0] = '\0';
    if (!n)
        return;
    xmlChar *v = attr ? xmlGetProp(n, BAD_CAST attr) : xmlNodeGetContent(n);
    if (v)
        snprintf(dst, n_dst, "%s", (const char *)v);
    xmlFree(v);
}

void partner_free(partner *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_styles; i++)
        free(p->styles[i].path);
    free(p->styles);
    free(p->maps);
    free(p->file);
    free(p);
}

/* ---- checks the schema cannot make ----------------------------------------------- */

typedef struct {
    const char *file;
    doc_findings *findings;
    size_t errors;
} checker;

/* "/partner/answers/invoice" for the element n. */
static void node_path(xmlNodePtr n, char *buf, size_t size)
{
    if (!n || n->type != XML_ELEMENT_NODE) {
        buf[0] = '\0';
        return;
    }
    node_path(n->parent, buf, size);
    size_t len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "/%s", (const char *)n->name);
}

static void check_error(checker *c, const char *rule, xmlNodePtr at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_error(checker *c, const char *rule, xmlNodePtr at, const char *fmt, ...)
{
    char text[640], path[160], where[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    node_path(at, path, sizeof path);
    snprintf(where, sizeof where, "%s%s%s", c->file, path[0] ? " " : "", path);
    doc_findings_add(c->findings, DOC_ERROR, rule, at ? xmlGetLineNo(at) : 0, where, "%s", text);
    c->errors++;
}

/* A GS1 key of 13 digits whose last digit is the check digit (weights 3 and 1 from the
 * right); the expected check digit in *expected. */
static bool gln_ok(const char *s, char *expected)
{
    if (strlen(s) != 13)
        return false;
    int sum = 0;
    for (int i = 0; i < 13; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (i < 12)
            sum += (s[i] - '0') * ((12 - i) % 2 ? 3 : 1);
    }
    *expected = (char)('0' + (10 - sum % 10) % 10);
    return s[12] == *expected;
}

/* `path` joined to `base` when it is relative, "." and ".." and doubled slashes taken out
 * by the text alone (the folders need not exist yet). `base` is absolute unless the
 * profile's folder could not be resolved; then a relative result keeps leading "..". False
 * when the result does not fit. */
static bool resolve_path(const char *base, const char *path, char *out, size_t n)
{
    char joined[2 * PARTNER_PATH_MAX];
    int len = path[0] == '/' ? snprintf(joined, sizeof joined, "%s", path)
                             : snprintf(joined, sizeof joined, "%s/%s", base, path);
    if (len < 0 || (size_t)len >= sizeof joined || n < 2)
        return false;
    bool absolute = joined[0] == '/';
    size_t used = absolute ? 1 : 0, keep = used; /* keep: the part ".." cannot remove */
    out[0] = '/';
    out[used] = '\0';
    for (char *save = NULL, *part = strtok_r(joined, "/", &save); part;
         part = strtok_r(NULL, "/", &save)) {
        if (!strcmp(part, "."))
            continue;
        if (!strcmp(part, "..") && used > keep) {
            char *slash = strrchr(out + keep, '/');
            used = slash ? (size_t)(slash - out) : keep;
            out[used] = '\0';
            continue;
        }
        if (!strcmp(part, "..") && absolute)
            continue; /* above the root is the root */
        size_t plen = strlen(part);
        bool sep = used > (absolute ? 1u : 0u);
        if (used + sep + plen + 1 > n)
            return false;
        if (sep)
            out[used++] = '/';
        memcpy(out + used, part, plen + 1);
        used += plen;
        if (!strcmp(part, ".."))
            keep = used;
    }
    if (!used)
        strcpy(out, ".");
    return true;
}

/* ---- reading a validated profile ------------------------------------------------- */

static edi_result add_style(partner *p, const char *folder, xmlNodePtr el, bool inbound)
{
    char key[24], href[1024];
    copy_value(el, inbound ? "for" : "target", key, sizeof key);
    copy_value(el, "href", href, sizeof href);
    partner_stylesheet *grown = realloc(p->styles, (p->n_styles + 1) * sizeof *grown);
    if (!grown)
        return EDI_E_NOMEM;
    p->styles = grown;
    size_t len = strlen(folder) + strlen(href) + 2;
    char *path = malloc(len);
    if (!path)
        return EDI_E_NOMEM;
    snprintf(path, len, "%s/%s", folder, href);
    partner_stylesheet *s = &p->styles[p->n_styles++];
    s->inbound = inbound;
    snprintf(s->key, sizeof s->key, "%s", key);
    s->path = path;
    s->line = xmlGetLineNo(el);
    return EDI_OK;
}

static edi_result add_map(partner *p, xmlNodePtr el, partner_map_kind kind)
{
    partner_map *grown = realloc(p->maps, (p->n_maps + 1) * sizeof *grown);
    if (!grown)
        return EDI_E_NOMEM;
    p->maps = grown;
    partner_map *m = &p->maps[p->n_maps++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    copy_value(el, "partner", m->code, sizeof m->code);
    copy_value(el, kind == PARTNER_MAP_UNIT ? "rec20" : kind == PARTNER_MAP_REFERENCE ? "kind" : "role",
               m->canonical, sizeof m->canonical);
    m->directions = PARTNER_IN;
    if (kind == PARTNER_MAP_UNIT) {
        char dir[8];
        copy_value(el, "direction", dir, sizeof dir);
        m->directions = !strcmp(dir, "in") ? PARTNER_IN : !strcmp(dir, "out") ? PARTNER_OUT
                        : PARTNER_IN | PARTNER_OUT;
    }
    return EDI_OK;
}

/* The settings an <edifact> block sets, over what `e` holds (unset ones left alone). */
static void read_edifact(xmlNodePtr edi, partner_edifact *e)
{
    if (!edi)
        return;
    xmlNodePtr n;
    if ((n = child(edi, "directory")))
        copy_value(n, NULL, e->directory, sizeof e->directory);
    if ((n = child(edi, "association")))
        copy_value(n, NULL, e->association, sizeof e->association);
    if ((n = child(edi, "syntax"))) {
        copy_value(n, "id", e->syntax_id, sizeof e->syntax_id);
        char version[4];
        copy_value(n, "version", version, sizeof version);
        e->syntax_version = version[0] ? version[0] - '0' : 0;
    }
    if ((n = child(edi, "separators"))) {
        copy_value(n, NULL, e->separators, sizeof e->separators);
        char rep[4];
        copy_value(n, "repetition", rep, sizeof rep);
        e->repetition = rep[0];
    }
    if ((n = child(edi, "lineBreaks"))) {
        char breaks[8];
        copy_value(n, NULL, breaks, sizeof breaks);
        e->line_break = !strcmp(breaks, "lf") ? "\n" : !strcmp(breaks, "crlf") ? "\r\n" : "";
    }
}

static void set_edifact(partner *p, const partner_edifact *e)
{
    memcpy(p->directory, e->directory, sizeof p->directory);
    memcpy(p->association, e->association, sizeof p->association);
    memcpy(p->syntax_id, e->syntax_id, sizeof p->syntax_id);
    p->syntax_version = e->syntax_version;
    memcpy(p->separators, e->separators, sizeof p->separators);
    p->repetition = e->repetition;
    p->line_break = e->line_break;
}

/* Two UNB ids that a sender could match both: the same id, and the same qualifier or one
 * of them without a qualifier (any). */
static bool unb_overlap(const partner_unb *a, const partner_unb *b)
{
    return !strcmp(a->id, b->id) &&
           (!a->qualifier[0] || !b->qualifier[0] || !strcmp(a->qualifier, b->qualifier));
}

static void read_identifiers(partner *p, xmlNodePtr ids, const char *base, checker *c)
{
    char expected;
    for (xmlNodePtr n = ids ? ids->children : NULL; n; n = n->next) {
        if (is_partner_el(n, "unb") && p->n_unb < PARTNER_MAX_UNB) {
            partner_unb *u = &p->unb[p->n_unb++];
            copy_value(n, "id", u->id, sizeof u->id);
            copy_value(n, "qualifier", u->qualifier, sizeof u->qualifier);
            u->line = xmlGetLineNo(n);
            for (size_t i = 0; i + 1 < p->n_unb; i++)
                if (unb_overlap(&p->unb[i], u))
                    check_error(c, "PARTNER-CHECK", n, "the UNB id %s%s%s is listed already on "
                                "line %ld (an id without a qualifier stands for any qualifier): "
                                "keep one", u->id, u->qualifier[0] ? ":" : "", u->qualifier,
                                p->unb[i].line);
            if (!strcmp(u->qualifier, "14") && !gln_ok(u->id, &expected))
                check_error(c, "PARTNER-CHECK", n, "the UNB id %s has qualifier 14 (a GLN), but %s",
                            u->id, strlen(u->id) != 13 || strspn(u->id, "0123456789") != 13
                            ? "a GLN has 13 digits" : "its check digit is wrong: correct the id "
                              "or the qualifier");
        } else if (is_partner_el(n, "gln")) {
            copy_value(n, NULL, p->gln, sizeof p->gln);
            p->lines.gln = xmlGetLineNo(n);
            if (!gln_ok(p->gln, &expected))
                check_error(c, "PARTNER-CHECK", n, "the GLN %s has a wrong check digit (it would "
                            "be %c): a GLN with a typo never identifies the partner", p->gln,
                            expected);
        } else if (is_partner_el(n, "as2")) {
            copy_value(n, NULL, p->as2_id, sizeof p->as2_id);
            p->lines.as2_id = xmlGetLineNo(n);
        } else if (is_partner_el(n, "opentrans")) {
            copy_value(n, NULL, p->opentrans_id, sizeof p->opentrans_id);
            p->lines.opentrans_id = xmlGetLineNo(n);
        } else if (is_partner_el(n, "apiKeyEnv")) {
            p->api_key_kind = PARTNER_KEY_ENV;
            copy_value(n, NULL, p->api_key_ref, sizeof p->api_key_ref);
            p->lines.api_key = xmlGetLineNo(n);
        } else if (is_partner_el(n, "apiKeyFile")) {
            char path[PARTNER_PATH_MAX];
            copy_value(n, NULL, path, sizeof path);
            p->api_key_kind = PARTNER_KEY_FILE;
            p->lines.api_key = xmlGetLineNo(n);
            if (!resolve_path(base, path, p->api_key_ref, sizeof p->api_key_ref))
                check_error(c, "PARTNER-CHECK", n, "the key file's path is longer than %d "
                            "characters once resolved", PARTNER_PATH_MAX - 1);
        }
    }
}

static const char *const format_names[] = { "edifact-orders", "opentrans-order", "web-order" };
#define N_FORMATS (sizeof format_names / sizeof format_names[0])

const char *partner_format_name(partner_format f)
{
    return (size_t)f < N_FORMATS ? format_names[f] : "?";
}

const char *partner_approval_name(partner_approval a)
{
    static const char *const names[] = { "none", "always", "above", "requisitioner-orders" };
    return (size_t)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

/* The <accept> elements; the first node per format in first[] for later checks. */
static void read_accepts(partner *p, xmlNodePtr in, xmlNodePtr first[N_FORMATS], checker *c)
{
    static const char *const versions[N_FORMATS] = { "D96A D01B", "2.1 1.0", "" };
    for (xmlNodePtr n = in ? in->children : NULL; n; n = n->next) {
        if (!is_partner_el(n, "accept") || p->n_accepts >= PARTNER_MAX_ACCEPT)
            continue;
        char name[24];
        partner_accept a = { 0 };
        copy_value(n, "format", name, sizeof name);
        copy_value(n, "version", a.version, sizeof a.version);
        size_t f = 0;
        while (f < N_FORMATS && strcmp(format_names[f], name))
            f++;
        if (f == N_FORMATS)
            continue; /* the schema lists the formats: not reached */
        a.format = (partner_format)f;
        if (a.version[0] && !strstr(versions[f], a.version))
            check_error(c, "PARTNER-CHECK", n, "%s has no version %s%s%s", name, a.version,
                        versions[f][0] ? "; the versions are " : ": leave the version out",
                        versions[f]);
        for (size_t i = 0; i < p->n_accepts; i++)
            if (p->accepts[i].format == a.format &&
                (!a.version[0] || !p->accepts[i].version[0] || !strcmp(p->accepts[i].version, a.version)))
                check_error(c, "PARTNER-CHECK", n, "%s%s%s is accepted twice: keep one <accept> "
                            "per format and version", name, a.version[0] ? " " : "", a.version);
        if (!first[f])
            first[f] = n;
        p->accepts[p->n_accepts++] = a;
    }
}

static bool is_edifact_target(const char *t)
{
    return !strcmp(t, "ordrsp") || !strcmp(t, "desadv") || !strcmp(t, "invoic");
}

static void read_answers(partner *p, xmlNodePtr answers, const partner_edifact *outbound,
                         checker *c)
{
    static const char *const els[PARTNER_N_ANSWERS] = { "orderResponse", "despatchAdvice", "invoice" };
    char *targets[PARTNER_N_ANSWERS] = { p->order_response, p->despatch, p->invoice };
    p->contrl_wanted = child(answers, "contrl") != NULL;
    for (int a = 0; a < PARTNER_N_ANSWERS; a++) {
        xmlNodePtr n = child(answers, els[a]);
        copy_value(n, "format", targets[a], sizeof p->order_response);
        if (!n)
            continue;
        xmlNodePtr own = child(n, "edifact");
        if (!is_edifact_target(targets[a])) {
            if (own)
                check_error(c, "PARTNER-CHECK", own, "the %s answer is %s, not EDIFACT, so its "
                            "EDIFACT settings would never be used: remove them", els[a], targets[a]);
            continue;
        }
        partner_edifact *e = &p->answer_edifact[a];
        *e = *outbound;
        read_edifact(own, e);
        if (!e->directory[0])
            check_error(c, "PARTNER-CHECK", n, "the %s answer is EDIFACT (%s) but names no "
                        "directory: add <directory>D96A</directory> (or D01B) to "
                        "<outbound><edifact> or to the answer's own <edifact>", els[a], targets[a]);
    }
}

/* An unsigned attribute or element text; `dflt` when absent (the schema bounds it). */
static unsigned number_of(xmlNodePtr n, const char *attr, unsigned dflt)
{
    char text[16];
    copy_value(n, attr, text, sizeof text);
    return text[0] ? (unsigned)strtoul(text, NULL, 10) : dflt;
}

/* A secret's file path resolved against the profile's folder. */
static void secret_path(xmlNodePtr n, const char *attr, const char *base, char *dst, checker *c)
{
    char path[PARTNER_PATH_MAX];
    copy_value(n, attr, path, sizeof path);
    if (path[0] && !resolve_path(base, path, dst, PARTNER_PATH_MAX))
        check_error(c, "PARTNER-CHECK", n, "the path of %s is longer than %d characters once "
                    "resolved", attr, PARTNER_PATH_MAX - 1);
}

static void read_sftp(partner *p, xmlNodePtr sftp, const char *base, checker *c)
{
    partner_sftp *s = &p->sftp;
    p->channel = PARTNER_CHANNEL_SFTP;
    copy_value(child(sftp, "host"), NULL, s->host, sizeof s->host);
    s->port = number_of(child(sftp, "port"), NULL, 22);
    copy_value(child(sftp, "user"), NULL, s->user, sizeof s->user);
    xmlNodePtr key = child(sftp, "privateKey"), password = child(sftp, "password");
    secret_path(key, "file", base, s->key_file, c);
    secret_path(key, "passphraseFile", base, s->passphrase_file, c);
    secret_path(password, "file", base, s->password_file, c);
    copy_value(child(sftp, "hostKey"), "sha256", s->host_key, sizeof s->host_key);
    s->max_connections = number_of(sftp, "maxConnections", 2);
    s->timeout_s = number_of(sftp, "timeoutSeconds", 30);

    xmlNodePtr pull = child(sftp, "pull"), push = child(sftp, "push");
    s->pull = pull != NULL;
    s->push = push != NULL;
    if (!pull && !push)
        check_error(c, "PARTNER-CHECK", sftp, "the SFTP channel neither pulls nor pushes: add "
                    "<pull folder=\"...\"/> for the partner's files, <push folder=\"...\"/> "
                    "for the answers, or both");
    if (pull) {
        copy_value(pull, "folder", s->pull_folder, sizeof s->pull_folder);
        copy_value(pull, "pattern", s->pattern, sizeof s->pattern);
        if (!s->pattern[0])
            snprintf(s->pattern, sizeof s->pattern, "*");
        s->interval_s = number_of(pull, "intervalSeconds", 60);
        char complete[16];
        copy_value(pull, "complete", complete, sizeof complete);
        s->complete = !strcmp(complete, "marker") ? PARTNER_SFTP_MARKER
                      : !strcmp(complete, "rename") ? PARTNER_SFTP_RENAME : PARTNER_SFTP_STABLE;
        copy_value(pull, "markerSuffix", s->marker_suffix, sizeof s->marker_suffix);
        copy_value(pull, "ignorePattern", s->ignore_pattern, sizeof s->ignore_pattern);
        copy_value(child(pull, "archive"), "folder", s->archive_folder, sizeof s->archive_folder);
        if (!s->pull_folder[0])
            check_error(c, "PARTNER-CHECK", pull, "<pull> names no folder: add folder=\"...\" "
                        "(the partner's outgoing folder on its server)");
        if (s->complete == PARTNER_SFTP_MARKER && !s->marker_suffix[0])
            check_error(c, "PARTNER-CHECK", pull, "complete=\"marker\" takes a file when NAME + "
                        "the marker suffix is there, but no markerSuffix is given: add "
                        "markerSuffix=\".ok\" (or what the partner writes)");
        if (s->complete != PARTNER_SFTP_MARKER && s->marker_suffix[0])
            check_error(c, "PARTNER-CHECK", pull, "markerSuffix is only used with "
                        "complete=\"marker\": add that or remove the suffix");
        if (s->complete == PARTNER_SFTP_RENAME && !s->ignore_pattern[0])
            check_error(c, "PARTNER-CHECK", pull, "complete=\"rename\" needs the names the "
                        "partner writes under before renaming: add ignorePattern=\"*.part\" (or "
                        "what the partner uses)");
        if (s->complete != PARTNER_SFTP_RENAME && s->ignore_pattern[0])
            check_error(c, "PARTNER-CHECK", pull, "ignorePattern is only used with "
                        "complete=\"rename\": add that or remove the pattern");
        if (s->archive_folder[0] && !strcmp(s->archive_folder, s->pull_folder))
            check_error(c, "PARTNER-CHECK", child(pull, "archive"), "the archive folder is the "
                        "pull folder (%s): archived files would be taken again", s->pull_folder);
    }
    if (push) {
        copy_value(push, "folder", s->push_folder, sizeof s->push_folder);
        copy_value(push, "tempSuffix", s->temp_suffix, sizeof s->temp_suffix);
        if (!s->temp_suffix[0])
            snprintf(s->temp_suffix, sizeof s->temp_suffix, ".part");
        if (!s->push_folder[0])
            check_error(c, "PARTNER-CHECK", push, "<push> names no folder: add folder=\"...\" "
                        "(where the partner picks up its answers)");
        else if (pull && !strcmp(s->push_folder, s->pull_folder))
            check_error(c, "PARTNER-CHECK", push, "the push folder is the pull folder (%s): the "
                        "gateway would read its own answers as documents from the partner",
                        s->push_folder);
    }
}

/* An address of the profile into `dst` when it is a plain local@domain (the schema lets
 * some through that a mail server would not take), else a finding at `n`. */
static void read_address(xmlNodePtr n, char *dst, checker *c)
{
    copy_value(n, NULL, dst, PARTNER_MAIL_ADDR);
    if (n && !mailer_address_ok(dst))
        check_error(c, "PARTNER-CHECK", n, "\"%s\" is not a plain mail address local@domain "
                    "(no name, no brackets, a domain with a dot)", dst);
}

/* The host part of an imap(s):// URL is the loopback interface. */
static bool loopback_url(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    return !strncmp(h, "127.", 4) || !strncmp(h, "[::1]", 5) ||
           (!strncmp(h, "localhost", 9) && (h[9] == ':' || h[9] == '/'));
}

static void read_mailbox(partner *p, xmlNodePtr box, const char *base, checker *c)
{
    partner_email *e = &p->email;
    copy_value(box, "url", e->mailbox_url, sizeof e->mailbox_url);
    copy_value(box, "user", e->mailbox_user, sizeof e->mailbox_user);
    copy_value(box, "done", e->mailbox_done, sizeof e->mailbox_done);
    if (!e->mailbox_done[0])
        snprintf(e->mailbox_done, sizeof e->mailbox_done, "Done");
    char path[PARTNER_PATH_MAX];
    copy_value(box, "passwordFile", path, sizeof path);
    if (!resolve_path(base, path, e->mailbox_password_file, PARTNER_PATH_MAX))
        check_error(c, "PARTNER-CHECK", box, "the password file's path is longer than %d "
                    "characters once resolved", PARTNER_PATH_MAX - 1);
    char plain[8];
    copy_value(box, "loopbackPlain", plain, sizeof plain);
    e->mailbox_loopback_plain = !strcmp(plain, "true") || !strcmp(plain, "1");
    if (e->mailbox_loopback_plain && !loopback_url(e->mailbox_url))
        check_error(c, "PARTNER-CHECK", box, "loopbackPlain=\"true\" reads a mailbox without "
                    "TLS only on this machine's loopback interface, and %s is not there: use "
                    "imaps:// (or imap:// with STARTTLS) and remove loopbackPlain",
                    e->mailbox_url);
    const char *host = strstr(e->mailbox_url, "://");
    const char *folder = host ? strchr(host + 3, '/') : NULL;
    if (folder && !strcmp(folder + 1, e->mailbox_done))
        check_error(c, "PARTNER-CHECK", box, "processed mails would be moved to the folder "
                    "they are read from (%s): name another folder in done=\"...\"",
                    e->mailbox_done);
}

static void read_email(partner *p, xmlNodePtr email, const char *base, checker *c)
{
    partner_email *e = &p->email;
    p->channel = PARTNER_CHANNEL_EMAIL;
    e->line = xmlGetLineNo(email);
    read_address(child(email, "address"), e->address, c);
    for (xmlNodePtr n = email->children; n; n = n->next) {
        if (is_partner_el(n, "to") && e->n_to < PARTNER_MAX_MAIL_RCPT)
            read_address(n, e->to[e->n_to++], c);
        else if (is_partner_el(n, "cc") && e->n_cc < PARTNER_MAX_MAIL_RCPT)
            read_address(n, e->cc[e->n_cc++], c);
    }
    read_address(child(email, "from"), e->from, c);
    copy_value(child(email, "fromName"), NULL, e->from_name, sizeof e->from_name);
    copy_value(child(email, "subjectPrefix"), NULL, e->subject_prefix, sizeof e->subject_prefix);
    char flag[8];
    copy_value(child(email, "replyOnFailure"), NULL, flag, sizeof flag);
    e->reply_on_failure = !strcmp(flag, "true") || !strcmp(flag, "1");
    xmlNodePtr box = child(email, "mailbox");
    if (box)
        read_mailbox(p, box, base, c);
}

/* ---- AS2 ---------------------------------------------------------------------------- */

static const char *const as2_digest_names[PARTNER_AS2_N_DIGESTS] = {
    "sha-1", "sha-256", "sha-384", "sha-512",
};

static const char *const as2_cipher_names[PARTNER_AS2_N_CIPHERS] = {
    "3des", "aes128-cbc", "aes192-cbc", "aes256-cbc", "aes128-gcm", "aes256-gcm",
};

const char *partner_as2_digest_name(partner_as2_digest d)
{
    return (unsigned)d < PARTNER_AS2_N_DIGESTS ? as2_digest_names[d] : "unknown";
}

const char *partner_as2_cipher_name(partner_as2_cipher c)
{
    return (unsigned)c < PARTNER_AS2_N_CIPHERS ? as2_cipher_names[c] : "unknown";
}

/* `name` lower-cased without '-', '_' and ' ' into out ("SHA_256" -> "sha256"); false when
 * it does not fit. */
static bool squeeze_name(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *s = name; *s; s++) {
        if (*s == '-' || *s == '_' || *s == ' ')
            continue;
        if (k + 1 >= n)
            return false;
        char ch = *s;
        out[k++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    out[k] = '\0';
    return k > 0;
}

bool partner_as2_digest_parse(const char *name, partner_as2_digest *out)
{
    char sq[24];
    if (!name || !squeeze_name(name, sq, sizeof sq))
        return false;
    const char *bare = !strncmp(sq, "rsa", 3) ? sq + 3 : sq;
    static const char *const squeezed[PARTNER_AS2_N_DIGESTS] = {
        "sha1", "sha256", "sha384", "sha512",
    };
    for (unsigned i = 0; i < PARTNER_AS2_N_DIGESTS; i++)
        if (!strcmp(bare, squeezed[i])) {
            *out = (partner_as2_digest)i;
            return true;
        }
    return false;
}

bool partner_as2_cipher_parse(const char *name, partner_as2_cipher *out)
{
    char sq[24];
    if (!name || !squeeze_name(name, sq, sizeof sq))
        return false;
    static const struct { const char *name; partner_as2_cipher c; } known[] = {
        { "3des", PARTNER_AS2_3DES }, { "desede3cbc", PARTNER_AS2_3DES },
        { "des3", PARTNER_AS2_3DES }, { "tripledes", PARTNER_AS2_3DES },
        { "aes128cbc", PARTNER_AS2_AES128_CBC }, { "aes128", PARTNER_AS2_AES128_CBC },
        { "aes192cbc", PARTNER_AS2_AES192_CBC }, { "aes192", PARTNER_AS2_AES192_CBC },
        { "aes256cbc", PARTNER_AS2_AES256_CBC }, { "aes256", PARTNER_AS2_AES256_CBC },
        { "aes128gcm", PARTNER_AS2_AES128_GCM }, { "aes256gcm", PARTNER_AS2_AES256_GCM },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(sq, known[i].name)) {
            *out = known[i].c;
            return true;
        }
    return false;
}

bool partner_as2_allows_digest(const partner *p, partner_as2_digest d)
{
    if (!p || p->channel != PARTNER_CHANNEL_AS2)
        return true;
    return (unsigned)d < PARTNER_AS2_N_DIGESTS && (p->as2.allowed_digests & (1u << d));
}

bool partner_as2_allows_cipher(const partner *p, partner_as2_cipher c)
{
    if (!p || p->channel != PARTNER_CHANNEL_AS2)
        return true;
    return (unsigned)c < PARTNER_AS2_N_CIPHERS && (p->as2.allowed_ciphers & (1u << c));
}

static bool flag_of(xmlNodePtr n, const char *attr, bool dflt)
{
    char text[8];
    copy_value(n, attr, text, sizeof text);
    if (!text[0])
        return dflt;
    return !strcmp(text, "true") || !strcmp(text, "1");
}

/* A space-separated list of digest (ciphers false) or cipher names into a bit mask; every
 * name that is unknown is a finding. Absent: every algorithm. */
static unsigned read_as2_list(xmlNodePtr n, const char *attr, bool ciphers, checker *c)
{
    char text[256];
    copy_value(n, attr, text, sizeof text);
    unsigned all = ciphers ? (1u << PARTNER_AS2_N_CIPHERS) - 1 : (1u << PARTNER_AS2_N_DIGESTS) - 1;
    if (!text[0])
        return all;
    unsigned mask = 0;
    for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        partner_as2_digest d;
        partner_as2_cipher ci;
        if (!ciphers && partner_as2_digest_parse(w, &d))
            mask |= 1u << d;
        else if (ciphers && partner_as2_cipher_parse(w, &ci))
            mask |= 1u << ci;
        else
            check_error(c, "PARTNER-CHECK", n, "%s names \"%s\", which is not a %s we know: use "
                        "%s", attr, w, ciphers ? "cipher" : "digest",
                        ciphers ? "3des, aes128-cbc, aes192-cbc, aes256-cbc, aes128-gcm or "
                                  "aes256-gcm"
                                : "sha-1, sha-256, sha-384 or sha-512");
    }
    return mask ? mask : all;
}

/* An http:// or https:// URL with a host. */
static bool http_url(const char *url)
{
    const char *rest = !strncmp(url, "https://", 8) ? url + 8
                       : !strncmp(url, "http://", 7) ? url + 7 : NULL;
    return rest && *rest && *rest != '/' && *rest != ':';
}

static void read_as2_cert(partner_as2 *a, xmlNodePtr n, const char *base, checker *c)
{
    partner_as2_cert *cert = &a->certs[a->n_certs++];
    cert->line = xmlGetLineNo(n);
    secret_path(n, "file", base, cert->file, c);
    char use[16];
    copy_value(n, "use", use, sizeof use);
    cert->signing = !use[0] || !strcmp(use, "both") || !strcmp(use, "signing");
    cert->encryption = !use[0] || !strcmp(use, "both") || !strcmp(use, "encryption");
}

static void read_as2(partner *p, xmlNodePtr as2, const char *base, checker *c)
{
    partner_as2 *a = &p->as2;
    p->channel = PARTNER_CHANNEL_AS2;
    a->line = xmlGetLineNo(as2);
    copy_value(as2, "url", a->url, sizeof a->url);
    copy_value(as2, "ourId", a->our_id, sizeof a->our_id);
    if (!http_url(a->url))
        check_error(c, "PARTNER-CHECK", as2, "the AS2 url \"%s\" is not an http:// or "
                    "https:// address with a host: give the partner's AS2 endpoint, e.g. "
                    "https://as2.partner.example/as2", a->url);
    if (!p->as2_id[0])
        check_error(c, "PARTNER-CHECK", as2, "the AS2 channel needs the partner's AS2 name: "
                    "add <identifiers><as2>ITS-AS2-ID</as2></identifiers>");
    else if (a->our_id[0] && !strcmp(a->our_id, p->as2_id))
        check_error(c, "PARTNER-CHECK", as2, "ourId is the partner's own AS2 name (%s): "
                    "messages to and from it could not be told apart", a->our_id);
    for (xmlNodePtr n = as2->children; n; n = n->next)
        if (is_partner_el(n, "certificate") && a->n_certs < PARTNER_AS2_MAX_CERTS)
            read_as2_cert(a, n, base, c);

    xmlNodePtr in = child(as2, "inbound");
    a->require_signed = flag_of(in, "requireSigned", true);
    a->require_encrypted = flag_of(in, "requireEncrypted", true);
    a->allowed_digests = read_as2_list(in, "digests", false, c);
    a->allowed_ciphers = read_as2_list(in, "ciphers", true, c);
    char text[40];
    copy_value(in, "maxBytes", text, sizeof text);
    a->max_bytes = text[0] ? (size_t)strtoull(text, NULL, 10) : 0;

    xmlNodePtr out = child(as2, "outbound");
    copy_value(out, "sign", text, sizeof text);
    a->sign = strcmp(text, "none") != 0;
    a->sign_digest = PARTNER_AS2_SHA256;
    if (a->sign && text[0] && !partner_as2_digest_parse(text, &a->sign_digest))
        check_error(c, "PARTNER-CHECK", out, "sign=\"%s\" is not a digest we know: use sha-256, "
                    "sha-384, sha-512 or none", text);
    else if (a->sign && a->sign_digest == PARTNER_AS2_SHA1)
        check_error(c, "PARTNER-CHECK", out, "sign=\"%s\": SHA-1 is accepted from partners "
                    "but no longer used for our signatures: use sha-256 (or sha-384, sha-512)",
                    text);
    copy_value(out, "signature", text, sizeof text);
    a->signature = !strcmp(text, "pss") ? PARTNER_AS2_SIG_PSS : PARTNER_AS2_SIG_PKCS1;
    copy_value(out, "encrypt", text, sizeof text);
    a->encrypt = strcmp(text, "none") != 0;
    a->cipher = PARTNER_AS2_AES256_CBC;
    if (a->encrypt && text[0] && !partner_as2_cipher_parse(text, &a->cipher))
        check_error(c, "PARTNER-CHECK", out, "encrypt=\"%s\" is not a cipher we know: use "
                    "3des, aes128-cbc, aes192-cbc, aes256-cbc, aes128-gcm, aes256-gcm or none",
                    text);
    copy_value(out, "keyTransport", text, sizeof text);
    a->key_transport = !strcmp(text, "oaep") ? PARTNER_AS2_KT_OAEP : PARTNER_AS2_KT_PKCS1;
    copy_value(out, "compress", text, sizeof text);
    a->compress = !strcmp(text, "before-signing") ? PARTNER_AS2_COMPRESS_BEFORE_SIGN
                  : !strcmp(text, "after-signing") ? PARTNER_AS2_COMPRESS_AFTER_SIGN
                                                   : PARTNER_AS2_COMPRESS_NONE;
    if (a->compress == PARTNER_AS2_COMPRESS_AFTER_SIGN && !a->sign)
        check_error(c, "PARTNER-CHECK", out, "compress=\"after-signing\" but sign=\"none\": "
                    "write compress=\"before-signing\" for unsigned messages");
    copy_value(out, "transferEncoding", text, sizeof text);
    a->base64 = !strcmp(text, "base64");
    a->chunked = flag_of(out, "chunked", false);
    copy_value(out, "subject", a->subject, sizeof a->subject);

    size_t n_signing = 0, n_encryption = 0;
    for (size_t i = 0; i < a->n_certs; i++) {
        n_signing += a->certs[i].signing;
        n_encryption += a->certs[i].encryption;
    }
    if (a->encrypt && n_encryption == 0)
        check_error(c, "PARTNER-CHECK", out ? out : as2, "messages to the partner are "
                    "encrypted (encrypt=\"%s\") but no certificate of the partner is there to "
                    "encrypt to: add <certificate file=\"...\" use=\"encryption\"/> (or "
                    "use=\"both\"), or encrypt=\"none\"", partner_as2_cipher_name(a->cipher));
    if (a->require_signed && n_signing == 0)
        check_error(c, "PARTNER-CHECK", in ? in : as2, "the partner's messages must be signed "
                    "(requireSigned) but no certificate of the partner is there to verify them: "
                    "add <certificate file=\"...\" use=\"signing\"/> (or use=\"both\"), or "
                    "requireSigned=\"false\"");

    xmlNodePtr mdn = child(as2, "mdn");
    copy_value(mdn, "mode", text, sizeof text);
    a->mdn = !strcmp(text, "async") ? PARTNER_AS2_MDN_ASYNC
             : !strcmp(text, "none") ? PARTNER_AS2_MDN_NONE : PARTNER_AS2_MDN_SYNC;
    a->mdn_signed = flag_of(mdn, "signed", true);
    copy_value(mdn, "micalg", text, sizeof text);
    a->mdn_digest = PARTNER_AS2_SHA256;
    if (text[0] && !partner_as2_digest_parse(text, &a->mdn_digest))
        check_error(c, "PARTNER-CHECK", mdn, "micalg=\"%s\" is not a digest we know: use "
                    "sha-256, sha-384, sha-512 or sha-1", text);
    copy_value(mdn, "url", a->mdn_url, sizeof a->mdn_url);
    if (a->mdn_url[0] && !http_url(a->mdn_url))
        check_error(c, "PARTNER-CHECK", mdn, "the MDN url \"%s\" is not an http:// or https:// "
                    "address with a host", a->mdn_url);
    if (a->mdn_url[0] && a->mdn != PARTNER_AS2_MDN_ASYNC)
        check_error(c, "PARTNER-CHECK", mdn, "url is where the partner posts an asynchronous "
                    "MDN, but mode is not async: add mode=\"async\" or remove the url");
    if (a->mdn_signed && a->mdn != PARTNER_AS2_MDN_NONE && n_signing == 0)
        check_error(c, "PARTNER-CHECK", mdn ? mdn : as2, "a signed MDN is asked for but no "
                    "certificate of the partner is there to verify it: add <certificate "
                    "file=\"...\" use=\"signing\"/>, or signed=\"false\"");
    a->mdn_timeout_s = number_of(mdn, "timeoutSeconds", 0);

    xmlNodePtr retry = child(as2, "retry");
    a->retries = number_of(retry, "attempts", 5);
    a->retry_delay_s = number_of(retry, "delaySeconds", 60);

    xmlNodePtr tls = child(as2, "tls");
    secret_path(tls, "ca", base, a->tls_ca_file, c);
    secret_path(tls, "certificate", base, a->tls_cert_file, c);
    secret_path(tls, "key", base, a->tls_key_file, c);
    if (!a->tls_cert_file[0] != !a->tls_key_file[0])
        check_error(c, "PARTNER-CHECK", tls, "a TLS client certificate needs both certificate "
                    "and key: give %s too", a->tls_cert_file[0] ? "key" : "certificate");
    if (tls && strncmp(a->url, "https://", 8) != 0)
        check_error(c, "PARTNER-CHECK", tls, "<tls> is only used with an https:// url, and the "
                    "AS2 url is %s: use https:// or remove <tls>", a->url);
}

static void read_directory(partner *p, xmlNodePtr dir, const char *base, checker *c)
{
    p->channel = PARTNER_CHANNEL_DIRECTORY;
    xmlNodePtr box[2] = { child(dir, "inbox"), child(dir, "outbox") };
    char *dst[2] = { p->inbox, p->outbox };
    long *lines[2] = { &p->lines.inbox, &p->lines.outbox };
    for (int i = 0; i < 2; i++) {
        if (!box[i])
            continue;
        char path[PARTNER_PATH_MAX];
        copy_value(box[i], NULL, path, sizeof path);
        *lines[i] = xmlGetLineNo(box[i]);
        if (!resolve_path(base, path, dst[i], PARTNER_PATH_MAX))
            check_error(c, "PARTNER-CHECK", box[i], "the folder's path is longer than %d "
                        "characters once resolved", PARTNER_PATH_MAX - 1);
    }
    if (!box[0] && !box[1])
        check_error(c, "PARTNER-CHECK", dir, "the directory channel names neither an <inbox> "
                    "nor an <outbox>: add the folders or remove the channel");
    else if (p->inbox[0] && !strcmp(p->inbox, p->outbox))
        check_error(c, "PARTNER-CHECK", box[1], "the outbox is the inbox (%s): the gateway would "
                    "read its own answers as documents from the partner", p->inbox);
}

static void read_channel(partner *p, xmlNodePtr channel, const char *base, checker *c)
{
    xmlNodePtr n;
    if ((n = child(channel, "directory")))
        read_directory(p, n, base, c);
    else if ((n = child(channel, "sftp")))
        read_sftp(p, n, base, c);
    else if ((n = child(channel, "email")))
        read_email(p, n, base, c);
    else if ((n = child(channel, "as2")))
        read_as2(p, n, base, c);
}

/* A partner that gets answers needs a channel that can take them. */
static void check_answer_channel(const partner *p, xmlNodePtr answers, checker *c)
{
    switch (p->channel) {
    case PARTNER_CHANNEL_EMAIL:
        if (!p->email.n_to && !p->email.address[0])
            check_error(c, "PARTNER-CHECK", answers, "the partner gets answers by mail but "
                        "has no recipient: add <channel><email><to>");
        break;
    case PARTNER_CHANNEL_AS2:
        break; /* answers are POSTed to the url, which the channel requires */
    case PARTNER_CHANNEL_SFTP:
    case PARTNER_CHANNEL_DIRECTORY:
    case PARTNER_CHANNEL_NONE:
        if (!p->outbox[0] && !p->sftp.push_folder[0])
            check_error(c, "PARTNER-CHECK", answers, "the partner gets answers but has no "
                        "outbox to send them through: add <channel><directory><outbox> or "
                        "<channel><sftp><push folder=\"...\"/>");
        break;
    }
}

static void read_approval(partner *p, xmlNodePtr approval, checker *c)
{
    xmlNodePtr above = child(approval, "above");
    if (child(approval, "always"))
        p->approval = PARTNER_APPROVAL_ALWAYS;
    else if (child(approval, "requisitionerOrders"))
        p->approval = PARTNER_APPROVAL_REQUISITIONERS;
    else if (above) {
        p->approval = PARTNER_APPROVAL_ABOVE;
        copy_value(above, "amount", p->approval_amount, sizeof p->approval_amount);
        copy_value(above, "currency", p->approval_currency, sizeof p->approval_currency);
        decimal d;
        char why[128];
        if (decimal_parse(p->approval_amount, &d, why, sizeof why) != EDI_OK)
            check_error(c, "PARTNER-CHECK", above, "the amount %s cannot be read: %s",
                        p->approval_amount, why);
        else if (d.units == 0)
            check_error(c, "PARTNER-CHECK", above, "orders above 0 is every order: write "
                        "<always/> instead, or give the amount that needs approval");
    }
}

/* The tree was validated: every value has the form the schema gives it. `base` is the
 * profile's folder made absolute, for the paths the gateway uses. */
static edi_result read_profile(partner *p, xmlNodePtr root, const char *folder, const char *base,
                               checker *c)
{
    copy_value(root, "id", p->id, sizeof p->id);
    p->lines.id = xmlGetLineNo(root);
    copy_value(child(root, "name"), NULL, p->name, sizeof p->name);
    copy_value(child(root, "customer"), NULL, p->customer, sizeof p->customer);
    read_identifiers(p, child(root, "identifiers"), base, c);
    edi_result r = EDI_OK;
    xmlNodePtr in = child(root, "inbound");
    xmlNodePtr first[N_FORMATS] = { NULL };
    read_accepts(p, in, first, c);
    char mode[16];
    copy_value(child(in, "opentrans"), "mode", mode, sizeof mode);
    p->opentrans_strict = !strcmp(mode, "strict");
    copy_value(child(in, "charset"), NULL, p->charset, sizeof p->charset);
    for (xmlNodePtr n = in ? in->children : NULL; n && r == EDI_OK; n = n->next)
        if (is_partner_el(n, "stylesheet"))
            r = add_style(p, folder, n, true);
    xmlNodePtr out = child(root, "outbound");
    partner_edifact outbound = { 0 };
    read_edifact(child(out, "edifact"), &outbound);
    set_edifact(p, &outbound);
    for (xmlNodePtr n = out ? out->children : NULL; n && r == EDI_OK; n = n->next)
        if (is_partner_el(n, "stylesheet"))
            r = add_style(p, folder, n, false);
    xmlNodePtr answers = child(root, "answers");
    read_answers(p, answers, &outbound, c);
    read_channel(p, child(root, "channel"), base, c);
    read_approval(p, child(root, "approval"), c);
    xmlNodePtr maps = child(root, "codeMaps");
    static const struct { const char *el; partner_map_kind kind; } map_els[] = {
        { "unit", PARTNER_MAP_UNIT }, { "reference", PARTNER_MAP_REFERENCE },
        { "date", PARTNER_MAP_DATE }, { "party", PARTNER_MAP_PARTY },
    };
    for (xmlNodePtr n = maps ? maps->children : NULL; n && r == EDI_OK; n = n->next)
        for (size_t k = 0; k < sizeof map_els / sizeof map_els[0]; k++)
            if (is_partner_el(n, map_els[k].el))
                r = add_map(p, n, map_els[k].kind);

    /* What the profile accepts must be traceable to it. */
    if (first[PARTNER_FORMAT_EDIFACT_ORDERS] && !p->n_unb)
        check_error(c, "PARTNER-CHECK", first[PARTNER_FORMAT_EDIFACT_ORDERS], "the partner "
                    "sends EDIFACT orders but has no <unb> identifier: its interchanges would "
                    "come from an unknown sender; add <identifiers><unb id=\"...\" "
                    "qualifier=\"...\"/>");
    if (first[PARTNER_FORMAT_OPENTRANS_ORDER] && !p->opentrans_id[0] && !p->gln[0])
        check_error(c, "PARTNER-CHECK", first[PARTNER_FORMAT_OPENTRANS_ORDER], "the partner "
                    "sends openTRANS orders but has neither an <opentrans> party id nor a <gln> "
                    "to recognise them by");
    if (first[PARTNER_FORMAT_WEB_ORDER] && p->api_key_kind == PARTNER_KEY_NONE)
        check_error(c, "PARTNER-CHECK", first[PARTNER_FORMAT_WEB_ORDER], "the partner sends "
                    "web orders but has no API key: add <apiKeyEnv> or <apiKeyFile> to "
                    "<identifiers>");
    if (p->contrl_wanted && !first[PARTNER_FORMAT_EDIFACT_ORDERS])
        check_error(c, "PARTNER-CHECK", child(answers, "contrl"), "CONTRL answers EDIFACT "
                    "interchanges, but the partner sends none: add <accept "
                    "format=\"edifact-orders\"/> to <inbound> or remove <contrl/>");
    if (p->order_response[0] || p->despatch[0] || p->invoice[0])
        check_answer_channel(p, answers, c);
    return r;
}

/* The folder part of `file` ("." when there is none). */
static char *folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(".");
    size_t n = slash == file ? 1 : (size_t)(slash - file);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, file, n);
        d[n] = '\0';
    }
    return d;
}

edi_result partner_load(mapping_ctx *m, const char *schema_path, const char *file,
                        partner **out, doc_findings *findings, char *why, size_t why_n)
{
    if (!m || !schema_path || !file || !out || !findings)
        return EDI_E_ARG;
    *out = NULL;
    xmlDocPtr doc = NULL;
    char reason[512] = "";
    edi_result r = edi_xml_parse_file(file, &doc, reason, sizeof reason);
    if (r != EDI_OK) {
        long line = 0;
        if (sscanf(reason, "line %ld:", &line) != 1)
            line = 0;
        if (r == EDI_E_XML || r == EDI_E_LIMIT) {
            doc_findings_add(findings, DOC_ERROR, "PARTNER", line, file, "%s", reason);
            edi_say(why, why_n, "the partner profile %s is refused: %s", file, reason);
            return EDI_E_XML;
        }
        edi_say(why, why_n, "the partner profile %s cannot be read: %s", file, reason);
        return r;
    }
    size_t before = findings->count;
    char sentence[512] = "";
    r = mapping_schema_check(m, schema_path, doc, DOC_ERROR, "PARTNER", findings, sentence,
                             sizeof sentence);
    /* The schema's findings name the element; the file is what the user has to open. */
    for (size_t i = before; i < findings->count; i++) {
        doc_finding *f = &findings->items[i];
        char where[512];
        int n = snprintf(where, sizeof where, "%s%s%s", file, f->where[0] ? " " : "", f->where);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof f->where ? (size_t)n : sizeof f->where - 1;
        memcpy(f->where, where, len);
        f->where[len] = '\0';
    }
    if (r != EDI_OK) {
        xmlFreeDoc(doc);
        if (r == EDI_E_XML) {
            const doc_finding *first = findings->count > before ? &findings->items[before] : NULL;
            edi_say(why, why_n, "the partner profile %s is refused: line %ld: %s", file,
                    first ? first->line : 0L, first ? first->text : sentence);
        } else {
            edi_say(why, why_n, "the partner profile %s cannot be checked: %s", file, sentence);
        }
        return r;
    }
    partner *p = calloc(1, sizeof *p);
    char *folder = folder_of(file);
    char base[PATH_MAX];
    if (folder && !realpath(folder, base))
        snprintf(base, sizeof base, "%s", folder);
    if (p)
        p->file = strdup(file);
    checker c = { file, findings, 0 };
    before = findings->count;
    r = p && folder && p->file ? read_profile(p, xmlDocGetRootElement(doc), folder, base, &c)
                               : EDI_E_NOMEM;
    free(folder);
    xmlFreeDoc(doc);
    if (r != EDI_OK) {
        partner_free(p);
        edi_say(why, why_n, "out of memory reading the partner profile %s", file);
        return r;
    }
    if (c.errors) {
        const doc_finding *first = findings->count > before ? &findings->items[before] : NULL;
        edi_say(why, why_n, "the partner profile %s is refused: line %ld: %s", file,
                first ? first->line : 0L, first ? first->text : "it does not pass the checks");
        partner_free(p);
        return EDI_E_XML;
    }
    *out = p;
    return EDI_OK;
}

static bool plain_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64 || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

edi_result partner_find(mapping_ctx *m, const char *schema_path, const char *dir,
                        const char *id, partner **out, doc_findings *findings, char *why,
                        size_t why_n)
{
    if (!dir || !id)
        return EDI_E_ARG;
    if (!plain_id(id)) {
        edi_say(why, why_n, "\"%.64s\" is not a partner id: ids are letters, digits, '_', '-' and "
                "'.', not starting with '.'", id);
        return EDI_E_ARG;
    }
    size_t len = strlen(dir) + strlen(id) + 6;
    char *file = malloc(len);
    if (!file) {
        edi_say(why, why_n, "out of memory");
        return EDI_E_NOMEM;
    }
    snprintf(file, len, "%s/%s.xml", dir, id);
    edi_result r = partner_load(m, schema_path, file, out, findings, why, why_n);
    free(file);
    return r;
}

const char *partner_stylesheet_path(const partner *p, bool inbound, const char *key)
{
    for (size_t i = 0; p && key && i < p->n_styles; i++)
        if (p->styles[i].inbound == inbound && !strcmp(p->styles[i].key, key))
            return p->styles[i].path;
    return NULL;
}


bool partner_accepts(const partner *p, const char *format, const char *version)
{
    for (size_t i = 0; p && format && i < p->n_accepts; i++)
        if (!strcmp(partner_format_name(p->accepts[i].format), format) &&
            (!version || !version[0] || !p->accepts[i].version[0] ||
             !strcmp(p->accepts[i].version, version)))
            return true;
    return false;
}

const char *partner_answer_target(const partner *p, partner_answer a)
{
    if (!p)
        return "";
    switch (a) {
    case PARTNER_ANSWER_ORDER_RESPONSE: return p->order_response;
    case PARTNER_ANSWER_DESPATCH: return p->despatch;
    case PARTNER_ANSWER_INVOICE: return p->invoice;
    default: return "";
    }
}

void partner_answer_view(const partner *p, partner_answer a, partner *view)
{
    *view = *p;
    if ((unsigned)a < PARTNER_N_ANSWERS)
        set_edifact(view, &p->answer_edifact[a]);
}
/* ---- code maps ------------------------------------------------------------------- */

static const partner_map *find_map(const partner *p, partner_map_kind kind, unsigned direction,
                                   const char *value, bool by_canonical)
{
    for (size_t i = 0; value && i < p->n_maps; i++) {
        const partner_map *m = &p->maps[i];
        if (m->kind == kind && (m->directions & direction) &&
            !strcmp(by_canonical ? m->canonical : m->code, value))
            return m;
    }
    return NULL;
}

static bool is_canonical(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, MAPPING_CANONICAL_NS);
}

typedef struct {
    const partner *p;
    size_t changed;
    edi_result r;
} walk;

static void set_attr(walk *w, xmlNodePtr n, const char *name, const char *value)
{
    xmlChar *old = xmlGetProp(n, BAD_CAST name);
    bool same = old && !strcmp((const char *)old, value);
    xmlFree(old);
    if (same)
        return;
    if (!xmlSetProp(n, BAD_CAST name, BAD_CAST value))
        w->r = EDI_E_NOMEM;
    else
        w->changed++;
}

/* One unit pair (@unit/@unitAsSent or @basisUnit/@basisUnitAsSent) inbound. */
static void unit_in(walk *w, xmlNodePtr n, const char *unit, const char *as_sent)
{
    xmlChar *sent = xmlGetProp(n, BAD_CAST as_sent);
    if (!sent)
        sent = xmlGetProp(n, BAD_CAST unit);
    const partner_map *m = find_map(w->p, PARTNER_MAP_UNIT, PARTNER_IN, (const char *)sent, false);
    if (m) {
        set_attr(w, n, unit, m->canonical);
        set_attr(w, n, as_sent, (const char *)sent);
    }
    xmlFree(sent);
}

static void unit_out(walk *w, xmlNodePtr n, const char *unit, const char *as_sent)
{
    xmlChar *rec20 = xmlGetProp(n, BAD_CAST unit);
    const partner_map *m = find_map(w->p, PARTNER_MAP_UNIT, PARTNER_OUT, (const char *)rec20, true);
    if (m) {
        set_attr(w, n, unit, m->code);
        set_attr(w, n, as_sent, m->code);
    }
    xmlFree(rec20);
}

static void qualifier_in(walk *w, xmlNodePtr n, partner_map_kind kind, const char *attr)
{
    xmlChar *q = xmlGetProp(n, BAD_CAST "qualifier");
    const partner_map *m = find_map(w->p, kind, PARTNER_IN, (const char *)q, false);
    if (m)
        set_attr(w, n, attr, m->canonical);
    xmlFree(q);
}

static void walk_tree(walk *w, xmlNodePtr n, bool inbound)
{
    for (; n && w->r == EDI_OK; n = n->next) {
        if (!is_canonical(n))
            continue;
        const char *name = (const char *)n->name;
        /* Extensions hold what was received as it came: never rewritten. */
        if (!strcmp(name, "extension"))
            continue;
        if (inbound) {
            unit_in(w, n, "unit", "unitAsSent");
            unit_in(w, n, "basisUnit", "basisUnitAsSent");
            if (!strcmp(name, "reference"))
                qualifier_in(w, n, PARTNER_MAP_REFERENCE, "kind");
            else if (!strcmp(name, "date"))
                qualifier_in(w, n, PARTNER_MAP_DATE, "role");
            else if (!strcmp(name, "party"))
                qualifier_in(w, n, PARTNER_MAP_PARTY, "role");
        } else {
            unit_out(w, n, "unit", "unitAsSent");
            unit_out(w, n, "basisUnit", "basisUnitAsSent");
        }
        walk_tree(w, n->children, inbound);
    }
}

static edi_result apply_maps(const partner *p, xmlDocPtr doc, size_t *changed, bool inbound)
{
    if (changed)
        *changed = 0;
    if (!p || !p->n_maps)
        return EDI_OK;
    if (!doc)
        return EDI_E_ARG;
    walk w = { p, 0, EDI_OK };
    walk_tree(&w, xmlDocGetRootElement(doc), inbound);
    if (changed)
        *changed = w.changed;
    return w.r;
}

edi_result partner_map_inbound(const partner *p, xmlDocPtr doc, size_t *changed)
{
    return apply_maps(p, doc, changed, true);
}

edi_result partner_map_outbound(const partner *p, xmlDocPtr doc, size_t *changed)
{
    return apply_maps(p, doc, changed, false);
}

/* ---- every profile of a folder ---------------------------------------------------- */

struct partner_set {
    partner **items;
    size_t count;
};

void partner_set_free(partner_set *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->count; i++)
        partner_free(ps->items[i]);
    free(ps->items);
    free(ps);
}

size_t partner_set_count(const partner_set *ps)
{
    return ps ? ps->count : 0;
}

const partner *partner_set_at(const partner_set *ps, size_t i)
{
    return ps && i < ps->count ? ps->items[i] : NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The profile file names in `dir` (<something>.xml, not hidden, regular files), sorted.
 * NULL with *n 0 and EDI_OK in *r when there are none; EDI_E_IO or EDI_E_NOMEM in *r. */
static char **profile_names(const char *dir, size_t *n, edi_result *r, char *why, size_t why_n)
{
    *n = 0;
    *r = EDI_OK;
    DIR *d = opendir(dir);
    if (!d) {
        edi_say(why, why_n, "the partner folder %s cannot be read: %s", dir, strerror(errno));
        *r = EDI_E_IO;
        return NULL;
    }
    char **names = NULL;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml"))
            continue;
        char path[PATH_MAX];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) {
                *r = EDI_E_NOMEM;
                break;
            }
            names = grown;
        }
        if (!(names[*n] = strdup(e->d_name))) {
            *r = EDI_E_NOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (*r != EDI_OK) {
        for (size_t i = 0; i < *n; i++)
            free(names[i]);
        free(names);
        *n = 0;
        edi_say(why, why_n, "out of memory listing the partner folder %s", dir);
        return NULL;
    }
    if (*n)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

/* Checks of one loaded profile that need its surroundings: its file name and stylesheets. */
static bool fits_folder(const partner *p, const char *name, doc_findings *findings)
{
    bool ok = true;
    size_t len = strlen(name) - 4;
    if (strlen(p->id) != len || strncmp(p->id, name, len)) {
        doc_findings_add(findings, DOC_ERROR, "PARTNER-FILE", p->lines.id, p->file,
                         "the profile's id is \"%s\" but its file is %s: the file of a profile "
                         "is <id>.xml, so rename the file or change the id", p->id, name);
        ok = false;
    }
    for (size_t i = 0; i < p->n_styles; i++)
        if (access(p->styles[i].path, R_OK) != 0) {
            doc_findings_add(findings, DOC_ERROR, "PARTNER-CHECK", p->styles[i].line, p->file,
                             "the stylesheet %s cannot be read (%s)", p->styles[i].path,
                             strerror(errno));
            ok = false;
        }
    return ok;
}

static void duplicate(doc_findings *findings, const partner *first, long first_line,
                      const partner *second, long line, const char *what, const char *value)
{
    doc_findings_add(findings, DOC_ERROR, "PARTNER-DUPLICATE", line, second->file,
                     "%s %s is claimed by %s too (%s line %ld): documents could not be told "
                     "apart, so neither profile is used until one of them changes",
                     what, value, first->id, first->file, first_line);
}

/* Report every identifier `b` shares with `a` (a comes first); true when there is one. */
static bool clash(const partner *a, const partner *b, doc_findings *f)
{
    size_t before = f->count + f->dropped;
    for (size_t i = 0; i < a->n_unb; i++)
        for (size_t j = 0; j < b->n_unb; j++)
            if (unb_overlap(&a->unb[i], &b->unb[j])) {
                char v[48];
                snprintf(v, sizeof v, "%s%s%s", b->unb[j].id, b->unb[j].qualifier[0] ? ":" : "",
                         b->unb[j].qualifier);
                duplicate(f, a, a->unb[i].line, b, b->unb[j].line, "the UNB id", v);
            }
    if (a->gln[0] && !strcmp(a->gln, b->gln))
        duplicate(f, a, a->lines.gln, b, b->lines.gln, "the GLN", b->gln);
    if (a->as2_id[0] && !strcmp(a->as2_id, b->as2_id))
        duplicate(f, a, a->lines.as2_id, b, b->lines.as2_id, "the AS2 id", b->as2_id);
    if (a->opentrans_id[0] && !strcmp(a->opentrans_id, b->opentrans_id))
        duplicate(f, a, a->lines.opentrans_id, b, b->lines.opentrans_id, "the openTRANS party id",
                  b->opentrans_id);
    if (a->api_key_kind != PARTNER_KEY_NONE && a->api_key_kind == b->api_key_kind &&
        !strcmp(a->api_key_ref, b->api_key_ref))
        duplicate(f, a, a->lines.api_key, b, b->lines.api_key, "the API key",
                  b->api_key_ref);
    if (a->inbox[0] && !strcmp(a->inbox, b->inbox))
        duplicate(f, a, a->lines.inbox, b, b->lines.inbox, "the inbox", b->inbox);
    if (a->outbox[0] && !strcmp(a->outbox, b->inbox))
        duplicate(f, a, a->lines.outbox, b, b->lines.inbox, "the folder (outbox there, inbox "
                  "here)", b->inbox);
    if (a->inbox[0] && !strcmp(a->inbox, b->outbox))
        duplicate(f, a, a->lines.inbox, b, b->lines.outbox, "the folder (inbox there, outbox "
                  "here)", b->outbox);
    return f->count + f->dropped > before;
}

partner_set *partner_set_load(mapping_ctx *m, const char *schema_path, const char *dir,
                              doc_findings *findings, char *why, size_t why_n)
{
    if (!m || !schema_path || !dir || !findings) {
        edi_say(why, why_n, "partner_set_load needs a mapping context, the schema, a folder "
                "and a findings list");
        return NULL;
    }
    size_t n = 0;
    edi_result r;
    char **names = profile_names(dir, &n, &r, why, why_n);
    if (r != EDI_OK)
        return NULL;
    partner_set *ps = calloc(1, sizeof *ps);
    partner **loaded = n ? calloc(n, sizeof *loaded) : NULL;
    bool *refused = n ? calloc(n, sizeof *refused) : NULL;
    if (!ps || (n && (!loaded || !refused)))
        r = EDI_E_NOMEM;
    for (size_t i = 0; i < n && r == EDI_OK; i++) {
        char path[PATH_MAX], reason[1024] = "";
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t before = findings->count + findings->dropped;
        edi_result one = partner_load(m, schema_path, path, &loaded[i], findings, reason,
                                      sizeof reason);
        if (one == EDI_E_NOMEM)
            r = one;
        else if (one == EDI_OK && !fits_folder(loaded[i], names[i], findings))
            refused[i] = true;
        else if (one != EDI_OK && findings->count + findings->dropped == before)
            /* unreadable (EDI_E_IO) or a schema that cannot be compiled: still a finding */
            doc_findings_add(findings, DOC_ERROR, "PARTNER-FILE", 0, path, "%s", reason);
    }
    for (size_t j = 0; j < n && r == EDI_OK; j++)
        for (size_t i = 0; i < j && loaded[j]; i++)
            if (loaded[i] && clash(loaded[i], loaded[j], findings))
                refused[i] = refused[j] = true;
    if (r == EDI_OK && n && !(ps->items = calloc(n, sizeof *ps->items)))
        r = EDI_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (r == EDI_OK && loaded[i] && !refused[i])
            ps->items[ps->count++] = loaded[i];
        else
            partner_free(loaded[i]);
        free(names[i]);
    }
    free(names);
    free(loaded);
    free(refused);
    if (r != EDI_OK) {
        partner_set_free(ps);
        edi_say(why, why_n, "out of memory loading the partner profiles of %s", dir);
        return NULL;
    }
    return ps;
}

const partner *partner_set_by_id(const partner_set *ps, const char *id)
{
    for (size_t i = 0; ps && id && id[0] && i < ps->count; i++)
        if (!strcmp(ps->items[i]->id, id))
            return ps->items[i];
    return NULL;
}

const partner *partner_set_by_unb(const partner_set *ps, const char *id, const char *qualifier)
{
    partner_unb want = { .qualifier = "" };
    if (!id || !id[0] || strlen(id) >= sizeof want.id ||
        (qualifier && strlen(qualifier) >= sizeof want.qualifier))
        return NULL;
    strcpy(want.id, id);
    if (qualifier)
        strcpy(want.qualifier, qualifier);
    for (size_t i = 0; ps && i < ps->count; i++)
        for (size_t k = 0; k < ps->items[i]->n_unb; k++)
            if (unb_overlap(&ps->items[i]->unb[k], &want))
                return ps->items[i];
    return NULL;
}

/* The profile whose field at `offset` (a char array) equals `value`. */
static const partner *by_field(const partner_set *ps, size_t offset, const char *value)
{
    for (size_t i = 0; ps && value && value[0] && i < ps->count; i++)
        if (!strcmp((const char *)ps->items[i] + offset, value))
            return ps->items[i];
    return NULL;
}

const partner *partner_set_by_gln(const partner_set *ps, const char *gln)
{
    return by_field(ps, offsetof(partner, gln), gln);
}

const partner *partner_set_by_opentrans_id(const partner_set *ps, const char *party_id)
{
    return by_field(ps, offsetof(partner, opentrans_id), party_id);
}

const partner *partner_set_by_as2_id(const partner_set *ps, const char *as2_id)
{
    return by_field(ps, offsetof(partner, as2_id), as2_id);
}

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

static void read_sftp(partner *p, xmlNodePtr sftp, const char *base, checker *c)
{
    (void)base;
    (void)c;
    p->channel = PARTNER_CHANNEL_SFTP;
    copy_value(child(sftp, "host"), NULL, p->sftp.host, sizeof p->sftp.host);
}

static void read_email(partner *p, xmlNodePtr email, const char *base, checker *c)
{
    (void)base;
    (void)c;
    p->channel = PARTNER_CHANNEL_EMAIL;
    copy_value(child(email, "address"), NULL, p->email.address, sizeof p->email.address);
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
    if ((p->order_response[0] || p->despatch[0] || p->invoice[0]) && !p->outbox[0])
        check_error(c, "PARTNER-CHECK", answers, "the partner gets answers but has no outbox to "
                    "send them through: add <channel><directory><outbox>");
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

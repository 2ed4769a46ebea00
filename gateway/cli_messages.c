/* cli_messages.c: `gateway messages list|show`, `gateway reprocess [--edited FILE]` and
 * `gateway resend` (cli_messages.h). */
#include "cli_messages.h"

#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli_common.h"
#include "edi_buf.h"
#include "mapping.h"
#include "message_tree.h"
#include "partner.h"
#include "pipeline.h"
#include "store_orders.h"

void cli_config_refused(const char *cmd, const doc_findings *f, const char *why)
{
    fprintf(stderr, "%s: %s\n", cmd, why);
    if (f->count > 1)
        doc_findings_print(f, stderr, false, NULL);
}

bool cli_open_store(const char *cmd, const char *config_option, gateway_config **cfg,
                    store **s, content_store **cs)
{
    doc_findings f;
    doc_findings_init(&f);
    char why[640] = "";
    *cfg = NULL;
    if (config_load(config_path(config_option), NULL, cfg, &f, why, sizeof why) != EDI_OK) {
        cli_config_refused(cmd, &f, why);
        doc_findings_free(&f);
        return false;
    }
    doc_findings_free(&f);
    if (s && !(*s = store_open_sqlite((*cfg)->database, why, sizeof why))) {
        fprintf(stderr, "%s: the database %s cannot be used: %s\n", cmd, (*cfg)->database, why);
        config_free(*cfg);
        return false;
    }
    if (cs && !(*cs = content_store_open((*cfg)->content_dir, why, sizeof why))) {
        fprintf(stderr, "%s: the content store %s cannot be used: %s\n", cmd,
                (*cfg)->content_dir, why);
        if (s)
            store_close(*s);
        config_free(*cfg);
        return false;
    }
    return true;
}

/* "2026-11-26T09:15:02Z" for Unix milliseconds. */
static void when(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --since: an ISO date (2026-11-26), date and time (2026-11-26T09:00[:00][Z], UTC), or a
 * duration back from now (90s, 15m, 2h, 3d). False when it is none of these. */
static bool parse_since(const char *arg, int64_t *ms)
{
    char *end = NULL;
    long long n = strtoll(arg, &end, 10);
    if (end && end != arg && n >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
        long long unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;
        *ms = store_now_ms() - n * unit * 1000;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h = 0, mi = 0, s = 0, used = 0;
    if (sscanf(arg, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return false;
    const char *rest = arg + used;
    if (*rest == 'T' || *rest == ' ') {
        int u2 = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &u2) != 2)
            return false;
        rest += 1 + u2;
        if (*rest == ':') {
            if (sscanf(rest + 1, "%2d%n", &s, &u2) != 1)
                return false;
            rest += 1 + u2;
        }
        if (*rest == 'Z')
            rest++;
    }
    if (*rest || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

static json_t *message_json(const store_message *m)
{
    char created[32], updated[32];
    when(m->created_ms, created, sizeof created);
    when(m->updated_ms, updated, sizeof updated);
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:s}",
                     "id", (json_int_t)m->id, "direction", m->direction == STORE_IN ? "in" : "out",
                     "partner", m->partner, "channel", m->channel, "filename", m->filename,
                     "content_id", m->content_id, "size", (json_int_t)m->size, "format", m->format,
                     "status", m->status, "status_reason", m->status_reason, "reference",
                     m->reference, "parent_id", (json_int_t)m->parent_id, "created", created,
                     "updated", updated);
}

typedef struct {
    bool json;
    json_t *array;
    size_t n;
} list_ctx;

static int print_one(void *ctx, const store_message *m)
{
    list_ctx *l = ctx;
    l->n++;
    if (l->json) {
        json_array_append_new(l->array, message_json(m));
        return 0;
    }
    char created[32];
    when(m->created_ms, created, sizeof created);
    printf("%-6" PRId64 " %-3s %-10s %-16s %-22s %-18s %s %s\n", m->id,
           m->direction == STORE_IN ? "in" : "out", m->status, m->partner[0] ? m->partner : "-",
           m->format[0] ? m->format : "-", m->reference[0] ? m->reference : "-", created,
           m->filename[0] ? m->filename : "-");
    if (!strcmp(m->status, STORE_STATUS_FAILED) && m->status_reason[0])
        printf("       reason: %s\n", m->status_reason);
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "status", required_argument, NULL, 's' },
        { "partner", required_argument, NULL, 'p' }, { "order", required_argument, NULL, 'o' },
        { "since", required_argument, NULL, 't' }, { "limit", required_argument, NULL, 'l' },
        { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    store_message_filter f = { .direction = -1 };
    bool json = false, help = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': f.status = optarg; break;
        case 'p': f.partner = optarg; break;
        case 'o': f.reference = optarg; break;
        case 'j': json = true; break;
        case 'h': help = true; break;
        case 'l': {
            char *end = NULL;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (!end || *end || n == 0) {
                fprintf(stderr, "gateway messages list: --limit takes a positive number\n");
                bad = true;
            }
            f.limit = (size_t)n;
            break;
        }
        case 't':
            if (!parse_since(optarg, &f.since_ms)) {
                fprintf(stderr, "gateway messages list: --since takes a date (2026-11-26), a "
                        "UTC date and time (2026-11-26T09:00) or a duration (15m, 2h, 3d), not "
                        "\"%s\"\n", optarg);
                bad = true;
            }
            break;
        default: bad = true;
        }
    }
    if (help || bad || optind != argc) {
        fputs("usage: gateway messages list [--config FILE] [--status S] [--partner P]\n"
              "                             [--order NUMBER] [--since T] [--limit N] [--json]\n"
              "\n"
              "List stored messages, newest first (100 unless --limit): id, direction, status,\n"
              "partner, format, reference (the order or invoice number), when received, file.\n"
              "Failed messages show their reason. --order NUMBER finds the messages of one\n"
              "order; --since takes 2026-11-26, 2026-11-26T09:00 (UTC) or 15m, 2h, 3d.\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    gateway_config *cfg = NULL;
    store *s = NULL;
    if (!cli_open_store("gateway messages list", config, &cfg, &s, NULL))
        return 2;
    list_ctx l = { .json = json, .array = json ? json_array() : NULL };
    char why[640] = "";
    edi_result r = store_message_list(s, &f, print_one, &l, why, sizeof why);
    int status = 0;
    if (r != EDI_OK) {
        fprintf(stderr, "gateway messages list: %s\n", why);
        status = 2;
    } else if (json) {
        json_dumpf(l.array, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (l.n == 0) {
        fprintf(stderr, "gateway messages list: no message matches\n");
    }
    json_decref(l.array);
    store_close(s);
    config_free(cfg);
    return status;
}

typedef struct {
    bool json;
    json_t *array;
} history_ctx;

static int print_event(void *ctx, const store_event *e)
{
    history_ctx *h = ctx;
    char at[32];
    when(e->at_ms, at, sizeof at);
    if (h->json)
        json_array_append_new(h->array, json_pack("{s:s,s:s,s:s,s:s}", "at", at, "event",
                                                  e->event, "actor", e->actor, "detail",
                                                  e->detail));
    else
        printf("  %s  %-10s %-20s %s\n", at, e->event, e->actor, e->detail);
    return 0;
}

/* The length of the UTF-8 sequence at p (at most n bytes), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* The start of a payload for people: printable text and valid UTF-8 as they are, other
 * bytes (control characters, another character set) as '.'. */
static void print_raw_start(const edi_buf *raw, size_t max)
{
    size_t n = raw->len < max ? raw->len : max;
    const unsigned char *p = (const unsigned char *)raw->p;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] >= 0x80 ? utf8_len(p + i, n - i) : 1;
        if (len > 1) {
            fwrite(p + i, 1, len, stdout);
            i += len;
            continue;
        }
        putchar(p[i] == '\n' || p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '.');
        i++;
    }
    if (n && raw->p[n - 1] != '\n')
        putchar('\n');
    if (raw->len > n)
        printf("... (%zu more bytes; --raw prints all of them)\n", raw->len - n);
}

static bool parse_id(const char *arg, store_id *id)
{
    char *end = NULL;
    long long n = strtoll(arg, &end, 10);
    if (!end || *end || n <= 0)
        return false;
    *id = n;
    return true;
}

/* ---- related documents: the parent, the messages answering it or edited from it, the
 * orders it carries with their despatch advices and invoices ------------------------- */

typedef struct {
    bool json;
    json_t *array;
} related_ctx;

static int print_child(void *ctx, const store_message *m)
{
    related_ctx *r = ctx;
    if (r->json) {
        json_array_append_new(r->array, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id",
                                                  (json_int_t)m->id, "direction",
                                                  m->direction == STORE_IN ? "in" : "out",
                                                  "format", m->format, "status", m->status,
                                                  "filename", m->filename));
        return 0;
    }
    printf("  %s message %-6" PRId64 " %-10s %-28s %s\n",
           m->direction == STORE_IN ? "edited copy" : "answer     ", m->id, m->status,
           m->format[0] ? m->format : "-", m->filename[0] ? m->filename : "-");
    return 0;
}

static int print_document(void *ctx, const store_order_document *d)
{
    related_ctx *r = ctx;
    if (r->json) {
        json_array_append_new(r->array, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "id",
                                                  (json_int_t)d->id, "kind", d->kind, "number",
                                                  d->number, "lines", d->lines, "amount",
                                                  d->amount, "state", d->state, "message_id",
                                                  (json_int_t)d->message_id, "note", d->note));
        return 0;
    }
    printf("      %-8s %-20s %s%s%s", d->kind, d->number, d->lines,
           d->amount[0] ? " amount " : "", d->amount);
    if (d->message_id)
        printf(" -> message %" PRId64 "\n", d->message_id);
    else
        printf(" (%s%s%s)\n", d->state, d->note[0] ? ": " : "", d->note);
    return 0;
}

typedef struct {
    store *s;
    bool json;
    json_t *array;
} orders_ctx;

static int print_order(void *ctx, const store_order *o)
{
    orders_ctx *oc = ctx;
    related_ctx docs = { .json = oc->json, .array = oc->json ? json_array() : NULL };
    if (!oc->json)
        printf("  order %-6" PRId64 " %-20s %-10s customer %s, %s %s\n", o->id, o->number,
               o->state, o->customer_id[0] ? o->customer_id : "-", o->amount[0] ? o->amount : "-",
               o->currency);
    char why[640];
    store_order_document_list(oc->s, o->id, print_document, &docs, why, sizeof why);
    if (oc->json)
        json_array_append_new(oc->array,
                              json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:o}", "id",
                                        (json_int_t)o->id, "number", o->number, "state",
                                        o->state, "customer_id", o->customer_id, "amount",
                                        o->amount, "currency", o->currency,
                                        "response_message_id",
                                        (json_int_t)o->response_message_id, "documents",
                                        docs.array));
    return 0;
}

/* The related documents of message `m`: printed, or into `o` as "related" and "orders". */
static edi_result show_related(store *s, const store_message *m, json_t *o, char *why,
                               size_t why_n)
{
    related_ctx rc = { .json = o != NULL, .array = o ? json_array() : NULL };
    orders_ctx oc = { .s = s, .json = o != NULL, .array = o ? json_array() : NULL };
    if (!o) {
        printf("\nrelated documents:\n");
        if (m->parent_id)
            printf("  %s message %" PRId64 "\n",
                   m->direction == STORE_OUT ? "answers    " : "edited from", m->parent_id);
    }
    edi_result r = store_message_children(s, m->id, print_child, &rc, why, why_n);
    if (r == EDI_OK && m->direction == STORE_IN)
        r = store_order_list_message(s, m->id, print_order, &oc, why, why_n);
    if (o) {
        json_object_set_new(o, "related", rc.array);
        json_object_set_new(o, "orders", oc.array);
    }
    return r;
}

/* ---- the parsed tree --------------------------------------------------------------- */

typedef struct {
    bool none;                 /* --tree none */
    message_tree_style style;  /* --tree segments|xml */
    bool full;                 /* --full: no limit */
} tree_opts;

/* The charset override of an inbound message's partner ("" when none or not loadable). */
static void partner_charset(const gateway_config *cfg, const store_message *m, char *out,
                            size_t n)
{
    out[0] = '\0';
    if (m->direction != STORE_IN || !m->partner[0])
        return;
    char canonical[4096], schema[4096], why[640] = "";
    snprintf(canonical, sizeof canonical, "%s/canonical/canonical.xsd", cfg->formats_dir);
    snprintf(schema, sizeof schema, "%s/../partners/partner.xsd", config_default_formats_dir());
    mapping_ctx *mc = mapping_new(canonical);
    doc_findings f;
    doc_findings_init(&f);
    partner *p = NULL;
    if (mc && partner_find(mc, schema, cfg->partners_dir, m->partner, &p, &f, why,
                           sizeof why) == EDI_OK)
        snprintf(out, n, "%s", p->charset);
    else
        fprintf(stderr, "gateway messages show: the profile of partner %s cannot be read (%s); "
                "the tree uses the charset the message declares\n", m->partner,
                why[0] ? why : "out of memory");
    partner_free(p);
    doc_findings_free(&f);
    mapping_free(mc);
}

/* The tree of message `m`: EDIFACT read with the configured directory and, inbound, its
 * partner's charset. The caller frees *t with message_tree_free. */
static edi_result render_tree(const gateway_config *cfg, const store_message *m,
                              const edi_buf *raw, const tree_opts *to, message_tree *t,
                              char *why, size_t why_n)
{
    char what[256];
    message_tree_options o = {
        .format = mapping_detect(raw->p, raw->len, what, sizeof what),
        .style = to->style,
        .max_bytes = to->full ? 0 : MESSAGE_TREE_DEFAULT_MAX,
    };
    char charset[16] = "";
    edi_directory *dir = NULL;
    if (o.format == MAPPING_FORMAT_EDIFACT) {
        dir = cli_open_directory("messages show", cfg->formats_dir,
                                 "; the tree shows the envelope only");
        partner_charset(cfg, m, charset, sizeof charset);
        o.directory = dir;
        o.charset_override = charset;
    }
    edi_result r = message_tree_render(raw->p, raw->len, &o, t, why, why_n);
    edi_directory_free(dir);
    return r;
}

static const char *tree_kind(const message_tree *t, message_tree_style style)
{
    if (t->format == MAPPING_FORMAT_EDIFACT)
        return style == MESSAGE_TREE_XML ? "edifact-xml" : "edifact-segments";
    return t->format == MAPPING_FORMAT_JSON ? "json" : "xml";
}

static void tree_json(json_t *o, const message_tree *t, edi_result r, const char *why,
                      message_tree_style style)
{
    if (r != EDI_OK) {
        json_object_set_new(o, "tree_error", json_string(why));
        return;
    }
    json_object_set_new(o, "tree_format", json_string(tree_kind(t, style)));
    json_object_set_new(o, "tree", json_stringn(t->text.p, t->text.len));
    json_object_set_new(o, "tree_truncated", json_boolean(t->truncated));
    json_object_set_new(o, "tree_lines", json_integer((json_int_t)t->total_lines));
    if (t->stopped)
        json_object_set_new(o, "tree_error", json_string(t->stop));
    if (t->format == MAPPING_FORMAT_EDIFACT)
        json_object_set_new(o, "tree_findings",
                            json_pack("{s:I,s:I,s:s%}", "errors", (json_int_t)t->errors,
                                      "warnings", (json_int_t)t->warnings, "listed",
                                      t->findings.len ? t->findings.p : "",
                                      t->findings.len));
}

static void tree_print(const message_tree *t, edi_result r, const char *why,
                       message_tree_style style)
{
    if (r != EDI_OK) {
        printf("\nparsed tree: none: %s%s\n", why, r == EDI_E_LIMIT ? " (--full)" : "");
        return;
    }
    if (t->format == MAPPING_FORMAT_EDIFACT)
        printf("\nparsed tree (%s; --tree %s shows %s):\n",
               style == MESSAGE_TREE_XML ? "EDIFACT-XML" : "segments",
               style == MESSAGE_TREE_XML ? "segments" : "xml",
               style == MESSAGE_TREE_XML ? "one line per segment" : "the EDIFACT-XML");
    else
        printf("\nparsed tree (%s):\n", mapping_format_name(t->format));
    fwrite(t->text.p, 1, t->text.len, stdout);
    if (t->truncated)
        printf("... (%zu of %zu lines shown; --full shows all of them)\n", t->shown_lines,
               t->total_lines);
    if (t->stopped)
        printf("parsing stopped: %s\n", t->stop);
    if (t->format == MAPPING_FORMAT_EDIFACT && (t->errors || t->warnings)) {
        printf("reader findings (%zu error%s, %zu warning%s):\n", t->errors,
               t->errors == 1 ? "" : "s", t->warnings, t->warnings == 1 ? "" : "s");
        fwrite(t->findings.p, 1, t->findings.len, stdout);
    }
}

static int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "raw", no_argument, NULL, 'r' },
        { "json", no_argument, NULL, 'j' }, { "tree", required_argument, NULL, 't' },
        { "full", no_argument, NULL, 'f' }, { "no-raw", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    bool raw_only = false, no_raw = false, json = false, help = false, bad = false;
    tree_opts to = { .style = MESSAGE_TREE_SEGMENTS };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c') {
            config = optarg;
        } else if (c == 'r') {
            raw_only = true;
        } else if (c == 'n') {
            no_raw = true;
        } else if (c == 'j') {
            json = true;
        } else if (c == 'f') {
            to.full = true;
        } else if (c == 't') {
            to.none = !strcmp(optarg, "none");
            if (!to.none && !message_tree_style_parse(optarg, &to.style)) {
                fprintf(stderr, "gateway messages show: --tree takes segments, xml or none, not "
                        "\"%s\"\n", optarg);
                bad = true;
            }
        } else if (c == 'h') {
            help = true;
        } else {
            bad = true;
        }
    }
    store_id id = 0;
    if (help || bad || optind != argc - 1 || !parse_id(argv[optind], &id)) {
        fputs("usage: gateway messages show [--config FILE] [--tree segments|xml|none] [--full]\n"
              "                             [--no-raw] [--raw | --json] ID\n"
              "\n"
              "Show one message: what the store knows of it, the start of its raw bytes, its\n"
              "parsed tree, its history, every event in order (received, identified, parsed,\n"
              "mapped, each finding, failed, sent, reprocess), then its related documents: the\n"
              "message it answers or was edited from, the messages answering it and its edited\n"
              "copies, the orders it carries with their despatch advices and invoices.\n"
              "\n"
              "The tree: EDIFACT as one line per segment (segment number, line in the file,\n"
              "tag, data elements; segment groups indented under their name), or with\n"
              "--tree xml as the EDIFACT-XML that mappings read; XML documents and JSON web\n"
              "orders pretty-printed. A message that does not parse shows what parsed and\n"
              "where it stopped. The first 64 KiB of the tree are shown; --full shows all.\n"
              "--tree none leaves it out, --no-raw the raw bytes; --raw prints the raw bytes\n"
              "alone, exactly. --json adds tree, tree_format, tree_truncated, tree_lines and\n"
              "tree_error.\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    gateway_config *cfg = NULL;
    store *s = NULL;
    content_store *cs = NULL;
    if (!cli_open_store("gateway messages show", config, &cfg, &s, &cs))
        return 2;
    store_message m;
    char why[640] = "";
    edi_buf raw = { 0 };
    int status = 0;
    edi_result r = store_message_get(s, id, &m, why, sizeof why);
    if (r != EDI_OK) {
        fprintf(stderr, "gateway messages show: %s\n",
                r == EDI_E_NOT_FOUND ? "there is no message with this id" : why);
        status = r == EDI_E_NOT_FOUND ? 1 : 2;
        goto out;
    }
    char rwhy[640] = "";
    edi_result rr = content_store_get(cs, m.content_id, &raw, rwhy, sizeof rwhy);
    if (raw_only) {
        if (rr != EDI_OK) {
            fprintf(stderr, "gateway messages show: the raw bytes cannot be read: %s\n", rwhy);
            status = 2;
        } else {
            fwrite(raw.p, 1, raw.len, stdout);
        }
        goto out;
    }
    history_ctx h = { .json = json, .array = json ? json_array() : NULL };
    if (json) {
        json_t *o = message_json(&m);
        r = store_history_list(s, id, print_event, &h, why, sizeof why);
        json_object_set_new(o, "history", h.array);
        char path[1024] = "";
        content_store_path(cs, m.content_id, path, sizeof path);
        json_object_set_new(o, "raw_path", json_string(path));
        if (!to.none && rr == EDI_OK) {
            message_tree t;
            char twhy[640] = "";
            edi_result tr = render_tree(cfg, &m, &raw, &to, &t, twhy, sizeof twhy);
            tree_json(o, &t, tr, twhy, to.style);
            message_tree_free(&t);
        }
        if (r == EDI_OK)
            r = show_related(s, &m, o, why, sizeof why);
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    } else {
        char created[32], updated[32], path[1024] = "";
        when(m.created_ms, created, sizeof created);
        when(m.updated_ms, updated, sizeof updated);
        content_store_path(cs, m.content_id, path, sizeof path);
        printf("message %" PRId64 " (%s)\n", m.id, m.direction == STORE_IN ? "inbound" : "outbound");
        printf("  status:    %s\n", m.status);
        if (m.status_reason[0])
            printf("  reason:    %s\n", m.status_reason);
        printf("  partner:   %s\n", m.partner[0] ? m.partner : "(not known)");
        printf("  format:    %s\n", m.format[0] ? m.format : "(not known yet)");
        printf("  reference: %s\n", m.reference[0] ? m.reference : "-");
        printf("  channel:   %s%s%s\n", m.channel, m.filename[0] ? ", file " : "", m.filename);
        if (m.parent_id)
            printf("  answers:   message %" PRId64 "\n", m.parent_id);
        printf("  received:  %s, last change %s\n", created, updated);
        printf("  raw:       %" PRId64 " bytes, %s\n", m.size, path);
        if (!no_raw) {
            printf("\nraw bytes%s:\n", raw.len > 2048 ? " (start)" : "");
            if (rr == EDI_OK)
                print_raw_start(&raw, 2048);
            else
                printf("  cannot be read: %s\n", rwhy);
        }
        if (!to.none && rr == EDI_OK) {
            fflush(stdout);
            message_tree t;
            char twhy[640] = "";
            edi_result tr = render_tree(cfg, &m, &raw, &to, &t, twhy, sizeof twhy);
            tree_print(&t, tr, twhy, to.style);
            message_tree_free(&t);
        }
        printf("\nhistory:\n");
        r = store_history_list(s, id, print_event, &h, why, sizeof why);
        if (r == EDI_OK)
            r = show_related(s, &m, NULL, why, sizeof why);
    }
    if (r != EDI_OK) {
        fprintf(stderr, "gateway messages show: %s\n", why);
        status = 2;
    }
out:
    edi_buf_free(&raw);
    content_store_close(cs);
    store_close(s);
    config_free(cfg);
    return status;
}

int cli_messages_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: gateway messages list [OPTIONS]\n"
              "       gateway messages show [OPTIONS] ID\n"
              "\n"
              "`gateway messages list --help` and `gateway messages show --help` describe them.\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return cmd_show(argc - 1, argv + 1);
    fprintf(stderr, "gateway messages: unknown command \"%s\"; `gateway messages --help` lists "
            "them\n", argv[1]);
    return 2;
}

/* "cli:<user>", who asked, for the history. */
static void cli_actor(char *actor, size_t n)
{
    const struct passwd *pw = getpwuid(getuid());
    snprintf(actor, n, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

int cli_reprocess_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "edited", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *edited = NULL;
    bool help = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'e')
            edited = optarg;
        else if (c == 'h')
            help = true;
        else
            bad = true;
    }
    store_id id = 0;
    if (help || bad || optind != argc - 1 || !parse_id(argv[optind], &id)) {
        fputs("usage: gateway reprocess [--config FILE] [--edited FILE] ID\n"
              "\n"
              "Process inbound message ID again from its stored raw bytes (after a partner\n"
              "profile was fixed, say): the running daemon identifies, parses and maps it\n"
              "anew. With --edited FILE the bytes of FILE (- reads standard input) are stored\n"
              "as a new message whose parent is ID, and processed instead; ID keeps its bytes\n"
              "and status. The history records who asked for it and when.\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    edi_buf bytes = { 0 };
    char why[640] = "";
    if (edited && !cli_read_input("gateway reprocess", edited, (size_t)256 << 20, &bytes)) {
        edi_buf_free(&bytes);
        return 2;
    }
    gateway_config *cfg = NULL;
    store *s = NULL;
    content_store *cs = NULL;
    if (!cli_open_store("gateway reprocess", config, &cfg, &s, edited ? &cs : NULL)) {
        edi_buf_free(&bytes);
        return 2;
    }
    char actor[64];
    cli_actor(actor, sizeof actor);
    store_id copy = 0;
    edi_result r = edited ? pipeline_reprocess_edited(s, cs, id, bytes.p, bytes.len, actor,
                                                      &copy, why, sizeof why)
                          : pipeline_reprocess(s, id, actor, why, sizeof why);
    int status = 0;
    if (r == EDI_OK && edited) {
        printf("%" PRId64 "\n", copy);
        fprintf(stderr, "gateway reprocess: the edited copy of message %" PRId64 " is message %"
                PRId64 ", queued to be processed; message %" PRId64 " is kept as it was\n",
                id, copy, id);
    } else if (r == EDI_OK) {
        fprintf(stderr, "gateway reprocess: message %" PRId64 " is queued to be processed again\n",
                id);
    } else {
        fprintf(stderr, "gateway reprocess: %s\n",
                r == EDI_E_NOT_FOUND ? "there is no message with this id" : why);
        status = r == EDI_E_NOT_FOUND || r == EDI_E_ARG ? 1 : 2;
    }
    edi_buf_free(&bytes);
    content_store_close(cs);
    store_close(s);
    config_free(cfg);
    return status;
}

int cli_resend_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    bool help = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'h')
            help = true;
        else
            bad = true;
    }
    store_id id = 0;
    if (help || bad || optind != argc - 1 || !parse_id(argv[optind], &id)) {
        fputs("usage: gateway resend [--config FILE] ID\n"
              "\n"
              "Send outbound message ID again (a dead one after its partner's outbox was\n"
              "fixed, or one the partner lost): the running daemon writes it to the partner's\n"
              "channel once more. The history records who asked for it and when.\n",
              help ? stdout : stderr);
        return help ? 0 : 2;
    }
    gateway_config *cfg = NULL;
    store *s = NULL;
    if (!cli_open_store("gateway resend", config, &cfg, &s, NULL))
        return 2;
    char actor[64], why[640] = "";
    cli_actor(actor, sizeof actor);
    edi_result r = pipeline_resend(s, id, actor, why, sizeof why);
    int status = 0;
    if (r == EDI_OK) {
        fprintf(stderr, "gateway resend: message %" PRId64 " is queued to be sent again\n", id);
    } else {
        fprintf(stderr, "gateway resend: %s\n",
                r == EDI_E_NOT_FOUND ? "there is no message with this id" : why);
        status = r == EDI_E_NOT_FOUND || r == EDI_E_ARG ? 1 : 2;
    }
    store_close(s);
    config_free(cfg);
    return status;
}

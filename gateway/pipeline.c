/* pipeline.c: the job steps of a received message (pipeline.h). */
#include "pipeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "approval.h"
#include "as2_receive.h"
#include "channel_dir.h"
#include "channel_email_in.h"
#include "channel_email.h"
#include "channel_sftp.h"
#include "edi_contrl.h"
#include "edi_reader.h"
#include "edi_tokenizer.h"
#include "mapping.h"
#include "order_checks.h"
#include "order_holds.h"
#include "store_master.h"
#include "store_orders.h"
#include "weborder.h"

const char *const pipeline_job_kinds[] = { "identify", "contrl", "map",  "check",
                                           "answer",   "send",   "mail", AS2_MDN_JOB, NULL };

/* A step that fails for a reason outside the message (database, disk) is tried again
 * after a growing pause, this many times in all, then kept as dead. */
#define MAX_ATTEMPTS 8

/* ---- what every step shares ------------------------------------------------------- */

/* A step's outcome for the message: the next job, or the end with a status and reason. */
typedef struct {
    const char *next;          /* next job kind, NULL: none */
    const char *status;        /* new status, NULL: unchanged */
    char reason[640];          /* for failed */
    const char *partner;       /* NULL: unchanged */
    const char *format;
    const char *reference;
} outcome;

/* The channel an outbound message to partner `id` goes through, as messages name it. */
static const char *outbound_channel(const pipeline_ctx *p, const char *id)
{
    const partner *who = partner_set_by_id(p->partners, id);
    switch (who ? who->channel : PARTNER_CHANNEL_DIRECTORY) {
    case PARTNER_CHANNEL_SFTP:
        return "sftp";
    case PARTNER_CHANNEL_EMAIL:
        return "email";
    case PARTNER_CHANNEL_AS2:
        return "as2";
    default:
        return "dir";
    }
}

/* Give the job back after a failure that is not the message's fault. */
static edi_result give_back(pipeline_ctx *p, const store_job *j, edi_result r, const char *what)
{
    int64_t pause = (int64_t)1000 << (j->attempts < 10 ? j->attempts : 10);
    char why[256];
    edi_result rr = store_job_retry(p->store, j, pause, MAX_ATTEMPTS, what, why, sizeof why);
    return rr == EDI_E_CONFLICT ? rr : r;
}

/* The message's fields, then history event `event` with `detail` (may be NULL), then the
 * end of the job with the next one, inside the transaction the caller began. */
static edi_result record(pipeline_ctx *p, const store_job *j, const outcome *o, const char *event,
                         const char *detail, char *why, size_t why_n)
{
    edi_result r = EDI_OK;
    if (o->status || o->partner || o->format || o->reference)
        r = store_message_update(p->store, j->message_id, o->partner, o->format, o->reference,
                                 o->status, o->status && !strcmp(o->status, STORE_STATUS_FAILED)
                                                ? o->reason : NULL,
                                 why, why_n);
    if (r == EDI_OK && event)
        r = store_history_add(p->store, j->message_id, event, p->worker, detail ? detail : "",
                              why, why_n);
    if (r == EDI_OK && o->status && !strcmp(o->status, STORE_STATUS_FAILED))
        r = store_history_add(p->store, j->message_id, "failed", p->worker, o->reason, why, why_n);
    if (r == EDI_OK)
        r = store_job_done(p->store, j, o->next, why, why_n);
    return r;
}

/* Begin, record, commit; roll back on any error. `durable`: the commit is on disk before
 * this returns, whatever the handle's durability (store_begin_durable), for a step that
 * sent something out: after a power loss, it must not run again and send it twice. */
static edi_result finish_step(pipeline_ctx *p, const store_job *j, const outcome *o,
                              const char *event, const char *detail, bool durable, char *why,
                              size_t why_n)
{
    edi_result r = durable ? store_begin_durable(p->store, why, why_n)
                           : store_begin(p->store, why, why_n);
    if (r == EDI_OK)
        r = record(p, j, o, event, detail, why, why_n);
    if (r == EDI_OK)
        r = store_commit(p->store, why, why_n);
    else
        store_rollback(p->store);
    return r;
}

static edi_result finish(pipeline_ctx *p, const store_job *j, const outcome *o, const char *event,
                         const char *detail, char *why, size_t why_n)
{
    return finish_step(p, j, o, event, detail, false, why, why_n);
}

static void fail(outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reason, sizeof o->reason, fmt, ap);
    va_end(ap);
    o->status = STORE_STATUS_FAILED;
    o->next = NULL;
}

static edi_result load(pipeline_ctx *p, const store_job *j, store_message *m, edi_buf *raw,
                       char *why, size_t why_n)
{
    edi_result r = store_message_get(p->store, j->message_id, m, why, why_n);
    if (r == EDI_OK)
        r = content_store_get(p->content, m->content_id, raw, why, why_n);
    return r;
}

/* ---- identify ------------------------------------------------------------------------ */

typedef struct {
    char sender[EDI_REF_MAX], qualifier[8];
    char type[8], version[4], release[4];
    bool has_unb, has_unh;
} edifact_envelope;

static void read_envelope(const char *buf, size_t len, edifact_envelope *env)
{
    memset(env, 0, sizeof *env);
    edi_tokenizer *t = edi_tokenizer_new_mem(buf, len, NULL);
    if (!t)
        return;
    edi_segment seg;
    edi_position at;
    memset(&at, 0, sizeof at);
    while (!env->has_unh && edi_tokenizer_next(t, &seg, NULL, &at) == EDI_OK) {
        if (!strcmp(seg.tag, "UNB") && !env->has_unb) {
            env->has_unb = true;
            edi_segment_value(&seg, 2, 1, env->sender, sizeof env->sender);
            edi_segment_value(&seg, 2, 2, env->qualifier, sizeof env->qualifier);
        } else if (!strcmp(seg.tag, "UNH")) {
            env->has_unh = true;
            edi_segment_value(&seg, 2, 1, env->type, sizeof env->type);
            edi_segment_value(&seg, 2, 2, env->version, sizeof env->version);
            edi_segment_value(&seg, 2, 3, env->release, sizeof env->release);
        }
    }
    edi_tokenizer_free(t);
}

static bool is_element(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNodePtr first_child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* The buyer's party ids of an openTRANS ORDER: the partner whose GLN or openTRANS id one
 * of them is. `seen` gets the ids looked at, for the failure sentence. */
static const partner *opentrans_partner(const partner_set *ps, xmlDocPtr doc, char *seen,
                                        size_t seen_n)
{
    seen[0] = '\0';
    xmlNodePtr parties = first_child(first_child(first_child(xmlDocGetRootElement(doc),
                                                             "ORDER_HEADER"), "ORDER_INFO"),
                                     "PARTIES");
    for (xmlNodePtr party = parties ? parties->children : NULL; party; party = party->next) {
        if (!is_element(party, "PARTY"))
            continue;
        bool buyer = false;
        for (xmlNodePtr c = party->children; c; c = c->next)
            if (is_element(c, "PARTY_ROLE")) {
                xmlChar *role = xmlNodeGetContent(c);
                buyer = role && !strcmp((const char *)role, "buyer");
                xmlFree(role);
            }
        if (!buyer)
            continue;
        for (xmlNodePtr c = party->children; c; c = c->next) {
            if (!is_element(c, "PARTY_ID"))
                continue;
            xmlChar *id = xmlNodeGetContent(c);
            xmlChar *type = xmlGetProp(c, BAD_CAST "type");
            const partner *found = NULL;
            if (id && *id) {
                size_t used = strlen(seen);
                snprintf(seen + used, seen_n - used, "%s%s (type %s)", used ? ", " : "",
                         (const char *)id, type ? (const char *)type : "none");
                found = partner_set_by_opentrans_id(ps, (const char *)id);
                if (!found && type && !strcmp((const char *)type, "gln"))
                    found = partner_set_by_gln(ps, (const char *)id);
            }
            xmlFree(id);
            xmlFree(type);
            if (found)
                return found;
        }
    }
    return NULL;
}

/* The partner_format name and version for a detected format, "" when the profile's
 * <accept> list does not cover it. */
static const char *accept_name(mapping_format f)
{
    switch (f) {
    case MAPPING_FORMAT_EDIFACT: return "edifact-orders";
    case MAPPING_FORMAT_OPENTRANS_21_ORDER:
    case MAPPING_FORMAT_OPENTRANS_10_ORDER: return "opentrans-order";
    default: return "";
    }
}

static edi_result step_identify(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = load(p, j, &m, &raw, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&raw);
        return r == EDI_E_NOT_FOUND ? r : give_back(p, j, r, why);
    }
    if (email_in_is_mail(&m, raw.p, raw.len)) { /* a mail: its documents are unpacked */
        r = email_in_unpack(p, j, &m, &raw, why, why_n);
        edi_buf_free(&raw);
        return r;
    }
    outcome o = { 0 };
    char format[64] = "", detail[1024] = "", found_by[256] = "", version[8] = "";
    char sentence[512] = "";
    mapping_format f = mapping_detect(raw.p, raw.len, sentence, sizeof sentence);
    const partner *hint = m.partner[0] ? partner_set_by_id(p->partners, m.partner) : NULL;
    const partner *who = NULL;
    bool envelope = false;
    bool web = !strcmp(m.format, WEBORDER_FORMAT);
    if (m.partner[0] && !hint) {
        fail(&o, "The message came in for partner \"%s\", but no partner profile has that id; "
                 "add the profile to the partners folder or correct the channel.", m.partner);
    } else if (web) {
        /* The API took it as a web order and named the shop's partner, if any. */
        snprintf(format, sizeof format, "%s", WEBORDER_FORMAT);
        if (hint && !partner_accepts(hint, "web-order", NULL))
            fail(&o, "Partner %s does not accept web orders: its profile's <inbound><accept> "
                     "does not list web-order; add it there if the shop may send orders.",
                 hint->id);
    } else if (f == MAPPING_FORMAT_UNKNOWN || f == MAPPING_FORMAT_XML_OTHER) {
        fail(&o, "The content is not a format the gateway reads: %s", sentence);
    } else if (f == MAPPING_FORMAT_EDIFACT) {
        edifact_envelope env;
        read_envelope(raw.p, raw.len, &env);
        if (env.has_unh)
            snprintf(format, sizeof format, "EDIFACT %s %s%s", env.type, env.version, env.release);
        else
            snprintf(format, sizeof format, "EDIFACT");
        snprintf(version, sizeof version, "%s%s", env.version, env.release);
        if (env.has_unb && env.sender[0]) {
            envelope = true;
            who = partner_set_by_unb(p->partners, env.sender, env.qualifier);
            snprintf(found_by, sizeof found_by, "UNB sender %s (qualifier %s)", env.sender,
                     env.qualifier[0] ? env.qualifier : "none");
            if (!who)
                fail(&o, "No partner profile has UNB sender %s (qualifier %s); add it to a "
                         "profile's identifiers.", env.sender,
                     env.qualifier[0] ? env.qualifier : "none");
        }
    } else if (f == MAPPING_FORMAT_OPENTRANS_21_ORDER || f == MAPPING_FORMAT_OPENTRANS_10_ORDER) {
        snprintf(format, sizeof format, "%s", mapping_format_name(f));
        snprintf(version, sizeof version, "%s",
                 f == MAPPING_FORMAT_OPENTRANS_21_ORDER ? "2.1" : "1.0");
        xmlDocPtr doc = NULL;
        if (mapping_parse_xml(raw.p, raw.len, &doc, sentence, sizeof sentence) != EDI_OK) {
            fail(&o, "The openTRANS order cannot be read: %s", sentence);
        } else {
            char seen[256];
            who = opentrans_partner(p->partners, doc, seen, sizeof seen);
            envelope = seen[0] != '\0';
            snprintf(found_by, sizeof found_by, "buyer PARTY_ID %.200s", seen);
            if (envelope && !who)
                fail(&o, "No partner profile has the buyer's PARTY_ID %s as its openTRANS id "
                         "or GLN; add it to a profile's identifiers.", seen);
        }
        xmlFreeDoc(doc);
    } else {
        snprintf(format, sizeof format, "%s", mapping_format_name(f));
    }
    if (!o.status && web) {
        who = hint;
        o.status = STORE_STATUS_PROCESSING;
        o.next = "map";
        snprintf(detail, sizeof detail, "%s through the API%s%s", format,
                 who ? " from partner " : "", who ? who->id : "");
    }
    if (!o.status) {
        if (who && hint && who != hint) {
            fail(&o, "The message came in through partner %s's channel, but its %s belongs to "
                     "partner %s; check who sent it before reprocessing it.", hint->id, found_by,
                 who->id);
        } else if (!who && !hint) {
            fail(&o, "The gateway cannot tell who sent this %s: it names no sender it can look "
                     "up. Drop it into the partner's own inbox or ingest it with --partner.",
                 format);
        } else {
            if (!who) {
                who = hint;
                snprintf(found_by, sizeof found_by, "the channel (%s)", m.channel);
            }
            const char *acc = accept_name(f);
            if (acc[0] && !partner_accepts(who, acc, version))
                fail(&o, "Partner %s does not accept %s %s: its profile's <inbound><accept> "
                         "does not list it; add it there if the partner may send it.",
                     who->id, acc, version);
        }
    }
    o.format = format;
    if (who)
        o.partner = who->id;
    if (!o.status && !web) {
        o.status = STORE_STATUS_PROCESSING;
        o.next = f == MAPPING_FORMAT_EDIFACT && who->contrl_wanted ? "contrl" : "map";
        snprintf(detail, sizeof detail, "%s from partner %s, found by %s", format, who->id,
                 found_by);
    }
    edi_buf_free(&raw);
    bool failed = !strcmp(o.status, STORE_STATUS_FAILED);
    r = finish(p, j, &o, failed ? NULL : "identified", detail, why, why_n);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- contrl -------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
    char subject_ref[EDI_REF_MAX];
    bool rejected;
} contrl_out;

typedef struct {
    edi_contrl_subject subject;
    const edi_findings *f;
    edi_contrl_options o;
    const char *base_ref;
    contrl_out *outs;
    size_t n, cap;
    edi_result error;
    char why[320];
} contrl_run;

static int on_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                      const edi_position *at, const edi_placement *pl)
{
    (void)ic;
    (void)pl;
    contrl_run *c = ctx;
    return (int)edi_contrl_subject_on_segment(&c->subject, seg, at);
}

static int on_message_end(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    (void)ic;
    contrl_run *c = ctx;
    return (int)edi_contrl_subject_on_message_end(&c->subject, m);
}

static int on_interchange_end(void *ctx, const edi_interchange_info *ic)
{
    contrl_run *c = ctx;
    char ref[EDI_REF_MAX];
    snprintf(ref, sizeof ref, ic->index > 1 ? "%.10s-%u" : "%.14s", c->base_ref, ic->index);
    c->o.control_ref = ref;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        contrl_out *o = realloc(c->outs, cap * sizeof *o);
        if (!o) {
            c->error = EDI_E_NOMEM;
            return (int)EDI_E_NOMEM;
        }
        c->outs = o;
        c->cap = cap;
    }
    contrl_out *o = &c->outs[c->n];
    memset(o, 0, sizeof *o);
    edi_result r = edi_contrl_build(ic, &c->subject, c->f, &c->o, &o->data, &o->len, c->why,
                                    sizeof c->why);
    edi_contrl_subject_reset(&c->subject);
    if (r != EDI_OK) {
        /* An interchange whose header cannot be answered gets no CONTRL: the history says so. */
        c->error = r;
        return 0;
    }
    snprintf(o->subject_ref, sizeof o->subject_ref, "%s", ic->control_ref);
    c->n++;
    return 0;
}

typedef struct {
    store_id found;
} exists;

static int found_one(void *ctx, const store_message *m)
{
    ((exists *)ctx)->found = m->id;
    return 1;
}

static edi_result step_contrl(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = load(p, j, &m, &raw, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&raw);
        return r == EDI_E_NOT_FOUND ? r : give_back(p, j, r, why);
    }
    const partner *who = partner_set_by_id(p->partners, m.partner);
    char base_ref[16];
    snprintf(base_ref, sizeof base_ref, "C%" PRId64, m.id);
    char date[16], hhmm[8];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y%m%d", &tm);
    strftime(hhmm, sizeof hhmm, "%H%M", &tm);

    edi_findings f;
    edi_findings_init(&f, 0);
    contrl_run c;
    memset(&c, 0, sizeof c);
    edi_contrl_subject_init(&c.subject);
    c.f = &f;
    c.base_ref = base_ref;
    c.o.date = date;
    c.o.time = hhmm;
    c.o.mode = EDI_CONTRL_REPORT_REJECTED;
    edi_reader_options ro;
    memset(&ro, 0, sizeof ro);
    ro.directory = p->directory;
    ro.charset_override = who && who->charset[0] ? who->charset : NULL;
    edi_reader_handler h = { .ctx = &c, .segment = on_segment, .message_end = on_message_end,
                             .interchange_end = on_interchange_end };
    edi_result rr = edi_reader_run_mem(raw.p, raw.len, &ro, &h, &f);
    char detail[1024];
    snprintf(detail, sizeof detail, "read: %zu error(s), %zu warning(s); %zu CONTRL built%s%s",
             f.errors, f.warnings, c.n, c.error != EDI_OK ? "; not built for one interchange: " : "",
             c.error != EDI_OK ? c.why : "");
    (void)rr; /* a truncated or broken interchange is reported by the CONTRL it gets */

    /* The CONTRL payloads go to the content store before the transaction (a payload
     * nobody points at is harmless; a message without its payload is not). */
    char (*ids)[CONTENT_ID_SIZE] = c.n ? calloc(c.n, CONTENT_ID_SIZE) : NULL;
    r = c.n && !ids ? EDI_E_NOMEM : EDI_OK;
    for (size_t i = 0; r == EDI_OK && i < c.n; i++)
        r = content_store_put(p->content, c.outs[i].data, c.outs[i].len, ids[i], why, why_n);
    if (r == EDI_OK)
        r = store_begin(p->store, why, why_n);
    if (r == EDI_OK) {
        /* A CONTRL already recorded for this message (a re-run) is not made twice. */
        exists e = { 0 };
        store_message_filter flt = { .reference = base_ref, .partner = m.partner,
                                     .direction = STORE_OUT, .limit = 1 };
        r = store_message_list(p->store, &flt, found_one, &e, why, why_n);
        for (size_t i = 0; r == EDI_OK && !e.found && i < c.n; i++) {
            store_message out;
            memset(&out, 0, sizeof out);
            out.direction = STORE_OUT;
            snprintf(out.partner, sizeof out.partner, "%s", m.partner);
            snprintf(out.channel, sizeof out.channel, "%s", outbound_channel(p, m.partner));
            if (c.n == 1)
                snprintf(out.filename, sizeof out.filename, "CONTRL-%" PRId64 ".edi", m.id);
            else
                snprintf(out.filename, sizeof out.filename, "CONTRL-%" PRId64 "-%zu.edi", m.id,
                         i + 1);
            memcpy(out.content_id, ids[i], CONTENT_ID_SIZE);
            out.size = (int64_t)c.outs[i].len;
            snprintf(out.format, sizeof out.format, "EDIFACT CONTRL");
            snprintf(out.status, sizeof out.status, "%s", STORE_STATUS_QUEUED);
            if (i == 0)
                snprintf(out.reference, sizeof out.reference, "%s", base_ref);
            else
                snprintf(out.reference, sizeof out.reference, "%.10s-%zu", base_ref, i + 1);
            out.parent_id = m.id;
            store_id oid = 0;
            r = store_message_insert(p->store, &out, "send", &oid, why, why_n);
            if (r == EDI_OK) {
                char ev[256];
                snprintf(ev, sizeof ev, "CONTRL for interchange %s is message %" PRId64,
                         c.outs[i].subject_ref, oid);
                r = store_history_add(p->store, m.id, "contrl", p->worker, ev, why, why_n);
            }
        }
        outcome o = { .next = "map" };
        if (r == EDI_OK)
            r = record(p, j, &o, "parsed", detail, why, why_n);
        if (r == EDI_OK)
            r = store_commit(p->store, why, why_n);
        else
            store_rollback(p->store);
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.outs[i].data);
    free(c.outs);
    free(ids);
    edi_contrl_subject_free(&c.subject);
    edi_findings_free(&f);
    edi_buf_free(&raw);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- map ----------------------------------------------------------------------------- */

/* The canonical document's root name and number. */
static void describe_doc(const convert_output *o, char *kind, size_t kind_n, char *number,
                         size_t number_n)
{
    snprintf(kind, kind_n, "document");
    number[0] = '\0';
    xmlDocPtr doc = NULL;
    if (mapping_parse_xml(o->data, o->len, &doc, NULL, 0) != EDI_OK)
        return;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root)
        snprintf(kind, kind_n, "%s", (const char *)root->name);
    xmlNodePtr num = first_child(root, "number");
    xmlChar *v = num ? xmlNodeGetContent(num) : NULL;
    if (v)
        snprintf(number, number_n, "%s", (const char *)v);
    xmlFree(v);
    xmlFreeDoc(doc);
}

/* One finding as the history keeps it: JSON, the sentence cut so that it fits. */
static void finding_json(const doc_finding *f, char *out, size_t n)
{
    char text[sizeof f->text];
    snprintf(text, sizeof text, "%s", f->text);
    for (;;) {
        json_t *j = json_pack("{s:s,s:s,s:I,s:s,s:s}", "severity",
                              f->severity == DOC_ERROR ? "error" : "warning", "rule", f->rule,
                              "line", (json_int_t)f->line, "where", f->where, "text", text);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        size_t len = s ? strlen(s) : 0;
        size_t tl = strlen(text);
        if (!s || len < n || tl == 0) {
            snprintf(out, n, "%s", s ? s : "");
            free(s);
            return;
        }
        free(s);
        size_t cut = tl > len - n + 8 ? tl - (len - n + 8) : 0;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
        text[cut] = '\0';
    }
}

/* A web order mapped to canonical, as one result like convert_run's. */
static convert_status map_web_order(const edi_buf *raw, convert_results *res, doc_findings *f,
                                    char *user_id, char *customer_id, char *sentence,
                                    size_t sentence_n)
{
    xmlDocPtr doc = NULL;
    edi_result r = weborder_to_canonical(raw->p, raw->len, &doc, user_id, customer_id, f,
                                         sentence, sentence_n);
    if (r != EDI_OK)
        return r == EDI_E_NOMEM ? CONVERT_REFUSED : CONVERT_FINDINGS;
    xmlChar *bytes = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(doc, &bytes, &len, "UTF-8");
    xmlFreeDoc(doc);
    convert_output *o = bytes ? malloc(sizeof *o) : NULL;
    char *data = o ? malloc((size_t)len + 1) : NULL;
    if (!data) {
        free(o);
        xmlFree(bytes);
        snprintf(sentence, sentence_n, "out of memory mapping a web order");
        return CONVERT_REFUSED;
    }
    memcpy(data, bytes, (size_t)len);
    data[len] = '\0';
    xmlFree(bytes);
    memset(o, 0, sizeof *o);
    o->data = data;
    o->len = (size_t)len;
    o->media_type = "application/xml";
    snprintf(o->what, sizeof o->what, "the web order");
    res->items = o;
    res->count = res->cap = 1;
    return CONVERT_DONE;
}

static edi_result step_map(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = load(p, j, &m, &raw, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&raw);
        return r == EDI_E_NOT_FOUND ? r : give_back(p, j, r, why);
    }
    const partner *who = partner_set_by_id(p->partners, m.partner);
    convert_options opt = { .partner = who };
    convert_results res = { 0 };
    doc_findings f;
    doc_findings_init(&f);
    char sentence[640] = "", web_user[65] = "", web_customer[65] = "";
    bool web = !strcmp(m.format, WEBORDER_FORMAT);
    convert_status st = web ? map_web_order(&raw, &res, &f, web_user, web_customer, sentence,
                                            sizeof sentence)
                            : convert_run(p->engine, raw.p, raw.len, CONVERT_TO_CANONICAL, &opt,
                                          &res, &f, sentence, sizeof sentence);
    edi_buf_free(&raw);

    char (*ids)[CONTENT_ID_SIZE] = res.count ? calloc(res.count, CONTENT_ID_SIZE) : NULL;
    r = res.count && !ids ? EDI_E_NOMEM : EDI_OK;
    for (size_t i = 0; r == EDI_OK && i < res.count; i++)
        r = content_store_put(p->content, res.items[i].data, res.items[i].len, ids[i], why, why_n);

    outcome o = { 0 };
    char reference[96] = "";
    const doc_finding *first_error = NULL;
    for (size_t i = 0; i < f.count && !first_error; i++)
        if (f.items[i].severity == DOC_ERROR)
            first_error = &f.items[i];
    if (st == CONVERT_DONE || (st == CONVERT_FINDINGS && !first_error && res.count)) {
        o.status = STORE_STATUS_DONE;
    } else if (first_error) {
        fail(&o, "%s%s%s", first_error->where[0] ? first_error->where : "",
             first_error->where[0] ? ": " : "", first_error->text);
    } else {
        fail(&o, "The message cannot be mapped: %s", sentence[0] ? sentence : "no document found");
    }
    /* Orders of a partner that belongs to a customer, and web orders, go on to the order
     * pipeline; a partner without a customer is only translated. */
    bool orders = p->orders && o.status && !strcmp(o.status, STORE_STATUS_DONE) &&
                  (web || (who && who->customer[0]));
    if (r == EDI_OK)
        r = store_begin(p->store, why, why_n);
    if (r == EDI_OK) {
        size_t n_orders = 0;
        for (size_t i = 0; r == EDI_OK && i < res.count; i++) {
            char kind[64], number[STORE_ORDER_NUMBER_MAX], ev[1024];
            describe_doc(&res.items[i], kind, sizeof kind, number, sizeof number);
            if (!reference[0])
                snprintf(reference, sizeof reference, "%.95s", number);
            snprintf(ev, sizeof ev, "%s %.300s (%s) mapped to canonical, stored as %s", kind,
                     number[0] ? number : "without number", res.items[i].what, ids[i]);
            r = store_history_add(p->store, m.id, "mapped", p->worker, ev, why, why_n);
            if (r != EDI_OK || !orders || strcmp(kind, "order") || !number[0])
                continue;
            /* The order, recorded once per message and number (a re-run finds it). */
            store_order *ord = calloc(1, sizeof *ord);
            if (!ord) {
                r = EDI_E_NOMEM;
                break;
            }
            ord->message_id = m.id;
            snprintf(ord->partner, sizeof ord->partner, "%s", m.partner);
            snprintf(ord->customer_id, sizeof ord->customer_id, "%s",
                     web ? web_customer : who ? who->customer : "");
            snprintf(ord->requester_user_id, sizeof ord->requester_user_id, "%s", web_user);
            snprintf(ord->number, sizeof ord->number, "%s", number);
            snprintf(ord->state, sizeof ord->state, "%s", order_state_name(ORDER_RECEIVED));
            memcpy(ord->content_id, ids[i], CONTENT_ID_SIZE);
            r = approval_fingerprint(res.items[i].data, res.items[i].len, ord->fingerprint,
                                     why, why_n);
            store_id oid = 0;
            bool created = false;
            if (r == EDI_OK)
                r = store_order_insert(p->store, ord, &oid, &created, why, why_n);
            if (r == EDI_OK && created) {
                snprintf(ev, sizeof ev, "Order %.300s received in message %" PRId64
                         " (%s, partner %s, customer %s%s%s)", number, m.id, m.format,
                         m.partner[0] ? m.partner : "none",
                         ord->customer_id[0] ? ord->customer_id : "unknown",
                         web_user[0] ? ", placed by user " : "", web_user);
                r = store_order_event_add(p->store, oid, "received", p->worker, ev, why, why_n);
            }
            free(ord);
            n_orders++;
        }
        for (size_t i = 0; r == EDI_OK && i < f.count; i++) {
            char ev[1024];
            finding_json(&f.items[i], ev, sizeof ev);
            r = store_history_add(p->store, m.id, "finding", p->worker, ev, why, why_n);
        }
        if (reference[0])
            o.reference = reference;
        if (n_orders)
            o.next = "check";
        if (r == EDI_OK)
            r = record(p, j, &o, NULL, NULL, why, why_n);
        if (r == EDI_OK)
            r = store_commit(p->store, why, why_n);
        else
            store_rollback(p->store);
    }
    free(ids);
    convert_results_free(&res);
    doc_findings_free(&f);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- send ---------------------------------------------------------------------------- */

int64_t pipeline_send_backoff(int attempt, int64_t first, int64_t max)
{
    if (first <= 0)
        first = PIPELINE_SEND_BACKOFF_MS;
    if (max <= 0)
        max = PIPELINE_SEND_BACKOFF_MAX_MS;
    int64_t pause = first;
    for (int i = 1; i < attempt && pause < max; i++)
        pause *= 2;
    return pause < max ? pause : max;
}

/* The outbox could not be written (`sentence`): the job runs again after the backoff, or,
 * after the last try, the message is dead, its reason and history saying why and what to do. */
/* A temporary failure to deliver: the job comes back after a backoff, and after the last
 * try the message is dead with a sentence saying where it could not go and what to do. */
static edi_result send_retry(pipeline_ctx *p, const store_job *j, const store_message *m,
                             const partner *who, const char *where, const char *fix,
                             const char *sentence, char *why, size_t why_n)
{
    int max = p->send_attempts > 0 ? p->send_attempts : PIPELINE_SEND_ATTEMPTS;
    int tries = j->attempts + 1; /* the claims before this one, and this one */
    bool last = tries >= max;
    int64_t pause = pipeline_send_backoff(tries, p->send_backoff_ms, p->send_backoff_max_ms);
    char reason[1024];
    if (last)
        snprintf(reason, sizeof reason, "The message could not be delivered to partner %.60s "
                 "(%.200s) in %d tries: %.200s. %.200s, then send it again with `gateway "
                 "resend %" PRId64 "`.", who->id, where, tries, sentence, fix, m->id);
    else
        snprintf(reason, sizeof reason, "%.300s cannot take the message now: %.300s", where,
                 sentence);
    edi_result r = store_begin(p->store, why, why_n);
    if (r == EDI_OK)
        r = store_job_retry(p->store, j, pause, max, reason, why, why_n);
    if (r == EDI_OK && last)
        r = store_message_update(p->store, m->id, NULL, NULL, NULL, STORE_STATUS_DEAD, reason,
                                 why, why_n);
    if (r == EDI_OK)
        return store_commit(p->store, why, why_n);
    store_rollback(p->store);
    return r;
}

/* Delivering one outbound message through the partner's channel. Each channel's function
 * names where it delivers (`where`, also when it fails) and what fixes a failure that
 * lasts (`fix`, a sentence without its full stop), and returns EDI_OK with `detail`
 * for the history when the message went out, EDI_E_ARG with `sentence` when it can never
 * go out as it is (a person must act), anything else with `sentence` for a failure that
 * may pass (the send is tried again later). */
typedef struct {
    char where[512];
    char fix[256];
    char detail[1024];
    char sentence[640];
} delivery;

static edi_result deliver_directory(const partner *who, const store_message *m,
                                    const edi_buf *raw, delivery *d)
{
    snprintf(d->where, sizeof d->where, "the outbox %.480s", who->outbox);
    snprintf(d->fix, sizeof d->fix, "Make the folder writable (or correct <outbox> in the "
             "partner's profile)");
    if (!who->outbox[0]) {
        snprintf(d->sentence, sizeof d->sentence, "Partner %s has no outbox folder "
                 "(<channel><directory><outbox> in %s); add one and resend the message.",
                 who->id, who->file);
        return EDI_E_ARG;
    }
    char path[1024] = "", sentence[512] = "";
    edi_result r = channel_dir_write(who->outbox, m->filename, raw->p, raw->len, path,
                                     sizeof path, sentence, sizeof sentence);
    if (r == EDI_E_ARG)
        snprintf(d->sentence, sizeof d->sentence, "The file name \"%.200s\" cannot be "
                 "written: %.400s", m->filename, sentence);
    else if (r != EDI_OK)
        snprintf(d->sentence, sizeof d->sentence, "%.600s", sentence);
    else
        snprintf(d->detail, sizeof d->detail, "written to %.900s (%zu bytes)", path, raw->len);
    return r;
}

static edi_result deliver(pipeline_ctx *p, const partner *who, const store_message *m,
                          const edi_buf *raw, delivery *d)
{
    switch (who->channel) {
    case PARTNER_CHANNEL_DIRECTORY:
        return deliver_directory(who, m, raw, d);
    case PARTNER_CHANNEL_SFTP:
        return channel_sftp_deliver(who, m, raw, p->sftp_gate, d->where, sizeof d->where,
                                    d->fix, sizeof d->fix, d->detail, sizeof d->detail,
                                    d->sentence, sizeof d->sentence);
    case PARTNER_CHANNEL_EMAIL:
        return channel_email_deliver(p->mail, p->approvals, p->engine, who, m, raw->p, raw->len,
                                     d->where, sizeof d->where, d->fix, sizeof d->fix, d->detail,
                                     sizeof d->detail, d->sentence, sizeof d->sentence);
    case PARTNER_CHANNEL_AS2:
        return as2_send_deliver(p->as2, p->store, p->content, who, m, raw->p, raw->len,
                                d->where, sizeof d->where, d->fix, sizeof d->fix, d->detail,
                                sizeof d->detail, d->sentence, sizeof d->sentence);
    case PARTNER_CHANNEL_NONE:
    default:
        snprintf(d->where, sizeof d->where, "no channel");
        snprintf(d->sentence, sizeof d->sentence, "Partner %s has no channel to send through "
                 "(<channel> in %s); add one and resend the message.", who->id, who->file);
        return EDI_E_ARG;
    }
}

static edi_result step_send(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = load(p, j, &m, &raw, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&raw);
        return r == EDI_E_NOT_FOUND ? r : give_back(p, j, r, why);
    }
    const partner *who = partner_set_by_id(p->partners, m.partner);
    outcome o = { 0 };
    delivery d = { .where = "", .fix = "", .detail = "", .sentence = "" };
    if (!who) {
        fail(&o, "No partner profile has the id \"%s\" any more; restore the profile and "
                 "resend the message.", m.partner);
    } else {
        r = deliver(p, who, &m, &raw, &d);
        if (r == EDI_E_ARG) {
            fail(&o, "%s", d.sentence);
        } else if (r != EDI_OK) {
            edi_buf_free(&raw);
            return send_retry(p, j, &m, who, d.where, d.fix, d.sentence, why, why_n);
        } else {
            o.status = STORE_STATUS_SENT;
        }
    }
    edi_buf_free(&raw);
    bool sent = o.status && !strcmp(o.status, STORE_STATUS_SENT);
    r = finish_step(p, j, &o, sent ? "sent" : NULL, d.detail, sent, why, why_n);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- check: the order checks and approval rules decide each received order ---------- */

typedef struct {
    store_order *items;
    size_t n, cap;
} order_list;

static int collect_order(void *ctx, const store_order *o)
{
    order_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        store_order *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return 1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *o;
    return 0;
}

/* A finding as an event detail: JSON with its action, reason, line and sentence. */
static void order_finding_json(const order_finding *f, char *out, size_t n)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "action", order_action_name(f->action), "reason",
                          order_check_reason_id(f->reason), "line", f->line, "text", f->text);
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    snprintf(out, n, "%s", t ? t : "");
    free(t);
}

/* Check and decide one received order inside the step's transaction. *answer is set when
 * the order was accepted or rejected (an order response is due). */
static edi_result check_order(pipeline_ctx *p, store_order *o, bool *answer, char *why,
                              size_t why_n)
{
    edi_buf raw = { 0 };
    xmlDocPtr doc = NULL;
    order_check_result cr = { 0 };
    char sentence[640] = "";
    edi_result r = content_store_get(p->content, o->content_id, &raw, why, why_n);
    if (r == EDI_OK &&
        mapping_parse_xml(raw.p, raw.len, &doc, sentence, sizeof sentence) != EDI_OK) {
        edi_say(why, why_n, "the canonical order %s of order %" PRId64 " cannot be read: %s",
                o->content_id, o->id, sentence);
        r = EDI_E_CORRUPT;
    }
    edi_buf_free(&raw);
    store_master_ctx mctx;
    md_lookup md;
    store_master_lookup(p->store, o->message_id, &mctx, &md);
    if (r == EDI_OK)
        r = order_checks_run(doc, o->customer_id, &md, NULL, &cr, why, why_n);
    xmlFreeDoc(doc);
    char detail[1024], reasons[600] = "";
    for (size_t i = 0; r == EDI_OK && i < cr.count; i++) {
        order_finding_json(&cr.items[i], detail, sizeof detail);
        r = store_order_event_add(p->store, o->id, "finding", p->worker, detail, why, why_n);
        if (r == EDI_OK)
            r = store_history_add(p->store, o->message_id, "finding", p->worker, detail, why,
                                  why_n);
        if (cr.items[i].action == cr.outcome && cr.outcome >= ORDER_ACTION_HOLD) {
            size_t used = strlen(reasons);
            snprintf(reasons + used, sizeof reasons - used, "%s%s%s%s",
                     used ? ", " : "", order_check_reason_id(cr.items[i].reason),
                     cr.items[i].line[0] ? " line " : "", cr.items[i].line);
        }
    }
    char amount[DECIMAL_TEXT_MAX] = "0", plan[STORE_ORDER_ANSWER_MAX];
    if (r == EDI_OK && decimal_format(cr.amount, amount, sizeof amount) != EDI_OK)
        snprintf(amount, sizeof amount, "0");
    if (r == EDI_OK) {
        r = orders_answer_plan(&cr, cr.outcome == ORDER_ACTION_REJECT, plan, sizeof plan);
        if (r == EDI_E_LIMIT)
            edi_say(why, why_n, "Order %.100s: the checks amended more lines than one order "
                    "response can carry here (%d KiB of amended values, about 1,200 lines with "
                    "a price added). Ask the customer to send the prices in the order or to "
                    "split it, then reprocess the message.", o->number,
                    STORE_ORDER_ANSWER_MAX / 1024);
    }
    if (r == EDI_OK)
        r = store_order_set_state(p->store, o->id, o->state, o->state, amount, cr.currency, plan,
                                  why, why_n);
    if (r == EDI_OK) {
        snprintf(o->amount, sizeof o->amount, "%s", amount);
        snprintf(o->currency, sizeof o->currency, "%s", cr.currency);
    }
    bool needed = false;
    char reason[APPROVAL_REASON_MAX] = "";
    if (r == EDI_OK && cr.outcome < ORDER_ACTION_HOLD)
        r = order_holds_approval_needed(p->store, p->partners, o, &needed, reason,
                                        sizeof reason, why, why_n);
    orders_verdict v = orders_verdict_of(cr.outcome, needed);
    if (r == EDI_OK) {
        switch (v) {
        case ORDERS_REJECT:
            snprintf(detail, sizeof detail, "Rejected by the checks: %s.", reasons);
            r = orders_move(p->store, o, ORDER_REJECTED, p->worker, detail, NULL, why, why_n);
            *answer = true;
            break;
        case ORDERS_HOLD:
            snprintf(detail, sizeof detail, "Held for the seller's staff: %s.", reasons);
            r = orders_move(p->store, o, ORDER_HELD, p->worker, detail, NULL, why, why_n);
            break;
        case ORDERS_APPROVAL:
            r = orders_move(p->store, o, ORDER_HELD, p->worker, reason, NULL, why, why_n);
            if (r == EDI_OK)
                r = orders_start_approval(p->store, p->content, p->approvals, o, reason,
                                          store_now_ms() / 1000, p->worker, NULL, why, why_n);
            snprintf(detail, sizeof detail, "%s", reason);
            break;
        case ORDERS_ACCEPT:
            snprintf(detail, sizeof detail, "Accepted: %s %s%s", amount, cr.currency,
                     cr.count ? " (with findings that do not hold it)" : "");
            r = orders_move(p->store, o, ORDER_ACCEPTED, p->worker, detail, NULL, why, why_n);
            *answer = true;
            break;
        }
    }
    if (r == EDI_OK) {
        char ev[1024];
        snprintf(ev, sizeof ev, "Order %.200s is %s. %.700s", o->number, o->state, detail);
        r = store_history_add(p->store, o->message_id, o->state, p->worker, ev, why, why_n);
    }
    if (r == EDI_OK && v != ORDERS_HOLD)
        r = orders_notify_requester(p->store, p->content, p->approvals, o,
                                    v == ORDERS_ACCEPT ? NULL : detail, store_now_ms() / 1000,
                                    p->worker, why, why_n);
    order_check_result_free(&cr);
    return r;
}

static edi_result step_check(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    order_list l = { 0 };
    edi_result r = store_begin(p->store, why, why_n);
    if (r == EDI_OK)
        r = store_order_list_message(p->store, j->message_id, collect_order, &l, why, why_n);
    bool answer = false;
    for (size_t i = 0; r == EDI_OK && i < l.n; i++)
        if (!strcmp(l.items[i].state, order_state_name(ORDER_RECEIVED)))
            r = check_order(p, &l.items[i], &answer, why, why_n);
    outcome o = { .next = answer ? "answer" : NULL };
    if (r == EDI_OK)
        r = record(p, j, &o, NULL, NULL, why, why_n);
    if (r == EDI_OK)
        r = store_commit(p->store, why, why_n);
    else
        store_rollback(p->store);
    free(l.items);
    if (r == EDI_E_LIMIT) {
        /* The order as sent cannot be answered: the message fails for a person to act. */
        outcome f = { 0 };
        fail(&f, "%s", why);
        r = finish(p, j, &f, NULL, NULL, why, why_n);
    }
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- answer: the order response of each decided order ------------------------------- */

typedef struct {
    store_id order_id;
    char content[CONTENT_ID_SIZE];  /* "" when there is nothing to send */
    size_t len;
    char filename[128];
    char format[64];
    char note[640];                 /* why there is no response */
} answer_out;

static bool answerable(const store_order *o)
{
    return !o->response_message_id && (!strcmp(o->state, order_state_name(ORDER_ACCEPTED)) ||
                                       !strcmp(o->state, order_state_name(ORDER_REJECTED)));
}

/* Build and convert the response of order `o` (outside the transaction). */
static edi_result build_answer(pipeline_ctx *p, const store_order *o, answer_out *a, char *why,
                               size_t why_n)
{
    memset(a, 0, sizeof *a);
    a->order_id = o->id;
    const partner *who = partner_set_by_id(p->partners, o->partner);
    const char *target = who ? partner_answer_target(who, PARTNER_ANSWER_ORDER_RESPONSE) : "";
    convert_target t;
    if (!target[0] || !convert_target_parse(target, &t)) {
        snprintf(a->note, sizeof a->note, "No order response: partner %s's profile asks for "
                 "none.", o->partner[0] ? o->partner : "(none)");
        return EDI_OK;
    }
    edi_buf raw = { 0 };
    xmlDocPtr order = NULL, resp = NULL;
    char sentence[640] = "", number[32], date[16], ref[16];
    edi_result r = content_store_get(p->content, o->content_id, &raw, why, why_n);
    if (r != EDI_OK)
        return r;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(number, sizeof number, "R%" PRId64, o->id);
    snprintf(ref, sizeof ref, "R%" PRId64, o->id);
    if (mapping_parse_xml(raw.p, raw.len, &order, sentence, sizeof sentence) == EDI_OK &&
        orders_build_response(order, o->answer, number, date, &resp, sentence,
                              sizeof sentence) == EDI_OK) {
        xmlChar *bytes = NULL;
        int len = 0;
        xmlDocDumpMemoryEnc(resp, &bytes, &len, "UTF-8");
        partner view;
        partner_answer_view(who, PARTNER_ANSWER_ORDER_RESPONSE, &view);
        convert_options opt = { .partner = &view, .control_ref = ref };
        convert_results res = { 0 };
        doc_findings f;
        doc_findings_init(&f);
        convert_status st = bytes ? convert_run(p->engine, (const char *)bytes, (size_t)len, t,
                                                &opt, &res, &f, sentence, sizeof sentence)
                                  : CONVERT_REFUSED;
        if (st == CONVERT_DONE || (st == CONVERT_FINDINGS && res.count)) {
            r = content_store_put(p->content, res.items[0].data, res.items[0].len, a->content,
                                  why, why_n);
            a->len = res.items[0].len;
            bool edifact = t == CONVERT_TO_ORDRSP;
            snprintf(a->filename, sizeof a->filename, "%s-%" PRId64 ".%s",
                     edifact ? "ORDRSP" : "ORDERRESPONSE", o->id, edifact ? "edi" : "xml");
            snprintf(a->format, sizeof a->format, "%s",
                     edifact ? "EDIFACT ORDRSP" : "openTRANS 2.1 ORDERRESPONSE");
        } else {
            const doc_finding *e = NULL;
            for (size_t i = 0; i < f.count && !e; i++)
                if (f.items[i].severity == DOC_ERROR)
                    e = &f.items[i];
            snprintf(a->note, sizeof a->note, "The order response cannot be written: %.500s",
                     e ? e->text : sentence);
        }
        convert_results_free(&res);
        doc_findings_free(&f);
        xmlFree(bytes);
    } else {
        snprintf(a->note, sizeof a->note, "The order response cannot be built: %.560s", sentence);
    }
    xmlFreeDoc(resp);
    xmlFreeDoc(order);
    edi_buf_free(&raw);
    return r;
}

/* Why an order got no answer, in its events and its message's history. */
static edi_result note_not_answered(pipeline_ctx *p, const store_order *o, const char *note,
                                    char *why, size_t why_n)
{
    edi_result r = store_order_event_add(p->store, o->id, "not-answered", p->worker, note, why,
                                         why_n);
    if (r == EDI_OK)
        r = store_history_add(p->store, o->message_id, "not-answered", p->worker, note, why,
                              why_n);
    return r;
}

/* An answer to order `o` as an outbound message (the converted bytes already in the content
 * store as `content`) with its "send" job; *mid gets the message's id. */
static edi_result queue_order_answer(pipeline_ctx *p, const store_order *o, const char *filename,
                                     const char *content, size_t len, const char *format,
                                     store_id *mid, char *why, size_t why_n)
{
    store_message out;
    memset(&out, 0, sizeof out);
    out.direction = STORE_OUT;
    snprintf(out.partner, sizeof out.partner, "%s", o->partner);
    snprintf(out.channel, sizeof out.channel, "%s", outbound_channel(p, o->partner));
    snprintf(out.filename, sizeof out.filename, "%s", filename);
    memcpy(out.content_id, content, CONTENT_ID_SIZE);
    out.size = (int64_t)len;
    snprintf(out.format, sizeof out.format, "%s", format);
    snprintf(out.status, sizeof out.status, "%s", STORE_STATUS_QUEUED);
    snprintf(out.reference, sizeof out.reference, "%.95s", o->number);
    out.parent_id = o->message_id;
    return store_message_insert(p->store, &out, "send", mid, why, why_n);
}

/* Record one built answer inside the step's transaction. */
static edi_result record_answer(pipeline_ctx *p, const answer_out *a, char *why, size_t why_n)
{
    store_order o;
    edi_result r = store_order_get(p->store, a->order_id, &o, why, why_n);
    if (r != EDI_OK || !answerable(&o))
        return r;
    /* A decision made outside the pipeline (an approver's) is told here, once. */
    r = orders_notify_requester(p->store, p->content, p->approvals, &o, NULL,
                                store_now_ms() / 1000, p->worker, why, why_n);
    if (r != EDI_OK)
        return r;
    char ev[1024];
    if (!a->content[0]) {
        return note_not_answered(p, &o, a->note, why, why_n);
    }
    store_id mid = 0;
    r = queue_order_answer(p, &o, a->filename, a->content, a->len, a->format, &mid, why, why_n);
    if (r == EDI_OK)
        r = store_order_set_response(p->store, o.id, mid, why, why_n);
    snprintf(ev, sizeof ev, "%s for order %.300s (%s) is message %" PRId64, a->format, o.number,
             o.state, mid);
    if (r == EDI_OK && !strcmp(o.state, order_state_name(ORDER_ACCEPTED)))
        r = orders_move(p->store, &o, ORDER_CONFIRMED, p->worker, ev, NULL, why, why_n);
    else if (r == EDI_OK)
        r = store_order_event_add(p->store, o.id, "answered", p->worker, ev, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(p->store, o.message_id, "answered", p->worker, ev, why, why_n);
    return r;
}

/* ---- answer: despatch advices and invoices recorded for the orders ------------------- */

typedef struct {
    store_order_document doc;
    char content[CONTENT_ID_SIZE];  /* "" when there is nothing to send */
    size_t len;
    char filename[256];
    char format[64];
    char note[640];                 /* why there is no answer */
} document_out;

typedef struct {
    document_out *items;
    size_t n, cap;
} document_list;

static int collect_document(void *ctx, const store_order_document *d)
{
    document_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        document_out *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return 1;
        l->items = items;
        l->cap = cap;
    }
    memset(&l->items[l->n], 0, sizeof l->items[l->n]);
    l->items[l->n++].doc = *d;
    return 0;
}

/* The format name and file name of a document written for target `t`. */
static void document_names(convert_target t, const char *number, document_out *a)
{
    char safe[128];
    size_t k = 0;
    for (const char *c = number; *c && k + 1 < sizeof safe; c++)
        safe[k++] = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                            (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'
                        ? *c : '_';
    safe[k] = '\0';
    const char *format = "", *prefix = "", *ext = "xml";
    switch (t) {
    case CONVERT_TO_DESADV: format = "EDIFACT DESADV"; prefix = "DESADV"; ext = "edi"; break;
    case CONVERT_TO_INVOIC: format = "EDIFACT INVOIC"; prefix = "INVOIC"; ext = "edi"; break;
    case CONVERT_TO_XRECHNUNG_UBL: format = "XRechnung UBL Invoice"; prefix = "XRECHNUNG"; break;
    case CONVERT_TO_XRECHNUNG_CII: format = "XRechnung CII Invoice"; prefix = "XRECHNUNG"; break;
    case CONVERT_TO_PEPPOL: format = "Peppol BIS 3 UBL Invoice"; prefix = "PEPPOL"; break;
    default:
        format = !strcmp(a->doc.kind, "despatch") ? "openTRANS 2.1 DISPATCHNOTIFICATION"
                                                  : "openTRANS 2.1 INVOICE";
        prefix = !strcmp(a->doc.kind, "despatch") ? "DISPATCHNOTIFICATION" : "INVOICE";
        break;
    }
    snprintf(a->format, sizeof a->format, "%s", format);
    snprintf(a->filename, sizeof a->filename, "%s-%s.%s", prefix, safe, ext);
}

/* Convert document `a` to its partner's format (outside the transaction). */
static edi_result build_document_answer(pipeline_ctx *p, document_out *a, char *why,
                                        size_t why_n)
{
    store_order o;
    edi_result r = store_order_get(p->store, a->doc.order_id, &o, why, why_n);
    if (r != EDI_OK)
        return r;
    bool despatch = !strcmp(a->doc.kind, "despatch");
    partner_answer kind = despatch ? PARTNER_ANSWER_DESPATCH : PARTNER_ANSWER_INVOICE;
    const partner *who = partner_set_by_id(p->partners, o.partner);
    const char *target = who ? partner_answer_target(who, kind) : "";
    convert_target t;
    if (!target || !target[0] || !convert_target_parse(target, &t)) {
        snprintf(a->note, sizeof a->note, "No %s sent: partner %s's profile asks for none "
                 "(<answers><%s> in its profile).", despatch ? "despatch advice" : "invoice",
                 o.partner[0] ? o.partner : "(none)", despatch ? "despatchAdvice" : "invoice");
        return EDI_OK;
    }
    edi_buf raw = { 0 };
    r = content_store_get(p->content, a->doc.content_id, &raw, why, why_n);
    if (r != EDI_OK)
        return r;
    partner view;
    partner_answer_view(who, kind, &view);
    char ref[16], sentence[640] = "";
    snprintf(ref, sizeof ref, "%c%" PRId64, despatch ? 'D' : 'I', a->doc.id);
    convert_options opt = { .partner = &view, .control_ref = ref };
    convert_results res = { 0 };
    doc_findings f;
    doc_findings_init(&f);
    convert_status st = convert_run(p->engine, raw.p, raw.len, t, &opt, &res, &f, sentence,
                                    sizeof sentence);
    const doc_finding *e = NULL;
    for (size_t i = 0; i < f.count && !e; i++)
        if (f.items[i].severity == DOC_ERROR)
            e = &f.items[i];
    if ((st == CONVERT_DONE || st == CONVERT_FINDINGS) && !e && res.count) {
        r = content_store_put(p->content, res.items[0].data, res.items[0].len, a->content, why,
                              why_n);
        a->len = res.items[0].len;
        document_names(t, a->doc.number, a);
    } else {
        snprintf(a->note, sizeof a->note, "The %s %.100s cannot be written as %s: %.400s%s%.60s",
                 despatch ? "despatch advice" : "invoice", a->doc.number, target,
                 e ? e->text : sentence, e && e->where[0] ? " at " : "", e ? e->where : "");
    }
    convert_results_free(&res);
    doc_findings_free(&f);
    edi_buf_free(&raw);
    return r;
}

typedef struct {
    store_id id;
    bool pending;
} still_pending;

static int pending_one(void *ctx, const store_order_document *d)
{
    still_pending *sp = ctx;
    if (d->id != sp->id)
        return 0;
    sp->pending = !strcmp(d->state, "pending");
    return 1;
}

/* Record one document's answer (or why there is none) inside the step's transaction. */
static edi_result record_document_answer(pipeline_ctx *p, const document_out *a, char *why,
                                         size_t why_n)
{
    store_order o;
    edi_result r = store_order_get(p->store, a->doc.order_id, &o, why, why_n);
    still_pending sp = { .id = a->doc.id };
    if (r == EDI_OK)
        r = store_order_document_list(p->store, o.id, pending_one, &sp, why, why_n);
    if (r != EDI_OK || !sp.pending)
        return r; /* answered by another run of this step */
    char ev[1024];
    if (!a->content[0]) {
        r = store_order_document_done(p->store, a->doc.id, 0, a->note, why, why_n);
        return r == EDI_OK ? note_not_answered(p, &o, a->note, why, why_n) : r;
    }
    store_id mid = 0;
    r = queue_order_answer(p, &o, a->filename, a->content, a->len, a->format, &mid, why, why_n);
    if (r == EDI_OK)
        r = store_order_document_done(p->store, a->doc.id, mid, "", why, why_n);
    snprintf(ev, sizeof ev, "%s %.200s for order %.300s is message %" PRId64, a->format,
             a->doc.number, o.number, mid);
    if (r == EDI_OK)
        r = store_order_event_add(p->store, o.id, "answered", p->worker, ev, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(p->store, o.message_id, "answered", p->worker, ev, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(p->store, mid, "answers", p->worker, ev, why, why_n);
    return r;
}

static edi_result step_answer(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    order_list l = { 0 };
    edi_result r = store_order_list_message(p->store, j->message_id, collect_order, &l, why,
                                            why_n);
    answer_out *outs = l.n ? calloc(l.n, sizeof *outs) : NULL;
    size_t n = 0;
    if (r == EDI_OK && l.n && !outs)
        r = EDI_E_NOMEM;
    for (size_t i = 0; r == EDI_OK && i < l.n; i++)
        if (answerable(&l.items[i]))
            r = build_answer(p, &l.items[i], &outs[n++], why, why_n);
    document_list docs = { 0 };
    if (r == EDI_OK)
        r = store_order_document_pending(p->store, j->message_id, collect_document, &docs, why,
                                         why_n);
    for (size_t i = 0; r == EDI_OK && i < docs.n; i++)
        r = build_document_answer(p, &docs.items[i], why, why_n);
    if (r == EDI_OK)
        r = store_begin(p->store, why, why_n);
    if (r == EDI_OK) {
        for (size_t i = 0; r == EDI_OK && i < n; i++)
            r = record_answer(p, &outs[i], why, why_n);
        for (size_t i = 0; r == EDI_OK && i < docs.n; i++)
            r = record_document_answer(p, &docs.items[i], why, why_n);
        outcome o = { 0 };
        if (r == EDI_OK)
            r = record(p, j, &o, NULL, NULL, why, why_n);
        if (r == EDI_OK)
            r = store_commit(p->store, why, why_n);
        else
            store_rollback(p->store);
    }
    free(docs.items);
    free(outs);
    free(l.items);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- mail: an outbound mail to the SMTP server --------------------------------------- */

static edi_result step_mail(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    store_message m;
    edi_buf raw = { 0 };
    edi_result r = load(p, j, &m, &raw, why, why_n);
    char from[APPROVAL_EMAIL_MAX], to[APPROVAL_EMAIL_MAX];
    if (r == EDI_OK)
        r = store_mail_envelope_get(p->store, m.id, from, to, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&raw);
        return r == EDI_E_NOT_FOUND ? r : give_back(p, j, r, why);
    }
    outcome o = { 0 };
    char detail[1024] = "", sentence[640] = "";
    if (!p->mail) {
        fail(&o, "The gateway has no SMTP server configured (<orders><mail> in its "
                 "configuration); configure one and resend the mail.");
    } else {
        r = mailer_send(p->mail, from, to, raw.p, raw.len, sentence, sizeof sentence);
        if (r == EDI_E_IO) {
            edi_buf_free(&raw);
            return give_back(p, j, r, sentence);
        }
        if (r != EDI_OK) {
            fail(&o, "The mail server refused the mail to %s: %.560s", to, sentence);
        } else {
            o.status = STORE_STATUS_SENT;
            snprintf(detail, sizeof detail, "handed to %.300s for %s (%zu bytes)", p->mail->url,
                     to, raw.len);
        }
    }
    edi_buf_free(&raw);
    bool sent = o.status && !strcmp(o.status, STORE_STATUS_SENT);
    r = finish_step(p, j, &o, sent ? "sent" : NULL, detail, sent, why, why_n);
    if (r != EDI_OK && r != EDI_E_CONFLICT)
        return give_back(p, j, r, why);
    return r;
}

/* ---- driving ------------------------------------------------------------------------- */

edi_result pipeline_run(pipeline_ctx *p, const store_job *j, char *why, size_t why_n)
{
    if (!strcmp(j->kind, "identify"))
        return step_identify(p, j, why, why_n);
    if (!strcmp(j->kind, "contrl"))
        return step_contrl(p, j, why, why_n);
    if (!strcmp(j->kind, "map"))
        return step_map(p, j, why, why_n);
    if (!strcmp(j->kind, "check"))
        return step_check(p, j, why, why_n);
    if (!strcmp(j->kind, "answer"))
        return step_answer(p, j, why, why_n);
    if (!strcmp(j->kind, "send"))
        return step_send(p, j, why, why_n);
    if (!strcmp(j->kind, "mail"))
        return step_mail(p, j, why, why_n);
    if (!strcmp(j->kind, AS2_MDN_JOB))
        return as2_receive_mdn_job(p->store, p->content, p->worker, j,
                                   p->send_attempts ? p->send_attempts : PIPELINE_SEND_ATTEMPTS,
                                   p->send_backoff_ms ? p->send_backoff_ms
                                                      : PIPELINE_SEND_BACKOFF_MS,
                                   p->send_backoff_max_ms ? p->send_backoff_max_ms
                                                          : PIPELINE_SEND_BACKOFF_MAX_MS,
                                   why, why_n);
    edi_say(why, why_n, "job %" PRId64 " has the unknown kind \"%s\"", j->id, j->kind);
    return give_back(p, j, EDI_E_ARG, why);
}

edi_result pipeline_step(pipeline_ctx *p, bool *ran, char *why, size_t why_n)
{
    store_job j;
    bool got = false;
    *ran = false;
    edi_result r = store_job_claim(p->store, p->worker, p->lease_ms, pipeline_job_kinds, &j, &got,
                                   why, why_n);
    if (r != EDI_OK || !got)
        return r;
    *ran = true;
    return pipeline_run(p, &j, why, why_n);
}

edi_result pipeline_reprocess(store *s, store_id id, const char *actor, char *why, size_t why_n)
{
    store_message m;
    edi_result r = store_message_get(s, id, &m, why, why_n);
    if (r != EDI_OK)
        return r;
    if (m.direction != STORE_IN) {
        edi_say(why, why_n, "message %" PRId64 " is outbound: it is resent, not reprocessed", id);
        return EDI_E_ARG;
    }
    r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_message_update(s, id, NULL, NULL, NULL, STORE_STATUS_RECEIVED, "", why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, id, "reprocess", actor,
                              "processing again from the stored raw bytes", why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "identify", id, 0, why, why_n);
    if (r == EDI_OK)
        r = store_commit(s, why, why_n);
    else
        store_rollback(s);
    return r;
}

edi_result pipeline_reprocess_edited(store *s, content_store *cs, store_id id, const char *data,
                                     size_t len, const char *actor, store_id *copy_id,
                                     char *why, size_t why_n)
{
    store_message m;
    edi_result r = store_message_get(s, id, &m, why, why_n);
    if (r != EDI_OK)
        return r;
    if (m.direction != STORE_IN) {
        edi_say(why, why_n, "message %" PRId64 " is outbound: it is resent, not reprocessed", id);
        return EDI_E_ARG;
    }
    if (!data || !len) {
        edi_say(why, why_n, "the edited copy is empty");
        return EDI_E_ARG;
    }
    store_message copy;
    memset(&copy, 0, sizeof copy);
    r = content_store_put(cs, data, len, copy.content_id, why, why_n);
    if (r != EDI_OK)
        return r;
    copy.direction = STORE_IN;
    snprintf(copy.partner, sizeof copy.partner, "%s", m.partner);
    snprintf(copy.channel, sizeof copy.channel, "%s", m.channel);
    snprintf(copy.filename, sizeof copy.filename, "edited-%.240s",
             m.filename[0] ? m.filename : "message");
    copy.size = (int64_t)len;
    /* A web order is known by its format, not by its content: keep it. */
    if (!strcmp(m.format, WEBORDER_FORMAT))
        snprintf(copy.format, sizeof copy.format, "%s", m.format);
    snprintf(copy.status, sizeof copy.status, "%s", STORE_STATUS_RECEIVED);
    snprintf(copy.reference, sizeof copy.reference, "%s", m.reference);
    copy.parent_id = id;
    r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    r = store_message_insert(s, &copy, "identify", copy_id, why, why_n);
    char detail[512];
    snprintf(detail, sizeof detail, "an edited copy (%zu bytes) is message %" PRId64 " and is "
             "processed in its place; this message and its bytes stay as they are", len,
             *copy_id);
    if (r == EDI_OK)
        r = store_history_add(s, id, "edited", actor, detail, why, why_n);
    snprintf(detail, sizeof detail, "the edited copy of message %" PRId64, id);
    if (r == EDI_OK)
        r = store_history_add(s, *copy_id, "edited-copy", actor, detail, why, why_n);
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

edi_result pipeline_resend(store *s, store_id id, const char *actor, char *why, size_t why_n)
{
    store_message m;
    edi_result r = store_message_get(s, id, &m, why, why_n);
    if (r != EDI_OK)
        return r;
    if (m.direction != STORE_OUT) {
        edi_say(why, why_n, "message %" PRId64 " is inbound: it is reprocessed, not resent", id);
        return EDI_E_ARG;
    }
    r = store_begin(s, why, why_n);
    if (r != EDI_OK)
        return r;
    char detail[256];
    snprintf(detail, sizeof detail, "sent again on request (it was %s)", m.status);
    r = store_message_update(s, id, NULL, NULL, NULL, STORE_STATUS_QUEUED, "", why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, id, "resend", actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, !strcmp(m.channel, "mail")              ? "mail"
                                 : !strcmp(m.channel, AS2_MDN_CHANNEL) ? AS2_MDN_JOB
                                                                        : "send",
                              id, 0, why,
                              why_n);
    if (r == EDI_OK)
        return store_commit(s, why, why_n);
    store_rollback(s);
    return r;
}

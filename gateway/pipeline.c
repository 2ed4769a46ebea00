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

#include "channel_dir.h"
#include "edi_contrl.h"
#include "edi_reader.h"
#include "edi_tokenizer.h"
#include "mapping.h"

const char *const pipeline_job_kinds[] = { "identify", "contrl", "map", "send", NULL };

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

/* Begin, record, commit; roll back on any error. */
static edi_result finish(pipeline_ctx *p, const store_job *j, const outcome *o, const char *event,
                         const char *detail, char *why, size_t why_n)
{
    edi_result r = store_begin(p->store, why, why_n);
    if (r == EDI_OK)
        r = record(p, j, o, event, detail, why, why_n);
    if (r == EDI_OK)
        r = store_commit(p->store, why, why_n);
    else
        store_rollback(p->store);
    return r;
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
    outcome o = { 0 };
    char format[64] = "", detail[1024] = "", found_by[256] = "", version[8] = "";
    char sentence[512] = "";
    mapping_format f = mapping_detect(raw.p, raw.len, sentence, sizeof sentence);
    const partner *hint = m.partner[0] ? partner_set_by_id(p->partners, m.partner) : NULL;
    const partner *who = NULL;
    bool envelope = false;
    if (m.partner[0] && !hint) {
        fail(&o, "The message came in for partner \"%s\", but no partner profile has that id; "
                 "add the profile to the partners folder or correct the channel.", m.partner);
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
    if (!o.status) {
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
            snprintf(out.channel, sizeof out.channel, "dir");
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
    char sentence[640] = "";
    convert_status st = convert_run(p->engine, raw.p, raw.len, CONVERT_TO_CANONICAL, &opt, &res,
                                    &f, sentence, sizeof sentence);
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
    if (r == EDI_OK)
        r = store_begin(p->store, why, why_n);
    if (r == EDI_OK) {
        for (size_t i = 0; r == EDI_OK && i < res.count; i++) {
            char kind[64], number[96], ev[1024];
            describe_doc(&res.items[i], kind, sizeof kind, number, sizeof number);
            if (!reference[0])
                snprintf(reference, sizeof reference, "%s", number);
            snprintf(ev, sizeof ev, "%s %s (%s) mapped to canonical, stored as %s", kind,
                     number[0] ? number : "without number", res.items[i].what, ids[i]);
            r = store_history_add(p->store, m.id, "mapped", p->worker, ev, why, why_n);
        }
        for (size_t i = 0; r == EDI_OK && i < f.count; i++) {
            char ev[1024];
            finding_json(&f.items[i], ev, sizeof ev);
            r = store_history_add(p->store, m.id, "finding", p->worker, ev, why, why_n);
        }
        if (reference[0])
            o.reference = reference;
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
    char detail[1024] = "", path[1024] = "";
    if (!who) {
        fail(&o, "No partner profile has the id \"%s\" any more; restore the profile and "
                 "resend the message.", m.partner);
    } else if (!who->outbox[0]) {
        fail(&o, "Partner %s has no outbox folder (<channel><directory><outbox> in %s); add "
                 "one and resend the message.", who->id, who->file);
    } else {
        char sentence[512];
        r = channel_dir_write(who->outbox, m.filename, raw.p, raw.len, path, sizeof path,
                              sentence, sizeof sentence);
        if (r == EDI_E_ARG) {
            fail(&o, "The file name \"%s\" cannot be written: %s", m.filename, sentence);
        } else if (r != EDI_OK) {
            edi_buf_free(&raw);
            return give_back(p, j, r, sentence);
        } else {
            o.status = STORE_STATUS_SENT;
            snprintf(detail, sizeof detail, "written to %.900s (%zu bytes)", path, raw.len);
        }
    }
    edi_buf_free(&raw);
    bool sent = o.status && !strcmp(o.status, STORE_STATUS_SENT);
    r = finish(p, j, &o, sent ? "sent" : NULL, detail, why, why_n);
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
    if (!strcmp(j->kind, "send"))
        return step_send(p, j, why, why_n);
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

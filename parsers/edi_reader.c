/* The reader is a small state machine over service segments (outside an interchange,
 * in an interchange, in a group, in a message). Everything between UNH and UNT goes to
 * the directory validator; the envelope rules of ISO 9735 are checked here. */
#include "edi_reader.h"

#include "edi_buf.h"
#include "edi_strset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_OUTSIDE, ST_INTERCHANGE, ST_GROUP, ST_MESSAGE };

typedef struct {
    const edi_reader_options *opt;
    const edi_reader_handler *h;
    edi_findings *f;
    edi_interchange_info ic;
    edi_message_info msg;
    edi_position at;
    int state;
    bool ic_open;           /* interchange_begin was called, interchange_end not yet */
    bool saw_group, saw_plain_message;
    unsigned group_messages;
    char group_ref[EDI_REF_MAX];
    unsigned ic_segments;   /* segments of the interchange so far, UNB = 1 */
    unsigned interchanges;
    edi_charset *cs;
    edi_validator *val;
    const edi_message_def *val_def;
    const edi_message_def *svc;  /* service segment definitions for this interchange */
    edi_strset message_ids;      /* UNH 0062 + S009 seen in this interchange */
    edi_buf scratch;        /* one component's value, unescaped */
    int stop;               /* a handler asked to stop */
} reader;

static void add(reader *r, edi_level level, int code, unsigned el, unsigned comp, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void add(reader *r, edi_level level, int code, unsigned el, unsigned comp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edi_findings_vadd(r->f, &r->at, level, EDI_SEV_ERROR, code, el, comp, fmt, ap);
    va_end(ap);
    if (r->state == ST_MESSAGE)
        r->msg.errors++;
}

static void warn(reader *r, edi_level level, int code, unsigned el, unsigned comp, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void warn(reader *r, edi_level level, int code, unsigned el, unsigned comp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edi_findings_vadd(r->f, &r->at, level, EDI_SEV_WARNING, code, el, comp, fmt, ap);
    va_end(ap);
}

static void value(const edi_segment *seg, unsigned el, unsigned comp, char *out, size_t n)
{
    edi_segment_value(seg, el, comp, out, n);
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* ---- interchange ---------------------------------------------------------------- */

static void end_message_missing_unt(reader *r);

static void end_interchange(reader *r, bool have_unz)
{
    if (!r->ic_open)
        return;
    if (r->state == ST_MESSAGE)
        end_message_missing_unt(r);
    if (r->state == ST_GROUP && !have_unz)
        add(r, EDI_LEVEL_GROUP, EDI_SE_MISSING, 0, 0,
            "functional group %s has no UNE trailer: the file may be cut off", r->group_ref);
    if (!have_unz && r->ic.has_unb)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 0, 0,
            "interchange %s has no UNZ trailer: the file may be cut off; ask the sender to send it again",
            r->ic.control_ref[0] ? r->ic.control_ref : "(without reference)");
    r->ic.has_unz = have_unz;
    if (r->h && r->h->interchange_end && !r->stop)
        r->stop = r->h->interchange_end(r->h->ctx, &r->ic);
    edi_charset_free(r->cs);
    r->cs = NULL;
    r->ic.charset = NULL;
    /* The validator's options (decimal mark, charset) belong to this interchange. */
    edi_validator_free(r->val);
    r->val = NULL;
    r->val_def = NULL;
    r->svc = NULL;
    r->ic_open = false;
    r->state = ST_OUTSIDE;
    /* What the tokenizer reports before the next UNB (a bad UNA, junk) belongs to the
     * next interchange, not to this one. */
    r->at.interchange = r->interchanges + 1;
    r->at.interchange_ref[0] = '\0';
    r->at.message = 0;
    r->at.segment = 0;
    r->at.message_ref[0] = '\0';
    r->at.group_ref[0] = '\0';
}

/* `started`: the tokenizer saw UNA/UNB at an interchange boundary (after UNZ or at the
 * start); a UNB after a missing UNZ keeps the earlier UNA's separators but has no UNA. */
static void begin_interchange(reader *r, const edi_segment *seg, bool has_unb, bool started)
{
    memset(&r->ic, 0, sizeof r->ic);
    r->ic.index = ++r->interchanges;
    r->ic.has_unb = has_unb;
    r->ic.sc = *seg->sc;
    r->ic.has_una = started && seg->sc->una;
    r->saw_group = r->saw_plain_message = false;
    r->ic_segments = 0;
    edi_strset_clear(&r->message_ids);
    r->at.interchange = r->ic.index;
    r->at.interchange_ref[0] = '\0';
    r->at.message = 0;
    r->ic_open = true;
    r->state = ST_INTERCHANGE;
}

/* The date's length depends on the syntax version (v3 YYMMDD, v4 CCYYMMDD); with the
 * service directory (`generic`) lengths and digits are checked there, and only whether
 * the date and time can exist is checked here. */
static void check_unb_date(reader *r, bool generic)
{
    int v = r->ic.syntax_version;
    size_t want = v >= 4 ? 8 : 6;
    const char *d = r->ic.date, *t = r->ic.time;
    if (all_digits(d, want)) {
        const char *md = d + (want - 4);
        int mo = two(md), dd = two(md + 2);
        if (mo < 1 || mo > 12 || dd < 1 || dd > 31)
            add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_VALUE, 4, 1,
                "date \"%s\" has no valid month and day", d);
    } else if (!generic && !d[0]) {
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 4, 1, "the interchange date (S004 0017) is missing");
    } else if (!generic) {
        char q[40];
        edi_quote(q, sizeof q, d, strlen(d), 20);
        add(r, EDI_LEVEL_INTERCHANGE, strlen(d) < want ? EDI_SE_TOO_SHORT : EDI_SE_INVALID_VALUE, 4, 1,
            "date \"%s\" is not a %s date: syntax version %d writes the date as %s",
            q, v >= 4 ? "CCYYMMDD" : "YYMMDD", v, v >= 4 ? "CCYYMMDD (8 digits)" : "YYMMDD (6 digits)");
    }
    if (all_digits(t, 4)) {
        if (two(t) > 23 || two(t + 2) > 59)
            add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_VALUE, 4, 2,
                "time \"%s\" is not a time of day (HHMM)", t);
    } else if (!generic) {
        char q[40];
        edi_quote(q, sizeof q, t, strlen(t), 20);
        add(r, EDI_LEVEL_INTERCHANGE, t[0] ? EDI_SE_INVALID_VALUE : EDI_SE_MISSING, 4, 2,
            "the interchange time \"%s\" is not a time of day in the form HHMM", q);
    }
}

static void raw_element(const edi_segment *seg, unsigned el, char *out, size_t n)
{
    const edi_element *e = edi_segment_element(seg, el);
    out[0] = '\0';
    if (!e || n == 0)
        return;
    const edi_component *first = &seg->components[e->first];
    const edi_component *last = &seg->components[e->first + e->count - 1];
    size_t len = (size_t)(last->p + last->len - first->p);
    if (len >= n)
        len = n - 1;
    memcpy(out, first->p, len);
    out[len] = '\0';
}

/* Whether the service directory's 0001 code list (UNB S001, component 1) has `id`. */
static bool syntax_id_listed(const edi_message_def *svc, const char *id)
{
    const edi_segment_def *unb = edi_message_def_segment(svc, "UNB");
    if (!unb || unb->n_elements < 1 || unb->elements[0].n_values < 1)
        return true;
    const edi_code_list *codes = unb->elements[0].values[0].codes;
    return !codes || edi_code_list_contains(codes, id, strlen(id));
}

static void on_unb(reader *r, const edi_segment *seg)
{
    edi_interchange_info *ic = &r->ic;
    char ver[8];
    value(seg, 1, 1, ic->syntax_id, sizeof ic->syntax_id);
    value(seg, 1, 2, ver, sizeof ver);
    value(seg, 2, 1, ic->sender, sizeof ic->sender);
    value(seg, 2, 2, ic->sender_qualifier, sizeof ic->sender_qualifier);
    value(seg, 3, 1, ic->recipient, sizeof ic->recipient);
    value(seg, 3, 2, ic->recipient_qualifier, sizeof ic->recipient_qualifier);
    raw_element(seg, 2, ic->sender_raw, sizeof ic->sender_raw);
    raw_element(seg, 3, ic->recipient_raw, sizeof ic->recipient_raw);
    value(seg, 4, 1, ic->date, sizeof ic->date);
    value(seg, 4, 2, ic->time, sizeof ic->time);
    value(seg, 5, 1, ic->control_ref, sizeof ic->control_ref);
    value(seg, 7, 1, ic->application_ref, sizeof ic->application_ref);
    char flag[4];
    value(seg, 9, 1, flag, sizeof flag);
    ic->ack_requested = strcmp(flag, "1") == 0;
    value(seg, 11, 1, flag, sizeof flag);
    ic->test = strcmp(flag, "1") == 0;
    snprintf(r->at.interchange_ref, sizeof r->at.interchange_ref, "%s", ic->control_ref);

    if (r->opt->directory) {
        char why[256];
        int v = ver[0] >= '1' && ver[0] <= '4' && !ver[1] ? ver[0] - '0' : 3;
        if (edi_directory_service(r->opt->directory, v, &r->svc, why, sizeof why) != EDI_OK)
            r->svc = NULL;
    }
    /* With the service directory, check_service_elements reports missing and malformed
     * elements; these sentences are for envelope-only reading. */
    bool generic = r->svc != NULL;
    if (!ic->syntax_id[0] && !generic)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 1, 1,
            "the syntax identifier (S001 0001, e.g. UNOC) is missing");
    if (all_digits(ver, 1) && ver[0] >= '1' && ver[0] <= '4') {
        ic->syntax_version = ver[0] - '0';
    } else {
        char q[24];
        edi_quote(q, sizeof q, ver, strlen(ver), 8);
        if (!ver[0])
            add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 1, 2,
                "the syntax version (S001 0002) is missing; it is 1 to 4, e.g. UNOC:3");
        else
            add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_SYNTAX_LEVEL_NOT_SUPPORTED, 1, 2,
                "syntax version \"%s\" is not supported: ISO 9735 versions 1 to 4 are", q);
    }
    if (ic->syntax_id[0] || r->opt->charset_override) {
        char why[256];
        edi_result cr = edi_charset_open(ic->syntax_id, r->opt->charset_override, &r->cs, why, sizeof why);
        if (cr != EDI_OK) {
            r->cs = NULL;
            /* An identifier outside the 0001 code list is already reported by the service
             * directory check; one in the list that we cannot decode (UNOX) is not. */
            if (!generic || syntax_id_listed(r->svc, ic->syntax_id))
                add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_SYNTAX_LEVEL_NOT_SUPPORTED, 1, 1, "%s", why);
        }
        ic->charset = r->cs;
    }
    if (ic->syntax_version)
        check_unb_date(r, generic);
    if (generic)
        return;
    if (!ic->sender[0])
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 2, 1, "the interchange sender (S002 0004) is missing");
    if (!ic->recipient[0])
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 3, 1, "the interchange recipient (S003 0010) is missing");
    if (!ic->control_ref[0])
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 5, 1,
            "the interchange control reference (0020) is missing");
    if (seg->max_position > 11)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_TOO_MANY_CONSTITUENTS, seg->max_position, 0,
            "UNB has %u data elements; it has at most 11", seg->max_position);
}

static void check_count(reader *r, const edi_segment *seg, edi_level level, const char *what,
                        unsigned actual, const char *counted)
{
    char got[24];
    value(seg, 1, 1, got, sizeof got);
    if (!got[0]) {
        add(r, level, EDI_SE_MISSING, 1, 0, "the %s is missing; it should be %u", what, actual);
    } else if (!all_digits(got, strlen(got)) || strtoul(got, NULL, 10) != actual) {
        char q[40];
        edi_quote(q, sizeof q, got, strlen(got), 20);
        add(r, level, EDI_SE_CONTROL_COUNT, 1, 0, "the %s says %s but there %s %u %s",
            what, q, actual == 1 ? "is" : "are", actual, counted);
    }
}

static void check_ref(reader *r, const edi_segment *seg, edi_level level, const char *trailer,
                      const char *header, const char *want)
{
    char got[EDI_REF_MAX];
    value(seg, 2, 1, got, sizeof got);
    if (strcmp(got, want) != 0) {
        char q[64];
        edi_quote(q, sizeof q, got, strlen(got), 35);
        add(r, level, got[0] ? EDI_SE_REFERENCES_DO_NOT_MATCH : EDI_SE_MISSING, 2, 0,
            "the %s reference \"%s\" does not match the %s reference \"%s\"", trailer, q, header, want);
    }
}

static void on_unz(reader *r, const edi_segment *seg)
{
    if (!r->ic.messages && !r->ic.groups)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_LOWER_LEVEL_EMPTY, 0, 0,
            "the interchange holds no message: an interchange carries at least one message "
            "or functional group");
    if (r->state == ST_GROUP)
        add(r, EDI_LEVEL_GROUP, EDI_SE_MISSING, 0, 0,
            "functional group %s has no UNE trailer before UNZ", r->group_ref);
    if (r->saw_group)
        check_count(r, seg, EDI_LEVEL_INTERCHANGE, "UNZ count of functional groups", r->ic.groups,
                    r->ic.groups == 1 ? "group" : "groups");
    else
        check_count(r, seg, EDI_LEVEL_INTERCHANGE, "UNZ count of messages", r->ic.messages,
                    r->ic.messages == 1 ? "message" : "messages");
    if (r->ic.has_unb)
        check_ref(r, seg, EDI_LEVEL_INTERCHANGE, "UNZ", "UNB", r->ic.control_ref);
}

/* ---- groups ------------------------------------------------------------------ */

static void on_ung(reader *r, const edi_segment *seg)
{
    if (!r->ic.has_unb)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 0, 0,
            "the functional group has no interchange header: UNB must come before UNG");
    if (r->state == ST_GROUP)
        add(r, EDI_LEVEL_GROUP, EDI_SE_MISSING, 0, 0,
            "functional group %s has no UNE trailer before the next UNG", r->group_ref);
    if (r->saw_plain_message)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_GROUPS_AND_MESSAGES_MIXED, 0, 0,
            "the interchange has messages both inside and outside functional groups; "
            "use UNG/UNE around all messages or around none");
    r->saw_group = true;
    r->ic.groups++;
    r->group_messages = 0;
    value(seg, 5, 1, r->group_ref, sizeof r->group_ref);
    snprintf(r->at.group_ref, sizeof r->at.group_ref, "%s", r->group_ref);
    if (!r->group_ref[0])
        add(r, EDI_LEVEL_GROUP, EDI_SE_MISSING, 5, 1, "the group reference (UNG 0048) is missing");
    r->state = ST_GROUP;
}

static void on_une(reader *r, const edi_segment *seg)
{
    if (r->state != ST_GROUP) {
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_OCCURRENCE, 0, 0,
            "UNE without a preceding UNG");
        return;
    }
    if (!r->group_messages)
        add(r, EDI_LEVEL_GROUP, EDI_SE_LOWER_LEVEL_EMPTY, 0, 0,
            "functional group %s holds no message", r->group_ref);
    check_count(r, seg, EDI_LEVEL_GROUP, "UNE count of messages", r->group_messages,
                r->group_messages == 1 ? "message in the group" : "messages in the group");
    check_ref(r, seg, EDI_LEVEL_GROUP, "UNE", "UNG", r->group_ref);
    r->state = ST_INTERCHANGE;
}

/* ---- messages ---------------------------------------------------------------- */

static void finish_message(reader *r)
{
    if (r->val && r->msg.def) {
        size_t before = r->f->errors;
        edi_validator_end(r->val, &r->at);
        r->msg.errors += r->f->errors - before;
    }
    if (r->h && r->h->message_end && !r->stop)
        r->stop = r->h->message_end(r->h->ctx, &r->ic, &r->msg);
    r->state = r->saw_group && r->at.group_ref[0] ? ST_GROUP : ST_INTERCHANGE;
    r->at.message_ref[0] = '\0';
    /* The cap is per message: envelope findings after it are always kept. */
    edi_findings_message_begin(r->f);
}

static void end_message_missing_unt(reader *r)
{
    add(r, EDI_LEVEL_MESSAGE, EDI_SE_MISSING, 0, 0,
        "message %s has no UNT trailer: segment %u is the last one read",
        r->msg.ref, r->msg.segments);
    finish_message(r);
    r->at.message = 0;
}

/* Which part of UNH S009 has no directory: the type (1), version (2), release (3),
 * agency (4) or association (5). The directory caches failed look-ups, so this is cheap. */
static unsigned unsupported_component(edi_directory *d, const edi_message_info *m)
{
    static const char *const known[][2] = { { "D", "96A" }, { "D", "01B" }, { "D", "3" }, { "4", "1" } };
    const size_t n = sizeof known / sizeof known[0];
    const edi_message_def *def;
    char why[8];
    bool type = false, version = false;
    for (size_t i = 0; i < n; i++) {
        if (edi_directory_find(d, m->type, known[i][0], known[i][1], "UN", NULL, &def, why, sizeof why) == EDI_OK) {
            type = true;
            if (!strcmp(m->version, known[i][0]))
                version = true;
        }
    }
    if (!type)
        return 1;
    if (!version)
        return 2;
    if (edi_directory_find(d, m->type, m->version, m->release, "UN", NULL, &def, why, sizeof why) != EDI_OK)
        return 3;
    if (edi_directory_find(d, m->type, m->version, m->release, m->agency, NULL, &def, why, sizeof why) != EDI_OK)
        return 4;
    return 5;
}

/* One validator per definition, reused across messages of the same type. */
static void start_validator(reader *r, const edi_message_def *def)
{
    if (r->val && r->val_def != def) {
        edi_validator_free(r->val);
        r->val = NULL;
    }
    if (!r->val) {
        const char *cs = r->cs ? edi_charset_name(r->cs) : "";
        edi_validator_options vo = {
            .decimal = r->ic.sc.decimal,
            .any_decimal = r->ic.syntax_version >= 4 || !r->ic.has_una,
            .utf8 = !strcmp(cs, "UNOW") || !strcmp(cs, "UNOY") || !strcmp(cs, "UTF-8"),
        };
        r->val = edi_validator_new(def, &vo);
        r->val_def = def;
    }
    if (r->val)
        edi_validator_begin(r->val, r->f, &r->at);
}

static void on_unh(reader *r, const edi_segment *seg)
{
    edi_message_info *m = &r->msg;
    memset(m, 0, sizeof *m);
    m->index = ++r->ic.messages;
    if (r->state == ST_GROUP)
        r->group_messages++;
    else
        r->saw_plain_message = true;
    if (r->saw_plain_message && r->saw_group && r->state != ST_GROUP)
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_GROUPS_AND_MESSAGES_MIXED, 0, 0,
            "the interchange has messages both inside and outside functional groups; "
            "use UNG/UNE around all messages or around none");
    snprintf(m->group_ref, sizeof m->group_ref, "%s", r->state == ST_GROUP ? r->group_ref : "");
    value(seg, 1, 1, m->ref, sizeof m->ref);
    value(seg, 2, 1, m->type, sizeof m->type);
    value(seg, 2, 2, m->version, sizeof m->version);
    value(seg, 2, 3, m->release, sizeof m->release);
    value(seg, 2, 4, m->agency, sizeof m->agency);
    value(seg, 2, 5, m->association, sizeof m->association);
    m->segments = 1;

    r->at.message = m->index;
    r->at.segment = 1;
    snprintf(r->at.message_ref, sizeof r->at.message_ref, "%s", m->ref);
    edi_findings_message_begin(r->f);
    r->state = ST_MESSAGE;

    if (!r->svc) {
        if (!m->ref[0])
            add(r, EDI_LEVEL_MESSAGE, EDI_SE_MISSING, 1, 1, "the message reference (UNH 0062) is missing");
        static const char *const names[] = { "type (0065)", "version (0052)", "release (0054)", "agency (0051)" };
        const char *vals[] = { m->type, m->version, m->release, m->agency };
        for (unsigned i = 0; i < 4; i++)
            if (!vals[i][0])
                add(r, EDI_LEVEL_MESSAGE, EDI_SE_MISSING, 2, i + 1, "the message %s is missing", names[i]);
    }

    if (m->ref[0]) {
        /* 0062 with S009 identifies a message for CONTRL and APERAK: it must be unique. */
        char key[EDI_REF_MAX + 40];
        snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s\x1f%s", m->ref, m->type, m->version,
                 m->release, m->agency);
        if (edi_strset_add(&r->message_ids, key) == 0)
            add(r, EDI_LEVEL_MESSAGE, EDI_SE_DUPLICATE, 1, 0,
                "message reference \"%s\" is used by an earlier %s message of this interchange; "
                "each message needs its own reference", m->ref, m->type);
    }
    if (r->opt->directory && m->type[0]) {
        char why[256] = "";
        const edi_message_def *def = NULL;
        if (edi_directory_find(r->opt->directory, m->type, m->version, m->release, m->agency,
                               m->association, &def, why, sizeof why) == EDI_OK && def) {
            m->def = def;
            start_validator(r, def);
        } else {
            add(r, EDI_LEVEL_MESSAGE, EDI_SE_VALUE_NOT_SUPPORTED, 2,
                unsupported_component(r->opt->directory, m), "%s", why);
        }
    }
}

static void on_unt(reader *r, const edi_segment *seg)
{
    r->msg.has_unt = true;
    check_count(r, seg, EDI_LEVEL_MESSAGE, "UNT segment count", r->msg.segments,
                "segments from UNH to UNT");
    check_ref(r, seg, EDI_LEVEL_MESSAGE, "UNT", "UNH", r->msg.ref);
}

/* Characters outside the declared repertoire: one finding per segment, pointing at the
 * first component that has one. */
/* A control character (C0 or DEL) in a value is never data in any EDIFACT repertoire: it
 * is damage (a NUL from a broken transfer, a stray escape), and passing it on would put a
 * value the partner never sent into orders and answers. */
static bool has_control(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7F)
            return true;
    return false;
}

static void check_repertoire(reader *r, const edi_segment *seg)
{
    if (!r->cs || edi_charset_check(r->cs, seg->raw, seg->raw_len, NULL))
        return;
    if (!edi_buf_grow(&r->scratch, seg->raw_len + 1))
        return;
    for (uint32_t i = 0; i < seg->n_elements; i++) {
        const edi_element *e = &seg->elements[i];
        for (uint32_t k = 0; k < e->count; k++) {
            const edi_component *c = &seg->components[e->first + k];
            size_t n = edi_component_copy(seg, c, r->scratch.p);
            edi_charset_issue issue;
            if (edi_charset_check(r->cs, r->scratch.p, n, &issue))
                continue;
            char q[96], hint[200] = "";
            edi_quote(q, sizeof q, r->scratch.p, n, 40);
            bool control = has_control(r->scratch.p, n);
            if (control)
                snprintf(hint, sizeof hint, "; a control character is never data: the file "
                         "was damaged on its way, so ask the partner to send it again");
            else if (edi_charset_mislabel_hint(r->cs, r->scratch.p, n, hint, sizeof hint - 2))
                memmove(hint + 2, hint, strlen(hint) + 1), hint[0] = ';', hint[1] = ' ';
            bool error = r->opt->repertoire_is_error || control;
            edi_findings_add(r->f, &r->at, EDI_LEVEL_ELEMENT,
                             error ? EDI_SEV_ERROR : EDI_SEV_WARNING,
                             EDI_SE_INVALID_CHARACTERS, e->position, k + 1,
                             "\"%s\": %s%s", q, issue.text, hint);
            if (error && r->state == ST_MESSAGE)
                r->msg.errors++;
            return;
        }
    }
}

/* UNB, UNG, UNH, UNT, UNE, UNZ against the service directory of the syntax version:
 * element counts, formats and code lists (0001, 0051, ...). */
static void check_service_elements(reader *r, const edi_segment *seg)
{
    if (!r->opt->directory)
        return;
    if (!r->svc) {
        char why[256];
        int v = r->ic.syntax_version ? r->ic.syntax_version : 3;
        if (edi_directory_service(r->opt->directory, v, &r->svc, why, sizeof why) != EDI_OK)
            return;
    }
    const edi_segment_def *d = edi_message_def_segment(r->svc, seg->tag);
    if (!d)
        return;
    edi_validator_options vo = { .decimal = r->ic.sc.decimal, .any_decimal = true };
    size_t before = r->f->errors;
    edi_validate_segment_elements(d, seg, &r->at, &vo, r->f);
    if (r->state == ST_MESSAGE)
        r->msg.errors += r->f->errors - before;
}

static void set_at(reader *r, const edi_segment *seg)
{
    memcpy(r->at.tag, seg->tag[0] ? seg->tag : "???", 4);
    r->at.offset = seg->offset;
    r->at.line = seg->line;
}

/* Service segments by their tag, classified once per segment: comparing strings for each
 * of them was a fifth of the envelope check's time. */
enum { SVC_NONE, SVC_UNB, SVC_UNG, SVC_UNH, SVC_UNT, SVC_UNE, SVC_UNZ };

static int service_kind(const char *tag)
{
    if (tag[0] != 'U' || tag[1] != 'N')
        return SVC_NONE;
    switch (tag[2]) {
    case 'B': return SVC_UNB;
    case 'G': return SVC_UNG;
    case 'H': return SVC_UNH;
    case 'T': return SVC_UNT;
    case 'E': return SVC_UNE;
    case 'Z': return SVC_UNZ;
    default: return SVC_NONE;
    }
}

static void on_segment(reader *r, const edi_segment *seg, bool started)
{
    const char *tag = seg->tag;
    const int kind = service_kind(tag);
    bool unb = kind == SVC_UNB, unh = kind == SVC_UNH;

    /* Every segment belongs to an interchange: one that does not follow UNB opens an
     * interchange without envelope (a bare message is tolerated, anything else is not). */
    if (unb || r->state == ST_OUTSIDE) {
        if (r->ic_open)
            end_interchange(r, false);
        begin_interchange(r, seg, unb, started);
        if (!unb && r->h && r->h->interchange_begin && !r->stop)
            r->stop = r->h->interchange_begin(r->h->ctx, &r->ic);
    }
    if (r->state == ST_MESSAGE && unh) {
        set_at(r, seg);
        end_message_missing_unt(r);
    }
    if (r->state == ST_MESSAGE && (unb || kind == SVC_UNZ || kind == SVC_UNG || kind == SVC_UNE))
        end_message_missing_unt(r);

    r->ic_segments++;
    if (r->state == ST_MESSAGE) {
        r->msg.segments++;
        r->at.segment = r->msg.segments;
    } else if (!unh) {
        r->at.segment = r->ic_segments;
        r->at.message = 0;
    }
    set_at(r, seg);

    if (unb) {
        on_unb(r, seg);
        if (r->h && r->h->interchange_begin && !r->stop)
            r->stop = r->h->interchange_begin(r->h->ctx, &r->ic);
    }
    if (r->stop)
        return;

    if (!seg->tag[0]) {
        char q[64];
        edi_quote(q, sizeof q, seg->tag_raw.p, seg->tag_raw.len, 20);
        add(r, r->state == ST_MESSAGE ? EDI_LEVEL_SEGMENT : EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_VALUE, 0, 0,
            "\"%s\" is not a segment tag (three upper-case letters)", q);
    }
    if (seg->had_stray_release)
        warn(r, r->state == ST_MESSAGE ? EDI_LEVEL_SEGMENT : EDI_LEVEL_INTERCHANGE,
             EDI_SE_INVALID_SERVICE_CHARS, 0, 0,
             "the release character \"%c\" stands before a character that needs no release; it was dropped",
             seg->sc->release);
    if (!unb)
        check_repertoire(r, seg);

    const edi_placement *pl = NULL;
    edi_placement place;
    if (unh) {
        if (!r->ic.has_unb)
            warn(r, EDI_LEVEL_INTERCHANGE, EDI_SE_MISSING, 0, 0,
                 "the message has no interchange envelope (UNB ... UNZ); it was checked on its own");
        on_unh(r, seg);
        if (r->h && r->h->message_begin && !r->stop)
            r->stop = r->h->message_begin(r->h->ctx, &r->ic, &r->msg);
    } else if (kind == SVC_UNT) {
        if (r->state != ST_MESSAGE) {
            add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_OCCURRENCE, 0, 0, "UNT without a preceding UNH");
        } else {
            on_unt(r, seg);
        }
    } else if (unb) {
        /* handled above */
    } else if (kind == SVC_UNZ) {
        on_unz(r, seg);
    } else if (kind == SVC_UNG) {
        on_ung(r, seg);
    } else if (kind == SVC_UNE) {
        on_une(r, seg);
    } else if (r->state == ST_MESSAGE) {
        if (r->msg.def && r->val) {
            size_t before = r->f->errors;
            edi_validator_segment(r->val, seg, &r->at, &place);
            r->msg.errors += r->f->errors - before;
            pl = &place;
        }
    } else {
        add(r, EDI_LEVEL_INTERCHANGE, EDI_SE_INVALID_OCCURRENCE, 0, 0,
            "segment %s stands outside a message (between UNB/UNG and UNH, or after UNT); "
            "it belongs between UNH and UNT",
            seg->tag[0] ? seg->tag : "?");
    }

    if (kind != SVC_NONE)
        check_service_elements(r, seg);

    if (r->h && r->h->segment && !r->stop)
        r->stop = r->h->segment(r->h->ctx, &r->ic, seg, &r->at, pl);

    if (kind == SVC_UNT && r->state == ST_MESSAGE) {
        finish_message(r);
        r->at.message = 0;
    } else if (kind == SVC_UNZ && r->ic_open) {
        end_interchange(r, true);
    }
}

static edi_result run(edi_tokenizer *t, const edi_reader_options *opt, const edi_reader_handler *h,
                      edi_findings *f)
{
    static const edi_reader_options defaults = { 0 };
    reader r;
    memset(&r, 0, sizeof r);
    r.opt = opt ? opt : &defaults;
    r.h = h;
    r.f = f;
    r.state = ST_OUTSIDE;
    r.at.interchange = 1;
    edi_segment seg;
    edi_result res;
    while ((res = edi_tokenizer_next(t, &seg, f, &r.at)) == EDI_OK) {
        on_segment(&r, &seg, edi_tokenizer_at_interchange_start(t));
        if (r.stop)
            break;
    }
    if (res == EDI_END)
        res = EDI_OK;
    if (r.ic_open && !r.stop) {
        r.at.offset = edi_tokenizer_offset(t);
        r.at.tag[0] = '\0';
        r.at.segment = 0;
        end_interchange(&r, false);
    }
    edi_charset_free(r.cs);
    edi_strset_free(&r.message_ids);
    edi_validator_free(r.val);
    edi_buf_free(&r.scratch);
    if (r.stop && res == EDI_OK)
        res = (r.stop > 0 && r.stop < EDI_RESULT_COUNT) ? (edi_result)r.stop : EDI_E_ARG;
    return res;
}

edi_result edi_reader_run_fd(int fd, const edi_reader_options *opt, const edi_reader_handler *h,
                             edi_findings *f)
{
    edi_tokenizer *t = edi_tokenizer_new_fd(fd, opt ? &opt->tokenizer : NULL);
    if (!t)
        return EDI_E_NOMEM;
    edi_result r = run(t, opt, h, f);
    edi_tokenizer_free(t);
    return r;
}

edi_result edi_reader_run_mem(const char *buf, size_t len, const edi_reader_options *opt,
                              const edi_reader_handler *h, edi_findings *f)
{
    edi_tokenizer *t = edi_tokenizer_new_mem(buf, len, opt ? &opt->tokenizer : NULL);
    if (!t)
        return EDI_E_NOMEM;
    edi_result r = run(t, opt, h, f);
    edi_tokenizer_free(t);
    return r;
}

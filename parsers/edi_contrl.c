/* Building runs in two passes: every error finding of the subject interchange is first
 * routed to the UCI, a UCF or a UCM (segment and element findings to the UCS/UCD under
 * their message), then the segments are written in the order of the CONTRL structure.
 * Reading walks the tokenizer's segments, remembering the UNB, UCF and UCM in force.
 *
 * S011 0098 (UCI/UCF/UCM/UCD) counts the segment tag as position 1. The CONTRL directories
 * say so in the definition of 0098 ("The segment code and each following simple or
 * composite data element defined in the segment description shall cause the count to be
 * incremented. The segment tag has position number 1", php-edifact-mapping Service_V3 and
 * Service_V4 segments.xml), and the syntax rules agree on why: ISO 9735 (D422 of UNTDID
 * D.96A, annex A.39) defines the segment tag as a composite data element in its own
 * right, the first one of the segment. Findings count elements from 1 after the tag (as
 * the tokenizer does), so 0098 = element + 1; reading subtracts the 1 again. */
#include "edi_contrl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UCS_PER_MESSAGE 999 /* SG2/SG5 repeat */
#define MAX_UCD_PER_UCS 99      /* UCD repeat in SG2/SG5 */
#define NO_GROUP SIZE_MAX

static edi_result fail(char *why, size_t why_n, edi_result r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static edi_result fail(char *why, size_t why_n, edi_result r, const char *fmt, ...)
{
    if (why && why_n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_n, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* `items` grown to hold one more than `count`; NULL (items untouched) on out of memory. */
static void *reserve_one(void *items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *n = realloc(items, ncap * size);
    if (n)
        *cap = ncap;
    return n;
}

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Whether `tag` is one of the three-letter tags in the space-separated `list`. */
static bool tag_in(const char *tag, const char *list)
{
    if (strlen(tag) != 3)
        return false;
    for (const char *p = list; *p; p += p[3] ? 4 : 3)
        if (!memcmp(p, tag, 3))
            return true;
    return false;
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

/* ---- the subject ---------------------------------------------------------------- */

void edi_contrl_subject_init(edi_contrl_subject *s)
{
    memset(s, 0, sizeof *s);
}

void edi_contrl_subject_free(edi_contrl_subject *s)
{
    free(s->groups);
    free(s->messages);
    memset(s, 0, sizeof *s);
}

void edi_contrl_subject_reset(edi_contrl_subject *s)
{
    s->n_groups = 0;
    s->n_messages = 0;
    s->error = EDI_OK;
    s->unh_index = 0;
}

edi_result edi_contrl_subject_add_group(edi_contrl_subject *s, const edi_contrl_group *g)
{
    if (s->error != EDI_OK)
        return s->error;
    edi_contrl_group *n = reserve_one(s->groups, &s->groups_cap, s->n_groups, sizeof *n);
    if (!n)
        return s->error = EDI_E_NOMEM;
    s->groups = n;
    s->groups[s->n_groups++] = *g;
    return EDI_OK;
}

edi_result edi_contrl_subject_add_message(edi_contrl_subject *s, const edi_contrl_message *m)
{
    if (s->error != EDI_OK)
        return s->error;
    edi_contrl_message *n = reserve_one(s->messages, &s->messages_cap, s->n_messages, sizeof *n);
    if (!n)
        return s->error = EDI_E_NOMEM;
    s->messages = n;
    s->messages[s->n_messages++] = *m;
    return EDI_OK;
}

static void read_composite(const edi_segment *seg, unsigned position, edi_contrl_composite *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned k = 0; k < EDI_CONTRL_COMPONENTS; k++)
        edi_segment_value(seg, position, k + 1, out->c[k], sizeof out->c[k]);
}

edi_result edi_contrl_subject_on_segment(edi_contrl_subject *s, const edi_segment *seg,
                                         const edi_position *at)
{
    if (!strcmp(seg->tag, "UNG")) {
        edi_contrl_group g;
        memset(&g, 0, sizeof g);
        edi_segment_value(seg, 5, 1, g.ref, sizeof g.ref);
        read_composite(seg, 2, &g.sender);
        read_composite(seg, 3, &g.recipient);
        return edi_contrl_subject_add_group(s, &g);
    }
    if (!strcmp(seg->tag, "UNH")) {
        read_composite(seg, 2, &s->unh_identifier);
        s->unh_index = at ? at->message : 0;
    }
    return s->error;
}

edi_result edi_contrl_subject_on_message_end(edi_contrl_subject *s, const edi_message_info *m)
{
    edi_contrl_message cm;
    memset(&cm, 0, sizeof cm);
    cm.index = m->index;
    copy_str(cm.ref, sizeof cm.ref, m->ref);
    copy_str(cm.group_ref, sizeof cm.group_ref, m->group_ref);
    cm.errors = m->errors;
    if (s->unh_index && s->unh_index == m->index) {
        cm.identifier = s->unh_identifier;
    } else {
        const char *parts[] = { m->type, m->version, m->release, m->agency, m->association };
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
            copy_str(cm.identifier.c[k], sizeof cm.identifier.c[k], parts[k]);
    }
    s->unh_index = 0;
    return edi_contrl_subject_add_message(s, &cm);
}

/* ---- building: routing findings ------------------------------------------------- */

typedef struct {
    bool rejected;
    const edi_finding *first;   /* first error at this level itself: 0085, tag and S011 */
} verdict;

typedef struct {
    const char *ref;              /* 0048 as received */
    const edi_contrl_group *def;  /* NULL when only messages named the group */
    verdict v;
    bool has_rejected_message;
} group_plan;

/* A segment or element finding inside a message, to be written as UCS/UCD. */
typedef struct {
    const edi_finding *fd;
    size_t message;   /* slot in the subject's messages */
    size_t order;     /* position in the findings, to keep their order within a segment */
} segment_error;

typedef struct {
    const edi_interchange_info *ic;
    const edi_contrl_subject *s;
    const edi_contrl_options *o;
    char *why;
    size_t why_n;

    verdict uci;
    int uci_action;
    verdict *messages;            /* per subject message */
    size_t *message_group;        /* per subject message: index into groups, or NO_GROUP */
    group_plan *groups;
    size_t n_groups, groups_cap, last_group;
    segment_error *errors;
    size_t n_errors, errors_cap;
    size_t *errors_start;         /* per message slot (+1): its range in errors */
    unsigned max_ucs, max_ucd;
    edi_writer *w;
} builder;

static bool find_message(const edi_contrl_subject *s, unsigned index, size_t *slot)
{
    /* Messages are normally collected in order, so index - 1 is their slot. */
    if (index >= 1 && index <= s->n_messages && s->messages[index - 1].index == index) {
        *slot = index - 1;
        return true;
    }
    for (size_t i = 0; i < s->n_messages; i++)
        if (s->messages[i].index == index) {
            *slot = i;
            return true;
        }
    return false;
}

static size_t find_group(builder *b, const char *ref)
{
    if (!ref[0])
        return NO_GROUP;
    if (b->last_group < b->n_groups && !strcmp(b->groups[b->last_group].ref, ref))
        return b->last_group;
    for (size_t i = 0; i < b->n_groups; i++)
        if (!strcmp(b->groups[i].ref, ref))
            return b->last_group = i;
    return NO_GROUP;
}

static edi_result add_group_plan(builder *b, const char *ref, const edi_contrl_group *def)
{
    group_plan *n = reserve_one(b->groups, &b->groups_cap, b->n_groups, sizeof *n);
    if (!n)
        return EDI_E_NOMEM;
    b->groups = n;
    memset(&b->groups[b->n_groups], 0, sizeof *b->groups);
    b->groups[b->n_groups].ref = ref;
    b->groups[b->n_groups].def = def;
    b->n_groups++;
    return EDI_OK;
}

/* The groups as collected, plus any group only the messages name (when the caller did not
 * collect UNG segments); each message is linked to its group. */
static edi_result plan_groups(builder *b)
{
    const edi_contrl_subject *s = b->s;
    for (size_t i = 0; i < s->n_groups; i++)
        if (add_group_plan(b, s->groups[i].ref, &s->groups[i]) != EDI_OK)
            return EDI_E_NOMEM;
    for (size_t i = 0; i < s->n_messages; i++) {
        const char *ref = s->messages[i].group_ref;
        size_t g = find_group(b, ref);
        if (g == NO_GROUP && ref[0]) {
            if (add_group_plan(b, ref, NULL) != EDI_OK)
                return EDI_E_NOMEM;
            g = b->last_group = b->n_groups - 1;
        }
        b->message_group[i] = g;
    }
    return EDI_OK;
}

static void note(verdict *v, const edi_finding *fd)
{
    v->rejected = true;
    if (!v->first)
        v->first = fd;
}

static edi_result route(builder *b, const edi_finding *fd, size_t order)
{
    const edi_position *at = &fd->at;
    if (fd->level >= EDI_LEVEL_MESSAGE && at->message) {
        size_t slot;
        if (!find_message(b->s, at->message, &slot))
            return fail(b->why, b->why_n, EDI_E_ARG,
                        "a finding is about message %u (\"%s\"), which is not among the %zu "
                        "messages given for interchange %s",
                        at->message, at->message_ref, b->s->n_messages, b->ic->control_ref);
        /* UCM reports the errors in UNH and UNT (its 0085, tag and S011 hold one), so the
         * first one goes there whatever its level; a segment or element finding without
         * a segment number cannot have a UCS and speaks for the message as well. */
        verdict *v = &b->messages[slot];
        if (fd->level == EDI_LEVEL_MESSAGE || at->segment == 0 ||
            (!v->first && tag_in(at->tag, "UNH UNT"))) {
            note(v, fd);
            return EDI_OK;
        }
        v->rejected = true;
        segment_error *n = reserve_one(b->errors, &b->errors_cap, b->n_errors, sizeof *n);
        if (!n)
            return EDI_E_NOMEM;
        b->errors = n;
        b->errors[b->n_errors++] = (segment_error){ .fd = fd, .message = slot, .order = order };
        return EDI_OK;
    }
    /* Outside messages: group errors, and errors in UNG/UNE whatever their level, belong
     * to the group's UCF; everything else (UNA, UNB, UNZ, stray segments) to the UCI. */
    size_t g = NO_GROUP;
    if (fd->level == EDI_LEVEL_GROUP ||
        (fd->level != EDI_LEVEL_INTERCHANGE && tag_in(at->tag, "UNG UNE")))
        g = find_group(b, at->group_ref);
    note(g == NO_GROUP ? &b->uci : &b->groups[g].v, fd);
    return EDI_OK;
}

static int by_message_segment_order(const void *pa, const void *pb)
{
    const segment_error *a = pa, *b = pb;
    if (a->message != b->message)
        return a->message < b->message ? -1 : 1;
    if (a->fd->at.segment != b->fd->at.segment)
        return a->fd->at.segment < b->fd->at.segment ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static edi_result plan(builder *b, const edi_findings *f)
{
    const edi_contrl_subject *s = b->s;
    size_t n = s->n_messages;
    b->messages = calloc(n ? n : 1, sizeof *b->messages);
    b->message_group = calloc(n ? n : 1, sizeof *b->message_group);
    b->errors_start = calloc(n + 1, sizeof *b->errors_start);
    if (!b->messages || !b->message_group || !b->errors_start)
        return EDI_E_NOMEM;
    edi_result r = plan_groups(b);
    if (r != EDI_OK)
        return r;

    for (size_t i = 0; f && i < f->count; i++) {
        const edi_finding *fd = &f->items[i];
        if (fd->severity != EDI_SEV_ERROR || fd->at.interchange != b->ic->index)
            continue;
        if ((r = route(b, fd, i)) != EDI_OK)
            return r;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->messages[i].errors)
            b->messages[i].rejected = true;
        if (b->messages[i].rejected && b->message_group[i] != NO_GROUP)
            b->groups[b->message_group[i]].has_rejected_message = true;
    }
    if (b->n_errors)
        qsort(b->errors, b->n_errors, sizeof *b->errors, by_message_segment_order);
    for (size_t i = 0, k = 0; i <= n; i++) {
        while (k < b->n_errors && b->errors[k].message < i)
            k++;
        b->errors_start[i] = k;
    }

    if (b->o->mode == EDI_CONTRL_RECEIPT_ONLY)
        b->uci_action = b->uci.rejected ? EDI_ACTION_REJECTED : EDI_ACTION_RECEIVED;
    else
        b->uci_action = b->uci.rejected ? EDI_ACTION_REJECTED : EDI_ACTION_ACKNOWLEDGED;
    return EDI_OK;
}

/* ---- building: writing ---------------------------------------------------------- */

#define TRY(expr)                            \
    do {                                     \
        edi_result try_r_ = (expr);          \
        if (try_r_ != EDI_OK)                \
            return try_r_;                   \
    } while (0)

static edi_result component_utf8(builder *b, const char *utf8)
{
    return edi_writer_component(b->w, utf8, strlen(utf8));
}

/* A value from the subject: its bytes are in the subject's character set, while the writer
 * takes UTF-8. Without a usable subject charset the bytes go as they are. */
static edi_result component_subject(builder *b, const char *bytes)
{
    size_t n = strlen(bytes);
    if (!b->ic->charset || n == 0)
        return edi_writer_component(b->w, bytes, n);
    char buf[EDI_CHARSET_TO_UTF8_MAX(80) + 1];
    if (n > 80)
        n = 80;
    size_t len = edi_charset_to_utf8(b->ic->charset, bytes, n, buf, sizeof buf, NULL);
    return edi_writer_component(b->w, buf, len);
}

static edi_result element_utf8(builder *b, const char *utf8)
{
    TRY(edi_writer_element(b->w, false));
    return component_utf8(b, utf8);
}

static edi_result element_subject(builder *b, const char *bytes)
{
    TRY(edi_writer_element(b->w, false));
    return component_subject(b, bytes);
}

static edi_result component_number(builder *b, unsigned long n)
{
    char num[24];
    snprintf(num, sizeof num, "%lu", n);
    return component_utf8(b, num);
}

static edi_result element_number(builder *b, unsigned long n)
{
    TRY(edi_writer_element(b->w, false));
    return component_number(b, n);
}

static edi_result element_composite(builder *b, const edi_contrl_composite *c)
{
    TRY(edi_writer_element(b->w, false));
    for (size_t k = 0; k < EDI_CONTRL_COMPONENTS; k++)
        TRY(component_subject(b, c->c[k]));
    return EDI_OK;
}

/* S002/S003 as the reader kept them: the composite written with the subject's service
 * characters. Split it with those, honouring the release character; line breaks inside
 * a wrapped segment are not data. */
static void split_raw_composite(const char *raw, const edi_service_chars *sc,
                                edi_contrl_composite *out)
{
    memset(out, 0, sizeof *out);
    size_t k = 0, len = 0;
    for (const char *p = raw; *p; p++) {
        char c = *p;
        if (c == '\r' || c == '\n')
            continue;
        if (sc->release && c == sc->release && p[1]) {
            c = *++p;
        } else if (c == sc->component) {
            if (++k == EDI_CONTRL_COMPONENTS)
                return;
            len = 0;
            continue;
        }
        if (len + 1 < sizeof out->c[k]) {
            out->c[k][len++] = c;
            out->c[k][len] = '\0';
        }
    }
}

static edi_result end_segment(builder *b)
{
    return edi_writer_end_segment(b->w);
}

/* Whether data element `position` of service segment `tag` is a composite (ISO 9735 v3
 * and v4 agree on these positions). S011 0104 names a component, so it is only written
 * for composites, whatever component number a finding on a simple element carries. */
static bool service_composite(const char *tag, unsigned position)
{
    if (!strcmp(tag, "UNB"))
        return position <= 4 || position == 6;           /* S001-S004, S005 */
    if (!strcmp(tag, "UNG"))
        return (position >= 2 && position <= 4) || position == 7; /* S006, S007, S004, S008 */
    if (!strcmp(tag, "UNH"))
        return position == 2 || position >= 4;           /* S009, S010, v4 S016-S018 */
    return false;                                        /* UNA, UNT, UNE, UNZ */
}

/* 0085, then for errors in one of `tags` the service segment tag (0013/0135) and S011. */
static edi_result write_error(builder *b, const edi_finding *fd, const char *tags)
{
    if (!fd)
        return EDI_OK;
    TRY(element_number(b, (unsigned long)fd->code));
    if (!tag_in(fd->at.tag, tags))
        return EDI_OK;
    TRY(element_utf8(b, fd->at.tag));
    if (!fd->element)
        return EDI_OK;
    TRY(edi_writer_element(b->w, false));
    TRY(component_number(b, fd->element + 1UL));
    if (fd->component && service_composite(fd->at.tag, fd->element))
        TRY(component_number(b, fd->component));
    return EDI_OK;
}

static edi_result write_unb(builder *b, int version, const char *syntax_id)
{
    const edi_interchange_info *ic = b->ic;
    const edi_contrl_options *o = b->o;
    edi_contrl_composite subject_sender, subject_recipient;
    split_raw_composite(ic->sender_raw, &ic->sc, &subject_sender);
    split_raw_composite(ic->recipient_raw, &ic->sc, &subject_recipient);

    TRY(edi_writer_begin_segment(b->w, "UNB"));
    TRY(element_utf8(b, syntax_id));
    TRY(component_number(b, (unsigned long)version));
    if (o->sender_id && o->sender_id[0]) {
        TRY(element_utf8(b, o->sender_id));
        TRY(component_utf8(b, o->sender_qualifier ? o->sender_qualifier : ""));
    } else {
        TRY(element_composite(b, &subject_recipient));
    }
    TRY(element_composite(b, &subject_sender));
    TRY(element_utf8(b, version >= 4 ? o->date : o->date + 2));
    TRY(component_utf8(b, o->time));
    TRY(element_utf8(b, o->control_ref));
    /* 0031 (position 9) stays empty: a CONTRL never asks for a CONTRL. A test interchange
     * is answered by a test CONTRL (0035, position 11). */
    if (ic->test) {
        for (int pos = 6; pos <= 10; pos++)
            TRY(edi_writer_element(b->w, false));
        TRY(element_utf8(b, "1"));
    }
    return end_segment(b);
}

static edi_result write_unh(builder *b, int version)
{
    const edi_contrl_options *o = b->o;
    const char *ref = o->message_ref && o->message_ref[0] ? o->message_ref : "1";
    const char *ver = o->message_version ? o->message_version : version >= 4 ? "4" : "D";
    const char *rel = o->message_release ? o->message_release : version >= 4 ? "1" : "3";
    TRY(edi_writer_begin_segment(b->w, "UNH"));
    TRY(element_utf8(b, ref));
    TRY(element_utf8(b, "CONTRL"));
    TRY(component_utf8(b, ver));
    TRY(component_utf8(b, rel));
    TRY(component_utf8(b, "UN"));
    if (o->association && o->association[0])
        TRY(component_utf8(b, o->association));
    return end_segment(b);
}

static edi_result write_uci(builder *b)
{
    const edi_interchange_info *ic = b->ic;
    edi_contrl_composite sender, recipient;
    split_raw_composite(ic->sender_raw, &ic->sc, &sender);
    split_raw_composite(ic->recipient_raw, &ic->sc, &recipient);
    TRY(edi_writer_begin_segment(b->w, "UCI"));
    TRY(element_subject(b, ic->control_ref));
    TRY(element_composite(b, &sender));
    TRY(element_composite(b, &recipient));
    TRY(element_number(b, (unsigned long)b->uci_action));
    TRY(write_error(b, b->uci.first, "UNA UNB UNZ"));
    return end_segment(b);
}

static edi_result write_segment_errors(builder *b, size_t slot)
{
    size_t i = b->errors_start[slot], end = b->errors_start[slot + 1];
    for (unsigned ucs = 0; i < end && ucs < b->max_ucs; ucs++) {
        unsigned position = b->errors[i].fd->at.segment;
        size_t j = i;
        const edi_finding *segment_code = NULL;
        for (; j < end && b->errors[j].fd->at.segment == position; j++) {
            const edi_finding *fd = b->errors[j].fd;
            if (!segment_code && (fd->level == EDI_LEVEL_SEGMENT || !fd->element))
                segment_code = fd;
        }
        TRY(edi_writer_begin_segment(b->w, "UCS"));
        TRY(element_number(b, position));
        if (segment_code)
            TRY(element_number(b, (unsigned long)segment_code->code));
        TRY(end_segment(b));
        unsigned ucd = 0;
        for (size_t k = i; k < j && ucd < b->max_ucd; k++) {
            const edi_finding *fd = b->errors[k].fd;
            if (fd->level != EDI_LEVEL_ELEMENT || !fd->element)
                continue;
            TRY(edi_writer_begin_segment(b->w, "UCD"));
            TRY(element_number(b, (unsigned long)fd->code));
            TRY(element_number(b, fd->element + 1UL));
            if (fd->component)
                TRY(component_number(b, fd->component));
            TRY(end_segment(b));
            ucd++;
        }
        i = j;
    }
    return EDI_OK;
}

static edi_result write_ucm(builder *b, size_t slot)
{
    const edi_contrl_message *m = &b->s->messages[slot];
    const verdict *v = &b->messages[slot];
    TRY(edi_writer_begin_segment(b->w, "UCM"));
    TRY(element_subject(b, m->ref));
    TRY(element_composite(b, &m->identifier));
    TRY(element_number(b, v->rejected ? EDI_ACTION_REJECTED : EDI_ACTION_ACKNOWLEDGED));
    if (v->first)
        TRY(write_error(b, v->first, "UNH UNT"));
    else if (v->rejected && b->errors_start[slot] == b->errors_start[slot + 1])
        /* The reader counted errors but none was kept (the findings ran out of memory):
         * still say that the message is rejected, and that the reason is not reported. */
        TRY(element_number(b, EDI_SE_UNSPECIFIED));
    TRY(end_segment(b));
    return v->rejected ? write_segment_errors(b, slot) : EDI_OK;
}

static bool report_message(const builder *b, size_t slot, bool level_above_accepted)
{
    return b->messages[slot].rejected ||
           (b->o->mode == EDI_CONTRL_REPORT_ALL && level_above_accepted);
}

static edi_result write_ucf(builder *b, const group_plan *g)
{
    static const edi_contrl_composite none;
    TRY(edi_writer_begin_segment(b->w, "UCF"));
    TRY(element_subject(b, g->ref));
    TRY(element_composite(b, g->def ? &g->def->sender : &none));
    TRY(element_composite(b, g->def ? &g->def->recipient : &none));
    TRY(element_number(b, g->v.rejected ? EDI_ACTION_REJECTED : EDI_ACTION_ACKNOWLEDGED));
    TRY(write_error(b, g->v.first, "UNG UNE"));
    return end_segment(b);
}

/* SG3: one UCF per reported group, its messages' UCMs below it, in file order. Messages
 * outside every group cannot be written under SG3; the reader has then already rejected
 * the interchange (groups and messages mixed). */
static edi_result write_groups(builder *b)
{
    size_t n = b->s->n_messages;
    size_t *count = calloc(b->n_groups + 1, sizeof *count);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    edi_result r = EDI_OK;
    if (!count || !order) {
        r = EDI_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (b->message_group[i] != NO_GROUP)
            count[b->message_group[i] + 1]++;
    for (size_t g = 0; g < b->n_groups; g++)
        count[g + 1] += count[g];
    for (size_t i = 0; i < n; i++)
        if (b->message_group[i] != NO_GROUP)
            order[count[b->message_group[i]]++] = i;
    /* count[g] is now the end of group g's messages in `order`; g's start is count[g-1]. */
    bool uci_accepted = b->uci_action == EDI_ACTION_ACKNOWLEDGED;
    for (size_t g = 0; g < b->n_groups && r == EDI_OK; g++) {
        const group_plan *gp = &b->groups[g];
        if (!gp->v.rejected && !gp->has_rejected_message &&
            !(b->o->mode == EDI_CONTRL_REPORT_ALL && uci_accepted))
            continue;
        r = write_ucf(b, gp);
        bool accepted_above = uci_accepted && !gp->v.rejected;
        for (size_t k = g ? count[g - 1] : 0; k < count[g] && r == EDI_OK; k++)
            if (report_message(b, order[k], accepted_above))
                r = write_ucm(b, order[k]);
    }
done:
    free(count);
    free(order);
    return r;
}

static edi_result write_contrl(builder *b, int version, const char *syntax_id)
{
    TRY(write_unb(b, version, syntax_id));
    TRY(write_unh(b, version));
    TRY(write_uci(b));
    if (b->o->mode != EDI_CONTRL_RECEIPT_ONLY) {
        if (b->n_groups) {
            TRY(write_groups(b));
        } else {
            bool uci_accepted = b->uci_action == EDI_ACTION_ACKNOWLEDGED;
            for (size_t i = 0; i < b->s->n_messages; i++)
                if (report_message(b, i, uci_accepted))
                    TRY(write_ucm(b, i));
        }
    }
    TRY(edi_writer_begin_segment(b->w, "UNT"));
    TRY(element_number(b, edi_writer_message_segments(b->w)));
    TRY(element_utf8(b, b->o->message_ref && b->o->message_ref[0] ? b->o->message_ref : "1"));
    TRY(end_segment(b));
    TRY(edi_writer_begin_segment(b->w, "UNZ"));
    TRY(element_number(b, edi_writer_messages(b->w)));
    TRY(element_utf8(b, b->o->control_ref));
    return end_segment(b);
}

static edi_result check_options(const edi_interchange_info *ic, const edi_contrl_options *o,
                                char *why, size_t why_n)
{
    if (!o->control_ref || !o->control_ref[0] || strlen(o->control_ref) > 14)
        return fail(why, why_n, EDI_E_ARG,
                    "the CONTRL needs its own interchange control reference of 1 to 14 characters");
    if (o->message_ref && strlen(o->message_ref) > 14)
        return fail(why, why_n, EDI_E_ARG, "the message reference has more than 14 characters");
    if (!o->date || !all_digits(o->date, 8))
        return fail(why, why_n, EDI_E_ARG, "the date must be given as CCYYMMDD (8 digits)");
    if (!o->time || !all_digits(o->time, 4))
        return fail(why, why_n, EDI_E_ARG, "the time must be given as HHMM (4 digits)");
    if (o->syntax_version < 0 || o->syntax_version > 4)
        return fail(why, why_n, EDI_E_ARG, "syntax version %d does not exist; 1 to 4 do",
                    o->syntax_version);
    if (!ic->has_unb || !ic->control_ref[0])
        return fail(why, why_n, EDI_E_ARG,
                    "the interchange has no UNB with a control reference, so a CONTRL cannot "
                    "say which interchange it answers");
    return EDI_OK;
}

/* The caller's syntax identifier, else the subject's when we can write it, else UNOA, the
 * level every EDIFACT translator reads. */
static const char *choose_syntax_id(const edi_interchange_info *ic, const edi_contrl_options *o,
                                    char *why, size_t why_n, edi_result *r)
{
    bool chosen = o->syntax_id && o->syntax_id[0];
    const char *id = chosen ? o->syntax_id : ic->syntax_id[0] ? ic->syntax_id : "UNOA";
    char cwhy[256] = "";
    edi_charset *cs = NULL;
    edi_result cr = edi_charset_open(id, NULL, &cs, cwhy, sizeof cwhy);
    edi_charset_free(cs);
    *r = EDI_OK;
    if (cr == EDI_OK)
        return id;
    if (cr == EDI_E_NOMEM || chosen) {
        *r = fail(why, why_n, cr, "the CONTRL cannot be written in %s: %s", id, cwhy);
        return NULL;
    }
    return "UNOA";
}

edi_result edi_contrl_build(const edi_interchange_info *ic, const edi_contrl_subject *s,
                            const edi_findings *f, const edi_contrl_options *o, char **out,
                            size_t *out_len, char *why, size_t why_n)
{
    if (!ic || !s || !o || !out || !out_len)
        return fail(why, why_n, EDI_E_ARG, "a required argument is NULL");
    *out = NULL;
    *out_len = 0;
    edi_result r = check_options(ic, o, why, why_n);
    if (r != EDI_OK)
        return r;
    if (s->error != EDI_OK)
        return fail(why, why_n, s->error, "collecting the interchange's messages failed: %s",
                    edi_result_str(s->error));

    builder b;
    memset(&b, 0, sizeof b);
    b.ic = ic;
    b.s = s;
    b.o = o;
    b.why = why;
    b.why_n = why_n;
    b.last_group = NO_GROUP;
    b.max_ucs = o->max_segment_errors && o->max_segment_errors < MAX_UCS_PER_MESSAGE
                    ? o->max_segment_errors : MAX_UCS_PER_MESSAGE;
    b.max_ucd = o->max_element_errors && o->max_element_errors < MAX_UCD_PER_UCS
                    ? o->max_element_errors : MAX_UCD_PER_UCS;

    int version = o->syntax_version ? o->syntax_version
                                    : ic->syntax_version ? ic->syntax_version : 3;
    const char *syntax_id = choose_syntax_id(ic, o, why, why_n, &r);
    if (r == EDI_OK)
        r = plan(&b, f);
    if (r == EDI_OK) {
        edi_writer_options wo;
        if (o->writer)
            wo = *o->writer;
        else
            edi_writer_options_default(&wo);
        wo.syntax_version = version;
        wo.charset = syntax_id;
        char wwhy[256] = "";
        /* The character set is known to open, so the writer refuses only its options
         * (or runs out of memory, which its sentence then says). */
        b.w = edi_writer_new(&wo, wwhy, sizeof wwhy);
        if (!b.w)
            r = fail(why, why_n, EDI_E_ARG, "the CONTRL cannot be written: %s", wwhy);
    }
    if (r == EDI_OK) {
        r = write_contrl(&b, version, syntax_id);
        if (r != EDI_OK)
            fail(why, why_n, r, "writing the CONTRL failed: %s",
                 edi_writer_warning(b.w) ? edi_writer_warning(b.w) : edi_result_str(r));
    }
    if (r == EDI_OK) {
        size_t len;
        const char *data = edi_writer_data(b.w, &len);
        *out = malloc(len ? len : 1);
        if (*out) {
            memcpy(*out, data, len);
            *out_len = len;
        } else {
            r = fail(why, why_n, EDI_E_NOMEM, "out of memory");
        }
    } else if (r == EDI_E_NOMEM) {
        fail(why, why_n, r, "out of memory");
    }
    edi_writer_free(b.w);
    free(b.messages);
    free(b.message_group);
    free(b.groups);
    free(b.errors);
    free(b.errors_start);
    return r;
}

/* ---- reading -------------------------------------------------------------------- */

typedef struct {
    edi_contrl_report *reports;
    size_t n_reports, reports_cap;
    size_t entries_cap;          /* of the open report's entries */
    bool in_contrl;              /* a CONTRL message is open: reports[n_reports - 1] */
    /* the UNB in force */
    char sender[EDI_REF_MAX], sender_qualifier[8];
    char recipient[EDI_REF_MAX], recipient_qualifier[8];
    char control_ref[EDI_REF_MAX];
    int syntax_version;
    edi_charset *cs;             /* decodes values of the UNB's syntax identifier */
    /* the UCF, UCM and UCS in force inside the open CONTRL */
    edi_contrl_entry context;
} contrl_reader;

/* Component (el, comp) as UTF-8: decoded with the interchange's character set, or with
 * bytes above 0x7F replaced by '?' when there is none we can decode. */
static void get_text(const contrl_reader *rd, const edi_segment *seg, unsigned el, unsigned comp,
                     char *out, size_t n)
{
    char raw[128];
    edi_segment_value(seg, el, comp, raw, sizeof raw);
    memset(out, 0, n);
    if (rd->cs) {
        edi_charset_to_utf8(rd->cs, raw, strlen(raw), out, n - 1, NULL);
        return;
    }
    size_t i = 0;
    for (; raw[i] && i + 1 < n; i++)
        out[i] = (unsigned char)raw[i] < 0x80 ? raw[i] : '?';
}

/* A number element: 0 when absent; *malformed set when it is not a number. */
static unsigned get_number(const edi_segment *seg, unsigned el, unsigned comp, bool *malformed)
{
    char raw[16];
    size_t len = edi_segment_value(seg, el, comp, raw, sizeof raw);
    if (len == 0)
        return 0;
    if (len > 9 || !all_digits(raw, len)) {
        *malformed = true;
        return 0;
    }
    return (unsigned)strtoul(raw, NULL, 10);
}

static void get_s011(const edi_segment *seg, unsigned el, edi_contrl_entry *e)
{
    unsigned position = get_number(seg, el, 1, &e->malformed);
    e->tag_in_error = position == 1;
    e->element = position > 1 ? position - 1 : 0;
    e->component = get_number(seg, el, 2, &e->malformed);
    e->occurrence = get_number(seg, el, 3, &e->malformed);
}

static void on_unb(contrl_reader *rd, const edi_segment *seg)
{
    char id[8], version[4];
    edi_segment_value(seg, 1, 1, id, sizeof id);
    edi_segment_value(seg, 1, 2, version, sizeof version);
    rd->syntax_version = all_digits(version, 1) ? version[0] - '0' : 0;
    edi_charset_free(rd->cs);
    rd->cs = NULL;
    if (edi_charset_open(id, NULL, &rd->cs, NULL, 0) != EDI_OK)
        rd->cs = NULL;
    get_text(rd, seg, 2, 1, rd->sender, sizeof rd->sender);
    get_text(rd, seg, 2, 2, rd->sender_qualifier, sizeof rd->sender_qualifier);
    get_text(rd, seg, 3, 1, rd->recipient, sizeof rd->recipient);
    get_text(rd, seg, 3, 2, rd->recipient_qualifier, sizeof rd->recipient_qualifier);
    get_text(rd, seg, 5, 1, rd->control_ref, sizeof rd->control_ref);
}

static void forget_unb(contrl_reader *rd)
{
    edi_charset_free(rd->cs);
    rd->cs = NULL;
    rd->sender[0] = rd->sender_qualifier[0] = rd->recipient[0] = rd->recipient_qualifier[0] = '\0';
    rd->control_ref[0] = '\0';
    rd->syntax_version = 0;
}

static edi_result on_unh(contrl_reader *rd, const edi_segment *seg)
{
    char type[8];
    edi_segment_value(seg, 2, 1, type, sizeof type);
    rd->in_contrl = false;
    if (strcmp(type, "CONTRL") != 0)
        return EDI_OK;
    edi_contrl_report *n = reserve_one(rd->reports, &rd->reports_cap, rd->n_reports, sizeof *n);
    if (!n)
        return EDI_E_NOMEM;
    rd->reports = n;
    edi_contrl_report *r = &rd->reports[rd->n_reports++];
    memset(r, 0, sizeof *r);
    memcpy(r->sender, rd->sender, sizeof r->sender);
    memcpy(r->sender_qualifier, rd->sender_qualifier, sizeof r->sender_qualifier);
    memcpy(r->recipient, rd->recipient, sizeof r->recipient);
    memcpy(r->recipient_qualifier, rd->recipient_qualifier, sizeof r->recipient_qualifier);
    memcpy(r->control_ref, rd->control_ref, sizeof r->control_ref);
    r->syntax_version = rd->syntax_version;
    get_text(rd, seg, 1, 1, r->message_ref, sizeof r->message_ref);
    get_text(rd, seg, 2, 2, r->version, sizeof r->version);
    get_text(rd, seg, 2, 3, r->release, sizeof r->release);
    get_text(rd, seg, 2, 5, r->association, sizeof r->association);
    rd->entries_cap = 0;
    rd->in_contrl = true;
    memset(&rd->context, 0, sizeof rd->context);
    return EDI_OK;
}

static void get_message_identifier(const contrl_reader *rd, const edi_segment *seg, unsigned el,
                                   edi_contrl_entry *e)
{
    get_text(rd, seg, el, 1, e->message_type, sizeof e->message_type);
    get_text(rd, seg, el, 2, e->message_version, sizeof e->message_version);
    get_text(rd, seg, el, 3, e->message_release, sizeof e->message_release);
    get_text(rd, seg, el, 4, e->message_agency, sizeof e->message_agency);
    get_text(rd, seg, el, 5, e->message_association, sizeof e->message_association);
}

/* UCI, UCF and UCM share their tail: 0083, 0085, segment tag, S011 from position `at`. */
static void get_response(const contrl_reader *rd, const edi_segment *seg, unsigned at,
                         edi_contrl_entry *e)
{
    e->action = (int)get_number(seg, at, 1, &e->malformed);
    if (!e->action)
        e->malformed = true;
    e->code = (int)get_number(seg, at + 1, 1, &e->malformed);
    get_text(rd, seg, at + 2, 1, e->tag, sizeof e->tag);
    get_s011(seg, at + 3, e);
}

static edi_result on_contrl_segment(contrl_reader *rd, const edi_segment *seg)
{
    edi_contrl_report *r = &rd->reports[rd->n_reports - 1];
    edi_contrl_entry e;
    edi_contrl_entry *ctx = &rd->context;
    memset(&e, 0, sizeof e);

    if (!strcmp(seg->tag, "UCI")) {
        e.level = EDI_LEVEL_INTERCHANGE;
        get_text(rd, seg, 1, 1, r->subject_ref, sizeof r->subject_ref);
        get_text(rd, seg, 2, 1, r->subject_sender, sizeof r->subject_sender);
        get_text(rd, seg, 2, 2, r->subject_sender_qualifier, sizeof r->subject_sender_qualifier);
        get_text(rd, seg, 3, 1, r->subject_recipient, sizeof r->subject_recipient);
        get_text(rd, seg, 3, 2, r->subject_recipient_qualifier,
                 sizeof r->subject_recipient_qualifier);
        get_response(rd, seg, 4, &e);
        if (!r->subject_ref[0])
            e.malformed = true;
        r->action = e.action;
        memset(ctx, 0, sizeof *ctx);
    } else if (!strcmp(seg->tag, "UCF")) {
        memset(ctx, 0, sizeof *ctx);
        get_text(rd, seg, 1, 1, ctx->group_ref, sizeof ctx->group_ref);
        memcpy(e.group_ref, ctx->group_ref, sizeof e.group_ref);
        e.level = EDI_LEVEL_GROUP;
        get_response(rd, seg, 4, &e);
        if (!e.group_ref[0])
            e.malformed = true;
    } else if (!strcmp(seg->tag, "UCM")) {
        memcpy(e.group_ref, ctx->group_ref, sizeof e.group_ref);
        get_text(rd, seg, 1, 1, e.message_ref, sizeof e.message_ref);
        get_message_identifier(rd, seg, 2, &e);
        e.level = EDI_LEVEL_MESSAGE;
        get_response(rd, seg, 3, &e);
        memcpy(ctx->message_ref, e.message_ref, sizeof ctx->message_ref);
        memcpy(ctx->message_type, e.message_type, sizeof ctx->message_type);
        memcpy(ctx->message_version, e.message_version, sizeof ctx->message_version);
        memcpy(ctx->message_release, e.message_release, sizeof ctx->message_release);
        memcpy(ctx->message_agency, e.message_agency, sizeof ctx->message_agency);
        memcpy(ctx->message_association, e.message_association, sizeof ctx->message_association);
        ctx->segment = 0;
    } else if (!strcmp(seg->tag, "UCS") || !strcmp(seg->tag, "UCD")) {
        bool ucs = seg->tag[2] == 'S';
        e = *ctx;
        e.malformed = false;
        if (ucs) {
            e.level = EDI_LEVEL_SEGMENT;
            e.segment = get_number(seg, 1, 1, &e.malformed);
            if (!e.segment)
                e.malformed = true;
            e.code = (int)get_number(seg, 2, 1, &e.malformed);
            ctx->segment = e.segment;
        } else {
            e.level = EDI_LEVEL_ELEMENT;
            e.code = (int)get_number(seg, 1, 1, &e.malformed);
            get_s011(seg, 2, &e);
            if (!e.code || (!e.element && !e.tag_in_error))
                e.malformed = true;
        }
    } else {
        return EDI_OK;
    }
    edi_contrl_entry *n = reserve_one(r->entries, &rd->entries_cap, r->n_entries, sizeof *n);
    if (!n)
        return EDI_E_NOMEM;
    r->entries = n;
    r->entries[r->n_entries++] = e;
    return EDI_OK;
}

static edi_result on_segment(contrl_reader *rd, const edi_segment *seg)
{
    if (!strcmp(seg->tag, "UNB")) {
        rd->in_contrl = false;
        on_unb(rd, seg);
        return EDI_OK;
    }
    if (!strcmp(seg->tag, "UNZ")) {
        rd->in_contrl = false;
        forget_unb(rd);
        return EDI_OK;
    }
    if (!strcmp(seg->tag, "UNH"))
        return on_unh(rd, seg);
    if (!strcmp(seg->tag, "UNT")) {
        rd->in_contrl = false;
        return EDI_OK;
    }
    return rd->in_contrl ? on_contrl_segment(rd, seg) : EDI_OK;
}

void edi_contrl_reports_free(edi_contrl_report *reports, size_t n_reports)
{
    for (size_t i = 0; reports && i < n_reports; i++)
        free(reports[i].entries);
    free(reports);
}

edi_result edi_contrl_read(const char *buf, size_t len, edi_contrl_report **reports,
                           size_t *n_reports, char *why, size_t why_n)
{
    if (!buf || !reports || !n_reports)
        return fail(why, why_n, EDI_E_ARG, "a required argument is NULL");
    *reports = NULL;
    *n_reports = 0;
    edi_tokenizer *t = edi_tokenizer_new_mem(buf, len, NULL);
    if (!t)
        return fail(why, why_n, EDI_E_NOMEM, "out of memory");
    contrl_reader rd;
    memset(&rd, 0, sizeof rd);
    edi_segment seg;
    edi_result r;
    while ((r = edi_tokenizer_next(t, &seg, NULL, NULL)) == EDI_OK)
        if ((r = on_segment(&rd, &seg)) != EDI_OK)
            break;
    edi_tokenizer_free(t);
    edi_charset_free(rd.cs);
    if (r == EDI_END && rd.n_reports == 0)
        r = fail(why, why_n, EDI_E_SYNTAX, "the input holds no CONTRL message");
    else if (r == EDI_END)
        r = EDI_OK;
    else
        fail(why, why_n, r, "the CONTRL cannot be read: %s", edi_result_str(r));
    if (r != EDI_OK) {
        edi_contrl_reports_free(rd.reports, rd.n_reports);
        return r;
    }
    *reports = rd.reports;
    *n_reports = rd.n_reports;
    return EDI_OK;
}

/* ---- what a report means -------------------------------------------------------- */

/* `listed`: the action is the message's (or group's) own, not one inherited from above. */
static edi_contrl_verdict verdict_of(int action, bool listed)
{
    switch (action) {
    case 4:
    case 6:
        return EDI_CONTRL_REJECTED;
    case 1:
    case 2:
    case 7:
        return EDI_CONTRL_ACCEPTED;
    case 3:
        /* "one or more rejected at the next lower level": said of a message, part of it
         * was rejected; said of a level above, what it does not list was accepted. */
        return listed ? EDI_CONTRL_REJECTED : EDI_CONTRL_ACCEPTED;
    case 5:
    case 8:
        return EDI_CONTRL_RECEIVED;
    default:
        return EDI_CONTRL_UNKNOWN;
    }
}

edi_contrl_verdict edi_contrl_message_verdict(const edi_contrl_report *r, const char *group_ref,
                                              const char *message_ref)
{
    if (!r || !message_ref)
        return EDI_CONTRL_UNKNOWN;
    const edi_contrl_entry *ucm = NULL, *ucf = NULL;
    for (size_t i = 0; i < r->n_entries && !ucm; i++) {
        const edi_contrl_entry *e = &r->entries[i];
        if (e->level == EDI_LEVEL_MESSAGE && !strcmp(e->message_ref, message_ref) &&
            (!group_ref || !strcmp(e->group_ref, group_ref)))
            ucm = e;
    }
    const char *group = ucm ? ucm->group_ref : group_ref;
    for (size_t i = 0; group && group[0] && i < r->n_entries && !ucf; i++)
        if (r->entries[i].level == EDI_LEVEL_GROUP && !strcmp(r->entries[i].group_ref, group))
            ucf = &r->entries[i];

    /* A rejection at a level above rejects everything below it, whatever the UCM says. */
    if (verdict_of(r->action, false) == EDI_CONTRL_REJECTED ||
        (ucf && verdict_of(ucf->action, false) == EDI_CONTRL_REJECTED))
        return EDI_CONTRL_REJECTED;
    if (ucm)
        return verdict_of(ucm->action, true);
    if (ucf)
        return verdict_of(ucf->action, false);
    return verdict_of(r->action, false);
}

const char *edi_contrl_verdict_str(edi_contrl_verdict v)
{
    switch (v) {
    case EDI_CONTRL_ACCEPTED: return "accepted";
    case EDI_CONTRL_REJECTED: return "rejected";
    case EDI_CONTRL_RECEIVED: return "received, not yet checked";
    case EDI_CONTRL_UNKNOWN:  break;
    }
    return "unknown";
}

const char *edi_contrl_action_text(int action)
{
    switch (action) {
    case 1: return "acknowledged, with everything in it (old code 1)";
    case 2: return "acknowledged, but errors were found and are reported (old code 2)";
    case 3: return "one or more parts of it were rejected (old code 3)";
    case 4: return "rejected, with everything in it";
    case 5: return "the interchange envelope (UNB/UNZ) was accepted (old code 5)";
    case 6: return "the interchange envelope (UNB/UNZ) was rejected (old code 6)";
    case 7: return "acknowledged; the parts below it too, unless reported as rejected";
    case 8: return "received; whether it is accepted follows in another CONTRL";
    default: return "an action code not in the ISO 9735 code lists; ask the partner what it means";
    }
}

/* Names from the ISO 9735 service code list 0085 with a sentence for support staff. Codes
 * 1, 3-6, 8-11, 19, 27, 31, 34, 38 and 41-43 exist only in the 1990s list (UNSL D.96A);
 * 45-48 were added with syntax version 4. */
static const char *const error_texts[] = {
    [1] = "UNA not supported: the partner cannot read our UNA service string (old code)",
    [2] = "syntax version or level not supported: the partner does not accept the syntax "
          "identifier or version in our UNB (e.g. UNOC:3)",
    [3] = "message version/release not supported: the partner does not accept this message "
          "type, version or release (old code)",
    [4] = "service segment missing or invalid: an envelope segment (UNB, UNG, UNH, UNT, UNE, "
          "UNZ) is missing or wrong (old code)",
    [5] = "trailer check in error: a count or reference in UNT, UNE or UNZ does not match the "
          "header or what was sent (old code)",
    [6] = "data segment missing or invalid (old code)",
    [7] = "interchange recipient not actual recipient: the interchange was addressed (UNB "
          "S003) to someone other than the partner who received it",
    [8] = "too many data elements in a segment (old code)",
    [9] = "mandatory data element missing (old code)",
    [10] = "data element attribute error: a value does not have the format its definition "
           "asks for (old code)",
    [11] = "password invalid: the partner refused the password in UNB S005 (old code)",
    [12] = "invalid value: a value does not conform to its specification",
    [13] = "missing: a required segment, data element or component is not there",
    [14] = "value not supported in this position: the value may be valid, but the partner "
           "does not accept it here",
    [15] = "not supported in this position: the partner does not accept this segment or data "
           "element here",
    [16] = "too many constituents: a segment has too many data elements or a composite too "
           "many components",
    [17] = "no agreement: no agreement with the partner covers this value (often the message "
           "type, version or sender)",
    [18] = "unspecified error: the partner reports an error without saying what it is",
    [19] = "invalid decimal notation: a decimal mark differs from the one given in UNA (old code)",
    [20] = "character invalid as service character: a character in UNA cannot be a separator",
    [21] = "invalid character: a character is not in the character set declared in UNB",
    [22] = "invalid service character: a separator is not the one given in UNA or by the "
           "syntax level",
    [23] = "unknown interchange sender: the partner does not know our sender identification "
           "(UNB S002)",
    [24] = "too old: the interchange or group is older than the partner accepts",
    [25] = "test indicator not supported: the partner cannot process a test interchange",
    [26] = "duplicate detected: the partner has already received something with this reference",
    [27] = "security function not supported (old code)",
    [28] = "references do not match: the reference in UNZ, UNE or UNT differs from the one in "
           "UNB, UNG or UNH",
    [29] = "control count does not match: the count in UNZ, UNE or UNT differs from what "
           "was received",
    [30] = "functional groups and messages mixed in one interchange",
    [31] = "more than one message type in a functional group (old code)",
    [32] = "lower level empty: the interchange or group contains no messages",
    [33] = "invalid occurrence outside message or group: a segment stands where only "
           "envelope segments may",
    [34] = "nesting indicator not allowed (old code)",
    [35] = "too many segment repetitions: a segment occurs more often than the message allows",
    [36] = "too many segment group repetitions: a segment group occurs more often than the "
           "message allows",
    [37] = "invalid type of character: letters in a numeric data element or digits in an "
           "alphabetic one",
    [38] = "missing digit in front of decimal sign (old code)",
    [39] = "data element too long: a value is longer than its definition allows",
    [40] = "data element too short: a value is shorter than its definition allows",
    [41] = "permanent communication network error (old code)",
    [42] = "temporary communication network error (old code)",
    [43] = "unknown interchange recipient: the network does not know the recipient (old code)",
    [45] = "trailing separator: a segment or data element ends with a separator that should "
           "have been left out",
    [46] = "character set not supported",
    [47] = "envelope functionality not supported",
    [48] = "dependency condition violated: a rule linking data elements (one requires, "
           "excludes or pairs with another) is broken",
};

const char *edi_contrl_error_text(int code)
{
    if (code > 0 && (size_t)code < sizeof error_texts / sizeof error_texts[0] && error_texts[code])
        return error_texts[code];
    return "an error code not in the ISO 9735 code lists; ask the partner what it means";
}

static void appendf(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append to buf (size n) at *len; a line that does not fit is cut, never overrun. */
static void appendf(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0)
        *len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

int edi_contrl_entry_describe(const edi_contrl_report *r, const edi_contrl_entry *e, char *buf,
                              size_t n)
{
    char where[256] = "";
    size_t w = 0;
    if (e->level == EDI_LEVEL_INTERCHANGE || e->level == EDI_LEVEL_GROUP)
        appendf(where, sizeof where, &w, "interchange %s",
                r && r->subject_ref[0] ? r->subject_ref : "(no reference)");
    if (e->group_ref[0])
        appendf(where, sizeof where, &w, "%sgroup %s", w ? ", " : "", e->group_ref);
    if (e->level >= EDI_LEVEL_MESSAGE) {
        appendf(where, sizeof where, &w, "%smessage %s", w ? ", " : "",
                e->message_ref[0] ? e->message_ref : "(no reference)");
        if (e->message_type[0])
            appendf(where, sizeof where, &w, " (%s %s %s)", e->message_type, e->message_version,
                    e->message_release);
    }
    if (e->segment)
        appendf(where, sizeof where, &w, ", segment %u", e->segment);
    if (e->tag[0])
        appendf(where, sizeof where, &w, ", %s", e->tag);
    if (e->tag_in_error)
        appendf(where, sizeof where, &w, ", segment tag");
    if (e->element)
        appendf(where, sizeof where, &w, ", element %u", e->element);
    if (e->component)
        appendf(where, sizeof where, &w, ", component %u", e->component);
    if (e->occurrence)
        appendf(where, sizeof where, &w, ", occurrence %u", e->occurrence);

    char action[160] = "", error[320] = "";
    if (e->level <= EDI_LEVEL_MESSAGE)
        snprintf(action, sizeof action, "%s (action %d)", edi_contrl_action_text(e->action),
                 e->action);
    if (e->code)
        snprintf(error, sizeof error, "error %d, %s", e->code, edi_contrl_error_text(e->code));
    else if (e->level == EDI_LEVEL_SEGMENT)
        snprintf(error, sizeof error, "the segment has errors");
    return snprintf(buf, n, "%s: %s%s%s%s", where, action, action[0] && error[0] ? "; " : "",
                    error, e->malformed ? " (the CONTRL segment itself is malformed)" : "");
}

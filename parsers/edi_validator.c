/* Validation of one message. The structure check keeps one frame per open segment group
 * (the root is frame 0): the group, the index of the entry last matched in it and how
 * often that entry occurred. A segment is looked for from the innermost frame outwards,
 * each time from the last matched entry on, so a message is checked in one pass with no
 * allocation per segment; the search stops at the first entry whose tag (or, for a group,
 * whose trigger segment's tag) matches. Closing a frame or skipping entries reports the
 * mandatory ones that never occurred. */
#include "edi_validator.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 40

typedef struct {
    const edi_struct_node *group;  /* the root or an open group occurrence */
    int32_t pos;                   /* index of the child last matched, -1 before the first */
    uint32_t count;                /* occurrences of children[pos] so far */
} frame;

typedef struct {
    char *p;
    size_t cap;
} scratch;

struct edi_validator {
    const edi_message_def *def;
    edi_validator_options opt;
    edi_findings *f;
    bool active;
    unsigned top;
    frame stack[EDI_DIRECTORY_MAX_DEPTH + 1];
    edi_position last;             /* the last segment processed, UNH at first */
    scratch buf;
};

/* What the element checks need besides the segment. */
typedef struct {
    const edi_segment *seg;
    const edi_position *at;
    edi_findings *f;
    const edi_validator_options *opt;
    const char *label;             /* "ORDERS D.96A", or NULL outside a message */
    scratch *buf;
} elem_ctx;

/* ---- element checks -------------------------------------------------------------------- */

static void format_text(const edi_value_def *vd, char *out, size_t n)
{
    static const char *const cls[] = { "an", "a", "n" };
    if (vd->min_len == vd->max_len && vd->max_len > 1)
        snprintf(out, n, "%s%u", cls[vd->cls], (unsigned)vd->max_len);
    else if (vd->max_len == 1)
        snprintf(out, n, "%s1", cls[vd->cls]);
    else
        snprintf(out, n, "%s..%u", cls[vd->cls], (unsigned)vd->max_len);
}

static void element_finding(const elem_ctx *c, int code, unsigned el, unsigned comp,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void element_finding(const elem_ctx *c, int code, unsigned el, unsigned comp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edi_findings_vadd(c->f, c->at, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, code, el, comp, fmt, ap);
    va_end(ap);
}

/* The unescaped value of a component; points into the segment when nothing is escaped. */
static const char *component_value(const elem_ctx *c, const edi_component *comp, size_t *len)
{
    if (!comp->escaped) {
        *len = comp->len;
        return comp->p;
    }
    if (c->buf->cap < (size_t)comp->len + 1) {
        size_t ncap = (size_t)comp->len + 1 > 256 ? (size_t)comp->len + 1 : 256;
        char *n = realloc(c->buf->p, ncap);
        if (!n) {
            /* Checking the raw bytes is the best we can do without memory. */
            *len = comp->len;
            return comp->p;
        }
        c->buf->p = n;
        c->buf->cap = ncap;
    }
    *len = edi_component_copy(c->seg, comp, c->buf->p);
    return c->buf->p;
}

static size_t char_count(const elem_ctx *c, const char *v, size_t len)
{
    if (!c->opt->utf8)
        return len;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)v[i] & 0xC0) != 0x80;
    return n;
}

/* A number: optional leading minus, digits, at most one decimal mark with a digit on each
 * side. Returns the number of digits, or -1 after reporting what is wrong. */
static long check_number(const elem_ctx *c, unsigned el, unsigned comp, const edi_value_def *vd,
                         const char *v, size_t len)
{
    size_t i = len && v[0] == '-' ? 1 : 0;
    long before = 0, after = 0;
    char mark = 0;
    bool bad = i == len;
    for (; i < len && !bad; i++) {
        if (v[i] >= '0' && v[i] <= '9') {
            if (mark)
                after++;
            else
                before++;
        } else if ((v[i] == '.' || v[i] == ',') && !mark) {
            mark = v[i];
        } else {
            bad = true;
        }
    }
    char q[QUOTE_MAX + 8], fmt[16];
    if (bad || before + after == 0) {
        edi_quote(q, sizeof q, v, len, QUOTE_MAX);
        format_text(vd, fmt, sizeof fmt);
        element_finding(c, EDI_SE_INVALID_CHARACTER_TYPE, el, comp, "\"%s\" is not a number (%s)", q, fmt);
        return -1;
    }
    if (mark) {
        char decimal = c->opt->decimal ? c->opt->decimal : '.';
        edi_quote(q, sizeof q, v, len, QUOTE_MAX);
        if (!before || !after) {
            element_finding(c, EDI_SE_INVALID_VALUE, el, comp,
                            "\"%s\" needs a digit %s the decimal mark (e.g. \"%s\")", q,
                            before ? "after" : "before", before ? "2.0" : "0.5");
            return -1;
        }
        if (mark != decimal && !c->opt->any_decimal) {
            element_finding(c, EDI_SE_INVALID_VALUE, el, comp,
                            "\"%s\" uses \"%c\" as decimal mark, but this interchange uses \"%c\" "
                            "(UNA); write it with \"%c\"", q, mark, decimal, decimal);
            return -1;
        }
    }
    return before + after;
}

static void check_value(const elem_ctx *c, unsigned el, unsigned comp, const edi_value_def *vd,
                        const char *v, size_t len)
{
    char q[QUOTE_MAX + 8], fmt[16];
    if (vd->codes) {
        if (edi_code_list_contains(vd->codes, v, len))
            return;
        edi_quote(q, sizeof q, v, len, QUOTE_MAX);
        element_finding(c, EDI_SE_INVALID_VALUE, el, comp, "\"%s\" is not a code of %s (%s)%s%s", q,
                        vd->id, vd->name, c->label ? " in " : "", c->label ? c->label : "");
        return;
    }
    size_t n;
    const char *unit = "characters";
    if (vd->cls == EDI_CLASS_N) {
        long digits = check_number(c, el, comp, vd, v, len);
        if (digits < 0)
            return;
        n = (size_t)digits;
        unit = "digits";
    } else {
        if (vd->cls == EDI_CLASS_A) {
            for (size_t i = 0; i < len; i++) {
                if (v[i] >= '0' && v[i] <= '9') {
                    edi_quote(q, sizeof q, v, len, QUOTE_MAX);
                    format_text(vd, fmt, sizeof fmt);
                    element_finding(c, EDI_SE_INVALID_CHARACTER_TYPE, el, comp,
                                    "\"%s\" contains digits, but %s (%s) is alphabetic (%s)", q, vd->id,
                                    vd->name, fmt);
                    return;
                }
            }
        }
        n = char_count(c, v, len);
    }
    if (n > vd->max_len) {
        edi_quote(q, sizeof q, v, len, QUOTE_MAX);
        format_text(vd, fmt, sizeof fmt);
        element_finding(c, EDI_SE_TOO_LONG, el, comp, "\"%s\" has %zu %s; %s (%s) allows at most %u (%s)",
                        q, n, unit, vd->id, vd->name, (unsigned)vd->max_len, fmt);
    } else if (n < vd->min_len) {
        edi_quote(q, sizeof q, v, len, QUOTE_MAX);
        format_text(vd, fmt, sizeof fmt);
        element_finding(c, EDI_SE_TOO_SHORT, el, comp, "\"%s\" has %zu %s; %s (%s) needs exactly %u (%s)",
                        q, n, unit, vd->id, vd->name, (unsigned)vd->min_len, fmt);
    }
}

static bool occurrence_present(const edi_segment *seg, const edi_element *e)
{
    for (uint32_t i = 0; i < e->count; i++)
        if (seg->components[e->first + i].len)
            return true;
    return false;
}

static void check_occurrence(const elem_ctx *c, const edi_element_def *ed, const edi_element *e)
{
    const edi_segment *seg = c->seg;
    unsigned el = e->position;
    if (!ed->composite && e->count > 1) {
        for (uint32_t i = 1; i < e->count; i++) {
            if (seg->components[e->first + i].len) {
                element_finding(c, EDI_SE_TOO_MANY_CONSTITUENTS, el, i + 1,
                                "%s (%s) is a simple data element; it has no components, but "
                                "component %u has a value", ed->id, ed->name, i + 1);
                break;
            }
        }
    }
    uint32_t n = ed->composite ? (e->count > ed->n_values ? e->count : ed->n_values) : 1;
    for (uint32_t i = 0; i < n; i++) {
        const edi_component *comp = i < e->count ? &seg->components[e->first + i] : NULL;
        unsigned cpos = ed->composite ? i + 1 : 0;
        if (i >= ed->n_values) {
            if (comp->len) {
                element_finding(c, EDI_SE_TOO_MANY_CONSTITUENTS, el, cpos,
                                "%s (%s) has %u components; component %u is one too many", ed->id,
                                ed->name, (unsigned)ed->n_values, cpos);
                return;
            }
            continue;
        }
        const edi_value_def *vd = &ed->values[i];
        if (!comp || !comp->len) {
            if (vd->status == EDI_STATUS_MANDATORY)
                element_finding(c, EDI_SE_MISSING, el, cpos, "mandatory component %s (%s) of %s is missing",
                                vd->id, vd->name, ed->id);
            continue;
        }
        if (vd->status == EDI_STATUS_NOT_USED) {
            element_finding(c, EDI_SE_NOT_SUPPORTED_IN_POSITION, el, cpos,
                            "%s (%s) is not used in %s; leave it empty", vd->id, vd->name,
                            c->label ? c->label : "this subset");
            continue;
        }
        size_t len;
        const char *v = component_value(c, comp, &len);
        if (len)
            check_value(c, el, cpos, vd, v, len);
    }
}

static void check_elements(const elem_ctx *c, const edi_segment_def *def)
{
    const edi_segment *seg = c->seg;
    uint32_t j = 0;
    uint32_t last = seg->max_position > def->n_elements ? seg->max_position : def->n_elements;
    for (uint32_t p = 1; p <= last; p++) {
        uint32_t from = j;
        bool present = false;
        while (j < seg->n_elements && seg->elements[j].position == p) {
            present = present || occurrence_present(seg, &seg->elements[j]);
            j++;
        }
        if (p > def->n_elements) {
            if (present) {
                element_finding(c, EDI_SE_TOO_MANY_CONSTITUENTS, p, 0,
                                "%s has %u data elements%s%s; element %u is one too many", def->tag,
                                (unsigned)def->n_elements, c->label ? " in " : "", c->label ? c->label : "", p);
                return;
            }
            continue;
        }
        const edi_element_def *ed = &def->elements[p - 1];
        if (!present) {
            if (ed->status == EDI_STATUS_MANDATORY)
                element_finding(c, EDI_SE_MISSING, p, 0, "mandatory data element %s (%s) is missing",
                                ed->id, ed->name);
            continue;
        }
        if (ed->status == EDI_STATUS_NOT_USED) {
            element_finding(c, EDI_SE_NOT_SUPPORTED_IN_POSITION, p, 0, "%s (%s) is not used in %s; leave it empty",
                            ed->id, ed->name, c->label ? c->label : "this subset");
            continue;
        }
        for (uint32_t k = from; k < j; k++) {
            const edi_element *e = &seg->elements[k];
            if (e->repeat >= ed->max_repeat) {
                element_finding(c, EDI_SE_TOO_MANY_CONSTITUENTS, p, 0,
                                "%s (%s) may occur %u time%s; this is occurrence %u", ed->id, ed->name,
                                (unsigned)ed->max_repeat, ed->max_repeat == 1 ? "" : "s",
                                (unsigned)e->repeat + 1);
                break;
            }
            if (occurrence_present(seg, e))
                check_occurrence(c, ed, e);
        }
    }
}

void edi_validate_segment_elements(const edi_segment_def *def, const edi_segment *seg,
                                   const edi_position *at, const edi_validator_options *opt,
                                   edi_findings *f)
{
    static const edi_validator_options defaults = { .decimal = '.' };
    if (!def || !seg || !f)
        return;
    scratch buf = { 0 };
    elem_ctx c = { seg, at, f, opt ? opt : &defaults, NULL, &buf };
    check_elements(&c, def);
    free(buf.p);
}

/* ---- structure ---------------------------------------------------------------------------- */

edi_validator *edi_validator_new(const edi_message_def *def, const edi_validator_options *opt)
{
    if (!def)
        return NULL;
    edi_validator *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->def = def;
    if (opt)
        v->opt = *opt;
    if (!v->opt.decimal)
        v->opt.decimal = '.';
    return v;
}

void edi_validator_free(edi_validator *v)
{
    if (!v)
        return;
    free(v->buf.p);
    free(v);
}

void edi_validator_begin(edi_validator *v, edi_findings *f, const edi_position *at_unh)
{
    v->f = f;
    v->active = true;
    v->top = 0;
    v->stack[0] = (frame){ &v->def->root, -1, 0 };
    if (at_unh)
        v->last = *at_unh;
    else
        memset(&v->last, 0, sizeof v->last);
}

static void segment_finding(edi_validator *v, const edi_position *at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void segment_finding(edi_validator *v, const edi_position *at, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edi_findings_vadd(v->f, at, EDI_LEVEL_SEGMENT, EDI_SEV_ERROR, code, 0, 0, fmt, ap);
    va_end(ap);
}

/* Mandatory entries [from, to) of a frame's group that never occurred. */
static void report_missing(edi_validator *v, const frame *fr, uint32_t from, uint32_t to)
{
    const edi_struct_node *g = fr->group;
    for (uint32_t i = from; i < to; i++) {
        const edi_struct_node *n = &g->children[i];
        if (n->status != EDI_STATUS_MANDATORY)
            continue;
        char where[48] = "";
        if (g->name[0])
            snprintf(where, sizeof where, " from segment group %s", g->name);
        if (n->kind == EDI_NODE_SEGMENT)
            segment_finding(v, &v->last, EDI_SE_MISSING, "mandatory segment %s (%s) is missing%s (%s)",
                            n->name, n->segment->name, where, v->def->label);
        else
            segment_finding(v, &v->last, EDI_SE_MISSING,
                            "mandatory segment group %s (starting with %s) is missing%s (%s)", n->name,
                            n->children[0].name, where, v->def->label);
    }
}

static bool tag_in_message(const edi_struct_node *g, uint32_t key)
{
    for (uint32_t i = 0; i < g->n_children; i++) {
        const edi_struct_node *n = &g->children[i];
        if (n->kind == EDI_NODE_SEGMENT ? n->tag_key == key : tag_in_message(n, key))
            return true;
    }
    return false;
}

static void report_unexpected(edi_validator *v, const edi_segment *seg, const edi_position *at, uint32_t key)
{
    char tag[16];
    edi_quote(tag, sizeof tag, seg->tag_raw.p, seg->tag_raw.len, 8);
    if (!key || !tag_in_message(&v->def->root, key)) {
        segment_finding(v, at, EDI_SE_NOT_SUPPORTED_IN_POSITION, "segment %s is not part of %s", tag,
                        v->def->label);
        return;
    }
    const edi_struct_node *g = v->stack[v->top].group;
    char in[48] = "";
    if (g->name[0])
        snprintf(in, sizeof in, " in segment group %s", g->name);
    segment_finding(v, at, EDI_SE_NOT_SUPPORTED_IN_POSITION,
                    "segment %s is not expected after %s%s (%s); check the order of the segments and "
                    "whether the first segment of its group is missing",
                    tag, v->last.tag[0] ? v->last.tag : "UNH", in, v->def->label);
}

edi_result edi_validator_segment(edi_validator *v, const edi_segment *seg, const edi_position *at,
                                 edi_placement *out)
{
    edi_placement pl = { 0 };
    if (!v || !v->active) {
        if (out)
            *out = pl;
        return EDI_E_ARG;
    }
    uint32_t key = seg->tag[0] ? edi_tag_key(seg->tag) : 0;
    int level = -1;
    uint32_t idx = 0;
    for (int L = key ? (int)v->top : -1; L >= 0; L--) {
        const frame *fr = &v->stack[L];
        const edi_struct_node *kids = fr->group->children;
        uint32_t i = fr->pos < 0 ? 0 : (uint32_t)fr->pos;
        /* A group's trigger does not repeat inside an occurrence: it starts the next one,
         * which the enclosing frame finds. */
        if (L > 0 && i == 0)
            i = 1;
        for (; i < fr->group->n_children; i++)
            if (kids[i].tag_key == key)
                break;
        if (i < fr->group->n_children) {
            level = L;
            idx = i;
            break;
        }
    }
    if (level < 0) {
        report_unexpected(v, seg, at, key);
        pl.depth = v->top;
    } else {
        for (unsigned L = v->top; L > (unsigned)level; L--) {
            const frame *fr = &v->stack[L];
            report_missing(v, fr, (uint32_t)(fr->pos + 1), fr->group->n_children);
        }
        pl.closed = v->top - (unsigned)level;
        frame *fr = &v->stack[level];
        report_missing(v, fr, (uint32_t)(fr->pos + 1), idx);
        if ((int32_t)idx == fr->pos) {
            fr->count++;
        } else {
            fr->pos = (int32_t)idx;
            fr->count = 1;
        }
        const edi_struct_node *node = &fr->group->children[idx];
        v->top = (unsigned)level;
        if (node->kind == EDI_NODE_GROUP) {
            if (fr->count == node->max_repeat + 1)
                segment_finding(v, at, EDI_SE_TOO_MANY_GROUP_REPEATS,
                                "segment group %s (starting with %s) occurs %u times; %s allows at most %u",
                                node->name, node->children[0].name, fr->count, v->def->label, node->max_repeat);
            v->top++;
            v->stack[v->top] = (frame){ node, 0, 1 };
            pl.opened = node;
            node = &node->children[0];
        } else if (fr->count == node->max_repeat + 1) {
            segment_finding(v, at, EDI_SE_TOO_MANY_SEGMENT_REPEATS,
                            "segment %s occurs %u times here; %s allows at most %u", node->name, fr->count,
                            v->def->label, node->max_repeat);
        }
        pl.entry = node;
        pl.def = node->segment;
        pl.depth = v->top;
        elem_ctx c = { seg, at, v->f, &v->opt, v->def->label, &v->buf };
        check_elements(&c, node->segment);
    }
    v->last = *at;
    if (out)
        *out = pl;
    return EDI_OK;
}

void edi_validator_end(edi_validator *v, const edi_position *at_unt)
{
    (void)at_unt;   /* missing segments are reported at the last segment before UNT */
    if (!v || !v->active)
        return;
    for (int L = (int)v->top; L >= 0; L--) {
        const frame *fr = &v->stack[L];
        report_missing(v, fr, (uint32_t)(fr->pos + 1), fr->group->n_children);
    }
    v->active = false;
    v->f = NULL;
}

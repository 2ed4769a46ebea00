/* Loading .edd files. A file is read whole, parsed line by line into temporary arrays,
 * then the final read-only model is laid out in one arena per file so that freeing a
 * definition is freeing its arena. The file format is documented in
 * formats/edifact/PROVENANCE.md; this parser trusts nothing in it and reports the first
 * problem as "path:line: sentence". */
#include "edi_directory.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDD_MAX_FILE (16u * 1024 * 1024)  /* our largest file is 63 KB */

/* ---- arena ---------------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} arena_block;

typedef struct {
    arena_block *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 32768 ? n : 32768;
        arena_block *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void arena_free(arena *a)
{
    while (a->head) {
        arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* The public definition first, so that an edi_message_def pointer is a loaded_def one. */
typedef struct {
    edi_message_def pub;
    arena mem;
} loaded_def;

/* ---- growable arrays for the parse ----------------------------------------------- */

static int grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *n = realloc(*items, ncap * size);
    if (!n)
        return -1;
    *items = n;
    *cap = ncap;
    return 0;
}

typedef struct {              /* an S or G line */
    unsigned line, depth;
    uint8_t kind, status;
    char name[8];
    uint32_t max_repeat;
    char defid[16];
} tmp_entry;

typedef struct {              /* a D line; its elements follow in tmp_elem order */
    unsigned line;
    char *id, *name;
    char tag[4];
    size_t first_elem, n_elems;
} tmp_seg;

typedef struct {              /* an E or C line; its values follow in tmp_value order */
    unsigned line;
    edi_element_def def;
    size_t first_value;
} tmp_elem;

typedef struct {              /* an E line's value or a c line */
    unsigned line;
    edi_value_def def;
    char codes_id[16];        /* "" when the value has no code list */
} tmp_value;

typedef struct {
    const char *path;
    char *why;
    size_t why_n;
    unsigned line;
    loaded_def *ld;
    tmp_entry *entries;  size_t n_entries, cap_entries;
    tmp_seg *segs;       size_t n_segs, cap_segs;
    tmp_elem *elems;     size_t n_elems, cap_elems;
    tmp_value *values;   size_t n_values, cap_values;
    edi_code_list *lists; size_t n_lists, cap_lists;
    bool have_header;
} parser;

__attribute__((format(printf, 2, 3)))
static edi_result fail(parser *p, const char *fmt, ...)
{
    int n = p->line ? snprintf(p->why, p->why_n, "%s:%u: ", p->path, p->line)
                    : snprintf(p->why, p->why_n, "%s: ", p->path);
    if (n >= 0 && (size_t)n < p->why_n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why + n, p->why_n - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return EDI_E_DIRECTORY;
}

static edi_result nomem(parser *p)
{
    snprintf(p->why, p->why_n, "out of memory while loading %s", p->path);
    return EDI_E_NOMEM;
}

/* ---- tokens ----------------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t n;
} tok;

static tok next_tok(const char **cur, const char *end)
{
    const char *s = *cur;
    while (s < end && *s == ' ')
        s++;
    const char *e = s;
    while (e < end && *e != ' ')
        e++;
    *cur = e;
    return (tok){ s, (size_t)(e - s) };
}

/* What is left of the line after one separating space: a name, which may have spaces. */
static tok rest_tok(const char **cur, const char *end)
{
    const char *s = *cur;
    while (s < end && *s == ' ')
        s++;
    *cur = end;
    return (tok){ s, (size_t)(end - s) };
}

static bool tok_is(tok t, const char *lit)
{
    return t.n == strlen(lit) && !memcmp(t.s, lit, t.n);
}

static edi_result tok_copy(parser *p, tok t, char *out, size_t outn, const char *what)
{
    if (t.n == 0)
        return fail(p, "%s is missing", what);
    if (t.n >= outn)
        return fail(p, "%s \"%.*s\" is longer than %zu characters", what, (int)t.n, t.s, outn - 1);
    memcpy(out, t.s, t.n);
    out[t.n] = '\0';
    return EDI_OK;
}

static edi_result tok_uint(parser *p, tok t, uint32_t min, uint32_t max, uint32_t *out, const char *what)
{
    uint64_t v = 0;
    if (t.n == 0 || t.n > 10)
        return fail(p, "%s \"%.*s\" is not a number", what, (int)t.n, t.s);
    for (size_t i = 0; i < t.n; i++) {
        if (t.s[i] < '0' || t.s[i] > '9')
            return fail(p, "%s \"%.*s\" is not a number", what, (int)t.n, t.s);
        v = v * 10 + (uint64_t)(t.s[i] - '0');
    }
    if (v < min || v > max)
        return fail(p, "%s %llu is outside %u..%u", what, (unsigned long long)v, min, max);
    *out = (uint32_t)v;
    return EDI_OK;
}

static edi_result tok_status(parser *p, tok t, bool not_used_ok, uint8_t *out)
{
    if (tok_is(t, "M"))
        *out = EDI_STATUS_MANDATORY;
    else if (tok_is(t, "C"))
        *out = EDI_STATUS_CONDITIONAL;
    else if (not_used_ok && tok_is(t, "N"))
        *out = EDI_STATUS_NOT_USED;
    else
        return fail(p, "status \"%.*s\" is not %s", (int)t.n, t.s, not_used_ok ? "M, C or N" : "M or C");
    return EDI_OK;
}

/* "an..35", "n..15", "a3", "n6": class, then either ".." and a maximum or a fixed length. */
static edi_result tok_format(parser *p, tok t, edi_value_def *v)
{
    size_t i = 0;
    if (t.n >= 2 && t.s[0] == 'a' && t.s[1] == 'n') {
        v->cls = EDI_CLASS_AN;
        i = 2;
    } else if (t.n >= 1 && t.s[0] == 'a') {
        v->cls = EDI_CLASS_A;
        i = 1;
    } else if (t.n >= 1 && t.s[0] == 'n') {
        v->cls = EDI_CLASS_N;
        i = 1;
    } else {
        return fail(p, "format \"%.*s\" does not start with a, n or an", (int)t.n, t.s);
    }
    bool variable = t.n - i >= 2 && t.s[i] == '.' && t.s[i + 1] == '.';
    if (variable)
        i += 2;
    uint32_t len;
    edi_result r = tok_uint(p, (tok){ t.s + i, t.n - i }, 1, 65535, &len, "format length");
    if (r != EDI_OK)
        return r;
    v->max_len = (uint16_t)len;
    v->min_len = variable ? 1 : (uint16_t)len;
    return EDI_OK;
}

static edi_result tok_id(parser *p, tok t, char out[5], const char *what)
{
    if (t.n != 4)
        return fail(p, "%s \"%.*s\" is not four characters", what, (int)t.n, t.s);
    return tok_copy(p, t, out, 5, what);
}

/* ---- records ----------------------------------------------------------------------- */

static edi_result parse_header(parser *p, const char *cur, const char *end)
{
    edi_message_def *m = &p->ld->pub;
    tok kind = next_tok(&cur, end);
    edi_result r;
    if (p->have_header)
        return fail(p, "a second H line");
    p->have_header = true;
    if (tok_is(kind, "service")) {
        uint32_t v;
        if ((r = tok_uint(p, next_tok(&cur, end), 3, 4, &v, "syntax version")) != EDI_OK)
            return r;
        m->syntax_version = (int)v;
        return EDI_OK;
    }
    if (!tok_is(kind, "message"))
        return fail(p, "H must say \"message\" or \"service\", not \"%.*s\"", (int)kind.n, kind.s);
    if ((r = tok_copy(p, next_tok(&cur, end), m->type, sizeof m->type, "message type")) != EDI_OK ||
        (r = tok_copy(p, next_tok(&cur, end), m->version, sizeof m->version, "version")) != EDI_OK ||
        (r = tok_copy(p, next_tok(&cur, end), m->release, sizeof m->release, "release")) != EDI_OK ||
        (r = tok_copy(p, next_tok(&cur, end), m->agency, sizeof m->agency, "agency")) != EDI_OK ||
        (r = tok_copy(p, next_tok(&cur, end), m->association, sizeof m->association, "association")) != EDI_OK)
        return r;
    if (!strcmp(m->association, "-"))
        m->association[0] = '\0';
    return EDI_OK;
}

static edi_result parse_entry(parser *p, char kind, unsigned indent, const char *cur, const char *end)
{
    if (indent % 2)
        return fail(p, "structure lines are indented by two spaces per group level");
    if (grow((void **)&p->entries, &p->cap_entries, p->n_entries, sizeof *p->entries))
        return nomem(p);
    tmp_entry *e = &p->entries[p->n_entries];
    memset(e, 0, sizeof *e);
    e->line = p->line;
    e->depth = indent / 2;
    e->kind = kind == 'S' ? EDI_NODE_SEGMENT : EDI_NODE_GROUP;
    edi_result r;
    tok name = next_tok(&cur, end);
    if (kind == 'S' && name.n != 3)
        return fail(p, "segment tag \"%.*s\" is not three characters", (int)name.n, name.s);
    if ((r = tok_copy(p, name, e->name, sizeof e->name, "name")) != EDI_OK ||
        (r = tok_status(p, next_tok(&cur, end), false, &e->status)) != EDI_OK ||
        (r = tok_uint(p, next_tok(&cur, end), 1, 99999999, &e->max_repeat, "maximum repeat")) != EDI_OK)
        return r;
    if (kind == 'S' && (r = tok_copy(p, next_tok(&cur, end), e->defid, sizeof e->defid,
                                     "segment definition id")) != EDI_OK)
        return r;
    if (next_tok(&cur, end).n)
        return fail(p, "extra text after the %s entry", kind == 'S' ? "segment" : "group");
    p->n_entries++;
    return EDI_OK;
}

static edi_result parse_segdef(parser *p, const char *cur, const char *end)
{
    if (grow((void **)&p->segs, &p->cap_segs, p->n_segs, sizeof *p->segs))
        return nomem(p);
    tmp_seg *s = &p->segs[p->n_segs];
    memset(s, 0, sizeof *s);
    s->line = p->line;
    tok id = next_tok(&cur, end), tag = next_tok(&cur, end), name = rest_tok(&cur, end);
    edi_result r;
    if (tag.n != 3)
        return fail(p, "segment tag \"%.*s\" is not three characters", (int)tag.n, tag.s);
    if (id.n == 0 || id.n >= 16)
        return fail(p, "segment definition id \"%.*s\" is empty or too long", (int)id.n, id.s);
    if ((r = tok_copy(p, tag, s->tag, sizeof s->tag, "segment tag")) != EDI_OK)
        return r;
    for (size_t i = 0; i < p->n_segs; i++)
        if (strlen(p->segs[i].id) == id.n && !memcmp(p->segs[i].id, id.s, id.n))
            return fail(p, "segment definition %.*s is defined twice", (int)id.n, id.s);
    s->id = arena_strndup(&p->ld->mem, id.s, id.n);
    s->name = arena_strndup(&p->ld->mem, name.s, name.n);
    if (!s->id || !s->name)
        return nomem(p);
    s->first_elem = p->n_elems;
    p->n_segs++;
    return EDI_OK;
}

/* The value part shared by E and c lines: format, code list id, name. */
static edi_result parse_value(parser *p, const char *cur, const char *end, tok id, uint8_t status)
{
    if (grow((void **)&p->values, &p->cap_values, p->n_values, sizeof *p->values))
        return nomem(p);
    tmp_value *v = &p->values[p->n_values];
    memset(v, 0, sizeof *v);
    v->line = p->line;
    v->def.status = status;
    edi_result r;
    if ((r = tok_id(p, id, v->def.id, "data element id")) != EDI_OK ||
        (r = tok_format(p, next_tok(&cur, end), &v->def)) != EDI_OK)
        return r;
    tok codes = next_tok(&cur, end);
    if (!tok_is(codes, "-") && (r = tok_copy(p, codes, v->codes_id, sizeof v->codes_id, "code list id")) != EDI_OK)
        return r;
    tok name = rest_tok(&cur, end);
    if (!(v->def.name = arena_strndup(&p->ld->mem, name.s, name.n)))
        return nomem(p);
    p->n_values++;
    return EDI_OK;
}

static edi_result parse_element(parser *p, char kind, const char *cur, const char *end)
{
    if (!p->n_segs)
        return fail(p, "an element line before the first D line");
    tmp_seg *s = &p->segs[p->n_segs - 1];
    if (grow((void **)&p->elems, &p->cap_elems, p->n_elems, sizeof *p->elems))
        return nomem(p);
    tmp_elem *e = &p->elems[p->n_elems];
    memset(e, 0, sizeof *e);
    e->line = p->line;
    e->first_value = p->n_values;
    edi_result r;
    uint32_t pos, repeat;
    tok id;
    if ((r = tok_uint(p, next_tok(&cur, end), 1, 999, &pos, "element position")) != EDI_OK)
        return r;
    if (pos != s->n_elems + 1)
        return fail(p, "element position %u follows position %zu; positions count up from 1", pos, s->n_elems);
    id = next_tok(&cur, end);
    if ((r = tok_id(p, id, e->def.id, "element id")) != EDI_OK ||
        (r = tok_status(p, next_tok(&cur, end), true, &e->def.status)) != EDI_OK ||
        (r = tok_uint(p, next_tok(&cur, end), 1, 9999, &repeat, "element repeat")) != EDI_OK)
        return r;
    e->def.max_repeat = (uint16_t)repeat;
    e->def.composite = kind == 'C';
    if (kind == 'E') {
        if ((r = parse_value(p, cur, end, id, e->def.status)) != EDI_OK)
            return r;
        e->def.n_values = 1;
        e->def.name = p->values[p->n_values - 1].def.name;
    } else {
        tok name = rest_tok(&cur, end);
        if (!(e->def.name = arena_strndup(&p->ld->mem, name.s, name.n)))
            return nomem(p);
    }
    p->n_elems++;
    s->n_elems++;
    return EDI_OK;
}

static edi_result parse_component(parser *p, const char *cur, const char *end)
{
    if (!p->n_segs || !p->segs[p->n_segs - 1].n_elems || !p->elems[p->n_elems - 1].def.composite)
        return fail(p, "a component line (c) must follow a composite line (C) or another component");
    tmp_elem *e = &p->elems[p->n_elems - 1];
    edi_result r;
    uint32_t pos;
    uint8_t status;
    if ((r = tok_uint(p, next_tok(&cur, end), 1, 999, &pos, "component position")) != EDI_OK)
        return r;
    if (pos != (uint32_t)e->def.n_values + 1)
        return fail(p, "component position %u follows position %u; positions count up from 1",
                    pos, (unsigned)e->def.n_values);
    tok id = next_tok(&cur, end);
    if ((r = tok_status(p, next_tok(&cur, end), true, &status)) != EDI_OK ||
        (r = parse_value(p, cur, end, id, status)) != EDI_OK)
        return r;
    e->def.n_values++;
    return EDI_OK;
}

static uint64_t pack_code(const char *s, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < 8; i++)
        k = (k << 8) | (i < n ? (unsigned char)s[i] : 0u);
    return k;
}

static edi_result parse_list(parser *p, const char *cur, const char *end)
{
    if (grow((void **)&p->lists, &p->cap_lists, p->n_lists, sizeof *p->lists))
        return nomem(p);
    edi_code_list *l = &p->lists[p->n_lists];
    memset(l, 0, sizeof *l);
    tok id = next_tok(&cur, end);
    edi_result r;
    uint32_t count;
    if (id.n == 0 || id.n >= 16)
        return fail(p, "code list id \"%.*s\" is empty or too long", (int)id.n, id.s);
    for (size_t i = 0; i < p->n_lists; i++)
        if (strlen(p->lists[i].id) == id.n && !memcmp(p->lists[i].id, id.s, id.n))
            return fail(p, "code list %.*s is defined twice", (int)id.n, id.s);
    if ((r = tok_uint(p, next_tok(&cur, end), 1, 1000000, &count, "code count")) != EDI_OK)
        return r;
    uint64_t *codes = arena_alloc(&p->ld->mem, count * sizeof *codes);
    if (!(l->id = arena_strndup(&p->ld->mem, id.s, id.n)) || !codes)
        return nomem(p);
    for (uint32_t i = 0; i < count; i++) {
        tok c = next_tok(&cur, end);
        if (c.n == 0)
            return fail(p, "code list %s announces %u codes but has %u", l->id, count, i);
        if (c.n > 8)
            return fail(p, "code \"%.*s\" in list %s is longer than 8 characters", (int)c.n, c.s, l->id);
        codes[i] = pack_code(c.s, c.n);
        if (i && codes[i] <= codes[i - 1])
            return fail(p, "code \"%.*s\" in list %s is out of order or repeated; codes are sorted by byte value",
                        (int)c.n, c.s, l->id);
    }
    if (next_tok(&cur, end).n)
        return fail(p, "code list %s has more than the %u codes it announces", l->id, count);
    l->codes = codes;
    l->count = count;
    p->n_lists++;
    return EDI_OK;
}

static edi_result parse_line(parser *p, const char *s, const char *end)
{
    const char *cur = s;
    while (cur < end && *cur == ' ')
        cur++;
    unsigned indent = (unsigned)(cur - s);
    if (cur == end || *cur == '#')
        return EDI_OK;
    if (!p->have_header && *cur != 'H')
        return fail(p, "the file must start with an H line");
    if (cur + 1 < end && cur[1] != ' ')
        return fail(p, "unknown record \"%.*s\"", (int)(end - cur > 12 ? 12 : end - cur), cur);
    char kind = *cur;
    if (indent && kind != 'S' && kind != 'G')
        return fail(p, "only structure lines (S, G) are indented");
    cur++;
    switch (kind) {
    case 'H': return parse_header(p, cur, end);
    case 'S':
    case 'G': return parse_entry(p, kind, indent, cur, end);
    case 'D': return parse_segdef(p, cur, end);
    case 'E':
    case 'C': return parse_element(p, kind, cur, end);
    case 'c': return parse_component(p, cur, end);
    case 'L': return parse_list(p, cur, end);
    default:  return fail(p, "unknown record \"%c\"", kind);
    }
}

/* ---- building the model ------------------------------------------------------------ */

static edi_result check_nesting(parser *p)
{
    for (size_t i = 0; i < p->n_entries; i++) {
        const tmp_entry *e = &p->entries[i];
        p->line = e->line;
        unsigned prev_depth = i ? p->entries[i - 1].depth : 0;
        bool after_group = i && p->entries[i - 1].kind == EDI_NODE_GROUP;
        if (e->depth > prev_depth + (after_group ? 1u : 0u))
            return fail(p, "this entry is indented deeper than a group's contents");
        if (after_group && e->depth != prev_depth + 1)
            return fail(p, "group %s is empty", p->entries[i - 1].name);
        if (after_group && e->kind != EDI_NODE_SEGMENT)
            return fail(p, "group %s must start with a segment, not a group", p->entries[i - 1].name);
        if (e->depth >= EDI_DIRECTORY_MAX_DEPTH)
            return fail(p, "groups nest deeper than %d levels", EDI_DIRECTORY_MAX_DEPTH);
    }
    if (p->n_entries && p->entries[p->n_entries - 1].kind == EDI_NODE_GROUP) {
        p->line = p->entries[p->n_entries - 1].line;
        return fail(p, "group %s is empty", p->entries[p->n_entries - 1].name);
    }
    return EDI_OK;
}

static const edi_segment_def *find_segdef(const edi_message_def *m, const char *id)
{
    for (uint32_t i = 0; i < m->n_segments; i++)
        if (!strcmp(m->segments[i].id, id))
            return &m->segments[i];
    return NULL;
}

/* Lay out the children of `parent` from entries [from, to), all at depth `depth`. */
static edi_result build_children(parser *p, edi_struct_node *parent, size_t from, size_t to, unsigned depth)
{
    uint32_t n = 0;
    for (size_t i = from; i < to; i++)
        n += p->entries[i].depth == depth;
    edi_struct_node *kids = arena_alloc(&p->ld->mem, n * sizeof *kids);
    if (!kids)
        return nomem(p);
    parent->children = kids;
    parent->n_children = n;
    uint32_t k = 0;
    for (size_t i = from; i < to; i++) {
        const tmp_entry *e = &p->entries[i];
        if (e->depth != depth)
            continue;
        edi_struct_node *node = &kids[k];
        node->kind = e->kind;
        node->status = e->status;
        memcpy(node->name, e->name, sizeof node->name);
        node->max_repeat = e->max_repeat;
        node->index = k++;
        node->depth = depth;
        node->parent = parent;
        if (depth + 1 > p->ld->pub.max_depth && e->kind == EDI_NODE_GROUP)
            p->ld->pub.max_depth = depth + 1;
        if (e->kind == EDI_NODE_SEGMENT) {
            p->line = e->line;
            node->segment = find_segdef(&p->ld->pub, e->defid);
            if (!node->segment)
                return fail(p, "segment definition %s is not defined (no D line)", e->defid);
            if (strcmp(node->segment->tag, node->name))
                return fail(p, "segment %s refers to definition %s of tag %s", node->name, e->defid,
                            node->segment->tag);
            node->tag_key = edi_tag_key(node->name);
            continue;
        }
        size_t end = i + 1;
        while (end < to && p->entries[end].depth > depth)
            end++;
        edi_result r = build_children(p, node, i + 1, end, depth + 1);
        if (r != EDI_OK)
            return r;
        node->tag_key = node->children[0].tag_key;
    }
    return EDI_OK;
}

static const edi_code_list *find_list(const edi_message_def *m, const char *id)
{
    for (uint32_t i = 0; i < m->n_lists; i++)
        if (!strcmp(m->lists[i].id, id))
            return &m->lists[i];
    return NULL;
}

static edi_result build(parser *p)
{
    edi_message_def *m = &p->ld->pub;
    arena *a = &p->ld->mem;
    p->line = 0;
    if (!p->have_header)
        return fail(p, "the file has no H line");
    if (m->syntax_version && p->n_entries)
        return fail(p, "a service file has no structure lines");
    if (!m->syntax_version && !p->n_entries)
        return fail(p, "a message file needs a structure (S and G lines)");

    edi_code_list *lists = arena_alloc(a, p->n_lists * sizeof *lists);
    edi_segment_def *segs = arena_alloc(a, p->n_segs * sizeof *segs);
    edi_element_def *elems = arena_alloc(a, p->n_elems * sizeof *elems);
    edi_value_def *values = arena_alloc(a, p->n_values * sizeof *values);
    if ((p->n_lists && !lists) || (p->n_segs && !segs) || (p->n_elems && !elems) || (p->n_values && !values))
        return nomem(p);
    if (p->n_lists)
        memcpy(lists, p->lists, p->n_lists * sizeof *lists);
    m->lists = lists;
    m->n_lists = (uint32_t)p->n_lists;

    for (size_t i = 0; i < p->n_values; i++) {
        values[i] = p->values[i].def;
        if (p->values[i].codes_id[0]) {
            p->line = p->values[i].line;
            values[i].codes = find_list(m, p->values[i].codes_id);
            if (!values[i].codes)
                return fail(p, "code list %s is not defined (no L line)", p->values[i].codes_id);
        }
    }
    for (size_t i = 0; i < p->n_elems; i++) {
        p->line = p->elems[i].line;
        if (p->elems[i].def.composite && !p->elems[i].def.n_values)
            return fail(p, "composite %s has no components", p->elems[i].def.id);
        elems[i] = p->elems[i].def;
        elems[i].values = &values[p->elems[i].first_value];
    }
    for (size_t i = 0; i < p->n_segs; i++) {
        memcpy(segs[i].tag, p->segs[i].tag, sizeof segs[i].tag);
        segs[i].id = p->segs[i].id;
        segs[i].name = p->segs[i].name;
        segs[i].n_elements = (uint32_t)p->segs[i].n_elems;
        segs[i].elements = &elems[p->segs[i].first_elem];
    }
    m->segments = segs;
    m->n_segments = (uint32_t)p->n_segs;

    edi_result r = check_nesting(p);
    if (r != EDI_OK)
        return r;
    m->root.kind = EDI_NODE_GROUP;
    m->root.status = EDI_STATUS_MANDATORY;
    m->root.max_repeat = 1;
    return p->n_entries ? build_children(p, &m->root, 0, p->n_entries, 0) : EDI_OK;
}

/* "ORDERS D.96A", "ORDERS D.96A EANCOM", "CONTRL 4.1", "service segments (syntax 4)". */
static edi_result make_label(loaded_def *ld, const char *path)
{
    edi_message_def *m = &ld->pub;
    char buf[64];
    if (m->syntax_version)
        snprintf(buf, sizeof buf, "service segments (syntax %d)", m->syntax_version);
    else
        snprintf(buf, sizeof buf, "%s %s.%s%s", m->type, m->version, m->release,
                 m->association[0] ? " EANCOM" : "");
    m->label = arena_strndup(&ld->mem, buf, strlen(buf));
    m->path = arena_strndup(&ld->mem, path, strlen(path));
    /* The set is the folder the file lies in: formats/edifact/EAN97/ORDERS.edd -> EAN97. */
    const char *slash = strrchr(path, '/');
    const char *start = path;
    if (slash) {
        for (start = slash; start > path && start[-1] != '/'; start--)
            ;
        size_t n = (size_t)(slash - start);
        if (n < sizeof m->directory) {
            memcpy(m->directory, start, n);
            m->directory[n] = '\0';
        }
    }
    return m->label && m->path ? EDI_OK : EDI_E_NOMEM;
}

static edi_result read_file(const char *path, char **buf, size_t *len, char *why, size_t why_n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(why, why_n, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? EDI_E_DIRECTORY : EDI_E_IO;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    edi_result r = b ? EDI_OK : EDI_E_NOMEM;
    while (r == EDI_OK) {
        if (n == cap) {
            char *nb = cap < EDD_MAX_FILE ? realloc(b, cap * 2) : NULL;
            if (!nb) {
                r = cap < EDD_MAX_FILE ? EDI_E_NOMEM : EDI_E_LIMIT;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp))
                r = EDI_E_IO;
            break;
        }
    }
    fclose(fp);
    if (r != EDI_OK) {
        free(b);
        snprintf(why, why_n, "%s: %s", path,
                 r == EDI_E_LIMIT ? "larger than a directory file can be" : edi_result_str(r));
        return r == EDI_E_LIMIT ? EDI_E_DIRECTORY : r;
    }
    *buf = b;
    *len = n;
    return EDI_OK;
}

edi_result edi_message_def_load(const char *path, edi_message_def **out, char *why, size_t why_n)
{
    char dummy[1];
    if (!why || !why_n) {
        why = dummy;
        why_n = sizeof dummy;
    }
    why[0] = '\0';
    *out = NULL;
    char *buf;
    size_t len;
    edi_result r = read_file(path, &buf, &len, why, why_n);
    if (r != EDI_OK)
        return r;
    parser p = { .path = path, .why = why, .why_n = why_n };
    p.ld = calloc(1, sizeof *p.ld);
    if (!p.ld) {
        free(buf);
        return nomem(&p);
    }
    const char *s = buf, *end = buf + len;
    while (r == EDI_OK && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        p.line++;
        const char *content_end = le > s && le[-1] == '\r' ? le - 1 : le;
        if (memchr(s, '\0', (size_t)(content_end - s)) || memchr(s, '\t', (size_t)(content_end - s)))
            r = fail(&p, "the line contains a NUL or tab character");
        else
            r = parse_line(&p, s, content_end);
        s = nl ? nl + 1 : end;
    }
    if (r == EDI_OK)
        r = build(&p);
    if (r == EDI_OK && make_label(p.ld, path) != EDI_OK)
        r = nomem(&p);
    free(buf);
    free(p.entries);
    free(p.segs);
    free(p.elems);
    free(p.values);
    free(p.lists);
    if (r != EDI_OK) {
        edi_message_def_free(&p.ld->pub);
        return r;
    }
    *out = &p.ld->pub;
    return EDI_OK;
}

void edi_message_def_free(edi_message_def *m)
{
    if (!m)
        return;
    loaded_def *ld = (loaded_def *)m;
    arena_free(&ld->mem);
    free(ld);
}

const edi_segment_def *edi_message_def_segment(const edi_message_def *m, const char *tag)
{
    for (uint32_t i = 0; i < m->n_segments; i++)
        if (!strcmp(m->segments[i].tag, tag))
            return &m->segments[i];
    return NULL;
}

bool edi_code_list_contains(const edi_code_list *l, const char *value, size_t len)
{
    if (len == 0 || len > 8)
        return false;
    uint64_t key = pack_code(value, len);
    uint32_t lo = 0, hi = l->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->codes[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->count && l->codes[lo] == key;
}

/* ---- the directory: which file, and a cache ------------------------------------------- */

typedef struct cache_entry {
    struct cache_entry *next;
    char rel[32];              /* "EAN97/ORDERS.edd" */
    edi_message_def *def;      /* NULL: loading failed, see why */
    edi_result result;
    char why[256];
} cache_entry;

struct edi_directory {
    char *root;
    pthread_mutex_t lock;
    cache_entry *cache;
};

edi_directory *edi_directory_open(const char *formats_dir)
{
    edi_directory *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->root = strdup(formats_dir);
    if (!d->root || pthread_mutex_init(&d->lock, NULL)) {
        free(d->root);
        free(d);
        return NULL;
    }
    return d;
}

void edi_directory_free(edi_directory *d)
{
    if (!d)
        return;
    while (d->cache) {
        cache_entry *next = d->cache->next;
        edi_message_def_free(d->cache->def);
        free(d->cache);
        d->cache = next;
    }
    pthread_mutex_destroy(&d->lock);
    free(d->root);
    free(d);
}

/* Load formats_dir/rel once; `missing` is the sentence for a file that does not exist. */
static edi_result load_cached(edi_directory *d, const char *rel, const char *missing,
                              const edi_message_def **out, char *why, size_t why_n)
{
    pthread_mutex_lock(&d->lock);
    cache_entry *e = d->cache;
    while (e && strcmp(e->rel, rel))
        e = e->next;
    if (!e && (e = calloc(1, sizeof *e))) {
        snprintf(e->rel, sizeof e->rel, "%s", rel);
        size_t n = strlen(d->root) + strlen(rel) + 2;
        char *path = malloc(n);
        if (path) {
            snprintf(path, n, "%s/%s", d->root, rel);
            if (access(path, F_OK) && errno == ENOENT) {
                e->result = EDI_E_DIRECTORY;
                snprintf(e->why, sizeof e->why, "%s", missing);
            } else {
                e->result = edi_message_def_load(path, &e->def, e->why, sizeof e->why);
            }
            free(path);
        }
        if (e->result == EDI_E_NOMEM || !path) {
            free(e);   /* not cached: memory may be available next time */
            e = NULL;
        } else {
            e->next = d->cache;
            d->cache = e;
        }
    }
    edi_result r;
    if (!e) {
        snprintf(why, why_n, "out of memory while loading %s", rel);
        *out = NULL;
        r = EDI_E_NOMEM;
    } else {
        *out = e->def;
        r = e->result;
        if (r != EDI_OK)
            snprintf(why, why_n, "%s", e->why);
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* Identifiers from a UNH become part of a path: only upper-case letters and digits. */
static bool safe_word(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
            return false;
    return n > 0;
}

edi_result edi_directory_find(edi_directory *d, const char *type, const char *version,
                              const char *release, const char *agency, const char *association,
                              const edi_message_def **out, char *why, size_t why_n)
{
    char dummy[1];
    if (!why || !why_n) {
        why = dummy;
        why_n = sizeof dummy;
    }
    why[0] = '\0';
    *out = NULL;
    if (!d || !type || !version || !release || !agency) {
        snprintf(why, why_n, "the message identifier is incomplete");
        return EDI_E_ARG;
    }
    if (!association)
        association = "";
    char missing[200];
    snprintf(missing, sizeof missing, "no directory for %.6s %.3s.%.3s%s%.6s; the envelope was checked, "
             "the content was not", type, version, release, association[0] ? " association " : "", association);
    if (!safe_word(type, 6) || !safe_word(version, 3) || !safe_word(release, 3)) {
        snprintf(why, why_n, "%s", missing);
        return EDI_E_DIRECTORY;
    }
    char rel[32];
    if (!strcmp(type, "CONTRL") && ((!strcmp(version, "D") && !strcmp(release, "3")) ||
                                   (!strcmp(version, "4") && !strcmp(release, "1")))) {
        snprintf(rel, sizeof rel, "service/CONTRL-v%s.edd", version[0] == 'D' ? "3" : "4");
        return load_cached(d, rel, missing, out, why, why_n);
    }
    if (strcmp(version, "D") || strcmp(agency, "UN")) {
        snprintf(why, why_n, "%s", missing);
        return EDI_E_DIRECTORY;
    }
    const char *set = NULL;
    if (!strncmp(association, "EAN", 3)) {
        if (!strcmp(release, "96A"))
            set = "EAN97";
        else if (!strcmp(release, "01B"))
            set = "EAN02";
        if (!set) {
            snprintf(why, why_n, "no EANCOM directory for %s D.%s (association %.6s); the envelope "
                     "was checked, the content was not", type, release, association);
            return EDI_E_DIRECTORY;
        }
        snprintf(rel, sizeof rel, "%s/%s.edd", set, type);
    } else {
        snprintf(rel, sizeof rel, "D%s/%s.edd", release, type);
    }
    return load_cached(d, rel, missing, out, why, why_n);
}

edi_result edi_directory_service(edi_directory *d, int syntax_version,
                                 const edi_message_def **out, char *why, size_t why_n)
{
    char dummy[1];
    if (!why || !why_n) {
        why = dummy;
        why_n = sizeof dummy;
    }
    *out = NULL;
    if (!d || syntax_version < 1 || syntax_version > 4) {
        snprintf(why, why_n, "no service segment definitions for syntax version %d", syntax_version);
        return d ? EDI_E_DIRECTORY : EDI_E_ARG;
    }
    char missing[96];
    snprintf(missing, sizeof missing, "no service segment definitions for syntax version %d", syntax_version);
    return load_cached(d, syntax_version == 4 ? "service/v4.edd" : "service/v3.edd", missing, out, why, why_n);
}

edi_result edi_directory_contrl(edi_directory *d, int syntax_version,
                                const edi_message_def **out, char *why, size_t why_n)
{
    if (syntax_version < 1 || syntax_version > 4) {
        *out = NULL;
        if (why && why_n)
            snprintf(why, why_n, "no CONTRL definition for syntax version %d", syntax_version);
        return EDI_E_DIRECTORY;
    }
    return edi_directory_find(d, "CONTRL", syntax_version == 4 ? "4" : "D", syntax_version == 4 ? "1" : "3",
                              "UN", NULL, out, why, why_n);
}

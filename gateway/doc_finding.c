/* doc_finding.c: the finding list for business documents (doc_finding.h). */
#include "doc_finding.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void doc_findings_init(doc_findings *f)
{
    if (f)
        memset(f, 0, sizeof *f);
}

void doc_findings_free(doc_findings *f)
{
    if (!f)
        return;
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* Copy `src` into dst[n], cut back to the start of a UTF-8 character when it does not fit. */
static void copy_text(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

edi_result doc_findings_add(doc_findings *f, doc_severity sev, const char *rule, long line,
                            const char *where, const char *fmt, ...)
{
    if (!f || !fmt)
        return EDI_E_ARG;
    if (f->count >= DOC_FINDINGS_MAX) {
        f->dropped++;
        return EDI_OK;
    }
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        doc_finding *items = realloc(f->items, cap * sizeof *items);
        if (!items)
            return EDI_E_NOMEM;
        f->items = items;
        f->cap = cap;
    }
    doc_finding *d = &f->items[f->count];
    memset(d, 0, sizeof *d);
    d->severity = sev;
    d->line = line;
    copy_text(d->rule, sizeof d->rule, rule ? rule : "");
    copy_text(d->where, sizeof d->where, where ? where : "");
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    copy_text(d->text, sizeof d->text, text);
    f->count++;
    return EDI_OK;
}

size_t doc_findings_count(const doc_findings *f, doc_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; f && i < f->count; i++)
        if (f->items[i].severity == sev)
            n++;
    return n;
}

bool doc_findings_has(const doc_findings *f, const char *rule)
{
    for (size_t i = 0; f && rule && i < f->count; i++)
        if (strcmp(f->items[i].rule, rule) == 0)
            return true;
    return false;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void doc_findings_print(const doc_findings *f, FILE *out, bool json, const char *label)
{
    if (!f || !out)
        return;
    if (json) {
        fputc('[', out);
        for (size_t i = 0; i < f->count; i++) {
            const doc_finding *d = &f->items[i];
            fputs(i ? ",\n {" : "{", out);
            fputs("\"severity\":", out);
            json_string(out, d->severity == DOC_ERROR ? "error" : "warning");
            fputs(",\"rule\":", out);
            json_string(out, d->rule);
            fprintf(out, ",\"line\":%ld,\"where\":", d->line);
            json_string(out, d->where);
            fputs(",\"text\":", out);
            json_string(out, d->text);
            fputc('}', out);
        }
        fputs("]\n", out);
        return;
    }
    for (size_t i = 0; i < f->count; i++) {
        const doc_finding *d = &f->items[i];
        if (label)
            fprintf(out, "%s: ", label);
        fputs(d->severity == DOC_ERROR ? "error" : "warning", out);
        if (d->rule[0])
            fprintf(out, " %s", d->rule);
        if (d->line > 0)
            fprintf(out, " line %ld", d->line);
        if (d->where[0])
            fprintf(out, " (%s)", d->where);
        fprintf(out, ": %s\n", d->text);
    }
    if (f->dropped)
        fprintf(out, "%s%s%zu more findings were not kept\n", label ? label : "",
                label ? ": " : "", f->dropped);
}

#include "edi_finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void edi_findings_init(edi_findings *f, size_t per_message_limit)
{
    memset(f, 0, sizeof *f);
    f->per_message_limit = per_message_limit;
}

void edi_findings_free(edi_findings *f)
{
    free(f->items);
    memset(f, 0, sizeof *f);
}

void edi_findings_message_begin(edi_findings *f)
{
    f->in_message = 0;
}

int edi_findings_vadd(edi_findings *f, const edi_position *at, edi_level level,
                      edi_severity sev, int code, unsigned element, unsigned component,
                      const char *fmt, va_list ap)
{
    if (sev == EDI_SEV_ERROR)
        f->errors++;
    else
        f->warnings++;
    if (f->per_message_limit && f->in_message >= f->per_message_limit) {
        f->dropped++;
        return 0;
    }
    if (f->count == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 16;
        edi_finding *n = realloc(f->items, ncap * sizeof *n);
        if (!n) {
            f->dropped++;
            return -1;
        }
        f->items = n;
        f->cap = ncap;
    }
    edi_finding *fd = &f->items[f->count++];
    f->in_message++;
    fd->severity = sev;
    fd->level = level;
    fd->code = code;
    fd->at = *at;
    fd->element = element;
    fd->component = component;
    vsnprintf(fd->text, sizeof fd->text, fmt, ap);
    return 0;
}

int edi_findings_add(edi_findings *f, const edi_position *at, edi_level level,
                     edi_severity sev, int code, unsigned element, unsigned component,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = edi_findings_vadd(f, at, level, sev, code, element, component, fmt, ap);
    va_end(ap);
    return rc;
}

int edi_finding_format(const edi_finding *fd, char *buf, size_t n)
{
    char where[160];
    int w = 0;
    const edi_position *p = &fd->at;

    if (p->interchange > 1)
        w += snprintf(where + w, sizeof where - (size_t)w, "interchange %u, ", p->interchange);
    if (p->message)
        w += snprintf(where + w, sizeof where - (size_t)w, "message %u, ", p->message);
    if (p->segment) {
        if (p->tag[0])
            w += snprintf(where + w, sizeof where - (size_t)w, "segment %u (%s), ", p->segment, p->tag);
        else
            w += snprintf(where + w, sizeof where - (size_t)w, "segment %u, ", p->segment);
    }
    if (fd->element)
        w += snprintf(where + w, sizeof where - (size_t)w, "element %u, ", fd->element);
    if (fd->component)
        w += snprintf(where + w, sizeof where - (size_t)w, "component %u, ", fd->component);
    if (w >= 2 && (size_t)w < sizeof where) {
        where[w - 2] = '\0';
    } else {
        snprintf(where, sizeof where, "interchange");
    }
    return snprintf(buf, n, "%s: %s%s", where, fd->text,
                    fd->severity == EDI_SEV_WARNING ? " (warning)" : "");
}

void edi_quote(char *buf, size_t n, const char *val, size_t len, size_t max)
{
    size_t o = 0;
    if (n == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)val[i];
        char tmp[5];
        size_t tl;
        if (i >= max) {
            if (o + 4 < n)
                memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02X", c);
            tl = 4;
        } else {
            tmp[0] = (char)c;
            tl = 1;
        }
        if (o + tl + 4 >= n) {
            memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        memcpy(buf + o, tmp, tl);
        o += tl;
    }
    buf[o] = '\0';
}

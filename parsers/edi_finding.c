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

/* Length of the valid UTF-8 sequence at p (at most `avail` bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    size_t n;
    uint32_t min;
    if (p[0] < 0xC2 || p[0] > 0xF4)
        return 0;
    if (p[0] < 0xE0)
        n = 2, min = 0x80;
    else if (p[0] < 0xF0)
        n = 3, min = 0x800;
    else
        n = 4, min = 0x10000;
    if (n > avail)
        return 0;
    uint32_t cp = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* The output is always valid UTF-8 (findings end up in JSON and in logs): a byte that
 * does not start a valid UTF-8 sequence is written as \xNN, as control bytes are. */
void edi_quote(char *buf, size_t n, const char *val, size_t len, size_t max)
{
    const unsigned char *v = (const unsigned char *)val;
    size_t o = 0;
    if (n == 0)
        return;
    for (size_t i = 0; i < len;) {
        char tmp[5];
        size_t tl, used;
        if (i >= max) {
            if (o + 4 <= n)
                memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        size_t u = v[i] >= 0x80 ? utf8_len(v + i, len - i) : 0;
        if (u) {
            memcpy(tmp, v + i, u);
            tl = used = u;
        } else if (v[i] < 0x20 || v[i] >= 0x7f) {
            snprintf(tmp, sizeof tmp, "\\x%02X", v[i]);
            tl = 4;
            used = 1;
        } else {
            tmp[0] = (char)v[i];
            tl = used = 1;
        }
        if (o + tl + 4 > n) {
            memcpy(buf + o, "...", 3), o += 3;
            break;
        }
        memcpy(buf + o, tmp, tl);
        o += tl;
        i += used;
    }
    buf[o] = '\0';
}

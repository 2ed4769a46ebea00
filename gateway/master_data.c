#include "master_data.h"

#include <string.h>

bool md_lookup_complete(const md_lookup *md)
{
    return md && md->customer && md->article_by_gtin && md->article_by_supplier_number &&
           md->article_by_buyer_number && md->contract && md->order_number_seen &&
           md->open_exposure;
}

/* The unit codes of `list` one by one: *p advances; false at the end. */
static bool next_unit(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return false;
    const char *e = s;
    while (*e && *e != ' ' && *e != '\t' && *e != ',')
        e++;
    *start = s;
    *len = (size_t)(e - s);
    *p = e;
    return true;
}

bool md_article_allows_unit(const md_article *a, const char *unit)
{
    if (!a || !unit || !*unit)
        return false;
    size_t want = strlen(unit);
    const char *p = a->units, *s;
    size_t len;
    while (next_unit(&p, &s, &len))
        if (len == want && memcmp(s, unit, len) == 0)
            return true;
    return false;
}

void md_article_base_unit(const md_article *a, char *out, size_t n)
{
    if (!out || n == 0)
        return;
    out[0] = '\0';
    const char *p = a ? a->units : "", *s;
    size_t len;
    if (next_unit(&p, &s, &len) && len < n) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
}

edi_result md_decimal(const char *text, decimal absent, const char *what, decimal *out,
                      bool *set, char *why, size_t why_n)
{
    if (!text || !*text) {
        *out = absent;
        if (set)
            *set = false;
        return EDI_OK;
    }
    char inner[160] = "";
    if (decimal_parse(text, out, inner, sizeof inner) != EDI_OK) {
        edi_say(why, why_n, "master data: %s \"%s\" is not a decimal number (%s); correct "
                "the master data record", what, text, inner);
        return EDI_E_ARG;
    }
    if (set)
        *set = true;
    return EDI_OK;
}

#include "edi_strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *k; k++) {
        h ^= (unsigned char)*k;
        h *= 1099511628211ULL;
    }
    return h;
}

void edi_strset_free(edi_strset *s)
{
    edi_strset_clear(s);
    free(s->slots);
    s->slots = NULL;
    s->cap = 0;
}

void edi_strset_clear(edi_strset *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i]);
        s->slots[i] = NULL;
    }
    s->count = 0;
}

/* Place an owned string without checking for duplicates (used when growing). */
static void place(char **slots, size_t cap, char *key)
{
    size_t i = (size_t)hash(key) & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = key;
}

static int grow(edi_strset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    char **n = calloc(ncap, sizeof *n);
    if (!n)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            place(n, ncap, s->slots[i]);
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 0;
}

int edi_strset_add(edi_strset *s, const char *key)
{
    /* Keep the load under 1/2 so that probes stay short. */
    if ((s->count + 1) * 2 > s->cap && grow(s) < 0)
        return -1;
    size_t i = (size_t)hash(key) & (s->cap - 1);
    while (s->slots[i]) {
        if (!strcmp(s->slots[i], key))
            return 0;
        i = (i + 1) & (s->cap - 1);
    }
    char *copy = strdup(key);
    if (!copy)
        return -1;
    s->slots[i] = copy;
    s->count++;
    return 1;
}

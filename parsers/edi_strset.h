/* edi_strset.h: a set of short strings (open addressing, FNV-1a), used to detect repeated
 * references such as two messages with the same UNH 0062 in one interchange. */
#ifndef EDI_STRSET_H
#define EDI_STRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char **slots;     /* NULL or an owned copy */
    size_t cap;       /* a power of two, or 0 */
    size_t count;
} edi_strset;

/* A zeroed edi_strset is an empty set; edi_strset_free releases what it holds. */
void edi_strset_free(edi_strset *s);
/* Forget every string (keeping the table). */
void edi_strset_clear(edi_strset *s);

/* Add `key`: 1 when it was new, 0 when it was already there, -1 out of memory. */
int edi_strset_add(edi_strset *s, const char *key);

#endif

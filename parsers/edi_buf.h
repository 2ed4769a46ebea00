/* edi_buf.h: a growable byte buffer, the one place where the engine's output and scratch
 * buffers grow (doubling, overflow-checked). */
#ifndef EDI_BUF_H
#define EDI_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_result.h"

/* A zeroed edi_buf is empty; the owner frees `p` with edi_buf_free. */
typedef struct {
    char *p;
    size_t len;   /* bytes in use */
    size_t cap;   /* bytes allocated */
} edi_buf;

/* Make room for `more` bytes after `len`. False on overflow or out of memory (the buffer
 * is then unchanged). */
bool edi_buf_grow(edi_buf *b, size_t more);
/* Append `n` bytes; false as edi_buf_grow. */
bool edi_buf_append(edi_buf *b, const char *s, size_t n);
void edi_buf_free(edi_buf *b);

/* Append everything `fd` holds until its end (the fd is not closed). EDI_E_LIMIT when the
 * buffer would hold more than `limit` bytes (reading stops one read past the limit),
 * EDI_E_IO with errno set, EDI_E_NOMEM; what was read stays in the buffer. */
edi_result edi_buf_read_fd(edi_buf *b, int fd, size_t limit);

#endif

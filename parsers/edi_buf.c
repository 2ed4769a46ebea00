#include "edi_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool edi_buf_grow(edi_buf *b, size_t more)
{
    if (more > SIZE_MAX - b->len)
        return false;
    size_t need = b->len + more;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

bool edi_buf_append(edi_buf *b, const char *s, size_t n)
{
    if (!edi_buf_grow(b, n))
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

void edi_buf_free(edi_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

edi_result edi_buf_read_fd(edi_buf *b, int fd, size_t limit)
{
    for (;;) {
        if (b->len > limit)
            return EDI_E_LIMIT;
        if (!edi_buf_grow(b, 65536))
            return EDI_E_NOMEM;
        ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return EDI_E_IO;
        if (n == 0)
            return EDI_OK;
        b->len += (size_t)n;
    }
}

/* edi_tokenizer.h: splits an EDIFACT byte stream into segments, elements and components.
 * It owns the service characters (UNA or defaults, the v4 repetition separator), the
 * release character, line breaks, a UTF-8 BOM and junk before an interchange. Memory is
 * bounded by the largest segment: input is read in chunks, a segment view is valid until
 * the next call. It knows nothing of directories or envelopes beyond UNA/UNB/UNZ. */
#ifndef EDI_TOKENIZER_H
#define EDI_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edi_finding.h"
#include "edi_result.h"

typedef struct {
    char component;    /* default ':' */
    char element;      /* default '+' */
    char decimal;      /* default '.' (UNA position 3) */
    char release;      /* default '?'; '\0' when UNA says there is none (space in v3) */
    char repetition;   /* UNA position 7; default '*'; used only when repetition_active */
    char terminator;   /* default '\'' */
    bool una;          /* the interchange had a UNA segment */
    bool repetition_active; /* UNB says syntax version 4 or later */
} edi_service_chars;

/* One component as it appears in the input. `p` points into the tokenizer's buffer and
 * still contains release characters (and line breaks inside wrapped segments) when
 * `escaped` is set: use edi_component_copy() to get the value. */
typedef struct {
    const char *p;
    uint32_t len;
    bool escaped;
} edi_component;

/* One data element occurrence. `position` is 1-based after the tag (the tag itself is
 * position 0); v4 repetitions of one element share a position, `repeat` counts from 0. */
typedef struct {
    uint32_t first;     /* index into edi_segment.components */
    uint32_t count;     /* number of components, at least 1 */
    uint32_t position;
    uint32_t repeat;
} edi_element;

typedef struct {
    char tag[4];                 /* the tag if it is 3 characters, else "" (see tag_raw) */
    edi_component tag_raw;       /* the tag as written (first component of the first element) */
    const char *raw;             /* segment bytes without the terminator */
    size_t raw_len;
    uint64_t offset;             /* byte offset of the first byte of the tag in the input */
    unsigned line;               /* 1-based line of that byte */
    const edi_element *elements; /* data elements after the tag, in order */
    uint32_t n_elements;
    const edi_component *components;
    uint32_t n_components;
    uint32_t max_position;       /* highest element position present (0 = tag only) */
    bool had_line_breaks;        /* CR/LF inside the segment were skipped */
    bool had_stray_release;      /* a release character before a non-service character */
    const edi_service_chars *sc; /* the service characters in force for this segment */
} edi_segment;

typedef struct {
    size_t chunk_size;     /* read size; default 256 KiB */
    size_t max_segment;    /* longest segment accepted, bytes; default 64 MiB */
    size_t max_components; /* per segment; default 100000 */
    bool keep_line_breaks; /* false (default): CR/LF inside a segment are not data */
} edi_tokenizer_options;

typedef struct edi_tokenizer edi_tokenizer;

/* Read from a file descriptor (not closed by the tokenizer) or from memory (not copied:
 * the buffer must outlive the tokenizer). Options may be NULL. NULL on out of memory. */
edi_tokenizer *edi_tokenizer_new_fd(int fd, const edi_tokenizer_options *opt);
edi_tokenizer *edi_tokenizer_new_mem(const char *buf, size_t len, const edi_tokenizer_options *opt);
void edi_tokenizer_free(edi_tokenizer *t);

/* Next segment. Returns EDI_OK with *seg filled, EDI_END at the end of input, or an error
 * (EDI_E_TRUNCATED, EDI_E_LIMIT, EDI_E_IO, EDI_E_NOMEM) after which the stream ends.
 * Problems with the bytes themselves (junk before UNA/UNB, a bad UNA, a stray release
 * character, a truncated segment) are added to `f` at position `at` (offset and line are
 * filled in by the tokenizer); `f` may be NULL. */
edi_result edi_tokenizer_next(edi_tokenizer *t, edi_segment *seg, edi_findings *f,
                              const edi_position *at);

/* True when the segment just returned started a new interchange (UNA or UNB seen after
 * the start of input or after UNZ). */
bool edi_tokenizer_at_interchange_start(const edi_tokenizer *t);

/* Bytes consumed so far and the total read; useful for progress and benchmarks. */
uint64_t edi_tokenizer_offset(const edi_tokenizer *t);

/* The value of a component with release characters (and skipped line breaks) removed.
 * `out` must hold c->len + 1 bytes; the result is NUL-terminated; returns its length. */
size_t edi_component_copy(const edi_segment *seg, const edi_component *c, char *out);

/* The first occurrence of data element `position` (1-based), or NULL if absent. */
const edi_element *edi_segment_element(const edi_segment *seg, uint32_t position);

/* Component `comp` (1-based) of element `position`, or NULL if absent or empty. */
const edi_component *edi_segment_component(const edi_segment *seg, uint32_t position,
                                           uint32_t comp);

/* Copy component (position, comp) into `out` of size n, truncating; returns the full
 * length of the value (0 if absent). Convenient for short envelope fields. */
size_t edi_segment_value(const edi_segment *seg, uint32_t position, uint32_t comp,
                         char *out, size_t n);

#endif

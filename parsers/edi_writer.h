/* edi_writer.h: writes EDIFACT segment by segment into a growing buffer: release
 * escaping, trailing empty elements and components dropped, UNA when needed, UTF-8 values
 * encoded to the interchange's character set, and UNT/UNE/UNZ counts kept for the caller.
 * The serializer (EDIFACT-XML -> EDIFACT) and the CONTRL builder both write through it. */
#ifndef EDI_WRITER_H
#define EDI_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_charset.h"
#include "edi_result.h"
#include "edi_tokenizer.h"

typedef struct {
    edi_service_chars sc;    /* separators; repetition used only when syntax_version >= 4 */
    int syntax_version;      /* 3 or 4 (1 and 2 are written like 3) */
    const char *charset;     /* syntax identifier, e.g. "UNOC"; decides UNA and encoding */
    const char *line_break;  /* written after each terminator: "", "\n" or "\r\n" */
    bool force_una;          /* write UNA even when defaults and level A would not need it */
} edi_writer_options;

/* Sensible defaults: `:+.? '` plus `*` for v4, syntax 3, UNOC, no line breaks. */
void edi_writer_options_default(edi_writer_options *o);

typedef struct edi_writer edi_writer;

/* A writer into its own buffer. NULL on out of memory or a charset that cannot be opened
 * (why receives the sentence). Free with edi_writer_free. */
edi_writer *edi_writer_new(const edi_writer_options *o, char *why, size_t why_n);
void edi_writer_free(edi_writer *w);

/* UNA is written before the first segment of each interchange (at the start of the
 * output and after each UNZ: normally before UNB, or UNH for a bare message) when the
 * separators differ from the defaults, or the charset is above level A (UNOB and up), or
 * force_una is set: readers return to the default separators after UNZ.
 * After an error the output is incomplete: the caller abandons the writer. */
edi_result edi_writer_begin_segment(edi_writer *w, const char *tag);
/* Start the next data element (position 1, 2, ...); `repeat` starts a v4 repetition of
 * the previous element instead. */
edi_result edi_writer_element(edi_writer *w, bool repeat);
/* Add a component to the current element; `value` is UTF-8 (len bytes) and is encoded,
 * escaped and written. An empty value keeps its position. */
edi_result edi_writer_component(edi_writer *w, const char *value, size_t len);
edi_result edi_writer_end_segment(edi_writer *w);

/* Shortcut: `fields` is one segment written in our notation (`BGM+220+PO1:9`) with the
 * default separators and `?` release; it is re-encoded with the writer's separators. */
edi_result edi_writer_segment_text(edi_writer *w, const char *fields);

/* Counts the caller needs for trailers: segments since the last UNH (UNH included, the
 * trailer itself counted when writing it), messages since the last UNB or UNG, groups
 * since the last UNB. Updated by begin_segment from the tag. */
unsigned edi_writer_message_segments(const edi_writer *w);
unsigned edi_writer_messages(const edi_writer *w);
unsigned edi_writer_groups(const edi_writer *w);

/* The bytes written so far (not NUL-terminated) and their length. */
const char *edi_writer_data(const edi_writer *w, size_t *len);

/* The first character that could not be represented in the charset (reported once). */
const char *edi_writer_warning(const edi_writer *w);

#endif

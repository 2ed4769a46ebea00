/* edi_finding.h: findings, the engine's answer to "what is wrong with this interchange".
 * A finding says what is wrong (a CONTRL 0085 code and a plain sentence) and where
 * (interchange, message, segment number and tag, element, component, byte offset,
 * line). Findings are collected in an edi_findings list with a per-message cap. */
#ifndef EDI_FINDING_H
#define EDI_FINDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* CONTRL 0085 syntax error codes we report (ISO 9735 service code list). */
enum {
    EDI_SE_SYNTAX_LEVEL_NOT_SUPPORTED = 2,
    EDI_SE_MESSAGE_VERSION_NOT_SUPPORTED = 3, /* legacy code; current lists use 14/17 */
    EDI_SE_RECIPIENT_NOT_ACTUAL = 7,
    EDI_SE_INVALID_VALUE = 12,
    EDI_SE_MISSING = 13,
    EDI_SE_VALUE_NOT_SUPPORTED = 14,
    EDI_SE_NOT_SUPPORTED_IN_POSITION = 15,
    EDI_SE_TOO_MANY_CONSTITUENTS = 16,
    EDI_SE_NO_AGREEMENT = 17,
    EDI_SE_UNSPECIFIED = 18,
    EDI_SE_INVALID_SERVICE_CHAR = 20,
    EDI_SE_INVALID_CHARACTERS = 21,
    EDI_SE_INVALID_SERVICE_CHARS = 22,
    EDI_SE_TEST_INDICATOR_NOT_SUPPORTED = 25,
    EDI_SE_DUPLICATE = 26,
    EDI_SE_REFERENCES_DO_NOT_MATCH = 28,
    EDI_SE_CONTROL_COUNT = 29,
    EDI_SE_GROUPS_AND_MESSAGES_MIXED = 30,
    EDI_SE_LOWER_LEVEL_EMPTY = 32,
    EDI_SE_INVALID_OCCURRENCE = 33,
    EDI_SE_TOO_MANY_SEGMENT_REPEATS = 35,
    EDI_SE_TOO_MANY_GROUP_REPEATS = 36,
    EDI_SE_INVALID_CHARACTER_TYPE = 37,
    EDI_SE_TOO_LONG = 39,
    EDI_SE_TOO_SHORT = 40,
};

/* Which CONTRL segment reports the finding. */
typedef enum {
    EDI_LEVEL_INTERCHANGE, /* UCI */
    EDI_LEVEL_GROUP,       /* UCF */
    EDI_LEVEL_MESSAGE,     /* UCM */
    EDI_LEVEL_SEGMENT,     /* UCS */
    EDI_LEVEL_ELEMENT      /* UCD */
} edi_level;

typedef enum { EDI_SEV_ERROR, EDI_SEV_WARNING } edi_severity;

#define EDI_REF_MAX 36   /* references are an..14 (an..35 for v4 ids); one more for NUL */

/* Where the reader currently is; copied into each finding. */
typedef struct {
    char     interchange_ref[EDI_REF_MAX]; /* UNB 0020 */
    char     group_ref[EDI_REF_MAX];       /* UNG 0048, "" outside a group */
    char     message_ref[EDI_REF_MAX];     /* UNH 0062, "" outside a message */
    unsigned interchange;  /* 1-based index of the interchange in the file */
    unsigned message;      /* 1-based index of the message in the interchange, 0 outside */
    unsigned segment;      /* in a message: UNH = 1; outside: position in the interchange */
    char     tag[4];       /* segment tag, "" if unknown */
    uint64_t offset;       /* byte offset of the segment's first byte in the input */
    unsigned line;         /* 1-based line of that byte */
} edi_position;

typedef struct {
    edi_severity severity;
    edi_level    level;
    int          code;        /* 0085 */
    edi_position at;
    unsigned     element;     /* 1-based data element position after the tag, 0 = n/a */
    unsigned     component;   /* 1-based component position, 0 = n/a */
    char         text[320];   /* the plain sentence, without the position prefix */
} edi_finding;

typedef struct {
    edi_finding *items;
    size_t count, cap;
    size_t per_message_limit;  /* 0 = no limit */
    size_t in_message;         /* findings kept for the current message */
    size_t dropped;            /* findings over the limit, counted not kept */
    size_t errors, warnings;   /* totals including dropped ones */
} edi_findings;

void edi_findings_init(edi_findings *f, size_t per_message_limit);
void edi_findings_free(edi_findings *f);
/* Start counting toward the per-message limit afresh (called at each UNH). */
void edi_findings_message_begin(edi_findings *f);

/* Add a finding; returns 0, or -1 when memory ran out (the finding is then counted as
 * dropped so that an error is never silently lost from the totals). */
int edi_findings_add(edi_findings *f, const edi_position *at, edi_level level,
                     edi_severity sev, int code, unsigned element, unsigned component,
                     const char *fmt, ...) __attribute__((format(printf, 8, 9)));
int edi_findings_vadd(edi_findings *f, const edi_position *at, edi_level level,
                      edi_severity sev, int code, unsigned element, unsigned component,
                      const char *fmt, va_list ap);

/* One line: `message 1, segment 14 (QTY), element 1, component 2: "12,5x" is not ...`.
 * Returns the length that the full line needs (like snprintf). */
int edi_finding_format(const edi_finding *fd, char *buf, size_t n);

/* Quote a data value for a sentence: printable characters as they are, control bytes
 * as \xNN, long values cut to `max` bytes with "..." appended. Always NUL-terminates. */
void edi_quote(char *buf, size_t n, const char *val, size_t len, size_t max);

#endif

/* edi_reader.h: reads EDIFACT interchanges end to end: tokenizer, envelope checks
 * (UNB/UNG/UNH/UNT/UNE/UNZ references, counts, dates, versions), character repertoire,
 * and directory validation of each message; tells a handler what it finds, in order. */
#ifndef EDI_READER_H
#define EDI_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_charset.h"
#include "edi_directory.h"
#include "edi_finding.h"
#include "edi_tokenizer.h"
#include "edi_validator.h"

typedef struct {
    edi_directory *directory;      /* caller-owned; NULL: only the envelope is checked */
    const char *charset_override;  /* the partner's real charset (see edi_charset_open) */
    size_t max_findings_per_message; /* 0: no limit */
    bool repertoire_is_error;      /* characters outside the declared repertoire reject */
    edi_tokenizer_options tokenizer;
} edi_reader_options;

/* The interchange header as received. Strings are unescaped values, NUL-terminated;
 * the *_raw fields keep the composite exactly as written (for CONTRL's UCI copy). */
typedef struct {
    unsigned index;               /* 1-based in the file */
    bool has_unb;                 /* false: a bare message without envelope */
    bool has_una;
    edi_service_chars sc;
    char syntax_id[8];            /* UNOC */
    int syntax_version;           /* 1..4, 0 if unreadable */
    char sender[EDI_REF_MAX], sender_qualifier[8];
    char recipient[EDI_REF_MAX], recipient_qualifier[8];
    char sender_raw[128], recipient_raw[128]; /* S002 / S003 as written (v4: up to ~112) */
    char date[16], time[16];      /* as written (YYMMDD or CCYYMMDD, HHMM), cut at 15 */
    char control_ref[EDI_REF_MAX];/* 0020 */
    char application_ref[16];     /* 0026 */
    bool ack_requested;           /* 0031 = 1 */
    bool test;                    /* 0035 = 1 */
    const edi_charset *charset;   /* NULL when the syntax identifier is not decodable */
    unsigned messages, groups;    /* counted so far / in total at interchange_end */
    bool has_unz;
} edi_interchange_info;

typedef struct {
    unsigned index;               /* 1-based in the interchange */
    char ref[EDI_REF_MAX];        /* UNH 0062 */
    char type[8], version[4], release[4], agency[4], association[8];
    char group_ref[EDI_REF_MAX];  /* "" outside a group */
    const edi_message_def *def;   /* NULL: no directory for it */
    unsigned segments;            /* UNH..UNT counted so far */
    size_t errors;                /* error findings for this message (incl. dropped) */
    bool has_unt;
} edi_message_info;

/* Every callback may be NULL. A non-zero return stops reading; edi_reader_run then
 * returns EDI_E_ARG unless the callback's value is itself an edi_result. */
typedef struct {
    void *ctx;
    int (*interchange_begin)(void *ctx, const edi_interchange_info *ic);
    int (*message_begin)(void *ctx, const edi_interchange_info *ic, const edi_message_info *m);
    /* Every segment, service segments included. `pl` is NULL outside messages or when the
     * message has no directory. */
    int (*segment)(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                   const edi_position *at, const edi_placement *pl);
    int (*message_end)(void *ctx, const edi_interchange_info *ic, const edi_message_info *m);
    int (*interchange_end)(void *ctx, const edi_interchange_info *ic);
} edi_reader_handler;

/* Read all of `fd` (or `buf`/`len`), adding every finding to `f`. Returns EDI_OK when
 * the input was read to its end (findings say whether it is valid), else the error that
 * stopped it (EDI_E_TRUNCATED and EDI_E_SYNTAX also come with a finding). */
edi_result edi_reader_run_fd(int fd, const edi_reader_options *opt, const edi_reader_handler *h,
                             edi_findings *f);
edi_result edi_reader_run_mem(const char *buf, size_t len, const edi_reader_options *opt,
                              const edi_reader_handler *h, edi_findings *f);

#endif

/* edi_contrl.h: CONTRL, the syntax and service report. It owns building the CONTRL we send
 * for a received interchange (from the reader's findings) and reading the CONTRL a partner
 * sends for one of ours, with a plain sentence for every action (0083) and error (0085). */
#ifndef EDI_CONTRL_H
#define EDI_CONTRL_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_finding.h"
#include "edi_reader.h"
#include "edi_result.h"
#include "edi_tokenizer.h"
#include "edi_writer.h"

/* 0083 action codes we write. Reading also accepts the legacy codes 1, 2, 3, 5 and 6 of the
 * 1990s service code list, which are never written. */
enum {
    EDI_ACTION_REJECTED = 4,     /* this level and all lower levels rejected */
    EDI_ACTION_ACKNOWLEDGED = 7, /* this level acknowledged; lower levels unless rejected */
    EDI_ACTION_RECEIVED = 8      /* interchange received; the verdict follows later */
};

/* ---- building: the subject interchange ------------------------------------------- */

/* A composite as received: up to 7 components (S009 in syntax 4 has 7), bytes in the
 * subject's character set with release characters removed; unused components are "". */
#define EDI_CONTRL_COMPONENTS 7
typedef struct {
    char c[EDI_CONTRL_COMPONENTS][EDI_REF_MAX];
} edi_contrl_composite;

typedef struct {
    char ref[EDI_REF_MAX];          /* UNG 0048 */
    edi_contrl_composite sender;    /* UNG S006, copied into UCF */
    edi_contrl_composite recipient; /* UNG S007 */
} edi_contrl_group;

typedef struct {
    unsigned index;                 /* 1-based in the interchange: edi_message_info.index,
                                     * which findings carry as edi_position.message */
    char ref[EDI_REF_MAX];          /* UNH 0062 */
    edi_contrl_composite identifier;/* UNH S009, copied into UCM */
    char group_ref[EDI_REF_MAX];    /* "" outside a group */
    size_t errors;                  /* error findings the reader counted for it; a message
                                     * with errors but no kept finding is still rejected */
} edi_contrl_message;

/* The groups and messages of one received interchange, collected while the reader runs
 * (its interchange header is the reader's edi_interchange_info). Caller-owned; plain data. */
typedef struct {
    edi_contrl_group *groups;
    size_t n_groups, groups_cap;
    edi_contrl_message *messages;
    size_t n_messages, messages_cap;
    edi_result error;               /* first failure while collecting; the build returns it */
    edi_contrl_composite unh_identifier; /* S009 of the UNH just seen, until its message ends */
    unsigned unh_index;             /* which message unh_identifier belongs to, 0 = none */
} edi_contrl_subject;

void edi_contrl_subject_init(edi_contrl_subject *s);
void edi_contrl_subject_free(edi_contrl_subject *s);
/* Forget the collected groups and messages (keeping the memory) for the next interchange. */
void edi_contrl_subject_reset(edi_contrl_subject *s);

edi_result edi_contrl_subject_add_group(edi_contrl_subject *s, const edi_contrl_group *g);
edi_result edi_contrl_subject_add_message(edi_contrl_subject *s, const edi_contrl_message *m);

/* For the reader's handler. Call on_segment from edi_reader_handler.segment: it keeps UNG
 * (reference, S006, S007) and the S009 of each UNH exactly as received. Call
 * on_message_end from .message_end: it adds the message (S009 from its UNH when
 * on_segment saw it, else from the info's type/version/release/agency/association).
 * Both return EDI_OK or EDI_E_NOMEM (also kept in s->error), so a handler can return it. */
edi_result edi_contrl_subject_on_segment(edi_contrl_subject *s, const edi_segment *seg,
                                         const edi_position *at);
edi_result edi_contrl_subject_on_message_end(edi_contrl_subject *s, const edi_message_info *m);

/* ---- building: options and the builder ------------------------------------------- */

typedef enum {
    EDI_CONTRL_REPORT_REJECTED, /* UCI, and UCF/UCM only for rejected groups and messages */
    EDI_CONTRL_REPORT_ALL,      /* also UCF/UCM 7 for every accepted group and message
                                 * (none under a rejected UCI or UCF: 4 covers them) */
    EDI_CONTRL_RECEIPT_ONLY     /* UCI 8 alone (UCI 4 when the envelope itself is rejected) */
} edi_contrl_mode;

/* Zero-initialise, then set control_ref, date and time; every other zero/NULL field
 * means the default given. Strings are UTF-8. */
typedef struct {
    const char *control_ref;      /* our UNB/UNZ 0020 for the CONTRL interchange (an..14) */
    const char *message_ref;      /* UNH/UNT 0062; NULL or "": "1" */
    const char *date;             /* CCYYMMDD; written as YYMMDD below syntax version 4 */
    const char *time;             /* HHMM */
    edi_contrl_mode mode;
    int syntax_version;           /* 0: the subject's (3 when it has none) */
    const char *syntax_id;        /* UNB 0001; NULL: the subject's (UNOA if we cannot
                                   * write it, e.g. when the subject's was rejected) */
    const char *sender_id;        /* our UNB S002 0004; NULL: the subject's S003 as received */
    const char *sender_qualifier; /* 0007 with sender_id */
    const char *message_version;  /* S009 0052; NULL: "D" (syntax 4: "4") */
    const char *message_release;  /* S009 0054; NULL: "3" (syntax 4: "1") */
    const char *association;      /* S009 0057, e.g. "EAN004" for EANCOM; NULL: none */
    unsigned max_segment_errors;  /* UCS per message; 0 or more than 999: 999 (SG2 C999) */
    unsigned max_element_errors;  /* UCD per UCS; 0 or more than 99: 99 (UCD C99) */
    const edi_writer_options *writer; /* separators, line breaks, force_una; NULL: defaults.
                                   * Its syntax_version and charset are replaced by the above. */
} edi_contrl_options;

/* Build the complete CONTRL interchange (UNA when needed, UNB ... UNZ) for the received
 * interchange `ic` with the groups and messages in `s`, from the findings in `f` whose
 * position is in that interchange (at.interchange == ic->index); warnings are ignored.
 * The CONTRL's UNB swaps sender and recipient relative to the subject and never requests
 * an acknowledgement itself; it carries the subject's test indicator.
 * Where each error finding goes:
 *   interchange level, and anything outside messages and groups -> UCI (the first one
 *     gives UCI 0085, and for errors in UNA/UNB/UNZ the segment tag and S011);
 *   group level (and element errors in UNG/UNE)                  -> UCF of that group;
 *   message level, and the first error in UNH/UNT of any level   -> UCM (first one: 0085,
 *     with tag and S011 for errors in UNH/UNT);
 *   segment level                                                -> UCS with 0085;
 *   element level                                                -> UCD under the UCS of
 *     its segment, S011 = element position + 1 (the tag counts) and component.
 * On success *out is a malloc'd buffer of *out_len bytes (not NUL-terminated; the caller
 * frees it). Errors: EDI_E_ARG (missing or malformed options or writer options, a subject
 * without UNB, a finding for a message that is not in `s`), EDI_E_CHARSET (the caller's
 * syntax_id cannot be written), EDI_E_NOMEM; `why` (may be NULL) then says what is wrong. */
edi_result edi_contrl_build(const edi_interchange_info *ic, const edi_contrl_subject *s,
                            const edi_findings *f, const edi_contrl_options *o, char **out,
                            size_t *out_len, char *why, size_t why_n);

/* ---- reading a CONTRL we received ----------------------------------------------- */

/* One UCI, UCF, UCM, UCS or UCD segment. Strings are UTF-8. */
typedef struct {
    edi_level level;              /* INTERCHANGE = UCI, GROUP = UCF, MESSAGE = UCM,
                                   * SEGMENT = UCS, ELEMENT = UCD */
    int action;                   /* 0083 on UCI/UCF/UCM; 0 otherwise or when absent */
    int code;                     /* 0085; 0 when absent */
    char group_ref[EDI_REF_MAX];  /* UCF 0048: on the UCF and everything under it */
    char message_ref[EDI_REF_MAX];/* UCM 0062: on the UCM and its UCS/UCD */
    char message_type[8], message_version[8], message_release[8], message_agency[8],
         message_association[8];  /* UCM S009, on the UCM and its UCS/UCD */
    char tag[4];                  /* UCI/UCF/UCM 0013 (v3) or 0135 (v4): segment in error */
    unsigned segment;             /* UCS 0096 on the UCS and its UCDs: UNH = 1 */
    unsigned element;             /* S011 0098 minus one: 1-based after the tag, the way
                                   * edi_finding counts; 0 when absent or the tag itself */
    bool tag_in_error;            /* S011 0098 was 1: the segment tag itself */
    unsigned component;           /* S011 0104; 0 when absent */
    unsigned occurrence;          /* S011 0136 (v4); 0 when absent */
    bool malformed;               /* a number was not a number or a mandatory value was
                                   * missing; what could be read is kept */
} edi_contrl_entry;

/* One CONTRL message. Envelope strings are "" when it came without UNB. */
typedef struct {
    char sender[EDI_REF_MAX], sender_qualifier[8];       /* UNB S002: who sent the CONTRL */
    char recipient[EDI_REF_MAX], recipient_qualifier[8]; /* UNB S003 */
    char control_ref[EDI_REF_MAX];                       /* UNB 0020 of the CONTRL */
    int syntax_version;                                  /* UNB S001 0002, 0 if none */
    char message_ref[EDI_REF_MAX];                       /* UNH 0062 */
    char version[8], release[8], association[8];        /* UNH S009: D:3, 4:1, 2:2, EAN... */
    /* UCI: the interchange this answers (normally one we sent) */
    char subject_ref[EDI_REF_MAX];
    char subject_sender[EDI_REF_MAX], subject_sender_qualifier[8];
    char subject_recipient[EDI_REF_MAX], subject_recipient_qualifier[8];
    int action;                                          /* UCI 0083, 0 without UCI */
    edi_contrl_entry *entries;   /* every UCI/UCF/UCM/UCS/UCD in order (UCI first) */
    size_t n_entries;
} edi_contrl_report;

/* Read every CONTRL message in `buf` (one or more interchanges, or bare UNH ... UNT);
 * other message types are skipped. On success *reports is a malloc'd array of *n_reports
 * (free with edi_contrl_reports_free). EDI_E_SYNTAX when the input is not EDIFACT or holds
 * no CONTRL message, EDI_E_TRUNCATED/EDI_E_LIMIT from the tokenizer, EDI_E_NOMEM; `why`
 * (may be NULL) then says what is wrong. */
edi_result edi_contrl_read(const char *buf, size_t len, edi_contrl_report **reports,
                           size_t *n_reports, char *why, size_t why_n);
void edi_contrl_reports_free(edi_contrl_report *reports, size_t n_reports);

typedef enum {
    EDI_CONTRL_ACCEPTED,  /* acknowledged (7, legacy 1/2, or unlisted under 7/3) */
    EDI_CONTRL_REJECTED,  /* 4 (legacy 3 on the message itself, 6) here or above */
    EDI_CONTRL_RECEIVED,  /* receipt only (8, legacy 5): the verdict follows later */
    EDI_CONTRL_UNKNOWN    /* an action code we do not know, or no UCI */
} edi_contrl_verdict;

/* What the report says about one message we sent: its UCM if there is one (in the group
 * `group_ref`, or in any group when group_ref is NULL), else its group's UCF, else UCI. */
edi_contrl_verdict edi_contrl_message_verdict(const edi_contrl_report *r, const char *group_ref,
                                              const char *message_ref);
const char *edi_contrl_verdict_str(edi_contrl_verdict v);

/* Plain sentences for support staff; never NULL (unknown codes get a sentence too). */
const char *edi_contrl_action_text(int action);
const char *edi_contrl_error_text(int code);

/* One line for an entry of report `r`, e.g. `message ME002341 (INVOIC D 96A), segment 5,
 * element 2: error 39, data element too long: ...` (elements counted after the tag, as in
 * our own findings). Returns the length the full line needs (like snprintf). */
int edi_contrl_entry_describe(const edi_contrl_report *r, const edi_contrl_entry *e, char *buf,
                              size_t n);

#endif

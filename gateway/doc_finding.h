/* doc_finding.h: findings about a business document read or written as XML or canonical
 * (openTRANS deviations, schema errors, EN 16931 business rules, totals that disagree). It
 * owns the finding record (severity, rule id, line, where, sentence), a growable list
 * with a cap, and printing the list as text or JSON. EDIFACT syntax findings stay in
 * parsers/edi_finding: they carry 0085 codes and CONTRL levels these do not need. */
#ifndef DOC_FINDING_H
#define DOC_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "edi_result.h"

typedef enum {
    DOC_WARNING = 0,    /* accepted, but someone should know (lenient openTRANS, ...) */
    DOC_ERROR = 1,      /* the document must not be processed or sent as it is */
} doc_severity;

/* At most this many findings are kept per list; one more says how many were left out. */
#define DOC_FINDINGS_MAX 500

typedef struct {
    doc_severity severity;
    char rule[32];     /* the rule that decided: "BR-CO-10", "BR-DE-15", "XSD", "OT-UNIT" */
    long line;         /* line in the document that was read; 0 when unknown or computed */
    char where[192];   /* the place in words or as a path: "line 2 (number 20)", "/Invoice/..." */
    char text[640];    /* what is wrong, why, and what to do, as one or two sentences */
} doc_finding;

/* A list of findings. Zero-initialised (or doc_findings_init) it is empty; the caller
 * frees it with doc_findings_free. */
typedef struct {
    doc_finding *items;
    size_t count;
    size_t cap;
    size_t dropped;    /* findings beyond DOC_FINDINGS_MAX, counted, not kept */
} doc_findings;

void doc_findings_init(doc_findings *f);
void doc_findings_free(doc_findings *f);

/* Append one finding; `rule` and `where` may be NULL (""), `fmt` is printf-style for the
 * sentence. Texts that do not fit are cut at a character boundary. Returns EDI_OK,
 * EDI_E_NOMEM, or EDI_E_ARG without a list; past DOC_FINDINGS_MAX the finding is counted
 * in `dropped` and EDI_OK returned. */
edi_result doc_findings_add(doc_findings *f, doc_severity sev, const char *rule, long line,
                            const char *where, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* How many findings of severity `sev` the list holds (dropped ones not counted). */
size_t doc_findings_count(const doc_findings *f, doc_severity sev);

/* True when the list holds the rule id `rule` (any severity). */
bool doc_findings_has(const doc_findings *f, const char *rule);

/* Print one finding per line: "error BR-CO-10 line 12 (where): text", or, with `json`, one
 * JSON array of objects {severity, rule, line, where, text}. `label` (may be NULL) is
 * printed before each text line, e.g. the file name. */
void doc_findings_print(const doc_findings *f, FILE *out, bool json, const char *label);

#endif

/* convert.h: the conversion engine. It owns turning one received payload (format found from
 * its content) into canonical documents and each of those into a target format: inbound
 * stylesheet, completion of missing amounts, partner code maps, canonical validation, the
 * EN 16931 rules for invoices, outbound stylesheet, and the check of what was written
 * (EDIFACT read back by our own reader, XML against its official schema). It never prints
 * and never exits: results and findings are values, so the command line and the daemon
 * (stored payloads, worker threads, per-partner settings) drive it the same way.
 *
 * Threads: one engine per thread (it owns a mapping context and an EDIFACT directory, both
 * caches that are not locked). A partner profile is read-only and may be shared. */
#ifndef CONVERT_H
#define CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "doc_finding.h"
#include "edi_result.h"
#include "mapping.h"
#include "partner.h"

typedef enum {
    CONVERT_TO_CANONICAL = 0,
    CONVERT_TO_ORDERS,          /* EDIFACT ORDERS from a canonical order */
    CONVERT_TO_ORDRSP,          /* EDIFACT ORDRSP from a canonical orderResponse */
    CONVERT_TO_DESADV,          /* EDIFACT DESADV from a canonical despatchAdvice */
    CONVERT_TO_INVOIC,          /* EDIFACT INVOIC from a canonical invoice */
    CONVERT_TO_OPENTRANS,       /* openTRANS 2.1, root by the canonical kind */
    CONVERT_TO_XRECHNUNG_UBL,   /* UBL Invoice/CreditNote, XRechnung CIUS */
    CONVERT_TO_XRECHNUNG_CII,   /* CII CrossIndustryInvoice, XRechnung CIUS */
    CONVERT_TO_PEPPOL,          /* UBL, Peppol BIS Billing 3.0 */
    CONVERT_TO_HTML,            /* an invoice for people to read */
    CONVERT_TARGET_COUNT
} convert_target;

/* The target's name as the command line spells it ("xrechnung-ubl"); never NULL. */
const char *convert_target_name(convert_target t);
/* The target named `name`; false when there is none. */
bool convert_target_parse(const char *name, convert_target *out);
/* The stylesheet file (in the engine's xslt folder) the target uses, NULL for canonical. */
const char *convert_target_stylesheet(convert_target t);

/* How a run ended; the command line's exit status is the same number. */
typedef enum {
    CONVERT_DONE = 0,       /* every document converted (warnings may be in the findings) */
    CONVERT_FINDINGS = 1,   /* errors in the input, a result that is not valid, business
                               rules broken: the findings say which; documents that passed
                               are still in the results */
    CONVERT_REFUSED = 2,    /* unreadable, unsupported, not installed, out of memory: `why`
                               says it (and a finding per refused message) */
} convert_status;

/* Per-run options. Strings are borrowed; NULL means "not given". */
typedef struct {
    const partner *partner;     /* profile of the partner the document is from or for */
    const char *control_ref;    /* EDIFACT UNB/UNZ 0020; default "1" */
    const char *datetime;       /* EDIFACT UNB S004 as CCYYMMDD:HHMM; default now, UTC */
    const char *message_ref;    /* UNH 0062; default the stylesheet's ("1") */
    /* EDIFACT target settings; each, when given, wins over the partner's. */
    const char *directory;      /* "D96A" or "D01B" */
    const char *association;    /* EANCOM code or "none" */
    const char *syntax_id;      /* "UNOC" */
    int syntax_version;         /* 1..4, 0 not given */
    const char *sender_id, *sender_qualifier;       /* UNB S002; default from the document */
    const char *recipient_id, *recipient_qualifier; /* UNB S003 */
} convert_options;

/* One document the run produced. */
typedef struct {
    char *data;                 /* malloc'd bytes, NUL-terminated (not counted in len) */
    size_t len;
    const char *media_type;     /* static: "application/xml", "application/EDIFACT", "text/html" */
    char name[96];              /* a file name to suggest: "<number>.<target>.xml" */
    char what[160];             /* what it came from, for people: "message 2 (ref 2)" */
} convert_output;

/* The documents of one run, in input order. Zero-initialised it is empty; the caller frees
 * it with convert_results_free. */
typedef struct {
    convert_output *items;
    size_t count, cap;
} convert_results;

void convert_results_free(convert_results *r);

typedef struct convert_engine convert_engine;

/* An engine reading formats (edifact/, canonical/, xsd/) under `formats_dir` and
 * stylesheets under `xslt_dir`. The EDIFACT directory is opened when first needed. NULL
 * with a sentence in `why` when out of memory. Free with convert_engine_free. */
convert_engine *convert_engine_new(const char *formats_dir, const char *xslt_dir, char *why,
                                   size_t why_n);
void convert_engine_free(convert_engine *e);

/* The engine's mapping context (stylesheet and schema caches): partner profiles are
 * loaded with it so that their schema is compiled once per engine. */
mapping_ctx *convert_engine_mapping(convert_engine *e);

/* Whether the stylesheet `target` needs is installed; when not, `why` says which file is
 * missing. Canonical is always available. */
bool convert_target_available(convert_engine *e, convert_target target, char *why, size_t why_n);

/* Convert the payload `buf`/`len` to `target` (docs/canonical.md, "Partner overrides and
 * code maps", lists the steps): each document found (an EDIFACT interchange with three
 * ORDERS gives three) is mapped to canonical (a canonical input is taken as it is: not
 * completed unless it is an invoice), completed, given the partner's code maps, validated,
 * and written in the target format, which is checked before it is kept.
 * Outputs are appended to `out`, findings (warnings and errors, each with its position) to
 * `findings`. Returns the status; `why` gets a sentence whenever it is not CONVERT_DONE. */
convert_status convert_run(convert_engine *e, const char *buf, size_t len, convert_target target,
                           const convert_options *opt, convert_results *out,
                           doc_findings *findings, char *why, size_t why_n);

/* The EN 16931 rule sets (en16931_rules.h) a check of an invoice asks for. */
typedef enum {
    CONVERT_RULES_DEFAULT = 0,  /* from the invoice's specification identifier (BT-24) */
    CONVERT_RULES_EN16931,
    CONVERT_RULES_XRECHNUNG,
    CONVERT_RULES_PEPPOL,
} convert_rules;

/* Check an invoice (UBL, CII or canonical) against the EN 16931 rules: the core rules plus
 * XRechnung's or Peppol's, chosen by `rules` or, by default, from its BT-24. The invoice is
 * mapped to canonical and completed first; findings of every step go to `findings`. The
 * rule set used is named in `rules_used` (may be NULL). CONVERT_DONE when no rule is
 * broken, CONVERT_FINDINGS when one is, CONVERT_REFUSED when the file is no invoice or
 * cannot be read. */
convert_status convert_check_invoice(convert_engine *e, const char *buf, size_t len,
                                     convert_rules rules, const convert_options *opt,
                                     doc_findings *findings, const char **rules_used,
                                     char *why, size_t why_n);

#endif

/* CONTRL: building it from the reader's findings for received interchanges (accepted,
 * rejected messages, UCS/UCD positions, groups, receipt only, syntax 4, EANCOM, limits,
 * envelope details) and reading CONTRL back, including the EANCOM examples of the
 * reference, legacy codes and the verdict for a message we sent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edi_contrl.h"

/* ---- helpers ------------------------------------------------------------------- */

static edi_contrl_options options(void)
{
    edi_contrl_options o;
    memset(&o, 0, sizeof o);
    o.control_ref = "C1";
    o.date = "20260102";
    o.time = "1200";
    return o;
}

/* Reads `edi` with the real reader (envelope checks only, no directory) and builds one
 * CONTRL per interchange at its end, the way the gateway does; returns them concatenated
 * (NUL-terminated, caller frees). The findings are kept in *findings when not NULL. */
typedef struct {
    edi_contrl_subject subject;
    edi_findings findings;
    const edi_contrl_options *opt;
    char *out;
    size_t len;
    edi_result result;
    char why[256];
} reader_run;

static int collect_segment(void *ctx, const edi_interchange_info *ic, const edi_segment *seg,
                           const edi_position *at, const edi_placement *pl)
{
    reader_run *run = ctx;
    (void)ic;
    (void)pl;
    return (int)edi_contrl_subject_on_segment(&run->subject, seg, at);
}

static int collect_message(void *ctx, const edi_interchange_info *ic, const edi_message_info *m)
{
    reader_run *run = ctx;
    (void)ic;
    return (int)edi_contrl_subject_on_message_end(&run->subject, m);
}

static int build_at_end(void *ctx, const edi_interchange_info *ic)
{
    reader_run *run = ctx;
    char *buf = NULL;
    size_t len = 0;
    run->result = edi_contrl_build(ic, &run->subject, &run->findings, run->opt, &buf, &len,
                                   run->why, sizeof run->why);
    if (run->result == EDI_OK) {
        run->out = realloc(run->out, run->len + len + 1);
        assert_non_null(run->out);
        memcpy(run->out + run->len, buf, len);
        run->len += len;
        run->out[run->len] = '\0';
    }
    free(buf);
    edi_contrl_subject_reset(&run->subject);
    return 0;
}

static char *contrl_of(const char *edi, const edi_contrl_options *o)
{
    reader_run run;
    memset(&run, 0, sizeof run);
    run.opt = o;
    edi_contrl_subject_init(&run.subject);
    edi_findings_init(&run.findings, 0);
    edi_reader_handler h = { .ctx = &run, .segment = collect_segment,
                             .message_end = collect_message, .interchange_end = build_at_end };
    assert_int_equal(edi_reader_run_mem(edi, strlen(edi), NULL, &h, &run.findings), EDI_OK);
    if (run.result != EDI_OK)
        fail_msg("build failed: %s (%s)", edi_result_str(run.result), run.why);
    edi_contrl_subject_free(&run.subject);
    edi_findings_free(&run.findings);
    assert_non_null(run.out);
    return run.out;
}

/* Read a CONTRL we built and return its one report (caller frees with reports_free). */
static edi_contrl_report *read_one(const char *contrl)
{
    edi_contrl_report *r = NULL;
    size_t n = 0;
    char why[200] = "";
    edi_result res = edi_contrl_read(contrl, strlen(contrl), &r, &n, why, sizeof why);
    if (res != EDI_OK)
        fail_msg("reading failed: %s (%s)", edi_result_str(res), why);
    assert_int_equal(n, 1);
    return r;
}

/* An interchange header as the reader fills it, for tests that give findings by hand. */
static edi_interchange_info hand_interchange(void)
{
    edi_interchange_info ic;
    memset(&ic, 0, sizeof ic);
    ic.index = 1;
    ic.has_unb = true;
    ic.sc = (edi_service_chars){ .component = ':', .element = '+', .decimal = '.',
                                 .release = '?', .repetition = '*', .terminator = '\'' };
    strcpy(ic.syntax_id, "UNOC");
    ic.syntax_version = 3;
    strcpy(ic.sender, "SENDER");
    strcpy(ic.sender_raw, "SENDER:14");
    strcpy(ic.recipient, "RECIP");
    strcpy(ic.recipient_raw, "RECIP:14");
    strcpy(ic.control_ref, "REF1");
    return ic;
}

static edi_contrl_message hand_message(unsigned index, const char *ref, const char *group)
{
    edi_contrl_message m;
    memset(&m, 0, sizeof m);
    m.index = index;
    snprintf(m.ref, sizeof m.ref, "%s", ref);
    snprintf(m.group_ref, sizeof m.group_ref, "%s", group);
    strcpy(m.identifier.c[0], "ORDERS");
    strcpy(m.identifier.c[1], "D");
    strcpy(m.identifier.c[2], "96A");
    strcpy(m.identifier.c[3], "UN");
    return m;
}

static void add_finding(edi_findings *f, edi_level level, edi_severity sev, int code,
                        unsigned message, unsigned segment, const char *tag, unsigned element,
                        unsigned component)
{
    edi_position at;
    memset(&at, 0, sizeof at);
    at.interchange = 1;
    strcpy(at.interchange_ref, "REF1");
    at.message = message;
    if (message)
        snprintf(at.message_ref, sizeof at.message_ref, "M%u", message);
    at.segment = segment;
    snprintf(at.tag, sizeof at.tag, "%s", tag);
    assert_int_equal(edi_findings_add(f, &at, level, sev, code, element, component, "test"), 0);
}

static char *build_hand(const edi_interchange_info *ic, const edi_contrl_subject *s,
                        const edi_findings *f, const edi_contrl_options *o)
{
    char *out = NULL, why[256] = "";
    size_t len = 0;
    edi_result r = edi_contrl_build(ic, s, f, o, &out, &len, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("build failed: %s (%s)", edi_result_str(r), why);
    char *str = malloc(len + 1);
    assert_non_null(str);
    memcpy(str, out, len);
    str[len] = '\0';
    free(out);
    return str;
}

#define UNB_IN "UNB+UNOC:3+SENDER:14+RECIP:14+200101:1000+REF1++ORDERS++1'"
#define MSG_OK(ref) "UNH+" ref "+ORDERS:D:96A:UN:EAN008'BGM+220+PO1'UNT+3+" ref "'"
#define CONTRL_HEAD "UNA:+.? 'UNB+UNOC:3+RECIP:14+SENDER:14+260102:1200+C1'UNH+1+CONTRL:D:3:UN'"

/* ---- building ------------------------------------------------------------------ */

static void accepted_interchange_gets_uci_7_only(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of(UNB_IN MSG_OK("M1") MSG_OK("M2") "UNZ+2+REF1'", &o);
    /* Sender and recipient swapped in UNB, as received in UCI; no 0031 in our UNB. */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UNT+3+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_string_equal(r->subject_ref, "REF1");
    assert_string_equal(r->subject_sender, "SENDER");
    assert_string_equal(r->subject_sender_qualifier, "14");
    assert_string_equal(r->subject_recipient, "RECIP");
    assert_string_equal(r->sender, "RECIP");
    assert_string_equal(r->recipient, "SENDER");
    assert_string_equal(r->control_ref, "C1");
    assert_string_equal(r->version, "D");
    assert_string_equal(r->release, "3");
    assert_int_equal(r->action, 7);
    assert_int_equal(r->n_entries, 1);
    assert_int_equal(r->entries[0].level, EDI_LEVEL_INTERCHANGE);
    assert_int_equal(r->entries[0].code, 0);
    assert_false(r->entries[0].malformed);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_ACCEPTED);
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void report_all_lists_accepted_messages(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    o.mode = EDI_CONTRL_REPORT_ALL;
    char *c = contrl_of(UNB_IN MSG_OK("M1") MSG_OK("M2") "UNZ+2+REF1'", &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UCM+M1+ORDERS:D:96A:UN:EAN008+7'UCM+M2+ORDERS:D:96A:UN:EAN008+7'"
                           "UNT+5+1'UNZ+1+C1'");
    free(c);
}

static void wrong_unt_count_rejects_that_message(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of(UNB_IN MSG_OK("M1")
                        "UNH+M2+ORDERS:D:96A:UN:EAN008'BGM+220+PO2'UNT+4+M2'"
                        "UNZ+2+REF1'", &o);
    /* 0085 29 (control count), in UNT, S011 0098 = 2: UNT's first element after the tag. */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UCM+M2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'UNT+4+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->n_entries, 2);
    const edi_contrl_entry *ucm = &r->entries[1];
    assert_int_equal(ucm->level, EDI_LEVEL_MESSAGE);
    assert_string_equal(ucm->message_ref, "M2");
    assert_string_equal(ucm->message_type, "ORDERS");
    assert_string_equal(ucm->message_association, "EAN008");
    assert_int_equal(ucm->action, 4);
    assert_int_equal(ucm->code, 29);
    assert_string_equal(ucm->tag, "UNT");
    assert_int_equal(ucm->element, 1);
    assert_int_equal(ucm->component, 0);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M2"), EDI_CONTRL_REJECTED);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_ACCEPTED);
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void wrong_unt_reference_gives_code_28(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of(UNB_IN "UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1'UNT+3+MX'UNZ+1+REF1'", &o);
    assert_non_null(strstr(c, "UCM+M1+ORDERS:D:96A:UN:EAN008+4+28+UNT+3'"));
    free(c);
}

static void element_errors_get_ucs_and_ucd_positions(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", ""), m2 = hand_message(2, "M2", "");
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    assert_int_equal(edi_contrl_subject_add_message(&s, &m2), EDI_OK);
    edi_findings f;
    edi_findings_init(&f, 0);
    /* Given out of segment order on purpose: UCS are written in segment order. */
    add_finding(&f, EDI_LEVEL_SEGMENT, EDI_SEV_ERROR, 13, 2, 7, "DTM", 0, 0);
    /* NAD (segment 5) element 3 is C080, component 1 too long. */
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 39, 2, 5, "NAD", 3, 1);
    /* BGM (segment 2) element 2, a simple element: no component position. */
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 12, 2, 2, "BGM", 2, 0);
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 37, 2, 5, "NAD", 9, 0);
    edi_contrl_options o = options();
    char *c = build_hand(&ic, &s, &f, &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UCM+M2+ORDERS:D:96A:UN+4'"
                           "UCS+2'UCD+12+3'UCS+5'UCD+39+4:1'UCD+37+10'UCS+7+13'"
                           "UNT+10+1'UNZ+1+C1'");

    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->n_entries, 8);
    const edi_contrl_entry *e = &r->entries[5];
    assert_int_equal(e->level, EDI_LEVEL_ELEMENT);
    assert_string_equal(e->message_ref, "M2");
    assert_int_equal(e->segment, 5);
    assert_int_equal(e->code, 39);
    assert_int_equal(e->element, 3);   /* back in our counting: after the tag */
    assert_int_equal(e->component, 1);
    assert_int_equal(r->entries[6].element, 9);
    assert_int_equal(r->entries[6].component, 0);
    assert_int_equal(r->entries[7].level, EDI_LEVEL_SEGMENT);
    assert_int_equal(r->entries[7].segment, 7);
    assert_int_equal(r->entries[7].code, 13);
    char line[400];
    edi_contrl_entry_describe(r, e, line, sizeof line);
    assert_string_equal(line, "message M2 (ORDERS D 96A), segment 5, element 3, component 1: "
                              "error 39, data element too long: a value is longer than its "
                              "definition allows");
    edi_contrl_reports_free(r, 1);
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void unh_and_unt_errors_go_to_ucm_first(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", "");
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    edi_findings f;
    edi_findings_init(&f, 0);
    /* S009 0057 (element 2, component 5) too long, then 0068 (element 3) invalid. */
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 39, 1, 1, "UNH", 2, 5);
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 12, 1, 1, "UNH", 3, 0);
    edi_contrl_options o = options();
    char *c = build_hand(&ic, &s, &f, &o);
    /* UCM holds one error: the first; the second still gets its UCS/UCD (UNH = 1). */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UCM+M1+ORDERS:D:96A:UN+4+39+UNH+3:5'UCS+1'UCD+12+4'"
                           "UNT+6+1'UNZ+1+C1'");
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void warnings_never_reject(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", "");
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    edi_findings f;
    edi_findings_init(&f, 0);
    add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_WARNING, 21, 1, 3, "NAD", 4, 1);
    add_finding(&f, EDI_LEVEL_INTERCHANGE, EDI_SEV_WARNING, 33, 0, 0, "", 0, 0);
    edi_contrl_options o = options();
    char *c = build_hand(&ic, &s, &f, &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UNT+3+1'UNZ+1+C1'");
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void findings_of_other_interchanges_are_ignored(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of(UNB_IN MSG_OK("M1") "UNZ+1+REF1'"
                        "UNB+UNOC:3+SENDER:14+RECIP:14+200101:1000+REF2'"
                        "UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1'UNT+9+M1'UNZ+1+REF2'", &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UNT+3+1'UNZ+1+C1'"
                           CONTRL_HEAD "UCI+REF2+SENDER:14+RECIP:14+7'"
                           "UCM+M1+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'UNT+4+1'UNZ+1+C1'");
    free(c);
}

#define UNG(ref) "UNG+ORDERS+GS:14+GR:14+200101:1000+" ref "+UN+D:96A'"
#define MSG_IN_GROUP(ref, count) "UNH+" ref "+ORDERS:D:96A:UN'BGM+220+PO1'UNT+" count "+" ref "'"

static void groups_get_ucf(void **state)
{
    (void)state;
    const char *edi = UNB_IN UNG("G1") MSG_IN_GROUP("M1", "3") "UNE+1+G1'"
                      UNG("G2") MSG_IN_GROUP("M2", "3") MSG_IN_GROUP("M3", "9") "UNE+2+G2'"
                      "UNZ+2+REF1'";
    edi_contrl_options o = options();
    char *c = contrl_of(edi, &o);
    /* Only the group with a rejected message is listed: UCF 7 (the group itself is
     * fine) with S006/S007 of its UNG, and the UCM under it (SG3). */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UCF+G2+GS:14+GR:14+7'"
                           "UCM+M3+ORDERS:D:96A:UN+4+29+UNT+2'UNT+5+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->n_entries, 3);
    assert_int_equal(r->entries[1].level, EDI_LEVEL_GROUP);
    assert_string_equal(r->entries[1].group_ref, "G2");
    assert_int_equal(r->entries[1].action, 7);
    assert_string_equal(r->entries[2].group_ref, "G2");
    assert_string_equal(r->entries[2].message_ref, "M3");
    assert_int_equal(edi_contrl_message_verdict(r, "G2", "M3"), EDI_CONTRL_REJECTED);
    assert_int_equal(edi_contrl_message_verdict(r, "G2", "M2"), EDI_CONTRL_ACCEPTED);
    assert_int_equal(edi_contrl_message_verdict(r, "G1", "M1"), EDI_CONTRL_ACCEPTED);
    edi_contrl_reports_free(r, 1);
    free(c);

    o.mode = EDI_CONTRL_REPORT_ALL;
    c = contrl_of(edi, &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UCF+G1+GS:14+GR:14+7'UCM+M1+ORDERS:D:96A:UN+7'"
                           "UCF+G2+GS:14+GR:14+7'UCM+M2+ORDERS:D:96A:UN+7'"
                           "UCM+M3+ORDERS:D:96A:UN+4+29+UNT+2'UNT+8+1'UNZ+1+C1'");
    free(c);
}

static void group_trailer_error_rejects_the_group(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    o.mode = EDI_CONTRL_REPORT_ALL;
    char *c = contrl_of(UNB_IN UNG("G1") MSG_IN_GROUP("M1", "3") "UNE+5+G1'"
                        UNG("G2") MSG_IN_GROUP("M2", "3") "UNE+1+G2'UNZ+2+REF1'", &o);
    /* UCF 4 with 0085 29 in UNE element 1; its message is not listed as accepted. */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UCF+G1+GS:14+GR:14+4+29+UNE+2'"
                           "UCF+G2+GS:14+GR:14+7'UCM+M2+ORDERS:D:96A:UN+7'UNT+6+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(edi_contrl_message_verdict(r, "G1", "M1"), EDI_CONTRL_REJECTED);
    assert_int_equal(edi_contrl_message_verdict(r, "G2", "M2"), EDI_CONTRL_ACCEPTED);
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void groups_named_only_by_messages_still_get_ucf(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", "G7");
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    edi_findings f;
    edi_findings_init(&f, 0);
    add_finding(&f, EDI_LEVEL_SEGMENT, EDI_SEV_ERROR, 35, 1, 4, "DTM", 0, 0);
    edi_contrl_options o = options();
    char *c = build_hand(&ic, &s, &f, &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UCF+G7+++7'"
                           "UCM+M1+ORDERS:D:96A:UN+4'UCS+4+35'UNT+6+1'UNZ+1+C1'");
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void receipt_only_gives_uci_8(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    o.mode = EDI_CONTRL_RECEIPT_ONLY;
    char *c = contrl_of(UNB_IN "UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1'UNT+7+M1'UNZ+1+REF1'", &o);
    /* The message error is not reported: the verdict follows in a later CONTRL. */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+8'UNT+3+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->action, 8);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_RECEIVED);
    edi_contrl_reports_free(r, 1);
    free(c);

    /* An envelope error rejects even a receipt. */
    c = contrl_of(UNB_IN MSG_OK("M1") "UNZ+3+REF1'", &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+4+29+UNZ+2'UNT+3+1'UNZ+1+C1'");
    free(c);
}

static void interchange_errors_reject_everything(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    o.mode = EDI_CONTRL_REPORT_ALL;
    char *c = contrl_of(UNB_IN MSG_OK("M1") "UNH+M2+ORDERS:D:96A:UN:EAN008'UNT+5+M2'"
                        "UNZ+2+REFX'", &o);
    /* UCI 4 with the first interchange error (UNZ reference, 0085 28, UNZ element 2 ->
     * 0098 3); the rejected message is still detailed, the accepted one not listed. */
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+4+28+UNZ+3'"
                           "UCM+M2+ORDERS:D:96A:UN:EAN008+4+29+UNT+2'UNT+4+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->action, 4);
    assert_int_equal(r->entries[0].code, 28);
    assert_string_equal(r->entries[0].tag, "UNZ");
    assert_int_equal(r->entries[0].element, 2);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_REJECTED);
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void recipient_not_actual_points_at_s003(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_findings f;
    edi_findings_init(&f, 0);
    /* As in the reference: 0085 7, segment UNB, S003 is element 3 after the tag, so
     * 0098 = 4; S003 is a composite, its component 1 (0010) is named. */
    add_finding(&f, EDI_LEVEL_INTERCHANGE, EDI_SEV_ERROR, 7, 0, 1, "UNB", 3, 1);
    edi_contrl_options o = options();
    o.sender_id = "REALUS";
    o.sender_qualifier = "ZZZ";
    char *c = build_hand(&ic, &s, &f, &o);
    assert_string_equal(c, "UNA:+.? 'UNB+UNOC:3+REALUS:ZZZ+SENDER:14+260102:1200+C1'"
                           "UNH+1+CONTRL:D:3:UN'UCI+REF1+SENDER:14+RECIP:14+4+7+UNB+4:1'"
                           "UNT+3+1'UNZ+1+C1'");
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void syntax_4_uses_contrl_4_1(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of("UNA:+.?*'UNB+UNOC:4+SENDER:14+RECIP:14+20200101:1000+REF1'"
                        "UNH+M1+ORDERS:D:01B:UN'BGM+220+PO*1'UNT+3+M1'UNZ+1+REF1'", &o);
    assert_string_equal(c, "UNA:+.?*'UNB+UNOC:4+RECIP:14+SENDER:14+20260102:1200+C1'"
                           "UNH+1+CONTRL:4:1:UN'UCI+REF1+SENDER:14+RECIP:14+7'UNT+3+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->syntax_version, 4);
    assert_string_equal(r->version, "4");
    assert_string_equal(r->release, "1");
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void eancom_association_and_old_version(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    o.association = "EAN004";
    char *c = contrl_of(UNB_IN MSG_OK("M1") "UNZ+1+REF1'", &o);
    assert_non_null(strstr(c, "'UNH+1+CONTRL:D:3:UN:EAN004'"));
    free(c);

    o.message_version = "2";
    o.message_release = "2";
    o.association = "EAN002";
    o.message_ref = "ME004321";
    o.syntax_id = "UNOA";
    c = contrl_of(UNB_IN MSG_OK("M1") "UNZ+1+REF1'", &o);
    /* UNOA with default separators needs no UNA. */
    assert_string_equal(c, "UNB+UNOA:3+RECIP:14+SENDER:14+260102:1200+C1'"
                           "UNH+ME004321+CONTRL:2:2:UN:EAN002'UCI+REF1+SENDER:14+RECIP:14+7'"
                           "UNT+3+ME004321'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_string_equal(r->message_ref, "ME004321");
    assert_string_equal(r->association, "EAN002");
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void sender_and_recipient_are_copied_exactly(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    /* The subject uses its own separators and escapes a `*` in the sender id; it also
     * has reverse routing (0008) and routing (0014) addresses, a test indicator and an
     * acknowledgement request. */
    char *c = contrl_of("UNA|*.? #UNB*UNOC|3*SEND?*ER|14|BACK*RECIP|14|IN*200101|1000*REF1"
                        "****1**1#UNH*M1*ORDERS|D|96A|UN#BGM*220*PO1#UNT*3*M1#UNZ*1*REF1#", &o);
    /* Our separators are the defaults; the routing addresses swap with the parties; the
     * CONTRL is a test too, and asks for no acknowledgement (position 9 empty). */
    assert_string_equal(c, "UNA:+.? 'UNB+UNOC:3+RECIP:14:IN+SEND*ER:14:BACK+260102:1200+C1"
                           "++++++1'UNH+1+CONTRL:D:3:UN'UCI+REF1+SEND*ER:14:BACK+RECIP:14:IN+7'"
                           "UNT+3+1'UNZ+1+C1'");
    edi_contrl_report *r = read_one(c);
    assert_string_equal(r->subject_sender, "SEND*ER");
    edi_contrl_reports_free(r, 1);
    free(c);

    /* A value with our own separators is escaped. */
    c = contrl_of("UNB+UNOC:3+SEND?+ER:14+RECIP:14+200101:1000+RE?:F1'"
                  "UNH+M1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+M1'UNZ+1+RE?:F1'", &o);
    assert_non_null(strstr(c, "'UCI+RE?:F1+SEND?+ER:14+RECIP:14+7'"));
    r = read_one(c);
    assert_string_equal(r->subject_ref, "RE:F1");
    assert_string_equal(r->subject_sender, "SEND+ER");
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void latin1_sender_survives_the_round_trip(void **state)
{
    (void)state;
    edi_contrl_options o = options();
    char *c = contrl_of("UNB+UNOC:3+M\xDCLLER:ZZZ+RECIP:14+200101:1000+REF1'"
                        "UNH+M1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+M1'UNZ+1+REF1'", &o);
    assert_non_null(strstr(c, "UCI+REF1+M\xDCLLER:ZZZ+RECIP:14+7'"));
    edi_contrl_report *r = read_one(c);
    assert_string_equal(r->subject_sender, "M\xC3\x9CLLER");   /* UTF-8 for support staff */
    edi_contrl_reports_free(r, 1);
    free(c);
}

static void ucs_and_ucd_are_capped(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", "");
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    edi_findings f;
    edi_findings_init(&f, 0);
    for (unsigned seg = 2; seg <= 4; seg++)
        for (unsigned el = 1; el <= 3; el++)
            add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 12, 1, seg, "LIN", el, 0);
    edi_contrl_options o = options();
    o.max_segment_errors = 2;
    o.max_element_errors = 2;
    char *c = build_hand(&ic, &s, &f, &o);
    assert_string_equal(c, CONTRL_HEAD "UCI+REF1+SENDER:14+RECIP:14+7'UCM+M1+ORDERS:D:96A:UN+4'"
                           "UCS+2'UCD+12+2'UCD+12+3'UCS+3'UCD+12+2'UCD+12+3'UNT+10+1'UNZ+1+C1'");
    free(c);

    /* The defaults follow the CONTRL repeats: 99 UCD per UCS. */
    edi_findings_free(&f);
    edi_findings_init(&f, 0);
    for (unsigned el = 1; el <= 150; el++)
        add_finding(&f, EDI_LEVEL_ELEMENT, EDI_SEV_ERROR, 12, 1, 2, "LIN", el, 0);
    o = options();
    c = build_hand(&ic, &s, &f, &o);
    edi_contrl_report *r = read_one(c);
    assert_int_equal(r->n_entries, 1 + 1 + 1 + 99);
    edi_contrl_reports_free(r, 1);
    free(c);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void counted_errors_without_findings_still_reject(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_contrl_message m1 = hand_message(1, "M1", "");
    m1.errors = 3;
    assert_int_equal(edi_contrl_subject_add_message(&s, &m1), EDI_OK);
    edi_contrl_options o = options();
    char *c = build_hand(&ic, &s, NULL, &o);
    assert_non_null(strstr(c, "'UCM+M1+ORDERS:D:96A:UN+4+18'"));
    free(c);
    edi_contrl_subject_free(&s);
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_findings f;
    edi_findings_init(&f, 0);
    char *out = NULL, why[256];
    size_t len;

    edi_contrl_options o = options();
    o.date = "260102";
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "CCYYMMDD"));
    o = options();
    o.control_ref = "";
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    o = options();
    o.control_ref = "123456789012345";
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);

    o = options();
    ic.has_unb = false;
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "UNB"));
    ic.has_unb = true;

    /* A finding about a message the caller did not give. */
    add_finding(&f, EDI_LEVEL_MESSAGE, EDI_SEV_ERROR, 29, 4, 9, "UNT", 1, 0);
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "message 4"));
    assert_null(out);

    edi_writer_options wo;
    edi_writer_options_default(&wo);
    wo.sc.element = wo.sc.component;
    edi_findings_free(&f);
    edi_findings_init(&f, 0);
    o.writer = &wo;
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "separator"));

    /* Without a release character a sender id with a separator cannot be written. */
    edi_writer_options_default(&wo);
    wo.sc.release = '\0';
    strcpy(ic.sender_raw, "SEND?+ER:14");
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_ARG);
    assert_non_null(strstr(why, "no release character"));
    assert_null(out);
    strcpy(ic.sender_raw, "SENDER:14");

    o.writer = NULL;
    o.syntax_id = "UNOX";
    assert_int_equal(edi_contrl_build(&ic, &s, &f, &o, &out, &len, why, sizeof why), EDI_E_CHARSET);
    edi_findings_free(&f);
    edi_contrl_subject_free(&s);
}

static void writer_options_choose_separators_and_line_breaks(void **state)
{
    (void)state;
    edi_interchange_info ic = hand_interchange();
    edi_contrl_subject s;
    edi_contrl_subject_init(&s);
    edi_writer_options wo;
    edi_writer_options_default(&wo);
    wo.sc.element = '*';
    wo.sc.component = '|';
    wo.line_break = "\n";
    edi_contrl_options o = options();
    o.writer = &wo;
    char *c = build_hand(&ic, &s, NULL, &o);
    assert_string_equal(c, "UNA|*.? '\nUNB*UNOC|3*RECIP|14*SENDER|14*260102|1200*C1'\n"
                           "UNH*1*CONTRL|D|3|UN'\nUCI*REF1*SENDER|14*RECIP|14*7'\n"
                           "UNT*3*1'\nUNZ*1*C1'\n");
    edi_contrl_report *r = read_one(c);
    assert_string_equal(r->subject_recipient, "RECIP");
    edi_contrl_reports_free(r, 1);
    free(c);
    edi_contrl_subject_free(&s);
}

/* ---- reading ------------------------------------------------------------------- */

static edi_contrl_report *read_str(const char *s, size_t *n)
{
    edi_contrl_report *r = NULL;
    char why[200] = "";
    edi_result res = edi_contrl_read(s, strlen(s), &r, n, why, sizeof why);
    if (res != EDI_OK)
        fail_msg("reading failed: %s (%s)", edi_result_str(res), why);
    return r;
}

/* The examples of shared/reference/edifact.md section 2.4, verbatim. */
static void reads_eancom_receipt_example(void **state)
{
    (void)state;
    size_t n;
    edi_contrl_report *r = read_str("UNH+ME004321+CONTRL:2:2:UN:EAN002'UCI+10001+5412345000013:14"
                                    "+5412345000020:14+8'UNT+3+ME004321'", &n);
    assert_int_equal(n, 1);
    assert_string_equal(r->message_ref, "ME004321");
    assert_string_equal(r->version, "2");
    assert_string_equal(r->association, "EAN002");
    assert_string_equal(r->control_ref, "");
    assert_string_equal(r->subject_ref, "10001");
    assert_string_equal(r->subject_sender, "5412345000013");
    assert_string_equal(r->subject_sender_qualifier, "14");
    assert_string_equal(r->subject_recipient, "5412345000020");
    assert_int_equal(r->action, 8);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "ANY"), EDI_CONTRL_RECEIVED);
    char line[400];
    edi_contrl_entry_describe(r, &r->entries[0], line, sizeof line);
    assert_string_equal(line, "interchange 10001: received; whether it is accepted follows in "
                              "another CONTRL (action 8)");
    edi_contrl_reports_free(r, n);
}

static void reads_eancom_reject_example(void **state)
{
    (void)state;
    size_t n;
    /* The reference gives the segments from UCI on; the tokenizer needs the UNH first. */
    edi_contrl_report *r = read_str("UNH+1+CONTRL:D:3:UN'"
                                    "UCI+542+5412345000013:14+5412345000020:14+8'"
                                    "UCM+ME002341+INVOIC:D:96A:UN:EAN008+4'UCS+3+13'"
                                    "UNT+5+1'", &n);
    assert_int_equal(r->n_entries, 3);
    const edi_contrl_entry *ucm = &r->entries[1], *ucs = &r->entries[2];
    assert_string_equal(ucm->message_ref, "ME002341");
    assert_string_equal(ucm->message_type, "INVOIC");
    assert_string_equal(ucm->message_release, "96A");
    assert_string_equal(ucm->message_association, "EAN008");
    assert_int_equal(ucm->action, 4);
    assert_int_equal(ucs->level, EDI_LEVEL_SEGMENT);
    assert_string_equal(ucs->message_ref, "ME002341");
    assert_int_equal(ucs->segment, 3);
    assert_int_equal(ucs->code, 13);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "ME002341"), EDI_CONTRL_REJECTED);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "ME002342"), EDI_CONTRL_RECEIVED);
    char line[400];
    edi_contrl_entry_describe(r, ucs, line, sizeof line);
    assert_string_equal(line, "message ME002341 (INVOIC D 96A), segment 3: error 13, missing: a "
                              "required segment, data element or component is not there");
    edi_contrl_reports_free(r, n);
}

static void reads_eancom_accept_and_interchange_reject_examples(void **state)
{
    (void)state;
    size_t n;
    edi_contrl_report *r = read_str("UNH+1+CONTRL:D:3:UN'UCI+REF9+SND:14+RCV:14+7'UNT+3+1'", &n);
    assert_int_equal(r->action, 7);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_ACCEPTED);
    edi_contrl_reports_free(r, n);

    r = read_str("UNH+1+CONTRL:D:3:UN'UCI+REF9+SND:14+RCV:14+4+7+UNB+4'UNT+3+1'", &n);
    const edi_contrl_entry *uci = &r->entries[0];
    assert_int_equal(uci->code, 7);
    assert_string_equal(uci->tag, "UNB");
    assert_int_equal(uci->element, 3);
    assert_false(uci->tag_in_error);
    assert_int_equal(edi_contrl_message_verdict(r, NULL, "M1"), EDI_CONTRL_REJECTED);
    char line[400];
    edi_contrl_entry_describe(r, uci, line, sizeof line);
    assert_non_null(strstr(line, "interchange REF9, UNB, element 3: rejected, with everything in "
                                 "it (action 4); error 7, interchange recipient not actual"));
    edi_contrl_reports_free(r, n);
}

static void reads_several_contrl_and_skips_other_messages(void **state)
{
    (void)state;
    size_t n;
    edi_contrl_report *r = read_str(
        "UNA:+.?*'UNB+UNOC:4+PARTNER:14+US:14+20260101:0900+P77'"
        "UNH+1+CONTRL:4:1:UN'UCI+A1+US:14+PARTNER:14+7'UCM+M1+ORDRSP:D:96A:UN+4'"
        "UCS+4'UCD+12+3:1:2'UCD+12+1'UNT+6+1'"
        "UNH+2+APERAK:D:96A:UN'BGM+23'UNT+3+2'"
        "UNH+3+CONTRL:4:1:UN'UCI+A2+US:14+PARTNER:14+4+2+UNB+2:1'UNT+3+3'"
        "UNZ+3+P77'", &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].sender, "PARTNER");
    assert_string_equal(r[0].recipient, "US");
    assert_string_equal(r[0].control_ref, "P77");
    assert_int_equal(r[0].syntax_version, 4);
    assert_int_equal(r[0].n_entries, 5);
    const edi_contrl_entry *ucd = &r[0].entries[3];
    assert_int_equal(ucd->segment, 4);
    assert_int_equal(ucd->element, 2);
    assert_int_equal(ucd->component, 1);
    assert_int_equal(ucd->occurrence, 2);
    assert_true(r[0].entries[4].tag_in_error);
    assert_int_equal(r[0].entries[4].element, 0);
    assert_string_equal(r[1].subject_ref, "A2");
    assert_int_equal(r[1].entries[0].code, 2);
    assert_int_equal(r[1].entries[0].component, 1);
    edi_contrl_reports_free(r, n);
}

static void reading_flags_malformed_segments_and_refuses_non_contrl(void **state)
{
    (void)state;
    size_t n;
    edi_contrl_report *r = read_str("UNH+1+CONTRL:D:3:UN'UCI+R1+S+R+X'UCM+M1+ORDERS:D:96A:UN+4'"
                                    "UCS+abc'UCD+12'UNT+6+1'", &n);
    assert_true(r->entries[0].malformed);   /* action X */
    assert_false(r->entries[1].malformed);
    assert_true(r->entries[2].malformed);   /* segment position not a number */
    assert_true(r->entries[3].malformed);   /* S011 missing */
    edi_contrl_reports_free(r, n);

    edi_contrl_report *none = NULL;
    char why[200] = "";
    const char *orders = "UNH+1+ORDERS:D:96A:UN'BGM+220+1'UNT+3+1'";
    assert_int_equal(edi_contrl_read(orders, strlen(orders), &none, &n, why, sizeof why),
                     EDI_E_SYNTAX);
    assert_null(none);
    assert_non_null(strstr(why, "no CONTRL"));
    assert_int_equal(edi_contrl_read("hello", 5, &none, &n, why, sizeof why), EDI_E_SYNTAX);
}

static void verdicts_follow_the_levels(void **state)
{
    (void)state;
    static const struct {
        const char *contrl;
        const char *group, *message;
        edi_contrl_verdict want;
    } cases[] = {
        /* UCI 4 overrides a UCM 7 */
        { "UCI+R+S+T+4'UCM+M1+ORDERS:D:96A:UN+7'", NULL, "M1", EDI_CONTRL_REJECTED },
        /* UCF 4 rejects the messages of its group only */
        { "UCI+R+S+T+7'UCF+G1+A+B+4'UCF+G2+A+B+7'", "G1", "M1", EDI_CONTRL_REJECTED },
        { "UCI+R+S+T+7'UCF+G1+A+B+4'UCF+G2+A+B+7'", "G2", "M1", EDI_CONTRL_ACCEPTED },
        /* a UCM found in any group when the group is not given */
        { "UCI+R+S+T+7'UCF+G1+A+B+7'UCM+M1+ORDERS:D:96A:UN+4'", NULL, "M1", EDI_CONTRL_REJECTED },
        /* legacy codes */
        { "UCI+R+S+T+3'UCM+M1+ORDERS:D:96A:UN+3'", NULL, "M1", EDI_CONTRL_REJECTED },
        { "UCI+R+S+T+3'UCM+M1+ORDERS:D:96A:UN+3'", NULL, "M2", EDI_CONTRL_ACCEPTED },
        { "UCI+R+S+T+1'", NULL, "M1", EDI_CONTRL_ACCEPTED },
        { "UCI+R+S+T+2'", NULL, "M1", EDI_CONTRL_ACCEPTED },
        { "UCI+R+S+T+5'", NULL, "M1", EDI_CONTRL_RECEIVED },
        { "UCI+R+S+T+6'", NULL, "M1", EDI_CONTRL_REJECTED },
        { "UCI+R+S+T+9'", NULL, "M1", EDI_CONTRL_UNKNOWN },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[300];
        snprintf(buf, sizeof buf, "UNH+1+CONTRL:D:3:UN'%sUNT+9+1'", cases[i].contrl);
        size_t n;
        edi_contrl_report *r = read_str(buf, &n);
        edi_contrl_verdict v = edi_contrl_message_verdict(r, cases[i].group, cases[i].message);
        if (v != cases[i].want)
            fail_msg("case %zu: %s for %s, want %s", i, edi_contrl_verdict_str(v),
                     cases[i].message, edi_contrl_verdict_str(cases[i].want));
        edi_contrl_reports_free(r, n);
    }
}

static void code_texts_cover_current_and_legacy_codes(void **state)
{
    (void)state;
    assert_non_null(strstr(edi_contrl_action_text(7), "acknowledged"));
    assert_non_null(strstr(edi_contrl_action_text(4), "rejected"));
    for (int a = 1; a <= 8; a++)
        if (a != 4 && a != 7 && a != 8)
            assert_non_null(strstr(edi_contrl_action_text(a), "old code"));
    assert_non_null(strstr(edi_contrl_action_text(0), "not in the ISO 9735"));

    static const int current[] = { 2, 7, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25,
                                   26, 28, 29, 30, 32, 33, 35, 36, 37, 39, 40, 45, 46, 47, 48 };
    for (size_t i = 0; i < sizeof current / sizeof current[0]; i++) {
        const char *t = edi_contrl_error_text(current[i]);
        assert_null(strstr(t, "not in the ISO 9735"));
        assert_null(strstr(t, "old code"));
    }
    static const int legacy[] = { 1, 3, 4, 5, 6, 8, 9, 10, 11, 19, 27, 31, 34, 38, 41, 42, 43 };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        assert_non_null(strstr(edi_contrl_error_text(legacy[i]), "old code"));
    assert_non_null(strstr(edi_contrl_error_text(5), "trailer"));
    assert_non_null(strstr(edi_contrl_error_text(44), "not in the ISO 9735"));
    assert_non_null(strstr(edi_contrl_error_text(-1), "not in the ISO 9735"));
    assert_non_null(strstr(edi_contrl_error_text(1000), "not in the ISO 9735"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_interchange_gets_uci_7_only),
        cmocka_unit_test(report_all_lists_accepted_messages),
        cmocka_unit_test(wrong_unt_count_rejects_that_message),
        cmocka_unit_test(wrong_unt_reference_gives_code_28),
        cmocka_unit_test(element_errors_get_ucs_and_ucd_positions),
        cmocka_unit_test(unh_and_unt_errors_go_to_ucm_first),
        cmocka_unit_test(warnings_never_reject),
        cmocka_unit_test(findings_of_other_interchanges_are_ignored),
        cmocka_unit_test(groups_get_ucf),
        cmocka_unit_test(group_trailer_error_rejects_the_group),
        cmocka_unit_test(groups_named_only_by_messages_still_get_ucf),
        cmocka_unit_test(receipt_only_gives_uci_8),
        cmocka_unit_test(interchange_errors_reject_everything),
        cmocka_unit_test(recipient_not_actual_points_at_s003),
        cmocka_unit_test(syntax_4_uses_contrl_4_1),
        cmocka_unit_test(eancom_association_and_old_version),
        cmocka_unit_test(sender_and_recipient_are_copied_exactly),
        cmocka_unit_test(latin1_sender_survives_the_round_trip),
        cmocka_unit_test(ucs_and_ucd_are_capped),
        cmocka_unit_test(counted_errors_without_findings_still_reject),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(writer_options_choose_separators_and_line_breaks),
        cmocka_unit_test(reads_eancom_receipt_example),
        cmocka_unit_test(reads_eancom_reject_example),
        cmocka_unit_test(reads_eancom_accept_and_interchange_reject_examples),
        cmocka_unit_test(reads_several_contrl_and_skips_other_messages),
        cmocka_unit_test(reading_flags_malformed_segments_and_refuses_non_contrl),
        cmocka_unit_test(verdicts_follow_the_levels),
        cmocka_unit_test(code_texts_cover_current_and_legacy_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

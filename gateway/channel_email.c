/* channel_email.c: see channel_email.h. */
#include "channel_email.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/tree.h>

#include "mapping.h"

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

const char *channel_email_media_type(const store_message *m)
{
    const char *f = m->format;
    if (starts(f, "EDIFACT") || ends_with(m->filename, ".edi"))
        return "application/EDIFACT";
    if (starts(f, "openTRANS") || starts(f, "XRechnung") || starts(f, "Peppol") ||
        starts(f, "UBL") || starts(f, "CII") || ends_with(m->filename, ".xml"))
        return "application/xml";
    if (ends_with(m->filename, ".html") || ends_with(m->filename, ".htm"))
        return "text/html";
    return "application/octet-stream";
}

void channel_email_message_id(const store_message *m, const char *from, char *out, size_t n)
{
    const char *at = from ? strchr(from, '@') : NULL;
    snprintf(out, n, "edi-out-%" PRId64 ".%.16s@%s", m->id, m->content_id,
             at ? at + 1 : "localhost");
}

/* What the message is, in words, from its format ("EDIFACT ORDRSP", "XRechnung UBL Invoice",
 * "openTRANS 2.1 DISPATCHNOTIFICATION"). */
static const char *kind_of(const store_message *m)
{
    static const struct {
        const char *word, *kind;
    } kinds[] = {
        { "ORDRSP", "Order response" }, { "ORDERRESPONSE", "Order response" },
        { "DESADV", "Despatch advice" }, { "DISPATCHNOTIFICATION", "Despatch advice" },
        { "INVOIC", "Invoice" }, { "INVOICE", "Invoice" }, { "Invoice", "Invoice" },
        { "CreditNote", "Credit note" }, { "CONTRL", "CONTRL acknowledgement" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strstr(m->format, kinds[i].word))
            return kinds[i].kind;
    return "Document";
}

/* ---- the document's number ---- */

/* BGM's document number (element 2, component 1) of the first message of an EDIFACT
 * interchange, with the separators its UNA gives (else the defaults), release characters
 * undone. False when there is no BGM. */
static bool edifact_number(const char *d, size_t len, char *out, size_t n)
{
    char comp = ':', elem = '+', rel = '?', term = '\'';
    size_t i = 0;
    if (len >= 9 && !strncmp(d, "UNA", 3)) {
        comp = d[3];
        elem = d[4];
        rel = d[6] == ' ' ? '\0' : d[6];
        term = d[8];
        i = 9;
    }
    while (i < len) {
        while (i < len && (d[i] == '\r' || d[i] == '\n' || d[i] == ' '))
            i++;
        bool bgm = len - i > 4 && !strncmp(d + i, "BGM", 3) && d[i + 3] == elem;
        int element = 0, component = 0;
        size_t o = 0;
        for (; i < len && d[i] != term; i++) {
            char c = d[i];
            if (rel && c == rel && i + 1 < len) {
                c = d[++i];
            } else if (c == elem) {
                element++;
                component = 0;
                continue;
            } else if (c == comp) {
                component++;
                continue;
            }
            if (bgm && element == 2 && component == 0 && o + 1 < n)
                out[o++] = c;
        }
        i++;
        if (bgm) {
            out[o] = '\0';
            return o > 0;
        }
    }
    return false;
}

static xmlNodePtr child_named(xmlNodePtr parent, const char *name, bool suffix)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            (suffix ? ends_with((const char *)c->name, name) : !strcmp((const char *)c->name, name)))
            return c;
    return NULL;
}

/* The number of a UBL (cbc:ID under the root), CII (ExchangedDocument/ID) or openTRANS
 * document (<ROOT>_HEADER/<ROOT>_INFO/<ROOT>_ID). */
static bool xml_number(const char *d, size_t len, char *out, size_t n)
{
    xmlDocPtr doc = NULL;
    if (mapping_parse_xml(d, len, &doc, NULL, 0) != EDI_OK)
        return false;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr id = child_named(root, "ID", false);
    if (!id)
        id = child_named(child_named(root, "ExchangedDocument", false), "ID", false);
    if (!id && root) {
        char name[96];
        snprintf(name, sizeof name, "%s_ID", (const char *)root->name);
        id = child_named(child_named(child_named(root, "_HEADER", true), "_INFO", true), name,
                         false);
    }
    xmlChar *v = id ? xmlNodeGetContent(id) : NULL;
    bool ok = v && *v;
    if (ok)
        snprintf(out, n, "%s", (const char *)v);
    xmlFree(v);
    xmlFreeDoc(doc);
    return ok;
}

static void document_number(const store_message *m, const char *data, size_t len, char *out,
                            size_t n)
{
    bool edifact = !strcmp(channel_email_media_type(m), "application/EDIFACT");
    if (!(edifact ? edifact_number(data, len, out, n) : xml_number(data, len, out, n)))
        snprintf(out, n, "%s", m->reference);
}

/* ---- the mail ---- */

/* An XRechnung's HTML rendering into *html (malloc'd by the engine, caller frees with
 * convert_results_free); false with `note` saying why. */
static bool render_html(convert_engine *engine, const char *data, size_t len,
                        convert_results *html, char *note, size_t note_n)
{
    char sentence[400] = "";
    doc_findings f;
    doc_findings_init(&f);
    convert_status st = convert_run(engine, data, len, CONVERT_TO_HTML, NULL, html, &f,
                                    sentence, sizeof sentence);
    const doc_finding *e = NULL;
    for (size_t i = 0; i < f.count && !e; i++)
        if (f.items[i].severity == DOC_ERROR)
            e = &f.items[i];
    bool ok = html->count > 0 && st != CONVERT_REFUSED;
    if (!ok)
        snprintf(note, note_n, "the invoice could not be rendered as HTML: %.300s",
                 e ? e->text : sentence);
    doc_findings_free(&f);
    return ok;
}

edi_result channel_email_compose(const orders_settings *set, convert_engine *engine,
                                 const partner *who, const store_message *m, const char *data,
                                 size_t len, int64_t now, edi_buf *out, char *note,
                                 size_t note_n, char *why, size_t why_n)
{
    char note_buf[512] = "";
    const partner_email *e = &who->email;
    const char *from = e->from[0] ? e->from : set ? set->mail_from : NULL;
    const char *from_name = e->from_name[0] ? e->from_name : set ? set->mail_from_name : NULL;
    if (!from || !*from) {
        edi_say(why, why_n, "no sender address for mails to partner %s: set <orders><mail "
                "from> in the configuration or <channel><email><from> in %s", who->id,
                who->file ? who->file : "its profile");
        return EDI_E_ARG;
    }
    const char *to[PARTNER_MAX_MAIL_RCPT];
    size_t n_to = 0;
    for (size_t i = 0; i < e->n_to; i++)
        to[n_to++] = e->to[i];
    if (!n_to)
        to[n_to++] = e->address;
    const char *cc[PARTNER_MAX_MAIL_RCPT];
    for (size_t i = 0; i < e->n_cc; i++)
        cc[i] = e->cc[i];

    char number[128], subject[600], id[320];
    document_number(m, data, len, number, sizeof number);
    const char *kind = kind_of(m);
    bool order_ref = m->reference[0] && strcmp(m->reference, number) != 0;
    snprintf(subject, sizeof subject, "%s%s%s %s%s%s", e->subject_prefix,
             e->subject_prefix[0] ? " " : "", kind, number, order_ref ? ", order " : "",
             order_ref ? m->reference : "");
    channel_email_message_id(m, from, id, sizeof id);

    bool xrechnung = starts(m->format, "XRechnung");
    convert_results html = { 0 };
    bool with_html = xrechnung && engine &&
                     render_html(engine, data, len, &html, note_buf, sizeof note_buf);
    if (xrechnung && !engine)
        snprintf(note_buf, sizeof note_buf, "no conversion engine to render the invoice as HTML");
    char html_name[300];
    const char *dot = strrchr(m->filename, '.');
    snprintf(html_name, sizeof html_name, "%.*s.html",
             (int)(dot ? (size_t)(dot - m->filename) : strlen(m->filename)), m->filename);

    edi_buf text = { 0 };
    char line[1200];
    snprintf(line, sizeof line, "Hello,\n\nattached is %s %s%s%s for %s (%s): the file %s "
             "(%s).\n", !strcmp(kind, "Document") ? "document" : kind, number,
             order_ref ? " for order " : "", order_ref ? m->reference : "",
             who->name[0] ? who->name : who->id, who->id, m->filename, m->format[0] ? m->format
                                                                                 : "as is");
    bool ok = edi_buf_append(&text, line, strlen(line));
    if (with_html) {
        snprintf(line, sizeof line, "The same invoice for people to read is attached as "
                 "%s; the XML file is the invoice.\n", html_name);
        ok = ok && edi_buf_append(&text, line, strlen(line));
    }
    snprintf(line, sizeof line, "\nThis mail was sent by the EDI gateway (message %" PRId64
             ").\n", m->id);
    ok = ok && edi_buf_append(&text, line, strlen(line)) && edi_buf_append(&text, "", 1);
    edi_result r = EDI_E_NOMEM;
    if (ok) {
        mail_attachment files[2] = {
            { .name = m->filename[0] ? m->filename : "document.bin",
              .type = channel_email_media_type(m), .data = data, .len = len },
            { .name = html_name, .type = "text/html",
              .data = with_html ? html.items[0].data : NULL,
              .len = with_html ? html.items[0].len : 0 },
        };
        mail_message mm = { .from = from, .from_name = from_name, .to = to[0],
                            .more_to = to + 1, .n_more_to = n_to - 1, .cc = cc,
                            .n_cc = e->n_cc, .subject = subject, .text = text.p,
                            .attachments = files, .n_attachments = with_html ? 2 : 1,
                            .message_id = id };
        r = mailer_compose(&mm, now, out, why, why_n);
    } else {
        edi_say(why, why_n, "out of memory composing the mail");
    }
    edi_buf_free(&text);
    convert_results_free(&html);
    if (note)
        snprintf(note, note_n, "%s", note_buf);
    return r;
}

edi_result channel_email_deliver(const mailer_options *mail, const orders_settings *set,
                                 convert_engine *engine, const partner *who,
                                 const store_message *m, const char *data, size_t len,
                                 char *where, size_t where_n, char *fix, size_t fix_n,
                                 char *detail, size_t detail_n, char *sentence,
                                 size_t sentence_n)
{
    const partner_email *e = &who->email;
    const char *rcpt[2 * PARTNER_MAX_MAIL_RCPT];
    size_t n = 0;
    for (size_t i = 0; i < e->n_to; i++)
        rcpt[n++] = e->to[i];
    if (!n)
        rcpt[n++] = e->address;
    for (size_t i = 0; i < e->n_cc; i++)
        rcpt[n++] = e->cc[i];
    char list[400] = "";
    for (size_t i = 0, used = 0; i < n && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", rcpt[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    snprintf(where, where_n, "the mail to %.300s through %.180s", list,
             mail && mail->url ? mail->url : "(no SMTP server)");
    snprintf(fix, fix_n, "Correct the mail server settings (<orders><mail> in the "
             "configuration) or the partner's addresses (<channel><email> in %.180s)",
             who->file ? who->file : "its profile");
    if (!mail || !mail->url) {
        snprintf(sentence, sentence_n, "The gateway has no SMTP server configured (<orders>"
                 "<mail> in its configuration) to mail partner %s's documents; configure one "
                 "and resend the message.", who->id);
        return EDI_E_ARG;
    }
    edi_buf bytes = { 0 };
    char note[512] = "", why[512] = "";
    edi_result r = channel_email_compose(set, engine, who, m, data, len, (int64_t)time(NULL),
                                         &bytes, note, sizeof note, why, sizeof why);
    if (r != EDI_OK) {
        snprintf(sentence, sentence_n, "The mail to partner %s cannot be built: %.500s",
                 who->id, why);
        edi_buf_free(&bytes);
        return r == EDI_E_NOMEM ? r : EDI_E_ARG;
    }
    const char *from = e->from[0] ? e->from : set->mail_from; /* compose checked it */
    char id[320];
    channel_email_message_id(m, from, id, sizeof id);
    r = mailer_send_to(mail, from, rcpt, n, bytes.p, bytes.len, why, sizeof why);
    if (r == EDI_OK)
        snprintf(detail, detail_n, "mailed to %.300s through %.150s (%zu bytes, attached %.150s"
                 "%s%s%s); Message-ID: <%.300s>", list, mail->url, bytes.len, m->filename,
                 note[0] || strncmp(m->format, "XRechnung", 9) ? "" : " and its HTML rendering",
                 note[0] ? "; " : "", note, id);
    else if (r == EDI_E_ARG)
        snprintf(sentence, sentence_n, "The mail server refused the mail: %.600s", why);
    else
        snprintf(sentence, sentence_n, "%.600s", why);
    edi_buf_free(&bytes);
    return r;
}

/* mail_unpack.c: reading a received e-mail with GMime 3 (mail_unpack.h). */
#include "mail_unpack.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

/* ---- small text helpers ------------------------------------------------------------- */

static void put_problem(mail_unpacked *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_problem(mail_unpacked *u, const char *fmt, ...)
{
    if (u->failed)
        return;
    u->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->problem, sizeof u->problem, fmt, ap);
    va_end(ap);
}

static void add_ignored(mail_unpacked *u, const char *path, const char *name, const char *type)
{
    size_t used = strlen(u->ignored);
    if (used + 1 >= sizeof u->ignored)
        return;
    snprintf(u->ignored + used, sizeof u->ignored - used, "%spart %s %s%s(%s)", used ? ", " : "",
             path, name ? name : "", name ? " " : "", type);
}

/* A file name without folders or control characters; "" stays "". */
static void clean_name(const char *name, char *out, size_t n)
{
    const char *base = name ? name : "";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)base; *p && k + 1 < n; p++)
        out[k++] = (*p < 0x20 || *p == 0x7f) ? '_' : (char)*p;
    out[k] = '\0';
}

static const char *extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : "";
}

/* The value of header field `name` in the header block at the start of `text` (folded
 * lines joined), or false. */
static bool header_value(const char *text, size_t len, const char *name, char *out, size_t n)
{
    size_t k = strlen(name);
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        size_t ll = (size_t)(stop - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            return false; /* the end of the header block */
        if (ll > k && line[k] == ':' && !strncasecmp(line, name, k)) {
            size_t used = 0;
            const char *v = line + k + 1;
            for (;;) {
                while (v < line + ll && (*v == ' ' || *v == '\t'))
                    v++;
                size_t take = (size_t)(line + ll - v);
                if (used && used + 1 < n)
                    out[used++] = ' ';
                if (take > n - 1 - used)
                    take = n - 1 - used;
                memcpy(out + used, v, take);
                used += take;
                out[used] = '\0';
                /* a continuation line starts with white space */
                line = nl ? nl + 1 : end;
                if (line >= end || (*line != ' ' && *line != '\t'))
                    break;
                nl = memchr(line, '\n', (size_t)(end - line));
                stop = nl ? nl : end;
                ll = (size_t)(stop - line);
                if (ll && line[ll - 1] == '\r')
                    ll--;
                v = line;
            }
            while (used && (out[used - 1] == ' ' || out[used - 1] == '\t'))
                out[--used] = '\0';
            return true;
        }
        line = nl ? nl + 1 : end;
    }
    return false;
}

static void strip_brackets(const char *in, char *out, size_t n)
{
    while (*in == ' ' || *in == '<')
        in++;
    size_t k = strcspn(in, "> \t");
    snprintf(out, n, "%.*s", (int)k, in);
}

bool mail_unpack_header(const char *data, size_t len, const char *name, bool decode, char *out,
                        size_t n)
{
    if (!header_value(data, len, name, out, n))
        return false;
    if (decode) {
        char *d = g_mime_utils_header_decode_text(NULL, out);
        if (d)
            clean_name(d, out, n);
        g_free(d);
    }
    return true;
}

bool mail_unpack_looks_like_mail(const char *data, size_t len)
{
    bool from = false, other = false;
    size_t i = 0, fields = 0;
    while (i < len) {
        const char *line = data + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + (nl ? 1 : 0);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break;
        if (line[0] == ' ' || line[0] == '\t') {
            if (!fields)
                return false;
            continue;
        }
        size_t k = 0;
        while (k < ll && line[k] != ':' && line[k] > 32 && line[k] < 127)
            k++;
        if (k == 0 || k == ll || line[k] != ':')
            return false;
        fields++;
        if (k == 4 && !strncasecmp(line, "From", 4))
            from = true;
        if ((k == 4 && !strncasecmp(line, "Date", 4)) ||
            (k == 10 && !strncasecmp(line, "Message-ID", 10)) ||
            (k == 12 && !strncasecmp(line, "MIME-Version", 12)) ||
            (k == 7 && !strncasecmp(line, "Subject", 7)) || (k == 2 && !strncasecmp(line, "To", 2)))
            other = true;
    }
    return from && other;
}

/* ---- GMime ----------------------------------------------------------------------------- */

typedef struct {
    bool seen;
    gint64 offset;
    GMimeParserWarning code;
    char item[120];
} parse_trouble;

static bool serious(GMimeParserWarning w)
{
    switch (w) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        return true;
    default:
        return false;
    }
}

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    parse_trouble *t = data;
    if (t->seen || !serious(code))
        return;
    t->seen = true;
    t->offset = offset;
    t->code = code;
    clean_name(item, t->item, sizeof t->item);
}

static const char *trouble_sentence(GMimeParserWarning code)
{
    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
        return "a multipart part has no parts between its boundaries (its boundary never "
               "appears)";
    case GMIME_WARN_TRUNCATED_MESSAGE:
        return "the mail ends inside a multipart part (its closing boundary is missing)";
    case GMIME_CRIT_INVALID_HEADER_NAME:
        return "a header line is not a header field";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
        return "a header parameter is given twice with different values";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        return "a multipart part has no boundary parameter";
    case GMIME_CRIT_NESTING_OVERFLOW:
        return "the parts are nested too deeply";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        return "a part has neither headers nor content";
    default:
        return "its structure is broken";
    }
}

/* The decoded bytes of `p` (transfer encoding undone), malloc'd; NULL when out of memory. */
static char *decoded(GMimePart *p, size_t *len)
{
    *len = 0;
    GMimeDataWrapper *dw = g_mime_part_get_content(p);
    char *out = NULL;
    GMimeStream *mem = g_mime_stream_mem_new();
    if (dw)
        g_mime_data_wrapper_write_to_stream(dw, mem);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    out = malloc(ba->len + 1);
    if (out) {
        memcpy(out, ba->data, ba->len);
        out[ba->len] = '\0';
        *len = ba->len;
    }
    g_object_unref(mem);
    return out;
}

/* For base64 content: false with a sentence when the encoded text is damaged (a
 * character outside the alphabet, padding in the middle, a length that is not a
 * multiple of four). */
static bool base64_sound(GMimePart *p, char *what, size_t what_n)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(p);
    if (!dw || g_mime_data_wrapper_get_encoding(dw) != GMIME_CONTENT_ENCODING_BASE64)
        return true;
    GMimeStream *raw = g_mime_data_wrapper_get_stream(dw);
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_stream_reset(raw);
    g_mime_stream_write_to_stream(raw, mem);
    g_mime_stream_reset(raw);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    size_t count = 0, pad = 0;
    bool ok = true;
    for (size_t i = 0; i < ba->len && ok; i++) {
        unsigned char c = ba->data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
        } else if (isalnum(c) || c == '+' || c == '/') {
            if (pad) {
                snprintf(what, what_n, "padding '=' before more data at encoded byte %zu", i);
                ok = false;
            }
        } else {
            snprintf(what, what_n, "the character '%c' (byte %zu) is not base64",
                     isprint(c) ? c : '?', i);
            ok = false;
        }
        count++;
    }
    if (ok && (count % 4 || pad > 2)) {
        snprintf(what, what_n, "%zu base64 characters, not a multiple of four: the content is "
                 "cut off", count);
        ok = false;
    }
    g_object_unref(mem);
    return ok;
}

static bool is_document(mapping_format f)
{
    return f != MAPPING_FORMAT_UNKNOWN && f != MAPPING_FORMAT_XML_OTHER &&
           f != MAPPING_FORMAT_JSON;
}

typedef struct {
    mail_unpacked *u;
    bool nomem;
    mail_document body;        /* an EDIFACT text body, kept until the end */
    bool has_body;
    GMimeObject *report;       /* the DSN's parts */
} walker;

static bool add_doc(walker *w, const mail_document *d)
{
    mail_unpacked *u = w->u;
    if (u->n_docs == MAIL_UNPACK_MAX_DOCS) {
        put_problem(u, "The mail carries more than %d documents (part %s, %s, is one too "
                    "many); send them in several mails.", MAIL_UNPACK_MAX_DOCS, d->part,
                    d->name);
        return false;
    }
    if (!u->docs && !(u->docs = calloc(MAIL_UNPACK_MAX_DOCS, sizeof *u->docs))) {
        w->nomem = true;
        return false;
    }
    u->docs[u->n_docs++] = *d;
    return true;
}

static void consider_part(walker *w, GMimePart *p, const char *path)
{
    mail_unpacked *u = w->u;
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
    char type[128];
    snprintf(type, sizeof type, "%s/%s",
             ct && g_mime_content_type_get_media_type(ct) ? g_mime_content_type_get_media_type(ct)
                                                          : "text",
             ct && g_mime_content_type_get_media_subtype(ct)
                 ? g_mime_content_type_get_media_subtype(ct) : "plain");
    for (char *c = type; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    char name[256];
    clean_name(g_mime_part_get_filename(p), name, sizeof name);
    GMimeContentDisposition *disp = g_mime_object_get_content_disposition(GMIME_OBJECT(p));
    const char *ext = extension(name);
    bool strong = !strcasecmp(ext, "edi") || !strcasecmp(ext, "edifact") ||
                  !strcasecmp(ext, "xml") || !strcmp(type, "application/edifact") ||
                  !strcmp(type, "application/xml") || !strcmp(type, "text/xml");
    bool attachment = name[0] || strong ||
                      (disp && g_mime_content_disposition_is_attachment(disp));
    bool body = !attachment && !strcmp(type, "text/plain");
    if (!attachment && !body)
        return; /* an HTML alternative, an inline picture */
    char shown[400];
    snprintf(shown, sizeof shown, "%s%s%s", name[0] ? name : "", name[0] ? ", " : "", type);
    char what[160] = "";
    if (strong && !base64_sound(p, what, sizeof what)) {
        put_problem(u, "Part %s of the mail (%s) cannot be read: its base64 encoding is "
                    "damaged (%s). Ask the sender to attach the file again.", path, shown, what);
        return;
    }
    size_t len = 0;
    char *data = decoded(p, &len);
    if (!data) {
        w->nomem = true;
        return;
    }
    char sentence[300] = "";
    mapping_format f = len ? mapping_detect(data, len, sentence, sizeof sentence)
                           : MAPPING_FORMAT_UNKNOWN;
    if (is_document(f) && !strong && !base64_sound(p, what, sizeof what)) {
        put_problem(u, "Part %s of the mail (%s) cannot be read: its base64 encoding is "
                    "damaged (%s). Ask the sender to attach the file again.", path, shown, what);
        free(data);
        return;
    }
    if (!is_document(f)) {
        if (strong && !len)
            put_problem(u, "Part %s of the mail (%s) is empty. Ask the sender to attach the "
                        "document again.", path, shown);
        else if (strong)
            put_problem(u, "Part %s of the mail (%s) is not EDIFACT or an XML document the "
                        "gateway reads (an openTRANS order, a UBL or CII invoice): %.200s "
                        "Ask the sender to attach the document itself.", path, shown, sentence);
        else if (attachment)
            add_ignored(u, path, name[0] ? name : NULL, type);
        free(data);
        return;
    }
    mail_document d = { .format = f, .data = data, .len = len };
    snprintf(d.type, sizeof d.type, "%s", type);
    snprintf(d.part, sizeof d.part, "%s", path);
    if (body) {
        if (w->has_body) {
            free(data);
            return;
        }
        snprintf(d.name, sizeof d.name, "mail-text.%s", f == MAPPING_FORMAT_EDIFACT ? "edi" : "xml");
        w->body = d;
        w->has_body = true;
        return;
    }
    if (name[0])
        snprintf(d.name, sizeof d.name, "%s", name);
    else
        snprintf(d.name, sizeof d.name, "part-%s.%s", path,
                 f == MAPPING_FORMAT_EDIFACT ? "edi" : "xml");
    if (!add_doc(w, &d))
        free(data);
}

static void walk(walker *w, GMimeObject *o, const char *path, bool top)
{
    if (w->u->failed || w->nomem)
        return;
    char child[32];
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        if (top && w->u->is_dsn)
            w->report = o;
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++) {
            snprintf(child, sizeof child, "%s%s%d", path, path[0] ? "." : "", i + 1);
            walk(w, g_mime_multipart_get_part(mp, i), child, false);
        }
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        if (!w->u->is_dsn)
            add_ignored(w->u, path[0] ? path : "1", "an attached mail", "message/rfc822");
    } else if (GMIME_IS_PART(o)) {
        consider_part(w, GMIME_PART(o), path[0] ? path : "1");
    }
}

/* ---- delivery status notifications ------------------------------------------------- */

/* The text of a part (a GMimePart's decoded content, or a message part written out). */
static char *part_text(GMimeObject *o, size_t *len)
{
    if (GMIME_IS_PART(o))
        return decoded(GMIME_PART(o), len);
    char *s = g_mime_object_to_string(o, NULL);
    char *out = s ? strdup(s) : NULL;
    *len = out ? strlen(out) : 0;
    g_free(s);
    return out;
}

/* Recipient blocks of a message/delivery-status text. */
static void read_status(const char *text, size_t len, mail_dsn *d)
{
    mail_dsn cur, first;
    memset(&cur, 0, sizeof cur);
    memset(&first, 0, sizeof first);
    bool have_first = false, in_block = false, chosen = false;
    char v[400];
    const char *end = text + len;
    for (const char *block = text; block < end && !chosen;) {
        /* one block: up to an empty line */
        const char *next = block;
        while (next < end) {
            const char *nl = memchr(next, '\n', (size_t)(end - next));
            if (!nl) {
                next = end;
                break;
            }
            next = nl + 1;
            if (next < end && (*next == '\n' || (*next == '\r' && next + 1 < end && next[1] == '\n')))
                break;
        }
        size_t blen = (size_t)(next - block);
        memset(&cur, 0, sizeof cur);
        in_block = false;
        if (header_value(block, blen, "Final-Recipient", v, sizeof v) ||
            header_value(block, blen, "Original-Recipient", v, sizeof v)) {
            const char *semi = strchr(v, ';');
            const char *a = semi ? semi + 1 : v;
            while (*a == ' ')
                a++;
            strip_brackets(a, cur.recipient, sizeof cur.recipient);
            in_block = true;
        }
        if (header_value(block, blen, "Action", v, sizeof v)) {
            snprintf(cur.action, sizeof cur.action, "%.31s", v);
            for (char *c = cur.action; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            in_block = true;
        }
        if (header_value(block, blen, "Status", v, sizeof v))
            snprintf(cur.status, sizeof cur.status, "%.*s", (int)strcspn(v, " ("), v);
        if (header_value(block, blen, "Diagnostic-Code", v, sizeof v)) {
            const char *semi = strchr(v, ';');
            const char *t = semi ? semi + 1 : v;
            while (*t == ' ')
                t++;
            snprintf(cur.diagnostic, sizeof cur.diagnostic, "%s", t);
        }
        if (in_block) {
            if (!have_first) {
                first = cur;
                have_first = true;
            }
            if (!strcmp(cur.action, "failed")) {
                first = cur;
                chosen = true;
            }
        }
        while (next < end && (*next == '\r' || *next == '\n'))
            next++;
        block = next;
    }
    if (have_first) {
        snprintf(d->recipient, sizeof d->recipient, "%s", first.recipient);
        snprintf(d->action, sizeof d->action, "%s", first.action);
        snprintf(d->status, sizeof d->status, "%s", first.status);
        snprintf(d->diagnostic, sizeof d->diagnostic, "%s", first.diagnostic);
    }
}

static bool type_is(GMimeObject *o, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static void read_report(walker *w)
{
    mail_dsn *d = &w->u->dsn;
    GMimeMultipart *mp = GMIME_MULTIPART(w->report);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n && !w->nomem; i++) {
        GMimeObject *o = g_mime_multipart_get_part(mp, i);
        size_t len = 0;
        char *text = NULL;
        if (type_is(o, "message", "delivery-status") ||
            type_is(o, "message", "global-delivery-status")) {
            if (!(text = part_text(o, &len)))
                w->nomem = true;
            else
                read_status(text, len, d);
        } else if (GMIME_IS_MESSAGE_PART(o)) {
            GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
            const char *id = m ? g_mime_message_get_message_id(m) : NULL;
            if (id && !d->original_id[0])
                strip_brackets(id, d->original_id, sizeof d->original_id);
        } else if (type_is(o, "text", "rfc822-headers") ||
                   type_is(o, "message", "rfc822-headers")) {
            char v[MAIL_ID_MAX];
            if (!(text = part_text(o, &len)))
                w->nomem = true;
            else if (!d->original_id[0] && header_value(text, len, "Message-ID", v, sizeof v))
                strip_brackets(v, d->original_id, sizeof d->original_id);
        }
        free(text);
    }
}

/* ---- reading a mail ------------------------------------------------------------------ */

edi_result mail_unpack(const char *data, size_t len, mail_unpacked *out, char *why,
                       size_t why_n)
{
    memset(out, 0, sizeof *out);
    if (!mail_unpack_looks_like_mail(data, len)) {
        put_problem(out, "The message is not an e-mail: it does not start with mail headers "
                    "(From and Date, Subject or Message-ID, then an empty line). Look at its "
                    "raw bytes; if it is a document, ingest it as a file.");
        return EDI_OK;
    }
    parse_trouble trouble = { 0 };
    GMimeParserOptions *opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, on_warning, &trouble);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    walker w = { .u = out };
    if (!msg) {
        put_problem(out, "The mail cannot be read as MIME at all. Ask the sender to send it "
                    "again from a mail program.");
    } else {
        InternetAddressList *from = g_mime_message_get_from(msg);
        InternetAddress *a = from && internet_address_list_length(from) > 0
                                 ? internet_address_list_get_address(from, 0) : NULL;
        if (a && INTERNET_ADDRESS_IS_MAILBOX(a))
            snprintf(out->from, sizeof out->from, "%s",
                     internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
        const char *s = g_mime_message_get_subject(msg);
        clean_name(s, out->subject, sizeof out->subject);
        s = g_mime_message_get_message_id(msg);
        if (s)
            strip_brackets(s, out->message_id, sizeof out->message_id);
        GMimeObject *top = g_mime_message_get_mime_part(msg);
        if (top && type_is(top, "multipart", "report")) {
            const char *rt = g_mime_content_type_get_parameter(
                g_mime_object_get_content_type(top), "report-type");
            out->is_dsn = rt && (!strcasecmp(rt, "delivery-status") ||
                                 !strcasecmp(rt, "global-delivery-status"));
        }
        const char *auto_sub = g_mime_object_get_header(GMIME_OBJECT(msg), "Auto-Submitted");
        const char *ret = g_mime_object_get_header(GMIME_OBJECT(msg), "Return-Path");
        out->automatic = out->is_dsn || (auto_sub && strncasecmp(auto_sub, "no", 2)) ||
                         (ret && strstr(ret, "<>"));
        if (trouble.seen)
            put_problem(out, "The mail is malformed MIME: %s (at byte %lld%s%s). It cannot be "
                        "read reliably; ask the sender to send it again from a mail program.",
                        trouble_sentence(trouble.code), (long long)trouble.offset,
                        trouble.item[0] ? ", near " : "", trouble.item);
        else if (top)
            walk(&w, top, "", true);
        if (!out->failed && !w.nomem && w.report)
            read_report(&w);
    }
    if (!w.nomem && !out->failed && !out->n_docs && w.has_body) {
        if (add_doc(&w, &w.body))
            w.has_body = false;
    }
    if (!w.nomem && !out->failed && !out->n_docs && !out->is_dsn)
        put_problem(out, "The mail carries no document the gateway reads: no attachment is "
                    "EDIFACT (.edi, .edifact, application/EDIFACT) or XML (an openTRANS order, "
                    "a UBL or CII invoice), and its text is not EDIFACT%s%.300s. Attach the "
                    "document as a file and send the mail again.",
                    out->ignored[0] ? "; other parts: " : "", out->ignored);
    if (w.has_body)
        free(w.body.data);
    if (msg)
        g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_parser_options_free(opts);
    if (w.nomem || out->failed) {
        for (size_t i = 0; i < out->n_docs; i++)
            free(out->docs[i].data);
        free(out->docs);
        out->docs = NULL;
        out->n_docs = 0;
    }
    if (w.nomem) {
        edi_say(why, why_n, "out of memory reading a mail of %zu bytes", len);
        return EDI_E_NOMEM;
    }
    return EDI_OK;
}

void mail_unpacked_free(mail_unpacked *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n_docs; i++)
        free(u->docs[i].data);
    free(u->docs);
    u->docs = NULL;
    u->n_docs = 0;
}

/* config.c: reading the daemon's configuration file (config.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "edi_xml.h"
#include "mapping.h"

#ifndef GATEWAY_FORMATS_DIR
#define GATEWAY_FORMATS_DIR "formats"
#endif

const char *config_default_formats_dir(void)
{
    return GATEWAY_FORMATS_DIR;
}

const char *config_default_xslt_dir(void)
{
    return GATEWAY_FORMATS_DIR "/../xslt";
}

const char *config_path(const char *option)
{
    if (option && *option)
        return option;
    const char *env = getenv("GATEWAY_CONFIG");
    return env && *env ? env : "gateway.xml";
}

const char *const config_seller_names[CONFIG_SELLER_FIELDS] = {
    "name", "gln", "vatId", "street", "postcode", "city", "country", "iban", "bic",
    "contactName", "contactPhone", "contactEmail"
};

void config_free(gateway_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CONFIG_SELLER_FIELDS; i++)
        free(c->seller[i]);
    free(c->http_tls_cert);
    free(c->http_tls_key);
    for (size_t i = 0; i < c->n_imap; i++) {
        free(c->imap[i].url);
        free(c->imap[i].user);
        free(c->imap[i].password_file);
        free(c->imap[i].done);
        free(c->imap[i].ca_file);
    }
    free(c->imap);
    free(c->as2.id);
    free(c->as2.async_mdn_url);
    for (size_t i = 0; i < c->as2.n_keys; i++) {
        free(c->as2.keys[i].cert_file);
        free(c->as2.keys[i].key_file);
        free(c->as2.keys[i].pkcs12_file);
        free(c->as2.keys[i].password_file);
    }
    free(c->file);
    free(c->data_dir);
    free(c->database);
    free(c->content_dir);
    free(c->partners_dir);
    free(c->formats_dir);
    free(c->xslt_dir);
    free(c->inbox_dir);
    free(c->smtp_url);
    free(c->mail_from);
    free(c->mail_from_name);
    free(c->smtp_user);
    free(c->smtp_password_env);
    free(c->smtp_password_file);
    free(c->smtp_ca_file);
    free(c->link_base);
    free(c->link_key_file);
    free(c->link_key_env);
    free(c->link_previous_key_file);
    free(c->link_previous_key_env);
    free(c);
}

/* `path` (absolute) with "." and ".." segments and repeated slashes removed, in place. */
static void normalize(char *path)
{
    char *out = path;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *seg = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > path && *--out != '/')
                ;
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

/* `value` made absolute against `base` (an absolute folder) and normalized; malloc'd, NULL
 * when out of memory. */
static char *join(const char *base, const char *value)
{
    size_t n = strlen(base) + strlen(value) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (value[0] == '/')
        snprintf(p, n, "%s", value);
    else
        snprintf(p, n, "%s/%s", base, value);
    normalize(p);
    return p;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* Attribute `name` of `n` as a malloc'd string, NULL when absent. */
static char *attr(xmlNodePtr n, const char *name)
{
    if (!n)
        return NULL;
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

/* An unsigned attribute (the schema has checked its form and range); `def` when absent. */
static unsigned long long attr_num(xmlNodePtr n, const char *name, unsigned long long def)
{
    char *v = attr(n, name);
    if (!v)
        return def;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    free(v);
    return errno ? def : x;
}

/* Path attribute `name` of `n` joined with `base` into *out; `def` (relative to base, or
 * absolute) when absent, nothing when def is NULL. False when out of memory. */
static bool path_attr(xmlNodePtr n, const char *name, const char *base, const char *def,
                      char **out)
{
    char *v = attr(n, name);
    if (!v && !def)
        return true;
    *out = join(base, v ? v : def);
    free(v);
    return *out != NULL;
}

/* <orders><mail>: the SMTP server (the schema has checked the forms); a login needs one
 * password source, and a password source a login (a finding at its line otherwise). */
static edi_result read_mail(gateway_config *c, xmlNodePtr mail, const char *folder,
                            const char *path, doc_findings *findings)
{
    char *tls = attr(mail, "starttls");
    c->smtp_starttls_required = tls && !strcmp(tls, "required");
    free(tls);
    char *plain = attr(mail, "loopbackPlainLogin");
    c->smtp_plain_login_loopback = plain && (!strcmp(plain, "true") || !strcmp(plain, "1"));
    free(plain);
    c->smtp_url = attr(mail, "smtp");
    c->mail_from = attr(mail, "from");
    c->mail_from_name = attr(mail, "fromName");
    c->smtp_user = attr(mail, "user");
    c->smtp_password_env = attr(mail, "passwordEnv");
    c->smtp_timeout_seconds = (unsigned)attr_num(mail, "timeoutSeconds", 30);
    if (!c->smtp_url || !c->mail_from ||
        !path_attr(mail, "caFile", folder, NULL, &c->smtp_ca_file) ||
        !path_attr(mail, "passwordFile", folder, NULL, &c->smtp_password_file))
        return EDI_E_NOMEM;
    bool env = c->smtp_password_env != NULL, file = c->smtp_password_file != NULL;
    if (c->smtp_user && env == file) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(mail), path,
                         "<mail user=\"%s\"> names %s: give passwordFile=\"PATH\" (a file "
                         "of mode 600 holding the SMTP password) or passwordEnv=\"VARIABLE\", "
                         "one of the two", c->smtp_user,
                         env ? "both passwordEnv and passwordFile"
                             : "neither passwordFile nor passwordEnv");
        return EDI_E_XML;
    }
    if (!c->smtp_user && (env || file)) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(mail), path,
                         "<mail> names a password but no user=\"...\" to log in with: add "
                         "the user or remove the password");
        return EDI_E_XML;
    }
    return EDI_OK;
}

/* <orders>: mail and approval settings (the schema has checked their forms). */
static edi_result read_orders(gateway_config *c, xmlNodePtr orders, const char *folder,
                              const char *path, doc_findings *findings)
{
    c->approval_lifetime_hours = 72;
    c->approval_reminder_hours = 24;
    c->smtp_timeout_seconds = 30;
    xmlNodePtr mail = child(orders, "mail");
    edi_result r = mail ? read_mail(c, mail, folder, path, findings) : EDI_OK;
    if (r != EDI_OK)
        return r;
    xmlNodePtr appr = child(orders, "approval");
    if (appr) {
        c->link_base = attr(appr, "linkBase");
        c->link_key_env = attr(appr, "keyEnv");
        c->link_previous_key_env = attr(appr, "previousKeyEnv");
        c->approval_lifetime_hours = (unsigned)attr_num(appr, "lifetimeHours", 72);
        c->approval_reminder_hours = (unsigned)attr_num(appr, "reminderHours", 24);
        if (!c->link_base || !path_attr(appr, "keyFile", folder, NULL, &c->link_key_file) ||
            !path_attr(appr, "previousKeyFile", folder, NULL, &c->link_previous_key_file))
            return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* <http><adminKey env|file>: exactly one of the two (a finding at its line otherwise). */
static edi_result read_admin_key(gateway_config *c, xmlNodePtr http, const char *folder,
                                 const char *path, doc_findings *findings)
{
    xmlNodePtr key = child(http, "adminKey");
    if (!key)
        return EDI_OK;
    char *env = attr(key, "env"), *file = NULL;
    if (!path_attr(key, "file", folder, NULL, &file)) {
        free(env);
        return EDI_E_NOMEM;
    }
    edi_result r = EDI_OK;
    if (!env == !file) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(key), path,
                         "<adminKey> names %s: give env=\"VARIABLE\" (an environment variable "
                         "holding the ERP/admin API key) or file=\"PATH\" (a file of mode 600 "
                         "holding it), one of the two", env ? "both env and file" : "neither "
                         "env nor file");
        r = EDI_E_XML;
    } else if (file && strlen(file) >= sizeof c->admin_key_ref) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(key), path,
                         "<adminKey file> is a path longer than %zu bytes once made absolute; "
                         "use a shorter one", sizeof c->admin_key_ref - 1);
        r = EDI_E_XML;
    } else {
        c->admin_key_kind = env ? PARTNER_KEY_ENV : PARTNER_KEY_FILE;
        snprintf(c->admin_key_ref, sizeof c->admin_key_ref, "%s", env ? env : file);
    }
    free(env);
    free(file);
    return r;
}

/* Every <imap>: the shared mailboxes (the schema has checked their forms). */
static edi_result read_imap(gateway_config *c, xmlNodePtr root, const char *folder)
{
    size_t n = 0;
    for (xmlNodePtr e = root->children; e; e = e->next)
        n += e->type == XML_ELEMENT_NODE && !strcmp((const char *)e->name, "imap");
    if (!n)
        return EDI_OK;
    if (!(c->imap = calloc(n, sizeof *c->imap)))
        return EDI_E_NOMEM;
    for (xmlNodePtr e = root->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "imap"))
            continue;
        config_imap *m = &c->imap[c->n_imap++];
        char *plain = attr(e, "loopbackPlain");
        m->loopback_plain = plain && (!strcmp(plain, "true") || !strcmp(plain, "1"));
        free(plain);
        m->line = xmlGetLineNo(e);
        m->interval_seconds = (unsigned)attr_num(e, "intervalSeconds", 60);
        m->url = attr(e, "url");
        m->user = attr(e, "user");
        m->done = attr(e, "done");
        if (!m->url || !m->user || (!m->done && !(m->done = strdup("Done"))) ||
            !path_attr(e, "passwordFile", folder, NULL, &m->password_file) ||
            !m->password_file || !path_attr(e, "caFile", folder, NULL, &m->ca_file))
            return EDI_E_NOMEM;
    }
    return EDI_OK;
}

/* <as2>: our AS2 name and key pairs (the schema has checked the forms); a key is either a
 * PKCS#12 file or a key with its certificate (a finding at its line otherwise). */
static edi_result read_as2(gateway_config *c, xmlNodePtr as2, const char *folder,
                           const char *path, doc_findings *findings)
{
    config_as2 *a = &c->as2;
    a->enabled = true;
    a->line = xmlGetLineNo(as2);
    unsigned long long max = attr_num(as2, "maxBytes", (unsigned long long)100 << 20);
    a->max_bytes = max > SIZE_MAX ? SIZE_MAX : (size_t)max;
    a->mdn_timeout_seconds = (unsigned)attr_num(as2, "mdnTimeoutSeconds", 3600);
    if (!(a->id = attr(as2, "id")))
        return EDI_E_NOMEM;
    a->async_mdn_url = attr(as2, "asyncMdnUrl");
    edi_result r = EDI_OK;
    for (xmlNodePtr e = as2->children; e && r == EDI_OK; e = e->next) {
        if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "key") ||
            a->n_keys >= CONFIG_AS2_MAX_KEYS)
            continue;
        config_as2_key *k = &a->keys[a->n_keys++];
        k->line = xmlGetLineNo(e);
        if (!path_attr(e, "certificate", folder, NULL, &k->cert_file) ||
            !path_attr(e, "key", folder, NULL, &k->key_file) ||
            !path_attr(e, "pkcs12", folder, NULL, &k->pkcs12_file) ||
            !path_attr(e, "passwordFile", folder, NULL, &k->password_file))
            return EDI_E_NOMEM;
        bool pem = k->cert_file || k->key_file, p12 = k->pkcs12_file != NULL;
        const char *problem = NULL;
        if (pem && p12)
            problem = "names both a PKCS#12 file and a key or certificate: give pkcs12=\"FILE\" "
                      "(with passwordFile) or key=\"FILE\" and certificate=\"FILE\", not both";
        else if (!pem && !p12)
            problem = "names no key: give key=\"FILE\" and certificate=\"FILE\" (PEM), or "
                      "pkcs12=\"FILE\" with passwordFile=\"FILE\"";
        else if (pem && (!k->cert_file || !k->key_file))
            problem = k->cert_file ? "names a certificate without its key: add key=\"FILE\""
                                   : "names a key without its certificate: add "
                                     "certificate=\"FILE\"";
        else if (!p12 && k->password_file)
            problem = "passwordFile is only for a PKCS#12 file; a PEM key must be unencrypted "
                      "(protect it by file permissions, mode 600)";
        if (problem) {
            doc_findings_add(findings, DOC_ERROR, "CONFIG", k->line, path, "<as2><key> %s",
                             problem);
            r = EDI_E_XML;
        }
    }
    return r;
}

static edi_result read_config(gateway_config *c, xmlNodePtr root, const char *folder,
                              const char *path, doc_findings *findings)
{
    xmlNodePtr data = child(root, "data");
    if (!path_attr(data, "folder", folder, NULL, &c->data_dir) || !c->data_dir)
        return EDI_E_NOMEM;
    if (!path_attr(data, "database", folder, NULL, &c->database) ||
        !path_attr(data, "content", folder, NULL, &c->content_dir))
        return EDI_E_NOMEM;
    if (!c->database && !(c->database = join(c->data_dir, "gateway.db")))
        return EDI_E_NOMEM;
    if (!c->content_dir && !(c->content_dir = join(c->data_dir, "content")))
        return EDI_E_NOMEM;
    if (!path_attr(child(root, "partners"), "folder", folder, NULL, &c->partners_dir) ||
        !c->partners_dir)
        return EDI_E_NOMEM;
    if (!path_attr(child(root, "formats"), "folder", folder, config_default_formats_dir(),
                   &c->formats_dir) ||
        !path_attr(child(root, "xslt"), "folder", folder, config_default_xslt_dir(), &c->xslt_dir))
        return EDI_E_NOMEM;

    xmlNodePtr http = child(root, "http");
    c->http_enabled = http != NULL;
    char *address = attr(http, "address");
    snprintf(c->http_address, sizeof c->http_address, "%s", address ? address : "127.0.0.1");
    free(address);
    c->http_port = (unsigned)attr_num(http, "port", 0);
    if (!path_attr(http, "tlsCertificate", folder, NULL, &c->http_tls_cert) ||
        !path_attr(http, "tlsKey", folder, NULL, &c->http_tls_key))
        return EDI_E_NOMEM;
    if (!c->http_tls_cert != !c->http_tls_key) {
        doc_findings_add(findings, DOC_ERROR, "CONFIG", xmlGetLineNo(http), path,
                         "<http> names a TLS %s without its %s: give both tlsCertificate and "
                         "tlsKey, or neither for plain HTTP",
                         c->http_tls_cert ? "certificate" : "key",
                         c->http_tls_cert ? "key" : "certificate");
        return EDI_E_XML;
    }
    edi_result r = read_admin_key(c, http, folder, path, findings);
    if (r != EDI_OK)
        return r;

    xmlNodePtr workers = child(root, "workers");
    c->workers = (unsigned)attr_num(workers, "count", 2);
    c->lease_seconds = (unsigned)attr_num(workers, "leaseSeconds", 60);

    xmlNodePtr inbox = child(root, "inbox");
    if (!path_attr(inbox, "folder", folder, NULL, &c->inbox_dir))
        return EDI_E_NOMEM;
    c->poll_ms = (unsigned)attr_num(inbox, "pollMilliseconds", 1000);
    unsigned long long max = attr_num(inbox, "maxFileBytes", (unsigned long long)64 << 20);
    c->max_file_bytes = max > SIZE_MAX ? SIZE_MAX : (size_t)max;
    xmlNodePtr seller = child(root, "seller");
    for (size_t i = 0; seller && i < CONFIG_SELLER_FIELDS; i++)
        c->seller[i] = attr(seller, config_seller_names[i]);
    if (read_imap(c, root, folder) != EDI_OK)
        return EDI_E_NOMEM;
    xmlNodePtr as2 = child(root, "as2");
    if (as2 && (r = read_as2(c, as2, folder, path, findings)) != EDI_OK)
        return r;
    return read_orders(c, child(root, "orders"), folder, path, findings);
}

/* The absolute path of `path` (which exists) and its folder; false when out of memory or
 * the file cannot be resolved. */
static bool absolute(const char *path, char **file, char **folder)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        return false;
    char *dir = strdup(abs);
    if (!dir) {
        free(abs);
        return false;
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    *file = abs;
    *folder = dir;
    return true;
}

edi_result config_load(const char *path, const char *schema_path, gateway_config **out,
                       doc_findings *findings, char *why, size_t why_n)
{
    if (!path || !out || !findings)
        return EDI_E_ARG;
    *out = NULL;
    char xsd[PATH_MAX];
    if (!schema_path) {
        snprintf(xsd, sizeof xsd, "%s/config/gateway.xsd", config_default_formats_dir());
        schema_path = xsd;
    }
    xmlDocPtr doc = NULL;
    char reason[512] = "";
    edi_result r = edi_xml_parse_file(path, &doc, reason, sizeof reason);
    if (r != EDI_OK) {
        long line = 0;
        if (sscanf(reason, "line %ld:", &line) != 1)
            line = 0;
        if (r == EDI_E_XML || r == EDI_E_LIMIT) {
            doc_findings_add(findings, DOC_ERROR, "CONFIG", line, path, "%s", reason);
            edi_say(why, why_n, "the configuration %s is refused: %s", path, reason);
            return EDI_E_XML;
        }
        edi_say(why, why_n, "the configuration %s cannot be read: %s", path, reason);
        return r == EDI_E_NOMEM ? r : EDI_E_IO;
    }
    mapping_ctx *m = mapping_new(schema_path);
    if (!m) {
        xmlFreeDoc(doc);
        edi_say(why, why_n, "out of memory reading the configuration %s", path);
        return EDI_E_NOMEM;
    }
    size_t before = findings->count;
    char sentence[512] = "";
    r = mapping_schema_check(m, schema_path, doc, DOC_ERROR, "CONFIG", findings, sentence,
                             sizeof sentence);
    mapping_free(m);
    for (size_t i = before; i < findings->count; i++) {
        doc_finding *f = &findings->items[i];
        char where[512];
        int n = snprintf(where, sizeof where, "%s%s%s", path, f->where[0] ? " " : "", f->where);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof f->where ? (size_t)n : sizeof f->where - 1;
        memcpy(f->where, where, len);
        f->where[len] = '\0';
    }
    if (r != EDI_OK) {
        xmlFreeDoc(doc);
        if (r == EDI_E_XML) {
            const doc_finding *first = findings->count > before ? &findings->items[before] : NULL;
            edi_say(why, why_n, "the configuration %s is refused: line %ld: %s", path,
                    first ? first->line : 0L, first ? first->text : sentence);
        } else {
            edi_say(why, why_n, "the configuration %s cannot be checked: %s", path, sentence);
        }
        return r;
    }
    gateway_config *c = calloc(1, sizeof *c);
    char *folder = NULL;
    if (!c || !absolute(path, &c->file, &folder)) {
        config_free(c);
        xmlFreeDoc(doc);
        edi_say(why, why_n, "the configuration %s cannot be resolved: %s", path, strerror(errno));
        return EDI_E_IO;
    }
    size_t known = findings->count;
    r = read_config(c, xmlDocGetRootElement(doc), folder, path, findings);
    free(folder);
    xmlFreeDoc(doc);
    if (r == EDI_E_XML && findings->count > known) {
        const doc_finding *first = &findings->items[known];
        edi_say(why, why_n, "the configuration %s is refused: line %ld: %s", path, first->line,
                first->text);
        config_free(c);
        return r;
    }
    if (r != EDI_OK) {
        config_free(c);
        edi_say(why, why_n, "out of memory reading the configuration %s", path);
        return r;
    }
    *out = c;
    return EDI_OK;
}

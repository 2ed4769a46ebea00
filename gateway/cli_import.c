/* cli_import.c: `gateway import` and the CSV import of master data (cli_import.h). */
#include "cli_import.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_common.h"
#include "config.h"
#include "doc_finding.h"
#include "edi_buf.h"
#include "store_master.h"

/* The largest CSV file read, and how many problems are listed before the rest are counted. */
#define IMPORT_MAX_BYTES ((size_t)256 * 1024 * 1024)
#define IMPORT_MAX_LISTED 50
#define IMPORT_MAX_COLUMNS 16

/* ---- the columns of each kind --------------------------------------------------------- */

typedef struct {
    const char *name;
    bool required;
} column;

static const column customer_cols[] = {
    { "id", true },           { "name", true },     { "blocked", false },
    { "credit_limit", false }, { "currency", true }, { "payment_terms", false },
};
static const column user_cols[] = {
    { "id", true }, { "customer_id", true }, { "name", true }, { "email", true }, { "roles", true },
};
static const column article_cols[] = {
    { "id", true },    { "gtin", false },    { "supplier_number", true }, { "name", false },
    { "units", true }, { "min_qty", false }, { "step_qty", false },
};
static const column contract_cols[] = {
    { "id", true },           { "customer_id", true }, { "article_id", true },
    { "buyer_article", false }, { "price", true },       { "price_basis", false },
    { "currency", true },     { "valid_from", false }, { "valid_to", false },
    { "tolerance_percent", false },
};

static const struct {
    const char *name;
    const column *cols;
    size_t n;
} kinds[] = {
#define COLS(a) a, sizeof a / sizeof *a
    [IMPORT_CUSTOMERS] = { "customers", COLS(customer_cols) },
    [IMPORT_USERS] = { "users", COLS(user_cols) },
    [IMPORT_ARTICLES] = { "articles", COLS(article_cols) },
    [IMPORT_CONTRACTS] = { "contracts", COLS(contract_cols) },
#undef COLS
};

bool import_kind_parse(const char *name, import_kind *out)
{
    for (size_t i = 0; name && i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(name, kinds[i].name) == 0) {
            *out = (import_kind)i;
            return true;
        }
    return false;
}

/* ---- RFC 4180 ------------------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
    size_t line;          /* the line p is on, from 1 */
    edi_buf text;         /* the fields of the current record, each NUL-terminated */
    size_t off[IMPORT_MAX_COLUMNS + 1];
    size_t n;             /* fields in the record (beyond IMPORT_MAX_COLUMNS: counted only) */
} csv;

/* The offset of the first byte that is not part of well-formed UTF-8, or `len`. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t need = c < 0x80 ? 0 : (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2
                                 : (c >= 0xF0 && c <= 0xF4) ? 3 : 9;
        if (need == 9 || (need && i + need >= len))
            return i;
        for (size_t k = 1; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        /* No overlong three- and four-byte forms, no surrogates, nothing beyond U+10FFFF. */
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))
            return i;
        i += need + 1;
    }
    return len;
}

static bool at_line_end(const csv *c)
{
    return c->p < c->end && (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end &&
                                                 c->p[1] == '\n'));
}

static void skip_line_end(csv *c)
{
    c->p += *c->p == '\r' ? 2 : 1;
    c->line++;
}

static bool field_end(csv *c)
{
    if (c->n < IMPORT_MAX_COLUMNS)
        c->off[c->n + 1] = c->text.len + 1;
    c->n++;
    return c->n > IMPORT_MAX_COLUMNS || edi_buf_append(&c->text, "", 1);
}

static bool add(csv *c, char ch)
{
    return c->n >= IMPORT_MAX_COLUMNS || edi_buf_append(&c->text, &ch, 1);
}

/* The next record into c->text/off/n, starting on *line. 1: a record; 0: the end; -1: a
 * problem, in `why`; -2: out of memory. Blank lines between records are skipped. */
static int csv_record(csv *c, size_t *line, char *why, size_t why_n)
{
    while (at_line_end(c))
        skip_line_end(c);
    if (c->p >= c->end)
        return 0;
    *line = c->line;
    c->text.len = 0;
    c->n = 0;
    c->off[0] = 0;
    for (;;) {
        if (c->p < c->end && *c->p == '"') {
            size_t opened = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    edi_say(why, why_n, "the quoted field %zu that opens on line %zu is never "
                            "closed; add the closing quote (a quote inside a field is written "
                            "twice)", c->n + 1, opened);
                    return -1;
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        if (!add(c, '"'))
                            return -2;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n')
                    c->line++;
                if (!add(c, *c->p++))
                    return -2;
            }
            if (c->p < c->end && *c->p != ',' && !at_line_end(c)) {
                edi_say(why, why_n, "field %zu has text after its closing quote; put the whole "
                        "field in quotes and write each quote inside it twice", c->n + 1);
                return -1;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && !at_line_end(c)) {
                if (*c->p == '"') {
                    edi_say(why, why_n, "field %zu has a quote but does not start with one; "
                            "put the whole field in quotes and write the quote twice", c->n + 1);
                    return -1;
                }
                if (!add(c, *c->p++))
                    return -2;
            }
        }
        if (!field_end(c))
            return -2;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end)
            skip_line_end(c);
        return 1;
    }
}

static const char *csv_field(const csv *c, size_t i)
{
    return c->text.p + c->off[i];
}

/* ---- rows into records ---------------------------------------------------------------- */

/* Copy a value into a fixed-size field of a record; false with a sentence when too long. */
static bool copy(char *dst, size_t size, const char *v, char *why, size_t why_n)
{
    size_t n = strlen(v);
    if (n >= size) {
        edi_say(why, why_n, "\"%.40s%s\" is %zu bytes long, but at most %zu fit; shorten it", v,
                n > 40 ? "..." : "", n, size - 1);
        return false;
    }
    memcpy(dst, v, n + 1);
    return true;
}

#define COPY(dst, i)                                                                       \
    do {                                                                                   \
        if (!copy(dst, sizeof(dst), v[i], why, why_n)) {                                   \
            *field = cols[i].name;                                                         \
            return EDI_E_ARG;                                                              \
        }                                                                                  \
    } while (0)

static edi_result row_customer(store *s, const char *const *v, store_put *what,
                               const char **field, char *why, size_t why_n)
{
    const column *cols = customer_cols;
    md_customer c;
    memset(&c, 0, sizeof c);
    COPY(c.id, 0);
    COPY(c.name, 1);
    const char *b = v[2];
    if (!*b || !strcmp(b, "0") || !strcasecmp(b, "false") || !strcasecmp(b, "no")) {
        c.blocked = false;
    } else if (!strcmp(b, "1") || !strcasecmp(b, "true") || !strcasecmp(b, "yes")) {
        c.blocked = true;
    } else {
        *field = "blocked";
        edi_say(why, why_n, "\"%.40s\" is not a yes or no; write true or false (or leave it "
                "empty for false)", b);
        return EDI_E_ARG;
    }
    COPY(c.credit_limit, 3);
    COPY(c.currency, 4);
    COPY(c.payment_terms, 5);
    return store_customer_put(s, &c, what, field, why, why_n);
}

static edi_result row_user(store *s, const char *const *v, store_put *what, const char **field,
                           char *why, size_t why_n)
{
    const column *cols = user_cols;
    store_user u;
    memset(&u, 0, sizeof u);
    COPY(u.id, 0);
    COPY(u.customer_id, 1);
    COPY(u.name, 2);
    COPY(u.email, 3);
    if (store_roles_parse(v[4], &u.roles, why, why_n) != EDI_OK) {
        *field = "roles";
        return EDI_E_ARG;
    }
    return store_user_put(s, &u, what, field, why, why_n);
}

static edi_result row_article(store *s, const char *const *v, store_put *what,
                              const char **field, char *why, size_t why_n)
{
    const column *cols = article_cols;
    md_article a;
    memset(&a, 0, sizeof a);
    COPY(a.id, 0);
    COPY(a.gtin, 1);
    COPY(a.supplier_number, 2);
    COPY(a.name, 3);
    COPY(a.units, 4);
    COPY(a.min_quantity, 5);
    COPY(a.step_quantity, 6);
    return store_article_put(s, &a, what, field, why, why_n);
}

static edi_result row_contract(store *s, const char *const *v, store_put *what,
                               const char **field, char *why, size_t why_n)
{
    const column *cols = contract_cols;
    store_contract k;
    memset(&k, 0, sizeof k);
    COPY(k.id, 0);
    COPY(k.c.customer_id, 1);
    COPY(k.c.article_id, 2);
    COPY(k.c.buyer_article, 3);
    COPY(k.c.price, 4);
    COPY(k.c.price_basis, 5);
    COPY(k.c.currency, 6);
    COPY(k.c.valid_from, 7);
    COPY(k.c.valid_to, 8);
    COPY(k.c.tolerance_percent, 9);
    return store_contract_put(s, &k, what, field, why, why_n);
}

static edi_result (*const row_put[])(store *, const char *const *, store_put *, const char **,
                                     char *, size_t) = {
    [IMPORT_CUSTOMERS] = row_customer,
    [IMPORT_USERS] = row_user,
    [IMPORT_ARTICLES] = row_article,
    [IMPORT_CONTRACTS] = row_contract,
};

/* ---- the import ----------------------------------------------------------------------- */

typedef struct {
    const char *name;
    FILE *out;
    size_t count;
    char *why;
    size_t why_n;
} problems;

/* One problem: "NAME line L[, column C]: TEXT". */
static void problem(problems *pr, size_t line, const char *col, const char *text)
{
    char msg[900];
    if (col)
        snprintf(msg, sizeof msg, "%s line %zu, column %s: %s", pr->name, line, col, text);
    else
        snprintf(msg, sizeof msg, "%s line %zu: %s", pr->name, line, text);
    if (pr->count == 0)
        edi_say(pr->why, pr->why_n, "%s", msg);
    if (pr->out && pr->count < IMPORT_MAX_LISTED)
        fprintf(pr->out, "%s\n", msg);
    pr->count++;
}

/* The header: which column of the kind each field is (map[field] = column index). */
static bool header(const csv *c, import_kind kind, size_t *map, problems *pr)
{
    const column *cols = kinds[kind].cols;
    size_t ncols = kinds[kind].n;
    bool seen[IMPORT_MAX_COLUMNS] = { false };
    bool ok = true;
    char text[600];
    if (c->n > IMPORT_MAX_COLUMNS) {
        snprintf(text, sizeof text, "the header has %zu columns; %s files have at most %zu",
                 c->n, kinds[kind].name, ncols);
        problem(pr, 1, NULL, text);
        return false;
    }
    char names[300] = "";
    for (size_t i = 0; i < ncols; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s%s", i ? ", " : "",
                 cols[i].name, cols[i].required ? "" : " (optional)");
    for (size_t f = 0; f < c->n; f++) {
        const char *h = csv_field(c, f);
        size_t found = ncols;
        for (size_t i = 0; i < ncols; i++)
            if (strcasecmp(h, cols[i].name) == 0)
                found = i;
        if (found == ncols) {
            snprintf(text, sizeof text, "\"%.40s\" is not a column of %s; the columns are %s",
                     h, kinds[kind].name, names);
            problem(pr, 1, NULL, text);
            ok = false;
        } else if (seen[found]) {
            snprintf(text, sizeof text, "the column %s is named twice; keep one", cols[found].name);
            problem(pr, 1, NULL, text);
            ok = false;
        } else {
            seen[found] = true;
            map[f] = found;
        }
    }
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].required && !seen[i]) {
            snprintf(text, sizeof text, "the column %s is missing; the header names the "
                     "columns, in any order: %s", cols[i].name, names);
            problem(pr, 1, NULL, text);
            ok = false;
        }
    return ok;
}

edi_result import_csv(store *s, import_kind kind, const char *name, const char *data, size_t len,
                      import_counts *counts, FILE *out, char *why, size_t why_n)
{
    import_counts n = { 0 };
    if (counts)
        *counts = n;
    if (!s || (unsigned)kind > IMPORT_CONTRACTS || !name || (!data && len)) {
        edi_say(why, why_n, "import_csv needs a store, a kind, a name and the data");
        return EDI_E_ARG;
    }
    problems pr = { .name = name, .out = out, .why = why, .why_n = why_n };
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    const char *nul = memchr(data, '\0', len);
    size_t bad = utf8_bad((const unsigned char *)data, len);
    if (nul || bad < len) {
        size_t at = nul ? (size_t)(nul - data) : bad, line = 1;
        for (size_t i = 0; i < at; i++)
            line += data[i] == '\n';
        problem(&pr, line, NULL, nul ? "has a NUL byte: this is not a CSV text file"
                                     : "is not UTF-8; save the file as UTF-8 (in a spreadsheet: "
                                       "CSV UTF-8)");
        return EDI_E_ARG;
    }
    csv c = { .p = data, .end = data + len, .line = 1 };
    size_t line = 1;
    char text[700];
    int got = csv_record(&c, &line, text, sizeof text);
    if (got <= 0) {
        edi_buf_free(&c.text);
        if (got == -2) {
            edi_say(why, why_n, "out of memory reading %s", name);
            return EDI_E_NOMEM;
        }
        problem(&pr, line, NULL, got == 0 ? "the file is empty; its first line names the columns"
                                          : text);
        return EDI_E_ARG;
    }
    size_t map[IMPORT_MAX_COLUMNS];
    if (!header(&c, kind, map, &pr)) {
        edi_buf_free(&c.text);
        return EDI_E_ARG;
    }
    size_t width = c.n;
    edi_result r = store_begin(s, why, why_n);
    if (r != EDI_OK) {
        edi_buf_free(&c.text);
        return r;
    }
    const char *v[IMPORT_MAX_COLUMNS];
    while (r == EDI_OK && (got = csv_record(&c, &line, text, sizeof text)) != 0) {
        if (got == -2) {
            edi_say(why, why_n, "out of memory reading %s", name);
            r = EDI_E_NOMEM;
            break;
        }
        n.rows++;
        if (got == -1) {
            problem(&pr, line, NULL, text);
            n.refused++;
            break;   /* the rest of the file cannot be split into records reliably */
        }
        if (c.n != width) {
            snprintf(text, sizeof text, "has %zu fields, but the header names %zu columns; a "
                     "value with a comma must be in quotes", c.n, width);
            problem(&pr, line, NULL, text);
            n.refused++;
            continue;
        }
        for (size_t i = 0; i < kinds[kind].n; i++)
            v[i] = "";
        for (size_t f = 0; f < width; f++)
            v[map[f]] = csv_field(&c, f);
        const char *field = NULL;
        store_put what = STORE_PUT_UNCHANGED;
        char sentence[640] = "";
        edi_result rr = row_put[kind](s, v, &what, &field, sentence, sizeof sentence);
        if (rr == EDI_OK) {
            if (what == STORE_PUT_NEW)
                n.added++;
            else if (what == STORE_PUT_CHANGED)
                n.changed++;
            else
                n.unchanged++;
        } else if (rr == EDI_E_ARG || rr == EDI_E_NOT_FOUND || rr == EDI_E_CONFLICT) {
            problem(&pr, line, field, sentence);
            n.refused++;
        } else {
            edi_say(why, why_n, "%s line %zu: %s", name, line, sentence);
            r = rr;
        }
    }
    edi_buf_free(&c.text);
    if (r == EDI_OK && pr.count == 0) {
        r = store_commit(s, why, why_n);
    } else {
        store_rollback(s);
        if (r == EDI_OK) {
            r = EDI_E_ARG;
            if (pr.count > 1) {
                size_t used = why ? strnlen(why, why_n) : 0;
                if (why && used < why_n)
                    snprintf(why + used, why_n - used, " (and %zu more problem%s)",
                             pr.count - 1, pr.count > 2 ? "s" : "");
            }
        }
    }
    if (counts)
        *counts = n;
    return r;
}

/* ---- the command ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: gateway import [--config FILE | --db PATH] customers|users|articles|contracts "
          "CSVFILE\n"
          "\n"
          "Load master data from a CSV file (RFC 4180, UTF-8, first line naming the columns in\n"
          "any order) into the gateway's database: the one of the configuration (--config, else\n"
          "$GATEWAY_CONFIG, else gateway.xml), or the SQLite file --db PATH. Records are added\n"
          "or replaced by id, all rows or none; importing the same file again changes nothing.\n"
          "\n"
          "columns (* required):\n"
          "  customers  id*, name*, blocked (true/false), credit_limit, currency*, payment_terms\n"
          "  users      id*, customer_id*, name*, email*, roles* (admin approver buyer\n"
          "             requisitioner, separated by blanks)\n"
          "  articles   id*, gtin, supplier_number*, name, units* (UN/ECE Rec 20 codes separated\n"
          "             by blanks, base unit first), min_qty, step_qty\n"
          "  contracts  id*, customer_id*, article_id*, buyer_article, price*, price_basis,\n"
          "             currency*, valid_from, valid_to (YYYY-MM-DD), tolerance_percent\n"
          "Numbers are written with a point: 1234.50. Import customers before users and\n"
          "contracts, articles before contracts.\n"
          "\n"
          "exit status: 0 imported; 1 the file was refused (every problem is listed with its\n"
          "line and column); 2 usage, configuration, database or file unreadable\n",
          f);
}

int cli_import_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *db = NULL;
    bool help = false, bad = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
        if (ch == 'c')
            config = optarg;
        else if (ch == 'd')
            db = optarg;
        else if (ch == 'h')
            help = true;
        else
            bad = true;
    }
    import_kind kind = IMPORT_CUSTOMERS;
    if (help || bad || (config && db) || optind != argc - 2 ||
        !import_kind_parse(argv[optind], &kind)) {
        if (!help && !bad && optind == argc - 2)
            fprintf(stderr, "gateway import: \"%s\" is not a kind of master data; write "
                    "customers, users, articles or contracts\n", argv[optind]);
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *path = argv[optind + 1];
    char why[1024] = "";
    gateway_config *cfg = NULL;
    if (!db) {
        doc_findings f;
        doc_findings_init(&f);
        if (config_load(config_path(config), NULL, &cfg, &f, why, sizeof why) != EDI_OK) {
            fprintf(stderr, "gateway import: %s\n", why);
            if (f.count > 1)
                doc_findings_print(&f, stderr, false, NULL);
            doc_findings_free(&f);
            return 2;
        }
        doc_findings_free(&f);
        db = cfg->database;
    }
    edi_buf b = { 0 };
    int status = 2;
    store *s = NULL;
    if (cli_read_input("gateway import", path, IMPORT_MAX_BYTES, &b)) {
        s = store_open_sqlite(db, why, sizeof why);
        if (!s)
            fprintf(stderr, "gateway import: the database %s cannot be used: %s\n", db, why);
    }
    if (s) {
        import_counts n;
        edi_result r = import_csv(s, kind, path, b.p, b.len, &n, stderr, why, sizeof why);
        if (r == EDI_OK) {
            printf("%s: %zu %s imported into %s: %zu new, %zu changed, %zu unchanged\n", path,
                   n.rows, n.rows == 1 ? "row" : "rows", db, n.added, n.changed, n.unchanged);
            status = 0;
        } else if (r == EDI_E_ARG) {
            fprintf(stderr, "gateway import: %s was refused, nothing was imported: correct "
                    "the file and import it again\n", path);
            status = 1;
        } else {
            fprintf(stderr, "gateway import: %s\n", why);
        }
        store_close(s);
    }
    edi_buf_free(&b);
    config_free(cfg);
    return status;
}

/* approval.c: see approval.h. */
#include "approval.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const struct {
    const char *name;
    unsigned bit;
} role_names[] = {
    { "admin", APPROVAL_ROLE_ADMIN },
    { "approver", APPROVAL_ROLE_APPROVER },
    { "buyer", APPROVAL_ROLE_BUYER },
    { "requisitioner", APPROVAL_ROLE_REQUISITIONER },
};

edi_result approval_roles_parse(const char *text, unsigned *roles, char *why, size_t why_n)
{
    unsigned set = 0;
    const char *p = text ? text : "";
    while (*p) {
        if (*p == ' ' || *p == ',' || *p == '\t') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " ,\t");
        bool known = false;
        for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
            if (strlen(role_names[i].name) == len && strncmp(p, role_names[i].name, len) == 0) {
                set |= role_names[i].bit;
                known = true;
            }
        }
        if (!known) {
            edi_say(why, why_n, "unknown role \"%.*s\": the roles are admin, approver, "
                    "buyer and requisitioner", (int)(len > 40 ? 40 : len), p);
            return EDI_E_ARG;
        }
        p += len;
    }
    *roles = set;
    return EDI_OK;
}

/* A requisitioner who is not also a buyer, approver or admin: the one whose orders the
 * "orders by requisitioners" rule holds (the most permissive role wins). */
static bool only_requisitioner(unsigned roles)
{
    return (roles & APPROVAL_ROLE_REQUISITIONER) &&
           !(roles & (APPROVAL_ROLE_BUYER | APPROVAL_ROLE_APPROVER | APPROVAL_ROLE_ADMIN));
}

typedef struct {
    char *buf;
    size_t n;
    size_t len;
    int clauses;
} sentence;

static void add_clause(sentence *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_clause(sentence *s, const char *fmt, ...)
{
    if (!s->buf || s->n == 0 || s->len + 1 >= s->n)
        return;
    int w = snprintf(s->buf + s->len, s->n - s->len, "%s", s->clauses ? "; " : "");
    if (w > 0)
        s->len += (size_t)w < s->n - s->len ? (size_t)w : s->n - s->len - 1;
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(s->buf + s->len, s->n - s->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        s->len += (size_t)w < s->n - s->len ? (size_t)w : s->n - s->len - 1;
    s->clauses++;
}

/* The rules of one policy; `whose` is "the customer's" or "the partner profile's". */
static edi_result apply_policy(const approval_policy *p, const char *whose,
                               const approval_order *o, decimal amount, sentence *s,
                               char *why, size_t why_n)
{
    if (p->always)
        add_clause(s, "%s policy has every order approved", whose);
    if (p->requisitioners && o->has_requester && only_requisitioner(o->requester_roles))
        add_clause(s, "it was placed by a requisitioner, and %s policy has their orders "
                   "approved", whose);
    if (p->above[0]) {
        decimal limit;
        char err[200];
        if (decimal_parse(p->above, &limit, err, sizeof err) != EDI_OK) {
            edi_say(why, why_n, "%s approval limit \"%s\" is not an amount: %s", whose,
                    p->above, err);
            return EDI_E_ARG;
        }
        const char *oc = o->currency ? o->currency : "";
        if (p->currency[0] && strcmp(oc, p->currency) != 0) {
            add_clause(s, "its amount %s is in %s but %s approval limit of %s is in %s, so "
                       "the two cannot be compared", o->amount, oc[0] ? oc : "an unknown "
                       "currency", whose, p->above, p->currency);
        } else if (decimal_cmp(amount, limit) > 0) {
            add_clause(s, "its amount %s%s%s is above %s approval limit of %s%s%s", o->amount,
                       oc[0] ? " " : "", oc, whose, p->above, p->currency[0] ? " " : "",
                       p->currency);
        }
    }
    return EDI_OK;
}

edi_result approval_needed(const approval_policy *customer, const approval_policy *partner,
                           const approval_order *order, bool *needed, char *reason,
                           size_t reason_n)
{
    if (!order || !order->amount || !needed) {
        edi_say(reason, reason_n, "approval_needed: no order or no amount");
        return EDI_E_ARG;
    }
    decimal amount;
    char err[200];
    if (decimal_parse(order->amount, &amount, err, sizeof err) != EDI_OK) {
        edi_say(reason, reason_n, "the order's amount \"%s\" is not an amount: %s",
                order->amount, err);
        return EDI_E_ARG;
    }
    char clauses[APPROVAL_REASON_MAX] = "";
    sentence s = { clauses, sizeof clauses, 0, 0 };
    edi_result r;
    if (customer && order->has_requester &&
        (r = apply_policy(customer, "the customer's", order, amount, &s, reason, reason_n)) !=
            EDI_OK)
        return r;
    if (partner &&
        (r = apply_policy(partner, "the partner profile's", order, amount, &s, reason,
                          reason_n)) != EDI_OK)
        return r;
    *needed = s.clauses > 0;
    if (*needed)
        edi_say(reason, reason_n, "The order needs approval: %s.", clauses);
    else if (customer && !order->has_requester)
        edi_say(reason, reason_n, "The order needs no approval: no customer user placed it, "
                "so only the partner profile's policy applies, and it does not hold it.");
    else
        edi_say(reason, reason_n, "The order needs no approval: no approval rule of the "
                "customer or the partner profile holds it.");
    return EDI_OK;
}

bool approval_user_may_decide(const approval_user *user, const char *requester_id)
{
    if (!user || !user->active || !user->id[0])
        return false;
    if (!(user->roles & (APPROVAL_ROLE_APPROVER | APPROVAL_ROLE_ADMIN)))
        return false;
    return !(requester_id && strcmp(user->id, requester_id) == 0);
}

edi_result approval_choose_approvers(const approval_user *users, size_t n_users,
                                     const char *requester_id, size_t *chosen, size_t max,
                                     size_t *n_chosen, char *why, size_t why_n)
{
    size_t n = 0;
    bool requester_could = false;
    for (size_t i = 0; i < n_users; i++) {
        if (!approval_user_may_decide(&users[i], requester_id)) {
            if (requester_id && strcmp(users[i].id, requester_id) == 0 &&
                (users[i].roles & (APPROVAL_ROLE_APPROVER | APPROVAL_ROLE_ADMIN)))
                requester_could = true;
            continue;
        }
        if (!users[i].email[0])
            continue;
        if (n < max)
            chosen[n++] = i;
    }
    *n_chosen = n;
    if (n == 0) {
        edi_say(why, why_n, "nobody can approve this order: the customer has no active user "
                "with the role approver or admin and an e-mail address%s; the customer's "
                "admin must give another user the approver role",
                requester_could ? " other than the requester, who may not approve their own "
                "order" : "");
        return EDI_E_NOT_FOUND;
    }
    return EDI_OK;
}

edi_result approval_fingerprint(const void *bytes, size_t n,
                                char out[APPROVAL_FINGERPRINT_HEX], char *why, size_t why_n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(bytes, n, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32) {
        edi_say(why, why_n, "SHA-256 of the order failed in libcrypto");
        return EDI_E_NOMEM;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return EDI_OK;
}

const char *approval_state_name(approval_state s)
{
    switch (s) {
    case APPROVAL_PENDING: return "pending";
    case APPROVAL_APPROVED: return "approved";
    case APPROVAL_REJECTED: return "rejected";
    case APPROVAL_EXPIRED: return "expired";
    }
    return "unknown";
}

static bool is_fingerprint(const char *f)
{
    if (!f || strlen(f) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((f[i] >= '0' && f[i] <= '9') || (f[i] >= 'a' && f[i] <= 'f')))
            return false;
    return true;
}

static bool copy_id(char *dst, size_t n, const char *src, bool may_be_empty, const char *what,
                    char *why, size_t why_n)
{
    size_t len = src ? strlen(src) : 0;
    if ((!may_be_empty && len == 0) || len >= n) {
        edi_say(why, why_n, "the %s must be 1 to %zu characters long", what, n - 1);
        return false;
    }
    memcpy(dst, src ? src : "", len + 1);
    return true;
}

edi_result approval_start(approval *a, const char *id, const char *order_id,
                          const char *customer_id, const char *requester_id,
                          const char *reason, const char *fingerprint, int64_t now,
                          int64_t lifetime, char *why, size_t why_n)
{
    approval z;
    memset(&z, 0, sizeof z);
    if (!copy_id(z.id, sizeof z.id, id, false, "approval id", why, why_n) ||
        !copy_id(z.order_id, sizeof z.order_id, order_id, false, "order id", why, why_n) ||
        !copy_id(z.customer_id, sizeof z.customer_id, customer_id, false, "customer id", why,
                 why_n) ||
        !copy_id(z.requester_id, sizeof z.requester_id, requester_id, true, "requester id",
                 why, why_n))
        return EDI_E_ARG;
    if (!is_fingerprint(fingerprint)) {
        edi_say(why, why_n, "the order's fingerprint must be 64 lowercase hex digits "
                "(approval_fingerprint)");
        return EDI_E_ARG;
    }
    if (lifetime <= 0 || now > INT64_MAX - lifetime) {
        edi_say(why, why_n, "an approval must have a positive lifetime");
        return EDI_E_ARG;
    }
    snprintf(z.reason, sizeof z.reason, "%s", reason ? reason : "");
    memcpy(z.fingerprint, fingerprint, APPROVAL_FINGERPRINT_HEX);
    z.state = APPROVAL_PENDING;
    z.created_at = now;
    z.expires_at = now + lifetime;
    *a = z;
    return EDI_OK;
}

bool approval_expire(approval *a, int64_t now)
{
    if (a->state != APPROVAL_PENDING || now < a->expires_at)
        return false;
    a->state = APPROVAL_EXPIRED;
    a->decided_by[0] = '\0';
    a->decided_at = a->expires_at;
    return true;
}

static edi_result refuse(approval_refusal *out, approval_refusal what, edi_result r)
{
    if (out)
        *out = what;
    return r;
}

edi_result approval_decide(approval *a, bool approve, const approval_user *decider,
                           const char *fingerprint, const char *comment, int64_t now,
                           approval_refusal *refusal, char *why, size_t why_n)
{
    if (refusal)
        *refusal = APPROVAL_REFUSED_NONE;
    if (a->state != APPROVAL_PENDING) {
        edi_say(why, why_n, "the order's approval was already %s%s%s; it cannot be %s now",
                approval_state_name(a->state), a->decided_by[0] ? " by " : "", a->decided_by,
                approve ? "approved" : "rejected");
        return refuse(refusal, APPROVAL_REFUSED_DECIDED, EDI_E_CONFLICT);
    }
    if (approval_expire(a, now)) {
        edi_say(why, why_n, "the time to decide on this order ran out; the approval has "
                "expired and the order must be placed or released again");
        return refuse(refusal, APPROVAL_REFUSED_EXPIRED, EDI_E_CONFLICT);
    }
    if (decider && a->requester_id[0] && strcmp(decider->id, a->requester_id) == 0) {
        edi_say(why, why_n, "%s placed this order and may not decide on it: nobody approves "
                "their own order", decider->id);
        return refuse(refusal, APPROVAL_REFUSED_OWN_ORDER, EDI_E_ARG);
    }
    if (!approval_user_may_decide(decider, a->requester_id)) {
        edi_say(why, why_n, "%s is not an active approver or admin of the customer and may "
                "not decide on its orders", decider && decider->id[0] ? decider->id :
                "an unknown user");
        return refuse(refusal, APPROVAL_REFUSED_NOT_APPROVER, EDI_E_ARG);
    }
    if (approve && (!fingerprint || strcmp(fingerprint, a->fingerprint) != 0)) {
        edi_say(why, why_n, "the order changed after approval was asked for (its content or "
                "prices are not those that were sent to the approver); it cannot be approved "
                "with this request, only rejected, and a new approval must be asked for");
        return refuse(refusal, APPROVAL_REFUSED_CHANGED, EDI_E_CONFLICT);
    }
    size_t clen = comment ? strlen(comment) : 0;
    if (clen >= sizeof a->comment) {
        edi_say(why, why_n, "the comment is too long (%zu bytes; at most %zu)", clen,
                sizeof a->comment - 1);
        return refuse(refusal, APPROVAL_REFUSED_COMMENT, EDI_E_ARG);
    }
    if (!approve && clen == 0) {
        edi_say(why, why_n, "a rejection needs a comment that tells the requester why");
        return refuse(refusal, APPROVAL_REFUSED_COMMENT, EDI_E_ARG);
    }
    a->state = approve ? APPROVAL_APPROVED : APPROVAL_REJECTED;
    snprintf(a->decided_by, sizeof a->decided_by, "%s", decider->id);
    a->decided_at = now;
    memcpy(a->comment, comment ? comment : "", clen + 1);
    return EDI_OK;
}

bool approval_reminder_due(const approval *a, int64_t now, int64_t lead)
{
    if (a->state != APPROVAL_PENDING || a->reminded_at != 0 || now >= a->expires_at)
        return false;
    return a->expires_at - now <= lead;
}

void approval_mark_reminded(approval *a, int64_t now)
{
    a->reminded_at = now > 0 ? now : 1;
}

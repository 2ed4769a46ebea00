/* order_holds.c: deciding held orders outside the pipeline (order_holds.h). */
#include "order_holds.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "order_checks.h"

const char *order_hold_kind_name(order_hold_kind k)
{
    switch (k) {
    case ORDER_HOLD_SELLER: return "seller";
    case ORDER_HOLD_APPROVAL: return "approval";
    default: return "none";
    }
}

edi_result order_holds_kind(store *s, const store_order *o, order_hold_kind *kind, approval *a,
                            char *why, size_t why_n)
{
    approval local;
    approval *ap = a ? a : &local;
    memset(ap, 0, sizeof *ap);
    *kind = ORDER_HOLD_NONE;
    edi_result r = store_approval_of_order(s, o->id, ap, why, why_n);
    if (r == EDI_E_NOT_FOUND) {
        memset(ap, 0, sizeof *ap);
        r = EDI_OK;
    }
    if (r != EDI_OK || strcmp(o->state, order_state_name(ORDER_HELD)))
        return r;
    /* An order the checks held has no approval; one held for approval got it in the same
     * transaction, and a decided or expired approval has moved the order on. */
    *kind = ap->id[0] ? ORDER_HOLD_APPROVAL : ORDER_HOLD_SELLER;
    return EDI_OK;
}

/* The partner profile's approval rules as a policy. */
static void partner_policy(const partner *p, approval_policy *pp)
{
    memset(pp, 0, sizeof *pp);
    if (!p)
        return;
    pp->always = p->approval == PARTNER_APPROVAL_ALWAYS;
    pp->requisitioners = p->approval == PARTNER_APPROVAL_REQUISITIONERS;
    if (p->approval == PARTNER_APPROVAL_ABOVE) {
        snprintf(pp->above, sizeof pp->above, "%s", p->approval_amount);
        snprintf(pp->currency, sizeof pp->currency, "%s", p->approval_currency);
    }
}

edi_result order_holds_approval_needed(store *s, const partner_set *ps, const store_order *o,
                                       bool *needed, char *reason, size_t reason_n, char *why,
                                       size_t why_n)
{
    *needed = false;
    approval_policy cp, pp;
    partner_policy(ps ? partner_set_by_id(ps, o->partner) : NULL, &pp);
    edi_result r = store_customer_approval_policy(s, o->customer_id, &cp, why, why_n);
    if (r != EDI_OK && r != EDI_E_NOT_FOUND)
        return r;
    bool has_cp = r == EDI_OK;
    approval_user requester;
    memset(&requester, 0, sizeof requester);
    if (o->requester_user_id[0]) {
        r = store_user_as_approver(s, o->requester_user_id, &requester, NULL, why, why_n);
        if (r != EDI_OK && r != EDI_E_NOT_FOUND)
            return r;
    }
    approval_order ao = { .amount = o->amount[0] ? o->amount : "0", .currency = o->currency,
                          .has_requester = o->requester_user_id[0] != '\0',
                          .requester_roles = requester.roles };
    if (approval_needed(has_cp ? &cp : NULL, &pp, &ao, needed, reason, reason_n) != EDI_OK) {
        edi_say(why, why_n, "the approval rules of order %" PRId64 " cannot be applied: %s",
                o->id, reason);
        return EDI_E_STORE;
    }
    return EDI_OK;
}

/* Order `order_id` as it is now, which must be held for the seller's staff. */
static edi_result seller_held(store *s, store_id order_id, store_order *o, char *why,
                              size_t why_n)
{
    edi_result r = store_order_get(s, order_id, o, why, why_n);
    if (r != EDI_OK)
        return r;
    order_hold_kind kind;
    approval a;
    r = order_holds_kind(s, o, &kind, &a, why, why_n);
    if (r != EDI_OK)
        return r;
    if (kind == ORDER_HOLD_APPROVAL) {
        edi_say(why, why_n, "order %" PRId64 " (%.200s) waits for the customer's approval %s; "
                "the customer's approver decides it, not the seller", o->id, o->number, a.id);
        return EDI_E_CONFLICT;
    }
    if (kind != ORDER_HOLD_SELLER) {
        edi_say(why, why_n, "order %" PRId64 " (%.200s) is %s, not held; only a held order "
                "can be released or rejected", o->id, o->number, o->state);
        return EDI_E_CONFLICT;
    }
    return EDI_OK;
}

/* "<What> by <by> (seller's staff)[: <comment>]" */
static void decision_detail(char *out, size_t n, const char *what, const char *by,
                            const char *comment)
{
    bool has = comment && *comment;
    snprintf(out, n, "%s by %.120s (seller's staff)%s%.700s", what, by, has ? ": " : "",
             has ? comment : "");
}

edi_result order_holds_release(store *s, content_store *cs, const partner_set *ps,
                               const orders_settings *set, store_id order_id, const char *by,
                               const char *comment, const char *actor, int64_t now,
                               order_holds_outcome *out, char *why, size_t why_n)
{
    memset(out, 0, sizeof *out);
    if (!by || !*by) {
        edi_say(why, why_n, "a release names the staff member who decided it");
        return EDI_E_ARG;
    }
    store_order *o = &out->order;
    edi_result r = seller_held(s, order_id, o, why, why_n);
    bool needed = false;
    if (r == EDI_OK)
        r = order_holds_approval_needed(s, ps, o, &needed, out->reason, sizeof out->reason, why,
                                        why_n);
    if (r != EDI_OK)
        return r;
    char detail[1024], ev[1024];
    decision_detail(detail, sizeof detail, "Released", by, comment);
    r = store_order_event_add(s, o->id, "released", actor, detail, why, why_n);
    if (r == EDI_OK)
        r = store_history_add(s, o->message_id, "released", actor, detail, why, why_n);
    if (r != EDI_OK)
        return r;
    if (needed) {
        out->approval = true;
        r = orders_start_approval(s, cs, set, o, out->reason, now, actor, &out->asked, why,
                                  why_n);
        snprintf(ev, sizeof ev, "Order %.200s is held for the customer's approval. %.700s",
                 o->number, out->reason);
        if (r == EDI_OK)
            r = store_history_add(s, o->message_id, "held", actor, ev, why, why_n);
        if (r == EDI_OK)
            r = orders_notify_requester(s, cs, set, o, out->reason, now, actor, why, why_n);
        return r;
    }
    r = orders_move(s, o, ORDER_ACCEPTED, actor, detail, NULL, why, why_n);
    snprintf(ev, sizeof ev, "Order %.200s is accepted. %.700s", o->number, detail);
    if (r == EDI_OK)
        r = store_history_add(s, o->message_id, "accepted", actor, ev, why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "answer", o->message_id, 0, why, why_n);
    return r;
}

edi_result order_holds_reject(store *s, store_id order_id, const char *by, const char *comment,
                              const char *actor, order_holds_outcome *out, char *why,
                              size_t why_n)
{
    memset(out, 0, sizeof *out);
    if (!by || !*by) {
        edi_say(why, why_n, "a rejection names the staff member who decided it");
        return EDI_E_ARG;
    }
    if (!comment || !*comment) {
        edi_say(why, why_n, "a rejection needs a comment: the customer must learn why");
        return EDI_E_ARG;
    }
    store_order *o = &out->order;
    edi_result r = seller_held(s, order_id, o, why, why_n);
    if (r != EDI_OK)
        return r;
    char plan[STORE_ORDER_ANSWER_MAX], detail[1024], ev[1024];
    order_check_result none = { 0 };
    r = orders_answer_plan(&none, true, plan, sizeof plan);
    decision_detail(detail, sizeof detail, "Rejected", by, comment);
    if (r == EDI_OK)
        r = orders_move(s, o, ORDER_REJECTED, actor, detail, plan, why, why_n);
    snprintf(ev, sizeof ev, "Order %.200s is rejected. %.700s", o->number, detail);
    if (r == EDI_OK)
        r = store_history_add(s, o->message_id, "rejected", actor, ev, why, why_n);
    if (r == EDI_OK)
        r = store_job_enqueue(s, "answer", o->message_id, 0, why, why_n);
    return r;
}

edi_result order_holds_decide(store *s, store_id order_id, const char *user_id, bool approve,
                              const char *comment, int64_t now, orders_decision *out, char *why,
                              size_t why_n)
{
    memset(out, 0, sizeof *out);
    store_order o;
    approval a;
    order_hold_kind kind;
    edi_result r = store_order_get(s, order_id, &o, why, why_n);
    if (r == EDI_OK)
        r = order_holds_kind(s, &o, &kind, &a, why, why_n);
    if (r != EDI_OK)
        return r;
    if (!a.id[0]) {
        edi_say(why, why_n, "order %" PRId64 " (%.200s) is %s and %s", o.id, o.number, o.state,
                kind == ORDER_HOLD_SELLER ? "waits for the seller's staff, not for an approval"
                                          : "was never waiting for an approval");
        return EDI_E_CONFLICT;
    }
    return orders_decide_approval(s, a.id, user_id, approve, comment, now, out, why, why_n);
}

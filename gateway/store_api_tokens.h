/* store_api_tokens.h: customer users' personal API tokens in the store (part of the store
 * interface, store.h): only the lowercase hex SHA-256 of a token is kept (migration 4's
 * customer_user.api_token_sha256, unique), so a stolen database gives no usable token. It
 * owns setting or clearing a user's token digest and finding the user a digest belongs to. */
#ifndef STORE_API_TOKENS_H
#define STORE_API_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "edi_result.h"
#include "store.h"
#include "store_master.h"

/* Set user `user_id`'s token digest (64 lowercase hex digits), replacing any earlier one, or
 * clear it with `sha256_hex` NULL. EDI_E_NOT_FOUND for an unknown user, EDI_E_ARG for a
 * digest that is not 64 lowercase hex digits, EDI_E_CONFLICT when another user has it. */
edi_result store_user_token_set(store *s, const char *user_id, const char *sha256_hex,
                                char *why, size_t why_n);

/* Whether user `user_id` has a token (*has), EDI_E_NOT_FOUND for an unknown user. */
edi_result store_user_token_exists(store *s, const char *user_id, bool *has, char *why,
                                   size_t why_n);

/* The user whose token digest is `sha256_hex`, and whether that user is active.
 * EDI_E_NOT_FOUND when no user has it. */
edi_result store_user_by_token(store *s, const char *sha256_hex, store_user *out, bool *active,
                               char *why, size_t why_n);

#endif

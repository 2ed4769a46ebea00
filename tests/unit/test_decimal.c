/* The exact decimal type (gateway/decimal.h): what text is a decimal and what is refused,
 * exact formatting, line-amount arithmetic with a price basis, half-up rounding at the
 * second decimal where binary floating point gets it wrong (2.675), and overflow that is
 * reported instead of wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "decimal.h"

static decimal dec(const char *text)
{
    decimal d = { 0 };
    char why[256] = "";
    edi_result r = decimal_parse(text, &d, why, sizeof why);
    if (r != EDI_OK)
        fail_msg("\"%s\": %s", text, why);
    return d;
}

static void assert_text(decimal d, const char *want)
{
    char buf[DECIMAL_TEXT_MAX];
    assert_int_equal(decimal_format(d, buf, sizeof buf), EDI_OK);
    assert_string_equal(buf, want);
}

/* Refused with `code` and a sentence that contains `part`. */
static void assert_refused(const char *text, edi_result code, const char *part)
{
    decimal d = { .units = 77, .scale = 1 };
    char why[256] = "";
    assert_int_equal(decimal_parse(text, &d, why, sizeof why), code);
    if (!strstr(why, part))
        fail_msg("\"%s\": the sentence \"%s\" does not say \"%s\"", text, why, part);
    /* Nothing is written on failure. */
    assert_int_equal(d.units, 77);
}

/* a x b / c rounded to `decimals`, as text. */
static void assert_muldiv(const char *a, const char *b, const char *c, int decimals,
                          const char *want)
{
    decimal out;
    assert_int_equal(decimal_muldiv(dec(a), dec(b), dec(c), decimals, &out), EDI_OK);
    assert_text(out, want);
}

static void parses_and_formats_exactly(void **state)
{
    (void)state;
    decimal d = dec("12.5");
    assert_int_equal(d.units, 125);
    assert_int_equal(d.scale, 1);
    assert_text(d, "12.5");
    assert_text(dec("12.50"), "12.50");
    assert_text(dec("-0.75"), "-0.75");
    assert_text(dec("12,5"), "12.5");
    assert_text(dec("0"), "0");
    assert_text(dec("007"), "7");
    assert_text(dec("0.05"), "0.05");
    assert_text(dec("-0.00"), "0.00");
    assert_text(dec("0.000000001"), "0.000000001");
    assert_text(dec("9223372036854775807"), "9223372036854775807");
    assert_text(dec("-9223372036.854775807"), "-9223372036.854775807");
}

static void refuses_what_is_not_a_decimal(void **state)
{
    (void)state;
    assert_refused("", EDI_E_ARG, "empty");
    assert_refused(" 12.5", EDI_E_ARG, "' '");
    assert_refused("12.5 ", EDI_E_ARG, "' '");
    assert_refused("1e3", EDI_E_ARG, "'e'");
    assert_refused(".5", EDI_E_ARG, "no digit before");
    assert_refused("2.", EDI_E_ARG, "no digit follows");
    assert_refused("-", EDI_E_ARG, "no digits");
    assert_refused("+1", EDI_E_ARG, "'+'");
    assert_refused("1.2.3", EDI_E_ARG, "two decimal separators");
    assert_refused("1,000.5", EDI_E_ARG, "two decimal separators");
    assert_refused("1.0000000001", EDI_E_ARG, "more than 9 decimals");
    assert_refused("9223372036854775808", EDI_E_LIMIT, "too large");
    assert_refused("-99999999999999999999.5", EDI_E_LIMIT, "too large");
    /* A syntax error is named even when the digits before it already overflowed. */
    assert_refused("99999999999999999999x", EDI_E_ARG, "'x'");
}

static void line_amounts_with_a_price_basis(void **state)
{
    (void)state;
    assert_muldiv("400", "152.15", "100", 2, "608.60");
    assert_muldiv("48", "12.50", "1", 2, "600.00");
    /* 12.5 x 3.95 / 100 = 0.49375 */
    assert_muldiv("12.5", "3.95", "100", 2, "0.49");
    assert_muldiv("2500", "7.123", "1000", 2, "17.81");
    /* 12.345 x 1.99 = 24.56655: 24.567 at 3 decimals, 24.57 at 2, in one step or two. */
    assert_muldiv("12.345", "1.99", "1", 3, "24.567");
    assert_muldiv("12.345", "1.99", "1", 2, "24.57");
    decimal q3, q2;
    assert_int_equal(decimal_muldiv(dec("12.345"), dec("1.99"), DECIMAL_ONE, 3, &q3), EDI_OK);
    assert_int_equal(decimal_muldiv(q3, DECIMAL_ONE, DECIMAL_ONE, 2, &q2), EDI_OK);
    assert_text(q2, "24.57");
    /* Division alone, and a result with more decimals than its operands. */
    assert_muldiv("10", "1", "3", 4, "3.3333");
    assert_muldiv("20", "1", "3", 4, "6.6667");
}

static void half_up_away_from_zero(void **state)
{
    (void)state;
    assert_muldiv("0.005", "1", "1", 2, "0.01");
    assert_muldiv("-0.005", "1", "1", 2, "-0.01");
    assert_muldiv("0.0049999", "1", "1", 2, "0.00");
    assert_muldiv("-0.0049999", "1", "1", 2, "0.00");
    /* As a double 2.675 is 2.67499999..., which rounds to 2.67. */
    assert_muldiv("2.675", "1", "1", 2, "2.68");
    assert_muldiv("1.005", "1", "1", 2, "1.01");
    assert_muldiv("-2.675", "1", "1", 2, "-2.68");
    /* Negative operands: signs combine, the half still goes away from zero. */
    assert_muldiv("-1", "0.125", "1", 2, "-0.13");
    assert_muldiv("1", "0.125", "-1", 2, "-0.13");
    assert_muldiv("-1", "-0.125", "1", 2, "0.13");
    /* Rounding can also add decimals. */
    assert_muldiv("3", "1", "1", 2, "3.00");
}

static void add_sub_compare_with_negative_allowances(void **state)
{
    (void)state;
    decimal sum;
    assert_int_equal(decimal_add(dec("608.60"), dec("-25.5"), &sum), EDI_OK);
    assert_text(sum, "583.10");
    assert_int_equal(decimal_sub(sum, dec("600"), &sum), EDI_OK);
    assert_text(sum, "-16.90");
    assert_int_equal(decimal_add(sum, dec("16.9"), &sum), EDI_OK);
    assert_text(sum, "0.00");
    assert_int_equal(decimal_cmp(dec("12.5"), dec("12.50")), 0);
    assert_int_equal(decimal_cmp(dec("-0.01"), dec("0")), -1);
    assert_int_equal(decimal_cmp(dec("0.1"), dec("0.09")), 1);
    assert_int_equal(decimal_cmp(dec("-2"), dec("-1.999999999")), -1);
    assert_int_equal(decimal_cmp(dec("9223372036854775807"), dec("9.223372036")), 1);
}

static void overflow_is_reported_never_wrapped(void **state)
{
    (void)state;
    decimal out = { .units = 77, .scale = 0 };
    decimal max = dec("9223372036854775807");
    assert_int_equal(decimal_add(max, dec("1"), &out), EDI_E_LIMIT);
    assert_int_equal(decimal_sub(dec("-9223372036854775807"), dec("1"), &out), EDI_E_LIMIT);
    /* Widening to the other operand's scale overflows too. */
    assert_int_equal(decimal_add(max, dec("0.1"), &out), EDI_E_LIMIT);
    assert_int_equal(decimal_muldiv(max, dec("2"), DECIMAL_ONE, 0, &out), EDI_E_LIMIT);
    assert_int_equal(decimal_muldiv(max, max, DECIMAL_ONE, 9, &out), EDI_E_LIMIT);
    assert_int_equal(decimal_muldiv(dec("10"), DECIMAL_ONE, dec("0.000000001"), 9, &out),
                     EDI_E_LIMIT);
    assert_int_equal(out.units, 77);
    /* Large intermediates are fine when the result fits. */
    assert_int_equal(decimal_muldiv(max, max, max, 0, &out), EDI_OK);
    assert_text(out, "9223372036854775807");
    /* Division by zero and impossible requests are the caller's error. */
    assert_int_equal(decimal_muldiv(dec("1"), dec("1"), dec("0.00"), 2, &out), EDI_E_ARG);
    assert_int_equal(decimal_muldiv(dec("1"), dec("1"), DECIMAL_ONE, 10, &out), EDI_E_ARG);
    char small[5];
    assert_int_equal(decimal_format(dec("-12.5"), small, sizeof small), EDI_E_ARG);
    assert_int_equal(decimal_format(dec("-1.5"), small, sizeof small), EDI_OK);
    assert_string_equal(small, "-1.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_and_formats_exactly),
        cmocka_unit_test(refuses_what_is_not_a_decimal),
        cmocka_unit_test(line_amounts_with_a_price_basis),
        cmocka_unit_test(half_up_away_from_zero),
        cmocka_unit_test(add_sub_compare_with_negative_allowances),
        cmocka_unit_test(overflow_is_reported_never_wrapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

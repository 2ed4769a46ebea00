/* edi_strset: add reports new and repeated keys, survives growth, clears. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "edi_strset.h"

static void test_new_and_repeated(void **state)
{
    (void)state;
    edi_strset s = { 0 };
    assert_int_equal(edi_strset_add(&s, "M1\x1fORDERS"), 1);
    assert_int_equal(edi_strset_add(&s, "M2\x1fORDERS"), 1);
    assert_int_equal(edi_strset_add(&s, "M1\x1fORDERS"), 0);
    assert_int_equal(edi_strset_add(&s, "M1\x1fINVOIC"), 1);
    assert_int_equal(s.count, 3);
    edi_strset_clear(&s);
    assert_int_equal(s.count, 0);
    assert_int_equal(edi_strset_add(&s, "M1\x1fORDERS"), 1);
    edi_strset_free(&s);
}

static void test_growth_keeps_every_key(void **state)
{
    (void)state;
    edi_strset s = { 0 };
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "REF%d", i);
        assert_int_equal(edi_strset_add(&s, key), 1);
    }
    for (int i = 0; i < 20000; i += 7) {
        snprintf(key, sizeof key, "REF%d", i);
        assert_int_equal(edi_strset_add(&s, key), 0);
    }
    assert_int_equal(s.count, 20000);
    edi_strset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_repeated),
        cmocka_unit_test(test_growth_keeps_every_key),
    };
    return cmocka_run_group_tests_name("strset", tests, NULL, NULL);
}

/* test-heapbits.c - unit tests of goruntime/heapbits.c: span slot counts, the regime-A tail
 * bitmap, GC mask tiling. Expected values are the runtime's (mheap.initSpan, verified in
 * go-runtime-internals.md §1.5/§2.2) or listed by hand from the definition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "goruntime/heapbits.h"

static void test_nelems(void **state)
{
	(void)state;
	/* Without Green Tea: 128 bytes of heap bits in small scan spans. */
	assert_int_equal(gr_span_expected_nelems(32, 1, true, false), 252);
	assert_int_equal(gr_span_expected_nelems(32, 1, false, false), 256);
	/* Green Tea: + 128 bytes of inline marks for 16..512-byte classes. */
	assert_int_equal(gr_span_expected_nelems(32, 1, true, true), 248);
	assert_int_equal(gr_span_expected_nelems(16, 1, false, true), 504);
	assert_int_equal(gr_span_expected_nelems(8, 1, true, true), 1008);
	assert_int_equal(gr_span_expected_nelems(8, 1, false, true), 1024);
	/* Header classes have no tail. */
	assert_int_equal(gr_span_expected_nelems(1024, 1, true, true), 8);
	assert_int_equal(gr_span_expected_nelems(6144, 3, true, true), 4);
	assert_int_equal(gr_span_expected_nelems(0, 1, true, true), 0);
}

static void test_allocated(void **state)
{
	(void)state;
	const uint8_t bits[2] = { 0x81, 0x02 };   /* slots 0, 7, 9 */
	bool want[16] = { 0 };
	want[0] = want[7] = want[9] = true;
	for (uint32_t j = 0; j < 16; j++)
		assert_int_equal(gr_slot_allocated(bits, 0, j), want[j]);
	/* Everything below freeindex counts, whatever the bits say. */
	for (uint32_t j = 0; j < 16; j++)
		assert_int_equal(gr_slot_allocated(bits, 5, j), j < 5 || want[j]);
}

static void test_range(void **state)
{
	(void)state;
	uint64_t a, l;
	gr_heapbits_range(0x10000, 1, false, &a, &l);
	assert_int_equal(a, 0x10000 + 8064);
	assert_int_equal(l, 128);
	gr_heapbits_range(0x10000, 1, true, &a, &l);
	assert_int_equal(a, 0x10000 + 7936);
	assert_int_equal(l, 128);
}

typedef struct offs { uint64_t v[64]; int n; } offs;
static void collect(void *user, uint64_t off)
{
	offs *o = user;
	assert_true(o->n < 64);
	o->v[o->n++] = off;
}

static void test_object_bits(void **state)
{
	(void)state;
	/* 32-byte objects {Next *Node; Val int; Name string}: pattern 0b0101 per slot. */
	uint8_t bits[128] = { 0 };
	for (int j = 0; j < 248; j++) {
		int w = j * 4;
		bits[w / 8] |= 1u << (w % 8);
		bits[(w + 2) / 8] |= 1u << ((w + 2) % 8);
	}
	for (int j = 0; j < 248; j += 37) {
		offs o = { .n = 0 };
		assert_true(gr_heapbits_object(bits, sizeof bits, (uint64_t)j * 32, 32, collect, &o));
		assert_int_equal(o.n, 2);
		assert_int_equal(o.v[0], 0);
		assert_int_equal(o.v[1], 16);
	}
	/* An object past what the bitmap covers is refused. */
	offs o = { .n = 0 };
	assert_false(gr_heapbits_object(bits, 16, 200 * 32, 32, collect, &o));
}

static void test_tile(void **state)
{
	(void)state;
	/* Element {p *T; x int; q *T; y int}: mask 0b101 (PtrBytes 24), Size_ 32, over 100 bytes:
	 * elements at 0, 32, 64, 96; the last has room for one word only (96..104 > 100). */
	const uint8_t mask[1] = { 0x05 };
	offs o = { .n = 0 };
	assert_true(gr_mask_tile(mask, 3, 32, 100, collect, &o, NULL));
	const uint64_t want[] = { 0, 16, 32, 48, 64, 80 };
	assert_int_equal(o.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(o.v[i], want[i]);

	GError *err = NULL;
	assert_false(gr_mask_tile(mask, 3, 0, 100, collect, &o, &err));
	assert_non_null(err);
	g_clear_error(&err);
	assert_false(gr_mask_tile(mask, 5, 32, 100, collect, &o, &err));  /* 5 words > 32 bytes */
	g_clear_error(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nelems),
		cmocka_unit_test(test_allocated),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_object_bits),
		cmocka_unit_test(test_tile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

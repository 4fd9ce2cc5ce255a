/* test-objects.c - the object index (objects.c) over hand-built spans: which slots are
 * objects, and which addresses resolve to which object (interior pointers, free slots, span
 * tails, gaps), checked against a brute-force scan of the same spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "goruntime/objects.h"

static void test_index(void **state)
{
	(void)state;
	gr_spans ss = { 0 };
	gr_span v[3] = { 0 };
	/* 32-byte scan span, 248 slots: slots 0..9 below freeindex, 20 and 247 by bits. */
	v[0] = (gr_span){ .start = 0x200000, .npages = 1, .elemsize = 32, .nelems = 248, .spanclass = 5 << 1 };
	/* 1024-byte header span, 8 slots: slots 1 and 6. */
	v[1] = (gr_span){ .start = 0x204000, .npages = 1, .elemsize = 1024, .nelems = 8, .spanclass = 33 << 1 };
	/* A large object of 5 pages. */
	v[2] = (gr_span){ .start = 0x300000, .npages = 5, .elemsize = 5 * 8192, .nelems = 1, .spanclass = 0 };
	for (int i = 0; i < 3; i++)
		v[i].limit = v[i].start + v[i].elemsize * v[i].nelems;
	/* Each span has two bitmaps (allocated, published); only the first matters here. */
	uint8_t bits[2 * (31 + 1 + 1)] = { 0 };
	v[0].bits_off = 0;
	v[1].bits_off = 62;
	v[2].bits_off = 64;
	for (int j = 0; j < 10; j++)
		bits[j / 8] |= 1u << (j % 8);
	bits[20 / 8] |= 1u << (20 % 8);
	bits[247 / 8] |= 1u << (247 % 8);
	bits[62] = (1u << 1) | (1u << 6);
	bits[64] = 1;
	ss.v = v;
	ss.n = 3;
	ss.bits = bits;

	gr_objects o;
	assert_true(gr_objects_build(&ss, &o, NULL));
	assert_int_equal(o.n, 10 + 2 + 2 + 1);
	assert_int_equal(o.slot_bytes, 12 * 32 + 2 * 1024 + 5 * 8192);
	for (size_t k = 1; k < o.n; k++)
		assert_true(o.slot[k] > o.slot[k - 1]);

	/* Brute force: every 8th address of each span and around it. */
	for (int i = 0; i < 3; i++) {
		for (uint64_t a = v[i].start - 64; a < v[i].start + v[i].npages * 8192 + 64; a += 8) {
			uint32_t want = GR_NO_OBJECT;
			for (size_t k = 0; k < o.n; k++) {
				const gr_span *s = &v[o.span[k]];
				if (a >= o.slot[k] && a < o.slot[k] + s->elemsize)
					want = (uint32_t)k;
			}
			assert_int_equal(gr_objects_find(&o, &ss, a), want);
		}
	}
	assert_int_equal(gr_objects_find(&o, &ss, 0x200000 + 20 * 32 + 31), 10);
	assert_int_equal(gr_objects_find(&o, &ss, 0x200000 + 21 * 32), GR_NO_OBJECT);
	assert_int_equal(gr_objects_find(&o, &ss, v[0].limit + 8), GR_NO_OBJECT);   /* span tail */
	assert_int_equal(gr_objects_find(&o, &ss, 0x300000 + 40000), 14);          /* interior */
	assert_int_equal(gr_objects_find(&o, &ss, 0), GR_NO_OBJECT);
	assert_int_equal(v[1].first_object, 12);
	gr_objects_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

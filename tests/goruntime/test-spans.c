/* test-spans.c - reading spans (spans.c) from a synthetic runtime: mheap_.allspans with an
 * in-use span, a span caught mid-sweep, a manual (stack) span and a large span. The expected
 * slot sets follow mspan.isFree and the sweep rules (go-runtime-internals.md §1.5, §1.6),
 * worked out by hand below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "goruntime/spans.h"

#define BASE 0x500000ull
static uint8_t mem[1u << 16];

static gboolean mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr + len > BASE + sizeof mem)
		return FALSE;
	memcpy(buf, mem + (addr - BASE), len);
	return TRUE;
}
static const gr_mem M = { mem_read, NULL };

static void put(uint64_t addr, const void *v, size_t n) { memcpy(mem + (addr - BASE), v, n); }
static void put64(uint64_t addr, uint64_t v) { put(addr, &v, 8); }
static void put32(uint64_t addr, uint32_t v) { put(addr, &v, 4); }
static void put16(uint64_t addr, uint16_t v) { put(addr, &v, 2); }

/* The mspan layout of Go 1.26 (offsets as DWARF gives them). */
static gr_layout layout(void)
{
	gr_layout L = { 0 };
	L.mheap = BASE;
	L.mheap_sweepgen = 0;
	L.mheap_allspans = 8;
	L.span_size = 160;
	L.span_start = 24; L.span_npages = 32; L.span_freeindex = 48; L.span_nelems = 50;
	L.span_freeindexforscan = 52; L.span_allocbits = 64; L.span_gcmarkbits = 72;
	L.span_sweepgen = 88; L.span_spanclass = 98; L.span_state = 99; L.span_elemsize = 104;
	L.span_limit = 112; L.span_specials = 128; L.span_largetype = 152;
	L.span_in_use = 1;
	return L;
}

static void span(uint64_t at, uint64_t start, uint64_t npages, uint64_t elemsize, uint16_t nelems,
                 uint16_t freeindex, uint16_t fifs, uint64_t allocbits, uint64_t markbits, uint32_t sg,
                 uint8_t spanclass, uint8_t state, uint64_t limit)
{
	put64(at + 24, start);
	put64(at + 32, npages);
	put16(at + 48, freeindex);
	put16(at + 50, nelems);
	put16(at + 52, fifs);
	put64(at + 64, allocbits);
	put64(at + 72, markbits);
	put32(at + 88, sg);
	mem[at - BASE + 98] = spanclass;
	mem[at - BASE + 99] = state;
	put64(at + 104, elemsize);
	put64(at + 112, limit);
}

static void test_read(void **state)
{
	(void)state;
	memset(mem, 0, sizeof mem);
	gr_layout L = layout();
	const uint32_t h = 10;  /* mheap_.sweepgen */
	put32(BASE, h);
	uint64_t arr = BASE + 0x100;
	put64(BASE + 8, arr);
	put64(BASE + 16, 4);
	uint64_t ms[4] = { BASE + 0x200, BASE + 0x300, BASE + 0x400, BASE + 0x500 };
	for (int i = 0; i < 4; i++)
		put64(arr + 8 * i, ms[i]);
	uint64_t ab = BASE + 0x1000, mb = BASE + 0x2000;

	/* A: 32-byte scan span (class 5), 248 slots, swept (sg h): freeindex 3, freeIndexForScan 2,
	 * allocBits {1, 5, 247}. Allocated = {0,1,2,5,247}; published = {0,1,5,247}. */
	span(ms[0], 0x10000000, 1, 32, 248, 3, 2, ab, mb, h, 5 << 1, 1, 0x10000000 + 248 * 32);
	mem[ab - BASE + 0] = 0x22;                /* slots 1, 5 */
	mem[ab - BASE + 30] = 0x80;               /* slot 247 */
	mem[ab - BASE + 31] = 0xff;               /* past nelems: ignored */
	/* B: caught mid-sweep (sg h-1) with freeindex 0: allocBits {0}, gcmarkBits {2, 3}.
	 * Allocated = {0, 2, 3}. */
	span(ms[1], 0x10002000, 1, 1024, 8, 0, 0, ab + 64, mb + 64, h - 1, 33 << 1, 1, 0x10002000 + 8 * 1024);
	mem[ab - BASE + 64] = 0x01;
	mem[mb - BASE + 64] = 0x0c;
	/* C: a stack span: not heap. */
	span(ms[2], 0x10004000, 4, 0, 0, 0, 0, 0, 0, h, 0, 2, 0);
	/* D: a large object, 3 pages, requested 20000 bytes. */
	span(ms[3], 0x10008000, 3, 3 * 8192, 1, 1, 1, ab + 128, mb + 128, h, 0, 1, 0x10008000 + 20000);

	gr_spans ss;
	GError *err = NULL;
	assert_true(gr_spans_read(&M, &L, &ss, &err));
	assert_null(err);
	assert_int_equal(ss.n, 3);
	assert_int_equal(ss.n_all, 4);
	assert_int_equal(ss.n_mid_sweep, 1);
	/* Without Green Tea a 32-byte scan span has 252 slots, not 248: A is flagged. */
	assert_int_equal(ss.n_odd_nelems, 1);
	assert_int_equal(ss.v[0].start, 0x10000000);
	assert_int_equal(ss.v[1].start, 0x10002000);
	assert_int_equal(ss.v[2].start, 0x10008000);

	const gr_span *a = &ss.v[0];
	for (uint32_t j = 0; j < 248; j++) {
		bool alloc = j <= 2 || j == 5 || j == 247;
		bool pub = j <= 1 || j == 5 || j == 247;
		assert_int_equal(gr_spans_allocated(&ss, a, j), alloc);
		if (alloc)
			assert_int_equal(gr_spans_published(&ss, a, j), pub);
	}
	const gr_span *b = &ss.v[1];
	for (uint32_t j = 0; j < 8; j++)
		assert_int_equal(gr_spans_allocated(&ss, b, j), j == 0 || j == 2 || j == 3);
	assert_true(b->mid_sweep);
	assert_true(gr_spans_allocated(&ss, &ss.v[2], 0));

	/* Lookups use [start, limit): the large span ends at the requested size. */
	assert_ptr_equal(gr_spans_find(&ss, 0x10008000 + 19999), &ss.v[2]);
	assert_null(gr_spans_find(&ss, 0x10008000 + 20000));
	assert_null(gr_spans_find(&ss, 0x10004000));  /* the stack span */
	gr_spans_clear(&ss);

	/* An impossible span (slots past its pages) is refused with its address. */
	put16(ms[0] + 50, 300);
	assert_false(gr_spans_read(&M, &L, &ss, &err));
	assert_non_null(err);
	assert_non_null(strstr(err->message, "0x500200"));
	g_clear_error(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-gcmask.c - building GC masks from synthetic type descriptors (heapbits.c,
 * gr_gcmask_build), checked against masks computed by brute force from the same type tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "goruntime/heapbits.h"

/* Synthetic target memory: one zeroed buffer at BASE. */
#define BASE 0x100000ull
#define MEM_BYTES (1u << 16)
static uint8_t mem[MEM_BYTES];
static uint64_t brk_addr;

static gboolean mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr + len > BASE + MEM_BYTES)
		return FALSE;
	memcpy(buf, mem + (addr - BASE), len);
	return TRUE;
}
static const gr_mem M = { mem_read, NULL };

/* The 1.26 internal/abi layout (from DWARF; any consistent layout would do). */
static const gr_abi_layout A = {
	.type_size = 48, .off_size = 0, .off_ptrbytes = 8, .off_tflag = 20, .off_kind = 23,
	.off_gcdata = 32, .off_str = 40, .off_array_elem = 48, .off_array_len = 64,
	.off_struct_fields = 56, .field_size = 24, .off_field_typ = 8, .off_field_offset = 16,
	.tflag_ondemand = 0x10, .tflag_extrastar = 0x02, .kind_mask = 0x1f,
	.kind_array = 17, .kind_struct = 25,
};

static uint64_t alloc(uint64_t n)
{
	uint64_t a = brk_addr;
	brk_addr += (n + 7) & ~7ull;
	assert_true(brk_addr <= BASE + MEM_BYTES);
	return a;
}
static void put64(uint64_t addr, uint64_t v) { memcpy(mem + (addr - BASE), &v, 8); }

static uint64_t type_new(uint64_t extra, uint64_t size, uint64_t ptrbytes, uint8_t tflag, uint8_t kind,
                         uint64_t gcdata)
{
	uint64_t t = alloc(48 + extra);
	put64(t + 0, size);
	put64(t + 8, ptrbytes);
	mem[t - BASE + 20] = tflag;
	mem[t - BASE + 23] = kind;
	put64(t + 32, gcdata);
	return t;
}

/* A type with a plain mask given as a bit string ("0101" = words 1 and 3). */
static uint64_t type_masked(uint64_t size, const char *bits)
{
	size_t n = strlen(bits);
	uint64_t m = alloc(n / 8 + 1);
	uint64_t last = 0;
	for (size_t i = 0; i < n; i++)
		if (bits[i] == '1') {
			mem[m - BASE + i / 8] |= 1u << (i % 8);
			last = i + 1;
		}
	return type_new(0, size, last * 8, 0, 25, m);
}

static uint64_t type_array_ondemand(uint64_t elem, uint64_t elem_size, uint64_t elem_ptrbytes, uint64_t len)
{
	uint64_t t = type_new(24, elem_size * len, elem_size * (len - 1) + elem_ptrbytes, 0x10, 17, 0);
	put64(t + 48, elem);
	put64(t + 64, len);
	return t;
}

static void reset(void)
{
	memset(mem, 0, sizeof mem);
	brk_addr = BASE;
}

static void test_plain(void **state)
{
	(void)state;
	reset();
	uint64_t t = type_masked(40, "01001");
	uint64_t nbits;
	guint8 *m = gr_gcmask_build(&M, &A, t, &nbits, NULL);
	assert_non_null(m);
	assert_int_equal(nbits, 5);
	assert_int_equal(m[0], 0x12);
	g_free(m);
}

static void test_array_and_struct(void **state)
{
	(void)state;
	reset();
	/* S = struct{a int; p *X; b [2]int; q *X}: 40 bytes, pointers at words 1 and 4. */
	uint64_t s = type_masked(40, "01001");
	/* A = [50000]S, on demand. */
	const uint64_t n = 50000;
	uint64_t arr = type_array_ondemand(s, 40, 40, n);
	/* B = struct{x int; big A; y *X}, on demand; x has a pointer-free type. */
	uint64_t intt = type_new(0, 8, 0, 0, 2, 0);
	uint64_t ptr = type_masked(8, "1");
	uint64_t fields = alloc(3 * 24);
	put64(fields + 0 * 24 + 8, intt);  put64(fields + 0 * 24 + 16, 0);
	put64(fields + 1 * 24 + 8, arr);   put64(fields + 1 * 24 + 16, 8);
	put64(fields + 2 * 24 + 8, ptr);   put64(fields + 2 * 24 + 16, 8 + 40 * n);
	uint64_t bsize = 8 + 40 * n + 8;
	uint64_t b = type_new(32, bsize, bsize, 0x10, 25, 0);
	put64(b + 56, fields);
	put64(b + 64, 3);

	uint64_t nbits;
	guint8 *m = gr_gcmask_build(&M, &A, b, &nbits, NULL);
	assert_non_null(m);
	assert_int_equal(nbits, bsize / 8);
	/* Brute force: word w is a pointer iff it is word 1 or 4 of an element of big (which
	 * starts at word 1), or the last word. */
	for (uint64_t w = 0; w < nbits; w++) {
		bool want = w == nbits - 1 || (w >= 1 && w < 1 + 5 * n && ((w - 1) % 5 == 1 || (w - 1) % 5 == 4));
		assert_int_equal((m[w / 8] >> (w % 8)) & 1, want);
	}
	g_free(m);

	/* The array alone. */
	m = gr_gcmask_build(&M, &A, arr, &nbits, NULL);
	assert_non_null(m);
	assert_int_equal(nbits, (40 * (n - 1) + 40) / 8);
	for (uint64_t w = 0; w < nbits; w++)
		assert_int_equal((m[w / 8] >> (w % 8)) & 1, w % 5 == 1 || w % 5 == 4);
	g_free(m);
}

static void test_corrupt(void **state)
{
	(void)state;
	reset();
	/* An on-demand struct whose only field is itself: must fail, not loop. */
	uint64_t fields = alloc(24);
	uint64_t t = type_new(32, 64, 64, 0x10, 25, 0);
	put64(fields + 8, t);
	put64(fields + 16, 0);
	put64(t + 56, fields);
	put64(t + 64, 1);
	GError *err = NULL;
	uint64_t nbits;
	assert_null(gr_gcmask_build(&M, &A, t, &nbits, &err));
	assert_non_null(err);
	g_clear_error(&err);

	/* An on-demand pointer type (only arrays and structs can be). */
	uint64_t p = type_new(0, 8, 8, 0x10, 22, 0);
	assert_null(gr_gcmask_build(&M, &A, p, &nbits, &err));
	assert_non_null(err);
	g_clear_error(&err);

	/* A type descriptor outside memory. */
	assert_null(gr_gcmask_build(&M, &A, 0x10, &nbits, &err));
	assert_int_equal(err->code, GR_ERROR_READ);
	g_clear_error(&err);

	/* PtrBytes > Size_. */
	uint64_t bad = type_new(0, 8, 16, 0, 25, 0);
	assert_null(gr_gcmask_build(&M, &A, bad, &nbits, &err));
	assert_int_equal(err->code, GR_ERROR_CORRUPT);
	g_clear_error(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_array_and_struct),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

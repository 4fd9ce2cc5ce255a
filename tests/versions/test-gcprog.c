/* test-gcprog.c - the GC program interpreter (gcprog.c) and its use for Go 1.22/1.23 types
 * with KindGCProg (heapbits.c gr_gcmask_build).
 *
 * The oracle is brute force: each test builds the expected bit string directly (a pattern
 * written out count times), and separately encodes it as a program with the encoding the Go
 * linker and compiler use (cmd/internal/gcprog: literals of up to 127 bits, repeats with the
 * count as a uvarint, long repeats with the length as a uvarint too). One program comes from
 * the Go 1.22 compiler itself. Malformed programs must fail with an error, never write outside
 * the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "goruntime/gcprog.h"
#include "goruntime/heapbits.h"

/* A program under construction, and the bits it must produce. */
typedef struct prog {
	GByteArray *code;
	GArray *want;      /* gboolean per bit */
} prog;

static prog prog_new(void)
{
	prog p = { g_byte_array_new(), g_array_new(FALSE, FALSE, sizeof(gboolean)) };
	return p;
}

static void prog_free(prog *p)
{
	g_byte_array_free(p->code, TRUE);
	g_array_free(p->want, TRUE);
}

static void put_uvarint(GByteArray *b, uint64_t v)
{
	while (v >= 0x80) {
		guint8 x = (guint8)(v | 0x80);
		g_byte_array_append(b, &x, 1);
		v >>= 7;
	}
	guint8 x = (guint8)v;
	g_byte_array_append(b, &x, 1);
}

/* Emits the literal bits of `bits` ("0110"), at most 127 of them. */
static void literal(prog *p, const char *bits)
{
	size_t n = strlen(bits);
	assert_true(n > 0 && n <= 127);
	guint8 op = (guint8)n, bytes[16] = { 0 };
	for (size_t i = 0; i < n; i++) {
		gboolean one = bits[i] == '1';
		if (one)
			bytes[i / 8] |= (guint8)(1u << (i % 8));
		g_array_append_val(p->want, one);
	}
	g_byte_array_append(p->code, &op, 1);
	g_byte_array_append(p->code, bytes, (guint)((n + 7) / 8));
}

/* Repeats the last n emitted bits count more times. */
static void repeat(prog *p, uint64_t n, uint64_t count)
{
	if (n < 128) {
		guint8 op = (guint8)(0x80 | n);
		g_byte_array_append(p->code, &op, 1);
	} else {
		guint8 op = 0x80;
		g_byte_array_append(p->code, &op, 1);
		put_uvarint(p->code, n);
	}
	put_uvarint(p->code, count);
	guint base = p->want->len;
	for (uint64_t c = 0; c < count; c++)
		for (uint64_t i = 0; i < n; i++) {
			gboolean b = g_array_index(p->want, gboolean, base - n + i);
			g_array_append_val(p->want, b);
		}
}

static void stop(prog *p)
{
	guint8 op = 0;
	g_byte_array_append(p->code, &op, 1);
}

/* Runs p at bit offset `at` of a fresh output and compares every bit of the output. */
static void check_prog(prog *p, uint64_t at)
{
	uint64_t nbits = at + p->want->len;
	guint8 *out = g_malloc0(nbits / 8 + 1);
	GError *err = NULL;
	uint64_t emitted = 0;
	assert_true(gr_gcprog_run(p->code->data, p->code->len, out, at, p->want->len, &emitted, &err));
	assert_null(err);
	assert_int_equal(emitted, p->want->len);
	for (uint64_t i = 0; i < nbits; i++) {
		gboolean want = i >= at && g_array_index(p->want, gboolean, i - at);
		assert_int_equal((out[i / 8] >> (i % 8)) & 1, want);
	}
	for (uint64_t i = nbits; i < (nbits / 8 + 1) * 8; i++)
		assert_int_equal((out[i / 8] >> (i % 8)) & 1, 0);
	g_free(out);
}

/* "[20000]*T": one pointer bit repeated, as the compiler writes it. */
static void test_pointer_array(void **state)
{
	(void)state;
	prog p = prog_new();
	literal(&p, "1");
	repeat(&p, 1, 19999);
	stop(&p);
	check_prog(&p, 0);
	check_prog(&p, 13);
	prog_free(&p);
}

/* struct { a *T; b [3000]struct{ x int; y *T; z string }; c *T } and friends: literals
 * around repeats of patterns shorter and longer than a byte, and a long (varint) repeat. */
static void test_mixed(void **state)
{
	(void)state;
	prog p = prog_new();
	literal(&p, "1");
	literal(&p, "0101");
	repeat(&p, 4, 2999);
	literal(&p, "1");
	literal(&p, "1000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000011");
	literal(&p, "0110100111");
	repeat(&p, 137, 40);
	literal(&p, "001");
	repeat(&p, 3, 0);
	stop(&p);
	check_prog(&p, 0);
	check_prog(&p, 7);
	prog_free(&p);
}

/* Randomized programs against the brute-force expansion. */
static void test_random(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(22);
	for (int round = 0; round < 200; round++) {
		prog p = prog_new();
		int ops = g_rand_int_range(r, 1, 12);
		for (int k = 0; k < ops; k++) {
			if (p.want->len == 0 || g_rand_boolean(r)) {
				char bits[128];
				int n = g_rand_int_range(r, 1, 128);
				for (int i = 0; i < n; i++)
					bits[i] = g_rand_boolean(r) ? '1' : '0';
				bits[n] = 0;
				literal(&p, bits);
			} else {
				uint64_t n = (uint64_t)g_rand_int_range(r, 1, (gint32)MIN(p.want->len, 300u) + 1);
				repeat(&p, n, (uint64_t)g_rand_int_range(r, 0, 50));
			}
		}
		stop(&p);
		check_prog(&p, (uint64_t)g_rand_int_range(r, 0, 64));
		prog_free(&p);
	}
	g_rand_free(r);
}

/* A program the Go 1.22.12 compiler emitted (GCData of this type, read from the executable):
 *   type inner struct { x int; y *int; z string }
 *   type P struct { a *int; b [3]int; c [9000]inner; d map[int]int;
 *                   e [5000]struct{ p *int; q [3]int }; f []byte }
 * The expected mask is laid out here from the Go struct layout rules, word by word. */
static void test_compiler_program(void **state)
{
	(void)state;
	static const guint8 code[] = { 0x08, 0x61, 0x84, 0xa7, 0x46, 0x05, 0x03, 0x84, 0x87, 0x27,
	                               0x01, 0x01, 0x00 };
	GArray *want = g_array_new(FALSE, FALSE, sizeof(gboolean));
	const gboolean T = TRUE, F = FALSE;
	g_array_append_val(want, T);                         /* a */
	for (int i = 0; i < 3; i++)
		g_array_append_val(want, F);                 /* b */
	for (int i = 0; i < 9000; i++) {                     /* c[i]: x, y, z.ptr, z.len */
		g_array_append_val(want, F);
		g_array_append_val(want, T);
		g_array_append_val(want, T);
		g_array_append_val(want, F);
	}
	g_array_append_val(want, T);                         /* d */
	for (int i = 0; i < 5000; i++) {                     /* e[i]: p, q[3] */
		g_array_append_val(want, T);
		for (int k = 0; k < 3; k++)
			g_array_append_val(want, F);
	}
	g_array_append_val(want, T);                         /* f.ptr: PtrBytes ends here */
	guint8 *out = g_malloc0(want->len / 8 + 1);
	uint64_t emitted = 0;
	GError *err = NULL;
	assert_true(gr_gcprog_run(code, sizeof code, out, 0, want->len, &emitted, &err));
	assert_int_equal(emitted, want->len);
	for (guint i = 0; i < want->len; i++)
		assert_int_equal((out[i / 8] >> (i % 8)) & 1, g_array_index(want, gboolean, i));
	g_free(out);
	g_array_free(want, TRUE);
}

/* Runs a malformed program: it must fail with a GR_ERROR_CORRUPT error. */
static void expect_corrupt(const guint8 *code, size_t len, uint64_t max_bits)
{
	guint8 out[64] = { 0 };
	GError *err = NULL;
	assert_true(max_bits <= 8 * sizeof out);
	assert_false(gr_gcprog_run(code, len, out, 0, max_bits, NULL, &err));
	assert_non_null(err);
	assert_true(g_error_matches(err, GR_ERROR, GR_ERROR_CORRUPT));
	g_error_free(err);
}

static void test_malformed(void **state)
{
	(void)state;
	const guint8 no_stop[] = { 0x02, 0x03 };
	expect_corrupt(no_stop, sizeof no_stop, 64);
	const guint8 literal_past_end[] = { 0x7f, 0xff };
	expect_corrupt(literal_past_end, sizeof literal_past_end, 256);
	const guint8 repeat_first[] = { 0x81, 0x05, 0x00 };
	expect_corrupt(repeat_first, sizeof repeat_first, 64);
	const guint8 repeat_too_long[] = { 0x02, 0x03, 0x83, 0x01, 0x00 };
	expect_corrupt(repeat_too_long, sizeof repeat_too_long, 64);
	const guint8 too_many_bits[] = { 0x01, 0x01, 0x81, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00 };
	expect_corrupt(too_many_bits, sizeof too_many_bits, 64);
	const guint8 literal_too_many[] = { 0x10, 0xff, 0xff, 0x00 };
	expect_corrupt(literal_too_many, sizeof literal_too_many, 8);
	const guint8 truncated_varint[] = { 0x01, 0x01, 0x80, 0x81 };
	expect_corrupt(truncated_varint, sizeof truncated_varint, 64);
	const guint8 zero_length_repeat[] = { 0x01, 0x01, 0x80, 0x00, 0x05, 0x00 };
	expect_corrupt(zero_length_repeat, sizeof zero_length_repeat, 64);
	const guint8 huge_count[] = { 0x01, 0x01, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                              0xff, 0x01, 0x00 };
	expect_corrupt(huge_count, sizeof huge_count, 64);
}

/* A Go 1.22 type whose Kind_ has KindGCProg: gr_gcmask_build runs its program (4-byte
 * length, then the program) instead of reading GCData as a mask. */
#define BASE 0x200000ull
static guint8 mem[4096];
static gboolean mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BASE || addr + len > BASE + sizeof mem)
		return FALSE;
	memcpy(buf, mem + (addr - BASE), len);
	return TRUE;
}

static void test_type_with_program(void **state)
{
	(void)state;
	/* The 1.22 internal/abi layout (DWARF of a go1.22.12 binary). */
	const gr_abi_layout A = {
		.type_size = 48, .off_size = 0, .off_ptrbytes = 8, .off_tflag = 20, .off_kind = 23,
		.off_gcdata = 32, .off_str = 40, .off_array_elem = 48, .off_array_len = 64,
		.off_struct_fields = 56, .field_size = 24, .off_field_typ = 8, .off_field_offset = 16,
		.tflag_ondemand = 0, .kind_gcprog = 0x40, .tflag_unrolled = 0x10, .tflag_extrastar = 0x02,
		.kind_mask = 0x1f, .kind_array = 17, .kind_struct = 25,
	};
	const gr_mem M = { mem_read, NULL };
	prog p = prog_new();
	literal(&p, "1");
	literal(&p, "01");
	repeat(&p, 2, 20000);
	literal(&p, "1");
	stop(&p);
	uint64_t nbits = p.want->len, size = 8 * (nbits + 5), gcdata = BASE + 64;
	memset(mem, 0, sizeof mem);
	memcpy(mem + 0, &size, 8);
	uint64_t ptrbytes = 8 * nbits;
	memcpy(mem + 8, &ptrbytes, 8);
	mem[23] = 25 | 0x40;
	memcpy(mem + 32, &gcdata, 8);
	uint32_t len = p.code->len;
	memcpy(mem + 64, &len, 4);
	memcpy(mem + 68, p.code->data, p.code->len);

	uint64_t got_bits = 0;
	GError *err = NULL;
	guint8 *mask = gr_gcmask_build(&M, &A, BASE, &got_bits, &err);
	assert_non_null(mask);
	assert_int_equal(got_bits, nbits);
	for (uint64_t i = 0; i < nbits; i++)
		assert_int_equal((mask[i / 8] >> (i % 8)) & 1, g_array_index(p.want, gboolean, i));
	g_free(mask);

	/* A program that claims more bits than PtrBytes is rejected, not run past the mask. */
	ptrbytes = 8 * (nbits - 1);
	memcpy(mem + 8, &ptrbytes, 8);
	assert_null(gr_gcmask_build(&M, &A, BASE, &got_bits, &err));
	assert_true(g_error_matches(err, GR_ERROR, GR_ERROR_CORRUPT));
	g_clear_error(&err);
	prog_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointer_array),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_compiler_program),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_type_with_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-allocsites.c - the allocation-site records (format 1.2): ALLOC_FRAMES, ALLOC_STACKS,
 * ALLOC_SAMPLES and the longer END.
 *
 * Round trip through the writer and reader; files built byte by byte from docs/format.md
 * (testutil.h) for what the reader must accept and refuse; every truncation of a written file
 * opens in partial mode with only consistent records; writer misuse is refused.
 */
#include "testutil.h"

/* A spec-built file: 2 strings, 2 objects, 2 frames, 1 stack of both, and samples. Knobs
 * break one thing each. */
typedef struct knobs {
	uint32_t stack_first, stack_n;
	uint32_t s0_obj, s1_obj, s1_stack;
	int short_end;          /* write the 88-byte 1.1 END */
	uint64_t end_samples;   /* END's sample total */
	int samples_first;      /* put the samples chunk before the stacks chunk */
} knobs;

static const knobs good = { 0, 2, 0, 1, 0, 0, 2, 0 };

static raw build(const knobs *k)
{
	raw r = { 0 };
	raw_header(&r, 1, 0, 32, 8, 0);
	raw_chunk(&r, 2); /* STRINGS */
	raw_u32(&r, 1);
	raw_u32(&r, 2);
	raw_u32(&r, 9);
	raw_bytes(&r, "main.make", 9);
	raw_u32(&r, 7);
	raw_bytes(&r, "/a/x.go", 7);
	raw_end_chunk(&r);
	raw_chunk(&r, 4); /* OBJECTS */
	raw_u64(&r, 0);
	raw_u64(&r, 2);
	for (int i = 0; i < 2; i++) {
		raw_u64(&r, 0x1000 + 0x100 * (uint64_t)i);
		raw_u64(&r, 64);
		raw_u32(&r, 0);
		raw_u32(&r, 0);
	}
	raw_end_chunk(&r);
	raw_chunk(&r, 12); /* ALLOC_FRAMES */
	raw_u64(&r, 0);
	raw_u64(&r, 2);
	for (int i = 0; i < 2; i++) {
		raw_u64(&r, 0x401000 + (uint64_t)i);
		raw_u32(&r, 1);
		raw_u32(&r, 2);
		raw_u32(&r, 41 + (uint32_t)i);
		raw_u32(&r, 0);
	}
	raw_end_chunk(&r);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == k->samples_first) {
			raw_chunk(&r, 13); /* ALLOC_STACKS */
			raw_u64(&r, 0);
			raw_u64(&r, 1);
			raw_u64(&r, 64);
			raw_u32(&r, k->stack_first);
			raw_u32(&r, k->stack_n);
			raw_end_chunk(&r);
		} else {
			raw_chunk(&r, 14); /* ALLOC_SAMPLES */
			raw_u64(&r, 0);
			raw_u64(&r, 2);
			raw_u32(&r, k->s0_obj);
			raw_u32(&r, 0);
			raw_u32(&r, k->s1_obj);
			raw_u32(&r, k->s1_stack);
			raw_end_chunk(&r);
		}
	}
	raw_chunk(&r, 11);
	uint64_t totals[14] = { 5, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 1, k->end_samples };
	for (int i = 0; i < (k->short_end ? 11 : 14); i++)
		raw_u64(&r, totals[i]);
	raw_end_chunk(&r);
	return r;
}

static void test_spec_file(void **state)
{
	(void)state;
	hwd_reader *rd;
	hwd_error err;
	raw r = build(&good);
	assert_int_equal(hwd_reader_open_memory(r.b, r.len, HWD_OPEN_STRICT, &rd, &err), 0);
	assert_int_equal(hwd_reader_alloc_frame_count(rd), 2);
	assert_int_equal(hwd_reader_alloc_stack_count(rd), 1);
	assert_int_equal(hwd_reader_alloc_sample_count(rd), 2);
	hwd_alloc_frame f = hwd_reader_alloc_frame(rd, 1);
	assert_int_equal(f.pc, 0x401001);
	assert_int_equal(f.line, 42);
	uint32_t len;
	const char *s = hwd_reader_string(rd, f.file, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(s, "/a/x.go", 7);
	hwd_alloc_stack st = hwd_reader_alloc_stack(rd, 0);
	assert_int_equal(st.size, 64);
	assert_int_equal(st.nframes, 2);
	uint64_t first;
	assert_int_equal(hwd_reader_alloc_samples_of(rd, 1, &first), 1);
	assert_int_equal(first, 1);
	assert_false(hwd_reader_damage(rd)->partial);
	hwd_reader_close(rd);
	assert_int_equal(hwd_check_memory(r.b, r.len, NULL, NULL, &err), 0);
	free(r.b);
}

static void expect_corrupt(const knobs *k, const char *field)
{
	hwd_reader *rd = NULL;
	hwd_error err;
	raw r = build(k);
	int rc = hwd_reader_open_memory(r.b, r.len, 0, &rd, &err);
	if (rc != HWD_E_CORRUPT || !err.field || strcmp(err.field, field) != 0)
		fail_msg("expected corruption at %s, got %d (%s): %s", field, rc, err.field ? err.field : "-", err.message);
	assert_null(rd);
	assert_int_not_equal(hwd_check_memory(r.b, r.len, NULL, NULL, &err), 0);
	free(r.b);
}

static void test_corrupt(void **state)
{
	(void)state;
	knobs k = good;
	k.stack_n = 3; /* past the frames read */
	expect_corrupt(&k, "alloc_stack.first_frame");
	k = good;
	k.stack_first = 0xFFFFFFFFu; /* overflow-proof range check */
	expect_corrupt(&k, "alloc_stack.first_frame");
	k = good;
	k.stack_n = 65537; /* the spec's limit is 65536 */
	expect_corrupt(&k, "alloc_stack.nframes");
	k = good;
	k.s1_obj = 2; /* no such object */
	expect_corrupt(&k, "alloc_sample.object");
	k = good;
	k.s1_stack = 1; /* no such stack */
	expect_corrupt(&k, "alloc_sample.stack");
	k = good;
	k.s0_obj = 1;
	k.s1_obj = 0; /* out of object order */
	expect_corrupt(&k, "alloc_sample.object");
	k = good;
	k.samples_first = 1; /* names a stack defined only later */
	expect_corrupt(&k, "alloc_sample.stack");
	k = good;
	k.end_samples = 3;
	expect_corrupt(&k, "end.alloc_samples");
	k = good;
	k.short_end = 1; /* a 1.1 END cannot vouch for allocation records */
	expect_corrupt(&k, "end.alloc_frames");
}

/* Writes n objects, each with one sample of stack i % 3 (3 stacks of 2 frames), tiny chunks. */
static char *write_file(const char *dir, int n)
{
	char *path;
	hwd_writer *w;
	hwd_error err;
	assert_true(asprintf(&path, "%s/a.hwd", dir) > 0);
	hwd_writer_options o = { .producer = "test", .pointer_size = 8, .chunk_bytes = 256 };
	assert_int_equal(hwd_writer_open(path, &o, &w, &err), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(hwd_writer_object(w, &(hwd_object){ 0x1000 + 64 * (uint64_t)i, 48, 0, 0 }), 0);
	uint32_t fn = hwd_writer_cstring(w, "main.alloc"), file = hwd_writer_cstring(w, "/a/b.go");
	for (uint32_t s = 0; s < 3; s++) {
		for (uint32_t f = 0; f < 2; f++)
			assert_int_equal(hwd_writer_alloc_frame(w, &(hwd_alloc_frame){ 0x400000 + s, fn, file, 10 * s + f }), 0);
		assert_int_equal(hwd_writer_alloc_stack(w, &(hwd_alloc_stack){ 48 + s, 2 * s, 2 }), 0);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ (uint32_t)i, (uint32_t)i % 3 }), 0);
	assert_int_equal(hwd_writer_meta_u64(w, "memprof.rate", 1), 0);
	assert_int_equal(hwd_writer_finish(w, &err), 0);
	return path;
}

static void test_roundtrip(void **state)
{
	(void)state;
	char *dir = make_dir(), *path = write_file(dir, 200);
	hwd_reader *rd;
	hwd_error err;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &rd, &err), 0);
	assert_int_equal(hwd_reader_alloc_sample_count(rd), 200);
	assert_int_equal(hwd_reader_alloc_stack_count(rd), 3);
	assert_int_equal(hwd_reader_alloc_frame_count(rd), 6);
	uint64_t rate = 0, first;
	assert_true(hwd_reader_meta_u64(rd, "memprof.rate", &rate));
	assert_int_equal(rate, 1);
	for (uint32_t i = 0; i < 200; i++) {
		assert_int_equal(hwd_reader_alloc_samples_of(rd, i, &first), 1);
		hwd_alloc_sample s = hwd_reader_alloc_sample(rd, first);
		assert_int_equal(s.object, i);
		assert_int_equal(s.stack, i % 3);
		hwd_alloc_stack st = hwd_reader_alloc_stack(rd, s.stack);
		assert_int_equal(st.size, 48 + i % 3);
		assert_int_equal(hwd_reader_alloc_frame(rd, st.first_frame + 1).line, 10 * (i % 3) + 1);
	}
	assert_int_equal(hwd_reader_alloc_samples_of(rd, 200, &first), 0);
	hwd_reader_close(rd);
	unlink(path);
	free(path);
	rm_dir(dir);
}

/* Every cut of the file opens partially; what is kept is consistent. */
static void test_truncation(void **state)
{
	(void)state;
	char *dir = make_dir(), *path = write_file(dir, 60);
	size_t len;
	uint8_t *b = read_all(path, &len);
	for (size_t cut = 32; cut < len; cut++) {
		hwd_reader *rd;
		hwd_error err;
		assert_int_equal(hwd_reader_open_memory(b, cut, 0, &rd, &err), 0);
		assert_true(hwd_reader_damage(rd)->partial);
		uint64_t nobj = hwd_reader_object_count(rd), nst = hwd_reader_alloc_stack_count(rd);
		uint64_t nfr = hwd_reader_alloc_frame_count(rd);
		for (uint64_t i = 0; i < hwd_reader_alloc_sample_count(rd); i++) {
			hwd_alloc_sample s = hwd_reader_alloc_sample(rd, i);
			assert_true(s.object < nobj && s.stack < nst);
		}
		for (uint64_t i = 0; i < nst; i++) {
			hwd_alloc_stack st = hwd_reader_alloc_stack(rd, (uint32_t)i);
			assert_true((uint64_t)st.first_frame + st.nframes <= nfr);
		}
		hwd_reader_close(rd);
	}
	free(b);
	unlink(path);
	free(path);
	rm_dir(dir);
}

static void test_writer_usage(void **state)
{
	(void)state;
	char *dir = make_dir(), *path;
	hwd_writer *w;
	hwd_error err;
	assert_true(asprintf(&path, "%s/u.hwd", dir) > 0);
	assert_int_equal(hwd_writer_open(path, NULL, &w, &err), 0);
	assert_int_equal(hwd_writer_object(w, &(hwd_object){ 0x1000, 16, 0, 0 }), 0);
	assert_int_equal(hwd_writer_object(w, &(hwd_object){ 0x2000, 16, 0, 0 }), 0);
	assert_int_equal(hwd_writer_alloc_frame(w, &(hwd_alloc_frame){ 1, 99, 0, 0 }), HWD_E_USAGE);
	assert_int_equal(hwd_writer_alloc_frame(w, &(hwd_alloc_frame){ 1, 0, 0, 7 }), 0);
	assert_int_equal(hwd_writer_alloc_stack(w, &(hwd_alloc_stack){ 16, 0, 2 }), HWD_E_USAGE);
	assert_int_equal(hwd_writer_alloc_stack(w, &(hwd_alloc_stack){ 16, 0, 1 }), 0);
	assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ 2, 0 }), HWD_E_USAGE);
	assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ 0, 1 }), HWD_E_USAGE);
	assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ 1, 0 }), 0);
	assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ 0, 0 }), HWD_E_USAGE);
	assert_int_equal(hwd_writer_alloc_sample(w, &(hwd_alloc_sample){ 1, 0 }), 0); /* a tiny block's second */
	assert_int_equal(hwd_writer_finish(w, &err), 0);
	hwd_reader *rd;
	assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &rd, &err), 0);
	uint64_t first;
	assert_int_equal(hwd_reader_alloc_samples_of(rd, 1, &first), 2);
	assert_int_equal(hwd_reader_alloc_samples_of(rd, 0, &first), 0);
	hwd_reader_close(rd);
	unlink(path);
	free(path);
	rm_dir(dir);
}

/* A file without allocation sites keeps the 1.1 END (88 bytes): unchanged for old readers. */
static void test_end_unchanged(void **state)
{
	(void)state;
	char *dir = make_dir(), *path;
	hwd_writer *w;
	hwd_error err;
	size_t len;
	assert_true(asprintf(&path, "%s/p.hwd", dir) > 0);
	assert_int_equal(hwd_writer_open(path, NULL, &w, &err), 0);
	assert_int_equal(hwd_writer_object(w, &(hwd_object){ 0x1000, 16, 0, 0 }), 0);
	assert_int_equal(hwd_writer_finish(w, &err), 0);
	uint8_t *b = read_all(path, &len);
	assert_true(len >= 16 + 88);
	/* the last chunk is END: its header is 16 + 88 bytes from the end (88 is 8-aligned) */
	assert_int_equal(b[len - 104], 11);
	assert_int_equal(b[len - 96], 88);
	assert_int_equal(b[10], 0); /* minor 0: nothing a reader must understand */
	free(b);
	unlink(path);
	free(path);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_file),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_writer_usage),
		cmocka_unit_test(test_end_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

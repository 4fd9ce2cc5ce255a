/* test-corrupt.c - hand-built files, byte by byte from docs/format.md, and their corruptions.
 *
 * A small snapshot is built with the raw builder (testutil.h), checked to read back as
 * built, checked to be byte-identical to what the writer produces for the same records, and
 * then damaged one field at a time: each damage must give the documented error code, the
 * offset of the field and its name, and never a crash.
 */
#include "testutil.h"

static raw f;
/* offsets of chunk headers and records in the hand-built file */
static size_t c_strings, c_types, c_objects, c_edges, c_roots, c_end;
static size_t r_type0, r_obj[3], r_edge[2], r_root0;

static void build(int with_end, uint32_t unknown_kind)
{
	memset(&f, 0, sizeof f);
	raw_header(&f, 1, 0, 32, 8, 0);
	c_strings = f.len;
	raw_chunk(&f, 2);
	raw_u32(&f, 1);
	raw_u32(&f, 2);
	raw_u32(&f, 1);
	raw_bytes(&f, "T", 1);
	raw_u32(&f, 3);
	raw_bytes(&f, "lbl", 3);
	raw_end_chunk(&f);
	if (unknown_kind) { /* a chunk from the future: must be skipped */
		raw_chunk(&f, unknown_kind);
		raw_bytes(&f, "future!", 7);
		raw_end_chunk(&f);
	}
	c_types = f.len;
	raw_chunk(&f, 3);
	raw_u64(&f, 1);
	raw_u64(&f, 1);
	r_type0 = f.len;
	raw_u64(&f, 16);
	raw_u32(&f, 1);
	raw_u16(&f, 1);
	raw_u16(&f, 0);
	raw_end_chunk(&f);
	c_objects = f.len;
	raw_chunk(&f, 4);
	raw_u64(&f, 0);
	raw_u64(&f, 3);
	static const uint64_t addr[3] = { 0x1000, 0x1010, 0x2000 }, size[3] = { 16, 16, 8 };
	static const uint32_t type[3] = { 1, 0, 1 };
	for (int i = 0; i < 3; i++) {
		r_obj[i] = f.len;
		raw_u64(&f, addr[i]);
		raw_u64(&f, size[i]);
		raw_u32(&f, type[i]);
		raw_u32(&f, (uint32_t)i);
	}
	raw_end_chunk(&f);
	c_edges = f.len;
	raw_chunk(&f, 5);
	raw_u64(&f, 0);
	raw_u64(&f, 2);
	r_edge[0] = f.len;
	raw_u32(&f, 0);
	raw_u32(&f, 1);
	raw_u32(&f, 2);
	raw_u32(&f, 1u << 28 | 8);
	r_edge[1] = f.len;
	raw_u32(&f, 2);
	raw_u32(&f, 0);
	raw_u32(&f, 0);
	raw_u32(&f, 0x0FFFFFFF);
	raw_end_chunk(&f);
	c_roots = f.len;
	raw_chunk(&f, 6);
	raw_u64(&f, 0);
	raw_u64(&f, 1);
	r_root0 = f.len;
	raw_u16(&f, 1);
	raw_u16(&f, 0);
	raw_u32(&f, 0);
	raw_u32(&f, 2);
	raw_u32(&f, 0xFFFFFFFF);
	raw_u32(&f, 0xFFFFFFFF);
	raw_u32(&f, 0);
	raw_u64(&f, 0x5000);
	raw_end_chunk(&f);
	c_end = f.len;
	if (with_end) {
		uint64_t totals[11] = { unknown_kind ? 6 : 5, 2, 1, 3, 2, 1, 0, 0, 0, 0, 0 };
		raw_end(&f, totals);
	}
}

static void put(size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		f.b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the CRC of the chunk at `chunk` after a field inside it was changed, so that
 * the damage reaches the field checks instead of stopping at the checksum. */
static void recrc(size_t chunk)
{
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | f.b[chunk + 8 + i];
	put(chunk + 4, hwd_crc32c(0, f.b + chunk + 16, n), 4);
}

/* Opens the current file, expecting `code`; for errors, also the offset and field. */
static hwd_reader *expect(unsigned flags, int code, uint64_t off, const char *field)
{
	hwd_reader *r = NULL;
	hwd_error err;
	memset(&err, 0, sizeof err);
	uint8_t *copy = malloc(f.len);
	memcpy(copy, f.b, f.len);
	int rc = hwd_reader_open_memory(copy, f.len, flags, &r, &err);
	if (rc != code)
		fail_msg("expected %s, got %s: %s", hwd_strerror(code), hwd_strerror(rc), err.message);
	if (code) {
		assert_null(r);
		assert_int_equal(err.code, code);
		assert_true(err.message[0]);
		if (field) {
			if (!err.field || strcmp(err.field, field))
				fail_msg("field %s, expected %s (%s)", err.field ? err.field : "NULL", field, err.message);
			assert_int_equal(err.offset, off);
		}
		/* the checker names the same problem */
		hwd_error cerr;
		if (code != HWD_E_TRUNCATED || (flags & HWD_OPEN_STRICT)) {
			assert_int_equal(hwd_check_memory(copy, f.len, NULL, NULL, &cerr), code);
			assert_int_equal(cerr.offset, err.offset);
		}
		free(copy);
		return NULL;
	}
	/* success: the caller reads r, whose memory must outlive it; keep it in f's buffer */
	hwd_reader_close(r);
	free(copy);
	assert_int_equal(hwd_reader_open_memory(f.b, f.len, flags, &r, &err), 0);
	return r;
}

static void teardown_file(void)
{
	free(f.b);
	memset(&f, 0, sizeof f);
}

static void check_values(hwd_reader *r)
{
	uint32_t len;
	assert_int_equal(hwd_reader_string_count(r), 2);
	assert_memory_equal(hwd_reader_string(r, 2, &len), "lbl", 3);
	assert_int_equal(len, 3);
	hwd_type t = hwd_reader_type(r, 1);
	assert_int_equal(t.size, 16);
	assert_int_equal(t.name, 1);
	assert_int_equal(t.kind, HWD_TYPE_STRUCT);
	assert_int_equal(hwd_reader_object_count(r), 3);
	hwd_object o = hwd_reader_object(r, 1);
	assert_int_equal(o.addr, 0x1010);
	assert_int_equal(o.size, 16);
	assert_int_equal(o.type, 0);
	assert_int_equal(o.flags, 1);
	assert_int_equal(hwd_reader_find_object(r, 0x2007), 2);
	assert_int_equal(hwd_reader_find_object(r, 0x2008), HWD_NONE);
	assert_int_equal(hwd_reader_find_object(r, 0x1020), HWD_NONE);
	hwd_edge e = hwd_reader_edge(r, 0);
	assert_int_equal(e.to, 1);
	assert_int_equal(e.label, 2);
	assert_int_equal(hwd_edge_kind_of(&e), HWD_EDGE_WEAK);
	assert_int_equal(hwd_edge_offset_of(&e), 8);
	hwd_root rt = hwd_reader_root(r, 0);
	assert_int_equal(rt.kind, HWD_ROOT_GLOBAL);
	assert_int_equal(rt.object, 2);
	assert_int_equal(rt.goroutine, HWD_NONE);
	assert_int_equal(rt.addr, 0x5000);
}

static void test_hand_built_reads(void **state)
{
	(void)state;
	build(1, 0);
	hwd_reader *r = expect(HWD_OPEN_STRICT, 0, 0, NULL);
	check_values(r);
	assert_int_equal(hwd_reader_damage(r)->partial, 0);
	hwd_reader_close(r);
	teardown_file();
}

/* The writer must produce exactly the bytes the spec describes. */
static void test_writer_matches_spec(void **state)
{
	(void)state;
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/w.hwd", dir);
	hwd_writer *w;
	assert_int_equal(hwd_writer_open(path, NULL, &w, NULL), 0);
	uint32_t t = hwd_writer_type(w, "T", 16, HWD_TYPE_STRUCT);
	uint32_t lbl = hwd_writer_cstring(w, "lbl");
	hwd_object objs[3] = { { 0x1000, 16, t, 0 }, { 0x1010, 16, 0, 1 }, { 0x2000, 8, t, 2 } };
	for (int i = 0; i < 3; i++)
		assert_int_equal(hwd_writer_object(w, &objs[i]), 0);
	hwd_edge e0 = { 0, 1, lbl, hwd_edge_info(HWD_EDGE_WEAK, 8) };
	hwd_edge e1 = { 2, 0, 0, hwd_edge_info(HWD_EDGE_STRONG, UINT64_MAX) };
	assert_int_equal(hwd_writer_edge(w, &e0), 0);
	assert_int_equal(hwd_writer_edge(w, &e1), 0);
	hwd_root rt = { HWD_ROOT_GLOBAL, 0, 0, 2, HWD_NONE, HWD_NONE, 0, 0x5000 };
	assert_int_equal(hwd_writer_root(w, &rt), 0);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	size_t len;
	uint8_t *got = read_all(path, &len);
	build(1, 0);
	assert_int_equal(len, f.len);
	assert_memory_equal(got, f.b, len);
	free(got);
	teardown_file();
	rm_dir(dir);
}

static void test_header_fields(void **state)
{
	(void)state;
	hwd_error err;
	hwd_reader *r;

	build(1, 0);
	f.b[3] = 'X';
	expect(0, HWD_E_FORMAT, 0, "header.magic");
	teardown_file();

	build(1, 0);
	put(8, 2, 2);
	expect(0, HWD_E_VERSION, 8, "header.major");
	assert_int_equal(hwd_reader_open_memory(f.b, f.len, 0, &r, &err), HWD_E_VERSION);
	assert_non_null(strstr(err.message, "newer"));
	teardown_file();

	build(1, 0);
	put(10, 7, 2); /* a newer minor is read */
	r = expect(HWD_OPEN_STRICT, 0, 0, NULL);
	assert_int_equal(hwd_reader_version_minor(r), 7);
	hwd_reader_close(r);
	teardown_file();

	build(1, 0);
	put(12, 24, 4);
	expect(0, HWD_E_CORRUPT, 12, "header.header_size");
	teardown_file();

	build(1, 0);
	put(12, 36, 4);
	expect(0, HWD_E_CORRUPT, 12, "header.header_size");
	teardown_file();

	build(1, 0);
	put(16, 3, 4);
	expect(0, HWD_E_CORRUPT, 16, "header.pointer_size");
	teardown_file();

	build(1, 0);
	put(20, 0xFFFFFFFE, 4); /* unknown flag bits (not contents) are ignored */
	put(24, 0x1234, 8);     /* reserved is ignored */
	r = expect(HWD_OPEN_STRICT, 0, 0, NULL);
	hwd_reader_close(r);
	teardown_file();

	/* A longer header (a later minor's fields) is skipped. */
	memset(&f, 0, sizeof f);
	raw_header(&f, 1, 1, 48, 8, 0);
	uint64_t totals[11] = { 0 };
	raw_end(&f, totals);
	r = expect(HWD_OPEN_STRICT, 0, 0, NULL);
	assert_int_equal(hwd_reader_object_count(r), 0);
	hwd_reader_close(r);
	teardown_file();

	/* Inside the header: truncated, or not a snapshot when the magic differs. */
	build(1, 0);
	f.len = 20;
	expect(0, HWD_E_TRUNCATED, 20, "header");
	f.len = 0;
	expect(0, HWD_E_TRUNCATED, 0, "header.magic");
	teardown_file();
}

static void test_chunk_framing(void **state)
{
	(void)state;
	hwd_reader *r;

	build(1, 0);
	put(c_objects + 8, (1ull << 30) + 8, 8);
	expect(0, HWD_E_CORRUPT, c_objects + 8, "chunk.length");
	teardown_file();

	build(1, 0);
	put(c_objects + 8, f.len, 8); /* past the end of the file: looks like a cut */
	expect(HWD_OPEN_STRICT, HWD_E_TRUNCATED, c_objects + 8, "chunk.length");
	r = expect(0, 0, 0, NULL);
	assert_int_equal(hwd_reader_damage(r)->partial, 1);
	assert_int_equal(hwd_reader_damage(r)->offset, c_objects);
	assert_int_equal(hwd_reader_object_count(r), 0);
	assert_int_equal(hwd_reader_type_count(r), 1);
	assert_non_null(strstr(hwd_reader_damage(r)->message, "inside an OBJECTS chunk"));
	hwd_reader_close(r);
	teardown_file();

	build(1, 0);
	f.b[r_obj[1] + 3] ^= 0x40;
	expect(0, HWD_E_CORRUPT, c_objects + 4, "chunk.crc32c");
	r = expect(HWD_OPEN_SALVAGE, 0, 0, NULL);
	assert_int_equal(hwd_reader_damage(r)->partial, 1);
	assert_int_equal(hwd_reader_damage(r)->cause, HWD_E_CORRUPT);
	assert_int_equal(hwd_reader_damage(r)->offset, c_objects);
	assert_int_equal(hwd_reader_object_count(r), 0);
	assert_int_equal(hwd_reader_string_count(r), 2);
	hwd_reader_close(r);
	teardown_file();

	build(1, 0);
	raw_u64(&f, 0); /* trailing bytes after END */
	expect(0, HWD_E_CORRUPT, c_end + 16 + 88, "END");
	teardown_file();

	build(1, 99);
	r = expect(HWD_OPEN_STRICT, 0, 0, NULL);
	assert_int_equal(hwd_reader_skipped_chunks(r), 1);
	check_values(r);
	hwd_reader_close(r);
	teardown_file();
}

static void test_record_fields(void **state)
{
	(void)state;
	hwd_reader *r;

	build(1, 0);
	put(c_objects + 16, 1, 8);
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, c_objects + 16, "run.first");
	teardown_file();

	build(1, 0);
	put(c_objects + 24, 4, 8);
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, c_objects + 24, "run.count");
	teardown_file();

	build(1, 0);
	put(c_objects + 24, 0x0AAAAAAAAAAAAAABull, 8); /* count * 24 wraps to 8 */
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, c_objects + 24, "run.count");
	teardown_file();

	build(1, 0);
	put(c_strings + 20, 0xFFFFFFFF, 4);
	recrc(c_strings);
	expect(0, HWD_E_CORRUPT, c_strings + 20, "strings.count");
	teardown_file();

	build(1, 0);
	put(c_strings + 24, 1000, 4);
	recrc(c_strings);
	expect(0, HWD_E_CORRUPT, c_strings + 24, "string.len");
	teardown_file();

	build(1, 0);
	put(r_type0 + 8, 3, 4);
	recrc(c_types);
	expect(0, HWD_E_CORRUPT, r_type0 + 8, "type.name");
	teardown_file();

	build(1, 0);
	put(r_obj[2] + 16, 2, 4);
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, r_obj[2] + 16, "object.type");
	teardown_file();

	build(1, 0);
	put(r_obj[1], 0x800, 8); /* below its predecessor */
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, r_obj[1], "object.addr");
	teardown_file();

	build(1, 0);
	put(r_obj[1], 0x1008, 8); /* overlaps its predecessor */
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, r_obj[1], "object.addr");
	teardown_file();

	build(1, 0);
	put(r_obj[2] + 8, UINT64_MAX - 0x100, 8); /* wraps around */
	recrc(c_objects);
	expect(0, HWD_E_CORRUPT, r_obj[2] + 8, "object.size");
	teardown_file();

	build(1, 0);
	put(r_edge[0], 2, 4);
	put(r_edge[1], 1, 4); /* from goes down */
	recrc(c_edges);
	expect(0, HWD_E_CORRUPT, r_edge[1], "edge.from");
	teardown_file();

	build(1, 0);
	put(r_edge[0] + 8, 9, 4);
	recrc(c_edges);
	expect(0, HWD_E_CORRUPT, r_edge[0] + 8, "edge.label");
	teardown_file();

	build(1, 0);
	put(r_edge[1] + 4, 3, 4); /* names object 3 of 3 */
	recrc(c_edges);
	expect(0, HWD_E_CORRUPT, r_edge[1], "edge.to");
	r = expect(HWD_OPEN_SALVAGE, 0, 0, NULL);
	assert_int_equal(hwd_reader_edge_count(r), 1);
	assert_int_equal(hwd_reader_damage(r)->edges_dropped, 1);
	assert_int_equal(hwd_reader_edge(r, 0).to, 1);
	hwd_reader_close(r);
	teardown_file();

	build(1, 0);
	put(r_root0 + 8, 5, 4);
	recrc(c_roots);
	expect(0, HWD_E_CORRUPT, r_root0, "root.object");
	teardown_file();

	build(1, 0);
	put(r_root0 + 12, 0, 4); /* goroutine 0 of none */
	recrc(c_roots);
	expect(0, HWD_E_CORRUPT, r_root0, "root.goroutine");
	teardown_file();

	build(1, 0);
	put(c_end + 16 + 24, 4, 8);
	recrc(c_end);
	expect(0, HWD_E_CORRUPT, c_end + 16 + 24, "end.objects");
	teardown_file();

	build(1, 0);
	put(c_end + 16, 9, 8);
	recrc(c_end);
	expect(0, HWD_E_CORRUPT, c_end + 16, "end.chunks");
	teardown_file();
}

/* Without END, references to objects that are not in the file are dropped, not fatal. */
static void test_partial_drops_dangling(void **state)
{
	(void)state;
	build(0, 0);
	put(r_edge[1] + 4, 7, 4);
	recrc(c_edges);
	put(r_root0 + 8, 3, 4);
	recrc(c_roots);
	expect(HWD_OPEN_STRICT, HWD_E_TRUNCATED, c_end, "END");
	hwd_reader *r = expect(0, 0, 0, NULL);
	const hwd_damage *d = hwd_reader_damage(r);
	assert_int_equal(d->partial, 1);
	assert_int_equal(d->end_seen, 0);
	assert_int_equal(d->edges_dropped, 1);
	assert_int_equal(d->roots_dropped, 1);
	assert_int_equal(hwd_reader_edge_count(r), 1);
	assert_int_equal(hwd_reader_root_count(r), 0);
	hwd_run run;
	assert_true(hwd_reader_edge_run(r, 0, &run));
	assert_int_equal(run.count, 1);
	assert_false(hwd_reader_edge_run(r, 1, &run));
	hwd_reader_close(r);
	teardown_file();
}

struct seen { int n; uint32_t kind[16]; int ok[16]; uint64_t records[16]; };

static void collect(const hwd_check_chunk *c, void *user)
{
	struct seen *s = user;
	if (s->n < 16) {
		s->kind[s->n] = c->kind;
		s->ok[s->n] = c->ok;
		s->records[s->n] = c->records;
	}
	s->n++;
}

static void test_check_lists_chunks(void **state)
{
	(void)state;
	struct seen s = { 0 };
	hwd_error err;
	build(1, 0);
	assert_int_equal(hwd_check_memory(f.b, f.len, collect, &s, &err), 0);
	assert_int_equal(s.n, 6);
	static const uint32_t kinds[6] = { 2, 3, 4, 5, 6, 11 };
	static const uint64_t recs[6] = { 2, 1, 3, 2, 1, 0 };
	for (int i = 0; i < 6; i++) {
		assert_int_equal(s.kind[i], kinds[i]);
		assert_int_equal(s.records[i], recs[i]);
		assert_true(s.ok[i]);
	}
	/* a bad checksum in the middle: reported, and the walk goes on to the end */
	f.b[r_obj[0]] ^= 1;
	memset(&s, 0, sizeof s);
	assert_int_equal(hwd_check_memory(f.b, f.len, collect, &s, &err), HWD_E_CORRUPT);
	assert_int_equal(err.offset, c_objects + 4);
	assert_int_equal(s.n, 6);
	assert_false(s.ok[2]);
	assert_true(s.ok[3] && s.ok[4] && s.ok[5]);
	teardown_file();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_built_reads),
		cmocka_unit_test(test_writer_matches_spec),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_chunk_framing),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_partial_drops_dangling),
		cmocka_unit_test(test_check_lists_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

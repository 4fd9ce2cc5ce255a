/* test-roundtrip.c - writer -> file -> reader, every record kind compared field by field.
 *
 * The oracle is the list of records the test itself generated; chunks are made tiny so that
 * every kind spans many chunk boundaries, and the same data is also read back with the
 * default chunk size. Each size is done plain and with zstd-compressed chunks (format 1.1),
 * whose records must come back identical and still in place (8-aligned runs).
 */
#include "testutil.h"
#include "hwd-format.h"

#define NOBJ 3000
#define NGOR 40
#define FRAMES_PER 3

struct fixture {
	hwd_object obj[NOBJ];
	hwd_edge *edges;
	size_t nedges;
	hwd_root roots[NGOR + 50];
	size_t nroots;
	hwd_goroutine gor[NGOR];
	hwd_frame fr[NGOR * FRAMES_PER];
	hwd_thread th[5];
	uint32_t type_ids[NOBJ];
	uint32_t label_ids[8];
	char path[512];
};

static const char *type_names[] = { "main.Node", "[]uint8", "map.group[string]int", "*main.Node", "string" };

/* A deterministic generator, so a failure reproduces. */
static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void write_snapshot(struct fixture *f, const char *path, uint32_t chunk_bytes, int level)
{
	hwd_writer_options o = { .producer = "roundtrip test", .pointer_size = 8, .chunk_bytes = chunk_bytes,
				 .with_contents = 1, .compress_level = level };
	hwd_writer *w;
	hwd_error err;
	assert_int_equal(hwd_writer_open(path, &o, &w, &err), 0);

	assert_int_equal(hwd_writer_meta_u64(w, "pid", 4242), 0);
	assert_int_equal(hwd_writer_meta_i64(w, "pause_ns", -17), 0);
	assert_int_equal(hwd_writer_meta_f64(w, "gc.percent", 1.5), 0);
	assert_int_equal(hwd_writer_meta_str(w, "exe", "/usr/bin/thing"), 0);
	assert_int_equal(hwd_writer_meta_u64(w, "pid", 4243), 0); /* the later value wins */

	/* Interning: the same key must give the same id, every time. */
	uint32_t tid[5];
	for (int i = 0; i < 5; i++)
		tid[i] = hwd_writer_type(w, type_names[i], 8 * (i + 1), (hwd_type_kind)(i + 1));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(tid[i], (uint32_t)i + 1);
		assert_int_equal(hwd_writer_type(w, type_names[i], 8 * (i + 1), (hwd_type_kind)(i + 1)), tid[i]);
	}
	/* Same name, other size: a different type. */
	assert_int_equal(hwd_writer_type(w, type_names[0], 999, HWD_TYPE_STRUCT), 6);
	assert_int_equal(hwd_writer_cstring(w, "main.Node"), hwd_writer_cstring(w, "main.Node"));

	uint64_t addr = 0xc000010000ull;
	for (int i = 0; i < NOBJ; i++) {
		addr += next() % 64; /* gaps, sometimes none */
		f->obj[i] = (hwd_object){ addr, 8 + next() % 200, tid[next() % 5], (uint32_t)(next() % 16) };
		if (i % 97 == 0)
			f->obj[i].type = 0;
		assert_int_equal(hwd_writer_object(w, &f->obj[i]), 0);
		addr += f->obj[i].size;
	}
	for (int i = 0; i < 8; i++) {
		char name[16];
		snprintf(name, sizeof name, "field%d", i);
		f->label_ids[i] = hwd_writer_cstring(w, name);
	}
	f->edges = calloc(NOBJ * 3, sizeof *f->edges);
	for (uint32_t i = 0; i < NOBJ; i++) {
		int n = (int)(next() % 4);
		for (int k = 0; k < n; k++) {
			hwd_edge e = { i, (uint32_t)(next() % NOBJ), k ? f->label_ids[next() % 8] : 0,
				       hwd_edge_info((hwd_edge_kind)(next() % HWD_EDGE_KIND__COUNT), next() % 100) };
			f->edges[f->nedges++] = e;
			assert_int_equal(hwd_writer_edge(w, &e), 0);
		}
	}
	/* Frames first reference goroutines added later: forward references are legal. */
	for (uint32_t g = 0; g < NGOR; g++)
		for (uint32_t k = 0; k < FRAMES_PER; k++) {
			hwd_frame *fr = &f->fr[g * FRAMES_PER + k];
			*fr = (hwd_frame){ 0x401000 + next() % 4096, 0xc000800000ull + g * 4096 + k * 64,
					   hwd_writer_cstring(w, k ? "main.work" : "runtime.gopark"),
					   hwd_writer_cstring(w, "/src/main.go"), 10 + k, g };
			assert_int_equal(hwd_writer_frame(w, fr), 0);
		}
	for (uint32_t g = 0; g < NGOR; g++) {
		f->gor[g] = (hwd_goroutine){ .id = 1 + g * 7, .wait_ns = g % 3 ? (int64_t)(next() % 100000) : -1,
			.stack_bytes = 8192, .state = hwd_writer_cstring(w, g % 2 ? "waiting" : "running"),
			.wait_reason = g % 2 ? hwd_writer_cstring(w, "chan receive") : 0,
			.start_func = hwd_writer_cstring(w, "main.worker"),
			.creator_func = hwd_writer_cstring(w, "main.main"),
			.creator_file = hwd_writer_cstring(w, "/src/main.go"), .creator_line = 33,
			.first_frame = g * FRAMES_PER, .nframes = FRAMES_PER };
		assert_int_equal(hwd_writer_goroutine(w, &f->gor[g]), 0);
	}
	for (uint32_t i = 0; i < NGOR + 50; i++) {
		hwd_root r = { .kind = i < NGOR ? HWD_ROOT_STACK : HWD_ROOT_GLOBAL, .flags = i % 2,
			       .name = i < NGOR ? 0 : hwd_writer_cstring(w, "main.registry"),
			       .object = (uint32_t)(next() % NOBJ), .goroutine = i < NGOR ? i : HWD_NONE,
			       .frame = i < NGOR ? i * FRAMES_PER + 1 : HWD_NONE, .addr = 0x5a0000 + i * 8 };
		f->roots[f->nroots++] = r;
		assert_int_equal(hwd_writer_root(w, &r), 0);
	}
	for (uint32_t i = 0; i < 5; i++) {
		f->th[i] = (hwd_thread){ i ? f->gor[i].id : 0, 0x401234 + i, 0x7ffd0000 + i, 1000 + i,
					 hwd_writer_cstring(w, i ? "m1" : "m0") };
		assert_int_equal(hwd_writer_thread(w, &f->th[i]), 0);
	}
	for (uint32_t i = 0; i < NOBJ; i += 50) {
		uint8_t buf[300];
		for (size_t k = 0; k < sizeof buf; k++)
			buf[k] = (uint8_t)(i + k);
		assert_int_equal(hwd_writer_contents(w, i, buf, i % 300), 0);
	}
	assert_int_equal(hwd_writer_finish(w, &err), 0);
}

static void check_snapshot(struct fixture *f, const char *path, uint64_t min_runs, int level)
{
	hwd_reader *r;
	hwd_error err;
	int rc = hwd_reader_open(path, HWD_OPEN_STRICT, &r, &err);
	if (rc)
		fail_msg("open: %s (%s at 0x%llx)", err.message, err.field ? err.field : "-",
			 (unsigned long long)err.offset);
	assert_int_equal(hwd_reader_damage(r)->partial, 0);
	assert_int_equal(hwd_reader_damage(r)->end_seen, 1);
	assert_int_equal(hwd_reader_version_major(r), 1);
	assert_int_equal(hwd_reader_version_minor(r), level ? 1 : 0); /* plain files stay 1.0 */
	assert_int_equal(hwd_reader_pointer_size(r), 8);
	assert_true(hwd_reader_has_contents(r));

	/* meta, each type, last value wins */
	uint64_t u;
	int64_t i64;
	double d;
	const char *s;
	uint32_t sl;
	assert_true(hwd_reader_meta_u64(r, "pid", &u));
	assert_int_equal(u, 4243);
	assert_true(hwd_reader_meta_i64(r, "pause_ns", &i64));
	assert_int_equal(i64, -17);
	assert_true(hwd_reader_meta_f64(r, "gc.percent", &d));
	assert_true(d == 1.5);
	assert_true(hwd_reader_meta_str(r, "exe", &s, &sl));
	assert_int_equal(sl, strlen("/usr/bin/thing"));
	assert_memory_equal(s, "/usr/bin/thing", sl);
	assert_true(hwd_reader_meta_str(r, "producer", &s, &sl));
	assert_memory_equal(s, "roundtrip test", sl);
	assert_false(hwd_reader_meta_u64(r, "exe", &u)); /* wrong type */
	assert_false(hwd_reader_meta_u64(r, "nope", &u));
	hwd_meta_entry me;
	uint64_t nmeta = 0;
	while (hwd_reader_meta_entry(r, nmeta, &me))
		nmeta++;
	assert_int_equal(nmeta, 6);

	/* types and strings */
	assert_int_equal(hwd_reader_type_count(r), 6);
	for (uint32_t i = 0; i < 5; i++) {
		hwd_type t = hwd_reader_type(r, i + 1);
		const char *n = hwd_reader_string(r, t.name, &sl);
		assert_int_equal(sl, strlen(type_names[i]));
		assert_memory_equal(n, type_names[i], sl);
		assert_int_equal(t.size, 8 * (i + 1));
		assert_int_equal(t.kind, i + 1);
	}
	assert_int_equal(hwd_reader_type(r, 6).name, hwd_reader_type(r, 1).name);
	assert_int_equal(hwd_reader_type(r, 0).size, 0);
	assert_int_equal(hwd_reader_type(r, 7).size, 0);
	/* every distinct string exactly once: 5 type names, 8 labels, 3 frame, 5 goroutine,
	 * 1 root and 2 thread strings */
	assert_int_equal(hwd_reader_string_count(r), 5 + 8 + 3 + 5 + 1 + 2);
	assert_string_equal(hwd_reader_string(r, 0, &sl), "");
	assert_null(hwd_reader_string(r, 9999, &sl));

	/* objects */
	assert_int_equal(hwd_reader_object_count(r), NOBJ);
	for (uint32_t i = 0; i < NOBJ; i++) {
		hwd_object o = hwd_reader_object(r, i);
		assert_int_equal(o.addr, f->obj[i].addr);
		assert_int_equal(o.size, f->obj[i].size);
		assert_int_equal(o.type, f->obj[i].type);
		assert_int_equal(o.flags, f->obj[i].flags);
		assert_int_equal(hwd_reader_find_object(r, o.addr), i);
		assert_int_equal(hwd_reader_find_object(r, o.addr + o.size - 1), i);
		if (i + 1 < NOBJ && o.addr + o.size < f->obj[i + 1].addr)
			assert_int_equal(hwd_reader_find_object(r, o.addr + o.size), HWD_NONE);
	}
	assert_int_equal(hwd_reader_find_object(r, f->obj[0].addr - 1), HWD_NONE);
	assert_int_equal(hwd_reader_find_object(r, UINT64_MAX), HWD_NONE);
	assert_int_equal(hwd_reader_object(r, NOBJ).addr, 0);

	/* bulk runs cover the objects in order, in place */
	hwd_run run;
	uint64_t seen = 0, k;
	assert_true(hwd_reader_bulk_ok(r));
	for (k = 0; hwd_reader_object_run(r, k, &run); k++) {
		assert_int_equal(run.first, seen);
		assert_int_equal((uintptr_t)run.records % 8, 0);
		const hwd_object_disk *od = run.records;
		for (uint64_t j = 0; j < run.count; j++)
			assert_int_equal(od[j].addr, f->obj[seen + j].addr);
		seen += run.count;
	}
	assert_int_equal(seen, NOBJ);
	assert_true(k >= min_runs);

	/* edges, also through runs */
	assert_int_equal(hwd_reader_edge_count(r), f->nedges);
	for (uint64_t i = 0; i < f->nedges; i++) {
		hwd_edge e = hwd_reader_edge(r, i);
		assert_memory_equal(&e, &f->edges[i], sizeof e);
	}
	seen = 0;
	for (k = 0; hwd_reader_edge_run(r, k, &run); k++) {
		const hwd_edge_disk *ed = run.records;
		assert_int_equal(run.first, seen);
		for (uint64_t j = 0; j < run.count; j++)
			assert_int_equal(ed[j].to, f->edges[seen + j].to);
		seen += run.count;
	}
	assert_int_equal(seen, f->nedges);

	assert_int_equal(hwd_reader_root_count(r), f->nroots);
	for (uint64_t i = 0; i < f->nroots; i++) {
		hwd_root x = hwd_reader_root(r, i);
		assert_memory_equal(&x, &f->roots[i], sizeof x);
	}
	assert_int_equal(hwd_reader_goroutine_count(r), NGOR);
	for (uint32_t i = 0; i < NGOR; i++) {
		hwd_goroutine g = hwd_reader_goroutine(r, i);
		assert_memory_equal(&g, &f->gor[i], sizeof g);
	}
	assert_int_equal(hwd_reader_frame_count(r), NGOR * FRAMES_PER);
	for (uint32_t i = 0; i < NGOR * FRAMES_PER; i++) {
		hwd_frame x = hwd_reader_frame(r, i);
		assert_memory_equal(&x, &f->fr[i], sizeof x);
	}
	assert_int_equal(hwd_reader_thread_count(r), 5);
	for (uint32_t i = 0; i < 5; i++) {
		hwd_thread x = hwd_reader_thread(r, i);
		assert_memory_equal(&x, &f->th[i], sizeof x);
	}
	for (uint32_t i = 0; i < NOBJ; i++) {
		uint64_t len;
		const uint8_t *c = hwd_reader_contents(r, i, &len);
		if (i % 50) {
			assert_null(c);
			continue;
		}
		assert_int_equal(len, i % 300);
		if (len)
			assert_non_null(c);
		for (uint64_t b = 0; b < len; b++)
			assert_int_equal(c[b], (uint8_t)(i + b));
	}
	hwd_reader_close(r);
}

struct chunk_sizes { uint64_t chunks, compressed, stored, inflated; };

static void count_chunk(const hwd_check_chunk *c, void *user)
{
	struct chunk_sizes *z = user;
	z->chunks++;
	z->compressed += c->compressed;
	z->stored += c->stored_len;
	z->inflated += c->payload_len;
	assert_true(c->ok);
	if (!c->compressed)
		assert_int_equal(c->stored_len, c->payload_len);
}

/* Writes and checks the fixture with `chunk_bytes` and compression `level`; returns the
 * file's size and the checker's per-chunk sums in *z. */
static uint64_t roundtrip(uint32_t chunk_bytes, int level, struct chunk_sizes *z)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *dir = make_dir();
	snprintf(f->path, sizeof f->path, "%s/snap.hwd", dir);
	rng = 88172645463325252ull;
	write_snapshot(f, f->path, chunk_bytes, level);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(dir), 1); /* no temporary file left behind */
	check_snapshot(f, f->path, chunk_bytes && chunk_bytes < 1024 ? NOBJ * 24 / 1024 : 1, level);

	/* the checker agrees and sees the same chunks */
	hwd_error err;
	memset(z, 0, sizeof *z);
	assert_int_equal(hwd_check_file(f->path, count_chunk, z, &err), 0);
	free(f->edges);
	free(f);
	rm_dir(dir);
	return (uint64_t)st.st_size;
}

/* Plain and compressed round trips of the same records; the compressed file's chunks are
 * the plain file's chunks, payload for payload. */
static void roundtrip_both(uint32_t chunk_bytes)
{
	struct chunk_sizes plain, packed;
	uint64_t plain_size = roundtrip(chunk_bytes, 0, &plain);
	uint64_t packed_size = roundtrip(chunk_bytes, HWD_COMPRESS_DEFAULT, &packed);
	assert_int_equal(plain.compressed, 0);
	assert_int_equal(packed.chunks, plain.chunks);
	assert_int_equal(packed.inflated, plain.stored);
	assert_true(packed.stored <= packed.inflated);
	if (chunk_bytes == 0 || chunk_bytes >= 256) { /* big enough for zstd to win */
		assert_true(packed.compressed > 0);
		assert_true(packed_size < plain_size);
	}
	roundtrip(chunk_bytes, 19, &packed); /* a high level: same window cap, same records */
}

static void test_roundtrip_small_chunks(void **state)
{
	(void)state;
	roundtrip_both(256);
}

static void test_roundtrip_tiny_chunks(void **state)
{
	(void)state;
	roundtrip_both(1); /* one record per chunk */
}

static void test_roundtrip_default_chunks(void **state)
{
	(void)state;
	roundtrip_both(0);
}

/* Many strings (a Go heap labels each element edge "[i]"): every id reads back as written,
 * whatever chunk it fell in and wherever it lies between the reader's index marks. */
static void test_roundtrip_many_strings(void **state)
{
	(void)state;
	enum { NSTR = 100003 };
	static const uint32_t chunk_sizes[] = { 1, 100, 0 };
	for (size_t c = 0; c < sizeof chunk_sizes / sizeof chunk_sizes[0]; c++) {
		char *dir = make_dir();
		char path[512];
		snprintf(path, sizeof path, "%s/strings.hwd", dir);
		hwd_writer_options o = { .producer = "strings test", .pointer_size = 8, .chunk_bytes = chunk_sizes[c] };
		hwd_writer *w;
		hwd_error err;
		char buf[64];
		assert_int_equal(hwd_writer_open(path, &o, &w, &err), 0);
		for (uint32_t i = 0; i < NSTR; i++) {
			int n = snprintf(buf, sizeof buf, "[%u]%.*s", i, (int)(i % 7), "xxxxxxx");
			assert_int_equal(hwd_writer_string(w, buf, (size_t)n), i + 1);
		}
		assert_int_equal(hwd_writer_finish(w, &err), 0);

		hwd_reader *r;
		assert_int_equal(hwd_reader_open(path, HWD_OPEN_STRICT, &r, &err), 0);
		assert_int_equal(hwd_reader_string_count(r), NSTR);
		for (uint32_t i = 0; i < NSTR; i++) {
			uint32_t len;
			int n = snprintf(buf, sizeof buf, "[%u]%.*s", i, (int)(i % 7), "xxxxxxx");
			const char *s = hwd_reader_string(r, i + 1, &len);
			assert_non_null(s);
			assert_int_equal(len, (uint32_t)n);
			assert_memory_equal(s, buf, (size_t)n);
		}
		assert_null(hwd_reader_string(r, NSTR + 1, NULL));
		hwd_reader_close(r);
		rm_dir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_many_strings),
		cmocka_unit_test(test_roundtrip_small_chunks),
		cmocka_unit_test(test_roundtrip_tiny_chunks),
		cmocka_unit_test(test_roundtrip_default_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

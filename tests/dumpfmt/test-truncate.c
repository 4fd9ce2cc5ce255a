/* test-truncate.c - a snapshot cut at every byte offset.
 *
 * The oracle is an independent walk of the chunk framing (docs/format.md) over the whole
 * file: for every cut it says which chunks are whole, and so how many records of each kind
 * the reader must keep. Every cut is opened from an exactly-sized heap copy, so a read past
 * the end is caught by the sanitizers.
 */
#include "testutil.h"

enum { K_STRINGS = 2, K_TYPES, K_OBJECTS, K_EDGES, K_ROOTS, K_GOROUTINES, K_FRAMES, K_THREADS, K_END = 11 };

static uint8_t *snap;
static size_t snap_len;

static int setup(void **state)
{
	(void)state;
	char *dir = make_dir(), path[600];
	snprintf(path, sizeof path, "%s/t.hwd", dir);
	hwd_writer_options o = { .producer = "truncate test", .chunk_bytes = 160, .with_contents = 1 };
	hwd_writer *w;
	assert_int_equal(hwd_writer_open(path, &o, &w, NULL), 0);
	hwd_writer_meta_u64(w, "pid", 7);
	uint32_t t1 = hwd_writer_type(w, "T1", 16, HWD_TYPE_STRUCT);
	uint32_t t2 = hwd_writer_type(w, "T2", 32, HWD_TYPE_MAP);
	for (uint32_t i = 0; i < 120; i++) {
		hwd_object ob = { 0x1000 + i * 64, 16 + i % 40, i % 2 ? t1 : t2, 0 };
		assert_int_equal(hwd_writer_object(w, &ob), 0);
	}
	for (uint32_t i = 0; i < 120; i++) {
		hwd_edge e = { i, (i * 7) % 120, i % 3 ? hwd_writer_cstring(w, i % 2 ? "next" : "prev") : 0, 0 };
		assert_int_equal(hwd_writer_edge(w, &e), 0);
		e.to = (i * 11) % 120;
		assert_int_equal(hwd_writer_edge(w, &e), 0);
	}
	for (uint32_t i = 0; i < 12; i++) {
		hwd_root rt = { HWD_ROOT_STACK, 0, 0, i * 9, i, i * 2, 0, 0x9000 + i };
		assert_int_equal(hwd_writer_root(w, &rt), 0);
	}
	for (uint32_t i = 0; i < 24; i++) {
		hwd_frame fr = { 0x400000 + i, 0x7000 + i, hwd_writer_cstring(w, "f"), 0, i, i / 2 };
		assert_int_equal(hwd_writer_frame(w, &fr), 0);
	}
	for (uint32_t i = 0; i < 12; i++) {
		hwd_goroutine g = { .id = i + 1, .wait_ns = -1, .state = hwd_writer_cstring(w, "waiting"),
				    .first_frame = i * 2, .nframes = 2 };
		assert_int_equal(hwd_writer_goroutine(w, &g), 0);
	}
	for (uint32_t i = 0; i < 6; i++) {
		hwd_thread th = { i + 1, 1, 2, 100 + i, 0 };
		assert_int_equal(hwd_writer_thread(w, &th), 0);
	}
	for (uint32_t i = 0; i < 120; i += 13)
		assert_int_equal(hwd_writer_contents(w, i, "0123456789abcdef", i % 17), 0);
	assert_int_equal(hwd_writer_finish(w, NULL), 0);
	snap = read_all(path, &snap_len);
	unlink(path);
	rm_dir(dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(snap);
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Records of each kind in the chunks wholly inside the first `cut` bytes; returns the number
 * of such chunks (END included). */
static uint64_t expected(size_t cut, uint64_t count[16], int *end)
{
	size_t pos = 32;
	uint64_t chunks = 0;
	memset(count, 0, 16 * sizeof count[0]);
	*end = 0;
	while (pos + 16 <= cut) {
		uint32_t kind = (uint32_t)le(snap + pos, 4);
		uint64_t plen = le(snap + pos + 8, 8), whole = 16 + plen + (8 - plen % 8) % 8;
		if (pos + whole > cut)
			break;
		const uint8_t *p = snap + pos + 16;
		if (kind == K_STRINGS)
			count[kind] += le(p + 4, 4);
		else if (kind >= K_TYPES && kind <= K_THREADS)
			count[kind] += le(p + 8, 8);
		*end |= kind == K_END;
		chunks++;
		pos += whole;
	}
	return chunks;
}

static void test_every_cut(void **state)
{
	(void)state;
	hwd_reader *full;
	assert_int_equal(hwd_reader_open_memory(snap, snap_len, HWD_OPEN_STRICT, &full, NULL), 0);
	uint64_t whole_chunks[16];
	int end;
	expected(snap_len, whole_chunks, &end);
	assert_true(end);
	assert_true(whole_chunks[K_OBJECTS] == 120 && whole_chunks[K_EDGES] == 240);

	size_t partial_opens = 0;
	for (size_t cut = 0; cut <= snap_len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, snap, cut);
		hwd_reader *r;
		hwd_error err;
		uint64_t c[16];
		uint64_t chunks = expected(cut, c, &end);
		int rc = hwd_reader_open_memory(copy, cut, 0, &r, &err);
		if (cut < 32) {
			assert_int_equal(rc, HWD_E_TRUNCATED);
			assert_null(r);
			free(copy);
			continue;
		}
		if (rc)
			fail_msg("cut %zu: %s", cut, err.message);
		const hwd_damage *dmg = hwd_reader_damage(r);
		assert_int_equal(dmg->partial, cut < snap_len);
		assert_int_equal(dmg->end_seen, cut == snap_len);
		assert_int_equal(dmg->chunks_read, chunks);
		assert_int_equal(dmg->edges_dropped, 0);
		assert_int_equal(hwd_reader_string_count(r), c[K_STRINGS]);
		assert_int_equal(hwd_reader_type_count(r), c[K_TYPES]);
		assert_int_equal(hwd_reader_object_count(r), c[K_OBJECTS]);
		assert_int_equal(hwd_reader_edge_count(r), c[K_EDGES]);
		assert_int_equal(hwd_reader_root_count(r), c[K_ROOTS]);
		assert_int_equal(hwd_reader_goroutine_count(r), c[K_GOROUTINES]);
		assert_int_equal(hwd_reader_frame_count(r), c[K_FRAMES]);
		assert_int_equal(hwd_reader_thread_count(r), c[K_THREADS]);
		if (cut < snap_len) {
			partial_opens++;
			assert_int_equal(dmg->cause, HWD_E_TRUNCATED);
			assert_non_null(strstr(dmg->message, "file ends at offset"));
			assert_int_equal(dmg->bytes_lost, cut - dmg->offset);
		}
		/* what was kept is exactly the prefix of the whole file */
		for (uint32_t i = 0; i < hwd_reader_object_count(r); i++)
			assert_int_equal(hwd_reader_object(r, i).addr, hwd_reader_object(full, i).addr);
		for (uint64_t i = 0; i < hwd_reader_edge_count(r); i++)
			assert_int_equal(hwd_reader_edge(r, i).to, hwd_reader_edge(full, i).to);
		/* forward references to lost goroutines and frames read as "none" */
		for (uint64_t i = 0; i < hwd_reader_root_count(r); i++) {
			hwd_root a = hwd_reader_root(r, i), b = hwd_reader_root(full, i);
			assert_int_equal(a.object, b.object);
			assert_int_equal(a.goroutine, b.goroutine < hwd_reader_goroutine_count(r) ? b.goroutine : HWD_NONE);
			assert_int_equal(a.frame, b.frame < hwd_reader_frame_count(r) ? b.frame : HWD_NONE);
		}
		for (uint32_t i = 0; i < hwd_reader_goroutine_count(r); i++) {
			hwd_goroutine g = hwd_reader_goroutine(r, i);
			assert_true(g.first_frame == HWD_NONE ? g.nframes == 0
				    : (uint64_t)g.first_frame + g.nframes <= hwd_reader_frame_count(r));
		}
		for (uint32_t i = 0; i < hwd_reader_object_count(r); i++) {
			uint64_t len, flen;
			const void *a = hwd_reader_contents(r, i, &len), *b = hwd_reader_contents(full, i, &flen);
			if (a) {
				assert_int_equal(len, flen);
				assert_memory_equal(a, b, len);
			}
		}
		hwd_reader_close(r);

		/* strict mode and the checker refuse every cut but the whole file */
		rc = hwd_reader_open_memory(copy, cut, HWD_OPEN_STRICT, &r, &err);
		assert_int_equal(rc, cut == snap_len ? 0 : HWD_E_TRUNCATED);
		hwd_reader_close(r);
		assert_int_equal(hwd_check_memory(copy, cut, NULL, NULL, &err), cut == snap_len ? 0 : HWD_E_TRUNCATED);
		free(copy);
	}
	assert_int_equal(partial_opens, snap_len - 32);
	hwd_reader_close(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

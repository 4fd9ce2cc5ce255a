/* test-graph.c - loading through the snapshot reader, and refusing bad arrays.
 *
 * A random graph is written with the dumpfmt writer (small chunks, so record runs and edge
 * ranges straddle chunk boundaries), loaded from the reader, and must give the same records,
 * dominators and retained sizes as the same graph built from arrays.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testgraph.h"
#include "dominators.h"
#include "retained.h"

static char *write_snapshot(tg_graph *t)
{
	char *path = g_build_filename(g_get_tmp_dir(), "hw-test-graph-XXXXXX", NULL);
	int fd = g_mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	hwd_writer_options opt = { .producer = "test-graph", .pointer_size = 8, .chunk_bytes = 256 };
	hwd_writer *w;
	hwd_error err;
	if (hwd_writer_open(path, &opt, &w, &err) != 0)
		fail_msg("hwd_writer_open: %s", err.message);
	uint32_t *type_ids = g_new0(uint32_t, t->types->len + 1);
	for (guint i = 0; i < t->types->len; i++) {
		hwd_type ty = g_array_index(t->types, hwd_type, i);
		type_ids[i + 1] = hwd_writer_type(w, t->strings->pdata[ty.name - 1], ty.size, ty.kind);
	}
	for (guint i = 0; i < t->objects->len; i++) {
		hwd_object o = g_array_index(t->objects, hwd_object, i);
		o.type = type_ids[o.type];
		assert_int_equal(hwd_writer_object(w, &o), 0);
	}
	for (guint i = 0; i < t->edges->len; i++) {
		hwd_edge e = g_array_index(t->edges, hwd_edge, i);
		e.label = e.label ? hwd_writer_cstring(w, t->strings->pdata[e.label - 1]) : 0;
		assert_int_equal(hwd_writer_edge(w, &e), 0);
	}
	for (guint i = 0; i < t->roots->len; i++) {
		hwd_root r = g_array_index(t->roots, hwd_root, i);
		r.name = r.name ? hwd_writer_cstring(w, t->strings->pdata[r.name - 1]) : 0;
		assert_int_equal(hwd_writer_root(w, &r), 0);
	}
	if (hwd_writer_finish(w, &err) != 0)
		fail_msg("hwd_writer_finish: %s", err.message);
	g_free(type_ids);
	return path;
}

static void progress_count(const char *phase, double fraction, void *user)
{
	assert_non_null(phase);
	assert_true(fraction >= 0.0 && fraction <= 1.0);
	(*(int *)user)++;
}

static void test_load_matches_arrays(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(99);
	for (int iter = 0; iter < 40; iter++) {
		uint32_t n = g_rand_int_range(rng, 1, 300);
		tg_graph *t = tg_random(rng, n, g_rand_int_range(rng, 0, (gint32)(3 * n)), 5);
		for (int k = 0; k < 4; k++)
			tg_root(t, HWD_ROOT_GLOBAL, "main.v", g_rand_int_range(rng, 0, (gint32)n));
		hw_graph *ga = tg_build(t);
		char *path = write_snapshot(t);
		hwd_reader *r;
		hwd_error herr;
		if (hwd_reader_open(path, HWD_OPEN_STRICT, &r, &herr) != 0)
			fail_msg("hwd_reader_open: %s", herr.message);
		GError *err = NULL;
		int calls = 0;
		hw_graph *gl = hw_graph_load(r, progress_count, &calls, &err);
		if (!gl)
			fail_msg("hw_graph_load: %s", err->message);
		assert_true(calls > 0);
		hwd_run run;
		uint64_t runs = 0;
		while (hwd_reader_edge_run(r, runs, &run))
			runs++;
		if (t->edges->len > 64)   /* 256-byte chunks: edge ranges straddle runs */
			assert_true(runs > 1);
		assert_true(hw_graph_check(gl, NULL));
		assert_int_equal(hw_graph_n_objects(gl), n);
		assert_int_equal(hw_graph_n_edges(gl), t->edges->len);
		hw_domtree *da = hw_domtree_compute(ga, NULL, NULL, &err);
		hw_domtree *dl = hw_domtree_compute(gl, NULL, NULL, &err);
		for (uint32_t v = 0; v < n; v++) {
			assert_int_equal(hw_graph_object(gl, v).addr, hw_graph_object(ga, v).addr);
			assert_int_equal(hw_domtree_idom(dl, v), hw_domtree_idom(da, v));
			assert_int_equal(hw_retained_size(dl, v), hw_retained_size(da, v));
			uint32_t la, ll;
			const char *na = hw_graph_type_name(ga, hw_graph_object(ga, v).type, &la);
			const char *nl = hw_graph_type_name(gl, hw_graph_object(gl, v).type, &ll);
			assert_int_equal(la, ll);
			assert_memory_equal(na, nl, la);
		}
		assert_true(hw_graph_ensure_in_edges(gl, NULL));
		uint64_t total = 0;
		for (uint32_t v = 0; v < n; v++) {
			uint32_t c;
			const uint32_t *in = hw_graph_in_edges(gl, v, &c);
			for (uint32_t i = 0; i < c; i++)
				assert_int_equal(hw_graph_edge(gl, in[i]).to, v);
			total += c;
		}
		assert_int_equal(total, t->edges->len);
		hw_domtree_free(da);
		hw_domtree_free(dl);
		hw_graph_free(gl);
		hwd_reader_close(r);
		hw_graph_free(ga);
		unlink(path);
		g_free(path);
		tg_free(t);
	}
	g_rand_free(rng);
}

static void expect_invalid(tg_graph *t, const char *needle)
{
	hw_graph_arrays a = {
		(const hwd_object *)(void *)t->objects->data, t->objects->len,
		(const hwd_edge *)(void *)t->edges->data, t->edges->len,
		(const hwd_root *)(void *)t->roots->data, t->roots->len,
		(const hwd_type *)(void *)t->types->data, t->types->len,
		(const char *const *)t->strings->pdata, t->strings->len,
	};
	GError *err = NULL;
	assert_null(hw_graph_new_from_arrays(&a, &err));
	assert_non_null(err);
	assert_true(g_error_matches(err, HW_ERROR, HW_ERROR_INVALID));
	if (!strstr(err->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
	g_error_free(err);
}

static void test_bad_arrays(void **state)
{
	(void)state;
	tg_graph *t = tg_new();
	tg_object(t, 8, 0);
	tg_object(t, 8, 0);
	tg_edge(t, 1, 0, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 0, 1, HWD_EDGE_STRONG, NULL, 0);   /* out of order */
	expect_invalid(t, "out of order");
	g_array_set_size(t->edges, 0);
	tg_edge(t, 0, 7, HWD_EDGE_STRONG, NULL, 0);
	expect_invalid(t, "edge 0 (0 -> 7)");
	g_array_set_size(t->edges, 0);
	tg_root(t, HWD_ROOT_GLOBAL, "x", 5);
	expect_invalid(t, "root 0 names object 5");
	g_array_set_size(t->roots, 0);
	g_array_index(t->objects, hwd_object, 1).type = 3;
	expect_invalid(t, "object 1 has type 3");
	tg_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_matches_arrays),
		cmocka_unit_test(test_bad_arrays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-paths.c - retention paths are real, start at a root and obey the shortest rule.
 *
 * Oracle (independent of paths.c): f(v) = the fewest finalizer edges on any path from the
 * roots (0-1 BFS, weak edges excluded). Tier k = objects with f = k; its seeds are the tier-k
 * targets of finalizer edges from tier k-1; d(v) = BFS distance over non-finalizer edges from
 * the roots (tier 0) or from the tier's seeds. A path must have exactly f(v) finalizer edges
 * and d(v) edges after its last finalizer edge (all of them in tier 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testgraph.h"
#include "paths.h"

static uint32_t *oracle_tiers(const tg_graph *t, uint32_t **dist_out)
{
	uint32_t n = t->objects->len;
	uint32_t *f = g_new(uint32_t, n + 1), *d = g_new(uint32_t, n + 1);
	memset(f, 0xff, sizeof(uint32_t) * (n + 1));
	memset(d, 0xff, sizeof(uint32_t) * (n + 1));
	/* f by repeated relaxation (Bellman-Ford; tiny graphs). */
	for (guint k = 0; k < t->roots->len; k++)
		f[g_array_index(t->roots, hwd_root, k).object] = 0;
	for (gboolean changed = TRUE; changed;) {
		changed = FALSE;
		for (guint i = 0; i < t->edges->len; i++) {
			const hwd_edge *e = &g_array_index(t->edges, hwd_edge, i);
			hwd_edge_kind kind = hwd_edge_kind_of(e);
			if (kind == HWD_EDGE_WEAK || f[e->from] == HW_NONE)
				continue;
			uint32_t c = f[e->from] + (kind == HWD_EDGE_FINALIZER);
			if (c < f[e->to])
				f[e->to] = c, changed = TRUE;
		}
	}
	/* d per tier by relaxation over non-finalizer edges inside the tier. */
	for (guint k = 0; k < t->roots->len; k++)
		d[g_array_index(t->roots, hwd_root, k).object] = 0;
	for (guint i = 0; i < t->edges->len; i++) {
		const hwd_edge *e = &g_array_index(t->edges, hwd_edge, i);
		if (hwd_edge_kind_of(e) == HWD_EDGE_FINALIZER && f[e->from] != HW_NONE && f[e->to] == f[e->from] + 1)
			d[e->to] = 0;
	}
	for (gboolean changed = TRUE; changed;) {
		changed = FALSE;
		for (guint i = 0; i < t->edges->len; i++) {
			const hwd_edge *e = &g_array_index(t->edges, hwd_edge, i);
			hwd_edge_kind kind = hwd_edge_kind_of(e);
			if (kind == HWD_EDGE_WEAK || kind == HWD_EDGE_FINALIZER || d[e->from] == HW_NONE || f[e->to] != f[e->from])
				continue;
			if (d[e->from] + 1 < d[e->to])
				d[e->to] = d[e->from] + 1, changed = TRUE;
		}
	}
	*dist_out = d;
	return f;
}

static void check_paths(tg_graph *t)
{
	hw_graph *g = tg_build(t);
	GError *err = NULL;
	hw_path_index *p = hw_path_index_build(g, NULL, NULL, &err);
	assert_non_null(p);
	uint32_t n = t->objects->len, *d;
	uint32_t *f = oracle_tiers(t, &d);
	for (uint32_t v = 0; v < n; v++) {
		hw_path path;
		gboolean ok = hw_path_find(p, v, &path);
		assert_int_equal(ok, f[v] != HW_NONE);
		if (!ok) {
			assert_int_equal(hw_path_length(p, v), HW_NONE);
			continue;
		}
		/* The root record names the first object; steps chain through real edges. */
		assert_true(path.root_record < t->roots->len);
		assert_int_equal(g_array_index(t->roots, hwd_root, path.root_record).object, path.root.object);
		uint32_t at = path.root.object, fin = 0, after = 0;
		for (guint i = 0; i < path.steps->len; i++) {
			const hw_path_step *s = &g_array_index(path.steps, hw_path_step, i);
			hwd_edge e = hw_graph_edge(g, s->edge);
			assert_int_equal(s->from, at);
			assert_int_equal(e.from, s->from);
			assert_int_equal(e.to, s->to);
			assert_int_equal(hwd_edge_kind_of(&e), s->kind);
			assert_int_not_equal(s->kind, HWD_EDGE_WEAK);
			if (s->kind == HWD_EDGE_FINALIZER)
				fin++, after = 0;
			else
				after++;
			at = s->to;
		}
		assert_int_equal(at, v);
		assert_int_equal(fin, f[v]);
		assert_int_equal(after, d[v]);
		assert_int_equal(hw_path_length(p, v), path.steps->len);
		hw_path_clear(&path);
	}
	assert_false(hw_path_find(p, n, &(hw_path){ 0 }));
	g_free(f);
	g_free(d);
	hw_path_index_free(p);
	hw_graph_free(g);
}

static void test_random(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(4242);
	for (int iter = 0; iter < 3000; iter++) {
		uint32_t n = g_rand_int_range(rng, 0, 20);
		tg_graph *t = tg_random(rng, n, n ? g_rand_int_range(rng, 0, (gint32)(3 * n + 2)) : 0, 2);
		check_paths(t);
		tg_free(t);
	}
	g_rand_free(rng);
}

/* A finalizer shortcut loses to a longer ordinary path. */
static void test_finalizer_avoided(void **state)
{
	(void)state;
	tg_graph *t = tg_new();
	for (int i = 0; i < 4; i++)
		tg_object(t, 8, 0);
	tg_edge(t, 0, 3, HWD_EDGE_FINALIZER, NULL, 0);
	tg_edge(t, 0, 1, HWD_EDGE_STRONG, "a", 0);
	tg_edge(t, 1, 2, HWD_EDGE_STRONG, "b", 8);
	tg_edge(t, 2, 3, HWD_EDGE_STRONG, "c", 16);
	tg_root(t, HWD_ROOT_GLOBAL, "main.g", 0);
	hw_graph *g = tg_build(t);
	hw_path_index *p = hw_path_index_build(g, NULL, NULL, NULL);
	hw_path path;
	assert_true(hw_path_find(p, 3, &path));
	assert_int_equal(path.steps->len, 3);
	assert_int_equal(g_array_index(path.steps, hw_path_step, 2).offset, 16);
	hw_path_clear(&path);
	hw_path_index_free(p);
	hw_graph_free(g);
	tg_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finalizer_avoided),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

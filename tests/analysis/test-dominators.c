/* test-dominators.c - idom and retained sizes against the definitions, on random graphs.
 *
 * v dominates w iff deleting v disconnects w from the roots (brute force reachability);
 * idom(w) is the strict dominator every other strict dominator dominates; retained(v) is
 * size(v) plus the sizes of everything that becomes unreachable when v is deleted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testgraph.h"
#include "dominators.h"
#include "domtree-private.h"
#include "retained.h"

/* Bucket caps for hw_domtree_compute_windowed(): one back/cross edge per window, and three.
 * Every result must be the same as with the default cap (one window on these graphs). */
static const uint64_t caps[] = { 1, 3 };
#define N_CAPS (sizeof(caps) / sizeof(caps[0]))

static void check_against_oracle(tg_graph *t)
{
	hw_graph *g = tg_build(t);
	GError *err = NULL;
	if (!hw_graph_check(g, &err))
		fail_msg("hw_graph_check: %s", err->message);
	hw_domtree *d = hw_domtree_compute(g, NULL, NULL, &err);
	assert_non_null(d);
	if (!hw_domtree_check(d, &err))
		fail_msg("hw_domtree_check: %s", err->message);
	hw_domtree *win[N_CAPS];
	for (size_t c = 0; c < N_CAPS; c++) {
		win[c] = hw_domtree_compute_windowed(g, caps[c], NULL, NULL, &err);
		assert_non_null(win[c]);
	}
	/* The computation borrows the graph's first-edge index: it must come back intact. */
	if (!hw_graph_check(g, &err))
		fail_msg("hw_graph_check after the dominators: %s", err->message);
	uint32_t n = t->objects->len;
	guint8 *reach = g_new(guint8, n + 1), *without = g_new(guint8, n + 1);
	guint8 *dom = tg_dominance(t);
	tg_reach(t, HW_NONE, reach);
	uint64_t rc = 0, rb = 0, uc = 0, ub = 0;
	for (uint32_t w = 0; w < n; w++) {
		uint64_t size = g_array_index(t->objects, hwd_object, w).size;
		uint32_t want_idom = tg_idom(t, dom, reach, w);
		assert_int_equal(hw_domtree_idom(d, w), want_idom);
		for (size_t c = 0; c < N_CAPS; c++)
			assert_int_equal(hw_domtree_idom(win[c], w), want_idom);
		if (!reach[w]) {
			uc++, ub += size;
			assert_int_equal(hw_retained_size(d, w), 0);
			for (size_t c = 0; c < N_CAPS; c++)
				assert_int_equal(hw_retained_size(win[c], w), 0);
			continue;
		}
		rc++, rb += size;
		tg_reach(t, w, without);
		uint64_t freed = size;
		for (uint32_t x = 0; x < n; x++)
			if (reach[x] && !without[x] && x != w)
				freed += g_array_index(t->objects, hwd_object, x).size;
		assert_int_equal(hw_retained_size(d, w), freed);
		for (size_t c = 0; c < N_CAPS; c++)
			assert_int_equal(hw_retained_size(win[c], w), freed);
	}
	hw_heap_totals tot = hw_domtree_totals(d);
	assert_int_equal(tot.reachable_count, rc);
	assert_int_equal(tot.reachable_bytes, rb);
	assert_int_equal(tot.unreachable_count, uc);
	assert_int_equal(tot.unreachable_bytes, ub);
	assert_int_equal(hw_retained_size(d, n), rb);
	assert_int_equal(hw_domtree_idom(d, n), HW_NONE);
	/* Children lists: exactly the objects whose idom is v, largest retained first. */
	for (uint32_t v = 0; v <= n; v++) {
		uint32_t cnt, want = 0;
		const uint32_t *kids = hw_domtree_children(d, v, &cnt);
		for (uint32_t w = 0; w < n; w++)
			want += hw_domtree_idom(d, w) == v;
		assert_int_equal(cnt, want);
		for (uint32_t i = 0; i < cnt; i++) {
			assert_int_equal(hw_domtree_idom(d, kids[i]), v);
			if (i)
				assert_true(hw_retained_size(d, kids[i - 1]) >= hw_retained_size(d, kids[i]));
		}
	}
	g_free(dom);
	g_free(reach);
	g_free(without);
	for (size_t c = 0; c < N_CAPS; c++)
		hw_domtree_free(win[c]);
	hw_domtree_free(d);
	hw_graph_free(g);
}

static void test_random_small(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(12345);
	for (int iter = 0; iter < 4000; iter++) {
		uint32_t n = g_rand_int_range(rng, 0, 14);
		uint32_t ne = n ? g_rand_int_range(rng, 0, (gint32)(3 * n + 2)) : 0;
		tg_graph *t = tg_random(rng, n, ne, 3);
		check_against_oracle(t);
		tg_free(t);
	}
	g_rand_free(rng);
}

static void test_random_medium(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(777);
	for (int iter = 0; iter < 150; iter++) {
		uint32_t n = g_rand_int_range(rng, 20, 60);
		tg_graph *t = tg_random(rng, n, g_rand_int_range(rng, n, 3 * n), 4);
		/* More roots for bigger graphs, so that something is reachable. */
		for (int k = 0; k < 3; k++)
			tg_root(t, HWD_ROOT_GLOBAL, "g", g_rand_int_range(rng, 0, (gint32)n));
		check_against_oracle(t);
		tg_free(t);
	}
	g_rand_free(rng);
}

/* The textbook example where idom != semidominator (Lengauer & Tarjan 1979, figure 1 shape). */
static void test_semi_differs(void **state)
{
	(void)state;
	tg_graph *t = tg_new();
	for (int i = 0; i < 7; i++)
		tg_object(t, 10, 0);
	/* 0 -> 1 -> 2 -> 3, 0 -> 4 -> 3, 3 -> 5 -> 2 (back into the chain), 5 -> 6, 2 -> 6 */
	tg_edge(t, 0, 1, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 0, 4, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 1, 2, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 2, 3, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 2, 6, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 3, 5, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 4, 3, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 5, 2, HWD_EDGE_STRONG, NULL, 0);
	tg_edge(t, 5, 6, HWD_EDGE_WEAK, NULL, 0);
	tg_root(t, HWD_ROOT_GLOBAL, "main.x", 0);
	check_against_oracle(t);
	tg_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semi_differs),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_medium),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

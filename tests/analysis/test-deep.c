/* test-deep.c - a 4-million-long linked list: no recursion anywhere, exact answers.
 *
 * In a chain rooted at its head every object dominates all that follow, so idom(i) = i - 1,
 * retained(i) = (n - i) * size and the path to the tail has n - 1 edges. Back edges from
 * every object to the head add long eval() paths without changing any dominator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <cmocka.h>

#include "dominators.h"
#include "retained.h"
#include "paths.h"

#define N 4000000u

static uint32_t one_key(uint32_t v, void *user)
{
	(void)v;
	(void)user;
	return 1;
}

static void run_chain(gboolean back_edges)
{
	hwd_object *objs = g_new(hwd_object, N);
	hwd_edge *edges = g_new(hwd_edge, 2 * (gsize)N);
	uint64_t ne = 0;
	for (uint32_t i = 0; i < N; i++) {
		objs[i] = (hwd_object){ 0x10000 + 16 * (uint64_t)i, 16, 0, 0 };
		if (back_edges && i > 0)
			edges[ne++] = (hwd_edge){ i, 0, 0, hwd_edge_info(HWD_EDGE_STRONG, 8) };
		if (i + 1 < N)
			edges[ne++] = (hwd_edge){ i, i + 1, 0, hwd_edge_info(HWD_EDGE_STRONG, 0) };
	}
	hwd_root root = { HWD_ROOT_GLOBAL, 0, 0, 0, HWD_NONE, HWD_NONE, 0, 0 };
	hw_graph_arrays a = { objs, N, edges, ne, &root, 1, NULL, 0, NULL, 0 };
	GError *err = NULL;
	hw_graph *g = hw_graph_new_from_arrays(&a, &err);
	g_free(objs);
	g_free(edges);
	assert_non_null(g);
	hw_domtree *d = hw_domtree_compute(g, NULL, NULL, &err);
	assert_non_null(d);
	assert_int_equal(hw_domtree_idom(d, 0), N);
	for (uint32_t i = 1; i < N; i++)
		if (hw_domtree_idom(d, i) != i - 1 || hw_retained_size(d, i) != 16 * (uint64_t)(N - i))
			fail_msg("object %u: idom %u retained %" PRIu64, i, hw_domtree_idom(d, i), hw_retained_size(d, i));
	assert_int_equal(hw_retained_size(d, 0), 16 * (uint64_t)N);
	hw_path_index *p = hw_path_index_build(g, NULL, NULL, &err);
	assert_non_null(p);
	assert_int_equal(hw_path_length(p, N - 1), N - 1);
	/* The outermost walk goes as deep as the tree: only the head is outermost. */
	guint8 *outer = hw_domtree_outermost(d, one_key, 2, NULL);
	assert_non_null(outer);
	assert_true(hw_bit(outer, 0));
	for (uint32_t i = 1; i < N; i++)
		if (hw_bit(outer, i))
			fail_msg("object %u is dominated by the head but marked outermost", i);
	g_free(outer);
	hw_path_index_free(p);
	hw_domtree_free(d);
	hw_graph_free(g);
}

static void test_chain(void **state) { (void)state; run_chain(FALSE); }
static void test_chain_back_edges(void **state) { (void)state; run_chain(TRUE); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_back_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

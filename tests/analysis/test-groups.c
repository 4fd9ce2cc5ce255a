/* test-groups.c - path-signature groups, histograms and object selection.
 *
 * Oracles: hand-written signatures for the masking rules; for random graphs, counts and
 * bytes re-aggregated member by member, and retained sums where a member counts only if no
 * other member (or same-type object) dominates it by the deletion definition (testgraph.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testgraph.h"
#include "groups.h"
#include "histogram.h"
#include "retained.h"
#include "select.h"

static void test_mask(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "main.cache", "main.cache" },
		{ "[12]", "[*]" },
		{ "[12][3].x", "[*][*].x" },
		{ "[12", "[12" },
		{ "[1a]", "[1a]" },
		{ "at 0xc000123abc in goroutine 17 (frame 3)", "at 0x? in goroutine ? (frame 3)" },
		{ "0x", "0x" },
		{ "goroutine x", "goroutine x" },
		{ "[16]uint8", "[*]uint8" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *m = hw_groups_mask(cases[i][0], strlen(cases[i][0]));
		assert_string_equal(m, cases[i][1]);
		g_free(m);
	}
}

/* cache -> items array -> [0],[1],[2] Items; Item[0] -> next -> Item X; a stack root on two
 * goroutines holds Items Y and Z. Groups of Items: by array slot (masked), by .next, by stack. */
static void test_hand_built(void **state)
{
	(void)state;
	tg_graph *t = tg_new();
	uint32_t tcache = tg_type(t, "main.Cache"), tarr = tg_type(t, "[]*main.Item"), titem = tg_type(t, "main.Item");
	uint32_t cache = tg_object(t, 64, tcache), arr = tg_object(t, 24, tarr);
	uint32_t i0 = tg_object(t, 32, titem), i1 = tg_object(t, 32, titem), i2 = tg_object(t, 32, titem);
	uint32_t x = tg_object(t, 32, titem), y = tg_object(t, 32, titem), z = tg_object(t, 32, titem);
	tg_edge(t, cache, arr, HWD_EDGE_STRONG, "items", 8);
	tg_edge(t, arr, i0, HWD_EDGE_STRONG, "[0]", 0);
	tg_edge(t, arr, i1, HWD_EDGE_STRONG, "[1]", 8);
	tg_edge(t, arr, i2, HWD_EDGE_STRONG, "[2]", 16);
	tg_edge(t, i0, x, HWD_EDGE_STRONG, "next", 0);
	tg_root(t, HWD_ROOT_GLOBAL, "main.cache", cache);
	tg_root(t, HWD_ROOT_STACK, "goroutine 7 slot at 0xc000010000", y);
	tg_root(t, HWD_ROOT_STACK, "goroutine 9 slot at 0xc000020000", z);
	hw_graph *g = tg_build(t);
	hw_domtree *d = hw_domtree_compute(g, NULL, NULL, NULL);
	hw_path_index *p = hw_path_index_build(g, NULL, NULL, NULL);
	GArray *items = hw_select_by_type_glob(g, "main.It*");
	assert_int_equal(items->len, 6);
	GPtrArray *groups = hw_groups_compute(d, p, (const uint32_t *)(void *)items->data, items->len, NULL);
	assert_int_equal(groups->len, 3);
	hw_group *a = groups->pdata[0], *b = groups->pdata[1], *c = groups->pdata[2];
	assert_string_equal(a->signature, "global main.cache main.Cache -> items []*main.Item -> [*] main.Item");
	assert_int_equal(a->count, 3);
	assert_int_equal(a->bytes, 96);
	assert_int_equal(a->retained, 128);   /* i0 retains x: 32 + 32, plus i1 and i2 */
	assert_int_equal(a->example, i0);
	assert_string_equal(b->signature, "stack goroutine ? slot at 0x? main.Item");
	assert_int_equal(b->count, 2);
	assert_int_equal(b->retained, 64);
	/* x is dominated by member i0: its bytes count, its retained does not. */
	assert_string_equal(c->signature, "global main.cache main.Cache -> items []*main.Item -> [*] main.Item -> next main.Item");
	assert_int_equal(c->count, 1);
	assert_int_equal(c->bytes, 32);
	assert_int_equal(c->retained, 0);
	g_ptr_array_unref(groups);
	g_array_free(items, TRUE);
	hw_path_index_free(p);
	hw_domtree_free(d);
	hw_graph_free(g);
	tg_free(t);
}

static void test_random_against_brute_force(void **state)
{
	(void)state;
	GRand *rng = g_rand_new_with_seed(2024);
	for (int iter = 0; iter < 1500; iter++) {
		uint32_t n = g_rand_int_range(rng, 1, 16);
		tg_graph *t = tg_random(rng, n, g_rand_int_range(rng, 0, (gint32)(3 * n)), 3);
		tg_root(t, HWD_ROOT_OTHER, "at 0x1234", 0);
		hw_graph *g = tg_build(t);
		hw_domtree *d = hw_domtree_compute(g, NULL, NULL, NULL);
		hw_path_index *p = hw_path_index_build(g, NULL, NULL, NULL);
		guint8 *dom = tg_dominance(t), *reach = g_new(guint8, n);
		tg_reach(t, HW_NONE, reach);
		/* Groups of the objects of type 1. */
		GArray *members = hw_select_by_type(g, 1);
		GPtrArray *groups = hw_groups_compute(d, p, (const uint32_t *)(void *)members->data, members->len, NULL);
		GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint i = 0; i < groups->len; i++) {
			hw_group *grp = groups->pdata[i];
			uint64_t count = 0, bytes = 0, retained = 0;
			for (guint j = 0; j < members->len; j++) {
				uint32_t v = g_array_index(members, uint32_t, j);
				assert_int_equal(g_array_index(t->objects, hwd_object, v).type, 1);
				char *sig = hw_groups_signature(g, p, v);
				if (sig && strcmp(sig, grp->signature) == 0) {
					count++;
					bytes += g_array_index(t->objects, hwd_object, v).size;
					gboolean nested = FALSE;
					for (guint k = 0; k < members->len; k++)
						nested |= dom[(gsize)g_array_index(members, uint32_t, k) * n + v];
					if (!nested)
						retained += hw_retained_size(d, v);
				}
				g_free(sig);
			}
			assert_int_equal(grp->count, count);
			assert_int_equal(grp->bytes, bytes);
			assert_int_equal(grp->retained, retained);
			assert_true(g_hash_table_add(seen, grp->signature));
			if (i)
				assert_true(((hw_group *)groups->pdata[i - 1])->retained >= grp->retained);
		}
		uint64_t reachable_members = 0;
		for (guint j = 0; j < members->len; j++)
			reachable_members += reach[g_array_index(members, uint32_t, j)];
		uint64_t grouped = 0;
		for (guint i = 0; i < groups->len; i++)
			grouped += ((hw_group *)groups->pdata[i])->count;
		assert_int_equal(grouped, reachable_members);
		/* Histogram rows. */
		GArray *hist = hw_histogram_compute(d, NULL);
		for (guint i = 0; i < hist->len; i++) {
			hw_histogram_row *r = &g_array_index(hist, hw_histogram_row, i);
			uint64_t count = 0, bytes = 0, retained = 0, uc = 0, ub = 0;
			for (uint32_t v = 0; v < n; v++) {
				hwd_object o = g_array_index(t->objects, hwd_object, v);
				if (o.type != r->type)
					continue;
				if (!reach[v]) {
					uc++, ub += o.size;
					continue;
				}
				count++, bytes += o.size;
				gboolean nested = FALSE;
				for (uint32_t u = 0; u < n; u++)
					nested |= g_array_index(t->objects, hwd_object, u).type == o.type && dom[(gsize)u * n + v];
				if (!nested)
					retained += hw_retained_size(d, v);
			}
			assert_int_equal(r->count, count);
			assert_int_equal(r->bytes, bytes);
			assert_int_equal(r->retained, retained);
			assert_int_equal(r->unreachable_count, uc);
			assert_int_equal(r->unreachable_bytes, ub);
		}
		uint64_t all = 0;
		for (guint i = 0; i < hist->len; i++)
			all += g_array_index(hist, hw_histogram_row, i).count + g_array_index(hist, hw_histogram_row, i).unreachable_count;
		assert_int_equal(all, n);
		g_array_free(hist, TRUE);
		g_hash_table_destroy(seen);
		g_ptr_array_unref(groups);
		g_array_free(members, TRUE);
		g_free(dom);
		g_free(reach);
		hw_path_index_free(p);
		hw_domtree_free(d);
		hw_graph_free(g);
		tg_free(t);
	}
	g_rand_free(rng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_random_against_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

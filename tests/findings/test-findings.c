/* test-findings.c - leak findings and goroutine retention against independent oracles.
 *
 * hw_roots_class_retained is checked against brute force (remove a class's roots, count what
 * becomes unreachable) on random graphs. The single-snapshot cache rule (a dominator over its
 * share of the heap, followed down to its accumulation point) runs on a small graph whose
 * retained sizes are set by construction. The detectors run on hwgen --step series (samples/gen/
 * series.c), whose growth is known by construction and read from hwgen's expectations: the
 * leaky series must give exactly the three findings with the constructed numbers, and the
 * clean twin none at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "goroutines.h"
#include "retained.h"
#include "testgraph.h"

/* Bytes reachable from the roots whose class is not `removed`, over non-weak edges. */
static uint64_t reachable_bytes_without(const tg_graph *t, const uint32_t *cls, uint32_t removed)
{
	uint32_t n = t->objects->len;
	g_autofree guint8 *seen = g_new0(guint8, n);
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint k = 0; k < t->roots->len; k++) {
		uint32_t o = g_array_index(t->roots, hwd_root, k).object;
		if (cls[k] != removed && !seen[o]) {
			seen[o] = 1;
			g_array_append_val(stack, o);
		}
	}
	while (stack->len) {
		uint32_t v = g_array_index(stack, uint32_t, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		for (guint e = 0; e < t->edges->len; e++) {
			const hwd_edge *ed = &g_array_index(t->edges, hwd_edge, e);
			if (ed->from == v && hwd_edge_kind_of(ed) != HWD_EDGE_WEAK && !seen[ed->to]) {
				seen[ed->to] = 1;
				g_array_append_val(stack, ed->to);
			}
		}
	}
	uint64_t bytes = 0;
	for (uint32_t v = 0; v < n; v++)
		bytes += seen[v] ? g_array_index(t->objects, hwd_object, v).size : 0;
	return bytes;
}

static void test_class_retained_brute_force(void **state)
{
	(void)state;
	g_autoptr(GRand) rng = g_rand_new_with_seed(7);
	for (int round = 0; round < 200; round++) {
		uint32_t n = 2 + g_rand_int_range(rng, 0, 40);
		tg_graph *t = tg_random(rng, n, g_rand_int_range(rng, 0, 3 * n), 4);
		/* Extra roots so that several classes share objects. */
		for (int k = 0; k < 4; k++)
			tg_root(t, HWD_ROOT_STACK, "r", g_rand_int_range(rng, 0, n));
		hw_graph *g = tg_build(t);
		GError *error = NULL;
		hw_domtree *d = hw_domtree_compute(g, NULL, NULL, &error);
		assert_non_null(d);
		uint32_t n_classes = 3, nr = t->roots->len;
		g_autofree uint32_t *cls = g_new(uint32_t, nr);
		for (uint32_t k = 0; k < nr; k++)
			cls[k] = g_rand_int_range(rng, 0, 4) == 3 ? HW_NONE : (uint32_t)g_rand_int_range(rng, 0, n_classes);
		uint64_t retained[3];
		assert_true(hw_roots_class_retained(d, cls, n_classes, retained, &error));
		uint64_t all = reachable_bytes_without(t, cls, HW_NONE - 1);
		for (uint32_t c = 0; c < n_classes; c++)
			assert_int_equal(retained[c], all - reachable_bytes_without(t, cls, c));
		hw_domtree_free(d);
		hw_graph_free(g);
		tg_free(t);
	}
}

/* ---- the single-snapshot cache rule on a constructed graph --------------------------------- */

/* Heap of 10000 bytes, built so that each number of the rule is known:
 *   root R (kind `root_kind`) -> big (100 B) -> {mid (50 B) -> {d (500 B), e (300 B)}, c (150 B)}
 *     big retains 1100 (11% of the heap: over the 10% share); mid keeps 850/1100 = 77% of it
 *     (>= 70%: go down); d keeps 500/850 = 59% of mid (< 70%: stop): the point is mid, with
 *     2 entries (its dominator-tree children);
 *   root main.near -> near (900 B): 9%, under the share;
 *   20 roots main.fillK -> fill (400 B each): 4% each. */
typedef struct hotspot_graph {
	hw_graph *g;
	hw_domtree *d;
	hw_path_index *p;
} hotspot_graph;

static hotspot_graph hotspot_build(hwd_root_kind root_kind)
{
	tg_graph *t = tg_new();
	uint32_t big = tg_object(t, 100, tg_type(t, "main.Big"));
	uint32_t mid = tg_object(t, 50, tg_type(t, "main.Mid"));
	uint32_t c = tg_object(t, 150, tg_type(t, "main.C"));
	uint32_t d = tg_object(t, 500, tg_type(t, "main.D"));
	uint32_t e = tg_object(t, 300, tg_type(t, "main.E"));
	uint32_t near = tg_object(t, 900, tg_type(t, "main.Near"));
	tg_edge(t, big, mid, HWD_EDGE_STRONG, "mid", 8);
	tg_edge(t, big, c, HWD_EDGE_STRONG, "c", 16);
	tg_edge(t, mid, d, HWD_EDGE_STRONG, "d", 8);
	tg_edge(t, mid, e, HWD_EDGE_STRONG, "e", 16);
	tg_root(t, root_kind, root_kind == HWD_ROOT_GLOBAL ? "main.big" : "", big);
	tg_root(t, HWD_ROOT_GLOBAL, "main.near", near);
	uint32_t fill_type = tg_type(t, "main.Fill");
	for (int k = 0; k < 20; k++) {
		char name[32];
		snprintf(name, sizeof name, "main.fill%d", k);
		tg_root(t, HWD_ROOT_GLOBAL, name, tg_object(t, 400, fill_type));
	}
	hotspot_graph h = { .g = tg_build(t) };
	tg_free(t);
	GError *error = NULL;
	h.d = hw_domtree_compute(h.g, NULL, NULL, &error);
	h.p = hw_path_index_build(h.g, NULL, NULL, &error);
	assert_non_null(h.d);
	assert_non_null(h.p);
	assert_int_equal(hw_domtree_totals(h.d).reachable_bytes, 10000);
	return h;
}

static void hotspot_free(hotspot_graph *h)
{
	hw_path_index_free(h->p);
	hw_domtree_free(h->d);
	hw_graph_free(h->g);
}

static GPtrArray *hotspot_findings(hotspot_graph *h, const hw_leak_thresholds *t)
{
	GError *error = NULL;
	hw_leak_summary *sum = hw_leak_summary_compute(h->d, h->p, NULL, t, NULL, NULL, &error);
	assert_non_null(sum);
	GPtrArray *fs = hw_leaks_detect(&sum, 1, t);
	hw_leak_summary_free(sum);
	return fs;
}

static void test_single_snapshot_cache_rule(void **state)
{
	(void)state;
	hotspot_graph h = hotspot_build(HWD_ROOT_GLOBAL);
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	g_autoptr(GPtrArray) fs = hotspot_findings(&h, &t);
	assert_int_equal(fs->len, 1);
	const hw_finding *f = g_ptr_array_index(fs, 0);
	assert_int_equal(f->kind, HW_FINDING_CACHE);
	assert_string_equal(f->u.cache.dominator_type, "main.Big");
	assert_int_equal(f->u.cache.dominator_retained, 1100);
	assert_string_equal(f->u.cache.container_type, "main.Mid");
	assert_int_equal(f->u.cache.entries[0], 2);
	assert_int_equal(f->retained_last, 850);
	assert_int_equal(f->severity, HW_SEVERITY_MEDIUM);   /* 8.5%: between 5% and 20% */
	assert_non_null(strstr(f->title, "main.big"));

	/* With a lower accumulation threshold, d's 59% is enough to go down to d (no children). */
	t.cache_accumulation = 0.55;
	g_autoptr(GPtrArray) deeper = hotspot_findings(&h, &t);
	assert_int_equal(deeper->len, 1);
	f = g_ptr_array_index(deeper, 0);
	assert_string_equal(f->u.cache.container_type, "main.D");
	assert_int_equal(f->u.cache.entries[0], 0);
	assert_int_equal(f->retained_last, 500);

	/* A share just under near's 9% reports it too; just over big's 11%, nothing. */
	hw_leak_thresholds_init(&t);
	t.cache_dominator_share = 0.085;
	g_autoptr(GPtrArray) two = hotspot_findings(&h, &t);
	assert_int_equal(two->len, 2);
	t.cache_dominator_share = 0.115;
	g_autoptr(GPtrArray) none = hotspot_findings(&h, &t);
	assert_int_equal(none->len, 0);
	hotspot_free(&h);
}

/* A stack slot without a name: the title still says where the root is. */
static void test_single_snapshot_stack_root_title(void **state)
{
	(void)state;
	hotspot_graph h = hotspot_build(HWD_ROOT_STACK);
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	g_autoptr(GPtrArray) fs = hotspot_findings(&h, &t);
	assert_int_equal(fs->len, 1);
	const hw_finding *f = g_ptr_array_index(fs, 0);
	assert_non_null(strstr(f->title, "main.Big at stack slot retains"));
	hotspot_free(&h);
}

/* ---- series from hwgen -------------------------------------------------------------------- */

typedef struct snap {
	hwd_reader *r;
	hw_graph *g;
	hw_domtree *d;
	hw_path_index *p;
} snap;

static char *tmpdir;

static uint64_t expect_u64(const char *path, const char *key)
{
	g_autofree char *text = NULL;
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	size_t kl = strlen(key);
	for (char **l = lines; *l; l++)
		if (strncmp(*l, key, kl) == 0 && (*l)[kl] == ' ')
			return g_ascii_strtoull(*l + kl + 1, NULL, 10);
	fail_msg("no key %s in %s", key, path);
	return 0;
}

/* Writes step k of a series with hwgen and summarises it; the expectations go to *exp. */
static hw_leak_summary *summarise_step(const char *name, int k, gboolean clean, char **exp)
{
	const char *hwgen = getenv("HWGEN");
	assert_non_null(hwgen);
	g_autofree char *out = g_strdup_printf("%s/%s%d.hwd", tmpdir, name, k);
	*exp = g_strdup_printf("%s/%s%d.exp", tmpdir, name, k);
	g_autofree char *cmd = g_strdup_printf("'%s' --shape cachedag --objects 3000 --step %d %s -o '%s' --expect '%s'",
	                                       hwgen, k, clean ? "--clean" : "", out, *exp);
	assert_int_equal(system(cmd), 0);
	snap s = { 0 };
	GError *error = NULL;
	assert_int_equal(hwd_reader_open(out, 0, &s.r, NULL), 0);
	s.g = hw_graph_load(s.r, NULL, NULL, &error);
	assert_non_null(s.g);
	s.d = hw_domtree_compute(s.g, NULL, NULL, &error);
	s.p = hw_path_index_build(s.g, NULL, NULL, &error);
	assert_non_null(s.d);
	assert_non_null(s.p);
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	hw_leak_summary *sum = hw_leak_summary_compute(s.d, s.p, NULL, &t, NULL, NULL, &error);
	assert_non_null(sum);
	hw_path_index_free(s.p);
	hw_domtree_free(s.d);
	hw_graph_free(s.g);
	hwd_reader_close(s.r);
	return sum;
}

static const hw_finding *find_kind(GPtrArray *fs, hw_finding_kind kind)
{
	for (guint i = 0; i < fs->len; i++)
		if (((hw_finding *)g_ptr_array_index(fs, i))->kind == kind)
			return g_ptr_array_index(fs, i);
	return NULL;
}

static void test_leaky_series(void **state)
{
	(void)state;
	hw_leak_summary *series[3];
	char *exp[3];
	for (int k = 0; k < 3; k++)
		series[k] = summarise_step("leak", k, FALSE, &exp[k]);
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	g_autoptr(GPtrArray) fs = hw_leaks_detect(series, 3, &t);
	assert_int_equal(fs->len, 3);

	const hw_finding *c = find_kind(fs, HW_FINDING_CACHE);
	assert_non_null(c);
	assert_string_equal(c->path.root.name, "main.requestLog");
	assert_int_equal(c->path.root.kind, HWD_ROOT_GLOBAL);
	assert_string_equal(c->u.cache.container_type, "map[uint64]*main.Entry");
	for (int k = 0; k < 3; k++)
		assert_int_equal(c->u.cache.entries[k], expect_u64(exp[k], "series.entries"));
	assert_true(c->growth == (double)(expect_u64(exp[1], "series.entries") - expect_u64(exp[0], "series.entries")));

	const hw_finding *l = find_kind(fs, HW_FINDING_LISTENERS);
	assert_non_null(l);
	assert_string_equal(l->path.root.name, "main.subscribers");
	assert_string_equal(l->u.listeners.element, "closure");
	for (int k = 0; k < 3; k++)
		assert_int_equal(l->counts[k], expect_u64(exp[k], "series.listeners"));
	assert_true(l->growth == (double)(expect_u64(exp[1], "series.listeners") - expect_u64(exp[0], "series.listeners")));
	/* Each closure and what it captures is held by the collection alone. */
	assert_int_equal(l->u.listeners.closure_retained,
	                 expect_u64(exp[2], "series.listeners") * expect_u64(exp[2], "series.listener_bytes"));

	const hw_finding *g = find_kind(fs, HW_FINDING_GOROUTINES);
	assert_non_null(g);
	assert_string_equal(g->u.goroutines.wait_reason, "chan receive");
	assert_string_equal(g->u.goroutines.created_at.file, "/src/app/server.go");
	assert_int_equal(g->u.goroutines.created_at.line, 120);
	assert_string_equal(g->u.goroutines.waits_at.func, "main.worker");
	assert_int_equal(g->u.goroutines.waits_at.line, 33);
	for (int k = 0; k < 3; k++) {
		uint64_t w = expect_u64(exp[k], "series.workers");
		assert_int_equal(g->counts[k], w);
		assert_int_equal(g->retained[k], w * expect_u64(exp[k], "series.worker_retained"));
	}
	for (int k = 0; k < 3; k++) {
		hw_leak_summary_free(series[k]);
		g_free(exp[k]);
	}
}

static void test_clean_series(void **state)
{
	(void)state;
	hw_leak_summary *series[3];
	char *exp[3];
	for (int k = 0; k < 3; k++)
		series[k] = summarise_step("clean", k, TRUE, &exp[k]);
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	g_autoptr(GPtrArray) fs = hw_leaks_detect(series, 3, &t);
	assert_int_equal(fs->len, 0);
	for (int k = 0; k < 3; k++) {
		hw_leak_summary_free(series[k]);
		g_free(exp[k]);
	}
}

int main(void)
{
	tmpdir = g_dir_make_tmp("hw-findings-XXXXXX", NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_retained_brute_force),
		cmocka_unit_test(test_single_snapshot_cache_rule),
		cmocka_unit_test(test_single_snapshot_stack_root_title),
		cmocka_unit_test(test_leaky_series),
		cmocka_unit_test(test_clean_series),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmpdir);
	if (system(rm) != 0)
		rc = 1;
	g_free(tmpdir);
	return rc;
}

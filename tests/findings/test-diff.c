/* test-diff.c - analysis/diff.c against snapshots whose differences are known by construction.
 *
 * hwgen's cachedag shape writes the same base heap for one seed whatever --step is, and
 * appends the growing structures of samples/gen/series.c above it: with one seed two steps
 * are two snapshots of one process (same pid, same addresses for what already existed), with
 * two seeds two processes. The expected rows come from the construction (the series.* keys of
 * hwgen's expectations and the sizes series.c documents), and the signature text of every new
 * group is checked against groups.c's own renderer (hw_groups_signature) applied object by
 * object: an independent path to the same answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "groups.h"
#include "retained.h"

/* Sizes series.c builds with (its header comment). */
#define ENTRY 64u
#define PAYLOAD 512u
#define CLOSURE 16u
#define SUBSCRIBER 256u
#define JOB 128u
#define JOB_BUF 2048u

#define SIG_MAP "global main.requestLog map[uint64]*main.Entry"
#define SIG_GROUP SIG_MAP " -> groups.data map.group[uint64]*main.Entry"
#define SIG_ENTRY SIG_GROUP " -> map value main.Entry"
#define SIG_PAYLOAD SIG_ENTRY " -> data []uint8"
#define SIG_SUBS "global main.subscribers []func(main.Event)"
#define SIG_CLOSURE SIG_SUBS " -> [*] main.(*Bus).Subscribe.func1"
#define SIG_SUB SIG_CLOSURE " -> s main.subscriber"
#define SIG_JOB "stack main.worker j main.job"
#define SIG_BUF SIG_JOB " -> buf []uint8"

static char *tmpdir;

typedef struct loaded {
	hwd_reader *r;
	hw_graph *g;
	hw_domtree *d;
	hw_path_index *p;
	char *exp;
} loaded;

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

/* hwgen cachedag with `extra` options (e.g. "--step 2 --seed 5"), loaded and analysed. */
static loaded load(const char *name, const char *extra)
{
	const char *hwgen = getenv("HWGEN");
	assert_non_null(hwgen);
	loaded l = { 0 };
	g_autofree char *out = g_strdup_printf("%s/%s.hwd", tmpdir, name);
	l.exp = g_strdup_printf("%s/%s.exp", tmpdir, name);
	g_autofree char *cmd = g_strdup_printf("'%s' --shape cachedag --objects 3000 %s -o '%s' --expect '%s'",
	                                       hwgen, extra, out, l.exp);
	assert_int_equal(system(cmd), 0);
	GError *error = NULL;
	assert_int_equal(hwd_reader_open(out, 0, &l.r, NULL), 0);
	l.g = hw_graph_load(l.r, NULL, NULL, &error);
	assert_non_null(l.g);
	l.d = hw_domtree_compute(l.g, NULL, NULL, &error);
	l.p = hw_path_index_build(l.g, NULL, NULL, &error);
	assert_non_null(l.d);
	assert_non_null(l.p);
	return l;
}

static hw_diff_side *side_of(const loaded *l)
{
	GError *error = NULL;
	hw_diff_side *s = hw_diff_side_compute(l->d, l->p, &error);
	assert_non_null(s);
	return s;
}

static void unload(loaded *l)
{
	hw_path_index_free(l->p);
	hw_domtree_free(l->d);
	hw_graph_free(l->g);
	hwd_reader_close(l->r);
	g_free(l->exp);
}

static const hw_diff_row *row(const GArray *rows, const char *name)
{
	for (guint i = 0; i < rows->len; i++)
		if (strcmp(g_array_index(rows, hw_diff_row, i).name, name) == 0)
			return &g_array_index(rows, hw_diff_row, i);
	fail_msg("no row '%s'", name);
	return NULL;
}

static void assert_row(const hw_diff_row *r, uint64_t c0, uint64_t c1, uint64_t b0, uint64_t b1)
{
	assert_int_equal(r->count[0], c0);
	assert_int_equal(r->count[1], c1);
	assert_int_equal(r->bytes[0], b0);
	assert_int_equal(r->bytes[1], b1);
}

/* Every object is in one row of each table, so with no limit the rows add up to the totals
 * (unchanged rows are not listed; their counts are equal on both sides and cancel out). */
static void assert_rows_add_up(const hw_diff *d, const GArray *rows)
{
	int64_t dc = 0, db = 0;
	uint64_t born = 0, freed = 0;
	for (guint i = 0; i < rows->len; i++) {
		const hw_diff_row *r = &g_array_index(rows, hw_diff_row, i);
		dc += (int64_t)(r->count[1] - r->count[0]);
		db += (int64_t)(r->bytes[1] - r->bytes[0]);
		born += r->born_count;
		freed += r->freed_count;
	}
	assert_int_equal(dc, (int64_t)(d->count[1] - d->count[0]));
	assert_int_equal(db, (int64_t)(d->bytes[1] - d->bytes[0]));
	if (d->same_process) {
		assert_int_equal(born, d->count[1] - d->kept_count);
		assert_int_equal(freed, d->count[0] - d->kept_count);
	}
}

/* The series' groups between step 0 and step 2, the same in and across processes. */
static void assert_series_growth(const hw_diff *d, const char *e0, const char *e2)
{
	uint64_t E0 = expect_u64(e0, "series.entries"), E2 = expect_u64(e2, "series.entries");
	uint64_t L0 = expect_u64(e0, "series.listeners"), L2 = expect_u64(e2, "series.listeners");
	uint64_t W0 = expect_u64(e0, "series.workers"), W2 = expect_u64(e2, "series.workers");
	uint64_t eb = expect_u64(e0, "series.entry_bytes"), lb = expect_u64(e0, "series.listener_bytes");
	uint64_t wb = expect_u64(e0, "series.worker_retained");
	const GArray *s = d->signatures;

	const hw_diff_row *r = row(s, SIG_ENTRY);
	assert_row(r, E0, E2, E0 * ENTRY, E2 * ENTRY);
	assert_int_equal(r->retained[0], E0 * eb);   /* each entry alone holds itself and its payload */
	assert_int_equal(r->retained[1], E2 * eb);
	assert_row(row(s, SIG_PAYLOAD), E0, E2, E0 * PAYLOAD, E2 * PAYLOAD);
	/* The map's group array is one object that grows: 8 bytes of header, 16 per slot. */
	r = row(s, SIG_GROUP);
	assert_row(r, 1, 1, 8 + 16 * E0, 8 + 16 * E2);
	assert_int_equal(r->retained[1], 8 + 16 * E2 + E2 * eb);
	r = row(s, SIG_MAP);
	assert_row(r, 1, 1, 48, 48);
	assert_int_equal(r->retained[1] - r->retained[0], 16 * (E2 - E0) + (E2 - E0) * eb);
	assert_row(row(s, SIG_CLOSURE), L0, L2, L0 * CLOSURE, L2 * CLOSURE);
	assert_row(row(s, SIG_SUB), L0, L2, L0 * SUBSCRIBER, L2 * SUBSCRIBER);
	assert_int_equal(row(s, SIG_CLOSURE)->retained[1], L2 * lb);
	r = row(s, SIG_SUBS);
	assert_row(r, 1, 1, 8 * L0, 8 * L2);
	assert_int_equal(r->retained[1], 8 * L2 + L2 * lb);
	r = row(s, SIG_JOB);
	assert_row(r, W0, W2, W0 * JOB, W2 * JOB);
	assert_int_equal(r->retained[1], W2 * wb);
	assert_row(row(s, SIG_BUF), W0, W2, W0 * JOB_BUF, W2 * JOB_BUF);

	const GArray *t = d->types;
	assert_row(row(t, "main.Entry"), E0, E2, E0 * ENTRY, E2 * ENTRY);
	assert_row(row(t, "main.subscriber"), L0, L2, L0 * SUBSCRIBER, L2 * SUBSCRIBER);
	assert_row(row(t, "main.(*Bus).Subscribe.func1"), L0, L2, L0 * CLOSURE, L2 * CLOSURE);
	assert_row(row(t, "main.job"), W0, W2, W0 * JOB, W2 * JOB);
	assert_row(row(t, "map.group[uint64]*main.Entry"), 1, 1, 8 + 16 * E0, 8 + 16 * E2);
}

static void test_same_process(void **state)
{
	(void)state;
	loaded a = load("p0", "--step 0"), b = load("p2", "--step 2");
	assert_true(hw_diff_same_process(a.r, b.r));
	g_autoptr(hw_diff_side) sa = side_of(&a);
	g_autoptr(hw_diff_side) sb = side_of(&b);
	GError *error = NULL;
	g_autoptr(hw_diff) d = hw_diff_compute(sa, sb, TRUE, 0, &error);
	assert_non_null(d);
	assert_true(d->same_process);
	assert_series_growth(d, a.exp, b.exp);
	assert_rows_add_up(d, d->types);
	assert_rows_add_up(d, d->signatures);

	uint64_t E0 = expect_u64(a.exp, "series.entries"), E2 = expect_u64(b.exp, "series.entries");
	uint64_t L0 = expect_u64(a.exp, "series.listeners"), L2 = expect_u64(b.exp, "series.listeners");
	uint64_t W0 = expect_u64(a.exp, "series.workers"), W2 = expect_u64(b.exp, "series.workers");
	/* The base heap is the same (one seed): only the series' nine groups change. */
	assert_int_equal(d->changed_signatures, 9);
	/* What existed keeps its address; only the two arrays that grow were reallocated. */
	assert_int_equal(d->count[0] - d->kept_count, 2);
	const hw_diff_row *r = row(d->signatures, SIG_ENTRY);
	assert_int_equal(r->born_count, E2 - E0);
	assert_int_equal(r->born_bytes, (E2 - E0) * ENTRY);
	assert_int_equal(r->freed_count, 0);
	r = row(d->signatures, SIG_GROUP);
	assert_int_equal(r->born_count, 1);
	assert_int_equal(r->freed_count, 1);
	assert_int_equal(r->freed_bytes, 8 + 16 * E0);
	r = row(d->signatures, SIG_MAP);   /* the map header keeps its identity while it grows */
	assert_int_equal(r->born_count + r->freed_count, 0);
	r = row(d->types, "[]uint8");
	assert_int_equal(r->born_count, (E2 - E0) + (W2 - W0));
	assert_int_equal(r->born_bytes, (E2 - E0) * PAYLOAD + (W2 - W0) * JOB_BUF);
	assert_int_equal(r->freed_count, 0);
	r = row(d->types, "[]func(main.Event)");
	assert_int_equal(r->born_count, 1);
	assert_int_equal(r->freed_count, 1);
	assert_int_equal(r->born_bytes - r->freed_bytes, 8 * (L2 - L0));

	/* The limit keeps the largest change: the map header and its group array gain the same
	 * retained bytes, and the array also grows itself. */
	g_autoptr(hw_diff) top = hw_diff_compute(sa, sb, TRUE, 1, &error);
	assert_int_equal(top->signatures->len, 1);
	assert_int_equal(top->changed_signatures, 9);
	assert_string_equal(g_array_index(top->signatures, hw_diff_row, 0).name, SIG_GROUP);
	unload(&a);
	unload(&b);
}

static void test_other_process(void **state)
{
	(void)state;
	loaded a = load("q0", "--step 0 --seed 3"), b = load("q2", "--step 2 --seed 4");
	assert_false(hw_diff_same_process(a.r, b.r));
	g_autoptr(hw_diff_side) sa = side_of(&a);
	g_autoptr(hw_diff_side) sb = side_of(&b);
	GError *error = NULL;
	g_autoptr(hw_diff) d = hw_diff_compute(sa, sb, FALSE, 0, &error);
	assert_non_null(d);
	assert_false(d->same_process);
	assert_series_growth(d, a.exp, b.exp);
	assert_rows_add_up(d, d->types);
	assert_rows_add_up(d, d->signatures);
	for (guint i = 0; i < d->signatures->len; i++)
		assert_int_equal(g_array_index(d->signatures, hw_diff_row, i).born_count, 0);
	unload(&a);
	unload(&b);
}

/* Brute force: the series objects of `l` (indices from `first`) tallied by groups.c's
 * signature, compared with the diff's new rows. */
static void assert_new_rows_are_the_series(const hw_diff *d, const loaded *l, uint32_t first, gboolean vanished)
{
	g_autoptr(GHashTable) tally = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (uint32_t v = first; v < hw_graph_n_objects(l->g); v++) {
		char *sig = hw_groups_signature(l->g, l->p, v);
		assert_non_null(sig);
		uint64_t *c = g_hash_table_lookup(tally, sig);
		if (!c) {
			c = g_new0(uint64_t, 2);
			g_hash_table_insert(tally, sig, c);
		} else {
			g_free(sig);
		}
		c[0]++;
		c[1] += hw_graph_object_size(l->g, v);
	}
	assert_int_equal(d->changed_signatures, g_hash_table_size(tally));
	int w = vanished ? 0 : 1;
	for (guint i = 0; i < d->signatures->len; i++) {
		const hw_diff_row *r = &g_array_index(d->signatures, hw_diff_row, i);
		assert_true(vanished ? hw_diff_row_vanished(r) : hw_diff_row_new(r));
		const uint64_t *c = g_hash_table_lookup(tally, r->name);
		assert_non_null(c);
		assert_int_equal(r->count[w], c[0]);
		assert_int_equal(r->bytes[w], c[1]);
		assert_int_equal(vanished ? r->freed_count : r->born_count, c[0]);
	}
}

static void test_new_and_vanished(void **state)
{
	(void)state;
	loaded plain = load("n", "--seed 7"), grown = load("n0", "--step 0 --seed 7");
	assert_true(hw_diff_same_process(plain.r, grown.r));
	g_autoptr(hw_diff_side) sp = side_of(&plain);
	g_autoptr(hw_diff_side) sg = side_of(&grown);
	GError *error = NULL;
	uint32_t first = hw_graph_n_objects(plain.g);   /* the series comes after the base heap */

	g_autoptr(hw_diff) up = hw_diff_compute(sp, sg, TRUE, 0, &error);
	assert_non_null(up);
	assert_int_equal(up->kept_count, first);
	assert_new_rows_are_the_series(up, &grown, first, FALSE);
	const hw_diff_row *r = row(up->types, "main.Entry");
	assert_true(hw_diff_row_new(r));
	assert_int_equal(r->count[1], expect_u64(grown.exp, "series.entries"));

	g_autoptr(hw_diff) down = hw_diff_compute(sg, sp, TRUE, 0, &error);
	assert_non_null(down);
	assert_new_rows_are_the_series(down, &grown, first, TRUE);
	assert_true(hw_diff_row_vanished(row(down->types, "main.job")));

	/* Matched by signature only, the same groups are new, with nothing born. */
	g_autoptr(hw_diff) sig = hw_diff_compute(sp, sg, FALSE, 0, &error);
	assert_int_equal(sig->changed_signatures, up->changed_signatures);
	assert_int_equal(sig->kept_count, 0);
	unload(&plain);
	unload(&grown);
}

int main(void)
{
	tmpdir = g_dir_make_tmp("hw-diff-XXXXXX", NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_process),
		cmocka_unit_test(test_other_process),
		cmocka_unit_test(test_new_and_vanished),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_autofree char *rm = g_strdup_printf("rm -rf '%s'", tmpdir);
	if (system(rm) != 0)
		rc = 1;
	g_free(tmpdir);
	return rc;
}

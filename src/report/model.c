/* model.c - the report model, filled one snapshot at a time (see report.h).
 *
 * The expensive part of a snapshot (graph, dominator tree, path index) is released by the
 * caller after hw_report_add_snapshot(); what stays is small: totals, memory metadata, one row
 * per type, the leak summary, and for the last snapshot the top of the dominator tree and the
 * goroutine groups. Types are matched across snapshots by name, because type ids are per file.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli/heap.h"

static void snapshot_free(gpointer p)
{
	hw_report_snapshot *s = p;

	for (guint i = 0; i < s->mem->len; i++)
		g_free(g_array_index(s->mem, hw_report_mem, i).key);
	g_array_unref(s->mem);
	g_ptr_array_unref(s->notes);
	g_free(s->path);
	g_free(s->damage);
	g_free(s);
}

static void type_free(gpointer p)
{
	hw_report_type *t = p;

	g_free(t->name);
	g_free(t->count);
	g_free(t->bytes);
	g_free(t);
}

static void gone_free(gpointer p)
{
	hw_report_gone *g = p;

	g_free(g->key);
	g_free(g->kind);
	g_free(g->severity);
	g_free(g->title);
	g_free(g);
}

hw_report *hw_report_new(const hw_leak_thresholds *thresholds)
{
	hw_report *r = g_new0(hw_report, 1);

	r->snapshots = g_ptr_array_new_with_free_func(snapshot_free);
	r->thresholds = *thresholds;
	r->top = g_array_new(FALSE, FALSE, sizeof(hw_report_node));
	r->types = g_ptr_array_new_with_free_func(type_free);
	r->goroutines = g_ptr_array_new_with_free_func((GDestroyNotify)hw_goroutine_group_free);
	r->gone = g_ptr_array_new_with_free_func(gone_free);
	r->gate.violations = g_ptr_array_new_with_free_func(g_free);
	r->summaries = g_ptr_array_new_with_free_func((GDestroyNotify)hw_leak_summary_free);
	/* Values are owned by r->types once finished; until then by the table. */
	r->type_index = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, type_free);
	return r;
}

void hw_report_free(hw_report *r)
{
	if (!r)
		return;
	g_ptr_array_unref(r->snapshots);
	if (r->findings)
		g_ptr_array_unref(r->findings);
	for (guint i = 0; i < r->top->len; i++)
		g_free(g_array_index(r->top, hw_report_node, i).type);
	g_array_unref(r->top);
	g_ptr_array_unref(r->types);
	g_ptr_array_unref(r->goroutines);
	g_free(r->pprof);
	g_free(r->baseline);
	g_free(r->is_new);
	g_ptr_array_unref(r->gone);
	g_free(r->gate.rules);
	g_ptr_array_unref(r->gate.violations);
	g_ptr_array_unref(r->summaries);
	g_hash_table_unref(r->type_index);
	g_free(r);
}

/* The u64 mem.* entries (a key written twice keeps its last value, in its first place) and
 * the string notes saying why some are missing. */
static GArray *read_mem(const hwd_reader *rd, GPtrArray *notes)
{
	GArray *mem = g_array_new(FALSE, FALSE, sizeof(hw_report_mem));
	hwd_meta_entry e;

	for (uint64_t i = 0; hwd_reader_meta_entry(rd, i, &e) == 1; i++) {
		if (e.key_len <= 4 || memcmp(e.key, "mem.", 4) != 0)
			continue;
		if (e.type == HWD_META_STR && ((e.key_len == 8 && memcmp(e.key, "mem.note", 8) == 0) ||
		                               (e.key_len == 12 && memcmp(e.key, "mem.rss.note", 12) == 0)))
			g_ptr_array_add(notes, g_strndup(e.v.str.ptr, e.v.str.len));
		if (e.type != HWD_META_U64)
			continue;
		guint k;
		for (k = 0; k < mem->len; k++) {
			hw_report_mem *m = &g_array_index(mem, hw_report_mem, k);
			if (strlen(m->key) == e.key_len && memcmp(m->key, e.key, e.key_len) == 0) {
				m->value = e.v.u64;
				break;
			}
		}
		if (k == mem->len) {
			hw_report_mem m = { g_strndup(e.key, e.key_len), e.v.u64 };
			g_array_append_val(mem, m);
		}
	}
	return mem;
}

static hw_report_snapshot *describe(const char *path, hw_domtree *d)
{
	const hwd_reader *rd = hw_graph_reader(hw_domtree_graph(d));
	const hwd_damage *damage = hwd_reader_damage(rd);
	hw_report_snapshot *s = g_new0(hw_report_snapshot, 1);

	s->path = g_strdup(path);
	uint64_t t;
	/* docs/format.md says i64; accept a u64 too (hwgen and early dumpers wrote one). */
	if (hwd_reader_meta_i64(rd, "capture.time_ns", &s->time_ns) != 1)
		s->time_ns = hwd_reader_meta_u64(rd, "capture.time_ns", &t) == 1 && t <= INT64_MAX ? (int64_t)t : 0;
	s->totals = hw_domtree_totals(d);
	s->goroutines = hwd_reader_goroutine_count(rd);
	s->damage = damage->partial ? g_strdup(damage->message) : NULL;
	s->notes = g_ptr_array_new_with_free_func(g_free);
	s->mem = read_mem(rd, s->notes);
	return s;
}

/* Adds snapshot `k`'s reachable objects per type to the type table: one pass over the
 * objects, shallow bytes only (a retained size per type needs the outermost objects of each
 * type, which costs more than the rest of the report at 10M objects; the findings and
 * `heapwalk diff` give retained sizes). Every type's arrays hold k+1 entries afterwards: a
 * type absent from a snapshot counts 0 there. */
static gboolean add_types(hw_report *r, hw_domtree *d, guint k, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	uint32_t n = hw_graph_n_objects(g), n_types = hw_graph_n_types(g);
	g_autofree uint64_t *count = g_try_new0(uint64_t, (gsize)n_types + 1);
	g_autofree uint64_t *bytes = g_try_new0(uint64_t, (gsize)n_types + 1);
	GHashTableIter it;
	gpointer value;

	if (!count || !bytes) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory for %" PRIu32 " types", n_types);
		return FALSE;
	}
	for (uint32_t v = 0; v < n; v++) {
		hwd_object o;
		if (!hw_domtree_reachable(d, v))
			continue;
		o = hw_graph_object(g, v);
		uint32_t t = o.type <= n_types ? o.type : 0;   /* an unknown id counts as unknown */
		count[t]++;
		bytes[t] += o.size;
	}
	g_hash_table_iter_init(&it, r->type_index);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		hw_report_type *t = value;
		t->count = g_renew(uint64_t, t->count, k + 1);
		t->bytes = g_renew(uint64_t, t->bytes, k + 1);
		t->count[k] = t->bytes[k] = 0;
	}
	for (uint32_t id = 0; id <= n_types; id++) {
		uint32_t len;
		const char *name;
		hw_report_type *t;

		if (!count[id])
			continue;
		name = hw_graph_type_name(g, id, &len);
		g_autofree char *key = g_strndup(name, len);
		t = g_hash_table_lookup(r->type_index, key);
		if (!t) {
			t = g_new0(hw_report_type, 1);
			t->name = g_steal_pointer(&key);
			t->count = g_new0(uint64_t, k + 1);
			t->bytes = g_new0(uint64_t, k + 1);
			g_hash_table_insert(r->type_index, t->name, t);
		}
		/* Two type ids with one name (a partial or foreign snapshot) add up. */
		t->count[k] += count[id];
		t->bytes[k] += bytes[id];
	}
	return TRUE;
}

/* The top of the dominator tree: the biggest children of the super-root and, under each,
 * its biggest children, in preorder. */
static void keep_top(hw_report *r, hw_domtree *d)
{
	const hw_graph *g = hw_domtree_graph(d);
	uint32_t n_roots, n_children;
	const uint32_t *roots = hw_domtree_children(d, hw_graph_super_root(g), &n_roots);

	for (uint32_t i = 0; i < n_roots && i < HW_REPORT_TOP_ROOTS; i++) {
		const uint32_t *children = hw_domtree_children(d, roots[i], &n_children);
		for (uint32_t j = 0; j <= n_children && j <= HW_REPORT_TOP_CHILDREN; j++) {
			uint32_t v = j == 0 ? roots[i] : children[j - 1];
			hwd_object o = hw_graph_object(g, v);
			uint32_t len;
			const char *type = hw_graph_type_name(g, o.type, &len);
			hw_report_node node = {
				.depth = j == 0 ? 0 : 1, .type = g_strndup(type, len), .addr = o.addr,
				.size = o.size, .retained = hw_retained_size(d, v),
			};
			g_array_append_val(r->top, node);
		}
	}
}

gboolean hw_report_add_snapshot(hw_report *r, const char *path, hw_domtree *d, const hw_path_index *p,
                                gboolean last, hw_progress_fn progress, void *user, GError **error)
{
	hw_leak_summary *summary;
	g_autoptr(hw_allocsites) sites = NULL;

	if (!add_types(r, d, r->n, error))
		return FALSE;
	/* Findings show where their objects were allocated in the last snapshot. */
	if (last && !(sites = hw_allocsites_new(hw_domtree_graph(d), error)))
		return FALSE;
	summary = hw_leak_summary_compute(d, p, sites, &r->thresholds, progress, user, error);
	if (!summary)
		return FALSE;
	g_ptr_array_add(r->summaries, summary);
	g_ptr_array_add(r->snapshots, describe(path, d));
	if (last) {
		g_autoptr(GPtrArray) groups = hw_goroutines_group(d, NULL, error);
		if (!groups)
			return FALSE;
		r->goroutine_groups = groups->len;
		while (groups->len && r->goroutines->len < HW_REPORT_TOP_GOROUTINES)
			g_ptr_array_add(r->goroutines, g_ptr_array_steal_index(groups, 0));
		keep_top(r, d);
	}
	r->n++;
	return TRUE;
}

/* Biggest growth first (one snapshot: biggest retained), then name. */
static gint by_growth(gconstpointer a, gconstpointer b, gpointer user)
{
	const hw_report_type *x = *(hw_report_type *const *)a, *y = *(hw_report_type *const *)b;
	guint last = *(const guint *)user;
	int64_t gx = (int64_t)x->bytes[last] - (last ? (int64_t)x->bytes[0] : 0);
	int64_t gy = (int64_t)y->bytes[last] - (last ? (int64_t)y->bytes[0] : 0);

	if (gx != gy)
		return gx > gy ? -1 : 1;
	return strcmp(x->name, y->name);
}

void hw_report_finish(hw_report *r)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter it;
	gpointer key, value;
	guint last = r->n - 1;

	g_assert(r->n >= 1 && !r->findings);
	r->findings = hw_leaks_detect((hw_leak_summary *const *)r->summaries->pdata, r->n, &r->thresholds);
	g_ptr_array_set_size(r->summaries, 0);
	r->is_new = g_new(gboolean, MAX(r->findings->len, 1));
	for (guint i = 0; i < r->findings->len; i++)
		r->is_new[i] = TRUE;

	/* Keep the HW_REPORT_TOP_TYPES that grew most; over a series only those that grew. */
	g_hash_table_iter_init(&it, r->type_index);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		hw_report_type *t = value;
		if (last == 0 || t->bytes[last] > t->bytes[0]) {
			g_hash_table_iter_steal(&it);
			g_ptr_array_add(all, t);
		}
	}
	g_ptr_array_sort_with_data(all, by_growth, &last);
	for (guint i = 0; i < all->len; i++) {
		if (i < HW_REPORT_TOP_TYPES)
			g_ptr_array_add(r->types, all->pdata[i]);
		else
			type_free(all->pdata[i]);
	}
	g_hash_table_remove_all(r->type_index);
}

hw_report_tally hw_report_tally_of(const hw_report *r)
{
	hw_report_tally t = { .from_baseline = r->baseline != NULL };
	const hw_report_snapshot *first = r->snapshots->pdata[0], *last = r->snapshots->pdata[r->n - 1];

	for (guint i = 0; i < r->findings->len; i++) {
		t.by_severity[((const hw_finding *)r->findings->pdata[i])->severity]++;
		t.fresh += r->is_new[i];
	}
	t.from = r->baseline ? r->baseline_reachable : first->totals.reachable_bytes;
	t.to = last->totals.reachable_bytes;
	/* From 0 bytes any growth is infinite: say so rather than divide by zero. */
	if (t.from)
		t.growth_pct = 100.0 * ((double)t.to - (double)t.from) / (double)t.from;
	else
		t.growth_pct = t.to ? INFINITY : 0;
	return t;
}

GPtrArray *hw_report_path_lines(const hw_finding *f)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const hw_finding_root *root = &f->path.root;
	GString *s = g_string_new(NULL);

	switch (root->kind) {
	case HWD_ROOT_GLOBAL:
		g_string_append_printf(s, "global %s", root->name);
		break;
	case HWD_ROOT_STACK:
		g_string_append_printf(s, "stack of goroutine %" PRIu64 " in %s", root->goroutine_id,
		                       root->frame.func[0] ? root->frame.func : root->name);
		if (root->frame.file[0])
			g_string_append_printf(s, " (%s:%" PRIu32 ")", root->frame.file, root->frame.line);
		break;
	default:
		g_string_append_printf(s, "%s root %s", hw_root_kind_name(root->kind), root->name);
		break;
	}
	if (root->type[0])
		g_string_append_printf(s, " (%s)", root->type);
	g_ptr_array_add(lines, g_string_free(s, FALSE));
	for (guint i = 0; f->path.steps && i < f->path.steps->len; i++) {
		const hw_finding_step *st = &g_array_index(f->path.steps, hw_finding_step, i);
		gboolean field = st->label[0] && st->label[0] != '+' && st->label[0] != '[';
		g_ptr_array_add(lines, g_strdup_printf("%s%s (%s)", field ? "." : "", st->label,
		                                       st->type[0] ? st->type : "?"));
	}
	return lines;
}

char *hw_report_location(const hw_location *l)
{
	if (!l->func[0] && !l->file[0])
		return g_strdup("");
	if (!l->file[0])
		return g_strdup(l->func);
	if (!l->func[0])
		return g_strdup_printf("%s:%" PRIu32, l->file, l->line);
	return g_strdup_printf("%s (%s:%" PRIu32 ")", l->func, l->file, l->line);
}

gboolean hw_report_mem_is_rss_part(const char *key)
{
	return g_str_has_prefix(key, "mem.rss.");
}

gboolean hw_report_mem_is_bytes(const char *key)
{
	return !g_str_has_suffix(key, "_objects");
}

char *hw_report_snapshot_name(const hw_report_snapshot *s)
{
	return g_path_get_basename(s->path);
}

/* graph.c - building the object graph from a snapshot reader or from plain arrays.
 *
 * Both constructors end in the same place: record runs pointing at hwd_object/hwd_edge
 * records, the first-edge index (validated while it is built: edges grouped by source, every
 * index in range) and the deduplicated root targets. Nothing else is copied from a snapshot.
 */
#include "graph-private.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hwd-format.h"

/* The graph reads on-disk records through the public structs: same layout, checked here. */
_Static_assert(sizeof(hwd_object) == sizeof(hwd_object_disk), "hwd_object layout");
_Static_assert(offsetof(hwd_object, type) == offsetof(hwd_object_disk, type), "hwd_object layout");
_Static_assert(sizeof(hwd_edge) == sizeof(hwd_edge_disk), "hwd_edge layout");
_Static_assert(offsetof(hwd_edge, info) == offsetof(hwd_edge_disk, info), "hwd_edge layout");

G_DEFINE_QUARK(hw-error-quark, hw_error)

void hw_advise_random_access(void *p, gsize bytes)
{
	if (bytes < ((gsize)4 << 20))
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), b = ((uintptr_t)p + bytes) & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_HUGEPAGE);
}

/* The bucket table of hw_run_find() for runs that tile [0, total) in order (checked before). */
static uint32_t *run_table(const hw_rec_run *runs, uint32_t n_runs, uint64_t total)
{
	uint64_t buckets = (total >> HW_RUN_BUCKET_SHIFT) + 1;
	uint32_t *run_of = g_new(uint32_t, buckets), k = 0;
	for (uint64_t b = 0; b < buckets; b++) {
		uint64_t i = b << HW_RUN_BUCKET_SHIFT;
		while (k + 1 < n_runs && runs[k].first + runs[k].count <= i)
			k++;
		run_of[b] = k;
	}
	return run_of;
}

static hw_graph *graph_alloc(void)
{
	return g_new0(hw_graph, 1);
}

void hw_graph_free(hw_graph *g)
{
	if (!g)
		return;
	g_free(g->obj_runs);
	g_free(g->edge_runs);
	g_free(g->obj_run_of);
	g_free(g->edge_run_of);
	g_free(g->first_edge);
	g_free(g->root_targets);
	g_free(g->root_target_rec);
	g_free(g->own_objects);
	g_free(g->own_edges);
	g_free(g->own_roots);
	g_free(g->own_types);
	if (g->own_strings)
		g_strfreev(g->own_strings);
	g_free(g->in_first);
	g_free(g->in_edges);
	g_free(g);
}

/* Fills fe[0..n] from the edge records, checking order and ranges as it goes. On a bad record
 * it reports it and still completes the index (every later object gets no edges), so the
 * array is always safe to walk. */
static gboolean index_edges(const hw_graph *g, uint32_t *fe, hw_progress_fn progress, void *user, GError **error)
{
	uint32_t next = 0;   /* first object whose entry is not yet set */
	gboolean ok = TRUE;
	for (uint64_t e = 0; e < g->n_edges && ok;) {
		const hwd_edge *p;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &p);
		for (uint64_t i = 0; i < k; i++, e++) {
			uint32_t from = p[i].from, to = p[i].to;
			if (from >= g->n || to >= g->n) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID,
				            "edge %" G_GUINT64_FORMAT " (%u -> %u) names an object beyond the %u objects",
				            e, from, to, g->n);
				ok = FALSE;
				break;
			}
			if (from + 1 < next) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID,
				            "edge %" G_GUINT64_FORMAT " (from object %u) is out of order: edges must be grouped by source in increasing order",
				            e, from);
				ok = FALSE;
				break;
			}
			while (next <= from)
				fe[next++] = (uint32_t)e;
		}
		hw_progress_step(progress, user, "load", e, g->n_edges);
	}
	while (next <= g->n)
		fe[next++] = (uint32_t)g->n_edges;
	return ok;
}

/* Builds first_edge, validating the edge records. */
static gboolean build_first_edge(hw_graph *g, hw_progress_fn progress, void *user, GError **error)
{
	g->first_edge = g_try_new(uint32_t, (gsize)g->n + 1);
	if (!g->first_edge) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the edge index for %u objects", g->n);
		return FALSE;
	}
	hw_advise_random_access(g->first_edge, sizeof(uint32_t) * ((gsize)g->n + 1));   /* the searches index it at random */
	return index_edges(g, g->first_edge, progress, user, error);
}

uint32_t *hw_graph_take_first_edge(hw_graph *g)
{
	uint32_t *fe = g->first_edge;
	g->first_edge = NULL;
	return fe;
}

void hw_graph_restore_first_edge(hw_graph *g, uint32_t *mem)
{
	/* The records passed index_edges() when the graph was built and have not changed since. */
	index_edges(g, mem, NULL, NULL, NULL);
	g->first_edge = mem;
}

/* Deduplicates root targets with a bitmap (n bits), keeping the first record of each. */
static gboolean build_root_targets(hw_graph *g, GError **error)
{
	guint8 *seen = g_try_malloc0((gsize)g->n / 8 + 1);
	if (!seen) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the root bitmap");
		return FALSE;
	}
	GArray *targets = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	GArray *recs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	for (uint64_t k = 0; k < g->n_roots; k++) {
		uint32_t t = hw_graph_root(g, k).object;
		if (t >= g->n) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID,
			            "root %" G_GUINT64_FORMAT " names object %u beyond the %u objects", k, t, g->n);
			g_free(seen);
			g_array_free(targets, TRUE);
			g_array_free(recs, TRUE);
			return FALSE;
		}
		if (seen[t >> 3] & (1u << (t & 7)))
			continue;
		seen[t >> 3] |= (guint8)(1u << (t & 7));
		g_array_append_val(targets, t);
		g_array_append_val(recs, k);
	}
	g_free(seen);
	g->n_root_targets = targets->len;
	g->root_targets = (uint32_t *)(void *)g_array_free(targets, FALSE);
	g->root_target_rec = (uint64_t *)(void *)g_array_free(recs, FALSE);
	return TRUE;
}

static gboolean check_counts(uint64_t n_objects, uint64_t n_edges, GError **error)
{
	if (n_objects > HW_MAX_OBJECTS) {
		g_set_error(error, HW_ERROR, HW_ERROR_LIMIT,
		            "%" G_GUINT64_FORMAT " objects: at most %u fit 32-bit indices", n_objects, HW_MAX_OBJECTS);
		return FALSE;
	}
	if (n_edges > UINT32_MAX) {
		g_set_error(error, HW_ERROR, HW_ERROR_LIMIT,
		            "%" G_GUINT64_FORMAT " edges: at most %u fit the 32-bit edge index", n_edges, UINT32_MAX);
		return FALSE;
	}
	return TRUE;
}

static GArray *reader_runs(const hwd_reader *r, int (*next)(const hwd_reader *, uint64_t, hwd_run *))
{
	GArray *runs = g_array_new(FALSE, FALSE, sizeof(hw_rec_run));
	hwd_run run;
	for (uint64_t k = 0; next(r, k, &run); k++) {
		if (run.count == 0)
			continue;
		hw_rec_run rr = { run.first, run.count, run.records };
		g_array_append_val(runs, rr);
	}
	return runs;
}

hw_graph *hw_graph_load(const hwd_reader *reader, hw_progress_fn progress, void *user, GError **error)
{
	uint64_t n_objects = hwd_reader_object_count(reader);
	uint64_t n_edges = hwd_reader_edge_count(reader);
	if (!check_counts(n_objects, n_edges, error))
		return NULL;
	if (!hwd_reader_bulk_ok(reader)) {
		g_set_error(error, HW_ERROR, HW_ERROR_READER,
		            "the snapshot's records cannot be read in place on this host (big-endian)");
		return NULL;
	}
	hw_graph *g = graph_alloc();
	g->reader = reader;
	g->n = (uint32_t)n_objects;
	g->n_edges = n_edges;
	g->n_roots = hwd_reader_root_count(reader);
	uint64_t nt = hwd_reader_type_count(reader), ns = hwd_reader_string_count(reader);
	g->n_types = nt > UINT32_MAX ? UINT32_MAX : (uint32_t)nt;
	g->n_strings = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;

	GArray *oruns = reader_runs(reader, hwd_reader_object_run);
	GArray *eruns = reader_runs(reader, hwd_reader_edge_run);
	g->n_obj_runs = oruns->len;
	g->n_edge_runs = eruns->len;
	g->obj_runs = (hw_rec_run *)(void *)g_array_free(oruns, FALSE);
	g->edge_runs = (hw_rec_run *)(void *)g_array_free(eruns, FALSE);
	/* The runs must tile the index space exactly, or every lookup below would be wrong. */
	uint64_t want = 0;
	for (uint32_t k = 0; k < g->n_obj_runs; k++)
		want = g->obj_runs[k].first == want ? want + g->obj_runs[k].count : UINT64_MAX;
	uint64_t want_e = 0;
	for (uint32_t k = 0; k < g->n_edge_runs; k++)
		want_e = g->edge_runs[k].first == want_e ? want_e + g->edge_runs[k].count : UINT64_MAX;
	if (want != n_objects || want_e != n_edges) {
		g_set_error(error, HW_ERROR, HW_ERROR_READER,
		            "the reader's record runs do not cover the %" G_GUINT64_FORMAT " objects and %" G_GUINT64_FORMAT " edges it counts",
		            n_objects, n_edges);
		hw_graph_free(g);
		return NULL;
	}
	g->obj_run_of = run_table(g->obj_runs, g->n_obj_runs, n_objects);
	g->edge_run_of = run_table(g->edge_runs, g->n_edge_runs, n_edges);
	if (progress)
		progress("load", 0.0, user);
	if (!build_first_edge(g, progress, user, error) || !build_root_targets(g, error)) {
		hw_graph_free(g);
		return NULL;
	}
	if (progress)
		progress("load", 1.0, user);
	return g;
}

hw_graph *hw_graph_new_from_arrays(const hw_graph_arrays *a, GError **error)
{
	if (!check_counts(a->n_objects, a->n_edges, error))
		return NULL;
	hw_graph_owned_arrays own = {
		.objects = g_memdup2(a->objects, sizeof(hwd_object) * a->n_objects), .n_objects = a->n_objects,
		.edges = g_memdup2(a->edges, sizeof(hwd_edge) * a->n_edges), .n_edges = a->n_edges,
		.roots = g_memdup2(a->roots, sizeof(hwd_root) * a->n_roots), .n_roots = a->n_roots,
		.types = g_memdup2(a->types, sizeof(hwd_type) * a->n_types), .n_types = a->n_types,
		.strings = g_new0(char *, (gsize)a->n_strings + 1), .n_strings = a->n_strings,
	};
	for (uint32_t i = 0; i < a->n_strings; i++)
		own.strings[i] = g_strdup(a->strings[i] ? a->strings[i] : "");
	return hw_graph_new_owning(&own, error);
}

hw_graph *hw_graph_new_owning(hw_graph_owned_arrays *a, GError **error)
{
	hw_graph *g = graph_alloc();
	/* Ownership moves first, so every failure below frees the arrays with the graph. */
	g->own_objects = a->objects;
	g->own_edges = a->edges;
	g->own_roots = a->roots;
	g->own_types = a->types;
	g->own_strings = a->strings;
	uint64_t n_objects = a->n_objects;
	g->n = (uint32_t)n_objects;
	g->n_edges = a->n_edges;
	g->n_roots = a->n_roots;
	g->n_types = a->n_types;
	g->n_strings = a->n_strings;
	memset(a, 0, sizeof *a);
	if (!check_counts(n_objects, g->n_edges, error)) {
		hw_graph_free(g);
		return NULL;
	}
	uint32_t n_listed = 0;
	while (g->own_strings && g->own_strings[n_listed] && n_listed < g->n_strings)
		n_listed++;
	if (n_listed != g->n_strings || (g->own_strings && g->own_strings[n_listed])) {
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "the string list does not hold exactly the %u strings it counts",
		            g->n_strings);
		hw_graph_free(g);
		return NULL;
	}
	g->obj_runs = g_new0(hw_rec_run, 1);
	g->obj_runs[0] = (hw_rec_run){ 0, g->n, g->own_objects };
	g->n_obj_runs = 1;
	g->edge_runs = g_new0(hw_rec_run, 1);
	g->edge_runs[0] = (hw_rec_run){ 0, g->n_edges, g->own_edges };
	g->n_edge_runs = 1;
	g->obj_run_of = run_table(g->obj_runs, 1, g->n);
	g->edge_run_of = run_table(g->edge_runs, 1, g->n_edges);
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->own_objects[i].type > g->n_types) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "object %u has type %u beyond the %u types",
			            i, g->own_objects[i].type, g->n_types);
			hw_graph_free(g);
			return NULL;
		}
	}
	for (uint32_t i = 0; i < g->n_types; i++) {
		if (g->own_types[i].name > g->n_strings) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "type %u names string %u beyond the %u strings",
			            i + 1, g->own_types[i].name, g->n_strings);
			hw_graph_free(g);
			return NULL;
		}
	}
	if (!build_first_edge(g, NULL, NULL, error) || !build_root_targets(g, error)) {
		hw_graph_free(g);
		return NULL;
	}
	return g;
}

const hwd_reader *hw_graph_reader(const hw_graph *g) { return g->reader; }
uint32_t hw_graph_n_objects(const hw_graph *g) { return g->n; }
uint64_t hw_graph_n_edges(const hw_graph *g) { return g->n_edges; }

hwd_object hw_graph_object(const hw_graph *g, uint32_t v)
{
	if (v >= g->n)
		return (hwd_object){ 0 };
	return *hw_graph_object_ptr(g, v);
}

void hw_graph_out_edges(const hw_graph *g, uint32_t v, uint64_t *first, uint64_t *end)
{
	if (v >= g->n) {
		*first = *end = 0;
		return;
	}
	*first = g->first_edge[v];
	*end = g->first_edge[v + 1];
}

hwd_edge hw_graph_edge(const hw_graph *g, uint64_t e)
{
	if (e >= g->n_edges)
		return (hwd_edge){ 0 };
	const hwd_edge *p;
	hw_graph_edge_span(g, e, e + 1, &p);
	return *p;
}

gboolean hw_graph_ensure_in_edges(hw_graph *g, GError **error)
{
	if (g->in_first)
		return TRUE;
	uint32_t *first = g_try_new0(uint32_t, (gsize)g->n + 1);
	uint32_t *edges = g_try_new(uint32_t, g->n_edges ? g->n_edges : 1);
	if (!first || !edges) {
		g_free(first);
		g_free(edges);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate in-edges for %" G_GUINT64_FORMAT " edges", g->n_edges);
		return FALSE;
	}
	/* Counting sort by target: count, prefix-sum into end positions, then fill backwards so
	 * each target's in-edges stay in edge order. */
	for (uint64_t e = 0; e < g->n_edges;) {
		const hwd_edge *p;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &p);
		for (uint64_t i = 0; i < k; i++)
			first[p[i].to + 1]++;
		e += k;
	}
	for (uint32_t v = 0; v < g->n; v++)
		first[v + 1] += first[v];
	for (uint64_t e = g->n_edges; e > 0;) {
		const hwd_edge *p;
		e--;
		hw_graph_edge_span(g, e, e + 1, &p);
		edges[--first[p->to + 1]] = (uint32_t)e;
	}
	/* first[t + 1] now holds the start of t's list; shift down by one. */
	memmove(first, first + 1, sizeof(uint32_t) * g->n);
	first[g->n] = (uint32_t)g->n_edges;
	g->in_first = first;
	g->in_edges = edges;
	return TRUE;
}

const uint32_t *hw_graph_in_edges(const hw_graph *g, uint32_t v, uint32_t *count)
{
	if (!g->in_first || v >= g->n) {
		*count = 0;
		return NULL;
	}
	*count = g->in_first[v + 1] - g->in_first[v];
	return g->in_edges + g->in_first[v];
}

uint64_t hw_graph_n_roots(const hw_graph *g) { return g->n_roots; }

hwd_root hw_graph_root(const hw_graph *g, uint64_t k)
{
	if (k >= g->n_roots)
		return (hwd_root){ 0 };
	return g->reader ? hwd_reader_root(g->reader, k) : g->own_roots[k];
}

uint32_t hw_graph_n_root_targets(const hw_graph *g) { return g->n_root_targets; }
uint32_t hw_graph_root_target(const hw_graph *g, uint32_t k) { return k < g->n_root_targets ? g->root_targets[k] : HW_NONE; }
uint64_t hw_graph_root_target_record(const hw_graph *g, uint32_t k) { return k < g->n_root_targets ? g->root_target_rec[k] : UINT64_MAX; }

const char *hw_root_kind_name(unsigned kind)
{
	static const char *const names[HWD_ROOT_KIND__COUNT] = {
		[HWD_ROOT_GLOBAL] = "global",       [HWD_ROOT_STACK] = "stack",
		[HWD_ROOT_REGISTER] = "register",   [HWD_ROOT_FINALIZER] = "finalizer",
		[HWD_ROOT_OTHER] = "other",
	};
	return kind < HWD_ROOT_KIND__COUNT && names[kind] ? names[kind] : "unknown";
}

const char *hw_graph_string(const hw_graph *g, uint32_t id, uint32_t *len)
{
	if (id == 0 || id > g->n_strings) {
		*len = 0;
		return "";
	}
	if (g->reader)
		return hwd_reader_string(g->reader, id, len);
	*len = (uint32_t)strlen(g->own_strings[id - 1]);
	return g->own_strings[id - 1];
}

uint32_t hw_graph_n_types(const hw_graph *g) { return g->n_types; }

hwd_type hw_graph_type(const hw_graph *g, uint32_t id)
{
	if (id == 0 || id > g->n_types)
		return (hwd_type){ 0 };
	return g->reader ? hwd_reader_type(g->reader, id) : g->own_types[id - 1];
}

const char *hw_graph_type_name(const hw_graph *g, uint32_t type_id, uint32_t *len)
{
	return hw_graph_string(g, hw_graph_type(g, type_id).name, len);
}

gboolean hw_graph_check(const hw_graph *g, GError **error)
{
	if (g->first_edge[0] != 0 || g->first_edge[g->n] != g->n_edges) {
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "first-edge index does not span the edges");
		return FALSE;
	}
	for (uint32_t v = 0; v < g->n; v++) {
		if (g->first_edge[v] > g->first_edge[v + 1]) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "first-edge index decreases at object %u", v);
			return FALSE;
		}
		for (uint64_t e = g->first_edge[v]; e < g->first_edge[v + 1]; e++) {
			hwd_edge r = hw_graph_edge(g, e);
			if (r.from != v || r.to >= g->n) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "edge %" G_GUINT64_FORMAT " is listed under object %u but goes %u -> %u",
				            e, v, r.from, r.to);
				return FALSE;
			}
		}
	}
	GHashTable *seen = g_hash_table_new(NULL, NULL);
	gboolean ok = TRUE;
	for (uint32_t k = 0; k < g->n_root_targets && ok; k++) {
		uint32_t t = g->root_targets[k];
		hwd_root r = hw_graph_root(g, g->root_target_rec[k]);
		if (t >= g->n || r.object != t || !g_hash_table_add(seen, GUINT_TO_POINTER(t + 1))) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "root target %u (object %u) is out of range, mislinked or duplicated", k, t);
			ok = FALSE;
		}
	}
	for (uint64_t k = 0; k < g->n_roots && ok; k++) {
		if (!g_hash_table_contains(seen, GUINT_TO_POINTER(hw_graph_root(g, k).object + 1))) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "root record %" G_GUINT64_FORMAT " has no root target", k);
			ok = FALSE;
		}
	}
	g_hash_table_destroy(seen);
	return ok;
}

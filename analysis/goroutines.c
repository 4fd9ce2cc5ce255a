/* goroutines.c - goroutine groups and the heap each group's stacks retain (see goroutines.h).
 *
 * The retained computation (hw_roots_class_retained) works on "top" objects, the children of
 * the super-root in the dominator tree. Removing a set of roots changes the dominator of no
 * other object: an object dominated by a real object u stays dominated by u. A top object t
 * becomes garbage exactly when every root that reaches t is removed, so it is enough to know,
 * for each top object, which root classes reach it: one class, or several ("many"). An edge
 * x -> t into a top object t from another top object's subtree carries the classes of x's top
 * object to t; edges into non-top objects stay inside one subtree (an object's immediate
 * dominator dominates all its predecessors). So the classes flow over the small graph of
 * crossing edges, and each top object's class changes at most twice (unset -> one -> many).
 * A class's retained heap is the dominator subtrees of the top objects it owns, so the same
 * ownership gives both its size and, walked once more, its allocation sites.
 */
#include "goroutines.h"
#include "graph-private.h"
#include "retained.h"

#include <string.h>

#define CLASS_UNSET HW_NONE
#define CLASS_MANY (HW_NONE - 1)

static inline uint32_t meet(uint32_t a, uint32_t b)
{
	if (a == CLASS_UNSET)
		return b;
	if (b == CLASS_UNSET || a == b)
		return a;
	return CLASS_MANY;
}

/* top[v] = the ancestor of v that the super-root immediately dominates (HW_NONE: unreachable).
 * Walks idom chains with an explicit stack, filling every node on the way. */
static void compute_top(const hw_domtree *d, uint32_t n, uint32_t *top, GArray *stack)
{
	memset(top, 0xff, sizeof(uint32_t) * n);
	for (uint32_t v = 0; v < n; v++) {
		if (top[v] != HW_NONE || hw_domtree_idom(d, v) == HW_NONE)
			continue;
		uint32_t u = v, t;
		g_array_set_size(stack, 0);
		for (;;) {
			uint32_t up = hw_domtree_idom(d, u);
			if (up == n) {
				t = u;
				break;
			}
			if (top[u] != HW_NONE) {
				t = top[u];
				break;
			}
			g_array_append_val(stack, u);
			u = up;
		}
		top[u] = t;
		for (guint i = 0; i < stack->len; i++)
			top[g_array_index(stack, uint32_t, i)] = t;
	}
}

/* Calls fn(top_of_source, target) for every strong edge that enters a top object from
 * another top object's subtree. */
typedef void (*crossing_fn)(uint32_t from_top, uint32_t to, void *user);
static void for_crossing_edges(const hw_domtree *d, const uint32_t *top, crossing_fn fn, void *user)
{
	const hw_graph *g = hw_domtree_graph(d);
	uint32_t n = hw_graph_n_objects(g);
	for (uint32_t x = 0; x < n; x++) {
		if (top[x] == HW_NONE)
			continue;
		uint64_t e, end;
		hw_graph_out_edges(g, x, &e, &end);
		while (e < end) {   /* span by span: an object's edges may straddle two runs */
			const hwd_edge *span;
			uint64_t k = hw_graph_edge_span(g, e, end, &span);
			e += k;
			for (const hwd_edge *ed = span; ed < span + k; ed++)
				if (hw_edge_is_strong(ed) && ed->to < n && top[ed->to] == ed->to && top[x] != ed->to)
					fn(top[x], ed->to, user);
		}
	}
}

typedef struct csr {
	uint32_t *first;    /* n + 1 offsets into targets, by source top object */
	uint32_t *targets;
	uint64_t fill;
} csr;

static void count_edge(uint32_t from, uint32_t to, void *user)
{
	(void)to;
	((csr *)user)->first[from + 1]++;
}

static void fill_edge(uint32_t from, uint32_t to, void *user)
{
	csr *c = user;
	c->targets[c->first[from]++] = to;
}

/* Who owns each top object: top[v] as compute_top, and for a top object t, cls[t] = the one
 * root class whose roots reach t (t is freed when that class's roots go), CLASS_MANY, or
 * CLASS_UNSET (no root class reaches it). Both arrays have one entry per object. */
typedef struct owners {
	uint32_t *top, *cls;
} owners;

static void owners_clear(owners *o)
{
	g_clear_pointer(&o->top, g_free);
	g_clear_pointer(&o->cls, g_free);
}

static gboolean owners_compute(const hw_domtree *d, const uint32_t *class_of_root, uint32_t n_classes,
                               owners *o, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	uint32_t n = hw_graph_n_objects(g);
	uint32_t *top = o->top = g_try_new(uint32_t, n ? n : 1);
	uint32_t *cls = o->cls = g_try_new(uint32_t, n ? n : 1);
	csr c = { .first = g_try_new0(uint32_t, (gsize)n + 1) };
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	gboolean ok = FALSE;

	if (!top || !cls || !c.first)
		goto out;
	compute_top(d, n, top, stack);

	/* Crossing edges as CSR, by source top object: count, prefix-sum, fill. */
	for_crossing_edges(d, top, count_edge, &c);
	for (uint32_t v = 0; v < n; v++)
		c.first[v + 1] += c.first[v];
	c.targets = g_try_new(uint32_t, c.first[n] ? c.first[n] : 1);
	if (!c.targets)
		goto out;
	for_crossing_edges(d, top, fill_edge, &c);
	/* fill_edge advanced each first[v] to the start of v + 1: shift back. */
	memmove(c.first + 1, c.first, sizeof(uint32_t) * n);
	c.first[0] = 0;

	/* Seed each top object with the classes of the roots naming it, then propagate. */
	memset(cls, 0xff, sizeof(uint32_t) * n);
	g_array_set_size(stack, 0);
	for (uint64_t k = 0; k < hw_graph_n_roots(g); k++) {
		uint32_t t = hw_graph_root(g, k).object;
		if (t >= n || top[t] != t)
			continue;
		uint32_t rc = class_of_root[k] < n_classes ? class_of_root[k] : CLASS_MANY;
		uint32_t m = meet(cls[t], rc);
		if (m != cls[t]) {
			cls[t] = m;
			g_array_append_val(stack, t);
		}
	}
	while (stack->len) {
		uint32_t t = g_array_index(stack, uint32_t, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		for (uint32_t i = c.first[t]; i < c.first[t + 1]; i++) {
			uint32_t w = c.targets[i];
			uint32_t m = meet(cls[w], cls[t]);
			if (m != cls[w]) {
				cls[w] = m;
				g_array_append_val(stack, w);
			}
		}
	}
	ok = TRUE;
out:
	g_free(c.first);
	g_free(c.targets);
	if (!ok) {
		owners_clear(o);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM,
		            "out of memory computing what goroutine stacks retain (%u objects)", n);
	}
	return ok;
}

/* A class retains the dominator subtrees of the top objects it alone owns. */
static void owners_retained(const hw_domtree *d, const owners *o, uint32_t n_classes, uint64_t *retained)
{
	uint32_t n = hw_graph_n_objects(hw_domtree_graph(d));
	memset(retained, 0, sizeof(uint64_t) * n_classes);
	for (uint32_t v = 0; v < n; v++)
		if (o->top[v] == v && o->cls[v] < n_classes)
			retained[o->cls[v]] += hw_retained_size(d, v);
}

gboolean hw_roots_class_retained(const hw_domtree *d, const uint32_t *class_of_root, uint32_t n_classes,
                                 uint64_t *retained, GError **error)
{
	owners o = { 0 };
	memset(retained, 0, sizeof(uint64_t) * n_classes);
	if (!owners_compute(d, class_of_root, n_classes, &o, error))
		return FALSE;
	owners_retained(d, &o, n_classes, retained);
	owners_clear(&o);
	return TRUE;
}

/* The allocation sites of what each group retains: the same subtrees owners_retained sums,
 * the top objects listed by class (counting sort), one accumulator alive at a time. */
static gboolean groups_sites(hw_domtree *d, const owners *o, const hw_allocsites *s, GPtrArray *groups,
                             GError **error)
{
	uint32_t n = hw_graph_n_objects(hw_domtree_graph(d)), nc = groups->len;
	g_autofree uint32_t *first = g_try_new0(uint32_t, (gsize)nc + 1);
	g_autofree uint32_t *tops = NULL;
	if (first) {
		for (uint32_t v = 0; v < n; v++)
			if (o->top[v] == v && o->cls[v] < nc)
				first[o->cls[v] + 1]++;
		for (uint32_t c = 0; c < nc; c++)
			first[c + 1] += first[c];
		tops = g_try_new(uint32_t, first[nc] ? first[nc] : 1);
	}
	if (!tops) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM,
		            "out of memory listing what %u goroutine groups retain", nc);
		return FALSE;
	}
	/* Fill advances first[c] to the start of c + 1: shift back afterwards. */
	for (uint32_t v = 0; v < n; v++)
		if (o->top[v] == v && o->cls[v] < nc)
			tops[first[o->cls[v]]++] = v;
	memmove(first + 1, first, sizeof(uint32_t) * nc);
	first[0] = 0;
	for (uint32_t c = 0; c < nc; c++) {
		if (first[c] == first[c + 1])
			continue;
		hw_site_acc *a = hw_site_acc_new(s);
		hw_site_acc_add_subtrees(a, d, tops + first[c], first[c + 1] - first[c]);
		g_autoptr(hw_site_summary) sum = hw_site_acc_finish(a);
		hw_goroutine_group *grp = g_ptr_array_index(groups, c);
		hw_finding_sites_clear(&grp->sites);
		grp->sites = hw_finding_sites_from(s, sum);
	}
	return TRUE;
}

void hw_goroutine_group_free(hw_goroutine_group *g)
{
	if (!g)
		return;
	g_free(g->key);
	g_free(g->state);
	g_free(g->wait_reason);
	g_free(g->start_func);
	hw_location_clear(&g->created_at);
	hw_location_clear(&g->waits_at);
	hw_finding_sites_clear(&g->sites);
	g_free(g);
}

/* Standard library: the package path's first element has no dot and is not "main". */
static gboolean is_std_func(const char *s, uint32_t len)
{
	uint32_t i = 0;
	while (i < len && s[i] != '/' && s[i] != '.')
		i++;
	if (i == 4 && memcmp(s, "main", 4) == 0)
		return FALSE;
	/* A dot before the first slash, followed by more path: a domain ("github.com/..."). */
	if (i < len && s[i] == '.') {
		for (uint32_t j = i; j < len && s[j] != '('; j++)
			if (s[j] == '/')
				return FALSE;
	}
	return TRUE;
}

static gboolean is_runtime_func(const char *s, uint32_t len)
{
	return (len >= 8 && memcmp(s, "runtime.", 8) == 0) ||
	       (len >= 17 && memcmp(s, "internal/runtime/", 17) == 0);
}

/* The frame index a goroutine waits at (goroutines.h), HWD_NONE when it has no frames. */
static uint32_t wait_frame(const hw_graph *g, const hwd_reader *r, const hwd_goroutine *gr)
{
	uint32_t nf = hwd_reader_frame_count(r);
	uint32_t non_runtime = HWD_NONE;
	if (gr->first_frame == HWD_NONE || gr->first_frame >= nf || gr->nframes == 0)
		return HWD_NONE;
	uint32_t last = gr->nframes > nf - gr->first_frame ? nf : gr->first_frame + gr->nframes;
	for (uint32_t f = gr->first_frame; f < last; f++) {
		uint32_t len;
		const char *fn = hw_graph_string(g, hwd_reader_frame(r, f).func, &len);
		if (!is_std_func(fn, len))
			return f;
		if (non_runtime == HWD_NONE && !is_runtime_func(fn, len))
			non_runtime = f;
	}
	return non_runtime != HWD_NONE ? non_runtime : gr->first_frame;
}

static char *str(const hw_graph *g, uint32_t id)
{
	uint32_t len;
	const char *s = hw_graph_string(g, id, &len);
	return g_strndup(s, len);
}

static gint by_count(gconstpointer a, gconstpointer b)
{
	const hw_goroutine_group *x = *(hw_goroutine_group *const *)a, *y = *(hw_goroutine_group *const *)b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	return strcmp(x->key, y->key);
}

GPtrArray *hw_goroutines_group(hw_domtree *d, const hw_allocsites *sites, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	const hwd_reader *r = hw_graph_reader(g);
	GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)hw_goroutine_group_free);
	uint32_t ng = r ? (uint32_t)hwd_reader_goroutine_count(r) : 0;
	if (ng == 0)
		return groups;

	g_autoptr(GHashTable) by_key = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree uint32_t *group_of = g_try_new(uint32_t, ng);
	g_autofree uint32_t *class_of_root = g_try_new(uint32_t, hw_graph_n_roots(g) ? hw_graph_n_roots(g) : 1);
	if (!group_of || !class_of_root) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory grouping %u goroutines", ng);
		g_ptr_array_unref(groups);
		return NULL;
	}
	for (uint32_t i = 0; i < ng; i++) {
		hwd_goroutine gr = hwd_reader_goroutine(r, i);
		uint32_t wf = wait_frame(g, r, &gr);
		hw_location created = {
			str(g, gr.creator_func), str(g, gr.creator_file), gr.creator_line,
		};
		hw_location waits = hw_location_of_frame(g, wf);
		g_autofree char *state = str(g, gr.state), *reason = str(g, gr.wait_reason);
		g_autofree char *key = g_strdup_printf("%s|%s|%s %s:%u|%s %s:%u", state, reason,
		                                       created.func, created.file, created.line,
		                                       waits.func, waits.file, waits.line);
		/* The table maps a key to its group's index + 1 (a value must not be NULL). */
		guint gi = GPOINTER_TO_UINT(g_hash_table_lookup(by_key, key));
		hw_goroutine_group *grp;
		if (gi == 0) {
			grp = g_new0(hw_goroutine_group, 1);
			grp->key = g_steal_pointer(&key);
			grp->state = g_steal_pointer(&state);
			grp->wait_reason = g_steal_pointer(&reason);
			grp->start_func = str(g, gr.start_func);
			grp->created_at = created;
			grp->waits_at = waits;
			grp->longest_wait_ns = -1;
			grp->example = i;
			grp->example_id = gr.id;
			grp->sites = hw_finding_sites_from(NULL, NULL);
			g_ptr_array_add(groups, grp);
			gi = groups->len;
			g_hash_table_insert(by_key, grp->key, GUINT_TO_POINTER(gi));
		} else {
			hw_location_clear(&created);
			hw_location_clear(&waits);
		}
		grp = g_ptr_array_index(groups, --gi);
		group_of[i] = gi;
		grp->count++;
		grp->stack_bytes += gr.stack_bytes;
		if (gr.wait_ns > grp->longest_wait_ns) {
			grp->longest_wait_ns = gr.wait_ns;
			grp->example = i;
			grp->example_id = gr.id;
		}
	}
	for (uint64_t k = 0; k < hw_graph_n_roots(g); k++) {
		hwd_root root = hw_graph_root(g, k);
		class_of_root[k] = root.kind == HWD_ROOT_STACK && root.goroutine < ng ? group_of[root.goroutine] : HW_NONE;
	}
	g_autofree uint64_t *retained = g_try_new0(uint64_t, groups->len);
	owners o = { 0 };
	if (!retained) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "out of memory grouping %u goroutines", ng);
		g_ptr_array_unref(groups);
		return NULL;
	}
	if (!owners_compute(d, class_of_root, groups->len, &o, error) ||
	    (sites && hw_allocsites_available(sites) && !groups_sites(d, &o, sites, groups, error))) {
		owners_clear(&o);
		g_ptr_array_unref(groups);
		return NULL;
	}
	owners_retained(d, &o, groups->len, retained);
	owners_clear(&o);
	for (guint i = 0; i < groups->len; i++)
		((hw_goroutine_group *)g_ptr_array_index(groups, i))->retained = retained[i];
	g_ptr_array_sort(groups, by_count);
	return groups;
}

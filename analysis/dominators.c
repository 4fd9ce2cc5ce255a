/* dominators.c - immediate dominators by SEMI-NCA, fully iterative, in few arrays.
 *
 * The pipeline (all arrays 32-bit, in DFS-preorder space "pre", 0 = super-root):
 *  1. Depth-first search from the super-root. The stack is implicit: parent[] links the open
 *     path and cursor[] remembers where each open object's edge scan stopped, so a 10-million
 *     deep chain costs no native stack. Gives pre_of (object -> pre), parent.
 *  2. One pass over the edge records: an edge u->w with pre(u) < pre(w) is a tree or forward
 *     edge and its candidate semidominator is just pre(u) (kept in label[w], which is not read
 *     before w is processed); edges with pre(u) > pre(w) are bucketed by target ("rev") since
 *     their candidate depends on the forest at the time w is processed. Self-loops never matter.
 *  3. Semidominators in reverse preorder with the link-eval forest: ancestor[] is a copy of
 *     parent[] compressed in place; an object is linked iff its pre is above the one being
 *     processed, so linking costs nothing. label[] holds minimum semidominator *values* (not
 *     vertices). Path compression reverses the ancestor pointers on the way up and restores
 *     them on the way down (no stack). semi(w) is parked in rev_first[w], whose old content
 *     (the end of w's bucket) is dead once w is processed.
 *  4. NCA: idom(w) starts as parent(w) (in the parent[] array itself) and climbs the idoms of
 *     smaller preorder numbers until it is <= semi(w).
 *  5. Retained sizes in reverse preorder (retained.c), then both results are permuted in
 *     place to object space, with one bit per object to mark what has moved.
 * Unreachable objects never get a preorder number and end with idom HW_NONE.
 */
#include "domtree-private.h"
#include "graph-private.h"

#include <string.h>
#include <sys/mman.h>
#ifdef HW_TRACE
#include <stdio.h>
#include <time.h>
static double tnow(void){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec/1e9;}
#define TT(x) do{double t2=tnow();fprintf(stderr,"  %-10s %.2f\n",x,t2-t_);t_=t2;}while(0)
#define T0 double t_=tnow()
#else
#define TT(x)
#define T0
#endif

static void *try_alloc(gsize count, gsize size, GError **error, const char *what)
{
	void *p = g_try_malloc_n(count ? count : 1, size);
	if (p && count * size >= (gsize)4 << 20) {
		/* Random access over tens of megabytes: 2 MiB pages spare most TLB misses. */
		uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
		uintptr_t b = ((uintptr_t)p + count * size) & ~(uintptr_t)4095;
		if (b > a)
			madvise((void *)a, b - a, MADV_HUGEPAGE);
	}
	if (!p)
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate %s (%" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT " bytes)",
		            what, count, size);
	return p;
}

/* The link-eval forest, one cache line fetch per visited vertex: ancestor and label side by
 * side. label holds minimum semidominator *values* (not vertices). */
typedef struct forest_slot {
	uint32_t ancestor;
	uint32_t label;
} forest_slot;

/* Step 1, with step 2's first half folded in. Returns m, the number of reached vertices
 * including the super-root. An edge found already visited is classified on the spot: when
 * the scanning vertex p is on top of the stack every vertex visited so far is either on the
 * open path (pre < p) or finished, so pre(t) > p means a forward edge to a finished
 * descendant, whose cursor slot is dead and holds its semidominator candidate, and pre(t) < p
 * a back or cross edge, counted into its target's bucket. Each edge is looked at once here. */
static uint32_t dfs(const hw_graph *g, uint32_t *pre_of, uint32_t *node_of, uint32_t *parent, forest_slot *f,
                    hw_progress_fn progress, void *user)
{
	const uint32_t n = g->n;
	memset(pre_of, 0xff, sizeof(uint32_t) * n);
	node_of[0] = n;
	parent[0] = HW_NONE;
	f[0] = (forest_slot){ 0, 0 };
	uint32_t m = 1;
	uint32_t p = 0;
#define CLASSIFY(q) do { \
		if ((q) > p) { if (p < f[(q)].label) f[(q)].label = p; } \
		else if ((q) < p) f[(q)].ancestor++; \
	} while (0)
	while (p != HW_NONE) {
		uint32_t v = node_of[p];
		uint32_t found = HW_NONE;
		if (v == n) {
			while (f[0].label < g->n_root_targets && found == HW_NONE) {
				uint32_t t = g->root_targets[f[0].label++];
				uint32_t q = pre_of[t];
				if (q == HW_NONE)
					found = t;
				else
					CLASSIFY(q);
			}
		} else {
			uint64_t e = f[p].label, end = g->first_edge[v + 1];
			while (e < end && found == HW_NONE) {
				const hwd_edge *ep;
				uint64_t k = hw_graph_edge_span(g, e, end, &ep);
				/* Overlap the next few targets' misses (a bounded window: a vertex with a
				 * million edges is scanned a million times, a few edges each). */
				for (uint64_t i = 0; i < k && i < 8; i++)
					__builtin_prefetch(&pre_of[ep[i].to]);
				for (uint64_t i = 0; i < k; i++) {
					if (hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK)
						continue;
					uint32_t q = pre_of[ep[i].to];
					if (q != HW_NONE) {
						CLASSIFY(q);
						continue;
					}
					found = ep[i].to;
					k = i + 1;
					break;
				}
				e += k;
			}
			f[p].label = (uint32_t)e;
		}
		if (found == HW_NONE) {
			/* p is finished: its cursor slot becomes its semidominator candidate. */
			f[p].label = parent[p];
			p = parent[p];
			continue;
		}
		uint32_t q = m++;
		pre_of[found] = q;
		node_of[q] = found;
		parent[q] = p;
		uint32_t first = g->first_edge[found];
		f[q] = (forest_slot){ 0, first };
		/* The edges are read next: start loading them (and their targets' preorder slots
		 * once they arrive) instead of waiting for each miss in turn. */
		if (first < g->first_edge[found + 1]) {
			const hwd_edge *ep;
			hw_graph_edge_span(g, first, first + 1, &ep);
			__builtin_prefetch(ep);
		}
		p = q;
		hw_progress_step(progress, user, "dfs", q, n);
	}
#undef CLASSIFY
	return m;
}

/* Step 2, second half: turns the bucket counts into positions and fills the buckets with a
 * second pass over the edges (back and cross edges only). After filling, rev_first[w] is the
 * END of w's bucket and its start is rev_first[w - 1] (0 for w = 1). */
static gboolean bucket_edges(const hw_graph *g, const uint32_t *pre_of, uint32_t m,
                             uint32_t *rev_first, uint32_t **rev_out, GError **error)
{
	uint32_t total = 0;
	for (uint32_t w = 0; w < m; w++) {
		uint32_t c = rev_first[w];
		rev_first[w] = total;
		total += c;
	}
	uint32_t *rev = try_alloc(total, sizeof(uint32_t), error, "predecessor buckets");
	if (!rev)
		return FALSE;
	/* rev_first[w] advances from the start to the end of w's bucket. Sources come in order
	 * (pre_of[from] stays cached); targets are random, so they are fetched ahead. */
	enum { AHEAD = 16 };
	for (uint64_t e = 0; e < g->n_edges;) {
		const hwd_edge *ep;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &ep);
		for (uint64_t i = 0; i < k; i++) {
			if (i + AHEAD < k)
				__builtin_prefetch(&pre_of[ep[i + AHEAD].to]);
			uint32_t pu = pre_of[ep[i].from];
			if (pu == HW_NONE || hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK)
				continue;
			uint32_t pw = pre_of[ep[i].to];
			if (pu > pw)
				rev[rev_first[pw]++] = pu;
		}
		e += k;
	}
	*rev_out = rev;
	return TRUE;
}

/* Minimum label on the forest path from v (linked: v > w) up to the last linked vertex,
 * compressing the path. Pointer reversal replaces the recursion of the textbook version. */
static inline uint32_t eval(forest_slot *f, uint32_t v, uint32_t w)
{
	if (f[v].ancestor <= w)
		return f[v].label;
	uint32_t prev = HW_NONE, x = v;
	while (f[x].ancestor > w) {
		uint32_t up = f[x].ancestor;
		f[x].ancestor = prev;
		prev = x;
		x = up;
	}
	/* x is the last linked vertex; its ancestor is unlinked and becomes everyone's ancestor. */
	uint32_t top = f[x].ancestor, best = f[x].label;
	while (prev != HW_NONE) {
		uint32_t down = f[prev].ancestor;
		if (f[prev].label > best)
			f[prev].label = best;
		else
			best = f[prev].label;
		f[prev].ancestor = top;
		prev = down;
	}
	return f[v].label;
}

/* Steps 3 and 4. label[] (the DFS's candidates) is consumed into the forest; semi(w) is parked
 * in rev_first[w], whose old content (the end of w's bucket) is dead once w is processed.
 * parent[] becomes idom[] (preorder space). */
static void semi_nca(uint32_t m, uint32_t *parent, forest_slot *f,
                     uint32_t *rev_first, const uint32_t *rev, hw_progress_fn progress, void *user)
{
	for (uint32_t w = m - 1; w >= 1; w--) {
		uint32_t s = f[w].label;
		uint32_t lo = w > 1 ? rev_first[w - 1] : 0, hi = rev_first[w];
		for (uint32_t i = lo; i < hi; i++) {
			if (i + 4 < hi)
				__builtin_prefetch(&f[rev[i + 4]]);
			uint32_t c = eval(f, rev[i], w);
			if (c < s)
				s = c;
		}
		f[w].label = s;
		rev_first[w] = s;
		hw_progress_step(progress, user, "dominators", m - w, 2 * (uint64_t)m);
	}
	uint32_t *idom = parent;
	for (uint32_t w = 1; w < m; w++) {
		uint32_t s = rev_first[w], c = idom[w];
		while (c > s)
			c = idom[c];
		idom[w] = c;
		hw_progress_step(progress, user, "dominators", m + w, 2 * (uint64_t)m);
	}
}

hw_domtree *hw_domtree_compute(const hw_graph *g, hw_progress_fn progress, void *user, GError **error)
{
	const uint32_t n = g->n;
	hw_domtree *d = g_new0(hw_domtree, 1);
	d->g = g;
	uint32_t *pre_of = NULL, *node_of = NULL, *parent = NULL, *rev_first = NULL, *rev = NULL;
	forest_slot *forest = NULL;

	pre_of = try_alloc(n, sizeof(uint32_t), error, "the preorder map");
	node_of = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the preorder map");
	parent = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the DFS tree");
	forest = try_alloc((gsize)n + 1, sizeof(forest_slot), error, "the DFS cursors and link-eval forest");
	if (!pre_of || !node_of || !parent || !forest)
		goto fail;
	T0;
	uint32_t m = dfs(g, pre_of, node_of, parent, forest, progress, user);
	TT("dfs");
	g_clear_pointer(&node_of, g_free);   /* rebuilt from pre_of at the end: 4 bytes/object less meanwhile */

	/* The DFS left each vertex's bucket count in its ancestor slot: move it out and link the
	 * forest (ancestor = parent; a vertex counts as linked once its pre exceeds the current one). */
	rev_first = try_alloc(m, sizeof(uint32_t), error, "the predecessor index");
	if (!rev_first)
		goto fail;
	for (uint32_t w = 0; w < m; w++) {
		rev_first[w] = forest[w].ancestor;
		forest[w].ancestor = parent[w];
	}
	if (!bucket_edges(g, pre_of, m, rev_first, &rev, error))
		goto fail;
	TT("bucket");
	semi_nca(m, parent, forest, rev_first, rev, progress, user);
	TT("seminca");
	g_clear_pointer(&rev, g_free);
	g_clear_pointer(&forest, g_free);
	g_clear_pointer(&rev_first, g_free);

	/* Step 5: everything moves to object space through node_of (preorder -> object), built
	 * from pre_of, which then goes. Scatters, not an in-place permutation: the peak stays at
	 * node_of + idom in both spaces, below the semidominator phase's. */
	node_of = try_alloc(m, sizeof(uint32_t), error, "the preorder map");
	if (!node_of)
		goto fail;
	node_of[0] = n;
	for (uint32_t v = 0; v < n; v++)
		if (pre_of[v] != HW_NONE)
			node_of[pre_of[v]] = v;
	g_clear_pointer(&pre_of, g_free);
	d->idom = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "immediate dominators");
	if (!d->idom)
		goto fail;
	memset(d->idom, 0xff, sizeof(uint32_t) * ((gsize)n + 1));
	for (uint32_t p = 1; p < m; p++)
		d->idom[node_of[p]] = node_of[parent[p]];
	TT("scatter");
	d->retained = try_alloc((gsize)n + 1, sizeof(uint64_t), error, "retained sizes");
	if (!d->retained)
		goto fail;
	hw_retained_accumulate(g, node_of, parent, m, d->idom, d->retained, &d->totals, progress, user);
	TT("retained");
	g_free(node_of);
	g_free(parent);
	if (progress)
		progress("dominators", 1.0, user);
	return d;

fail:
	g_free(pre_of);
	g_free(node_of);
	g_free(parent);
	g_free(forest);
	g_free(rev_first);
	g_free(rev);
	hw_domtree_free(d);
	return NULL;
}

void hw_domtree_free(hw_domtree *d)
{
	if (!d)
		return;
	g_free(d->idom);
	g_free(d->retained);
	g_free(d->child_first);
	g_free(d->children);
	g_free(d);
}

const hw_graph *hw_domtree_graph(const hw_domtree *d) { return d->g; }

uint32_t hw_domtree_idom(const hw_domtree *d, uint32_t v)
{
	return v < d->g->n ? d->idom[v] : HW_NONE;
}

static int by_retained_desc(gconstpointer a, gconstpointer b, gpointer user)
{
	const uint64_t *retained = user;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (retained[x] != retained[y])
		return retained[x] > retained[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static gboolean ensure_children(hw_domtree *d)
{
	if (d->child_first)
		return TRUE;
	const uint32_t n = d->g->n;
	uint32_t *first = g_try_new0(uint32_t, (gsize)n + 2);
	uint32_t *kids = g_try_new(uint32_t, n ? n : 1);
	if (!first || !kids) {
		g_free(first);
		g_free(kids);
		return FALSE;
	}
	for (uint32_t v = 0; v < n; v++)
		if (d->idom[v] != HW_NONE)
			first[d->idom[v] + 1]++;
	for (uint32_t v = 0; v <= n; v++)
		first[v + 1] += first[v];
	/* Fill in increasing v; first[u] runs to the end of u's list, then shifts back. */
	for (uint32_t v = 0; v < n; v++)
		if (d->idom[v] != HW_NONE)
			kids[first[d->idom[v]]++] = v;
	memmove(first + 1, first, sizeof(uint32_t) * ((gsize)n + 1));
	first[0] = 0;
	for (uint32_t v = 0; v <= n; v++)
		if (first[v + 1] - first[v] > 1)
			g_qsort_with_data(kids + first[v], (gint)(first[v + 1] - first[v]), sizeof(uint32_t), by_retained_desc, d->retained);
	d->child_first = first;
	d->children = kids;
	return TRUE;
}

const uint32_t *hw_domtree_children(hw_domtree *d, uint32_t v, uint32_t *count)
{
	*count = 0;
	if (v > d->g->n || !ensure_children(d))
		return NULL;
	*count = d->child_first[v + 1] - d->child_first[v];
	return d->children + d->child_first[v];
}

/* Preorder walk of the dominator tree with an explicit stack of positions in children[];
 * active[k] counts the objects with key k on the current path. */
guint8 *hw_domtree_outermost(hw_domtree *d, hw_key_fn key, uint32_t n_keys, void *user)
{
	const uint32_t n = d->g->n;
	if (!ensure_children(d))
		return NULL;
	guint8 *bits = g_try_malloc0((gsize)n / 8 + 1);
	uint32_t *active = g_try_new0(uint32_t, n_keys ? n_keys : 1);
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	if (!bits || !active) {
		g_free(bits);
		g_free(active);
		g_array_free(stack, TRUE);
		return NULL;
	}
	const uint32_t *first = d->child_first, *kids = d->children;
#define ENTER(x) do { uint32_t k_ = key((x), user); \
		if (k_ && k_ < n_keys && active[k_]++ == 0) bits[(x) >> 3] |= (guint8)(1u << ((x) & 7)); } while (0)
#define LEAVE(x) do { uint32_t k_ = key((x), user); if (k_ && k_ < n_keys) active[k_]--; } while (0)
	if (first[n] < first[n + 1]) {
		g_array_append_val(stack, first[n]);
		ENTER(kids[first[n]]);
	}
	while (stack->len) {
		uint32_t x = kids[g_array_index(stack, uint32_t, stack->len - 1)];
		if (first[x] < first[x + 1]) {
			g_array_append_val(stack, first[x]);
			ENTER(kids[first[x]]);
			continue;
		}
		while (stack->len) {
			uint32_t *top = &g_array_index(stack, uint32_t, stack->len - 1);
			uint32_t pos = *top, y = kids[pos];
			LEAVE(y);
			if (pos + 1 < first[d->idom[y] + 1]) {
				*top = pos + 1;
				ENTER(kids[pos + 1]);
				break;
			}
			g_array_set_size(stack, stack->len - 1);
		}
	}
#undef ENTER
#undef LEAVE
	g_array_free(stack, TRUE);
	g_free(active);
	return bits;
}

gboolean hw_domtree_check(const hw_domtree *d, GError **error)
{
	const uint32_t n = d->g->n;
	/* depth[] by walking up with memoisation would need recursion or a stack; instead check
	 * that each idom chain reaches the super-root within n steps using a visited stamp. */
	uint32_t *stamp = g_new(uint32_t, (gsize)n + 1);
	memset(stamp, 0xff, sizeof(uint32_t) * ((gsize)n + 1));
	uint64_t *sum = g_new0(uint64_t, (gsize)n + 1);
	gboolean ok = TRUE;
	for (uint32_t v = 0; v < n && ok; v++) {
		uint32_t u = d->idom[v];
		if (u == HW_NONE) {
			if (d->retained[v] != 0) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "unreachable object %u retains %" G_GUINT64_FORMAT " bytes", v, d->retained[v]);
				ok = FALSE;
			}
			continue;
		}
		if (u > n || (u < n && d->idom[u] == HW_NONE)) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "object %u has idom %u, which is not reachable", v, u);
			ok = FALSE;
			break;
		}
		sum[u] += d->retained[v];
		/* Walk up until the super-root or a vertex already proven to reach it. */
		uint32_t x = v;
		while (x != n && stamp[x] == HW_NONE) {
			stamp[x] = v;
			x = d->idom[x];
			if (x > n) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "the idom chain from object %u reaches an unreachable object", v);
				ok = FALSE;
				break;
			}
			if (x != n && stamp[x] == v) {
				g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "the idom chain from object %u has a cycle", v);
				ok = FALSE;
				break;
			}
		}
	}
	for (uint32_t v = 0; v < n && ok; v++) {
		if (d->idom[v] != HW_NONE && d->retained[v] != sum[v] + hw_graph_object_size(d->g, v)) {
			g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "retained(%u) = %" G_GUINT64_FORMAT " but size + children = %" G_GUINT64_FORMAT,
			            v, d->retained[v], sum[v] + hw_graph_object_size(d->g, v));
			ok = FALSE;
		}
	}
	if (ok && d->retained[n] != sum[n]) {
		g_set_error(error, HW_ERROR, HW_ERROR_INVALID, "the super-root retains %" G_GUINT64_FORMAT " but its children sum to %" G_GUINT64_FORMAT,
		            d->retained[n], sum[n]);
		ok = FALSE;
	}
	g_free(stamp);
	g_free(sum);
	return ok;
}

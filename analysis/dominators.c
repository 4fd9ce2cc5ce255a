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

static void *try_alloc(gsize count, gsize size, GError **error, const char *what)
{
	void *p = g_try_malloc_n(count ? count : 1, size);
	if (!p)
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate %s (%" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT " bytes)",
		            what, count, size);
	return p;
}

/* Step 1. Returns m, the number of reached vertices including the super-root. */
static uint32_t dfs(const hw_graph *g, uint32_t *pre_of, uint32_t *node_of, uint32_t *parent, uint32_t *cursor,
                    hw_progress_fn progress, void *user)
{
	const uint32_t n = g->n;
	memset(pre_of, 0xff, sizeof(uint32_t) * n);
	node_of[0] = n;
	parent[0] = HW_NONE;
	cursor[0] = 0;
	uint32_t m = 1;
	uint32_t p = 0;
	while (p != HW_NONE) {
		uint32_t v = node_of[p];
		uint32_t found = HW_NONE;
		if (v == n) {
			while (cursor[0] < g->n_root_targets && found == HW_NONE) {
				uint32_t t = g->root_targets[cursor[0]++];
				if (pre_of[t] == HW_NONE)
					found = t;
			}
		} else {
			uint64_t e = cursor[p], end = g->first_edge[v + 1];
			while (e < end && found == HW_NONE) {
				const hwd_edge *ep;
				uint64_t k = hw_graph_edge_span(g, e, end, &ep);
				for (uint64_t i = 0; i < k; i++) {
					if (hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK || pre_of[ep[i].to] != HW_NONE)
						continue;
					found = ep[i].to;
					k = i + 1;
					break;
				}
				e += k;
			}
			cursor[p] = (uint32_t)e;
		}
		if (found == HW_NONE) {
			p = parent[p];
			continue;
		}
		uint32_t q = m++;
		pre_of[found] = q;
		node_of[q] = found;
		parent[q] = p;
		cursor[q] = g->first_edge[found];
		p = q;
		hw_progress_step(progress, user, "dfs", q, n);
	}
	return m;
}

/* Step 2. label[w] gets the smallest pre(u) over tree/forward edges (u = super-root for root
 * targets); rev_first/rev get the back and cross edges bucketed by target. After filling,
 * rev_first[w] is the END of w's bucket and its start is rev_first[w - 1] (0 for w = 1). */
static gboolean bucket_edges(const hw_graph *g, const uint32_t *pre_of, const uint32_t *parent, uint32_t m,
                             uint32_t *label, uint32_t *rev_first, uint32_t **rev_out, GError **error)
{
	for (uint32_t w = 1; w < m; w++)
		label[w] = parent[w];
	for (uint32_t k = 0; k < g->n_root_targets; k++)
		label[pre_of[g->root_targets[k]]] = 0;
	memset(rev_first, 0, sizeof(uint32_t) * m);
	/* Pass 1: forward candidates and bucket sizes. */
	for (uint64_t e = 0; e < g->n_edges;) {
		const hwd_edge *ep;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &ep);
		for (uint64_t i = 0; i < k; i++) {
			uint32_t pu = pre_of[ep[i].from];
			if (pu == HW_NONE || hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK)
				continue;
			uint32_t pw = pre_of[ep[i].to];
			if (pu < pw) {
				if (pu < label[pw])
					label[pw] = pu;
			} else if (pu > pw) {
				rev_first[pw]++;
			}
		}
		e += k;
	}
	uint32_t total = 0;
	for (uint32_t w = 0; w < m; w++) {
		uint32_t c = rev_first[w];
		rev_first[w] = total;
		total += c;
	}
	uint32_t *rev = try_alloc(total, sizeof(uint32_t), error, "predecessor buckets");
	if (!rev)
		return FALSE;
	/* Pass 2: fill; rev_first[w] advances from the start to the end of w's bucket. */
	for (uint64_t e = 0; e < g->n_edges;) {
		const hwd_edge *ep;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &ep);
		for (uint64_t i = 0; i < k; i++) {
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
static inline uint32_t eval(uint32_t *ancestor, uint32_t *label, uint32_t v, uint32_t w)
{
	if (ancestor[v] <= w)
		return label[v];
	uint32_t prev = HW_NONE, x = v;
	while (ancestor[x] > w) {
		uint32_t up = ancestor[x];
		ancestor[x] = prev;
		prev = x;
		x = up;
	}
	/* x is the last linked vertex; its ancestor is unlinked and becomes everyone's ancestor. */
	uint32_t top = ancestor[x], best = label[x];
	while (prev != HW_NONE) {
		uint32_t down = ancestor[prev];
		if (label[prev] > best)
			label[prev] = best;
		else
			best = label[prev];
		ancestor[prev] = top;
		prev = down;
	}
	return label[v];
}

/* Steps 3 and 4. parent[] becomes idom[] (preorder space). */
static void semi_nca(uint32_t m, uint32_t *parent, uint32_t *ancestor, uint32_t *label,
                     uint32_t *rev_first, const uint32_t *rev, hw_progress_fn progress, void *user)
{
	memcpy(ancestor, parent, sizeof(uint32_t) * m);
	for (uint32_t w = m - 1; w >= 1; w--) {
		uint32_t s = label[w];
		for (uint32_t i = w > 1 ? rev_first[w - 1] : 0; i < rev_first[w]; i++) {
			uint32_t c = eval(ancestor, label, rev[i], w);
			if (c < s)
				s = c;
		}
		label[w] = s;
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

/* Step 5: idom (values and positions) and retained move from preorder to object space.
 * Element p goes to node_of[p] (the super-root, p = 0, to n); the map is injective, so
 * following it from each unmoved p visits each cycle or chain once. */
static void to_object_space(uint32_t m, const uint32_t *node_of, uint32_t *idom, uint64_t *retained,
                            guint8 *moved)
{
	for (uint32_t p = 1; p < m; p++)
		idom[p] = node_of[idom[p]];
	idom[0] = HW_NONE;
	for (uint32_t start = 0; start < m; start++) {
		if (moved[start >> 3] & (1u << (start & 7)))
			continue;
		uint32_t vi = idom[start];
		uint64_t vr = retained[start];
		uint32_t p = start;
		moved[p >> 3] |= (guint8)(1u << (p & 7));
		for (;;) {
			uint32_t dst = node_of[p];
			if (dst >= m || (moved[dst >> 3] & (1u << (dst & 7)))) {
				idom[dst] = vi;
				retained[dst] = vr;
				break;
			}
			uint32_t ti = idom[dst];
			uint64_t tr = retained[dst];
			idom[dst] = vi;
			retained[dst] = vr;
			vi = ti;
			vr = tr;
			moved[dst >> 3] |= (guint8)(1u << (dst & 7));
			p = dst;
		}
	}
}

hw_domtree *hw_domtree_compute(const hw_graph *g, hw_progress_fn progress, void *user, GError **error)
{
	const uint32_t n = g->n;
	hw_domtree *d = g_new0(hw_domtree, 1);
	d->g = g;
	uint32_t *pre_of = NULL, *node_of = NULL, *parent = NULL, *label = NULL, *ancestor = NULL;
	uint32_t *rev_first = NULL, *rev = NULL;
	guint8 *moved = NULL;

	pre_of = try_alloc(n, sizeof(uint32_t), error, "the preorder map");
	node_of = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the preorder map");
	parent = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the DFS tree");
	label = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the DFS cursors");
	if (!pre_of || !node_of || !parent || !label)
		goto fail;
	uint32_t m = dfs(g, pre_of, node_of, parent, label, progress, user);
	g_clear_pointer(&node_of, g_free);   /* rebuilt from pre_of at the end: 4 bytes/object less meanwhile */

	rev_first = try_alloc(m, sizeof(uint32_t), error, "the predecessor index");
	if (!rev_first || !bucket_edges(g, pre_of, parent, m, label, rev_first, &rev, error))
		goto fail;
	ancestor = try_alloc(m, sizeof(uint32_t), error, "the link-eval forest");
	if (!ancestor)
		goto fail;
	semi_nca(m, parent, ancestor, label, rev_first, rev, progress, user);
	g_clear_pointer(&rev, g_free);
	g_clear_pointer(&ancestor, g_free);
	g_clear_pointer(&label, g_free);
	g_clear_pointer(&rev_first, g_free);

	d->retained = try_alloc((gsize)n + 1, sizeof(uint64_t), error, "retained sizes");
	if (!d->retained)
		goto fail;
	hw_retained_accumulate(g, pre_of, parent, m, d->retained, &d->totals, progress, user);

	node_of = try_alloc(m, sizeof(uint32_t), error, "the preorder map");
	moved = g_try_malloc0((gsize)m / 8 + 1);
	if (!node_of || !moved) {
		if (!moved)
			g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the permutation bitmap");
		goto fail;
	}
	node_of[0] = n;
	for (uint32_t v = 0; v < n; v++)
		if (pre_of[v] != HW_NONE)
			node_of[pre_of[v]] = v;
	to_object_space(m, node_of, parent, d->retained, moved);
	for (uint32_t v = 0; v < n; v++) {
		if (pre_of[v] == HW_NONE) {
			parent[v] = HW_NONE;
			d->retained[v] = 0;
		}
	}
	parent[n] = HW_NONE;
	d->retained[n] = d->totals.reachable_bytes;
	d->idom = parent;
	g_free(moved);
	g_free(node_of);
	g_free(pre_of);
	if (progress)
		progress("dominators", 1.0, user);
	return d;

fail:
	g_free(pre_of);
	g_free(node_of);
	g_free(parent);
	g_free(label);
	g_free(ancestor);
	g_free(rev_first);
	g_free(rev);
	g_free(moved);
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

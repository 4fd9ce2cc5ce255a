/* dominators.c - immediate dominators by SEMI-NCA, fully iterative, in few arrays.
 *
 * The pipeline (all arrays 32-bit, in DFS-preorder space "pre", 0 = super-root):
 *  1. Depth-first search from the super-root. The stack is implicit: parent[] links the open
 *     path and each open vertex's forest slot remembers where its edge scan stopped (which
 *     also names the vertex's object), so a 10-million deep chain costs no native stack and
 *     no preorder -> object map. Gives pre_of (object -> pre), parent. Which objects were
 *     reached is kept in a bitmap that stays in the cache, so the search's critical path is
 *     only the new vertex's first-edge entry and edge records; returns fetch ahead up the
 *     open path (see dfs()).
 *  1b. One sequential pass over the edge records classifies every edge by the now final
 *     preorder (classify_edges()): an edge u->w with pre(u) < pre(w) is a tree or forward edge
 *     and its candidate semidominator is just pre(u) (kept in w's label); edges with pre(u) >
 *     pre(w) are counted per target, since their candidate depends on the forest at the time
 *     w is processed, and marked in a bitmap of one bit per edge. Self-loops never matter.
 *     (Classifying during the search put two more dependent misses per edge on its critical
 *     path; here targets are fetched ahead.)
 *  2. One more pass over the marked edges fills those back/cross edges into buckets by
 *     target ("rev"); on a random graph each pass is a stream of cache misses, so there are
 *     as few as possible: one, unless the buckets exceed their cap (about 3 bytes per
 *     object), then one per window of buckets (see semidominators()), each reading only the
 *     edges still pending (the bitmap makes the fills about twice as fast as re-reading
 *     every edge, for 1 bit per edge, 0.4 bytes per object on a heap). From here to the end
 *     the graph's first-edge index is not needed: its memory holds the bucket index, and
 *     the graph gets an index rebuilt in the DFS tree's memory when everything is done.
 *  3. Semidominators in reverse preorder with the link-eval forest: each vertex's ancestor and
 *     label share one 8-byte slot (one miss per vertex visited); ancestor starts as parent and
 *     is compressed in place; an object is linked iff its pre is above the one being
 *     processed, so linking costs nothing. Labels are minimum semidominator *values* (not
 *     vertices). Path compression reverses the ancestor pointers on the way up and restores
 *     them on the way down (no stack). semi(w) is parked in rev_first[w], whose old content
 *     (the end of w's bucket) is dead once w is processed. Each eval's climb is a chain of
 *     dependent misses; a read-only walk up the chain of an eval a few positions on runs
 *     alongside (runahead_step()), so two chains are in flight instead of one.
 *  4. NCA: idom(w) starts as parent(w) (in the parent[] array itself) and climbs the idoms of
 *     smaller preorder numbers until it is <= semi(w).
 *  5. idom is scattered to object space through node_of (preorder -> object, rebuilt from
 *     pre_of), and retained sizes are summed in reverse preorder straight into object space
 *     (retained.c), all in memory of earlier steps (no fresh pages: their first touch costs
 *     more than their use). The peak of the whole is step 2/3's: pre_of, parent, the forest (8) and
 *     the bucket index, 20 bytes per object, plus the buckets (the search's bitmap, 1 bit
 *     per object, is gone by then).
 * Large arrays get huge pages (hw_advise_random_access): every phase indexes them at random.
 * Unreachable objects never get a preorder number and end with idom HW_NONE.
 */
#include "domtree-private.h"
#include "graph-private.h"

#include <string.h>

static void *try_alloc(gsize count, gsize size, GError **error, const char *what)
{
	void *p = g_try_malloc_n(count ? count : 1, size);
	if (!p) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate %s (%" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT " bytes)",
		            what, count, size);
		return NULL;
	}
	hw_advise_random_access(p, count * size);
	return p;
}

/* The link-eval forest, one cache line fetch per visited vertex: ancestor and label side by
 * side. label holds minimum semidominator *values* (not vertices). */
typedef struct forest_slot {
	uint32_t ancestor;
	uint32_t label;
} forest_slot;
G_STATIC_ASSERT(sizeof(forest_slot) == sizeof(uint64_t));   /* the forest's memory later holds retained sizes */

/* While returning from a vertex, the search climbs a chain of open vertices that were left
 * long ago (on a random graph, most of the graph was searched since): each would cost a miss
 * on its parent entry, one on its forest slot and one on the edge records at its cursor, one
 * after the other. On arriving back at p, this fetches ahead for the ancestors the search
 * returns to next: the parent entry and slot of the one AHEAD levels up, and the edge records
 * of the one below it (its slot was fetched on the previous return), so a run of returns finds
 * everything in the cache. The super-root's cursor is no edge index and is left alone. */
static inline void prefetch_ancestors(const hw_graph *g, const uint32_t *parent, const forest_slot *f, uint32_t p)
{
	enum { AHEAD = 3 };
	uint32_t x = p;
	for (int k = 0; k < AHEAD - 1 && x != HW_NONE && x != 0; k++)
		x = parent[x];
	if (x == HW_NONE || x == 0)
		return;
	uint32_t c = f[x].label;
	if (c < g->n_edges) {
		const hwd_edge *ep;
		hw_graph_edge_span(g, c, c + 1, &ep);
		__builtin_prefetch(ep);
	}
	uint32_t y = parent[x];
	if (y != HW_NONE) {
		__builtin_prefetch(&parent[y]);
		__builtin_prefetch(&f[y]);
	}
}

/* Step 1. Returns m, the number of reached vertices including the super-root. While a vertex
 * is open its slot's label is its edge cursor: the next edge to scan, or n_edges once none is
 * left. The cursor also says which object the vertex is, since edge records are grouped by
 * source (edge[cursor].from), so no preorder -> object map is needed here. Once finished, the
 * label is parent, which classify_edges() lowers to the semidominator candidate; the
 * ancestor field stays 0 for it to count back/cross edges in. Whether a target was reached is
 * asked of `seen`, one bit per object (1.25 MB for 10M objects: it stays in the cache), so
 * the only misses on the search's critical path are the new vertex's first-edge entry and
 * its edge records; pre_of and parent are only written. Edges are classified afterwards
 * (classify_edges()). */
static uint32_t dfs(const hw_graph *g, uint64_t *seen, uint32_t *pre_of, uint32_t *parent, forest_slot *f,
                    hw_progress_fn progress, void *user)
{
	const uint32_t n = g->n;
	const uint64_t n_edges = g->n_edges;   /* <= UINT32_MAX: fits a cursor */
	memset(pre_of, 0xff, sizeof(uint32_t) * n);
	parent[0] = HW_NONE;
	f[0] = (forest_slot){ 0, 0 };
	uint32_t m = 1;
	uint32_t p = 0;
	while (p != HW_NONE) {
		uint32_t found = HW_NONE;
		if (p == 0) {
			while (f[0].label < g->n_root_targets) {
				uint32_t t = g->root_targets[f[0].label++];
				if (!hw_bit_test(seen, t)) {
					found = t;
					break;
				}
			}
		} else {
			uint64_t e = f[p].label;
			uint32_t v = HW_NONE;   /* p's object: the source of the edge at its cursor */
			while (e < n_edges && found == HW_NONE) {
				const hwd_edge *ep;
				uint64_t k = hw_graph_edge_span(g, e, n_edges, &ep);
				if (v == HW_NONE)
					v = ep[0].from;
				/* (Fetching the first-edge entries of the next targets ahead here was
				 * measured: no gain on the random graph, and 0.1-0.2 s lost on a real heap,
				 * where it waits for the second line of a vertex's edge records.) */
				uint64_t i = 0;
				for (; i < k && ep[i].from == v; i++) {
					if (hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK || hw_bit_test(seen, ep[i].to))
						continue;
					found = ep[i].to;
					i++;
					break;
				}
				e += i;
				/* Past v's last edge (the next record, if any, has another source). */
				if (i < k ? ep[i].from != v : e < n_edges && hw_graph_edge(g, e).from != v)
					e = n_edges;
				else if (i < k)
					break;
			}
			f[p].label = (uint32_t)e;
		}
		if (found == HW_NONE) {
			/* p is finished. */
			f[p].label = parent[p];
			p = parent[p];
			prefetch_ancestors(g, parent, f, p);
			continue;
		}
		uint32_t q = m++;
		hw_bit_set(seen, found);
		pre_of[found] = q;
		parent[q] = p;
		uint32_t first = g->first_edge[found];
		uint32_t cursor = first < g->first_edge[found + 1] ? first : (uint32_t)n_edges;
		f[q] = (forest_slot){ 0, cursor };
		/* The new vertex's edge records are read next: start loading them now. */
		if (cursor < n_edges) {
			const hwd_edge *ep;
			hw_graph_edge_span(g, cursor, cursor + 1, &ep);
			__builtin_prefetch(ep);
		}
		p = q;
		hw_progress_step(progress, user, "dfs", q, n);
	}
	return m;
}

/* Step 1b, one sequential pass over the edge records once every preorder number is known. An
 * edge u->w with pre(u) < pre(w) is a tree or forward edge (u is an ancestor of w): its
 * candidate semidominator is pre(u), kept as the minimum in w's label. An edge with
 * pre(u) > pre(w) is a back or cross edge, whose candidate depends on the forest at the time
 * w is processed: it is counted in w's ancestor field (the size of w's bucket) and marked in
 * `backcross` (one bit per edge), so that the bucket fills read only those edges. Self-loops
 * never matter. Doing this here rather than while searching takes two dependent misses per
 * edge off the search's critical path; here the targets are known ahead and fetched ahead. */
static void classify_edges(const hw_graph *g, const uint32_t *pre_of, forest_slot *f, uint64_t *backcross)
{
	for (uint32_t k = 0; k < g->n_root_targets; k++)
		f[pre_of[g->root_targets[k]]].label = 0;   /* the super-root's edges */
	enum { AHEAD = 16 };
	for (uint64_t e = 0; e < g->n_edges;) {
		const hwd_edge *ep;
		uint64_t k = hw_graph_edge_span(g, e, g->n_edges, &ep);
		for (uint64_t i = 0; i < k; i++) {
			if (i + AHEAD < k)
				__builtin_prefetch(&pre_of[ep[i + AHEAD].to]);
			if (i + AHEAD / 2 < k) {
				uint32_t a = pre_of[ep[i + AHEAD / 2].to];
				if (a != HW_NONE)
					__builtin_prefetch(&f[a]);
			}
			uint32_t pu = pre_of[ep[i].from];
			if (pu == HW_NONE || hwd_edge_kind_of(&ep[i]) == HWD_EDGE_WEAK)
				continue;
			uint32_t pw = pre_of[ep[i].to];
			if (pu < pw) {
				if (pu < f[pw].label)
					f[pw].label = pu;
			} else if (pu > pw) {
				f[pw].ancestor++;
				hw_bit_set(backcross, (uint32_t)(e + i));
			}
		}
		e += k;
	}
}

/* Each eval climbs a chain of dependent misses, and the evals to come are known (rev is read in
 * order): a second chain is walked alongside, read-only, one step per step of the eval's
 * climb, through the slots of an eval a few positions on, so that its climb finds them in
 * the cache. The compressions in between only shorten that eval's path (to nodes of the
 * walked one), so what is fetched is what it reads. The walk is only a hint: it may meet
 * pointers that an eval has reversed for the moment (those lead down to HW_NONE) or a bucket
 * start already overwritten by a semidominator (the wrong target), so it checks every index
 * and gives up after a bounded number of steps. */
typedef struct runahead {
	const uint32_t *rev, *rev_first;   /* the window's buckets, and their starts */
	uint32_t pos_lo, m;
	uint32_t eval_pos;   /* window position of the eval under way */
	uint32_t pos;        /* window position being walked, below eval_pos */
	uint32_t target;     /* its bucket's target */
	uint32_t x;          /* the walk's current slot; HW_NONE: start the next position */
	uint32_t steps;
} runahead;

static inline void runahead_step(const forest_slot *f, runahead *ra)
{
	enum { AHEAD = 8, MAX_STEPS = 64 };
	if (ra->x == HW_NONE) {
		if (ra->pos == 0 || ra->pos + AHEAD <= ra->eval_pos)
			return;
		ra->pos--;
		while (ra->target > 1 && ra->pos + ra->pos_lo < ra->rev_first[ra->target])
			ra->target--;
		ra->x = ra->rev[ra->pos];
		ra->steps = 0;
		return;
	}
	uint32_t a = f[ra->x].ancestor;
	ra->x = a > ra->target && a < ra->m && ++ra->steps < MAX_STEPS ? a : HW_NONE;
}

/* Minimum label on the forest path from v (linked: v > w) up to the last linked vertex,
 * compressing the path. Pointer reversal replaces the recursion of the textbook version. */
static inline uint32_t eval(forest_slot *f, uint32_t v, uint32_t w, runahead *ra)
{
	runahead_step(f, ra);
	if (f[v].ancestor <= w)
		return f[v].label;
	uint32_t prev = HW_NONE, x = v;
	while (f[x].ancestor > w) {
		uint32_t up = f[x].ancestor;
		f[x].ancestor = prev;
		prev = x;
		x = up;
		runahead_step(f, ra);
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

/* Step 2 for one window: puts the sources of the back/cross edges into targets lo..hi
 * (preorder, inclusive) whose bucket positions fall in [pos_lo, pos_hi) into
 * rev[pos - pos_lo]. rev_first[w] is a cursor moving down from the end of w's bucket to its
 * start, so every pass gives each edge the same position (the last edge of a bucket the last
 * position): a bucket split between two windows is split the same way in both passes. Only
 * the edges marked in `backcross` are read, and the marks of edges into targets above lo are
 * cleared once bucketed: later windows hold lower targets only (lo's bucket may continue in
 * the next window, whose pass must meet all of lo's edges again to give them the same
 * positions). So the passes together look up each back/cross edge's target about once per
 * window it was still pending in, and skip every other edge without a lookup. */
static void fill_window(const hw_graph *g, const uint32_t *pre_of, uint64_t *backcross, uint32_t lo, uint32_t hi,
                        uint32_t pos_lo, uint32_t pos_hi, uint32_t *rev_first, uint32_t *rev)
{
	/* Edges are taken in batches: every target's preorder number is fetched, then every
	 * bucket cursor, then the batch is bucketed in edge order (the order positions depend
	 * on). Sources come in order, so pre_of[from] stays cached. */
	enum { BATCH = 32 };
	uint32_t from[BATCH], to[BATCH], index[BATCH];
	unsigned nb = 0;
	const hw_rec_run *run = g->edge_runs;
	const uint64_t words = (g->n_edges + 63) / 64;
	for (uint64_t wi = 0; wi < words; wi++) {
		uint64_t bits = backcross[wi];
		while (bits || (nb && wi + 1 == words)) {
			if (bits) {
				uint64_t e = wi * 64 + (uint64_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				while (e >= run->first + run->count)
					run++;
				const hwd_edge *ep = (const hwd_edge *)run->records + (e - run->first);
				from[nb] = ep->from;
				to[nb] = ep->to;
				index[nb] = (uint32_t)e;
				__builtin_prefetch(&pre_of[ep->to]);
				if (++nb < BATCH && (bits || wi + 1 < words))
					continue;
			}
			for (unsigned j = 0; j < nb; j++) {
				uint32_t pw = pre_of[to[j]];
				to[j] = pw;
				if (pw >= lo && pw <= hi)
					__builtin_prefetch(&rev_first[pw]);
			}
			for (unsigned j = 0; j < nb; j++) {
				uint32_t pw = to[j];
				if (pw < lo || pw > hi)
					continue;
				uint32_t pos = --rev_first[pw];
				if (pos >= pos_lo && pos < pos_hi)
					rev[pos - pos_lo] = pre_of[from[j]];
				if (pw > lo)
					backcross[index[j] >> 6] &= ~((uint64_t)1 << (index[j] & 63));
			}
			nb = 0;
		}
	}
}

/* Steps 2 and 3. On entry rev_first[w] is the number of back/cross edges into w (the bucket
 * sizes), the forest is linked and labels hold the DFS's candidates. The buckets, laid end to
 * end in preorder of their targets, are filled and consumed from the top down in windows of
 * at most `cap` positions, one edge pass per window; semidominators need them in exactly that
 * order (w from m - 1 down), and a bucket's minimum does not depend on the order of its
 * entries, so a bucket may straddle two windows (its running minimum waits in its label,
 * which nothing reads before w is done). The usual graph needs one window; the cap bounds the
 * memory on graphs with many more back/cross edges than objects. On return rev_first[w] is
 * semi(w). */
static gboolean semidominators(const hw_graph *g, const uint32_t *pre_of, uint64_t *backcross, uint32_t m, forest_slot *f,
                               uint32_t *rev_first, uint64_t cap, hw_progress_fn progress, void *user, GError **error)
{
	/* rev_first[w] becomes the end of w's bucket; its start is the end of w - 1's. The
	 * super-root (0) has no in-edges, so bucket 1 starts at 0. */
	uint32_t total = 0;
	for (uint32_t w = 0; w < m; w++) {
		total += rev_first[w];
		rev_first[w] = total;
	}
	uint32_t size = total < cap ? total : (uint32_t)cap;
	uint32_t *rev = try_alloc(size, sizeof(uint32_t), error, "predecessor buckets");
	if (!rev)
		return FALSE;
	uint32_t w = m - 1;            /* the highest target not done */
	uint32_t top_end = total;      /* the end of w's bucket (rev_first[w] may have moved) */
	uint32_t pos_hi = total;       /* positions >= pos_hi are done */
	while (w >= 1) {
		uint32_t pos_lo = pos_hi - (pos_hi < size ? pos_hi : size);
		/* The window's targets: w down to the one whose bucket holds pos_lo. */
		uint32_t lo = w;
		if (pos_lo == 0)
			lo = 1;
		else
			while (lo > 1 && rev_first[lo - 1] > pos_lo)
				lo--;
		if (pos_lo < pos_hi) {
			rev_first[w] = top_end;
			fill_window(g, pre_of, backcross, lo, w, pos_lo, pos_hi, rev_first, rev);
		}
		/* rev_first[x] is now the start of x's bucket for every x in lo..w (untouched and
		 * all zero when the window is empty: nothing is left). */
		uint32_t end = pos_hi, x_end = top_end;
		runahead ra = { rev, rev_first, pos_lo, m, 0, HW_NONE, w, HW_NONE, 0 };
		for (uint32_t x = w;; x--) {
			uint32_t start = rev_first[x];
			uint32_t s = f[x].label;
			/* Downwards, like the buckets, so the next positions in the window are the
			 * next evals whichever bucket they are in: their first slots are fetched ahead
			 * (buckets hold one or two sources on a random graph). */
			for (uint32_t i = end - pos_lo; i > (start > pos_lo ? start - pos_lo : 0);) {
				i--;
				if (i >= 8)
					__builtin_prefetch(&f[rev[i - 8]]);
				if (ra.pos >= i) {
					ra.pos = i;
					ra.target = x;
					ra.x = HW_NONE;
				}
				ra.eval_pos = i;
				uint32_t c = eval(f, rev[i], x, &ra);
				if (c < s)
					s = c;
			}
			f[x].label = s;
			if (start < pos_lo) {
				/* x's bucket continues below this window: x stays the top target. */
				w = x;
				top_end = x_end;
				break;
			}
			rev_first[x] = s;
			hw_progress_step(progress, user, "dominators", m - x, 2 * (uint64_t)m);
			end = x_end = start;
			if (x == lo) {
				w = x - 1;
				top_end = rev_first[w];
				break;
			}
		}
		pos_hi = pos_lo;
	}
	g_free(rev);
	return TRUE;
}

/* Step 4: parent[] becomes idom[] (preorder space); semi[w] is semi(w). */
static void nca(uint32_t m, uint32_t *parent, const uint32_t *semi, hw_progress_fn progress, void *user)
{
	uint32_t *idom = parent;
	for (uint32_t w = 1; w < m; w++) {
		uint32_t s = semi[w], c = idom[w];
		while (c > s)
			c = idom[c];
		idom[w] = c;
		hw_progress_step(progress, user, "dominators", m + w, 2 * (uint64_t)m);
	}
}

/* Back/cross edges bucketed at once: what is left of 3 bytes per object once the back/cross
 * bitmap (1 bit per edge) is counted, and never under 1 byte per object (plus a floor, so
 * that small graphs never need a second window). A heap with 3 edges per object has 1.3
 * back/cross edges per object (5.2 bytes of buckets): two windows of 2.6 bytes, peak 23 bytes
 * per object. Each window costs a pass over the pending marked edges (0.1 s on 10M objects). */
static uint64_t default_bucket_cap(uint32_t n, uint64_t n_edges)
{
	uint64_t budget = 3 * (uint64_t)n, bitmap = n_edges / 8;
	uint64_t bytes = budget > bitmap + n ? budget - bitmap : n;
	return bytes / sizeof(uint32_t) + 65536;
}

hw_domtree *hw_domtree_compute(const hw_graph *g, hw_progress_fn progress, void *user, GError **error)
{
	return hw_domtree_compute_windowed(g, default_bucket_cap(g->n, g->n_edges), progress, user, error);
}

hw_domtree *hw_domtree_compute_windowed(const hw_graph *cg, uint64_t bucket_cap, hw_progress_fn progress,
                                        void *user, GError **error)
{
	/* The graph lends its first-edge index for the middle of the computation (see
	 * graph-private.h); it is whole again whenever this returns. */
	hw_graph *g = (hw_graph *)cg;
	const uint32_t n = g->n;
	hw_domtree *d = g_new0(hw_domtree, 1);
	d->g = g;
	uint32_t *pre_of = NULL, *node_of = NULL, *parent = NULL;
	forest_slot *forest = NULL;

	pre_of = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the preorder map");   /* later idom's */
	parent = try_alloc((gsize)n + 1, sizeof(uint32_t), error, "the DFS tree");
	forest = try_alloc((gsize)n + 1, sizeof(forest_slot), error, "the DFS cursors and link-eval forest");
	if (!pre_of || !parent || !forest)
		goto fail;
	uint64_t *seen = g_try_new0(uint64_t, (gsize)n / 64 + 1);
	if (!seen) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the DFS's reached set (%u bits)", n);
		goto fail;
	}
	uint32_t m = dfs(g, seen, pre_of, parent, forest, progress, user);
	g_free(seen);
	if (progress)
		progress("classify", 0.0, user);
	uint64_t *backcross = g_try_new0(uint64_t, g->n_edges / 64 + 1);
	if (!backcross) {
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the back/cross edge set (%" G_GUINT64_FORMAT " bits)",
		            g->n_edges);
		goto fail;
	}
	classify_edges(g, pre_of, forest, backcross);

	/* The DFS left each vertex's bucket size in its ancestor field: move it to the bucket
	 * index, which borrows the first-edge index's memory (n + 1 >= m entries; the edge
	 * passes from here on are sequential), and link the forest (ancestor = parent; a
	 * vertex counts as linked once its pre exceeds the current one). */
	uint32_t *semi = hw_graph_take_first_edge(g);
	for (uint32_t w = 0; w < m; w++) {
		semi[w] = forest[w].ancestor;
		forest[w].ancestor = parent[w];
	}
	gboolean ok = semidominators(g, pre_of, backcross, m, forest, semi, bucket_cap ? bucket_cap : 1, progress, user, error);
	g_free(backcross);
	if (!ok) {
		g_free(semi);
		hw_graph_restore_first_edge(g, g_realloc(forest, sizeof(uint32_t) * ((gsize)n + 1)));
		forest = NULL;
		goto fail;
	}
	nca(m, parent, semi, progress, user);

	/* Step 5: everything moves to object space through node_of (preorder -> object), built
	 * from pre_of. Scatters, not an in-place permutation. Nothing new is allocated: each array
	 * takes over the memory of one whose work is done, since a first touch of fresh memory
	 * costs more than its use here (0.5 to 2 ms per MB in a VM: 0.1 to 0.3 s for the 160 MB
	 * this saves on 10M objects). node_of takes semi's, the object-space idom pre_of's, the
	 * retained sizes the forest's (both n + 1 slots of 8 bytes), and the graph gets its
	 * first-edge index back in the DFS tree's memory once that tree has been scattered. */
	node_of = semi;
	node_of[0] = n;
	for (uint32_t v = 0; v < n; v++)
		if (pre_of[v] != HW_NONE)
			node_of[pre_of[v]] = v;
	d->idom = pre_of;
	pre_of = NULL;
	memset(d->idom, 0xff, sizeof(uint32_t) * ((gsize)n + 1));
	for (uint32_t p = 1; p < m; p++)
		d->idom[node_of[p]] = node_of[parent[p]];
	d->retained = (uint64_t *)forest;
	forest = NULL;
	hw_retained_accumulate(g, node_of, m, d->idom, d->retained, &d->totals, progress, user);
	hw_graph_restore_first_edge(g, parent);
	parent = NULL;
	g_free(node_of);
	if (progress)
		progress("dominators", 1.0, user);
	return d;

fail:
	g_free(pre_of);
	g_free(node_of);
	g_free(parent);
	g_free(forest);
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

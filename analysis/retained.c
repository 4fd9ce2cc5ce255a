/* retained.c - retained sizes, accumulated up the dominator tree.
 *
 * In DFS preorder every object's immediate dominator comes before it (a dominator is a DFS
 * ancestor), so one pass in reverse preorder adding each retained size into its idom's
 * finishes every subtree before its root is read: no tree, no stack, no recursion. The sums
 * land directly in object space (through node_of), so no permutation follows.
 */
#include "domtree-private.h"
#include "graph-private.h"

void hw_retained_accumulate(const hw_graph *g, const uint32_t *node_of, uint32_t m, const uint32_t *idom,
                            uint64_t *retained, hw_heap_totals *totals, hw_progress_fn progress, void *user)
{
	*totals = (hw_heap_totals){ 0 };
	for (uint32_t k = 0; k < g->n_obj_runs; k++) {
		const hw_rec_run *r = &g->obj_runs[k];
		const hwd_object *o = r->records;
		for (uint64_t i = 0; i < r->count; i++) {
			uint64_t v = r->first + i;
			if (idom[v] != HW_NONE) {
				retained[v] = o[i].size;
				totals->reachable_count++;
				totals->reachable_bytes += o[i].size;
			} else {
				retained[v] = 0;
				totals->unreachable_count++;
				totals->unreachable_bytes += o[i].size;
			}
		}
	}
	retained[g->n] = 0;   /* the super-root (node_of[0]) sums its children: all reachable bytes */
	/* Object-space idom rather than the preorder tree: the preorder parent array is gone by
	 * now (4 bytes per object less), at the same three random reads per object. */
	enum { AHEAD = 8 };
	for (uint32_t w = m - 1; w >= 1; w--) {
		if (w > 2 * AHEAD)
			__builtin_prefetch(&idom[node_of[w - 2 * AHEAD]]);
		if (w > AHEAD) {
			uint32_t a = node_of[w - AHEAD];
			__builtin_prefetch(&retained[a]);
			__builtin_prefetch(&retained[idom[a]]);
		}
		uint32_t v = node_of[w];
		retained[idom[v]] += retained[v];
		hw_progress_step(progress, user, "retained", m - w, m);
	}
}

uint64_t hw_retained_size(const hw_domtree *d, uint32_t v)
{
	return v <= d->g->n ? d->retained[v] : 0;
}

hw_heap_totals hw_domtree_totals(const hw_domtree *d)
{
	return d->totals;
}

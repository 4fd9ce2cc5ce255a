/* retained.c - retained sizes, accumulated up the dominator tree.
 *
 * In DFS preorder every object's immediate dominator comes before it (a dominator is a DFS
 * ancestor), so one pass in reverse preorder adding each retained size into its idom's
 * finishes every subtree before its root is read: no tree, no stack, no recursion.
 */
#include "domtree-private.h"
#include "graph-private.h"

void hw_retained_accumulate(const hw_graph *g, const uint32_t *pre_of, const uint32_t *idom,
                            uint32_t m, uint64_t *retained, hw_heap_totals *totals,
                            hw_progress_fn progress, void *user)
{
	*totals = (hw_heap_totals){ 0 };
	retained[0] = 0;
	for (uint32_t k = 0; k < g->n_obj_runs; k++) {
		const hw_rec_run *r = &g->obj_runs[k];
		const hwd_object *o = r->records;
		for (uint64_t i = 0; i < r->count; i++) {
			uint32_t p = pre_of[r->first + i];
			if (p != HW_NONE) {
				retained[p] = o[i].size;
				totals->reachable_count++;
				totals->reachable_bytes += o[i].size;
			} else {
				totals->unreachable_count++;
				totals->unreachable_bytes += o[i].size;
			}
		}
	}
	for (uint32_t w = m - 1; w >= 1; w--) {
		retained[idom[w]] += retained[w];
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

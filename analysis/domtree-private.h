/* domtree-private.h - the hw_domtree layout, shared by dominators.c and retained.c.
 *
 * dominators.c computes idom in DFS-preorder space and calls hw_retained_accumulate() there,
 * while the preorder is still at hand; both results are then moved to object-index space.
 */
#ifndef HW_DOMTREE_PRIVATE_H
#define HW_DOMTREE_PRIVATE_H

#include "dominators.h"
#include "retained.h"

struct hw_domtree {
	const hw_graph *g;
	uint32_t *idom;          /* n + 1 entries, object space; idom[n] = HW_NONE */
	uint64_t *retained;      /* n + 1 entries, object space; retained[n] = reachable bytes */
	hw_heap_totals totals;
	uint32_t *child_first;   /* children index, built on first use: n + 2 entries */
	uint32_t *children;
};

/* Fills retained[0..m) (preorder space, 0 = super-root) from the object sizes and idom[]
 * (preorder space, idom[p] < p), and the totals. pre_of maps objects to preorder or HW_NONE. */
void hw_retained_accumulate(const hw_graph *g, const uint32_t *pre_of, const uint32_t *idom,
                            uint32_t m, uint64_t *retained, hw_heap_totals *totals,
                            hw_progress_fn progress, void *user);

#endif /* HW_DOMTREE_PRIVATE_H */

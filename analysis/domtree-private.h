/* domtree-private.h - the hw_domtree layout, shared by dominators.c and retained.c.
 *
 * dominators.c computes idom in DFS-preorder space, scatters it to object-index space and
 * calls hw_retained_accumulate() while the preorder is still at hand.
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

/* Fills retained[0..n] (object space, n = super-root) and the totals. node_of maps preorder
 * 0..m-1 to objects (node_of[0] = n), idom_pre is the dominator tree in preorder space
 * (idom_pre[p] < p), idom the same tree in object space (HW_NONE marks unreachable objects). */
void hw_retained_accumulate(const hw_graph *g, const uint32_t *node_of, const uint32_t *idom_pre,
                            uint32_t m, const uint32_t *idom, uint64_t *retained, hw_heap_totals *totals,
                            hw_progress_fn progress, void *user);

#endif /* HW_DOMTREE_PRIVATE_H */

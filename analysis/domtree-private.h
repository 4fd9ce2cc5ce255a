/* domtree-private.h - the hw_domtree layout, shared by dominators.c and retained.c.
 *
 * dominators.c computes idom in DFS-preorder space, scatters it to object-index space and
 * calls hw_retained_accumulate() while the preorder (node_of) is still at hand.
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
 * 0..m-1 to objects (node_of[0] = n), idom is the dominator tree in object space (HW_NONE
 * marks unreachable objects). */
void hw_retained_accumulate(const hw_graph *g, const uint32_t *node_of, uint32_t m, const uint32_t *idom,
                            uint64_t *retained, hw_heap_totals *totals, hw_progress_fn progress, void *user);

/* hw_domtree_compute() with at most bucket_cap (>= 1; 0 counts as 1) back/cross edges
 * bucketed at once, one pass over the edges for each such window (see dominators.c). The
 * results do not depend on the cap; tests use tiny caps to exercise many windows. */
hw_domtree *hw_domtree_compute_windowed(const hw_graph *g, uint64_t bucket_cap, hw_progress_fn progress,
                                        void *user, GError **error);

#endif /* HW_DOMTREE_PRIVATE_H */

/* retained.h - retained sizes: the bytes that would be freed if an object went away.
 *
 * retained(v) = size(v) + the retained sizes of v's children in the dominator tree, i.e. the
 * total size of v and of every object that becomes unreachable when v is removed. Computed
 * by hw_domtree_compute() (dominators.h) in one pass in reverse DFS preorder; these are the
 * accessors. Units: bytes, as the object records give them (allocated slot sizes).
 */
#ifndef HW_RETAINED_H
#define HW_RETAINED_H

#include "dominators.h"

G_BEGIN_DECLS

/* Retained bytes of v (< n); 0 for unreachable objects. For v == n (the super-root) the total
 * size of all reachable objects. */
uint64_t hw_retained_size(const hw_domtree *d, uint32_t v);

typedef struct hw_heap_totals {
	uint64_t reachable_count;    /* objects the roots reach */
	uint64_t reachable_bytes;
	uint64_t unreachable_count;  /* allocated, reached by no root: counted apart */
	uint64_t unreachable_bytes;
} hw_heap_totals;
hw_heap_totals hw_domtree_totals(const hw_domtree *d);

G_END_DECLS

#endif /* HW_RETAINED_H */

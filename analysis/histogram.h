/* histogram.h - per-type counts, shallow bytes and retained bytes.
 *
 * One row per type present in the reachable heap (type 0 "unknown" included). The retained
 * column sums only objects that no other object of the same type dominates, so a linked list
 * of 1000 nodes reports its head's retained size once, not 1000 overlapping ones.
 * Unreachable objects are counted in their own columns and never in retained.
 */
#ifndef HW_HISTOGRAM_H
#define HW_HISTOGRAM_H

#include "dominators.h"

G_BEGIN_DECLS

typedef struct hw_histogram_row {
	uint32_t type;               /* type id, 0 unknown */
	uint64_t count;              /* reachable objects of the type */
	uint64_t bytes;              /* their shallow sizes */
	uint64_t retained;           /* retained sizes of the outermost ones (see above) */
	uint64_t unreachable_count;
	uint64_t unreachable_bytes;
} hw_histogram_row;

/* Returns a GArray of hw_histogram_row, rows with any object only, sorted by retained, then
 * bytes, then type id. NULL with HW_ERROR_NOMEM on failure. */
GArray *hw_histogram_compute(hw_domtree *d, GError **error);

G_END_DECLS

#endif /* HW_HISTOGRAM_H */

/* paths.h - shortest retention paths: how a root reaches an object.
 *
 * hw_path_index_build() runs one breadth-first search from the super-root and stores, for
 * every object, the edge it was first reached by (4 bytes per object); each query then walks
 * those parent edges back to a root, so many queries cost one search.
 *
 * The rule, exactly. Weak edges are never followed. The search runs in tiers: tier 0 is a BFS
 * from all root targets over non-finalizer edges; tier k+1 is seeded, in tier-k discovery
 * order, with the targets of finalizer edges from tier-k objects that are still unreached, and
 * continues as a BFS over non-finalizer edges. So a path has the fewest finalizer edges any
 * path to that object can have; an object reachable without finalizer edges gets a shortest
 * path by edge count; otherwise the part after the path's last finalizer edge is shortest
 * from that tier's seeds. Among equally short candidates the first found wins: root records in
 * file order, edges in file order.
 *
 * The index borrows the graph, which must outlive it; queries are read-only (thread-safe).
 */
#ifndef HW_PATHS_H
#define HW_PATHS_H

#include "graph.h"

G_BEGIN_DECLS

typedef struct hw_path_index hw_path_index;

/* HW_ERROR_LIMIT when edges + root records exceed 2^32-2 (the parent slots are 32-bit),
 * HW_ERROR_NOMEM on allocation failure. */
hw_path_index *hw_path_index_build(const hw_graph *g, hw_progress_fn progress, void *user, GError **error);
void hw_path_index_free(hw_path_index *p);

typedef struct hw_path_step {
	uint64_t edge;      /* edge index in the graph */
	uint32_t from, to;  /* object indices */
	uint32_t label;     /* string id of the edge's label, 0 none */
	uint32_t offset;    /* byte offset in `from`, HWD_EDGE_OFFSET_UNKNOWN if unknown */
	hwd_edge_kind kind;
} hw_path_step;

typedef struct hw_path {
	uint64_t root_record;  /* index of the root record the path starts from */
	hwd_root root;         /* that record; root.object is the first object of the path */
	GArray *steps;         /* of hw_path_step, from root.object to the queried object */
} hw_path;

/* Fills *out with the path to `object` and returns TRUE; FALSE (and *out zeroed) when the
 * object is unreachable or out of range. Release with hw_path_clear(). */
gboolean hw_path_find(const hw_path_index *p, uint32_t object, hw_path *out);
void hw_path_clear(hw_path *path);

/* The last step of the path to `object`, in O(1): TRUE with *edge set to the edge index that
 * reaches it, or with *edge = UINT64_MAX and *root_record set when `object` is a root target
 * (then *root_record names the root record the path starts from). FALSE when unreachable. */
gboolean hw_path_parent(const hw_path_index *p, uint32_t object, uint64_t *edge, uint64_t *root_record);

/* Number of edges on the path to `object` (0 for a root target), HW_NONE if unreachable. */
uint32_t hw_path_length(const hw_path_index *p, uint32_t object);

G_END_DECLS

#endif /* HW_PATHS_H */

/* graph.h - the heap object graph in compact arrays, read in place from a snapshot.
 *
 * Every analysis in analysis/ starts from an hw_graph. Objects are dense 32-bit indices
 * 0..n-1 in address order (the snapshot's order); the virtual super-root has index n and its
 * children are the targets of the GC roots, deduplicated. Object and edge records are not
 * copied: the graph keeps pointers to the snapshot's little-endian records (the reader's
 * mapping) and adds one array of its own, the first-edge index of every object (4 bytes per
 * object), so out-edges are a contiguous range of edge indices [first, end), plus tables of
 * which record run holds every 65536th object and edge (a few KB).
 *
 * Edge kinds: strong, internal and conservative edges keep their target alive; weak edges
 * never count for reachability or dominators (they are kept for display); finalizer edges keep
 * their target alive, but retention paths avoid them when they can (see paths.h).
 *
 * A graph built from arrays (hw_graph_new_from_arrays) owns copies of everything and is what
 * the tests use; hw_graph_new_owning takes the arrays over without copying (the V8 importer's
 * `v8nodes` path); a loaded graph borrows the reader, which must stay open until
 * hw_graph_free(). Graph accessors are read-only and safe to call from several threads, except
 * hw_graph_ensure_in_edges(), which must be called once before concurrent use of in-edges, and
 * except while hw_domtree_compute() runs on the graph: it borrows the first-edge index's
 * memory and rebuilds the index before it returns, so no other call may use the graph then.
 */
#ifndef HW_GRAPH_H
#define HW_GRAPH_H

#include <glib.h>
#include <stdint.h>

#include "hwd.h"

G_BEGIN_DECLS

/* "no such object / not reachable". Equal to HWD_NONE. */
#define HW_NONE UINT32_C(0xFFFFFFFF)

/* Largest object count: indices are 32-bit, n itself is the super-root and HW_NONE is taken. */
#define HW_MAX_OBJECTS UINT32_C(0xFFFFFFFE)

#define HW_ERROR (hw_error_quark())
GQuark hw_error_quark(void);
typedef enum {
	HW_ERROR_INVALID,   /* the input breaks the graph's rules (index out of range, edges out of order) */
	HW_ERROR_LIMIT,     /* too many objects (> 2^32-2), edges (> 2^32-1) or roots */
	HW_ERROR_NOMEM,     /* an allocation sized by the input failed */
	HW_ERROR_READER,    /* the snapshot reader reported a problem */
} hw_error_code;

/* Progress: `phase` is a static string ("load", "dfs", "dominators", ...), fraction in [0, 1].
 * Called a bounded number of times per phase (about 100); may be NULL everywhere it is taken. */
typedef void (*hw_progress_fn)(const char *phase, double fraction, void *user);

typedef struct hw_graph hw_graph;

/* Builds the graph from an open reader: validates edge order and ranges, builds the first-edge
 * index and the deduplicated root targets. The reader must outlive the graph. Fails with
 * HW_ERROR_LIMIT past 2^32-2 objects or 2^32-1 edges; with HW_ERROR_INVALID if the reader's
 * records break the rules (edges not grouped by source, index out of range). */
hw_graph *hw_graph_load(const hwd_reader *reader, hw_progress_fn progress, void *user, GError **error);

/* Plain arrays, for tests and importers. Ids follow hwd.h: strings[i] is string id i+1,
 * types[i] is type id i+1 (a type's `name` is a string id). Edges must be in non-decreasing
 * `from` order. Everything is copied; the arrays may be freed after the call. */
typedef struct hw_graph_arrays {
	const hwd_object *objects;
	uint64_t n_objects;
	const hwd_edge *edges;
	uint64_t n_edges;
	const hwd_root *roots;
	uint64_t n_roots;
	const hwd_type *types;
	uint32_t n_types;
	const char *const *strings;   /* NUL-terminated */
	uint32_t n_strings;
} hw_graph_arrays;
hw_graph *hw_graph_new_from_arrays(const hw_graph_arrays *a, GError **error);

/* The same arrays, handed over instead of copied: for importers that build a graph of
 * millions of records in memory, where a copy would double the peak. Every pointer must come
 * from g_malloc (strings: a NULL-terminated g_strv of exactly n_strings non-NULL entries, or
 * NULL when there are none); the graph owns them from the call on, also when it fails (they
 * are freed then), and *a is cleared. Same rules and errors as hw_graph_new_from_arrays. */
typedef struct hw_graph_owned_arrays {
	hwd_object *objects;
	uint64_t n_objects;
	hwd_edge *edges;
	uint64_t n_edges;
	hwd_root *roots;
	uint64_t n_roots;
	hwd_type *types;
	uint32_t n_types;
	char **strings;
	uint32_t n_strings;
} hw_graph_owned_arrays;
hw_graph *hw_graph_new_owning(hw_graph_owned_arrays *a, GError **error);

void hw_graph_free(hw_graph *g);

/* The reader a loaded graph reads from, NULL for a graph built from arrays. */
const hwd_reader *hw_graph_reader(const hw_graph *g);

uint32_t hw_graph_n_objects(const hw_graph *g);            /* n; also the super-root's index */
static inline uint32_t hw_graph_super_root(const hw_graph *g) { return hw_graph_n_objects(g); }
uint64_t hw_graph_n_edges(const hw_graph *g);              /* all edges, weak ones included */

/* Object record by index (< n). Out of range gives a zeroed record. */
hwd_object hw_graph_object(const hw_graph *g, uint32_t v);
static inline uint64_t hw_graph_object_size(const hw_graph *g, uint32_t v) { return hw_graph_object(g, v).size; }

/* Out-edges of v (< n) as edge indices [*first, *end), in file order; empty for v >= n. */
void hw_graph_out_edges(const hw_graph *g, uint32_t v, uint64_t *first, uint64_t *end);
/* Edge record by index (< n_edges); out of range gives a zeroed record. */
hwd_edge hw_graph_edge(const hw_graph *g, uint64_t e);
/* 1 if the edge keeps its target alive (every kind but weak). */
static inline int hw_edge_is_strong(const hwd_edge *e) { return hwd_edge_kind_of(e) != HWD_EDGE_WEAK; }

/* In-edges are built on first request (4 bytes per object + 4 per edge, kept until free). */
gboolean hw_graph_ensure_in_edges(hw_graph *g, GError **error);
/* In-edges of v as edge indices; valid after hw_graph_ensure_in_edges(), until free. */
const uint32_t *hw_graph_in_edges(const hw_graph *g, uint32_t v, uint32_t *count);

/* GC roots: the records, and the deduplicated targets (the super-root's children, in order of
 * first appearance) with, for each target, the index of the first root record naming it. */
uint64_t hw_graph_n_roots(const hw_graph *g);
hwd_root hw_graph_root(const hw_graph *g, uint64_t k);
uint32_t hw_graph_n_root_targets(const hw_graph *g);
uint32_t hw_graph_root_target(const hw_graph *g, uint32_t k);
uint64_t hw_graph_root_target_record(const hw_graph *g, uint32_t k);
/* A root kind's name: "global", "stack", "register", "finalizer", "other", or "unknown"
 * for a value outside hwd_root_kind (the reader does not check kinds). Static storage. */
const char *hw_root_kind_name(unsigned kind);

/* Strings and types. The bytes are not NUL-terminated (len says how many) and stay valid
 * until hw_graph_free(); id 0 or out of range gives "" with *len 0. */
const char *hw_graph_string(const hw_graph *g, uint32_t id, uint32_t *len);
uint32_t hw_graph_n_types(const hw_graph *g);                 /* type ids 1..count */
hwd_type hw_graph_type(const hw_graph *g, uint32_t id);
const char *hw_graph_type_name(const hw_graph *g, uint32_t type_id, uint32_t *len); /* "" when unknown */

/* Checks the graph's internal invariants (first-edge index monotone and consistent with the
 * records, root targets in range and deduplicated). For tests; FALSE with a message. */
gboolean hw_graph_check(const hw_graph *g, GError **error);

G_END_DECLS

#endif /* HW_GRAPH_H */

/* goroutines.h - goroutines grouped by creation site, wait site and state, with the heap
 * their stacks retain.
 *
 * `heapwalk goroutines` and the leaked-goroutine detector (leaks/goroutines.c) read goroutines
 * through this file. A group is every goroutine with the same state and wait reason, created
 * by the same `go` statement (creator function, file, line) and blocked at the same place:
 * its innermost frame in user code (the innermost frame whose package is not the standard
 * library, i.e. whose first path element has no dot and is not "main"; failing that, the
 * innermost frame outside the runtime; failing that, the innermost frame).
 *
 * Retained heap of a group: the bytes that would be freed if all of its goroutines returned,
 * i.e. the retained size of a virtual node placed between the super-root and the targets of
 * the group's stack roots (hw_roots_class_retained). Computed exactly from the dominator tree
 * without a second dominator computation: only objects the super-root immediately dominates
 * can change owner, and which root classes reach each of them is a small dataflow problem
 * over the edges that cross between their dominator subtrees.
 */
#ifndef HW_GOROUTINES_H
#define HW_GOROUTINES_H

#include "findings.h"

G_BEGIN_DECLS

/* For every root class c < n_classes, retained[c] = bytes that become unreachable when every
 * root record k with class_of_root[k] == c is removed. class_of_root has one entry per root
 * record of the graph (hw_graph_n_roots); HW_NONE marks roots in no class (they are never
 * removed). Memory: 12 bytes per object plus 4 per edge crossing between the super-root's
 * dominator subtrees, released before returning. FALSE with HW_ERROR_NOMEM on failure. */
gboolean hw_roots_class_retained(const hw_domtree *d, const uint32_t *class_of_root, uint32_t n_classes,
                                 uint64_t *retained, GError **error);

typedef struct hw_goroutine_group {
	char *key;               /* state|wait reason|created at|waits at: identity across snapshots */
	char *state;             /* "" unknown */
	char *wait_reason;       /* "" none */
	char *start_func;        /* of the example */
	hw_location created_at;
	hw_location waits_at;
	uint64_t count;
	int64_t longest_wait_ns; /* -1 when no member's wait is known */
	uint64_t stack_bytes;    /* sum over members */
	uint64_t retained;       /* heap freed if all members returned (see above) */
	uint32_t example;        /* goroutine index (in the snapshot) of the longest-waiting member */
	uint64_t example_id;     /* its runtime goroutine id */
	/* Where the retained heap was allocated: the objects whose bytes make up `retained`.
	 * Empty unless hw_goroutines_group was given allocation sites. */
	hw_finding_sites sites;
} hw_goroutine_group;

void hw_goroutine_group_free(hw_goroutine_group *g);

/* Groups the goroutines of the snapshot `d` was computed from (its graph must come from a
 * reader; a graph built from arrays has no goroutines and gives an empty array). `sites`
 * (built from the same graph, or NULL) fills each group's `sites` from the same walk that
 * gives `retained`, at 4 more bytes per top object and one site accumulator (24 bytes per
 * site) at a time. Returns a GPtrArray of hw_goroutine_group* (owned, freed with the array),
 * sorted by count, then retained, then key; NULL with HW_ERROR_NOMEM on failure. */
GPtrArray *hw_goroutines_group(hw_domtree *d, const hw_allocsites *sites, GError **error);

G_END_DECLS

#endif /* HW_GOROUTINES_H */

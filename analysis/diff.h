/* diff.h - what changed between two snapshots: growth by type and by retention-path signature.
 *
 * `heapwalk diff BASE SNAP` answers "what grew since then?" in two stages, so that two large
 * snapshots never have to be analysed in memory at once:
 *
 *   1. per snapshot: hw_diff_side_compute() walks one loaded snapshot (graph, dominator tree,
 *      path index) and keeps, per type name and per signature group, the object count,
 *      shallow bytes and retained bytes, plus 4 bytes per object (its signature group) for
 *      the identity match below. The caller may then free the graph, the dominator tree
 *      and the path index; the side borrows only the reader, which must outlive it.
 *   2. hw_diff_compute() pairs the rows of the two sides (type rows by name, signature groups
 *      by a 64-bit hash of the signature's text) and, when both snapshots come from one
 *      process, follows each object across them.
 *
 * Signatures are those of groups.h (root kind and masked name, then per step the masked edge
 * label and the target's type), built in O(n) from each object's path parent: an object's
 * group is its parent's group extended by one step, so groups form a tree and a signature is
 * rendered only when shown. Unreachable objects (no path) form one group, "unreachable", so
 * the signature rows and the type rows both add up to every object of the snapshot.
 * Retained bytes are never double counted: a row sums only the members that no other member
 * of the same row dominates (hw_domtree_outermost).
 *
 * Identity (one process only). A Go heap does not move objects, so an object of SNAP is the
 * same object as one of BASE when it has the same address, size and type name. Such objects
 * are "kept"; the others of SNAP are "born" (allocated after BASE) and the others of BASE
 * "freed". A container keeps its identity while it grows (its header stays where it is) even
 * when its backing storage is reallocated (that storage is then freed and born). Across
 * processes addresses mean nothing and only the per-row totals are compared.
 *
 * Units: bytes and plain counts. Ownership: an hw_diff owns its rows and their names.
 */
#ifndef HW_DIFF_H
#define HW_DIFF_H

#include <glib.h>
#include <stdint.h>

#include "dominators.h"
#include "paths.h"

G_BEGIN_DECLS

/* One snapshot, summarised for a diff. Opaque. Borrows the reader of the graph it was computed
 * from (which must outlive it); owns everything else (4 bytes per object plus the rows). */
typedef struct hw_diff_side hw_diff_side;

/* `d` and `p` must belong to the same graph, loaded from a reader (the identity match reads
 * object records from it). HW_ERROR_NOMEM on allocation failure, HW_ERROR_INVALID when the
 * graph was built from arrays. */
hw_diff_side *hw_diff_side_compute(hw_domtree *d, const hw_path_index *p, GError **error);
void hw_diff_side_free(hw_diff_side *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_diff_side, hw_diff_side_free)

/* TRUE when the two snapshots come from one process: both carry metadata "pid" and "exe" and
 * the values are equal. */
gboolean hw_diff_same_process(const hwd_reader *base, const hwd_reader *snap);

typedef struct hw_diff_row {
	char *name;                  /* type name ("" unknown) or signature; owned */
	uint64_t count[2];           /* [0] BASE, [1] SNAP: objects (reachable and not) */
	uint64_t bytes[2];           /* their shallow sizes */
	uint64_t retained[2];        /* retained bytes of the outermost members (see above) */
	/* One process only (hw_diff.same_process), else 0: objects of this row in SNAP that were
	 * not in BASE, and objects of this row in BASE that are gone from SNAP. Type rows then
	 * satisfy count[1] - count[0] = born_count - freed_count. */
	uint64_t born_count, born_bytes;
	uint64_t freed_count, freed_bytes;
} hw_diff_row;

/* A row is new when BASE had none of it, vanished when SNAP has none. */
static inline gboolean hw_diff_row_new(const hw_diff_row *r) { return r->count[0] == 0; }
static inline gboolean hw_diff_row_vanished(const hw_diff_row *r) { return r->count[1] == 0; }

typedef struct hw_diff {
	gboolean same_process;       /* objects were followed by identity */
	uint64_t count[2], bytes[2]; /* all objects of each snapshot */
	uint64_t reachable_bytes[2];
	uint64_t kept_count, kept_bytes;   /* one process only: objects in both */
	/* The rows that changed (numbers differ, or objects were born or freed), the largest
	 * change first: by the size of the retained change, then of the byte change, then of the
	 * count change, then by born + freed, then by name. At most `limit` of each are listed;
	 * changed_* counts them all, unchanged_* the rows that did not change. */
	GArray *types;               /* of hw_diff_row */
	GArray *signatures;          /* of hw_diff_row */
	uint64_t changed_types, changed_signatures;
	uint64_t unchanged_types, unchanged_signatures;
} hw_diff;

/* Pairs the two sides. With same_process, follows objects by (address, size, type name); the
 * caller decides (hw_diff_same_process, or the user's choice). `limit` caps the rows listed
 * per table (0: all); only listed signatures are rendered as text, so the cost stays linear
 * in the snapshots' size. The sides keep the born/freed counters of the last call (they are
 * reset on each), so a pair may be compared again. HW_ERROR_NOMEM on failure. */
hw_diff *hw_diff_compute(hw_diff_side *base, hw_diff_side *snap, gboolean same_process,
                         guint limit, GError **error);
void hw_diff_free(hw_diff *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_diff, hw_diff_free)

G_END_DECLS

#endif /* HW_DIFF_H */

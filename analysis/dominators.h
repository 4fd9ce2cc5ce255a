/* dominators.h - the dominator tree of the object graph, and what each object retains.
 *
 * hw_domtree_compute() runs one pipeline over an hw_graph: an iterative depth-first search
 * from the super-root (renumbering reachable objects in preorder), SEMI-NCA for immediate
 * dominators, then retained sizes accumulated up the tree in reverse preorder (retained.h has
 * their accessors). No recursion anywhere: a linked list of 10 million objects is fine.
 * Weak edges are ignored; every other edge kind keeps its target alive.
 *
 * v dominates w when every path from the super-root to w passes through v. Objects no root
 * reaches ("unreachable": garbage not yet collected) have no dominator (HW_NONE), retain
 * nothing (0) and are counted apart (hw_domtree_totals), never attributed to any root.
 *
 * Memory: while computing, the peak is about 20 bytes per object (the graph's first-edge index,
 * which the computation borrows, included) plus 4 bytes per back or cross edge of the search
 * (the predecessor buckets SEMI-NCA needs) and one bit per edge (which edges are back or cross
 * edges), the two together capped at about 3 bytes per object: graphs with more such edges
 * take one more sequential pass over the marked edges per window, so the peak stays at about
 * 23 bytes per object (unless the bitmap alone is over 2 bytes per object: 16 edges per
 * object; the buckets then keep 1 byte per object). The result keeps 12 bytes per object (idom,
 * retained). The children index is built on first use (8 bytes per object). The domtree
 * borrows the graph, which must outlive it. hw_domtree_compute() takes the graph's first-edge
 * index over while it runs and rebuilds it before returning (graph.h): nothing may use the
 * graph concurrently with it. Not thread-safe while the children index is being built
 * (children, outermost); read-only otherwise.
 */
#ifndef HW_DOMINATORS_H
#define HW_DOMINATORS_H

#include "graph.h"

G_BEGIN_DECLS

typedef struct hw_domtree hw_domtree;

/* Fails only on allocation failure (HW_ERROR_NOMEM). */
hw_domtree *hw_domtree_compute(const hw_graph *g, hw_progress_fn progress, void *user, GError **error);
void hw_domtree_free(hw_domtree *d);
const hw_graph *hw_domtree_graph(const hw_domtree *d);

/* Immediate dominator of v (< n): the super-root's index n for objects only the super-root
 * dominates, HW_NONE for unreachable objects. For v == n (the super-root) HW_NONE. */
uint32_t hw_domtree_idom(const hw_domtree *d, uint32_t v);
static inline gboolean hw_domtree_reachable(const hw_domtree *d, uint32_t v) { return v == hw_graph_n_objects(hw_domtree_graph(d)) || hw_domtree_idom(d, v) != HW_NONE; }

/* The children of v (<= n; n is the super-root) in the dominator tree, sorted by retained size,
 * largest first, ties by index. Builds the children index on first call (see above) and
 * returns NULL with *count 0 when that allocation fails. The array stays valid until free. */
const uint32_t *hw_domtree_children(hw_domtree *d, uint32_t v, uint32_t *count);

/* Which objects are "outermost" in their class: key(v) gives v's class, 0 for none. Returns a
 * bitmap of n bits (bit v of byte v/8) where v is set iff v is reachable, key(v) != 0 and no
 * strict dominator u of v has key(u) == key(v). Keys are < n_keys. Used to avoid double counting retained
 * sizes in groups and histograms. Free with g_free(); NULL on allocation failure. */
typedef uint32_t (*hw_key_fn)(uint32_t v, void *user);
guint8 *hw_domtree_outermost(hw_domtree *d, hw_key_fn key, uint32_t n_keys, void *user);
static inline gboolean hw_bit(const guint8 *bits, uint32_t v) { return (bits[v >> 3] >> (v & 7)) & 1; }

/* Checks idom against the graph: every reachable object's idom is reachable and a strict
 * ancestor in the tree, the tree is acyclic and rooted at the super-root, unreachable objects
 * have HW_NONE, and retained(v) = size(v) + the sum over v's children. For tests. */
gboolean hw_domtree_check(const hw_domtree *d, GError **error);

G_END_DECLS

#endif /* HW_DOMINATORS_H */

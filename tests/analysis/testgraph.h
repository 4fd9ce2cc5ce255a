/* testgraph.h - random graphs and brute-force oracles for the analysis tests.
 *
 * The oracles work from the definitions on the plain arrays, never through analysis/:
 * reachability from the roots with one object deleted, dominance by deletion, retained sizes
 * as "what becomes unreachable". Quadratic or worse: for small graphs only.
 */
#ifndef TESTGRAPH_H
#define TESTGRAPH_H

#include <glib.h>
#include "graph.h"

typedef struct tg_graph {
	GArray *objects;   /* hwd_object */
	GArray *edges;     /* hwd_edge, sorted by from */
	GArray *roots;     /* hwd_root */
	GPtrArray *strings;/* char*, id = index + 1 */
	GArray *types;     /* hwd_type, id = index + 1 */
} tg_graph;

tg_graph *tg_new(void);
void tg_free(tg_graph *t);
uint32_t tg_string(tg_graph *t, const char *s);
uint32_t tg_type(tg_graph *t, const char *name);
uint32_t tg_object(tg_graph *t, uint64_t size, uint32_t type);
/* Edges may be added in any order; tg_build sorts them (stably) by source. */
void tg_edge(tg_graph *t, uint32_t from, uint32_t to, hwd_edge_kind kind, const char *label, uint32_t offset);
void tg_root(tg_graph *t, hwd_root_kind kind, const char *name, uint32_t object);
/* Random graph: n objects, ~edges, several roots, all edge kinds, self-loops, duplicates. */
tg_graph *tg_random(GRand *rng, uint32_t n, uint32_t n_edges, uint32_t n_types);
hw_graph *tg_build(tg_graph *t);

/* Oracles. reach[] gets 1 for objects reachable from the roots over non-weak edges while
 * `deleted` (HW_NONE for none) is removed. */
void tg_reach(const tg_graph *t, uint32_t deleted, guint8 *reach);
/* dom[v * n + w] = 1 iff v strictly dominates w (both reachable). */
guint8 *tg_dominance(const tg_graph *t);
/* Oracle idom: the strict dominator every other strict dominator dominates; n if none. */
uint32_t tg_idom(const tg_graph *t, const guint8 *dom, const guint8 *reach, uint32_t w);
#endif

/* graph-private.h - the hw_graph layout, shared by the analyses' hot loops.
 *
 * Only the analysis sources include this. Records live in runs (one per snapshot chunk, or a single
 * run for a graph built from arrays); an edge range of one object may span two runs, so hot
 * loops walk it span by span with hw_graph_edge_span().
 */
#ifndef HW_GRAPH_PRIVATE_H
#define HW_GRAPH_PRIVATE_H

#include "graph.h"

typedef struct hw_rec_run {
	uint64_t first;         /* index of the first record */
	uint64_t count;
	const void *records;    /* const hwd_object* or const hwd_edge* (same layout as on disk) */
} hw_rec_run;

/* Records per bucket of the run lookup tables (obj_run_of, edge_run_of). */
#define HW_RUN_BUCKET_SHIFT 16

struct hw_graph {
	uint32_t n;
	uint64_t n_edges;
	hw_rec_run *obj_runs;
	uint32_t n_obj_runs;
	hw_rec_run *edge_runs;
	uint32_t n_edge_runs;
	/* By record index >> HW_RUN_BUCKET_SHIFT: the run holding the bucket's first record. */
	uint32_t *obj_run_of, *edge_run_of;
	uint32_t *first_edge;        /* n + 1 entries: out-edges of v are [first_edge[v], first_edge[v+1]) */
	uint32_t *root_targets;      /* deduplicated, in order of first appearance */
	uint64_t *root_target_rec;   /* first root record naming each target */
	uint32_t n_root_targets;
	uint64_t n_roots;
	uint32_t n_types;
	uint32_t n_strings;
	const hwd_reader *reader;    /* NULL for array graphs */
	/* Array graphs own their records and strings. */
	hwd_object *own_objects;
	hwd_edge *own_edges;
	hwd_root *own_roots;
	hwd_type *own_types;
	char **own_strings;
	/* In-edges, built on request. */
	uint32_t *in_first;          /* n + 1 entries */
	uint32_t *in_edges;          /* edge indices grouped by target */
};

/* Index of the run holding record `i` (i must be in range): from the run of i's bucket on,
 * past the few runs that end inside the bucket. A lookup per edge scan of every search, so
 * no binary search: a snapshot's edges come in a hundred runs or more (one per chunk). */
static inline uint32_t hw_run_find(const hw_rec_run *runs, const uint32_t *run_of, uint64_t i)
{
	uint32_t k = run_of[i >> HW_RUN_BUCKET_SHIFT];
	while (runs[k].first + runs[k].count <= i)
		k++;
	return k;
}

/* Points *p at edge record e and returns how many records from e on are contiguous, capped
 * at end - e (e < end <= n_edges). */
static inline uint64_t hw_graph_edge_span(const hw_graph *g, uint64_t e, uint64_t end, const hwd_edge **p)
{
	const hw_rec_run *r = &g->edge_runs[hw_run_find(g->edge_runs, g->edge_run_of, e)];
	uint64_t k = r->first + r->count - e;
	*p = (const hwd_edge *)r->records + (e - r->first);
	return k < end - e ? k : end - e;
}

static inline const hwd_object *hw_graph_object_ptr(const hw_graph *g, uint32_t v)
{
	const hw_rec_run *r = &g->obj_runs[hw_run_find(g->obj_runs, g->obj_run_of, v)];
	return (const hwd_object *)r->records + (v - r->first);
}

/* The first-edge index is the graph's only per-object array, and the dominator computation
 * needs its 4 bytes per object more than the index while it runs (it walks the edge records
 * sequentially then): it takes the array over (g->first_edge becomes NULL, the caller owns
 * the memory) and later hands back any block of at least n + 1 uint32_t, which is refilled
 * from the edge records in one sequential pass. In between, nothing may use the graph's
 * out-edges (graph.h says so). */
uint32_t *hw_graph_take_first_edge(hw_graph *g);
void hw_graph_restore_first_edge(hw_graph *g, uint32_t *mem);

/* Asks for huge pages on a large, freshly allocated array that is about to be read and written
 * at random (per-object arrays of tens of megabytes): with 4 KiB pages nearly every access
 * would also miss the TLB. Only a hint; small arrays are left alone. */
void hw_advise_random_access(void *p, gsize bytes);

/* Bitmaps of one bit per object (n / 64 + 1 words), the searches' reached sets: 1.25 MB for
 * 10M objects, small enough to stay in the cache where a per-object array would miss; also
 * the dominators' set of back/cross edges (one bit per edge). */
static inline gboolean hw_bit_test(const uint64_t *bits, uint32_t i)
{
	return (bits[i >> 6] >> (i & 63)) & 1;
}

static inline void hw_bit_set(uint64_t *bits, uint32_t i)
{
	bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* Reports progress at most about 100 times per phase: call with i in [0, total). */
static inline void hw_progress_step(hw_progress_fn fn, void *user, const char *phase, uint64_t i, uint64_t total)
{
	uint64_t step = total / 100 + 1;
	if (fn && i % step == 0)
		fn(phase, (double)i / (double)total, user);
}

#endif /* HW_GRAPH_PRIVATE_H */

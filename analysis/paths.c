/* paths.c - the shortest-path index: one BFS, one parent edge per object.
 *
 * parent[v] is the edge index that first reached v, or n_edges + k when v is the target of
 * root record k, or HW_NONE when v is unreachable. parent[] is the only per-object array kept
 * (while searching, a bitmap says which objects were reached: that test is made for every
 * edge, and the bitmap stays in the cache where parent[] would miss): the
 * BFS queue is a FIFO of blocks freed as the search reads past them, so it costs about the
 * widest frontier rather than 4 bytes per reachable object, and the next tier (paths.h) is
 * seeded from a list of the objects that have finalizer edges, made while the current tier is
 * expanded, instead of from a second reading of the tier.
 */
#include "paths.h"
#include "graph-private.h"

#include <string.h>

struct hw_path_index {
	const hw_graph *g;
	uint32_t *parent;   /* n entries */
};

enum { QBLOCK = 1 << 16 };   /* queue entries per block (256 KiB) */

/* Positions head..tail-1 are queued; block k holds positions [k * QBLOCK, (k + 1) * QBLOCK)
 * and is freed once head passes it. */
typedef struct bfs_queue {
	uint32_t **blocks;   /* n / QBLOCK + 1 slots */
	uint64_t head, tail;
} bfs_queue;

static inline uint32_t queue_at(const bfs_queue *q, uint64_t i)
{
	return q->blocks[i / QBLOCK][i % QBLOCK];
}

static inline gboolean queue_push(bfs_queue *q, uint32_t v)
{
	if (q->tail % QBLOCK == 0) {
		q->blocks[q->tail / QBLOCK] = g_try_new(uint32_t, QBLOCK);
		if (!q->blocks[q->tail / QBLOCK])
			return FALSE;
	}
	q->blocks[q->tail / QBLOCK][q->tail % QBLOCK] = v;
	q->tail++;
	return TRUE;
}

static inline uint32_t queue_pop(bfs_queue *q)
{
	uint32_t v = queue_at(q, q->head);
	if (++q->head % QBLOCK == 0)
		g_clear_pointer(&q->blocks[q->head / QBLOCK - 1], g_free);
	return v;
}

/* Pushes v's unreached targets over edges of one kind class (finalizer edges when
 * `finalizers`, else every non-weak, non-finalizer edge); returns FALSE when the queue cannot
 * grow. *has_finalizers is set if v has a finalizer edge. */
static gboolean scan(const hw_graph *g, uint32_t *parent, uint64_t *seen, bfs_queue *q, uint32_t v,
                     gboolean finalizers, gboolean *has_finalizers)
{
	uint64_t e = g->first_edge[v], end = g->first_edge[v + 1];
	while (e < end) {
		const hwd_edge *ep;
		uint64_t k = hw_graph_edge_span(g, e, end, &ep);
		for (uint64_t i = 0; i < k; i++) {
			hwd_edge_kind kind = hwd_edge_kind_of(&ep[i]);
			if (kind == HWD_EDGE_FINALIZER)
				*has_finalizers = TRUE;
			if (kind == HWD_EDGE_WEAK || (kind == HWD_EDGE_FINALIZER) != finalizers)
				continue;
			uint32_t t = ep[i].to;
			if (hw_bit_test(seen, t))
				continue;
			hw_bit_set(seen, t);
			parent[t] = (uint32_t)(e + i);
			if (!queue_push(q, t))
				return FALSE;
		}
		e += k;
	}
	return TRUE;
}

/* BFS over non-finalizer edges until the queue is empty; appends to fin, in queue order,
 * every object dequeued that has finalizer edges. */
static gboolean expand(const hw_graph *g, uint32_t *parent, uint64_t *seen, bfs_queue *q, GArray *fin,
                       hw_progress_fn progress, void *user)
{
	enum { AHEAD = 16 };
	while (q->head < q->tail) {
		/* The queue says what comes next: fetch the edge index of the vertex AHEAD places on
		 * and the edge records of the one AHEAD/2 places on, so their misses overlap. */
		if (q->head + AHEAD < q->tail)
			__builtin_prefetch(&g->first_edge[queue_at(q, q->head + AHEAD)]);
		if (q->head + AHEAD / 2 < q->tail) {
			uint32_t u = queue_at(q, q->head + AHEAD / 2);
			if (g->first_edge[u] < g->first_edge[u + 1]) {
				const hwd_edge *ep;
				hw_graph_edge_span(g, g->first_edge[u], g->first_edge[u] + 1, &ep);
				__builtin_prefetch(ep);
			}
		}
		hw_progress_step(progress, user, "paths", q->head, g->n);
		uint32_t v = queue_pop(q);
		gboolean has_finalizers = FALSE;
		if (!scan(g, parent, seen, q, v, FALSE, &has_finalizers))
			return FALSE;
		if (has_finalizers)
			g_array_append_val(fin, v);
	}
	return TRUE;
}

hw_path_index *hw_path_index_build(const hw_graph *g, hw_progress_fn progress, void *user, GError **error)
{
	if (g->n_edges + g->n_roots >= HW_NONE) {
		g_set_error(error, HW_ERROR, HW_ERROR_LIMIT,
		            "%" G_GUINT64_FORMAT " edges and %" G_GUINT64_FORMAT " roots do not fit the 32-bit path index",
		            g->n_edges, g->n_roots);
		return NULL;
	}
	uint32_t *parent = g_try_new(uint32_t, g->n ? g->n : 1);
	uint64_t *seen = g_try_new0(uint64_t, (gsize)g->n / 64 + 1);
	bfs_queue q = { g_try_new0(uint32_t *, (gsize)g->n / QBLOCK + 1), 0, 0 };
	GArray *fin = g_array_new(FALSE, FALSE, sizeof(uint32_t)), *fin_next = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	gboolean ok = parent && seen && q.blocks;
	if (ok) {
		hw_advise_random_access(parent, sizeof(uint32_t) * g->n);
		memset(parent, 0xff, sizeof(uint32_t) * g->n);
		for (uint32_t k = 0; k < g->n_root_targets && ok; k++) {
			uint32_t t = g->root_targets[k];
			parent[t] = (uint32_t)(g->n_edges + g->root_target_rec[k]);
			hw_bit_set(seen, t);
			ok = queue_push(&q, t);
		}
		/* Tier 0, then one tier per round of finalizer edges until a round adds nothing. */
		ok = ok && expand(g, parent, seen, &q, fin, progress, user);
		while (ok && fin->len) {
			for (guint i = 0; i < fin->len && ok; i++) {
				gboolean unused;
				ok = scan(g, parent, seen, &q, g_array_index(fin, uint32_t, i), TRUE, &unused);
			}
			g_array_set_size(fin_next, 0);
			ok = ok && expand(g, parent, seen, &q, fin_next, progress, user);
			GArray *t = fin;
			fin = fin_next;
			fin_next = t;
		}
	}
	if (q.blocks)
		for (uint64_t k = q.head / QBLOCK; k <= q.tail / QBLOCK && k <= g->n / QBLOCK; k++)
			g_free(q.blocks[k]);
	g_free(q.blocks);
	g_free(seen);
	g_array_free(fin, TRUE);
	g_array_free(fin_next, TRUE);
	if (!ok) {
		g_free(parent);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the path index for %u objects", g->n);
		return NULL;
	}
	if (progress)
		progress("paths", 1.0, user);
	hw_path_index *p = g_new(hw_path_index, 1);
	p->g = g;
	p->parent = parent;
	return p;
}

void hw_path_index_free(hw_path_index *p)
{
	if (!p)
		return;
	g_free(p->parent);
	g_free(p);
}

uint32_t hw_path_length(const hw_path_index *p, uint32_t object)
{
	const hw_graph *g = p->g;
	if (object >= g->n || p->parent[object] == HW_NONE)
		return HW_NONE;
	uint32_t len = 0;
	for (uint32_t v = object; p->parent[v] < g->n_edges; len++)
		v = hw_graph_edge(g, p->parent[v]).from;
	return len;
}

gboolean hw_path_find(const hw_path_index *p, uint32_t object, hw_path *out)
{
	const hw_graph *g = p->g;
	memset(out, 0, sizeof(*out));
	if (object >= g->n || p->parent[object] == HW_NONE)
		return FALSE;
	GArray *steps = g_array_new(FALSE, FALSE, sizeof(hw_path_step));
	uint32_t v = object;
	while (p->parent[v] < g->n_edges) {
		uint64_t e = p->parent[v];
		hwd_edge r = hw_graph_edge(g, e);
		hw_path_step s = { e, r.from, r.to, r.label, hwd_edge_offset_of(&r), hwd_edge_kind_of(&r) };
		g_array_append_val(steps, s);
		v = r.from;
	}
	for (guint i = 0, j = steps->len ? steps->len - 1 : 0; i < j; i++, j--) {
		hw_path_step t = g_array_index(steps, hw_path_step, i);
		g_array_index(steps, hw_path_step, i) = g_array_index(steps, hw_path_step, j);
		g_array_index(steps, hw_path_step, j) = t;
	}
	out->root_record = p->parent[v] - g->n_edges;
	out->root = hw_graph_root(g, out->root_record);
	out->steps = steps;
	return TRUE;
}

void hw_path_clear(hw_path *path)
{
	if (path->steps)
		g_array_free(path->steps, TRUE);
	memset(path, 0, sizeof(*path));
}

gboolean hw_path_parent(const hw_path_index *p, uint32_t object, uint64_t *edge, uint64_t *root_record)
{
	const hw_graph *g = p->g;
	if (object >= g->n || p->parent[object] == HW_NONE)
		return FALSE;
	if (p->parent[object] < g->n_edges) {
		*edge = p->parent[object];
	} else {
		*edge = UINT64_MAX;
		*root_record = p->parent[object] - g->n_edges;
	}
	return TRUE;
}

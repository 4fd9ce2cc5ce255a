/* paths.c - the shortest-path index: one BFS, one parent edge per object.
 *
 * parent[v] is the edge index that first reached v, or n_edges + k when v is the target of
 * root record k, or HW_NONE when v is unreachable. The BFS queue is the only other array and
 * is freed when the search ends; its segments are the tiers described in paths.h.
 */
#include "paths.h"
#include "graph-private.h"

#include <string.h>

struct hw_path_index {
	const hw_graph *g;
	uint32_t *parent;   /* n entries */
};

/* Expands queue[*head..*tail) (and what it appends) over edges of the wanted kind class:
 * finalizer edges when `finalizers`, else every non-weak, non-finalizer edge. When
 * `finalizers`, only queue[*head..stop) is expanded (the previous tier) and nothing more. */
static void expand(const hw_graph *g, uint32_t *parent, uint32_t *queue, uint64_t *head, uint64_t *tail,
                   uint64_t stop, gboolean finalizers, hw_progress_fn progress, void *user)
{
	while (*head < stop) {
		uint32_t v = queue[(*head)++];
		uint64_t e = g->first_edge[v], end = g->first_edge[v + 1];
		while (e < end) {
			const hwd_edge *ep;
			uint64_t k = hw_graph_edge_span(g, e, end, &ep);
			for (uint64_t i = 0; i < k; i++) {
				hwd_edge_kind kind = hwd_edge_kind_of(&ep[i]);
				if (kind == HWD_EDGE_WEAK || (kind == HWD_EDGE_FINALIZER) != finalizers)
					continue;
				uint32_t t = ep[i].to;
				if (parent[t] != HW_NONE)
					continue;
				parent[t] = (uint32_t)(e + i);
				queue[(*tail)++] = t;
			}
			e += k;
		}
		if (!finalizers)
			stop = *tail;
		hw_progress_step(progress, user, "paths", *head, g->n);
	}
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
	uint32_t *queue = g_try_new(uint32_t, g->n ? g->n : 1);
	if (!parent || !queue) {
		g_free(parent);
		g_free(queue);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the path index for %u objects", g->n);
		return NULL;
	}
	memset(parent, 0xff, sizeof(uint32_t) * g->n);
	uint64_t head = 0, tail = 0;
	for (uint32_t k = 0; k < g->n_root_targets; k++) {
		uint32_t t = g->root_targets[k];
		parent[t] = (uint32_t)(g->n_edges + g->root_target_rec[k]);
		queue[tail++] = t;
	}
	/* Tier 0, then one tier per round of finalizer edges until a round adds nothing. */
	expand(g, parent, queue, &head, &tail, tail, FALSE, progress, user);
	uint64_t tier_start = 0;
	while (tier_start < tail) {
		uint64_t tier_end = tail, fh = tier_start;
		expand(g, parent, queue, &fh, &tail, tier_end, TRUE, progress, user);
		tier_start = tier_end;
		head = tier_end;
		expand(g, parent, queue, &head, &tail, tail, FALSE, progress, user);
	}
	g_free(queue);
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

/* histogram.c - per-type rows: count, bytes, and non-overlapping retained bytes.
 *
 * The "outermost object of its type" test is hw_domtree_outermost() keyed by type, so the
 * retained column never counts an object inside another object of its own type.
 */
#include "histogram.h"
#include "retained.h"

static uint32_t type_key(uint32_t v, void *user)
{
	return hw_graph_object(user, v).type + 1;
}

static int row_cmp(gconstpointer a, gconstpointer b)
{
	const hw_histogram_row *x = a, *y = b;
	if (x->retained != y->retained)
		return x->retained > y->retained ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

GArray *hw_histogram_compute(hw_domtree *d, GError **error)
{
	const hw_graph *g = hw_domtree_graph(d);
	const uint32_t n = hw_graph_n_objects(g), nt = hw_graph_n_types(g);
	guint8 *outer = hw_domtree_outermost(d, type_key, nt + 2, (void *)g);
	hw_histogram_row *rows = g_try_new0(hw_histogram_row, (gsize)nt + 1);
	if (!outer || !rows) {
		g_free(outer);
		g_free(rows);
		g_set_error(error, HW_ERROR, HW_ERROR_NOMEM, "cannot allocate the histogram");
		return NULL;
	}
	for (uint32_t v = 0; v < n; v++) {
		hwd_object o = hw_graph_object(g, v);
		hw_histogram_row *r = &rows[o.type <= nt ? o.type : 0];
		if (hw_domtree_idom(d, v) == HW_NONE) {
			r->unreachable_count++;
			r->unreachable_bytes += o.size;
			continue;
		}
		r->count++;
		r->bytes += o.size;
		if (hw_bit(outer, v))
			r->retained += hw_retained_size(d, v);
	}
	GArray *out = g_array_new(FALSE, FALSE, sizeof(hw_histogram_row));
	for (uint32_t t = 0; t <= nt; t++) {
		if (rows[t].count || rows[t].unreachable_count) {
			rows[t].type = t;
			g_array_append_val(out, rows[t]);
		}
	}
	g_array_sort(out, row_cmp);
	g_free(rows);
	g_free(outer);
	return out;
}

/* select.c - object sets by type name or type id.
 *
 * Type names are matched once per type, then objects are scanned in index order, so the
 * cost is one pass over the object records whatever the pattern.
 */
#include "select.h"
#include "graph-private.h"

static GArray *select_where(const hw_graph *g, const guint8 *type_ok, uint32_t n_types)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (uint32_t k = 0; k < g->n_obj_runs; k++) {
		const hw_rec_run *r = &g->obj_runs[k];
		const hwd_object *o = r->records;
		for (uint64_t i = 0; i < r->count; i++) {
			if (o[i].type <= n_types && type_ok[o[i].type]) {
				uint32_t v = (uint32_t)(r->first + i);
				g_array_append_val(out, v);
			}
		}
	}
	return out;
}

GArray *hw_select_by_type_glob(const hw_graph *g, const char *glob)
{
	GPatternSpec *spec = g_pattern_spec_new(glob);
	guint8 *ok = g_new0(guint8, (gsize)g->n_types + 1);
	for (uint32_t t = 0; t <= g->n_types; t++) {
		uint32_t len;
		const char *name = hw_graph_type_name(g, t, &len);
		char *z = g_strndup(name, len);
		ok[t] = g_pattern_spec_match_string(spec, z);
		g_free(z);
	}
	GArray *out = select_where(g, ok, g->n_types);
	g_free(ok);
	g_pattern_spec_free(spec);
	return out;
}

GArray *hw_select_by_type(const hw_graph *g, uint32_t type)
{
	guint8 *ok = g_new0(guint8, (gsize)g->n_types + 1);
	if (type <= g->n_types)
		ok[type] = 1;
	GArray *out = select_where(g, ok, g->n_types);
	g_free(ok);
	return out;
}

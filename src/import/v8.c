/* v8.c - `heapwalk import v8`: import.h's entry point for V8 heap snapshots (see v8.h). */
#include "import/v8.h"

#include <string.h>

#include "import/v8-import.h"

gboolean hw_import_v8(const hw_import_options *opt, hw_import_result *res, GError **error)
{
	hw_v8_rules rules = HW_V8_RULES_DEVTOOLS;
	g_autoptr(hw_v8_snapshot) s = NULL;
	g_autoptr(hw_v8_retention) rt = NULL;

	memset(res, 0, sizeof *res);
	if (opt->v8_rules && !hw_v8_rules_parse(opt->v8_rules, &rules)) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED,
		            "unknown rule set '%s' (devtools or memlab)", opt->v8_rules);
		return FALSE;
	}
	if (!(s = hw_v8_snapshot_load(opt->input, error)))
		return FALSE;
	rt = hw_v8_retention_compute(s, rules);
	if (!hw_v8_write_snapshot(s, rt, opt->input, opt->output, error))
		return FALSE;
	res->objects = s->n_nodes;
	for (uint32_t v = 0; v < s->n_nodes; v++)
		res->object_bytes += rt->self[v];
	res->edges = (guint64)s->n_edges + rt->n_adopted;
	res->roots = 1;
	if (rt->n_adopted)
		res->note = g_strdup_printf("%s rules: %u orphan(s) and %u node(s) in unreachable cycles attached to the "
		                            "root, as the tool does", hw_v8_rules_name(rules), rt->n_orphans, rt->n_cliques);
	return TRUE;
}

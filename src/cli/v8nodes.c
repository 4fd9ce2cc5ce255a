/* v8nodes.c - `heapwalk v8nodes FILE.heapsnapshot [--v8-rules R]`: one TSV row per V8 node.
 *
 * The comparison output of the V8 importer (docs/v8.md): `id type name self retained dom_id`,
 * tab-separated, one row per node in the file's order, under DevTools' or memlab's rules. The
 * numbers come from the generic analysis (analysis/) run over the converted snapshot, exactly as
 * every other command sees it; only the three naming columns come from the V8 file (node
 * ordinal k is object k of the conversion). The root's dom_id is its own id, as in both tools.
 * In names, backslash, tab, newline and carriage return are written as \\ \t \n \r.
 */
#include <stdio.h>

#include "commands.h"
#include "dominators.h"
#include "exit.h"
#include "graph.h"
#include "import/v8-import.h"
#include "options.h"
#include "retained.h"

static void put_u64(GString *out, uint64_t v)
{
	char buf[24];
	int i = sizeof buf;

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	g_string_append_len(out, buf + i, (gssize)(sizeof buf - (size_t)i));
}

static void put_name(GString *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		const char *esc = ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : NULL;
		if (esc)
			g_string_append(out, esc);
		else
			g_string_append_c(out, ch);
	}
}

static gboolean print_rows(const hw_v8_snapshot *s, const hw_domtree *d, uint32_t root)
{
	const uint32_t super = hw_graph_super_root(hw_domtree_graph(d));
	GString *out = g_string_sized_new(1 << 17);
	gboolean ok = TRUE;

	g_string_append(out, "id\ttype\tname\tself\tretained\tdom_id\n");
	for (uint32_t v = 0; v < s->n_nodes && ok; v++) {
		size_t len;
		const char *name = hw_v8_string(s, s->node_name[v], &len);
		uint32_t idom = hw_domtree_idom(d, v);
		put_u64(out, s->node_id[v]);
		g_string_append_c(out, '\t');
		g_string_append(out, hw_v8_node_type_name(s->node_type[v]));
		g_string_append_c(out, '\t');
		put_name(out, name, len);
		g_string_append_c(out, '\t');
		put_u64(out, hw_graph_object_size(hw_domtree_graph(d), v));
		g_string_append_c(out, '\t');
		put_u64(out, hw_retained_size(d, v));
		g_string_append_c(out, '\t');
		/* Every node is reachable (the importer attaches the rest to the root) and the root is
		 * the only GC root, so idom is an object, or the super-root for the root itself. */
		g_assert(idom != HW_NONE && (idom != super || v == root));
		put_u64(out, s->node_id[idom == super ? root : idom]);
		g_string_append_c(out, '\n');
		if (out->len > (1 << 16)) {
			ok = fwrite(out->str, 1, out->len, stdout) == out->len;
			g_string_truncate(out, 0);
		}
	}
	if (ok)
		ok = fwrite(out->str, 1, out->len, stdout) == out->len;
	g_string_free(out, TRUE);
	return ok;
}

int hw_cmd_v8nodes(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	g_autofree char *rules_arg = NULL;
	const GOptionEntry entries[] = {
		{ "v8-rules", 0, 0, G_OPTION_ARG_STRING, &rules_arg,
		  "whose retained sizes and dominators: devtools (default) or memlab", "RULES" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	hw_v8_rules rules = HW_V8_RULES_DEVTOOLS;
	g_autoptr(GError) error = NULL;
	int status;

	if (!hw_cli_parse(&cli, entries,
	                  "Columns: id type name self retained dom_id (V8 ids; sizes in bytes).\n"
	                  "Example:\n  heapwalk v8nodes --v8-rules=memlab app.heapsnapshot > app.tsv\n",
	                  1, &argc, &argv, &status))
		return status;
	if (rules_arg && !hw_v8_rules_parse(rules_arg, &rules))
		return hw_cli_usage(&cli, "--v8-rules must be devtools or memlab, not '%s'", rules_arg);

	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_load(argv[1], &error);
	if (!s)
		return hw_cli_fail(&cli, error);
	hw_v8_retention *rt = hw_v8_retention_compute(s, rules);
	uint32_t root = rt->root;
	hwd_reader *r = hw_v8_open(s, rt, argv[1], &error);
	hw_v8_retention_free(rt);
	if (!r)
		return hw_cli_fail(&cli, error);
	hw_graph *g = hw_graph_load(r, NULL, NULL, &error);
	hw_domtree *d = g ? hw_domtree_compute(g, NULL, NULL, &error) : NULL;
	if (d) {
		status = print_rows(s, d, root) ? HW_EXIT_OK : HW_EXIT_ERROR;
		if (status != HW_EXIT_OK)
			fprintf(stderr, "heapwalk v8nodes: error writing the output\n");
	} else {
		status = hw_cli_fail(&cli, error);
	}
	hw_domtree_free(d);
	hw_graph_free(g);
	hwd_reader_close(r);
	return status;
}

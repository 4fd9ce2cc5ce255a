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
#include <string.h>

#include "commands.h"
#include "dominators.h"
#include "exit.h"
#include "graph.h"
#include "import/v8-import.h"
#include "options.h"
#include "retained.h"

/* Rows are formatted into a fixed buffer flushed as it fills: with millions of rows, the
 * formatting is a visible share of the command's time, so no per-character calls. */
typedef struct out_buf {
	char data[1 << 16];
	size_t len;
	gboolean ok;
} out_buf;

static void out_flush(out_buf *o)
{
	if (o->ok && o->len)
		o->ok = fwrite(o->data, 1, o->len, stdout) == o->len;
	o->len = 0;
}

/* Room for `n` more bytes (n <= sizeof data). */
static char *out_room(out_buf *o, size_t n)
{
	if (sizeof o->data - o->len < n)
		out_flush(o);
	return o->data + o->len;
}

static void put_bytes(out_buf *o, const char *s, size_t len)
{
	while (len) {
		size_t n = MIN(len, sizeof o->data);
		memcpy(out_room(o, n), s, n);
		o->len += n;
		s += n;
		len -= n;
	}
}

/* A decimal number and the separator after it, written in place two digits at a time (four
 * numbers a row: the single largest cost of the formatting). */
static void put_u64(out_buf *o, uint64_t v, char sep)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char *p = out_room(o, 21);
	size_t n = 1;

	for (uint64_t x = v; x >= 10; x /= 10)
		n++;
	p[n] = sep;
	char *q = p + n;
	while (v >= 100) {
		const char *d = pairs + 2 * (v % 100);
		v /= 100;
		*--q = d[1];
		*--q = d[0];
	}
	if (v >= 10) {
		*--q = pairs[2 * v + 1];
		*--q = pairs[2 * v];
	} else {
		*--q = (char)('0' + v);
	}
	o->len += n + 1;
}

static void put_name(out_buf *o, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		const char *esc = ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : NULL;
		if (esc) {
			put_bytes(o, s + run, i - run);
			put_bytes(o, esc, 2);
			run = i + 1;
		}
	}
	put_bytes(o, s + run, len - run);
}

static gboolean print_rows(const hw_v8_snapshot *s, const hw_domtree *d, uint32_t root)
{
	static const char header[] = "id\ttype\tname\tself\tretained\tdom_id\n";
	const hw_graph *g = hw_domtree_graph(d);
	const uint32_t super = hw_graph_super_root(g);
	out_buf *o = g_new(out_buf, 1);
	gboolean ok;

	o->len = 0;
	o->ok = TRUE;
	put_bytes(o, header, sizeof header - 1);
	for (uint32_t v = 0; v < s->n_nodes && o->ok; v++) {
		size_t len;
		const char *name = hw_v8_string(s, s->node_name[v], &len);
		const char *type = hw_v8_node_type_name(s->node_type[v]);
		uint32_t idom = hw_domtree_idom(d, v);
		put_u64(o, s->node_id[v], '\t');
		put_bytes(o, type, strlen(type));
		put_bytes(o, "\t", 1);
		put_name(o, name, len);
		put_bytes(o, "\t", 1);
		put_u64(o, hw_graph_object_size(g, v), '\t');
		put_u64(o, hw_retained_size(d, v), '\t');
		/* Every node is reachable (the importer attaches the rest to the root) and the root is
		 * the only GC root, so idom is an object, or the super-root for the root itself. */
		g_assert(idom != HW_NONE && (idom != super || v == root));
		put_u64(o, s->node_id[idom == super ? root : idom], '\n');
	}
	out_flush(o);
	ok = o->ok;
	g_free(o);
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

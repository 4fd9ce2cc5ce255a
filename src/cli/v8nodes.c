/* v8nodes.c - `heapwalk v8nodes FILE.heapsnapshot [--v8-rules R]`: one TSV row per V8 node.
 *
 * The comparison output of the V8 importer (docs/v8.md): `id type name self retained dom_id`,
 * tab-separated, one row per node in the file's order, under DevTools' or memlab's rules. The
 * numbers come from the generic analysis (analysis/) run over the graph of the conversion,
 * built in memory (v8-graph.h: the graph every other command reads from the converted file,
 * without writing and reading it); the three naming columns come from the V8 file (node
 * ordinal k is object k) and `self` from the rule set, which gave object k that size. The
 * root's dom_id is its own id, as in both tools. In names, backslash, tab, newline and
 * carriage return are written as \\ \t \n \r.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dominators.h"
#include "exit.h"
#include "graph.h"
#include "import/v8-graph.h"
#include "options.h"
#include "retained.h"

/* Rows are formatted into one buffer written out as it fills: with millions of rows, the
 * formatting is a visible share of the command's time, so no call per field or character. */
#define OUT_BYTES (1u << 20)
/* A row without its name is at most 4 numbers of 20 digits, a type name and 6 separators. */
#define ROW_BYTES 128

typedef struct out_buf {
	char *data;            /* OUT_BYTES */
	size_t len;
	gboolean ok;
} out_buf;

static void out_flush(out_buf *o)
{
	if (o->ok && o->len)
		o->ok = fwrite(o->data, 1, o->len, stdout) == o->len;
	o->len = 0;
}

/* Room for `n` more bytes (n <= OUT_BYTES). */
static char *out_room(out_buf *o, size_t n)
{
	if (OUT_BYTES - o->len < n)
		out_flush(o);
	return o->data + o->len;
}

static void put_bytes(out_buf *o, const char *s, size_t len)
{
	while (len) {
		size_t n = MIN(len, OUT_BYTES);
		memcpy(out_room(o, n), s, n);
		o->len += n;
		s += n;
		len -= n;
	}
}

/* Writes v in decimal at p followed by `sep`; returns the end. The length comes from the bit
 * length (a table guess, corrected once), the digits two at a time from the end. */
static char *fmt_u64(char *p, uint64_t v, char sep)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	static const uint64_t pow10[20] = {
		UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
		UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
		UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000), UINT64_C(10000000000000),
		UINT64_C(100000000000000), UINT64_C(1000000000000000), UINT64_C(10000000000000000),
		UINT64_C(100000000000000000), UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
	};
	/* floor(log10(2^b)) + 1 for b = bit length - 1: the digit count, or one too many. */
	unsigned bits = 63 - (unsigned)__builtin_clzll(v | 1);
	unsigned n = (bits * 1233 >> 12) + 1;
	n += n < 20 && v >= pow10[n];
	char *q = p + n;

	*q = sep;
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
	return p + n + 1;
}

/* 1 if the byte is written escaped in a name. */
static inline int needs_escape(char ch)
{
	return ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void put_name(out_buf *o, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (needs_escape(ch)) {
			put_bytes(o, s + run, i - run);
			put_bytes(o, ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" : ch == '\n' ? "\\n" : "\\r", 2);
			run = i + 1;
		}
	}
	put_bytes(o, s + run, len - run);
}

/* One bit per V8 string: set if it holds a byte written escaped. A node's name is one of far
 * fewer strings than there are nodes, so the bytes are looked at once here, not once per row. */
static guint8 *escaped_strings(const hw_v8_snapshot *s)
{
	guint8 *bits = g_new0(guint8, s->n_strings / 8 + 1);

	for (uint32_t i = 0; i < s->n_strings; i++) {
		size_t len;
		const char *str = hw_v8_string(s, i, &len);
		for (size_t k = 0; k < len; k++) {
			if (needs_escape(str[k])) {
				bits[i >> 3] |= (guint8)(1u << (i & 7));
				break;
			}
		}
	}
	return bits;
}

static gboolean print_rows(const hw_v8_snapshot *s, const hw_v8_retention *rt, const hw_domtree *d)
{
	static const char header[] = "id\ttype\tname\tself\tretained\tdom_id\n";
	const hw_graph *g = hw_domtree_graph(d);
	const uint32_t super = hw_graph_super_root(g);
	g_autofree guint8 *escaped = escaped_strings(s);
	g_autofree char *data = g_malloc(OUT_BYTES);
	out_buf o = { .data = data, .ok = TRUE };
	size_t type_len[HW_V8_NODE__COUNT];

	for (int t = 0; t < HW_V8_NODE__COUNT; t++)
		type_len[t] = strlen(hw_v8_node_type_name((hw_v8_node_type)t));
	put_bytes(&o, header, sizeof header - 1);
	for (uint32_t v = 0; v < s->n_nodes && o.ok; v++) {
		uint32_t name_idx = s->node_name[v];
		uint8_t type = s->node_type[v];
		size_t len;
		const char *name = hw_v8_string(s, name_idx, &len);
		uint32_t idom = hw_domtree_idom(d, v);
		/* Every node is reachable (the importer attaches the rest to the root) and the root is
		 * the only GC root, so idom is an object, or the super-root for the root itself. */
		g_assert(idom != HW_NONE && (idom != super || v == rt->root));

		char *p = out_room(&o, ROW_BYTES);
		p = fmt_u64(p, s->node_id[v], '\t');
		memcpy(p, hw_v8_node_type_name(type), type_len[type]);
		p += type_len[type];
		*p++ = '\t';
		o.len = (size_t)(p - o.data);
		if ((escaped[name_idx >> 3] >> (name_idx & 7)) & 1)
			put_name(&o, name, len);
		else
			put_bytes(&o, name, len);
		p = out_room(&o, ROW_BYTES);
		*p++ = '\t';
		p = fmt_u64(p, rt->self[v], '\t');
		p = fmt_u64(p, hw_retained_size(d, v), '\t');
		p = fmt_u64(p, s->node_id[idom == super ? rt->root : idom], '\n');
		o.len = (size_t)(p - o.data);
	}
	out_flush(&o);
	return o.ok;
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
	hw_graph *g = hw_v8_graph(s, rt, argv[1], &error);
	/* The rows need the nodes' ids, types and names and the rules' self sizes (read here, not
	 * from the graph's 24-byte object records: a third of the bytes). The V8 edges (9 bytes
	 * each) go before the dominators allocate, which is the run's peak of memory. */
	g_clear_pointer(&s->edge_type, g_free);
	g_clear_pointer(&s->edge_name, g_free);
	g_clear_pointer(&s->edge_to, g_free);
	hw_domtree *d = g ? hw_domtree_compute(g, NULL, NULL, &error) : NULL;
	if (d) {
		status = print_rows(s, rt, d) ? HW_EXIT_OK : HW_EXIT_ERROR;
		if (status != HW_EXIT_OK)
			fprintf(stderr, "heapwalk v8nodes: error writing the output\n");
	} else {
		status = hw_cli_fail(&cli, error);
	}
	hw_domtree_free(d);
	hw_graph_free(g);
	hw_v8_retention_free(rt);
	return status;
}

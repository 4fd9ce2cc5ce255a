/* graph.c - `heapwalk graph SNAP`: the object graph, for other tools.
 *
 * Writes the whole graph, or the part within --depth edges of the object at --from (a
 * breadth-first search with a queue, never recursion), as Graphviz DOT or as JSON Lines (one
 * record per node, edge and root; docs/json-schema.md). Weak edges are included and marked.
 * Graphviz cannot lay out a large heap, so the whole graph as DOT is refused above
 * DOT_MAX_NODES objects unless --force is given; JSON Lines has no limit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "snapshot.h"
#include "units.h"

#define DOT_MAX_NODES 10000
#define DEFAULT_DEPTH 3

enum { FORMAT_DOT = 0, FORMAT_JSONL = 1 };
static const char *const graph_formats[] = { "dot", "jsonl", NULL };

/* The part of the graph to write: everything, or what BFS from --from reached. */
typedef struct selection {
	gboolean all;
	GArray *nodes;     /* of uint32_t, BFS order (when !all) */
	guint8 *in;        /* bitmap of n bits: node selected (when !all) */
	guint8 *expand;    /* bitmap: node's out-edges are written (closer than --depth) */
	guint8 *is_root;   /* bitmap: the node is a GC root's target */
} selection;

static void set_bit(guint8 *bits, uint32_t v) { bits[v >> 3] |= (guint8)(1u << (v & 7)); }

static void selection_clear(selection *s)
{
	if (s->nodes)
		g_array_unref(s->nodes);
	g_free(s->in);
	g_free(s->expand);
	g_free(s->is_root);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(selection, selection_clear)

static uint32_t n_selected(const hw_heap *h, const selection *s)
{
	return s->all ? hw_graph_n_objects(h->graph) : s->nodes->len;
}

static uint32_t selected(const selection *s, uint32_t i)
{
	return s->all ? i : g_array_index(s->nodes, uint32_t, i);
}

static gboolean edges_written(const selection *s, uint32_t v)
{
	return s->all || hw_bit(s->expand, v);
}

/* Breadth-first from `from`, over every edge kind, up to `depth` edges away. */
static void select_from(const hw_heap *h, selection *s, uint32_t from, gint64 depth)
{
	uint32_t n = hw_graph_n_objects(h->graph);
	g_autoptr(GArray) dist = g_array_new(FALSE, FALSE, sizeof(uint32_t));   /* parallel to nodes */
	uint32_t zero = 0;

	s->nodes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	s->in = g_malloc0(n / 8 + 1);
	s->expand = g_malloc0(n / 8 + 1);
	g_array_append_val(s->nodes, from);
	g_array_append_val(dist, zero);
	set_bit(s->in, from);
	for (guint head = 0; head < s->nodes->len; head++) {
		uint32_t v = g_array_index(s->nodes, uint32_t, head);
		uint32_t d = g_array_index(dist, uint32_t, head);
		uint64_t e, end;

		if ((gint64)d >= depth)
			continue;
		set_bit(s->expand, v);
		hw_graph_out_edges(h->graph, v, &e, &end);
		for (; e < end; e++) {
			uint32_t to = hw_graph_edge(h->graph, e).to;
			uint32_t dn = d + 1;
			if (hw_bit(s->in, to))
				continue;
			set_bit(s->in, to);
			g_array_append_val(s->nodes, to);
			g_array_append_val(dist, dn);
		}
	}
}

static void mark_roots(const hw_heap *h, selection *s)
{
	s->is_root = g_malloc0(hw_graph_n_objects(h->graph) / 8 + 1);
	for (uint32_t k = 0; k < hw_graph_n_root_targets(h->graph); k++)
		set_bit(s->is_root, hw_graph_root_target(h->graph, k));
}

/* Writes s with DOT's escapes for a quoted string; control bytes become '?'. */
static void dot_escaped(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fputc('\\', out);
		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

/* Called for one edge to write, with its label (len bytes, not NUL-terminated). */
typedef void edge_fn(void *user, const hw_heap *h, const hwd_edge *ed, const char *label, uint32_t len);

/* Calls fn for every out-edge of the selected objects whose edges are written, in selection
 * order: the one walk both output formats share. */
static void each_edge(const hw_heap *h, const selection *s, edge_fn *fn, void *user)
{
	for (uint32_t i = 0, count = n_selected(h, s); i < count; i++) {
		uint32_t v = selected(s, i);
		uint64_t e, end;
		if (!edges_written(s, v))
			continue;
		hw_graph_out_edges(h->graph, v, &e, &end);
		for (; e < end; e++) {
			hwd_edge ed = hw_graph_edge(h->graph, e);
			uint32_t len;
			const char *label = hw_graph_string(h->graph, ed.label, &len);
			fn(user, h, &ed, label, len);
		}
	}
}

static void dot_edge(void *user, const hw_heap *h, const hwd_edge *ed, const char *label, uint32_t len)
{
	(void)user;
	(void)h;
	printf("  n%u -> n%u [label=\"", ed->from, ed->to);
	dot_escaped(stdout, label, len);
	printf("\"%s];\n", hwd_edge_kind_of(ed) == HWD_EDGE_WEAK ? ", style=dashed" : "");
}

static void jsonl_edge(void *user, const hw_heap *h, const hwd_edge *ed, const char *label, uint32_t len)
{
	hw_json *j = user;
	hw_json_begin_object(j);
	hw_json_key(j, "record");
	hw_json_string(j, "edge");
	hw_json_key(j, "from");
	hw_json_addr(j, hw_graph_object(h->graph, ed->from).addr);
	hw_json_key(j, "to");
	hw_json_addr(j, hw_graph_object(h->graph, ed->to).addr);
	hw_json_key(j, "kind");
	hw_json_string(j, hw_edge_kind_name(hwd_edge_kind_of(ed)));
	hw_json_key(j, "label");
	hw_json_string_len(j, label, len);
	hw_json_key(j, "offset");
	if (hwd_edge_offset_of(ed) != HWD_EDGE_OFFSET_UNKNOWN)
		hw_json_u64(j, hwd_edge_offset_of(ed));
	else
		hw_json_null(j);
	hw_json_end_object(j);
}

static void write_dot(const hw_heap *h, const selection *s)
{
	uint32_t count = n_selected(h, s);

	printf("digraph heap {\n  node [shape=box, fontsize=10];\n");
	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = selected(s, i);
		hwd_object o = hw_graph_object(h->graph, v);
		uint32_t len;
		const char *name = hw_heap_type_name(h, v, &len);
		char size[HW_UNITS_BUF];

		/* The type name is quoted; the "\n" between the lines are DOT's own escapes. */
		printf("  n%u [label=\"", v);
		dot_escaped(stdout, name, len);
		printf("\\n0x%llx\\n%s\"", (unsigned long long)o.addr, hw_units_bytes(size, o.size));
		printf("%s];\n", hw_bit(s->is_root, v) ? ", peripheries=2" : "");
	}
	each_edge(h, s, dot_edge, NULL);
	printf("}\n");
}

static void write_jsonl(const hw_heap *h, const selection *s, const char *from, gint64 depth)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, FALSE);
	uint32_t count = n_selected(h, s);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/graph/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "from");
	if (from)
		hw_json_string(j, from);
	else
		hw_json_null(j);
	hw_json_key(j, "depth");
	if (from)
		hw_json_u64(j, (uint64_t)depth);
	else
		hw_json_null(j);
	hw_json_key(j, "nodes");
	hw_json_u64(j, count);
	hw_json_end_object(j);

	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = selected(s, i);
		hw_json_begin_object(j);
		hw_json_key(j, "record");
		hw_json_string(j, "node");
		hw_heap_json_object(j, h, v);
		hw_json_key(j, "root");
		hw_json_bool(j, hw_bit(s->is_root, v));
		hw_json_end_object(j);
	}
	each_edge(h, s, jsonl_edge, j);
	for (uint64_t k = 0; k < hw_graph_n_roots(h->graph); k++) {
		hwd_root r = hw_graph_root(h->graph, k);
		uint32_t len;
		const char *name = hw_graph_string(h->graph, r.name, &len);
		if (!s->all && !hw_bit(s->in, r.object))
			continue;
		hw_json_begin_object(j);
		hw_json_key(j, "record");
		hw_json_string(j, "root");
		hw_json_key(j, "kind");
		hw_json_string(j, hw_root_kind_name(r.kind));
		hw_json_key(j, "name");
		hw_json_string_len(j, name, len);
		hw_json_key(j, "target");
		hw_json_addr(j, hw_graph_object(h->graph, r.object).addr);
		hw_json_end_object(j);
	}
}

int hw_cmd_graph(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = graph_formats, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_auto(selection) sel = { 0 };
	g_autofree char *from_arg = NULL;
	gint64 depth = -1;
	gboolean force = FALSE;
	uint64_t from_addr = 0;
	uint32_t from = HW_NONE;
	int status;
	const GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &from_arg, "Only the part reachable from the object at ADDR", "ADDR" },
		{ "depth", 'd', 0, G_OPTION_ARG_INT64, &depth, "With --from: follow at most D edges (default 3)", "D" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force, "Write the whole graph as DOT even when it is large", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "Without --from the whole graph is written; as DOT that is refused above 10000\n"
	                  "objects unless --force is given (use --from, or --format jsonl).\n"
	                  "Examples:\n  heapwalk graph app.hwd --from 0xc000010000 --depth 2 | dot -Tsvg > part.svg\n"
	                  "  heapwalk graph app.hwd --format jsonl > graph.jsonl\n",
	                  1, &argc, &argv, &status))
		return status;
	if (depth != -1 && !from_arg)
		return hw_cli_usage(&cli, "--depth needs --from");
	if (!from_arg)
		sel.all = TRUE;
	else if (!hw_cli_parse_addr(from_arg, &from_addr))
		return hw_cli_usage(&cli, "'%s' is not a hexadecimal address", from_arg);
	if (depth == -1)
		depth = DEFAULT_DEPTH;
	if (!hw_cli_check_min(&cli, "--depth", depth, 0, &status))
		return status;
	if (!hw_heap_open(&heap, &cli, argv[1], 0, &status))
		return status;
	if (sel.all && cli.format == FORMAT_DOT && !force && hw_graph_n_objects(heap.graph) > DOT_MAX_NODES)
		return hw_cli_usage(&cli, "the graph has %u objects, too many for DOT; use --from ADDR, "
		                    "--format jsonl, or --force", hw_graph_n_objects(heap.graph));
	if (!sel.all) {
		from = hw_heap_find(&heap, from_addr);
		if (from == HW_NONE) {
			fprintf(stderr, "heapwalk graph: no object contains address 0x%llx in %s\n",
			        (unsigned long long)from_addr, heap.path);
			hw_snapshot_status(&cli, heap.reader);
			return HW_EXIT_ERROR;
		}
		select_from(&heap, &sel, from, depth);
	}
	mark_roots(&heap, &sel);
	if (cli.format == FORMAT_DOT)
		write_dot(&heap, &sel);
	else
		write_jsonl(&heap, &sel, from_arg, depth);
	return hw_snapshot_status(&cli, heap.reader);
}

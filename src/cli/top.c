/* top.c - `heapwalk top SNAP`: the dominator tree, biggest first.
 *
 * Each object is shown under its immediate dominator, so a node's retained size is what
 * freeing it would free. The tree starts at the super-root's children (objects no other object
 * dominates); at each level the --limit biggest children are shown and the rest summarised.
 * The walk uses an explicit stack (a dominator tree can be millions of levels deep), and the
 * JSON output nests children inside their dominator. When the snapshot has heap-profiler
 * samples, each top-level entry says where what it retains was allocated (allocsites.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "allocsites.h"
#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "retained.h"
#include "snapshot.h"
#include "table.h"
#include "units.h"

#define DEFAULT_DEPTH 3
#define DEFAULT_LIMIT 10
/* Deeper levels are not indented further but marked with their depth: a dominator tree can be
 * a million levels deep, and indentation would make the output quadratic in the depth. */
#define MAX_INDENT_LEVEL 32

typedef struct frame {
	uint32_t v;                /* the node whose children are being walked */
	const uint32_t *children;  /* sorted biggest first, borrowed from the domtree */
	uint32_t n_children;
	uint32_t next;             /* next child to visit */
	uint32_t shown;            /* how many children are shown: --limit, or 0 below --depth */
} frame;

typedef struct walk {
	hw_heap *h;
	gint64 depth, limit;
	uint64_t total;            /* reachable bytes, for percentages */
	hw_table *table;           /* text output, or */
	hw_json *json;             /* JSON output */
	const hw_allocsites *sites; /* NULL: no allocation sites in the snapshot */
} walk;

/* Children beyond the limit: how many, and what they retain together. */
static void omitted(const walk *w, const frame *f, uint64_t *count, uint64_t *bytes)
{
	*count = 0;
	*bytes = 0;
	for (uint32_t i = f->next; i < f->n_children; i++) {
		(*count)++;
		*bytes += hw_retained_size(w->h->dom, f->children[i]);
	}
}

/* The text before a node's name at `level` (0: the top level). */
static char *indent_for(size_t level)
{
	if (level <= MAX_INDENT_LEVEL)
		return g_strdup_printf("%*s", (int)(2 * level), "");
	return g_strdup_printf("%*s[depth %zu] ", 2 * MAX_INDENT_LEVEL, "", level + 1);
}

static void percent_cell(const walk *w, uint64_t bytes)
{
	hw_table_cell(w->table, "%.1f%%", w->total ? 100.0 * (double)bytes / (double)w->total : 0.0);
}

static void enter(walk *w, uint32_t v, size_t level)
{
	uint64_t retained = hw_retained_size(w->h->dom, v);
	/* Top-level entries only: each costs a walk of the subtree. */
	g_autoptr(hw_site_summary) sum = w->sites && level == 0
		? hw_allocsites_summarize_subtree(w->sites, w->h->dom, v) : NULL;
	g_autofree char *site = sum ? hw_allocsites_describe(w->sites, sum, 2) : NULL;
	g_autofree char *sampling = site ? hw_allocsites_sampling(w->sites, sum->samples) : NULL;

	if (w->table) {
		g_autofree char *indent = indent_for(level);
		hw_table_bytes(w->table, retained);
		percent_cell(w, retained);
		hw_table_bytes(w->table, hw_graph_object_size(w->h->graph, v));
		hw_heap_table_object(w->table, w->h, v, indent);
		if (site) {
			hw_table_cell(w->table, "%s", "");
			hw_table_cell(w->table, "%s", "");
			hw_table_cell(w->table, "%s", "");
			hw_table_cell(w->table, "  retains what was %s; %s", site, sampling);
		}
		return;
	}
	hw_json_begin_object(w->json);
	hw_heap_json_object(w->json, w->h, v);
	hw_json_key(w->json, "retained");
	hw_json_u64(w->json, retained);
	if (site) {
		hw_json_key(w->json, "retains_allocated");
		hw_json_string(w->json, site);
		hw_json_key(w->json, "sampling");
		hw_json_string(w->json, sampling);
	}
	hw_json_key(w->json, "children");
	hw_json_begin_array(w->json);
}

/* Closes a node (or the top level): reports the children that were not shown. */
static void leave(walk *w, const frame *f, size_t level, gboolean top_level)
{
	uint64_t count, bytes;

	omitted(w, f, &count, &bytes);
	if (w->table) {
		/* Below --depth nothing is shown, so there is nothing to say "more" about. */
		if (count && f->shown) {
			g_autofree char *indent = indent_for(level);
			hw_table_bytes(w->table, bytes);
			percent_cell(w, bytes);
			hw_table_cell(w->table, "%s", "");
			hw_table_cell(w->table, "%s... %" PRIu64 " more", indent, count);
		}
		return;
	}
	hw_json_end_array(w->json);
	hw_json_key(w->json, "more");
	hw_json_begin_object(w->json);
	hw_json_key(w->json, "count");
	hw_json_u64(w->json, count);
	hw_json_key(w->json, "retained");
	hw_json_u64(w->json, bytes);
	hw_json_end_object(w->json);
	if (!top_level)
		hw_json_end_object(w->json);
}

/* Pushes a frame for v's children, which are shown only above --depth. */
static void push(walk *w, GArray *stack, uint32_t v)
{
	frame f = { .v = v };

	f.children = hw_domtree_children(w->h->dom, v, &f.n_children);
	if ((gint64)stack->len + 1 <= w->depth)
		f.shown = (uint32_t)MIN(f.n_children, (uint64_t)w->limit);
	g_array_append_val(stack, f);
}

static void walk_tree(walk *w)
{
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(frame));

	push(w, stack, hw_graph_super_root(w->h->graph));
	while (stack->len) {
		frame *f = &g_array_index(stack, frame, stack->len - 1);
		size_t level = stack->len - 1;   /* of f's children, 0 for the top level */

		if (f->next < f->shown) {
			uint32_t child = f->children[f->next++];
			enter(w, child, level);
			push(w, stack, child);   /* f may move: not used after this */
			continue;
		}
		leave(w, f, level, stack->len == 1);
		g_array_set_size(stack, stack->len - 1);
	}
}

int hw_cmd_top(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	walk w = { .depth = DEFAULT_DEPTH, .limit = DEFAULT_LIMIT };
	int status;
	const GOptionEntry entries[] = {
		{ "depth", 'd', 0, G_OPTION_ARG_INT64, &w.depth, "Show D levels of the tree (default 3)", "D" },
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &w.limit, "Show the N biggest children of each node (default 10)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "RETAINED is what freeing the object would free; PCT is its share of the\n"
	                  "reachable heap. Unreachable objects are not in the tree (see 'heapwalk info').\n"
	                  "Example:\n  heapwalk top app.hwd --depth 5 --limit 3\n",
	                  1, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--depth", w.depth, 1, &status) ||
	    !hw_cli_check_min(&cli, "--limit", w.limit, 1, &status))
		return status;
	if (!hw_heap_open(&heap, &cli, argv[1], HW_HEAP_DOMTREE, &status))
		return status;
	g_autoptr(hw_allocsites) sites = NULL;
	g_autoptr(GError) error = NULL;
	if (!(sites = hw_allocsites_new(heap.graph, &error)))
		return hw_cli_fail(&cli, error);
	w.sites = hw_allocsites_available(sites) ? sites : NULL;
	w.h = &heap;
	w.total = hw_retained_size(heap.dom, hw_graph_super_root(heap.graph));

	g_autoptr(hw_table) table = NULL;
	g_autoptr(hw_json) json = NULL;
	if (cli.format == HW_FORMAT_JSON) {
		json = w.json = hw_json_new(stdout, TRUE);
		hw_json_begin_object(json);
		hw_json_key(json, "schema");
		hw_json_string(json, "heapwalk/top/1");
		hw_snapshot_json(json, heap.path, heap.reader);
		hw_json_key(json, "depth");
		hw_json_u64(json, (uint64_t)w.depth);
		hw_json_key(json, "limit");
		hw_json_u64(json, (uint64_t)w.limit);
		hw_json_key(json, "reachable_bytes");
		hw_json_u64(json, w.total);
		hw_json_key(json, "roots");
		hw_json_begin_array(json);
	} else {
		table = w.table = hw_table_new("rrrl", "RETAINED", "PCT", "SIZE", "OBJECT");
	}
	walk_tree(&w);
	if (json)
		hw_json_end_object(json);
	else
		hw_table_print(table, stdout);
	return hw_snapshot_status(&cli, heap.reader);
}

/* goroutines.c - `heapwalk goroutines SNAP`: goroutines grouped by creation site, wait site
 * and state, with count, longest wait, stack bytes and the heap their stacks retain.
 *
 * The grouping and the retained heap (what would be freed if the group's goroutines all
 * returned, dominator-based) are analysis/goroutines.h; this file prints them, biggest
 * group first.
 */
#include <inttypes.h>
#include <stdio.h>

#include "commands.h"
#include "exit.h"
#include "goroutines.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "snapshot.h"
#include "table.h"
#include "units.h"

#define DEFAULT_LIMIT 20

static void json_location(hw_json *j, const char *key, const hw_location *l)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "func");
	hw_json_string(j, l->func);
	hw_json_key(j, "file");
	hw_json_string(j, l->file);
	hw_json_key(j, "line");
	hw_json_u64(j, l->line);
	hw_json_end_object(j);
}

static void print_json(const hw_heap *h, const GPtrArray *groups, guint shown)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);
	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/goroutines/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "goroutines");
	hw_json_u64(j, hwd_reader_goroutine_count(h->reader));
	hw_json_key(j, "total_groups");
	hw_json_u64(j, groups->len);
	hw_json_key(j, "groups");
	hw_json_begin_array(j);
	for (guint i = 0; i < shown; i++) {
		const hw_goroutine_group *g = g_ptr_array_index(groups, i);
		hw_json_begin_object(j);
		hw_json_key(j, "count");
		hw_json_u64(j, g->count);
		hw_json_key(j, "state");
		hw_json_string(j, g->state);
		hw_json_key(j, "wait_reason");
		hw_json_string(j, g->wait_reason);
		hw_json_key(j, "start_func");
		hw_json_string(j, g->start_func);
		json_location(j, "created_at", &g->created_at);
		json_location(j, "waits_at", &g->waits_at);
		hw_json_key(j, "longest_wait_ns");
		hw_json_i64(j, g->longest_wait_ns);
		hw_json_key(j, "stack_bytes");
		hw_json_u64(j, g->stack_bytes);
		hw_json_key(j, "retained");
		hw_json_u64(j, g->retained);
		hw_json_key(j, "example_goroutine");
		hw_json_u64(j, g->example_id);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

/* "func (file:line)", or just what is known; "-" when nothing is (the main goroutine has no
 * creator). */
static char *location_text(const hw_location *l)
{
	const char *func = l->func ? l->func : "", *file = l->file ? l->file : "";
	if (*file)
		return g_strdup_printf("%s (%s:%u)", *func ? func : "?", file, l->line);
	return g_strdup(*func ? func : "-");
}

static void print_text(const GPtrArray *groups, guint shown)
{
	g_autoptr(hw_table) t = hw_table_new("rrrrll", "COUNT", "LONGEST WAIT", "STACKS", "RETAINED", "STATE", "CREATED AT / WAITS AT");
	for (guint i = 0; i < shown; i++) {
		const hw_goroutine_group *g = g_ptr_array_index(groups, i);
		hw_table_cell(t, "%" PRIu64, g->count);
		if (g->longest_wait_ns < 0)
			hw_table_cell(t, "-");
		else
			hw_table_cell(t, "%.1fs", (double)g->longest_wait_ns / 1e9);
		hw_table_bytes(t, g->stack_bytes);
		hw_table_bytes(t, g->retained);
		hw_table_cell(t, "%s%s%s", g->state, *g->wait_reason ? ": " : "", g->wait_reason);
		g_autofree char *created = location_text(&g->created_at), *waits = location_text(&g->waits_at);
		hw_table_cell(t, "%s / %s", created, waits);
	}
	hw_table_print(t, stdout);
	if (shown < groups->len)
		printf("... %u more groups (--limit 0 shows all)\n", groups->len - shown);
}

int hw_cmd_goroutines(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(GPtrArray) groups = NULL;
	g_autoptr(GError) error = NULL;
	gint64 limit = DEFAULT_LIMIT;
	int status;
	const GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Show the N biggest groups (default 20; 0: all)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "RETAINED is what would be freed if every goroutine of the group returned.\n"
	                  "Example:\n  heapwalk goroutines app.hwd --limit 5\n",
	                  1, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--limit", limit, 0, &status))
		return status;
	if (!hw_heap_open(&heap, &cli, argv[1], HW_HEAP_DOMTREE, &status))
		return status;
	groups = hw_goroutines_group(heap.dom, NULL, &error);
	if (!groups)
		return hw_cli_fail(&cli, error);
	guint shown = limit == 0 || (guint64)limit > groups->len ? groups->len : (guint)limit;
	if (cli.format == HW_FORMAT_JSON)
		print_json(&heap, groups, shown);
	else
		print_text(groups, shown);
	return hw_snapshot_status(&cli, heap.reader);
}

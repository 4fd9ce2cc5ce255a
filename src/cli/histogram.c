/* histogram.c - `heapwalk histogram SNAP`: objects, bytes and retained bytes per type.
 *
 * The rows come from analysis/histogram.c; this file sorts them as asked, cuts them to
 * --limit and prints them. Retained bytes of a type count only its outermost objects (those
 * no other object of the same type dominates), so a list type is not counted once per node.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "histogram.h"
#include "json.h"
#include "options.h"
#include "snapshot.h"
#include "table.h"

#define DEFAULT_LIMIT 20

typedef enum { SORT_COUNT, SORT_BYTES, SORT_RETAINED } sort_key;
static const char *const sort_names[] = { "count", "bytes", "retained" };

static uint64_t key_of(const hw_histogram_row *r, sort_key k)
{
	switch (k) {
	case SORT_COUNT: return r->count + r->unreachable_count;
	case SORT_BYTES: return r->bytes + r->unreachable_bytes;
	case SORT_RETAINED: return r->retained;
	}
	return 0;
}

/* Largest first; ties by type id so the order is stable across runs. */
static int compare_rows(gconstpointer a, gconstpointer b, gpointer user)
{
	const hw_histogram_row *x = a, *y = b;
	sort_key k = *(const sort_key *)user;
	uint64_t kx = key_of(x, k), ky = key_of(y, k);

	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static void print_text(const hw_heap *h, const GArray *rows, guint shown)
{
	g_autoptr(hw_table) t = hw_table_new("rrrrl", "COUNT", "BYTES", "RETAINED", "UNREACHABLE", "TYPE");

	for (guint i = 0; i < shown; i++) {
		const hw_histogram_row *r = &g_array_index(rows, hw_histogram_row, i);
		uint32_t len;
		const char *name = hw_graph_type_name(h->graph, r->type, &len);
		hw_table_cell(t, "%" PRIu64, r->count + r->unreachable_count);
		hw_table_bytes(t, r->bytes + r->unreachable_bytes);
		hw_table_bytes(t, r->retained);
		hw_table_bytes(t, r->unreachable_bytes);
		if (len)
			hw_table_name(t, name, len);
		else
			hw_table_cell(t, "(unknown type)");
	}
	hw_table_print(t, stdout);
	if (shown < rows->len)
		printf("... %u more types (--limit 0 shows all)\n", rows->len - shown);
}

static void print_json(const hw_heap *h, const GArray *rows, guint shown, sort_key sort, gint64 limit)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/histogram/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "sort");
	hw_json_string(j, sort_names[sort]);
	hw_json_key(j, "limit");
	hw_json_u64(j, (uint64_t)limit);
	hw_json_key(j, "total_types");
	hw_json_u64(j, rows->len);
	hw_json_key(j, "types");
	hw_json_begin_array(j);
	for (guint i = 0; i < shown; i++) {
		const hw_histogram_row *r = &g_array_index(rows, hw_histogram_row, i);
		uint32_t len;
		const char *name = hw_graph_type_name(h->graph, r->type, &len);
		hw_json_begin_object(j);
		hw_json_key(j, "type");
		hw_json_string_len(j, name, len);
		hw_json_key(j, "type_id");
		hw_json_u64(j, r->type);
		hw_json_key(j, "count");
		hw_json_u64(j, r->count + r->unreachable_count);
		hw_json_key(j, "bytes");
		hw_json_u64(j, r->bytes + r->unreachable_bytes);
		hw_json_key(j, "retained");
		hw_json_u64(j, r->retained);
		hw_json_key(j, "unreachable_count");
		hw_json_u64(j, r->unreachable_count);
		hw_json_key(j, "unreachable_bytes");
		hw_json_u64(j, r->unreachable_bytes);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

int hw_cmd_histogram(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(GArray) rows = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *sort_arg = NULL;
	gint64 limit = DEFAULT_LIMIT;
	sort_key sort = SORT_RETAINED;
	int status;
	const GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Show the first N types (default 20; 0: all)", "N" },
		{ "sort", 's', 0, G_OPTION_ARG_STRING, &sort_arg, "Order by count, bytes or retained (default)", "KEY" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "COUNT and BYTES include unreachable objects (also shown apart); RETAINED counts\n"
	                  "only objects no other object of the same type dominates.\n"
	                  "Example:\n  heapwalk histogram app.hwd --sort bytes --limit 10\n",
	                  1, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--limit", limit, 0, &status))
		return status;
	if (sort_arg) {
		guint k;
		for (k = 0; k < G_N_ELEMENTS(sort_names); k++)
			if (strcmp(sort_arg, sort_names[k]) == 0)
				break;
		if (k == G_N_ELEMENTS(sort_names))
			return hw_cli_usage(&cli, "unknown sort key '%s' (expected count, bytes or retained)", sort_arg);
		sort = (sort_key)k;
	}
	if (!hw_heap_open(&heap, &cli, argv[1], HW_HEAP_DOMTREE, &status))
		return status;
	rows = hw_histogram_compute(heap.dom, &error);
	if (!rows)
		return hw_cli_fail(&cli, error);
	g_array_sort_with_data(rows, compare_rows, &sort);

	guint shown = limit == 0 || (guint64)limit > rows->len ? rows->len : (guint)limit;
	if (cli.format == HW_FORMAT_JSON)
		print_json(&heap, rows, shown, sort, limit);
	else
		print_text(&heap, rows, shown);
	return hw_snapshot_status(&cli, heap.reader);
}

/* retained-by.c - `heapwalk retained-by TYPE SNAP`: who keeps the objects of TYPE alive.
 *
 * The objects whose type matches TYPE (an exact name or a glob such as '*Session') are
 * grouped by the shape of their shortest retention path (analysis/groups.h: root, then field
 * and type per step, with indices and addresses masked), biggest retained size first. Each
 * group shows one example object and its full path, which is what one follows in the code.
 * When the snapshot has heap-profiler samples, each group also says where its objects were
 * allocated (analysis/allocsites.h), with the sampling the shares come from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "allocsites.h"
#include "commands.h"
#include "exit.h"
#include "groups.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "select.h"
#include "snapshot.h"
#include "table.h"
#include "units.h"

#define DEFAULT_LIMIT 10

typedef struct matched {
	uint64_t objects, bytes;
	uint64_t unreachable_objects, unreachable_bytes;
} matched;

static matched count_matched(const hw_heap *h, const GArray *members)
{
	matched m = { 0 };

	for (guint i = 0; i < members->len; i++) {
		uint32_t v = g_array_index(members, uint32_t, i);
		uint64_t size = hw_graph_object_size(h->graph, v);
		m.objects++;
		m.bytes += size;
		if (!hw_domtree_reachable(h->dom, v)) {
			m.unreachable_objects++;
			m.unreachable_bytes += size;
		}
	}
	return m;
}

/* Where each shown group's objects were allocated: one summary per group, or NULL when the
 * snapshot has no allocation sites. */
static GPtrArray *group_sites(const hw_heap *h, const hw_allocsites *s, const GPtrArray *groups, guint shown,
                              const GArray *members)
{
	if (!s || !hw_allocsites_available(s))
		return NULL;
	return hw_allocsites_by_group(s, h->paths, groups, shown, &g_array_index(members, uint32_t, 0), members->len);
}

static void print_sites_text(const hw_allocsites *s, const GPtrArray *sums)
{
	printf("\nwhere each group was allocated (heap profiler samples):\n");
	for (guint i = 0; i < sums->len; i++) {
		const hw_site_summary *sum = g_ptr_array_index(sums, i);
		g_autofree char *line = hw_allocsites_describe(s, sum, 3);
		g_autofree char *sampling = hw_allocsites_sampling(s, sum->samples);
		if (line)
			printf("  %u. %s; %s\n", i + 1, line, sampling);
		else
			printf("  %u. no sampled allocation among its %" PRIu64 " objects\n", i + 1, sum->members);
	}
}

static void print_text(const hw_heap *h, const char *pattern, const matched *m, const GPtrArray *groups, guint shown,
                       const hw_allocsites *s, const GPtrArray *sums)
{
	g_autoptr(hw_table) t = hw_table_new("rrrrll", "#", "OBJECTS", "BYTES", "RETAINED", "EXAMPLE", "PATH");
	char b1[HW_UNITS_BUF], b2[HW_UNITS_BUF];

	printf("%" PRIu64 " objects (%s) of types matching '%s'; %" PRIu64 " unreachable (%s)\n\n",
	       m->objects, hw_units_bytes(b1, m->bytes), pattern, m->unreachable_objects,
	       hw_units_bytes(b2, m->unreachable_bytes));
	for (guint i = 0; i < shown; i++) {
		const hw_group *g = g_ptr_array_index(groups, i);
		hw_table_cell(t, "%u", i + 1);
		hw_table_cell(t, "%" PRIu64, g->count);
		hw_table_bytes(t, g->bytes);
		hw_table_bytes(t, g->retained);
		hw_table_cell(t, "0x%llx", (unsigned long long)hw_graph_object(h->graph, g->example).addr);
		hw_table_name(t, g->signature, strlen(g->signature));
	}
	hw_table_print(t, stdout);
	if (shown < groups->len)
		printf("... %u more paths (--limit 0 shows all)\n", groups->len - shown);
	if (sums)
		print_sites_text(s, sums);
	if (shown > 0) {
		const hw_group *g = g_ptr_array_index(groups, 0);
		hw_path path;
		if (hw_path_find(h->paths, g->example, &path)) {
			printf("\nthe biggest group's example, 0x%llx:\n",
			       (unsigned long long)hw_graph_object(h->graph, g->example).addr);
			hw_heap_print_path(stdout, h, &path);
			hw_path_clear(&path);
		}
	}
}

/* "alloc_sites": {"samples", "sampling", "sites": [{func, file, line, samples, bytes, share}]} */
static void json_sites(hw_json *j, const hw_allocsites *s, const hw_site_summary *sum)
{
	g_autofree char *sampling = hw_allocsites_sampling(s, sum->samples);
	hw_json_key(j, "alloc_sites");
	hw_json_begin_object(j);
	hw_json_key(j, "samples");
	hw_json_u64(j, sum->samples);
	hw_json_key(j, "rate");
	hw_json_u64(j, hw_allocsites_rate(s));
	hw_json_key(j, "sampling");
	hw_json_string(j, sampling);
	hw_json_key(j, "sites");
	hw_json_begin_array(j);
	for (uint32_t k = 0; k < sum->n_sites; k++) {
		hw_site site = hw_allocsites_site(s, sum->sites[k].site);
		hw_json_begin_object(j);
		hw_heap_json_site(j, site.func, site.func_len, site.file, site.file_len, site.line,
		                  sum->sites[k].samples, sum->sites[k].bytes);
		hw_json_key(j, "share");
		hw_json_double(j, sum->sites[k].share);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void print_json(const hw_heap *h, const char *pattern, const matched *m, const GPtrArray *groups,
                       guint shown, gint64 limit, const hw_allocsites *s, const GPtrArray *sums)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/retained-by/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "pattern");
	hw_json_string(j, pattern);
	hw_json_key(j, "limit");
	hw_json_u64(j, (uint64_t)limit);
	hw_json_key(j, "matched");
	hw_json_begin_object(j);
	hw_json_key(j, "objects");
	hw_json_u64(j, m->objects);
	hw_json_key(j, "bytes");
	hw_json_u64(j, m->bytes);
	hw_json_key(j, "unreachable_objects");
	hw_json_u64(j, m->unreachable_objects);
	hw_json_key(j, "unreachable_bytes");
	hw_json_u64(j, m->unreachable_bytes);
	hw_json_end_object(j);
	hw_json_key(j, "total_groups");
	hw_json_u64(j, groups->len);
	hw_json_key(j, "groups");
	hw_json_begin_array(j);
	for (guint i = 0; i < shown; i++) {
		const hw_group *g = g_ptr_array_index(groups, i);
		hw_path path;
		hw_json_begin_object(j);
		hw_json_key(j, "signature");
		hw_json_string(j, g->signature);
		hw_json_key(j, "objects");
		hw_json_u64(j, g->count);
		hw_json_key(j, "bytes");
		hw_json_u64(j, g->bytes);
		hw_json_key(j, "retained");
		hw_json_u64(j, g->retained);
		hw_json_key(j, "example");
		hw_json_addr(j, hw_graph_object(h->graph, g->example).addr);
		hw_json_key(j, "example_path");
		hw_json_begin_object(j);
		if (hw_path_find(h->paths, g->example, &path)) {
			hw_heap_json_path(j, h, &path);
			hw_path_clear(&path);
		}
		hw_json_end_object(j);
		if (sums)
			json_sites(j, s, g_ptr_array_index(sums, i));
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

int hw_cmd_retained_by(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(GArray) members = NULL;
	g_autoptr(GPtrArray) groups = NULL;
	g_autoptr(GPtrArray) sums = NULL;
	g_autoptr(hw_allocsites) sites = NULL;
	g_autoptr(GError) error = NULL;
	gint64 limit = DEFAULT_LIMIT;
	const char *pattern;
	matched m;
	int status;
	const GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Show the N biggest paths (default 10; 0: all)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "TYPE is a type name as the runtime prints it, or a glob ('*' and '?'):\n"
	                  "quote it for the shell. Exits with status 1 if no object's type matches.\n"
	                  "Example:\n  heapwalk retained-by '*Session' app.hwd --limit 5\n",
	                  2, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--limit", limit, 0, &status))
		return status;
	pattern = argv[1];
	if (!hw_heap_open(&heap, &cli, argv[2], HW_HEAP_DOMTREE | HW_HEAP_PATHS, &status))
		return status;
	members = hw_select_by_type_glob(heap.graph, pattern);
	if (members->len == 0) {
		fprintf(stderr, "heapwalk retained-by: no object's type matches '%s' in %s\n", pattern, heap.path);
		hw_snapshot_status(&cli, heap.reader);
		return HW_EXIT_ERROR;
	}
	m = count_matched(&heap, members);
	groups = hw_groups_compute(heap.dom, heap.paths, &g_array_index(members, uint32_t, 0), members->len, &error);
	if (!groups)
		return hw_cli_fail(&cli, error);

	guint shown = limit == 0 || (guint64)limit > groups->len ? groups->len : (guint)limit;
	if (!(sites = hw_allocsites_new(heap.graph, &error)))
		return hw_cli_fail(&cli, error);
	sums = group_sites(&heap, sites, groups, shown, members);
	if (cli.format == HW_FORMAT_JSON)
		print_json(&heap, pattern, &m, groups, shown, limit, sites, sums);
	else
		print_text(&heap, pattern, &m, groups, shown, sites, sums);
	return hw_snapshot_status(&cli, heap.reader);
}

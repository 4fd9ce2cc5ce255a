/* path.c - `heapwalk path ADDR SNAP`: how a GC root reaches one object.
 *
 * ADDR may point anywhere inside the object (an interior pointer from a debugger or a log);
 * the object containing it is looked up and the shortest retention path to it printed, from
 * the root to the object, with the field or offset each step goes through. Paths follow the
 * rule of analysis/paths.h (fewest finalizer edges, then fewest edges). When the heap
 * profiler sampled the object, where it was allocated follows (analysis/allocsites.h).
 */
#include <stdio.h>

#include "allocsites.h"
#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "paths.h"
#include "snapshot.h"

/* Where object v was allocated, as one line; NULL when the snapshot has no allocation sites. */
static char *site_line(const hw_allocsites *s, uint32_t v)
{
	if (!hw_allocsites_available(s))
		return NULL;
	g_autoptr(hw_site_summary) sum = hw_allocsites_summarize(s, &v, 1);
	g_autofree char *line = hw_allocsites_describe(s, sum, 0);
	g_autofree char *sampling = hw_allocsites_sampling(s, sum->samples);
	if (!line)
		return g_strdup_printf("not sampled by the heap profiler (MemProfileRate %" G_GUINT64_FORMAT
		                       "; 1 samples every allocation)", hw_allocsites_rate(s));
	return g_strdup_printf("%s; %s", line, sampling);
}

static void print_json(const hw_heap *h, const char *query, uint32_t v, uint64_t addr, const hw_path *path,
                       const char *site)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/path/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "query");
	hw_json_string(j, query);
	hw_json_key(j, "object");
	hw_json_begin_object(j);
	hw_heap_json_object(j, h, v);
	hw_json_key(j, "offset");
	hw_json_u64(j, addr - hw_graph_object(h->graph, v).addr);
	if (site) {
		hw_json_key(j, "allocated");
		hw_json_string(j, site);
	}
	hw_json_end_object(j);
	hw_heap_json_path(j, h, path);
	hw_json_end_object(j);
}

int hw_cmd_path(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	hw_path path = { 0 };
	g_autoptr(hw_allocsites) sites = NULL;
	g_autoptr(GError) error = NULL;
	uint64_t addr;
	uint32_t v;
	int status;

	if (!hw_cli_parse(&cli, NULL,
	                  "ADDR is hexadecimal, with or without 0x, and may point inside the object.\n"
	                  "Exits with status 1 if no object contains ADDR or no root reaches it.\n"
	                  "Example:\n  heapwalk path 0xc000123450 app.hwd\n",
	                  2, &argc, &argv, &status))
		return status;
	if (!hw_cli_parse_addr(argv[1], &addr))
		return hw_cli_usage(&cli, "'%s' is not a hexadecimal address", argv[1]);
	if (!hw_heap_open(&heap, &cli, argv[2], HW_HEAP_PATHS, &status))
		return status;
	v = hw_heap_find(&heap, addr);
	if (v == HW_NONE) {
		fprintf(stderr, "heapwalk path: no object contains address 0x%llx in %s\n", (unsigned long long)addr, heap.path);
		hw_snapshot_status(&cli, heap.reader);
		return HW_EXIT_ERROR;
	}
	if (!hw_path_find(heap.paths, v, &path)) {
		uint32_t len;
		const char *name = hw_heap_type_name(&heap, v, &len);
		fprintf(stderr, "heapwalk path: the object at 0x%llx (%.*s, %llu bytes) is unreachable: no GC root "
		        "keeps it alive (garbage not yet collected)\n",
		        (unsigned long long)hw_graph_object(heap.graph, v).addr, (int)len, name,
		        (unsigned long long)hw_graph_object_size(heap.graph, v));
		hw_snapshot_status(&cli, heap.reader);
		return HW_EXIT_ERROR;
	}
	if (!(sites = hw_allocsites_new(heap.graph, &error))) {
		hw_path_clear(&path);
		return hw_cli_fail(&cli, error);
	}
	g_autofree char *site = site_line(sites, v);
	if (cli.format == HW_FORMAT_JSON) {
		print_json(&heap, argv[1], v, addr, &path, site);
	} else {
		hw_heap_print_path(stdout, &heap, &path);
		if (site)
			printf("\n%s\n", site);
	}
	hw_path_clear(&path);
	return hw_snapshot_status(&cli, heap.reader);
}

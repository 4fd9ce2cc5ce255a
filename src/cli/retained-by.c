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

/* A glob often matches more types than meant (in Go, '*Session' also matches
 * map[string]*main.Session and []*main.Session), and a matched container that dominates the
 * other members shows their groups with 0 B retained; listing the types matched, biggest first,
 * makes that visible and gives the exact names to ask for instead. */
#define TYPES_SHOWN 6

typedef struct matched_type {
	const char *name;       /* the graph's bytes, not NUL-terminated */
	uint32_t len;
	uint64_t objects, bytes;
} matched_type;

typedef struct matched {
	uint64_t objects, bytes;
	uint64_t unreachable_objects, unreachable_bytes;
	GArray *types;          /* matched_type, by bytes then objects, descending; one per name */
} matched;

static void matched_clear(matched *m)
{
	g_clear_pointer(&m->types, g_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(matched, matched_clear)

static gint by_bytes_desc(gconstpointer a, gconstpointer b)
{
	const matched_type *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->objects != y->objects)
		return x->objects < y->objects ? 1 : -1;
	return 0;
}

static void count_matched(const hw_heap *h, const GArray *members, matched *m)
{
	/* Type ids are few next to objects: count per id, then merge ids that share a name. */
	g_autoptr(GHashTable) by_id = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	*m = (matched){ .types = g_array_new(FALSE, FALSE, sizeof(matched_type)) };
	for (guint i = 0; i < members->len; i++) {
		uint32_t v = g_array_index(members, uint32_t, i);
		hwd_object o = hw_graph_object(h->graph, v);
		m->objects++;
		m->bytes += o.size;
		if (!hw_domtree_reachable(h->dom, v)) {
			m->unreachable_objects++;
			m->unreachable_bytes += o.size;
		}
		matched_type *t = g_hash_table_lookup(by_id, GUINT_TO_POINTER(o.type + 1));
		if (!t) {
			t = g_new0(matched_type, 1);
			t->name = hw_graph_type_name(h->graph, o.type, &t->len);
			g_hash_table_insert(by_id, GUINT_TO_POINTER(o.type + 1), t);
		}
		t->objects++;
		t->bytes += o.size;
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, by_id);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const matched_type *t = value;
		char *name = g_strndup(t->name, t->len);
		gpointer at = g_hash_table_lookup(by_name, name);
		if (at) {
			matched_type *same = &g_array_index(m->types, matched_type, GPOINTER_TO_UINT(at) - 1);
			same->objects += t->objects;
			same->bytes += t->bytes;
			g_free(name);
			continue;
		}
		g_array_append_val(m->types, *t);
		g_ptr_array_add(names, name);
		g_hash_table_insert(by_name, name, GUINT_TO_POINTER(m->types->len));
	}
	g_array_sort(m->types, by_bytes_desc);
}

static void print_types_text(const matched *m)
{
	char b[HW_UNITS_BUF];

	if (m->types->len < 2)
		return;
	printf("%u types match:", m->types->len);
	for (guint i = 0; i < m->types->len && i < TYPES_SHOWN; i++) {
		const matched_type *t = &g_array_index(m->types, matched_type, i);
		printf("%s %.*s %" PRIu64 " (%s)", i ? "," : "", (int)t->len, t->name, t->objects, hw_units_bytes(b, t->bytes));
	}
	if (m->types->len > TYPES_SHOWN)
		printf(", and %u more", m->types->len - TYPES_SHOWN);
	printf("\n(a matched object dominated by another adds no retained bytes; name one type to see it alone)\n\n");
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
	print_types_text(m);
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
	hw_json_key(j, "types");
	hw_json_begin_array(j);
	for (guint i = 0; i < m->types->len; i++) {
		const matched_type *t = &g_array_index(m->types, matched_type, i);
		g_autofree char *name = g_strndup(t->name, t->len);
		hw_json_begin_object(j);
		hw_json_key(j, "name");
		hw_json_string(j, name);
		hw_json_key(j, "objects");
		hw_json_u64(j, t->objects);
		hw_json_key(j, "bytes");
		hw_json_u64(j, t->bytes);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
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
	g_auto(matched) m = { 0 };
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
	count_matched(&heap, members, &m);
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

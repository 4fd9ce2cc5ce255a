/* sites.c - `heapwalk sites SNAP`: the live heap by allocation site, each split by what
 * retains it.
 *
 * Like `go tool pprof -sample_index=inuse_space -top` on a heap profile of the same moment
 * (the sites come from the same heap-profiler samples, analysis/allocsites.h), with one more
 * dimension: the sampled objects of every site are grouped by the shape of their shortest
 * retention path (analysis/groups.h signatures), so a site's bytes are split among the roots
 * and structures that keep them (runs of one repeated step folded, so that a list is one
 * retainer). Objects no root reaches are their own group (garbage not
 * yet collected). Every share is printed with the sampling it comes from.
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
#include "snapshot.h"
#include "table.h"
#include "units.h"

#define DEFAULT_LIMIT 20
#define DEFAULT_RETAINERS 3
#define UNREACHABLE "(unreachable: garbage not yet collected)"

/* One (site, retainer) cell, and the per-site totals. */
typedef struct cell {
	uint32_t site, sig;
	uint64_t samples, bytes;
	double est;
} cell;

typedef struct site_row {
	uint32_t site;
	uint64_t samples, bytes;
	double est;
	GArray *cells;             /* cell, sorted by est */
} site_row;

typedef struct sites_table {
	GPtrArray *sigs;           /* signature strings by id (owned) */
	GArray *rows;              /* site_row, sorted by est */
	uint64_t samples;
	double est;
} sites_table;

typedef struct collect {
	const hw_allocsites *s;
	GHashTable *cells;         /* (site << 32 | sig) -> cell* */
	uint32_t sig;
} collect;

static void add_sample(uint32_t site, uint64_t size, void *user)
{
	collect *c = user;
	guint64 key = (guint64)site << 32 | c->sig;
	cell *x = g_hash_table_lookup(c->cells, &key);
	if (!x) {
		x = g_new0(cell, 1);
		x->site = site;
		x->sig = c->sig;
		g_hash_table_insert(c->cells, g_memdup2(&key, sizeof key), x);
	}
	x->samples++;
	x->bytes += size;
	x->est += hw_allocsites_weight(size, hw_allocsites_rate(c->s));
}

static int cell_cmp(gconstpointer a, gconstpointer b)
{
	const cell *x = a, *y = b;
	if (x->est != y->est)
		return x->est > y->est ? -1 : 1;
	return (x->sig > y->sig) - (x->sig < y->sig);
}

static int row_cmp(gconstpointer a, gconstpointer b)
{
	const site_row *x = a, *y = b;
	if (x->est != y->est)
		return x->est > y->est ? -1 : 1;
	return (x->site > y->site) - (x->site < y->site);
}

/* A signature with runs of the same step folded into one ("Next main.Node -> Next main.Node
 * -> ..." becomes "Next main.Node (repeated)"), so that the nodes of one list are one retainer
 * however deep each lies. Takes sig. */
static char *fold_repeats(char *sig)
{
	gchar **parts = g_strsplit(sig, " -> ", -1);
	GString *b = g_string_new(NULL);
	for (guint i = 0; parts[i]; i++) {
		if (i && strcmp(parts[i], parts[i - 1]) == 0) {
			if (strcmp(parts[i + 1] ? parts[i + 1] : "", parts[i]) != 0)
				g_string_append(b, " (repeated)");
			continue;
		}
		g_string_append_printf(b, "%s%s", i ? " -> " : "", parts[i]);
	}
	g_strfreev(parts);
	g_free(sig);
	return g_string_free(b, FALSE);
}

/* Every object with samples: its retention signature, then its samples into the cells. */
static void build(const hw_heap *h, const hw_allocsites *s, sites_table *t)
{
	GHashTable *sig_ids = g_hash_table_new(g_str_hash, g_str_equal);
	collect c = { s, g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free), 0 };
	uint32_t n = hw_graph_n_objects(h->graph);
	const hwd_reader *r = h->reader;

	t->sigs = g_ptr_array_new_with_free_func(g_free);
	for (uint32_t v = 0; v < n; v++) {
		if (!hwd_reader_alloc_samples_of(r, v, NULL))
			continue;
		char *sig = hw_groups_signature(h->graph, h->paths, v);
		sig = sig ? fold_repeats(sig) : g_strdup(UNREACHABLE);
		gpointer id;
		if (g_hash_table_lookup_extended(sig_ids, sig, NULL, &id)) {
			g_free(sig);
		} else {
			id = GUINT_TO_POINTER(t->sigs->len);
			g_ptr_array_add(t->sigs, sig);
			g_hash_table_insert(sig_ids, sig, id);
		}
		c.sig = GPOINTER_TO_UINT(id);
		hw_allocsites_object(s, v, add_sample, &c);
	}
	g_hash_table_destroy(sig_ids);

	/* Cells into rows: one row per site, its cells sorted. */
	GHashTable *row_of = g_hash_table_new(g_direct_hash, g_direct_equal);
	GHashTableIter it;
	gpointer k, val;
	t->rows = g_array_new(FALSE, FALSE, sizeof(site_row));
	g_hash_table_iter_init(&it, c.cells);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		cell *x = val;
		gpointer ri;
		if (!g_hash_table_lookup_extended(row_of, GUINT_TO_POINTER(x->site), NULL, &ri)) {
			site_row row = { x->site, 0, 0, 0, g_array_new(FALSE, FALSE, sizeof(cell)) };
			ri = GUINT_TO_POINTER(t->rows->len);
			g_array_append_val(t->rows, row);
			g_hash_table_insert(row_of, GUINT_TO_POINTER(x->site), ri);
		}
		site_row *row = &g_array_index(t->rows, site_row, GPOINTER_TO_UINT(ri));
		row->samples += x->samples;
		row->bytes += x->bytes;
		row->est += x->est;
		t->samples += x->samples;
		t->est += x->est;
		g_array_append_val(row->cells, *x);
	}
	g_hash_table_destroy(row_of);
	g_hash_table_destroy(c.cells);
	for (guint i = 0; i < t->rows->len; i++)
		g_array_sort(g_array_index(t->rows, site_row, i).cells, cell_cmp);
	g_array_sort(t->rows, row_cmp);
}

static void sites_table_clear(sites_table *t)
{
	for (guint i = 0; t->rows && i < t->rows->len; i++)
		g_array_unref(g_array_index(t->rows, site_row, i).cells);
	if (t->rows)
		g_array_unref(t->rows);
	if (t->sigs)
		g_ptr_array_unref(t->sigs);
}

static uint64_t est_u64(double v) { return v > 0 ? (uint64_t)(v + 0.5) : 0; }

static void print_text(const hw_heap *h, const hw_allocsites *s, const sites_table *t, guint shown,
                       guint retainers)
{
	char b1[HW_UNITS_BUF];
	g_autofree char *sampling = hw_allocsites_sampling(s, t->samples);
	g_autoptr(hw_table) tab = hw_table_new("rrrl", "INUSE", "SHARE", "SAMPLES", "SITE / RETAINED BY");

	printf("%s: %s in use from %u allocation sites; %s\n\n", h->path, hw_units_bytes(b1, est_u64(t->est)),
	       t->rows->len, sampling);
	for (guint i = 0; i < shown; i++) {
		const site_row *row = &g_array_index(t->rows, site_row, i);
		g_autofree char *name = hw_allocsites_site_name(s, row->site);
		hw_table_bytes(tab, est_u64(row->est));
		hw_table_cell(tab, "%.1f%%", t->est > 0 ? 100 * row->est / t->est : 0);
		hw_table_cell(tab, "%" PRIu64, row->samples);
		hw_table_name(tab, name, strlen(name));
		guint nc = retainers == 0 || retainers > row->cells->len ? row->cells->len : retainers;
		for (guint k = 0; k < nc; k++) {
			const cell *x = &g_array_index(row->cells, cell, k);
			const char *sig = g_ptr_array_index(t->sigs, x->sig);
			g_autofree char *indented = g_strconcat("  ", sig, NULL);
			hw_table_bytes(tab, est_u64(x->est));
			hw_table_cell(tab, "%.1f%%", row->est > 0 ? 100 * x->est / row->est : 0);
			hw_table_cell(tab, "%" PRIu64, x->samples);
			hw_table_name(tab, indented, strlen(indented));
		}
		if (nc < row->cells->len) {
			hw_table_cell(tab, "%s", "");
			hw_table_cell(tab, "%s", "");
			hw_table_cell(tab, "%s", "");
			hw_table_cell(tab, "  ... %u more retainers", row->cells->len - nc);
		}
	}
	hw_table_print(tab, stdout);
	if (shown < t->rows->len)
		printf("... %u more sites (--limit 0 shows all)\n", t->rows->len - shown);
	printf("(SHARE of a site: of all sampled bytes; of a retainer: of its site's)\n");
}

static void print_json(const hw_heap *h, const hw_allocsites *s, const sites_table *t, guint shown)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);
	g_autofree char *sampling = hw_allocsites_sampling(s, t->samples);

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/sites/1");
	hw_snapshot_json(j, h->path, h->reader);
	hw_json_key(j, "rate");
	hw_json_u64(j, hw_allocsites_rate(s));
	hw_json_key(j, "samples");
	hw_json_u64(j, t->samples);
	hw_json_key(j, "est_bytes");
	hw_json_double(j, t->est);
	hw_json_key(j, "sampling");
	hw_json_string(j, sampling);
	hw_json_key(j, "total_sites");
	hw_json_u64(j, t->rows->len);
	hw_json_key(j, "sites");
	hw_json_begin_array(j);
	for (guint i = 0; i < shown; i++) {
		const site_row *row = &g_array_index(t->rows, site_row, i);
		hw_site site = hw_allocsites_site(s, row->site);
		hw_json_begin_object(j);
		hw_heap_json_site(j, site.func, site.func_len, site.file, site.file_len, site.line,
		                  row->samples, row->bytes);
		hw_json_key(j, "est_bytes");
		hw_json_double(j, row->est);
		hw_json_key(j, "share");
		hw_json_double(j, t->est > 0 ? row->est / t->est : 0);
		hw_json_key(j, "retainers");
		hw_json_begin_array(j);
		for (guint k = 0; k < row->cells->len; k++) {
			const cell *x = &g_array_index(row->cells, cell, k);
			hw_json_begin_object(j);
			hw_json_key(j, "signature");
			hw_json_string(j, g_ptr_array_index(t->sigs, x->sig));
			hw_json_key(j, "samples");
			hw_json_u64(j, x->samples);
			hw_json_key(j, "bytes");
			hw_json_u64(j, x->bytes);
			hw_json_key(j, "est_bytes");
			hw_json_double(j, x->est);
			hw_json_key(j, "share");
			hw_json_double(j, row->est > 0 ? x->est / row->est : 0);
			hw_json_end_object(j);
		}
		hw_json_end_array(j);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

int hw_cmd_sites(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(hw_allocsites) sites = NULL;
	g_autoptr(GError) error = NULL;
	gint64 limit = DEFAULT_LIMIT, retainers = DEFAULT_RETAINERS;
	sites_table t = { 0 };
	int status;
	const GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Show the N biggest sites (default 20; 0: all)", "N" },
		{ "retainers", 'r', 0, G_OPTION_ARG_INT64, &retainers,
		  "Show the N biggest retainers of each site in text (default 3; 0: all)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "The sites are the heap profiler's (Go: runtime.MemProfileRate, one sample per\n"
	                  "512 KiB by default): set the rate to 1 in the target for exact numbers.\n"
	                  "Exits with status 1 if the snapshot has no allocation sites.\n"
	                  "Example:\n  heapwalk sites app.hwd --limit 5\n",
	                  1, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--limit", limit, 0, &status) ||
	    !hw_cli_check_min(&cli, "--retainers", retainers, 0, &status))
		return status;
	if (!hw_heap_open(&heap, &cli, argv[1], HW_HEAP_PATHS, &status))
		return status;
	if (!(sites = hw_allocsites_new(heap.graph, &error)))
		return hw_cli_fail(&cli, error);
	if (!hw_allocsites_available(sites)) {
		const char *why = NULL;
		uint32_t len = 0;
		hwd_reader_meta_str(heap.reader, "memprof.note", &why, &len);
		fprintf(stderr, "heapwalk sites: %s has no allocation sites%s%.*s\n", heap.path,
		        why ? ": " : " (the heap profiler was off, or the producer does not record them)",
		        (int)len, why ? why : "");
		hw_snapshot_status(&cli, heap.reader);
		return HW_EXIT_ERROR;
	}
	build(&heap, sites, &t);
	guint shown = limit == 0 || (guint64)limit > t.rows->len ? t.rows->len : (guint)limit;
	if (cli.format == HW_FORMAT_JSON)
		print_json(&heap, sites, &t, shown);
	else
		print_text(&heap, sites, &t, shown, (guint)retainers);
	sites_table_clear(&t);
	return hw_snapshot_status(&cli, heap.reader);
}

/* leaks.c - `heapwalk leaks SNAP [SNAP...]`: what leaks, how much it holds, where to look.
 *
 * One snapshot: the single-snapshot rules (many long-blocked goroutines, a dominator holding
 * a large share of the heap, listeners holding much). Several snapshots of one program,
 * oldest first: the growth rules. The analysis is analysis/findings.h; this file parses the
 * threshold flags, walks the series one snapshot at a time, and prints the findings. Exit
 * status 0 whether or not something was found (`heapwalk report --fail-on` is for gating).
 * The last snapshot is summarised with its allocation sites, so that each finding says where
 * what it holds was allocated, always beside the sampling the shares come from.
 */
#include "leaks.h"

#include <inttypes.h>
#include <string.h>

#include "allocsites.h"
#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "progress.h"
#include "snapshot.h"
#include "units.h"

void hw_leaks_flags_init(hw_leaks_flags *f)
{
	memset(f, 0, sizeof *f);
	hw_leak_thresholds_init(&f->t);
	f->long_wait_s = (double)f->t.goroutine_long_wait_ns / 1e9;
}

void hw_leaks_flags_clear(hw_leaks_flags *f)
{
	g_clear_pointer(&f->entries, g_free);
}

const GOptionEntry *hw_leaks_flags_entries_with(hw_leaks_flags *f, const GOptionEntry *own)
{
	hw_leak_thresholds *t = &f->t;
	/* uint64_t fields are read as gint64 (same size); hw_leaks_flags_check refuses negatives. */
	const GOptionEntry flags[] = {
		{ "growth-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &t->growth_ratio, "Least relative growth over a series (default 0.10)", "R" },
		{ "growth-rising", 0, 0, G_OPTION_ARG_DOUBLE, &t->growth_rising_fraction, "Share of steps that must rise (default 0.5)", "F" },
		{ "goroutine-min-growth", 0, 0, G_OPTION_ARG_INT64, &t->goroutine_min_growth, "Least goroutine growth over a series (default 10)", "N" },
		{ "goroutine-many", 0, 0, G_OPTION_ARG_INT64, &t->goroutine_many, "Single snapshot: blocked goroutines that are many (default 100)", "N" },
		{ "goroutine-long-wait", 0, 0, G_OPTION_ARG_DOUBLE, &f->long_wait_s, "Single snapshot: a long wait, seconds (default 60)", "S" },
		{ "cache-min-entries", 0, 0, G_OPTION_ARG_INT64, &t->cache_min_entries, "Containers with fewer entries are ignored (default 16)", "N" },
		{ "cache-min-growth", 0, 0, G_OPTION_ARG_INT64, &t->cache_min_growth, "Least entry growth over a series (default 64)", "N" },
		{ "cache-min-retained-growth", 0, 0, G_OPTION_ARG_INT64, &t->cache_min_retained_growth, "Least retained growth over a series, bytes (default 1048576)", "BYTES" },
		{ "cache-share", 0, 0, G_OPTION_ARG_DOUBLE, &t->cache_dominator_share, "Single snapshot: heap share of a big dominator (default 0.10)", "F" },
		{ "cache-accumulation", 0, 0, G_OPTION_ARG_DOUBLE, &t->cache_accumulation, "Descend while the biggest child keeps this share (default 0.70)", "F" },
		{ "listener-min-growth", 0, 0, G_OPTION_ARG_INT64, &t->listener_min_growth, "Least listener growth over a series (default 10)", "N" },
		{ "listener-share", 0, 0, G_OPTION_ARG_DOUBLE, &t->listener_element_share, "Share of entries that make a listener collection (default 0.5)", "F" },
		{ "listener-retained-share", 0, 0, G_OPTION_ARG_DOUBLE, &t->listener_retained_share, "Single snapshot: heap share listeners hold (default 0.05)", "F" },
		{ "severity-high", 0, 0, G_OPTION_ARG_DOUBLE, &t->severity_high_share, "Heap share for high severity (default 0.20)", "F" },
		{ "severity-medium", 0, 0, G_OPTION_ARG_DOUBLE, &t->severity_medium_share, "Heap share for medium severity (default 0.05)", "F" },
	};
	size_t n_own = 0;
	while (own && own[n_own].long_name)
		n_own++;
	g_free(f->entries);
	f->entries = g_new0(GOptionEntry, n_own + G_N_ELEMENTS(flags) + 1);
	if (n_own)
		memcpy(f->entries, own, n_own * sizeof *own);
	memcpy(f->entries + n_own, flags, sizeof flags);
	return f->entries;
}

gboolean hw_leaks_flags_check(const hw_cli *cli, hw_leaks_flags *f, int *status)
{
	const struct { const char *name; double v; } fractions[] = {
		{ "--growth-rising", f->t.growth_rising_fraction }, { "--cache-share", f->t.cache_dominator_share },
		{ "--cache-accumulation", f->t.cache_accumulation }, { "--listener-share", f->t.listener_element_share },
		{ "--listener-retained-share", f->t.listener_retained_share }, { "--severity-high", f->t.severity_high_share },
		{ "--severity-medium", f->t.severity_medium_share },
	};
	const struct { const char *name; uint64_t v; } counts[] = {
		{ "--goroutine-min-growth", f->t.goroutine_min_growth }, { "--goroutine-many", f->t.goroutine_many },
		{ "--cache-min-entries", f->t.cache_min_entries }, { "--cache-min-growth", f->t.cache_min_growth },
		{ "--cache-min-retained-growth", f->t.cache_min_retained_growth },
		{ "--listener-min-growth", f->t.listener_min_growth },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(fractions); i++) {
		if (!(fractions[i].v >= 0.0 && fractions[i].v <= 1.0)) {
			*status = hw_cli_usage(cli, "%s must be between 0 and 1, not %g", fractions[i].name, fractions[i].v);
			return FALSE;
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(counts); i++)
		if (!hw_cli_check_min(cli, counts[i].name, (gint64)counts[i].v, 0, status))
			return FALSE;
	if (!(f->t.growth_ratio >= 0.0 && f->t.growth_ratio <= 1e6)) {
		*status = hw_cli_usage(cli, "--growth-ratio must be between 0 and 1000000, not %g", f->t.growth_ratio);
		return FALSE;
	}
	if (!(f->long_wait_s >= 0.0 && f->long_wait_s <= 9.2e9)) {
		*status = hw_cli_usage(cli, "--goroutine-long-wait must be a number of seconds >= 0, not %g", f->long_wait_s);
		return FALSE;
	}
	f->t.goroutine_long_wait_ns = (int64_t)(f->long_wait_s * 1e9);
	return TRUE;
}

GPtrArray *hw_leaks_collect(const hw_cli *cli, char **paths, int n, const hw_leak_thresholds *t,
                            gboolean *partial, int *status)
{
	g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)hw_leak_summary_free);
	*partial = FALSE;
	for (int i = 0; i < n; i++) {
		g_auto(hw_heap) heap = { 0 };
		g_autoptr(GError) error = NULL;
		if (!hw_heap_open(&heap, cli, paths[i], HW_HEAP_DOMTREE | HW_HEAP_PATHS, status))
			return NULL;
		/* Findings show where their objects were allocated in the last snapshot. */
		g_autoptr(hw_allocsites) sites = NULL;
		if (i == n - 1 && !(sites = hw_allocsites_new(heap.graph, &error))) {
			*status = hw_cli_fail(cli, error);
			return NULL;
		}
		g_autoptr(hw_progress) progress = hw_progress_new();
		hw_leak_summary *s = hw_leak_summary_compute(heap.dom, heap.paths, sites, t, hw_progress_report, progress,
		                                             &error);
		if (!s) {
			g_clear_pointer(&progress, hw_progress_free);
			g_prefix_error(&error, "%s: ", paths[i]);
			*status = hw_cli_fail(cli, error);
			return NULL;
		}
		if (hwd_reader_damage(heap.reader)->partial) {
			*partial = TRUE;
			hw_snapshot_status(cli, heap.reader);   /* says what was lost, now */
		}
		g_ptr_array_add(series, s);
	}
	return hw_leaks_detect((hw_leak_summary *const *)series->pdata, series->len, t);
}

/* ---- output -------------------------------------------------------------------------------- */

static void json_location(hw_json *j, const char *key, const hw_location *l)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "func");
	hw_json_string(j, l->func ? l->func : "");
	hw_json_key(j, "file");
	hw_json_string(j, l->file ? l->file : "");
	hw_json_key(j, "line");
	hw_json_u64(j, l->line);
	hw_json_end_object(j);
}

/* "alloc_sites": as retained-by's (docs/json-schema.md), of the finding's objects. */
static void json_sites(hw_json *j, const hw_finding_sites *x)
{
	hw_json_key(j, "alloc_sites");
	hw_json_begin_object(j);
	hw_json_key(j, "objects");
	hw_json_u64(j, x->objects);
	hw_json_key(j, "sampled_objects");
	hw_json_u64(j, x->sampled_objects);
	hw_json_key(j, "samples");
	hw_json_u64(j, x->samples);
	hw_json_key(j, "rate");
	hw_json_u64(j, x->rate);
	hw_json_key(j, "sampling");
	hw_json_string(j, x->sampling);
	hw_json_key(j, "sites");
	hw_json_begin_array(j);
	for (guint i = 0; i < x->sites->len; i++) {
		const hw_finding_site *s = &g_array_index(x->sites, hw_finding_site, i);
		hw_json_begin_object(j);
		hw_heap_json_site(j, s->at.func, strlen(s->at.func), s->at.file, strlen(s->at.file), s->at.line,
		                  s->samples, s->bytes);
		hw_json_key(j, "share");
		hw_json_double(j, s->share);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void json_u64s(hw_json *j, const char *key, const uint64_t *v, guint n)
{
	hw_json_key(j, key);
	hw_json_begin_array(j);
	for (guint i = 0; i < n; i++)
		hw_json_u64(j, v ? v[i] : 0);
	hw_json_end_array(j);
}

void hw_leaks_json_finding(hw_json *j, const hw_finding *f)
{
	hw_json_begin_object(j);
	hw_json_key(j, "kind");
	hw_json_string(j, hw_finding_kind_name(f->kind));
	hw_json_key(j, "severity");
	hw_json_string(j, hw_severity_name(f->severity));
	hw_json_key(j, "key");
	hw_json_string(j, f->key);
	hw_json_key(j, "title");
	hw_json_string(j, f->title);
	hw_json_key(j, "signature");
	hw_json_string(j, f->signature);
	hw_json_key(j, "count");
	hw_json_u64(j, f->count);
	hw_json_key(j, "bytes");
	hw_json_u64(j, f->bytes_last);
	hw_json_key(j, "retained");
	hw_json_u64(j, f->retained_last);
	hw_json_key(j, "heap_share");
	hw_json_double(j, f->heap_share);
	hw_json_key(j, "growth_per_snapshot");
	hw_json_double(j, f->growth);
	hw_json_key(j, "retained_growth_per_snapshot");
	hw_json_double(j, f->retained_growth);
	json_u64s(j, "counts", f->counts, f->n_snapshots);
	json_u64s(j, "bytes_series", f->bytes, f->n_snapshots);
	json_u64s(j, "retained_series", f->retained, f->n_snapshots);
	hw_json_key(j, "path");
	hw_json_begin_object(j);
	hw_json_key(j, "root");
	hw_json_begin_object(j);
	hw_json_key(j, "kind");
	hw_json_string(j, hw_root_kind_name(f->path.root.kind));
	hw_json_key(j, "name");
	hw_json_string(j, f->path.root.name ? f->path.root.name : "");
	hw_json_key(j, "type");
	hw_json_string(j, f->path.root.type ? f->path.root.type : "");
	hw_json_key(j, "addr");
	hw_json_addr(j, f->path.root.addr);
	if (f->path.root.kind == HWD_ROOT_STACK) {
		hw_json_key(j, "goroutine");
		hw_json_u64(j, f->path.root.goroutine_id);
		json_location(j, "frame", &f->path.root.frame);
	}
	hw_json_end_object(j);
	hw_json_key(j, "steps");
	hw_json_begin_array(j);
	for (guint i = 0; f->path.steps && i < f->path.steps->len; i++) {
		const hw_finding_step *s = &g_array_index(f->path.steps, hw_finding_step, i);
		hw_json_begin_object(j);
		hw_json_key(j, "label");
		hw_json_string(j, s->label);
		hw_json_key(j, "type");
		hw_json_string(j, s->type);
		hw_json_key(j, "addr");
		hw_json_addr(j, s->addr);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
	json_location(j, "look_at", &f->look_at);
	hw_json_key(j, "suggestion");
	hw_json_string(j, f->suggestion);
	json_sites(j, &f->sites);
	switch (f->kind) {
	case HW_FINDING_GOROUTINES:
		hw_json_key(j, "goroutines");
		hw_json_begin_object(j);
		hw_json_key(j, "state");
		hw_json_string(j, f->u.goroutines.state);
		hw_json_key(j, "wait_reason");
		hw_json_string(j, f->u.goroutines.wait_reason);
		hw_json_key(j, "start_func");
		hw_json_string(j, f->u.goroutines.start_func);
		json_location(j, "created_at", &f->u.goroutines.created_at);
		json_location(j, "waits_at", &f->u.goroutines.waits_at);
		hw_json_key(j, "longest_wait_ns");
		hw_json_i64(j, f->u.goroutines.longest_wait_ns);
		hw_json_key(j, "stack_bytes");
		hw_json_u64(j, f->u.goroutines.stack_bytes);
		hw_json_end_object(j);
		break;
	case HW_FINDING_CACHE:
		hw_json_key(j, "cache");
		hw_json_begin_object(j);
		hw_json_key(j, "container_type");
		hw_json_string(j, f->u.cache.container_type);
		json_u64s(j, "entries", f->u.cache.entries, f->n_snapshots);
		hw_json_key(j, "dominator_type");
		hw_json_string(j, f->u.cache.dominator_type);
		hw_json_key(j, "dominator_retained");
		hw_json_u64(j, f->u.cache.dominator_retained);
		hw_json_end_object(j);
		break;
	case HW_FINDING_LISTENERS:
		hw_json_key(j, "listeners");
		hw_json_begin_object(j);
		hw_json_key(j, "collection_type");
		hw_json_string(j, f->u.listeners.collection_type);
		hw_json_key(j, "element");
		hw_json_string(j, f->u.listeners.element);
		json_u64s(j, "entries", f->u.listeners.entries, f->n_snapshots);
		hw_json_key(j, "closure_retained");
		hw_json_u64(j, f->u.listeners.closure_retained);
		hw_json_end_object(j);
		break;
	default:
		break;
	}
	hw_json_end_object(j);
}

static void print_location(FILE *out, const char *what, const hw_location *l)
{
	if (l->file && *l->file)
		fprintf(out, "  %s %s (%s:%u)\n", what, l->func, l->file, l->line);
	else if (l->func && *l->func)
		fprintf(out, "  %s %s\n", what, l->func);
}

void hw_leaks_print_finding(FILE *out, const hw_finding *f, guint number)
{
	char b1[HW_UNITS_BUF], b2[HW_UNITS_BUF];
	fprintf(out, "%u. [%s] %s: %s\n", number, hw_severity_name(f->severity), hw_finding_kind_name(f->kind), f->title);
	fprintf(out, "  count %" PRIu64 ", bytes %s, retained %s (%.1f%% of the heap)", f->count,
	        hw_units_bytes(b1, f->bytes_last), hw_units_bytes(b2, f->retained_last), 100.0 * f->heap_share);
	if (f->n_snapshots > 1) {
		fprintf(out, ", growth %+.1f per snapshot; counts", f->growth);
		for (guint i = 0; i < f->n_snapshots; i++)
			fprintf(out, " %" PRIu64, f->counts[i]);
	}
	fputc('\n', out);
	if (f->kind == HW_FINDING_GOROUTINES) {
		print_location(out, "created at", &f->u.goroutines.created_at);
		print_location(out, "waits at  ", &f->u.goroutines.waits_at);
	} else {
		fprintf(out, "  path: %s", hw_root_kind_name(f->path.root.kind));
		if (f->path.root.kind == HWD_ROOT_STACK)
			fprintf(out, " goroutine %" PRIu64 " %s (%s:%u)", f->path.root.goroutine_id, f->path.root.frame.func,
			        f->path.root.frame.file, f->path.root.frame.line);
		if (f->path.root.name && *f->path.root.name)
			fprintf(out, " %s", f->path.root.name);
		fprintf(out, " %s", f->path.root.type ? f->path.root.type : "");
		for (guint i = 0; f->path.steps && i < f->path.steps->len; i++) {
			const hw_finding_step *s = &g_array_index(f->path.steps, hw_finding_step, i);
			fprintf(out, " -> %s %s", s->label, s->type);
		}
		fputc('\n', out);
		print_location(out, "look at", &f->look_at);
	}
	if (*f->sites.described)
		fprintf(out, "  %s; %s\n", f->sites.described, f->sites.sampling);
	fprintf(out, "  suggestion: %s\n", f->suggestion);
}

int hw_cmd_leaks(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_leaks_flags) flags;
	g_autoptr(GPtrArray) findings = NULL;
	gboolean partial;
	int status;

	hw_leaks_flags_init(&flags);
	if (!hw_cli_parse(&cli, hw_leaks_flags_entries_with(&flags, NULL),
	                  "With one snapshot, reports what one snapshot shows (many long-blocked goroutines,\n"
	                  "a dominator holding a large share of the heap); with several snapshots of the same\n"
	                  "program, oldest first, what grows. docs/findings.md explains every threshold.\n"
	                  "Example:\n  heapwalk leaks t1.hwd t2.hwd t3.hwd\n",
	                  -1, &argc, &argv, &status))
		return status;
	if (!hw_leaks_flags_check(&cli, &flags, &status))
		return status;
	findings = hw_leaks_collect(&cli, argv + 1, argc - 1, &flags.t, &partial, &status);
	if (!findings)
		return status;
	if (cli.format == HW_FORMAT_JSON) {
		g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);
		hw_json_begin_object(j);
		hw_json_key(j, "schema");
		hw_json_string(j, "heapwalk/leaks/1");
		hw_json_key(j, "snapshots");
		hw_json_begin_array(j);
		for (int i = 1; i < argc; i++)
			hw_json_string(j, argv[i]);
		hw_json_end_array(j);
		hw_json_key(j, "partial");
		hw_json_bool(j, partial);
		hw_json_key(j, "findings");
		hw_json_begin_array(j);
		for (guint i = 0; i < findings->len; i++)
			hw_leaks_json_finding(j, g_ptr_array_index(findings, i));
		hw_json_end_array(j);
		hw_json_end_object(j);
	} else if (findings->len == 0) {
		printf("no findings in %d snapshot%s\n", argc - 1, argc == 2 ? "" : "s");
	} else {
		for (guint i = 0; i < findings->len; i++) {
			if (i)
				putchar('\n');
			hw_leaks_print_finding(stdout, g_ptr_array_index(findings, i), i + 1);
		}
	}
	return partial ? HW_EXIT_PARTIAL : HW_EXIT_OK;
}

/* diff.c - `heapwalk diff BASE SNAP`: what grew, by type and by retention-path signature.
 *
 * The comparison is analysis/diff.h; this file loads the two snapshots one after the other
 * (each is summarised, then its graph and analyses are freed, keeping only its reader for the
 * identity match), chooses how objects are matched (--match, by default by identity when both
 * snapshots come from one process) and prints the two tables. Exit status: 0, or 3 when either
 * snapshot was damaged (the numbers then cover what was whole).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diff.h"
#include "exit.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "progress.h"
#include "snapshot.h"
#include "table.h"
#include "units.h"

#define DEFAULT_LIMIT 20

typedef enum { MATCH_AUTO, MATCH_IDENTITY, MATCH_SIGNATURE } match_mode;
static const char *const match_names[] = { "auto", "identity", "signature" };

/* Loads `path`, summarises it, and keeps only its reader in *reader. */
static hw_diff_side *load_side(const hw_cli *cli, const char *path, hwd_reader **reader, int *status)
{
	g_auto(hw_heap) heap = { 0 };
	g_autoptr(GError) error = NULL;
	if (!hw_heap_open(&heap, cli, path, HW_HEAP_DOMTREE | HW_HEAP_PATHS, status))
		return NULL;
	hw_diff_side *side = hw_diff_side_compute(heap.dom, heap.paths, &error);
	if (!side) {
		g_prefix_error(&error, "%s: ", path);
		*status = hw_cli_fail(cli, error);
		return NULL;
	}
	g_clear_pointer(&heap.paths, hw_path_index_free);
	g_clear_pointer(&heap.dom, hw_domtree_free);
	g_clear_pointer(&heap.graph, hw_graph_free);
	*reader = g_steal_pointer(&heap.reader);
	return side;
}

static int64_t delta(const uint64_t v[2])
{
	return (int64_t)(v[1] - v[0]);
}

static const char *status_of(const hw_diff_row *r)
{
	if (hw_diff_row_new(r))
		return "new";
	if (hw_diff_row_vanished(r))
		return "vanished";
	if (r->retained[1] != r->retained[0])
		return r->retained[1] > r->retained[0] ? "grown" : "shrunk";
	if (r->bytes[1] != r->bytes[0])
		return r->bytes[1] > r->bytes[0] ? "grown" : "shrunk";
	if (r->count[1] != r->count[0])
		return r->count[1] > r->count[0] ? "grown" : "shrunk";
	return "changed";   /* same totals, but objects were born and freed */
}

/* ---- text ------------------------------------------------------------------------------------ */

static void cell_signed_bytes(hw_table *t, const uint64_t v[2])
{
	char buf[HW_UNITS_BUF];
	if (v[1] == v[0])
		hw_table_cell(t, "0");
	else
		hw_table_cell(t, "%c%s", v[1] > v[0] ? '+' : '-', hw_units_bytes(buf, v[1] > v[0] ? v[1] - v[0] : v[0] - v[1]));
}

static void print_rows(const char *what, const char *column, const GArray *rows, uint64_t changed,
                       uint64_t unchanged, gboolean identity)
{
	printf("\n%s: %" PRIu64 " changed, %" PRIu64 " unchanged\n", what, changed, unchanged);
	if (rows->len == 0)
		return;
	g_autoptr(hw_table) t = identity
		? hw_table_new("rrrrrrl", "COUNT", "+COUNT", "+BYTES", "+RETAINED", "BORN", "FREED", column)
		: hw_table_new("rrrrl", "COUNT", "+COUNT", "+BYTES", "+RETAINED", column);
	for (guint i = 0; i < rows->len; i++) {
		const hw_diff_row *r = &g_array_index(rows, hw_diff_row, i);
		hw_table_cell(t, "%" PRIu64, r->count[1]);
		hw_table_cell(t, "%+" PRId64, delta(r->count));
		cell_signed_bytes(t, r->bytes);
		cell_signed_bytes(t, r->retained);
		if (identity) {
			hw_table_cell(t, "%" PRIu64, r->born_count);
			hw_table_cell(t, "%" PRIu64, r->freed_count);
		}
		const char *mark = hw_diff_row_new(r) ? "[new] " : hw_diff_row_vanished(r) ? "[vanished] " : "";
		g_autofree char *name = g_strconcat(mark, *r->name ? r->name : "(unknown type)", NULL);
		hw_table_name(t, name, strlen(name));
	}
	hw_table_print(t, stdout);
	if (rows->len < changed)
		printf("... %" PRIu64 " more (--limit 0 shows all)\n", changed - rows->len);
}

static void print_text(const hw_diff *d, char **paths, gboolean show_types, gboolean show_sigs)
{
	char b1[HW_UNITS_BUF], b2[HW_UNITS_BUF];
	printf("base %s: %" PRIu64 " objects, %s\n", paths[0], d->count[0], hw_units_bytes(b1, d->bytes[0]));
	printf("snap %s: %" PRIu64 " objects, %s (%+" PRId64 " objects, %c%s)\n", paths[1], d->count[1],
	       hw_units_bytes(b1, d->bytes[1]), delta(d->count), d->bytes[1] >= d->bytes[0] ? '+' : '-',
	       hw_units_bytes(b2, d->bytes[1] >= d->bytes[0] ? d->bytes[1] - d->bytes[0] : d->bytes[0] - d->bytes[1]));
	if (d->same_process)
		printf("objects followed by address, size and type (one process): %" PRIu64 " kept (%s), %" PRIu64
		       " born, %" PRIu64 " freed\n", d->kept_count, hw_units_bytes(b1, d->kept_bytes),
		       d->count[1] - d->kept_count, d->count[0] - d->kept_count);
	else
		printf("groups matched by type name and path signature (different processes)\n");
	if (show_types)
		print_rows("by type", "TYPE", d->types, d->changed_types, d->unchanged_types, d->same_process);
	if (show_sigs)
		print_rows("by retention path", "RETENTION PATH", d->signatures, d->changed_signatures, d->unchanged_signatures, d->same_process);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_snapshot(hw_json *j, const char *key, const char *path, const hwd_reader *r,
                          uint64_t count, uint64_t bytes, uint64_t reachable)
{
	const hwd_damage *dmg = hwd_reader_damage(r);
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "path");
	hw_json_string(j, path);
	hw_json_key(j, "partial");
	hw_json_bool(j, dmg->partial != 0);
	hw_json_key(j, "damage");
	if (dmg->partial)
		hw_json_string(j, dmg->message);
	else
		hw_json_null(j);
	hw_json_key(j, "objects");
	hw_json_u64(j, count);
	hw_json_key(j, "bytes");
	hw_json_u64(j, bytes);
	hw_json_key(j, "reachable_bytes");
	hw_json_u64(j, reachable);
	hw_json_end_object(j);
}

static void json_numbers(hw_json *j, const char *key, const hw_diff_row *r, int which)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "count");
	hw_json_u64(j, r->count[which]);
	hw_json_key(j, "bytes");
	hw_json_u64(j, r->bytes[which]);
	hw_json_key(j, "retained");
	hw_json_u64(j, r->retained[which]);
	hw_json_end_object(j);
}

static void json_pair(hw_json *j, const char *key, uint64_t count, uint64_t bytes)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "count");
	hw_json_u64(j, count);
	hw_json_key(j, "bytes");
	hw_json_u64(j, bytes);
	hw_json_end_object(j);
}

static void json_rows(hw_json *j, const char *key, const char *name_key, const GArray *rows, uint64_t changed,
                      uint64_t unchanged, gboolean identity)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "changed");
	hw_json_u64(j, changed);
	hw_json_key(j, "unchanged");
	hw_json_u64(j, unchanged);
	hw_json_key(j, "rows");
	hw_json_begin_array(j);
	for (guint i = 0; i < rows->len; i++) {
		const hw_diff_row *r = &g_array_index(rows, hw_diff_row, i);
		hw_json_begin_object(j);
		hw_json_key(j, name_key);
		hw_json_string(j, r->name);
		hw_json_key(j, "status");
		hw_json_string(j, status_of(r));
		json_numbers(j, "base", r, 0);
		json_numbers(j, "snap", r, 1);
		hw_json_key(j, "delta");
		hw_json_begin_object(j);
		hw_json_key(j, "count");
		hw_json_i64(j, delta(r->count));
		hw_json_key(j, "bytes");
		hw_json_i64(j, delta(r->bytes));
		hw_json_key(j, "retained");
		hw_json_i64(j, delta(r->retained));
		hw_json_end_object(j);
		if (identity) {
			json_pair(j, "born", r->born_count, r->born_bytes);
			json_pair(j, "freed", r->freed_count, r->freed_bytes);
		}
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
	hw_json_end_object(j);
}

static void print_json(const hw_diff *d, char **paths, hwd_reader *const *readers, gint64 limit,
                       gboolean show_types, gboolean show_sigs)
{
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);
	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/diff/1");
	json_snapshot(j, "base", paths[0], readers[0], d->count[0], d->bytes[0], d->reachable_bytes[0]);
	json_snapshot(j, "snap", paths[1], readers[1], d->count[1], d->bytes[1], d->reachable_bytes[1]);
	hw_json_key(j, "match");
	hw_json_string(j, d->same_process ? "identity" : "signature");
	if (d->same_process) {
		json_pair(j, "kept", d->kept_count, d->kept_bytes);
		json_pair(j, "born", d->count[1] - d->kept_count, d->bytes[1] - d->kept_bytes);
		json_pair(j, "freed", d->count[0] - d->kept_count, d->bytes[0] - d->kept_bytes);
	}
	hw_json_key(j, "limit");
	hw_json_u64(j, (uint64_t)limit);
	if (show_types)
		json_rows(j, "types", "type", d->types, d->changed_types, d->unchanged_types, d->same_process);
	if (show_sigs)
		json_rows(j, "signatures", "signature", d->signatures, d->changed_signatures, d->unchanged_signatures,
		          d->same_process);
	hw_json_end_object(j);
}

/* ---- the command ------------------------------------------------------------------------------ */

int hw_cmd_diff(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_autofree char *match_arg = NULL, *by_arg = NULL;
	gint64 limit = DEFAULT_LIMIT;
	match_mode match = MATCH_AUTO;
	int status;
	const GOptionEntry entries[] = {
		{ "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, "Show the N largest changes per table (default 20; 0: all)", "N" },
		{ "match", 0, 0, G_OPTION_ARG_STRING, &match_arg, "How objects are matched: auto (default), identity or signature", "HOW" },
		{ "by", 0, 0, G_OPTION_ARG_STRING, &by_arg, "Which table: type, path or both (default)", "WHAT" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!hw_cli_parse(&cli, entries,
	                  "Compares SNAP with BASE (taken earlier). Two snapshots of one process (same pid and\n"
	                  "exe) are compared object by object: an object is the same when its address, size and\n"
	                  "type are, so BORN and FREED count what was allocated and collected in between.\n"
	                  "Snapshots of different processes (last night's run against tonight's) are compared\n"
	                  "by type name and by retention-path signature only. --match forces either way.\n"
	                  "Example:\n  heapwalk diff before.hwd after.hwd --by path --limit 10\n",
	                  2, &argc, &argv, &status))
		return status;
	if (!hw_cli_check_min(&cli, "--limit", limit, 0, &status))
		return status;
	if (limit > G_MAXUINT)
		return hw_cli_usage(&cli, "--limit must be at most %u", G_MAXUINT);
	if (match_arg) {
		guint k = 0;
		while (k < G_N_ELEMENTS(match_names) && strcmp(match_arg, match_names[k]) != 0)
			k++;
		if (k == G_N_ELEMENTS(match_names))
			return hw_cli_usage(&cli, "unknown --match '%s' (expected auto, identity or signature)", match_arg);
		match = (match_mode)k;
	}
	gboolean show_types = TRUE, show_sigs = TRUE;
	if (by_arg) {
		if (strcmp(by_arg, "type") == 0)
			show_sigs = FALSE;
		else if (strcmp(by_arg, "path") == 0)
			show_types = FALSE;
		else if (strcmp(by_arg, "both") != 0)
			return hw_cli_usage(&cli, "unknown --by '%s' (expected type, path or both)", by_arg);
	}

	hwd_reader *readers[2] = { NULL, NULL };
	g_autoptr(hw_diff_side) base = load_side(&cli, argv[1], &readers[0], &status);
	g_autoptr(hw_diff_side) snap = base ? load_side(&cli, argv[2], &readers[1], &status) : NULL;
	g_autoptr(hw_diff) d = NULL;
	g_autoptr(GError) error = NULL;
	if (snap) {
		gboolean identity = match == MATCH_IDENTITY ||
		                    (match == MATCH_AUTO && hw_diff_same_process(readers[0], readers[1]));
		d = hw_diff_compute(base, snap, identity, (guint)limit, &error);
		if (!d)
			status = hw_cli_fail(&cli, error);
	}
	if (d) {
		if (cli.format == HW_FORMAT_JSON)
			print_json(d, argv + 1, readers, limit, show_types, show_sigs);
		else
			print_text(d, argv + 1, show_types, show_sigs);
		int s0 = hw_snapshot_status(&cli, readers[0]), s1 = hw_snapshot_status(&cli, readers[1]);
		status = s0 != HW_EXIT_OK ? s0 : s1;
	}
	/* The sides borrow the readers: free them first. */
	g_clear_pointer(&base, hw_diff_side_free);
	g_clear_pointer(&snap, hw_diff_side_free);
	for (int i = 0; i < 2; i++)
		if (readers[i])
			hwd_reader_close(readers[i]);
	return status;
}

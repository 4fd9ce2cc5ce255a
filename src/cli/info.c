/* info.c - `heapwalk info SNAP`: what a snapshot holds, at a glance.
 *
 * Metadata (every META entry, in file order), object totals split into reachable and
 * unreachable (which needs the dominator pass), GC roots by kind, goroutines, and the damage
 * of a partial snapshot.
 */
#include <inttypes.h>
#include <stdio.h>

#include "commands.h"
#include "exit.h"
#include "heap.h"
#include "json.h"
#include "options.h"
#include "retained.h"
#include "snapshot.h"
#include "table.h"
#include "units.h"

static const char *meta_type_name(hwd_meta_type t)
{
	switch (t) {
	case HWD_META_U64: return "u64";
	case HWD_META_I64: return "i64";
	case HWD_META_F64: return "f64";
	case HWD_META_STR: return "str";
	}
	return "unknown";
}

/* The value of a META entry as text. */
static char *meta_value_text(const hwd_meta_entry *m)
{
	switch (m->type) {
	case HWD_META_U64: return g_strdup_printf("%" PRIu64, m->v.u64);
	case HWD_META_I64: return g_strdup_printf("%" PRId64, m->v.i64);
	case HWD_META_F64: return g_strdup_printf("%g", m->v.f64);
	case HWD_META_STR: return g_strndup(m->v.str.ptr, m->v.str.len);
	}
	return g_strdup("?");
}

static void root_counts(const hw_graph *g, uint64_t counts[HWD_ROOT_KIND__COUNT])
{
	for (uint64_t k = 0; k < hw_graph_n_roots(g); k++) {
		hwd_root r = hw_graph_root(g, k);
		/* Kinds this build does not know are counted as "other". */
		counts[r.kind < HWD_ROOT_KIND__COUNT && r.kind > 0 ? r.kind : HWD_ROOT_OTHER]++;
	}
}

static void print_text(const hw_heap *h)
{
	const hwd_reader *r = h->reader;
	hw_heap_totals t = hw_domtree_totals(h->dom);
	uint64_t roots[HWD_ROOT_KIND__COUNT] = { 0 };
	hwd_meta_entry m;
	g_autoptr(hw_table) meta = hw_table_new("ll", "KEY", "VALUE");
	g_autoptr(hw_table) totals = hw_table_new("lrr", "OBJECTS", "COUNT", "BYTES");
	g_autoptr(hw_table) rt = hw_table_new("lr", "ROOTS", "COUNT");

	printf("snapshot: %s (format %u.%u, %u-byte pointers)\n", h->path, hwd_reader_version_major(r),
	       hwd_reader_version_minor(r), hwd_reader_pointer_size(r));
	for (uint64_t i = 0; hwd_reader_meta_entry(r, i, &m); i++) {
		g_autofree char *value = meta_value_text(&m);
		hw_table_name(meta, m.key, m.key_len);
		hw_table_name(meta, value, strlen(value));
	}
	printf("\n");
	hw_table_print(meta, stdout);

	hw_table_cell(totals, "all");
	hw_table_cell(totals, "%" PRIu64, t.reachable_count + t.unreachable_count);
	hw_table_bytes(totals, t.reachable_bytes + t.unreachable_bytes);
	hw_table_cell(totals, "reachable");
	hw_table_cell(totals, "%" PRIu64, t.reachable_count);
	hw_table_bytes(totals, t.reachable_bytes);
	hw_table_cell(totals, "unreachable");
	hw_table_cell(totals, "%" PRIu64, t.unreachable_count);
	hw_table_bytes(totals, t.unreachable_bytes);
	printf("\n");
	hw_table_print(totals, stdout);

	root_counts(h->graph, roots);
	for (unsigned k = 1; k < HWD_ROOT_KIND__COUNT; k++) {
		hw_table_cell(rt, "%s", hw_root_kind_name(k));
		hw_table_cell(rt, "%" PRIu64, roots[k]);
	}
	hw_table_cell(rt, "total");
	hw_table_cell(rt, "%" PRIu64, hw_graph_n_roots(h->graph));
	printf("\n");
	hw_table_print(rt, stdout);

	printf("\nedges: %" PRIu64 "  types: %" PRIu64 "  goroutines: %" PRIu64 "  threads: %" PRIu64 "\n",
	       hwd_reader_edge_count(r), hwd_reader_type_count(r), hwd_reader_goroutine_count(r),
	       hwd_reader_thread_count(r));
	if (hwd_reader_damage(r)->partial)
		printf("damage: %s\n", hwd_reader_damage(r)->message);
}

static void json_count(hw_json *j, const char *key, uint64_t objects, uint64_t bytes)
{
	hw_json_key(j, key);
	hw_json_begin_object(j);
	hw_json_key(j, "objects");
	hw_json_u64(j, objects);
	hw_json_key(j, "bytes");
	hw_json_u64(j, bytes);
	hw_json_end_object(j);
}

static void print_json(const hw_heap *h)
{
	const hwd_reader *r = h->reader;
	hw_heap_totals t = hw_domtree_totals(h->dom);
	uint64_t roots[HWD_ROOT_KIND__COUNT] = { 0 };
	g_autoptr(hw_json) j = hw_json_new(stdout, TRUE);
	hwd_meta_entry m;

	hw_json_begin_object(j);
	hw_json_key(j, "schema");
	hw_json_string(j, "heapwalk/info/1");
	hw_snapshot_json(j, h->path, r);
	hw_json_key(j, "format_version");
	hw_json_begin_array(j);
	hw_json_u64(j, hwd_reader_version_major(r));
	hw_json_u64(j, hwd_reader_version_minor(r));
	hw_json_end_array(j);
	hw_json_key(j, "pointer_size");
	hw_json_u64(j, hwd_reader_pointer_size(r));

	hw_json_key(j, "meta");
	hw_json_begin_array(j);
	for (uint64_t i = 0; hwd_reader_meta_entry(r, i, &m); i++) {
		hw_json_begin_object(j);
		hw_json_key(j, "key");
		hw_json_string_len(j, m.key, m.key_len);
		hw_json_key(j, "type");
		hw_json_string(j, meta_type_name(m.type));
		hw_json_key(j, "value");
		switch (m.type) {
		case HWD_META_U64: hw_json_u64(j, m.v.u64); break;
		case HWD_META_I64: hw_json_i64(j, m.v.i64); break;
		case HWD_META_F64: hw_json_double(j, m.v.f64); break;
		case HWD_META_STR: hw_json_string_len(j, m.v.str.ptr, m.v.str.len); break;
		default: hw_json_null(j); break;
		}
		hw_json_end_object(j);
	}
	hw_json_end_array(j);

	hw_json_key(j, "totals");
	hw_json_begin_object(j);
	json_count(j, "all", t.reachable_count + t.unreachable_count, t.reachable_bytes + t.unreachable_bytes);
	json_count(j, "reachable", t.reachable_count, t.reachable_bytes);
	json_count(j, "unreachable", t.unreachable_count, t.unreachable_bytes);
	hw_json_end_object(j);

	root_counts(h->graph, roots);
	hw_json_key(j, "roots");
	hw_json_begin_object(j);
	hw_json_key(j, "total");
	hw_json_u64(j, hw_graph_n_roots(h->graph));
	hw_json_key(j, "by_kind");
	hw_json_begin_object(j);
	for (unsigned k = 1; k < HWD_ROOT_KIND__COUNT; k++) {
		hw_json_key(j, hw_root_kind_name(k));
		hw_json_u64(j, roots[k]);
	}
	hw_json_end_object(j);
	hw_json_end_object(j);

	hw_json_key(j, "edges");
	hw_json_u64(j, hwd_reader_edge_count(r));
	hw_json_key(j, "types");
	hw_json_u64(j, hwd_reader_type_count(r));
	hw_json_key(j, "goroutines");
	hw_json_u64(j, hwd_reader_goroutine_count(r));
	hw_json_key(j, "threads");
	hw_json_u64(j, hwd_reader_thread_count(r));
	hw_json_end_object(j);
}

int hw_cmd_info(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd, .formats = hw_formats_text_json, .snapshot = TRUE };
	g_auto(hw_heap) heap = { 0 };
	int status;

	if (!hw_cli_parse(&cli, NULL, "Example:\n  heapwalk info app.hwd\n", 1, &argc, &argv, &status))
		return status;
	if (!hw_heap_open(&heap, &cli, argv[1], HW_HEAP_DOMTREE, &status))
		return status;
	if (cli.format == HW_FORMAT_JSON)
		print_json(&heap);
	else
		print_text(&heap);
	return hw_snapshot_status(&cli, heap.reader);
}

/* info.c - `heapwalk info SNAP`: what a snapshot holds, at a glance.
 *
 * Metadata (every META entry, in file order), object totals split into reachable and
 * unreachable (which needs the dominator pass), GC roots by kind, goroutines, how the objects
 * were typed (the types.* metadata of the Go dumper), and the damage of a partial snapshot.
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

/* The ways a dumper may have typed objects (meta types.objects.<how> / types.bytes.<how>);
 * the last one means "not typed". */
static const char *const type_sources[] = { "header", "large_type", "iface", "closure", "dwarf", "sizeclass" };
#define N_TYPE_SOURCES G_N_ELEMENTS(type_sources)

/* Reads the types.* counts; FALSE when the snapshot has none. */
static gboolean type_counts(const hwd_reader *r, uint64_t objects[N_TYPE_SOURCES], uint64_t bytes[N_TYPE_SOURCES],
                            uint64_t *total_bytes)
{
	gboolean any = FALSE;
	*total_bytes = 0;
	for (size_t i = 0; i < N_TYPE_SOURCES; i++) {
		g_autofree char *ko = g_strdup_printf("types.objects.%s", type_sources[i]);
		g_autofree char *kb = g_strdup_printf("types.bytes.%s", type_sources[i]);
		objects[i] = bytes[i] = 0;
		any |= hwd_reader_meta_u64(r, ko, &objects[i]) & hwd_reader_meta_u64(r, kb, &bytes[i]);
		*total_bytes += bytes[i];
	}
	return any;
}

static double typed_percent(const uint64_t bytes[N_TYPE_SOURCES], uint64_t total)
{
	return total ? 100.0 * (double)(total - bytes[N_TYPE_SOURCES - 1]) / (double)total : 0.0;
}

static void root_counts(const hw_graph *g, uint64_t counts[HWD_ROOT_KIND__COUNT])
{
	for (uint64_t k = 0; k < hw_graph_n_roots(g); k++) {
		hwd_root r = hw_graph_root(g, k);
		/* Kinds this build does not know are counted as "other". */
		counts[r.kind < HWD_ROOT_KIND__COUNT && r.kind > 0 ? r.kind : HWD_ROOT_OTHER]++;
	}
}

/* Where a mem.* accounting line comes from (docs/memory-accounting.md), or NULL for other keys. */
static const char *memory_source(const hwd_meta_entry *m)
{
	static const struct { const char *prefix, *source; } src[] = {
		{ "mem.go.", "runtime accounting (= runtime/metrics)" },
		{ "mem.stacks.", "goroutines (allgs)" },
		{ "mem.exe.", "ELF segments" },
		{ "mem.rss", "resident (/proc smaps, pagemap)" },
	};
	for (size_t i = 0; m->type == HWD_META_U64 && i < G_N_ELEMENTS(src); i++)
		if (m->key_len >= strlen(src[i].prefix) && memcmp(m->key, src[i].prefix, strlen(src[i].prefix)) == 0)
			return src[i].source;
	return NULL;
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

	g_autoptr(hw_table) mem = hw_table_new("lrl", "MEMORY", "BYTES", "SOURCE");
	gboolean any_mem = FALSE;
	for (uint64_t i = 0; hwd_reader_meta_entry(r, i, &m); i++) {
		const char *source = memory_source(&m);
		if (!source)
			continue;
		hw_table_name(mem, m.key + 4, m.key_len - 4);
		hw_table_bytes(mem, m.v.u64);
		hw_table_cell(mem, "%s", source);
		any_mem = TRUE;
	}
	if (any_mem) {
		printf("\n");
		hw_table_print(mem, stdout);
	}

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

	uint64_t tobj[N_TYPE_SOURCES], tbytes[N_TYPE_SOURCES], ttotal;
	if (type_counts(r, tobj, tbytes, &ttotal)) {
		g_autoptr(hw_table) tt = hw_table_new("lrr", "TYPED BY", "OBJECTS", "BYTES");
		for (size_t i = 0; i < N_TYPE_SOURCES; i++) {
			hw_table_cell(tt, "%s", type_sources[i]);
			hw_table_cell(tt, "%" PRIu64, tobj[i]);
			hw_table_bytes(tt, tbytes[i]);
		}
		printf("\n");
		hw_table_print(tt, stdout);
		printf("typed: %.1f%% of bytes\n", typed_percent(tbytes, ttotal));
	}
	const char *layout, *missing;
	uint32_t layout_len, missing_len;
	if (hwd_reader_meta_str(r, "debuginfo.missing", &missing, &missing_len) &&
	    hwd_reader_meta_str(r, "layout", &layout, &layout_len))
		printf("without DWARF: runtime layouts from heapwalk's %.*s; missing: %.*s\n", (int)layout_len,
		       layout, (int)missing_len, missing);

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

	uint64_t tobj[N_TYPE_SOURCES], tbytes[N_TYPE_SOURCES], ttotal;
	if (type_counts(r, tobj, tbytes, &ttotal)) {
		hw_json_key(j, "typing");
		hw_json_begin_object(j);
		hw_json_key(j, "by_source");
		hw_json_begin_object(j);
		for (size_t i = 0; i < N_TYPE_SOURCES; i++)
			json_count(j, type_sources[i], tobj[i], tbytes[i]);
		hw_json_end_object(j);
		hw_json_key(j, "typed_bytes_percent");
		hw_json_double(j, typed_percent(tbytes, ttotal));
		hw_json_end_object(j);
	}

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

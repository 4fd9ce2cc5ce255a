/* heap.c - a snapshot loaded for analysis (see heap.h). */
#include "heap.h"

#include <stdio.h>
#include <string.h>

#include "exit.h"
#include "progress.h"
#include "snapshot.h"

gboolean hw_heap_open(hw_heap *h, const hw_cli *cli, const char *path, unsigned needs, int *status)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(hw_progress) progress = hw_progress_new();

	memset(h, 0, sizeof *h);
	h->path = path;
	h->reader = hw_snapshot_open(path, cli->salvage, &error);
	if (h->reader)
		h->graph = hw_graph_load(h->reader, hw_progress_report, progress, &error);
	if (h->graph && (needs & HW_HEAP_DOMTREE))
		h->dom = hw_domtree_compute(h->graph, hw_progress_report, progress, &error);
	if (h->graph && (!(needs & HW_HEAP_DOMTREE) || h->dom) && (needs & HW_HEAP_PATHS))
		h->paths = hw_path_index_build(h->graph, hw_progress_report, progress, &error);
	if (error) {
		g_clear_pointer(&progress, hw_progress_free);   /* erase the progress line first */
		if (error->domain != HW_SNAPSHOT_ERROR)
			g_prefix_error(&error, "%s: ", path);
		*status = hw_cli_fail(cli, error);
		hw_heap_clear(h);
		return FALSE;
	}
	return TRUE;
}

void hw_heap_clear(hw_heap *h)
{
	g_clear_pointer(&h->paths, hw_path_index_free);
	g_clear_pointer(&h->dom, hw_domtree_free);
	g_clear_pointer(&h->graph, hw_graph_free);
	g_clear_pointer(&h->reader, hwd_reader_close);
}

uint32_t hw_heap_find(const hw_heap *h, uint64_t addr)
{
	return hwd_reader_find_object(h->reader, addr);
}

const char *hw_edge_kind_name(hwd_edge_kind kind)
{
	static const char *const names[HWD_EDGE_KIND__COUNT] = {
		[HWD_EDGE_STRONG] = "strong",             [HWD_EDGE_WEAK] = "weak",
		[HWD_EDGE_FINALIZER] = "finalizer",       [HWD_EDGE_CONSERVATIVE] = "conservative",
		[HWD_EDGE_INTERNAL] = "internal",
	};
	return (unsigned)kind < HWD_EDGE_KIND__COUNT && names[kind] ? names[kind] : "unknown";
}

const char *hw_heap_type_name(const hw_heap *h, uint32_t v, uint32_t *len)
{
	return hw_graph_type_name(h->graph, hw_graph_object(h->graph, v).type, len);
}

void hw_heap_json_object(hw_json *j, const hw_heap *h, uint32_t v)
{
	hwd_object o = hw_graph_object(h->graph, v);
	uint32_t len;
	const char *name = hw_heap_type_name(h, v, &len);

	hw_json_key(j, "index");
	hw_json_u64(j, v);
	hw_json_key(j, "addr");
	hw_json_addr(j, o.addr);
	hw_json_key(j, "size");
	hw_json_u64(j, o.size);
	hw_json_key(j, "type");
	hw_json_string_len(j, name, len);
}

void hw_heap_table_object(hw_table *t, const hw_heap *h, uint32_t v, const char *prefix)
{
	uint32_t len;
	const char *name = hw_heap_type_name(h, v, &len);
	g_autofree char *cell = NULL;

	if (len == 0) {
		name = "?";
		len = 1;
	}
	cell = g_strdup_printf("%s%.*s @ 0x%llx", prefix, (int)len, name,
	                                        (unsigned long long)hw_graph_object(h->graph, v).addr);
	hw_table_name(t, cell, strlen(cell));
}

/* The label of the edge a step followed: its name, else "+0xOFF", else "?". */
static char *step_label(const hw_heap *h, const hw_path_step *s)
{
	uint32_t len;
	const char *label = hw_graph_string(h->graph, s->label, &len);

	if (len)
		return g_strndup(label, len);
	if (s->offset != HWD_EDGE_OFFSET_UNKNOWN)
		return g_strdup_printf("+0x%x", s->offset);
	return g_strdup("?");
}

/* A root's goroutine id and innermost-frame function, when it is a stack root. */
static gboolean root_goroutine(const hw_heap *h, const hwd_root *r, hwd_goroutine *g)
{
	if (r->goroutine == HWD_NONE || r->goroutine >= hwd_reader_goroutine_count(h->reader))
		return FALSE;
	*g = hwd_reader_goroutine(h->reader, r->goroutine);
	return TRUE;
}

static gboolean root_frame(const hw_heap *h, const hwd_root *r, hwd_frame *f)
{
	if (r->frame == HWD_NONE || r->frame >= hwd_reader_frame_count(h->reader))
		return FALSE;
	*f = hwd_reader_frame(h->reader, r->frame);
	return TRUE;
}

void hw_heap_json_site(hw_json *j, const char *func, gsize func_len, const char *file, gsize file_len,
                       guint64 line, guint64 samples, guint64 bytes)
{
	hw_json_key(j, "func");
	hw_json_string_len(j, func, func_len);
	hw_json_key(j, "file");
	hw_json_string_len(j, file, file_len);
	hw_json_key(j, "line");
	hw_json_u64(j, line);
	hw_json_key(j, "samples");
	hw_json_u64(j, samples);
	hw_json_key(j, "bytes");
	hw_json_u64(j, bytes);
}

void hw_heap_json_path(hw_json *j, const hw_heap *h, const hw_path *path)
{
	const hwd_root *r = &path->root;
	hwd_goroutine g;
	hwd_frame f;
	uint32_t len;
	const char *s;

	hw_json_key(j, "root");
	hw_json_begin_object(j);
	hw_json_key(j, "kind");
	hw_json_string(j, hw_root_kind_name(r->kind));
	hw_json_key(j, "name");
	s = hw_graph_string(h->graph, r->name, &len);
	hw_json_string_len(j, s, len);
	hw_json_key(j, "goroutine");
	if (root_goroutine(h, r, &g))
		hw_json_u64(j, g.id);
	else
		hw_json_null(j);
	hw_json_key(j, "frame");
	if (root_frame(h, r, &f)) {
		hw_json_begin_object(j);
		hw_json_key(j, "func");
		s = hw_graph_string(h->graph, f.func, &len);
		hw_json_string_len(j, s, len);
		hw_json_key(j, "file");
		s = hw_graph_string(h->graph, f.file, &len);
		hw_json_string_len(j, s, len);
		hw_json_key(j, "line");
		hw_json_u64(j, f.line);
		hw_json_end_object(j);
	} else {
		hw_json_null(j);
	}
	hw_json_key(j, "addr");
	if (r->addr)
		hw_json_addr(j, r->addr);
	else
		hw_json_null(j);
	hw_json_end_object(j);

	hw_json_key(j, "steps");
	hw_json_begin_array(j);
	hw_json_begin_object(j);
	hw_heap_json_object(j, h, r->object);
	hw_json_key(j, "edge");
	hw_json_null(j);
	hw_json_end_object(j);
	for (guint i = 0; i < path->steps->len; i++) {
		const hw_path_step *st = &g_array_index(path->steps, hw_path_step, i);
		g_autofree char *label = step_label(h, st);
		hw_json_begin_object(j);
		hw_heap_json_object(j, h, st->to);
		hw_json_key(j, "edge");
		hw_json_begin_object(j);
		hw_json_key(j, "label");
		hw_json_string(j, label);
		hw_json_key(j, "kind");
		hw_json_string(j, hw_edge_kind_name(st->kind));
		hw_json_key(j, "offset");
		if (st->offset != HWD_EDGE_OFFSET_UNKNOWN)
			hw_json_u64(j, st->offset);
		else
			hw_json_null(j);
		hw_json_end_object(j);
		hw_json_end_object(j);
	}
	hw_json_end_array(j);
}

void hw_heap_print_path(FILE *out, const hw_heap *h, const hw_path *path)
{
	const hwd_root *r = &path->root;
	g_autoptr(hw_table) t = hw_table_new("llrl", "VIA", "EDGE", "SIZE", "OBJECT");
	hwd_goroutine g;
	hwd_frame f;
	uint32_t len;
	const char *name = hw_graph_string(h->graph, r->name, &len);
	g_autoptr(GString) root = g_string_new(NULL);

	g_string_append_printf(root, "%s root %.*s", hw_root_kind_name(r->kind), (int)len, name);
	if (root_goroutine(h, r, &g))
		g_string_append_printf(root, ", goroutine %" G_GUINT64_FORMAT, g.id);
	if (root_frame(h, r, &f)) {
		uint32_t flen;
		const char *func = hw_graph_string(h->graph, f.func, &len);
		const char *file = hw_graph_string(h->graph, f.file, &flen);
		g_string_append_printf(root, ", in %.*s (%.*s:%u)", (int)len, func, (int)flen, file, f.line);
	}
	if (r->addr)
		g_string_append_printf(root, ", at 0x%llx", (unsigned long long)r->addr);
	/* The root's name comes from the snapshot: print it through the table's sanitizer. */
	{
		g_autoptr(hw_table) head = hw_table_new("l", "ROOT");
		hw_table_name(head, root->str, root->len);
		hw_table_print(head, out);
	}

	hw_table_cell(t, "(root)");
	hw_table_cell(t, "-");
	hw_table_bytes(t, hw_graph_object_size(h->graph, r->object));
	hw_heap_table_object(t, h, r->object, "");
	for (guint i = 0; i < path->steps->len; i++) {
		const hw_path_step *st = &g_array_index(path->steps, hw_path_step, i);
		g_autofree char *label = step_label(h, st);
		hw_table_name(t, label, strlen(label));
		hw_table_cell(t, "%s", hw_edge_kind_name(st->kind));
		hw_table_bytes(t, hw_graph_object_size(h->graph, st->to));
		hw_heap_table_object(t, h, st->to, "");
	}
	fputc('\n', out);
	hw_table_print(t, out);
}

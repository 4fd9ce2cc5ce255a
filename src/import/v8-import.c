/* v8-import.c - writing a parsed V8 snapshot as a heapwalk snapshot (see v8-import.h).
 *
 * One pass over the nodes in ordinal order writes the objects (synthetic addresses, the rule
 * set's self sizes, a type per class), a second one the edges (essential ones strong or
 * internal, the rest weak, so the generic dominators skip them; the root's adoptions last), then
 * the one GC root: the V8 root node. Strings are interned once per V8 string index.
 */
#include "v8-import.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hwd.h"

/* Edge labels "[i]" of element and hidden edges are cached by index, in a table that grows to
 * the largest index met up to the edge count (an array's elements are its edges, so indices
 * past that are rare: they are interned as they come). */

/* Chunks of 32 MiB instead of the writer's 4: a few large runs make the reader's index of
 * them, and every lookup through it, cheaper (measured: about 7% of `v8nodes`' CPU time on 3M
 * nodes), for at most one such buffer per record kind while writing. */
#define V8_CHUNK_BYTES (32u << 20)

typedef struct writer_ctx {
	const hw_v8_snapshot *s;
	hwd_writer *w;
	uint32_t *str_label;        /* V8 string index -> hwd string id, 0 not yet interned */
	uint32_t *class_type;       /* V8 string index -> hwd type id of an object/native class */
	uint32_t type_type[HW_V8_NODE__COUNT];   /* hwd type id of "(type)" classes */
	uint32_t *index_label;      /* index -> hwd string id of "[index]", 0 not yet interned */
	uint32_t n_index_label;     /* entries in index_label */
} writer_ctx;

static void writer_ctx_clear(writer_ctx *c)
{
	g_free(c->index_label);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(writer_ctx, writer_ctx_clear)

hwd_type_kind hw_v8_type_kind(uint8_t t)
{
	switch (t) {
	case HW_V8_NODE_OBJECT: case HW_V8_NODE_REGEXP: case HW_V8_NODE_WASM_OBJECT: return HWD_TYPE_STRUCT;
	case HW_V8_NODE_ARRAY: return HWD_TYPE_SLICE_ARRAY;
	case HW_V8_NODE_STRING: case HW_V8_NODE_CONCAT_STRING: case HW_V8_NODE_SLICED_STRING: return HWD_TYPE_STRING;
	case HW_V8_NODE_CLOSURE: return HWD_TYPE_CLOSURE;
	case HW_V8_NODE_NUMBER: case HW_V8_NODE_BIGINT: case HW_V8_NODE_SYMBOL: case HW_V8_NODE_NATIVE: return HWD_TYPE_SCALAR;
	case HW_V8_NODE_HIDDEN: case HW_V8_NODE_CODE: case HW_V8_NODE_SYNTHETIC: case HW_V8_NODE_OBJECT_SHAPE:
		return HWD_TYPE_RUNTIME;
	default: return HWD_TYPE_UNKNOWN;
	}
}

gboolean hw_v8_next_addr(const hw_v8_snapshot *s, uint32_t v, uint64_t size, const char *source, uint64_t *addr,
                         GError **error)
{
	uint64_t step = MAX((size + 7) & ~UINT64_C(7), 8);

	if (size > UINT64_MAX - 7 || *addr > UINT64_MAX - step) {
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_FORMAT, "%s: the self sizes add up to more than 2^64 bytes "
		            "(at node %u, id %llu)", source, v, (unsigned long long)s->node_id[v]);
		return FALSE;
	}
	*addr += step;
	return TRUE;
}

/* The class a node is counted under (hw_v8_type_is_class). */
static uint32_t type_of(writer_ctx *c, uint32_t v)
{
	uint8_t t = c->s->node_type[v];

	if (hw_v8_type_is_class(t)) {
		uint32_t name = c->s->node_name[v];
		if (!c->class_type[name]) {
			size_t len;
			const char *str = hw_v8_string(c->s, name, &len);
			c->class_type[name] = hwd_writer_type(c->w, str, 0, hw_v8_type_kind(t));
		}
		return c->class_type[name];
	}
	if (!c->type_type[t]) {
		g_autofree char *name = g_strdup_printf("(%s)", hw_v8_node_type_name(t));
		c->type_type[t] = hwd_writer_type(c->w, name, 0, hw_v8_type_kind(t));
	}
	return c->type_type[t];
}

static uint32_t label_of(writer_ctx *c, uint32_t e)
{
	uint32_t name = c->s->edge_name[e];
	char buf[16];

	if (hw_v8_edge_has_index(c->s->edge_type[e])) {
		if (name < c->n_index_label && c->index_label[name])
			return c->index_label[name];
		int n = snprintf(buf, sizeof buf, "[%u]", name);
		uint32_t id = hwd_writer_string(c->w, buf, (size_t)n);
		if (name >= c->n_index_label && name <= c->s->n_edges) {
			uint32_t grown = (uint32_t)MIN(MAX((uint64_t)name + 1, (uint64_t)c->n_index_label * 2), (uint64_t)c->s->n_edges + 1);
			c->index_label = g_renew(uint32_t, c->index_label, grown);
			memset(c->index_label + c->n_index_label, 0, (grown - c->n_index_label) * sizeof *c->index_label);
			c->n_index_label = grown;
		}
		if (name < c->n_index_label)
			c->index_label[name] = id;
		return id;
	}
	if (!c->str_label[name]) {
		size_t len;
		const char *str = hw_v8_string(c->s, name, &len);
		c->str_label[name] = hwd_writer_string(c->w, str, len);
	}
	return c->str_label[name];
}

static gboolean writer_failed(hwd_writer *w, const char *out_path, int rc, GError **error)
{
	const hwd_error *e = hwd_writer_last_error(w);

	g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_OUTPUT, "%s: writing the snapshot failed: %s: %s", out_path,
	            hwd_strerror(rc), e && e->message[0] ? e->message : "no details");
	hwd_writer_abort(w);
	return FALSE;
}

gboolean hw_v8_write_snapshot(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source,
                              const char *out_path, GError **error)
{
	g_autofree char *producer = g_strdup_printf("heapwalk (v8 import, %s rules)", hw_v8_rules_name(rt->rules));
	hwd_writer_options opt = { .producer = producer, .pointer_size = 8, .chunk_bytes = V8_CHUNK_BYTES };
	g_autofree uint32_t *str_label = g_new0(uint32_t, s->n_strings);
	g_autofree uint32_t *class_type = g_new0(uint32_t, s->n_strings);
	g_auto(writer_ctx) c = { .s = s, .str_label = str_label, .class_type = class_type };
	hwd_error herr = { 0 };
	uint64_t addr = HW_V8_ADDR_BASE;
	int rc;

	if ((rc = hwd_writer_open(out_path, &opt, &c.w, &herr)) < 0) {
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_OUTPUT, "%s: %s", out_path, herr.message);
		return FALSE;
	}
	if ((rc = hwd_writer_meta_str(c.w, "source.format", "v8.heapsnapshot")) < 0 ||
	    (rc = hwd_writer_meta_str(c.w, "source.path", source)) < 0 ||
	    (rc = hwd_writer_meta_str(c.w, "v8.rules", hw_v8_rules_name(rt->rules))) < 0 ||
	    (rc = hwd_writer_meta_u64(c.w, "v8.root_id", s->node_id[rt->root])) < 0 ||
	    (rc = hwd_writer_meta_u64(c.w, "v8.orphans", rt->n_orphans)) < 0 ||
	    (rc = hwd_writer_meta_u64(c.w, "v8.cliques", rt->n_cliques)) < 0)
		return writer_failed(c.w, out_path, rc, error);

	for (uint32_t v = 0; v < s->n_nodes; v++) {
		hwd_object o = { .addr = addr, .size = rt->self[v], .type = type_of(&c, v) };
		if (!hw_v8_next_addr(s, v, o.size, source, &addr, error)) {
			hwd_writer_abort(c.w);
			return FALSE;
		}
		if (o.type == 0 || (rc = hwd_writer_object(c.w, &o)) < 0)
			return writer_failed(c.w, out_path, o.type == 0 ? HWD_E_NOMEM : rc, error);
	}

	uint32_t adopted_label = hwd_writer_cstring(c.w, HW_V8_ADOPTED_LABEL);
	for (uint32_t v = 0; v < s->n_nodes; v++) {
		for (uint32_t e = s->first_edge[v]; e < s->first_edge[v + 1]; e++) {
			hwd_edge he = { .from = v, .to = s->edge_to[e], .label = label_of(&c, e),
			                .info = hwd_edge_info(hw_v8_edge_kind(s, rt, e), HWD_EDGE_OFFSET_UNKNOWN) };
			if (he.label == 0 || (rc = hwd_writer_edge(c.w, &he)) < 0)
				return writer_failed(c.w, out_path, he.label == 0 ? HWD_E_NOMEM : rc, error);
		}
		if (v != rt->root)
			continue;
		for (uint32_t k = 0; k < rt->n_adopted; k++) {
			hwd_edge he = { .from = v, .to = rt->adopted[k], .label = adopted_label,
			                .info = hwd_edge_info(HWD_EDGE_STRONG, HWD_EDGE_OFFSET_UNKNOWN) };
			if ((rc = hwd_writer_edge(c.w, &he)) < 0)
				return writer_failed(c.w, out_path, rc, error);
		}
	}

	hwd_root root = { .kind = HWD_ROOT_OTHER, .name = hwd_writer_cstring(c.w, HW_V8_ROOT_NAME), .object = rt->root,
	                  .goroutine = HWD_NONE, .frame = HWD_NONE };
	if ((rc = hwd_writer_root(c.w, &root)) < 0)
		return writer_failed(c.w, out_path, rc, error);
	if (hwd_writer_finish(c.w, &herr) < 0) {
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_OUTPUT, "%s: writing the snapshot failed: %s", out_path, herr.message);
		return FALSE;
	}
	return TRUE;
}

gboolean hw_v8_import(const char *in_path, const char *out_path, hw_v8_rules rules, GError **error)
{
	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_load(in_path, error);
	g_autoptr(hw_v8_retention) rt = NULL;

	if (!s)
		return FALSE;
	rt = hw_v8_retention_compute(s, rules);
	return hw_v8_write_snapshot(s, rt, in_path, out_path, error);
}

/* Where the temporary conversion goes: /dev/shm (memory-backed: no disk writeback, no fsync
 * wait; measured 10-20% of `v8nodes` on 3M nodes) when it has room for a generous estimate of
 * the file, else $TMPDIR. */
static char *make_temp_dir(const hw_v8_snapshot *s, const hw_v8_retention *rt, GError **error)
{
	/* Records are at most 48 bytes per object and 16 per edge; strings are written once. */
	uint64_t need = 2 * ((uint64_t)s->n_nodes * 48 + ((uint64_t)s->n_edges + rt->n_adopted) * 16 +
	                     s->str_off[s->n_strings]) + (UINT64_C(16) << 20);
	struct statvfs vfs;

	if (statvfs("/dev/shm", &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= need) {
		char *dir = g_strdup("/dev/shm/heapwalk-v8-XXXXXX");
		if (g_mkdtemp(dir))
			return dir;
		g_free(dir);
	}
	return g_dir_make_tmp("heapwalk-v8-XXXXXX", error);
}

hwd_reader *hw_v8_open(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source, GError **error)
{
	g_autofree char *dir = make_temp_dir(s, rt, error);
	g_autofree char *tmp = NULL;
	hwd_reader *r = NULL;
	hwd_error herr = { 0 };

	if (!dir)
		return NULL;
	tmp = g_build_filename(dir, "snapshot.hwd", NULL);
	if (hw_v8_write_snapshot(s, rt, source, tmp, error) &&
	    hwd_reader_open(tmp, HWD_OPEN_STRICT, &r, &herr) < 0)
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_OUTPUT, "%s: reading the converted snapshot back failed: %s",
		            tmp, herr.message);
	unlink(tmp);
	rmdir(dir);
	return r;
}

hwd_reader *hw_v8_open_file(const char *path, hw_v8_rules rules, GError **error)
{
	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_load(path, error);
	g_autoptr(hw_v8_retention) rt = NULL;

	if (!s)
		return NULL;
	rt = hw_v8_retention_compute(s, rules);
	return hw_v8_open(s, rt, path, error);
}

gboolean hw_v8_sniff_file(const char *path)
{
	char head[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	n = read(fd, head, sizeof head);
	close(fd);
	return n > 0 && hw_v8_sniff(head, (size_t)n);
}

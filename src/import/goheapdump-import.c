/* goheapdump-import.c - `heapwalk import go-heapdump`: a WriteHeapDump file as a heapwalk snapshot.
 *
 * The dump is mapped and parsed (goheapdump.c), its records turned into objects
 * (goheapdump-objects.c), and the snapshot written in one pass: metadata, objects, edges
 * (with contents), roots, goroutines with their frames, threads. The model is a live
 * capture's (src/goruntime/), so the analyses see no difference:
 *  - an edge is a pointer field whose value lies inside an allocated object (interior
 *    pointers resolve to the object), kind strong, offset from the object's address;
 *  - roots: data/bss pointer words (named after the DWARF variable holding them), stack frame
 *    pointer words (the frame's goroutine and frame), goroutine contexts, defer and panic
 *    records, finalizers (function, and what the finalized object points to, not the object
 *    itself, which stays collectable), queued finalizers (function, object, types), and the
 *    dump's "other roots";
 *  - types and edge labels: with the executable, the live dumper's own typing pass
 *    (goruntime/typeprop.h) runs over the dump: the objects become a gr_walk's object index
 *    (one span per object, carrying its slot size, malloc header, large and noscan bits),
 *    memory is the dump's object contents (malloc headers included) and data/bss over the
 *    executable, globals come from its DWARF, and the pointer shape of untyped small objects
 *    from the dump's field lists (there are no heap bits). What the dump lacks is
 *    mspan.largeType: large objects get no runtime type, only what propagation or the size
 *    fallback gives them (import.large_objects_typed_by_size counts those left to size).
 *    Without the executable there are no types to read: header objects whose type the dump
 *    lists (Type records: the types of itabs) get that name, the rest a size class name, and
 *    edges have no labels.
 * The executable also gives frames file:line and inlined callers (pclntab), goroutines their
 * creation site, and the Go build identity; it must be the program that wrote the dump (its
 * .data address and Go version are checked against the dump's).
 */
#include "import/goheapdump.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "debuginfo/dwarfinfo.h"
#include "debuginfo/elfinfo.h"
#include "debuginfo/pclntab.h"
#include "goruntime/layout.h"
#include "goruntime/typeprop.h"
#include "goruntime/types.h"
#include "hwd.h"
#include "import/goheapdump-objects.h"
#include "target/exemem.h"

/* What the executable adds; every member NULL/0 without one. */
typedef struct exe_info {
	hw_elf *elf;
	hw_dwarf *dwarf;
	gr_layout L;
	hw_memsrc *file;          /* the executable's loadable contents at target addresses */
	hw_pclntab *pcln;
	gr_types *types;
	guint64 bias, types_base, types_end;
	const hw_dwarf_var *globals;
	gsize n_globals;
	gr_debuginfo_kind debuginfo;        /* DWARF, or the layout table (then table is set) */
	const gr_layout_table *table;
} exe_info;

typedef struct importer {
	const hw_goheapdump *d;
	hw_ghd_objects objs;
	exe_info x;
	gboolean have_exe;
	gr_mem mem;                    /* process_read over this importer (with the executable) */
	gr_pause pause;                /* its spans: one per object (typing_build) */
	gr_walk walk;                  /* what the typing pass reads; walk.objects numbers like objs */
	gr_typing typing;              /* built when have_exe */
	hwd_writer *w;
	GHashTable *sizeclass_types;   /* (elemsize << 2 | large << 1 | noscan) -> type id */
	GHashTable *dump_types;        /* Type record address -> hw_ghd_type* (without --exe) */
	guint64 edges, roots, ptr_words, nonheap_words, frame_words_outside, untyped_headers;
	guint64 large_pointerful;
} importer;

/* ---- memory of the dumped process: the dump's heap and globals over the executable ---- */

static gboolean copy_from(const hw_goheapdump *d, const hw_ghd_memory *m, guint64 addr, void *buf, size_t len)
{
	if (addr < m->addr || addr - m->addr > m->len || len > m->len - (addr - m->addr))
		return FALSE;
	memcpy(buf, d->data + m->data_off + (addr - m->addr), len);
	return TRUE;
}

/* Reads the dumped process's memory; the object index (walk.objects, which unlike
 * hw_ghd_objects_find accepts malloc header words) must be built. */
static gboolean process_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	importer *im = ctx;
	const hw_goheapdump *d = im->d;
	guint32 k = gr_objects_find(&im->walk.objects, &im->pause.spans, addr);
	if (k != GR_NO_OBJECT)
		return copy_from(d, &g_array_index(d->objects, hw_ghd_memory, im->objs.v[k].rec), addr, buf, len);
	if ((d->has_data && copy_from(d, &d->data_seg, addr, buf, len)) ||
	    (d->has_bss && copy_from(d, &d->bss_seg, addr, buf, len)))
		return TRUE;
	return im->x.file && hw_memsrc_read(im->x.file, addr, buf, len, NULL);
}

/* ---- the executable ---------------------------------------------------------------- */

static void exe_clear(exe_info *x)
{
	gr_types_free(x->types);
	if (x->pcln)
		hw_pclntab_free(x->pcln);
	if (x->file)
		hw_memsrc_unref(x->file);
	if (x->dwarf)
		hw_dwarf_free(x->dwarf);
	if (x->elf)
		hw_elf_unref(x->elf);
	memset(x, 0, sizeof *x);
}

static gboolean mismatch(GError **error, const char *exe, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean mismatch(GError **error, const char *exe, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_MISMATCH, "%s is not the program that wrote the heap dump: %s",
	            exe, what);
	return FALSE;
}

static gboolean exe_open(importer *im, const char *path, GError **error)
{
	exe_info *x = &im->x;
	const hw_goheapdump *d = im->d;
	guint64 data_addr, data_size, md_addr;
	/* An executable without DWARF (a go test binary) reads through the layout table, as a
	 * capture does (layout.h): the same objects and edges, fewer types. */
	if (!(x->elf = hw_elf_open(path, error)) ||
	    !(x->dwarf = gr_debuginfo_load(x->elf, NULL, &x->debuginfo, &x->table, error)))
		return FALSE;
	if (!hw_elf_section_info(x->elf, ".data", &data_addr, &data_size))
		return mismatch(error, path, "it has no .data section");
	if (d->has_data) {
		if (hw_elf_is_pie(x->elf))
			x->bias = d->data_seg.addr - data_addr;
		else if (d->data_seg.addr != data_addr)
			return mismatch(error, path, "its data starts at 0x%" G_GINT64_MODIFIER "x, the dumped program's at 0x%"
			                G_GINT64_MODIFIER "x", data_addr, d->data_seg.addr);
	}
	const char *rtver = hw_elf_go_runtime_version(x->elf, NULL);
	g_autofree char *dver = hw_goheapdump_string(d, d->version_off, d->version_len);
	if (rtver && strcmp(rtver, dver) != 0)
		return mismatch(error, path, "it was built by %s, the dump was written by %s", rtver, dver);
	if (!gr_layout_load(x->dwarf, x->bias, &x->L, error))
		return FALSE;
	x->file = hw_exemem_new(x->elf, x->bias);
	hw_moduledata md;
	if (!hw_moduledata_locate(x->elf, x->dwarf, x->bias, &md_addr, error) ||
	    !hw_moduledata_read(x->file, x->dwarf, md_addr, &md, error) ||
	    !(x->pcln = hw_pclntab_new(x->file, &md, error)))
		return FALSE;
	x->types_base = md.types;
	x->types_end = md.etypes;
	x->globals = hw_dwarf_globals(x->dwarf, &x->n_globals);
	return TRUE;
}

/* ---- types ------------------------------------------------------------------------- */

/* Without the executable: an object's type by size class. */
static uint32_t sizeclass_type(importer *im, guint64 elemsize, gboolean large, gboolean noscan)
{
	guint64 key = elemsize << 2 | (guint64)large << 1 | (guint64)noscan;
	gpointer id;
	if (g_hash_table_lookup_extended(im->sizeclass_types, &key, NULL, &id))
		return GPOINTER_TO_UINT(id);
	char name[64];
	g_snprintf(name, sizeof name, "%s%" G_GUINT64_FORMAT " B%s", large ? "large " : "size class ", elemsize,
	           noscan ? " (no pointers)" : "");
	uint32_t t = hwd_writer_type(im->w, name, elemsize, HWD_TYPE_SIZECLASS);
	g_hash_table_insert(im->sizeclass_types, g_memdup2(&key, sizeof key), GUINT_TO_POINTER(t));
	return t;
}

/* Without the executable: the type the dump's Type records give a header object's malloc
 * header word, or 0. */
static uint32_t header_type(importer *im, guint64 taddr)
{
	const hw_ghd_type *t = g_hash_table_lookup(im->dump_types, &taddr);
	if (!t)
		return 0;
	g_autofree char *name = hw_goheapdump_string(im->d, t->name_off, t->name_len);
	return hwd_writer_type(im->w, name, t->size, HWD_TYPE_UNKNOWN);
}

/* Without the executable: an object's type. */
static uint32_t object_type(importer *im, const hw_ghd_object *o, const hw_ghd_memory *r)
{
	gboolean noscan = r->fields.n == 0;
	if (o->header) {
		guint64 taddr = 0;
		hw_goheapdump_word(im->d, r->data_off, r->len, 0, &taddr);
		uint32_t t = header_type(im, taddr);
		if (t)
			return t;
		im->untyped_headers++;
		return sizeclass_type(im, r->len, FALSE, FALSE);
	}
	/* Without a header, an object over 32 KiB, or a pointerful one of 32 KiB whose first word
	 * is a pointer (goheapdump-objects.h), sits in a span of its own. */
	gboolean large = r->len > 32768 || (r->len > 512 && !noscan);
	im->large_pointerful += large && !noscan;
	return sizeclass_type(im, r->len, large, noscan);
}

static void dump_ptr_words(void *ctx, uint32_t k, void (*word)(void *user, uint64_t off), void *user)
{
	importer *im = ctx;
	hw_goheapdump_fields(im->d, g_array_index(im->d->objects, hw_ghd_memory, im->objs.v[k].rec).fields, word, user);
}

/* With the executable: the object index the typing pass and process_read need, over one span
 * per object that says what decided the runtime's typing of it — its slot size, whether it
 * has a malloc header (goheapdump-objects.h), is large (span class 0: a pointerful object
 * over the header threshold without one, or any over 32 KiB) or noscan (no pointer fields). */
static gboolean build_index(importer *im, GError **error)
{
	gr_spans *ss = &im->pause.spans;
	gsize n = im->objs.n;
	ss->v = g_new0(gr_span, n ? n : 1);
	ss->bits = g_malloc(2 * n + 1);
	memset(ss->bits, 1, 2 * n + 1);   /* each span's one slot: allocated, published */
	ss->bits_len = 2 * n;
	ss->n = n;
	for (gsize k = 0; k < n; k++) {
		const hw_ghd_object *o = &im->objs.v[k];
		const hw_ghd_memory *r = &g_array_index(im->d->objects, hw_ghd_memory, o->rec);
		gr_span *s = &ss->v[k];
		gboolean noscan = r->fields.n == 0 && !o->header;
		gboolean large = !o->header && (r->len > 32768 || (r->len > im->x.L.min_size_for_malloc_header && !noscan));
		s->start = r->addr;
		s->elemsize = r->len;
		s->limit = r->addr + r->len;
		s->npages = (r->len + GR_PAGE_SIZE - 1) / GR_PAGE_SIZE;
		s->nelems = 1;
		s->bits_off = 2 * k;
		s->spanclass = (uint8_t)((large ? 0 : 1) << 1 | noscan);
		/* goheapdump-objects.c applies Go's 512-byte malloc header threshold; the typing pass
		 * applies the executable's (runtime.minSizeForMallocHeader). */
		if (gr_span_has_header(s, &im->x.L) != (o->header != 0)) {
			g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_MISMATCH, "the object at 0x%" G_GINT64_MODIFIER "x "
			            "(%" G_GUINT64_FORMAT " bytes) %s a malloc header by the dump's records, but not by the "
			            "executable's runtime (minSizeForMallocHeader %" G_GUINT64_FORMAT ")", r->addr, r->len,
			            o->header ? "has" : "has no", im->x.L.min_size_for_malloc_header);
			return FALSE;
		}
	}
	return gr_objects_build(ss, &im->walk.objects, error);
}

/* With the executable: types every object by the live dumper's typing pass (typeprop.h).
 * Writes the types and the types.* metadata. */
static gboolean typing_build(importer *im, GError **error)
{
	gr_walk *w = &im->walk;
	w->mem = &im->mem;
	w->L = &im->x.L;
	w->pause = &im->pause;
	w->types = im->x.types;
	w->pcln = im->x.pcln;
	w->dwarf = im->x.dwarf;
	w->bias = im->x.bias;
	w->now_mono_ns = -1;
	w->w = im->w;
	w->ptr_words = dump_ptr_words;
	w->ptr_words_ctx = im;
	if (!gr_typing_build(w, im->x.types_base, &im->typing, error))
		return FALSE;
	w->typing = &im->typing;
	for (gsize k = 0; k < im->objs.n; k++) {
		const gr_span *s = &im->pause.spans.v[k];
		im->large_pointerful += gr_span_sizeclass(s) == 0 && !gr_span_noscan(s) &&
		                        im->typing.source[k] == GR_TSRC_SIZECLASS;
	}
	return TRUE;
}

/* ---- writing ----------------------------------------------------------------------- */

/* A writer failure as a GError. */
static gboolean check(importer *im, int rc, const char *what, GError **error)
{
	if (rc == 0)
		return TRUE;
	const hwd_error *e = hwd_writer_last_error(im->w);
	g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_IO, "writing the snapshot (%s): %s", what,
	            e && e->code ? e->message : hwd_strerror(rc));
	return FALSE;
}

static gboolean write_objects(importer *im, GError **error)
{
	for (gsize k = 0; k < im->objs.n; k++) {
		const hw_ghd_object *o = &im->objs.v[k];
		const hw_ghd_memory *r = &g_array_index(im->d->objects, hw_ghd_memory, o->rec);
		hwd_object ho = { o->addr, o->size, im->have_exe ? im->typing.type_id[k] : object_type(im, o, r),
		                  o->header ? HWD_OBJ_HAS_HEADER : 0 };
		if (!ho.type)
			return check(im, -2, "type", error);
		if (!check(im, hwd_writer_object(im->w, &ho), "object", error))
			return FALSE;
	}
	return TRUE;
}

typedef struct edge_ctx {
	importer *im;
	const hw_ghd_memory *r;
	guint32 from, header;
	int rc;
} edge_ctx;

static void edge_field(void *user, guint64 off)
{
	edge_ctx *c = user;
	importer *im = c->im;
	guint64 v;
	if (c->rc || !hw_goheapdump_word(im->d, c->r->data_off, c->r->len, off, &v))
		return;
	im->ptr_words++;
	guint32 to = hw_ghd_objects_find(&im->objs, v);
	if (to == HW_GHD_NO_OBJECT) {
		im->nonheap_words += v != 0;
		return;
	}
	uint32_t label = im->have_exe ? gr_typing_label(&im->walk, &im->typing, c->from, off - c->header) : 0;
	hwd_edge e = { c->from, to, label, hwd_edge_info(HWD_EDGE_STRONG, off - c->header) };
	c->rc = hwd_writer_edge(im->w, &e);
	im->edges++;
}

static gboolean write_edges(importer *im, gboolean contents, GError **error)
{
	for (gsize k = 0; k < im->objs.n; k++) {
		const hw_ghd_object *o = &im->objs.v[k];
		edge_ctx c = { im, &g_array_index(im->d->objects, hw_ghd_memory, o->rec), (guint32)k, o->header, 0 };
		hw_goheapdump_fields(im->d, c.r->fields, edge_field, &c);
		if (!check(im, c.rc, "edge", error))
			return FALSE;
		if (contents && !check(im, hwd_writer_contents(im->w, (guint32)k, im->d->data + c.r->data_off + o->header,
		                                               o->size), "contents", error))
			return FALSE;
	}
	return TRUE;
}

/* Writes a root for the word at addr holding value when value points into an object. */
static gboolean root(importer *im, hwd_root_kind kind, uint32_t name, guint64 addr, guint64 value,
                     uint32_t goroutine, uint32_t frame, GError **error)
{
	guint32 obj = hw_ghd_objects_find(&im->objs, value);
	if (obj == HW_GHD_NO_OBJECT)
		return TRUE;
	hwd_root r = { (uint16_t)kind, 0, name, obj, goroutine, frame, 0, addr };
	im->roots++;
	return check(im, hwd_writer_root(im->w, &r), "root", error);
}

/* The DWARF global containing the target address addr, or NULL. */
static const hw_dwarf_var *global_at(const exe_info *x, guint64 addr)
{
	gsize lo = 0, hi = x->n_globals;
	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		if (x->globals[mid].addr + x->bias <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const hw_dwarf_var *g = &x->globals[lo - 1];
	const hw_dwarf_type *t = g->type ? hw_dwarf_type_resolve(g->type) : NULL;
	guint64 size = t && t->size != HW_DWARF_SIZE_UNKNOWN ? t->size : 8;
	return addr - (g->addr + x->bias) < size ? g : NULL;
}

typedef struct global_ctx {
	importer *im;
	const hw_ghd_memory *seg;
	const char *section;
	GError **error;
	gboolean ok;
} global_ctx;

static void global_field(void *user, guint64 off)
{
	global_ctx *c = user;
	importer *im = c->im;
	guint64 v, addr = c->seg->addr + off;
	if (!c->ok || !hw_goheapdump_word(im->d, c->seg->data_off, c->seg->len, off, &v) ||
	    hw_ghd_objects_find(&im->objs, v) == HW_GHD_NO_OBJECT)
		return;
	const hw_dwarf_var *g = im->have_exe ? global_at(&im->x, addr) : NULL;
	char name[512];
	if (!g)
		g_snprintf(name, sizeof name, "%s+0x%" G_GINT64_MODIFIER "x", c->section, off);
	else if (addr == g->addr + im->x.bias)
		g_snprintf(name, sizeof name, "%s", g->name);
	else
		g_snprintf(name, sizeof name, "%s+%" G_GUINT64_FORMAT, g->name, addr - g->addr - im->x.bias);
	c->ok = root(im, HWD_ROOT_GLOBAL, hwd_writer_cstring(im->w, name), addr, v, HWD_NONE, HWD_NONE, c->error);
}

typedef struct fin_ctx {
	importer *im;
	const hw_ghd_memory *r;
	guint64 base;
	uint32_t name;
	GError **error;
	gboolean ok;
} fin_ctx;

static void finalized_field(void *user, guint64 off)
{
	fin_ctx *c = user;
	guint64 v;
	if (c->ok && hw_goheapdump_word(c->im->d, c->r->data_off, c->r->len, off, &v))
		c->ok = root(c->im, HWD_ROOT_FINALIZER, c->name, c->r->addr + off, v, HWD_NONE, HWD_NONE, c->error);
}

static gboolean write_finalizers(importer *im, GError **error)
{
	const GArray *fs = im->d->finalizers;
	uint32_t fn = hwd_writer_cstring(im->w, "finalizer function");
	uint32_t referent = hwd_writer_cstring(im->w, "finalizer");
	const char *const queued[4] = { "queued finalizer function", "object queued for finalization",
	                                "queued finalizer argument type", "queued finalizer object type" };
	uint32_t qn[4];
	for (int j = 0; j < 4; j++)
		qn[j] = hwd_writer_cstring(im->w, queued[j]);
	for (guint i = 0; i < fs->len; i++) {
		const hw_ghd_finalizer *f = &g_array_index(fs, hw_ghd_finalizer, i);
		if (f->queued) {
			const guint64 words[4] = { f->fn, f->obj, f->fint, f->ot };
			for (int j = 0; j < 4; j++)
				if (!root(im, HWD_ROOT_FINALIZER, qn[j], 0, words[j], HWD_NONE, HWD_NONE, error))
					return FALSE;
			continue;
		}
		if (!root(im, HWD_ROOT_FINALIZER, fn, f->obj, f->fn, HWD_NONE, HWD_NONE, error))
			return FALSE;
		/* The finalized object stays collectable; what it points to does not. */
		guint32 k = hw_ghd_objects_find(&im->objs, f->obj);
		if (k == HW_GHD_NO_OBJECT)
			continue;
		fin_ctx c = { im, &g_array_index(im->d->objects, hw_ghd_memory, im->objs.v[k].rec), 0, referent, error, TRUE };
		hw_goheapdump_fields(im->d, c.r->fields, finalized_field, &c);
		if (!c.ok)
			return FALSE;
	}
	return TRUE;
}

static gboolean write_roots(importer *im, GError **error)
{
	const hw_goheapdump *d = im->d;
	const struct { const hw_ghd_memory *seg; gboolean has; const char *name; } segs[2] = {
		{ &d->data_seg, d->has_data, "data" }, { &d->bss_seg, d->has_bss, "bss" },
	};
	for (int s = 0; s < 2; s++) {
		if (!segs[s].has)
			continue;
		global_ctx c = { im, segs[s].seg, segs[s].name, error, TRUE };
		hw_goheapdump_fields(d, segs[s].seg->fields, global_field, &c);
		if (!c.ok)
			return FALSE;
	}
	if (!write_finalizers(im, error))
		return FALSE;
	for (guint i = 0; i < d->other_roots->len; i++) {
		const hw_ghd_other_root *r = &g_array_index(d->other_roots, hw_ghd_other_root, i);
		g_autofree char *desc = hw_goheapdump_string(d, r->desc_off, r->desc_len);
		if (!root(im, HWD_ROOT_OTHER, hwd_writer_cstring(im->w, desc), 0, r->to, HWD_NONE, HWD_NONE, error))
			return FALSE;
	}
	uint32_t dfn = hwd_writer_cstring(im->w, "deferred function");
	uint32_t drec = hwd_writer_cstring(im->w, "defer record");
	for (guint i = 0; i < d->defers->len; i++) {
		const hw_ghd_defer *r = &g_array_index(d->defers, hw_ghd_defer, i);
		if (!root(im, HWD_ROOT_STACK, dfn, r->d, r->fn, r->goroutine, HWD_NONE, error) ||
		    !root(im, HWD_ROOT_STACK, drec, r->g, r->d, r->goroutine, HWD_NONE, error))
			return FALSE;
	}
	uint32_t parg = hwd_writer_cstring(im->w, "panic argument");
	uint32_t prec = hwd_writer_cstring(im->w, "panic record");
	for (guint i = 0; i < d->panics->len; i++) {
		const hw_ghd_panic *r = &g_array_index(d->panics, hw_ghd_panic, i);
		if (!root(im, HWD_ROOT_STACK, parg, r->p, r->argdata, r->goroutine, HWD_NONE, error) ||
		    !root(im, HWD_ROOT_STACK, prec, r->g, r->p, r->goroutine, HWD_NONE, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- goroutines, frames, threads ----------------------------------------------------- */

/* runtime2.go's goroutine status numbering (stable since Go 1.0; later versions add at the end). */
static const char *state_name(guint64 status, char *buf, gsize len)
{
	static const char *const names[] = {
		[1] = "runnable", [2] = "running", [3] = "syscall", [4] = "waiting", [6] = "dead",
		[8] = "copystack", [9] = "preempted", [10] = "leaked",
	};
	if (status < G_N_ELEMENTS(names) && names[status])
		return names[status];
	g_snprintf(buf, len, "status %" G_GUINT64_FORMAT, status);
	return buf;
}

/* The function, file and line at pc: of the innermost function inlined there. A return
 * address (call) is looked up at pc-1, as the runtime does. */
static void site(importer *im, guint64 pc, gboolean call, uint32_t *func, uint32_t *file, uint32_t *line)
{
	hw_func fn;
	*func = *file = *line = 0;
	if (!im->have_exe || !pc || !hw_pclntab_findfunc(im->x.pcln, pc, &fn, NULL))
		return;
	GArray *fr = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
	if (hw_pclntab_inline_frames(im->x.pcln, &fn, call && pc > fn.entry ? pc - 1 : pc, fr, NULL) && fr->len > 0) {
		const hw_inline_frame *f = &g_array_index(fr, hw_inline_frame, 0);
		*func = hwd_writer_cstring(im->w, f->name);
		*file = f->file ? hwd_writer_cstring(im->w, f->file) : 0;
		*line = f->line > 0 ? (uint32_t)f->line : 0;
	} else {
		*func = hwd_writer_cstring(im->w, fn.name);
	}
	g_array_free(fr, TRUE);
}

/* Writes the logical frames of one dumped (physical) frame, innermost inlined call first;
 * *phys receives the index of the physical one (the last). */
static gboolean write_frames(importer *im, const hw_ghd_frame *f, uint32_t gi, uint32_t *counter, uint32_t *n,
                             uint32_t *phys, uint32_t *fname, GError **error)
{
	g_autofree char *dname = hw_goheapdump_string(im->d, f->name_off, f->name_len);
	hw_func fn;
	GArray *fr = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
	if (im->have_exe && hw_pclntab_findfunc(im->x.pcln, f->pc, &fn, NULL))
		hw_pclntab_inline_frames(im->x.pcln, &fn, f->depth > 0 && f->pc > fn.entry ? f->pc - 1 : f->pc, fr, NULL);
	if (fr->len == 0) {
		hw_inline_frame only = { dname, NULL, 0, 0, FALSE };
		g_array_append_val(fr, only);
	}
	gboolean ok = TRUE;
	for (guint i = 0; i < fr->len && ok; i++) {
		const hw_inline_frame *lf = &g_array_index(fr, hw_inline_frame, i);
		hwd_frame hf = { f->pc, f->sp, hwd_writer_cstring(im->w, lf->name),
		                 lf->file ? hwd_writer_cstring(im->w, lf->file) : 0, lf->line > 0 ? (uint32_t)lf->line : 0,
		                 gi };
		ok = check(im, hwd_writer_frame(im->w, &hf), "frame", error);
		*phys = (*counter)++;
		(*n)++;
	}
	*fname = hwd_writer_cstring(im->w, dname);
	g_array_free(fr, TRUE);
	return ok;
}

static gboolean frame_roots(importer *im, const hw_ghd_frame *f, uint32_t gi, uint32_t phys, uint32_t name,
                            GError **error);

static gboolean write_goroutines(importer *im, GError **error)
{
	const hw_goheapdump *d = im->d;
	uint32_t counter = 0, ctxt = hwd_writer_cstring(im->w, "goroutine context");
	for (guint gi = 0; gi < d->goroutines->len; gi++) {
		const hw_ghd_goroutine *g = &g_array_index(d->goroutines, hw_ghd_goroutine, gi);
		char sbuf[32];
		hwd_goroutine hg = { 0 };
		hg.id = g->goid;
		hg.wait_ns = -1;   /* waitsince is monotonic time, and the dump does not say when it was written */
		hg.state = hwd_writer_cstring(im->w, state_name(g->status, sbuf, sizeof sbuf));
		if (g->waitreason_len) {
			g_autofree char *wr = hw_goheapdump_string(d, g->waitreason_off, g->waitreason_len);
			hg.wait_reason = hwd_writer_cstring(im->w, wr);
		}
		site(im, g->gopc, TRUE, &hg.creator_func, &hg.creator_file, &hg.creator_line);
		hg.first_frame = g->nframes ? counter : HWD_NONE;
		for (guint32 k = 0; k < g->nframes; k++) {
			const hw_ghd_frame *f = &g_array_index(d->frames, hw_ghd_frame, g->first_frame + k);
			uint32_t phys = HWD_NONE, name = 0;
			if (!write_frames(im, f, gi, &counter, &hg.nframes, &phys, &name, error) ||
			    !frame_roots(im, f, gi, phys, name, error))
				return FALSE;
			/* g.startpc is not dumped: the start function is the outermost frame below goexit. */
			g_autofree char *fname = hw_goheapdump_string(d, f->name_off, f->name_len);
			if (strcmp(fname, "runtime.goexit") != 0)
				hg.start_func = name;
		}
		if (!root(im, HWD_ROOT_OTHER, ctxt, g->g, g->ctxt, gi, HWD_NONE, error) ||
		    !check(im, hwd_writer_goroutine(im->w, &hg), "goroutine", error))
			return FALSE;
	}
	return TRUE;
}

typedef struct frame_ctx {
	importer *im;
	const hw_ghd_frame *f;
	uint32_t gi, phys, name;
	GError **error;
	gboolean ok;
} frame_ctx;

static void frame_field(void *user, guint64 off)
{
	frame_ctx *c = user;
	guint64 v;
	if (!c->ok)
		return;
	if (!hw_goheapdump_word(c->im->d, c->f->data_off, c->f->len, off, &v)) {
		c->im->frame_words_outside++;
		return;
	}
	c->ok = root(c->im, HWD_ROOT_STACK, c->name, c->f->sp + off, v, c->gi, c->phys, c->error);
}

static gboolean frame_roots(importer *im, const hw_ghd_frame *f, uint32_t gi, uint32_t phys, uint32_t name,
                            GError **error)
{
	frame_ctx c = { im, f, gi, phys, name, error, TRUE };
	hw_goheapdump_fields(im->d, f->fields, frame_field, &c);
	return c.ok;
}

static gboolean write_threads(importer *im, GError **error)
{
	const hw_goheapdump *d = im->d;
	for (guint i = 0; i < d->threads->len; i++) {
		const hw_ghd_thread *t = &g_array_index(d->threads, hw_ghd_thread, i);
		hwd_thread ht = { 0 };
		char name[32];
		g_snprintf(name, sizeof name, "m%" G_GUINT64_FORMAT, t->id);
		ht.tid = (uint32_t)t->procid;
		ht.name = hwd_writer_cstring(im->w, name);
		for (guint k = 0; k < d->goroutines->len && !ht.goroutine_id; k++)
			if (t->m && g_array_index(d->goroutines, hw_ghd_goroutine, k).m == t->m)
				ht.goroutine_id = g_array_index(d->goroutines, hw_ghd_goroutine, k).goid;
		if (!check(im, hwd_writer_thread(im->w, &ht), "thread", error))
			return FALSE;
	}
	return TRUE;
}

/* ---- metadata ------------------------------------------------------------------------ */

static gboolean write_meta(importer *im, const hw_import_options *opt, GError **error)
{
	const hw_goheapdump *d = im->d;
	const hw_ghd_memstats *m = &d->memstats;
	hwd_writer *w = im->w;
	g_autofree char *version = hw_goheapdump_string(d, d->version_off, d->version_len);
	g_autofree char *goarch = hw_goheapdump_string(d, d->goarch_off, d->goarch_len);
	g_autofree char *input = g_canonicalize_filename(opt->input, NULL);
	int rc = 0;
	rc |= hwd_writer_meta_str(w, "source", "import:go-heapdump");
	rc |= hwd_writer_meta_str(w, "import.path", input);
	rc |= hwd_writer_meta_str(w, "runtime", "go");
	rc |= hwd_writer_meta_str(w, "go.version", version);
	rc |= hwd_writer_meta_str(w, "runtime.version", version);
	rc |= hwd_writer_meta_str(w, "goarch", goarch);
	rc |= hwd_writer_meta_u64(w, "go.ncpu", d->ncpu);
	if (im->have_exe) {
		g_autofree char *exe = g_canonicalize_filename(opt->exe, NULL);
		const char *bid = hw_elf_build_id(im->x.elf), *gobid = hw_elf_go_build_id(im->x.elf);
		rc |= hwd_writer_meta_str(w, "exe", exe);
		if (bid)
			rc |= hwd_writer_meta_str(w, "build.id", bid);
		if (gobid)
			rc |= hwd_writer_meta_str(w, "go.build_id", gobid);
		rc |= gr_debuginfo_write_meta(w, im->x.debuginfo, im->x.table, NULL);
	}
	rc |= hwd_writer_meta_u64(w, "mem.heap_alloc", m->heap_alloc);
	rc |= hwd_writer_meta_u64(w, "mem.heap_objects", m->heap_objects);
	rc |= hwd_writer_meta_u64(w, "mem.heap_inuse", m->heap_inuse);
	rc |= hwd_writer_meta_u64(w, "mem.heap_sys", m->heap_sys);
	rc |= hwd_writer_meta_u64(w, "mem.heap_idle", m->heap_idle);
	rc |= hwd_writer_meta_u64(w, "mem.heap_released", m->heap_released);
	rc |= hwd_writer_meta_u64(w, "mem.stacks_inuse", m->stack_inuse);
	rc |= hwd_writer_meta_u64(w, "mem.stacks_sys", m->stack_sys);
	rc |= hwd_writer_meta_u64(w, "mem.sys", m->sys);
	rc |= hwd_writer_meta_u64(w, "mem.total_alloc", m->total_alloc);
	rc |= hwd_writer_meta_u64(w, "mem.mallocs", m->mallocs);
	rc |= hwd_writer_meta_u64(w, "mem.frees", m->frees);
	rc |= hwd_writer_meta_u64(w, "gc.cycles", m->num_gc);
	rc |= hwd_writer_meta_u64(w, "gc.next_gc", m->next_gc);
	rc |= hwd_writer_meta_i64(w, "gc.last_time_ns", (int64_t)m->last_gc);
	rc |= hwd_writer_meta_u64(w, "gc.pause_total_ns", m->pause_total_ns);
	rc |= hwd_writer_meta_u64(w, "import.object_records", d->objects->len);
	rc |= hwd_writer_meta_u64(w, "import.bogus_records", im->objs.bogus);
	rc |= hwd_writer_meta_u64(w, "import.bogus_bytes", im->objs.bogus_bytes);
	rc |= hwd_writer_meta_u64(w, "import.empty_scan_spans", im->objs.empty_scan_spans);
	rc |= hwd_writer_meta_u64(w, "import.itabs", d->itabs);
	rc |= hwd_writer_meta_u64(w, "import.memprof_buckets", d->buckets->len);
	return check(im, rc, "metadata", error);
}

/* Statistics known only once the records are written. */
static gboolean write_walk_meta(importer *im, GError **error)
{
	int rc = 0;
	rc |= hwd_writer_meta_u64(im->w, "walk.pointer_words", im->ptr_words);
	rc |= hwd_writer_meta_u64(im->w, "walk.nonheap_pointer_words", im->nonheap_words);
	rc |= hwd_writer_meta_u64(im->w, "import.untyped_header_objects", im->untyped_headers);
	rc |= hwd_writer_meta_u64(im->w, "import.large_objects_typed_by_size", im->large_pointerful);
	rc |= hwd_writer_meta_u64(im->w, "import.frame_words_outside", im->frame_words_outside);
	return check(im, rc, "metadata", error);
}

/* ---- allocation sites ----------------------------------------------------------------- */

typedef struct frames_ctx {
	importer *im;
	int rc;
} frames_ctx;

static void alloc_frame(void *user, const char *func, guint32 func_len, const char *file, guint32 file_len,
                        guint64 line)
{
	frames_ctx *c = user;
	hwd_alloc_frame f = { 0, hwd_writer_string(c->im->w, func, func_len),
	                      hwd_writer_string(c->im->w, file, file_len), line > G_MAXUINT32 ? 0 : (uint32_t)line };
	if (!c->rc)
		c->rc = !f.func || !f.file ? hwd_writer_last_error(c->im->w)->code : hwd_writer_alloc_frame(c->im->w, &f);
}

/* The MemProf buckets become allocation stacks and the AllocSample records samples (the
 * dump's stacks name physical functions with the file and line at each pc, as the runtime
 * wrote them). The dump does not record the sampling rate (runtime.MemProfileRate lives in
 * noptrdata, which the dump leaves out), so memprof.rate is not written. */
static gboolean write_alloc_sites(importer *im, GError **error)
{
	const hw_goheapdump *d = im->d;
	g_autoptr(GHashTable) stack_of = g_hash_table_new(g_int64_hash, g_int64_equal);
	frames_ctx c = { im, 0 };
	uint32_t next = 0;
	for (guint i = 0; i < d->buckets->len && !c.rc; i++) {
		hw_ghd_bucket *b = &g_array_index(d->buckets, hw_ghd_bucket, i);
		hw_goheapdump_bucket_frames(d, b, alloc_frame, &c);
		hwd_alloc_stack st = { b->size, next, b->nstk };
		next += b->nstk;
		if (!c.rc)
			c.rc = hwd_writer_alloc_stack(im->w, &st);
		g_hash_table_insert(stack_of, &b->addr, GUINT_TO_POINTER(i + 1));
	}
	if (!check(im, c.rc, "allocation stack", error))
		return FALSE;
	g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(hwd_alloc_sample));
	guint64 lost = 0;
	for (guint i = 0; i < d->alloc_samples->len; i++) {
		hw_ghd_alloc_sample *a = &g_array_index(d->alloc_samples, hw_ghd_alloc_sample, i);
		guint stack = GPOINTER_TO_UINT(g_hash_table_lookup(stack_of, &a->bucket));
		guint32 obj = hw_ghd_objects_find(&im->objs, a->obj);
		if (!stack || obj == HW_GHD_NO_OBJECT) {
			lost++;
			continue;
		}
		hwd_alloc_sample smp = { obj, stack - 1 };
		g_array_append_val(out, smp);
	}
	g_array_sort(out, hwd_alloc_sample_cmp);
	int rc = 0;
	for (guint i = 0; i < out->len && !rc; i++)
		rc = hwd_writer_alloc_sample(im->w, &g_array_index(out, hwd_alloc_sample, i));
	if (!rc && lost) {
		g_autofree char *note = g_strdup_printf("%" G_GUINT64_FORMAT " AllocSample records name no object or "
		                                        "no MemProf bucket of the dump: skipped", lost);
		rc = hwd_writer_meta_str(im->w, "memprof.note", note);
	}
	return check(im, rc, "allocation sample", error);
}

/* ---- entry point --------------------------------------------------------------------- */

static gboolean run(importer *im, const hw_import_options *opt, hw_import_result *res, GError **error)
{
	gboolean greentea;
	if (opt->exe && !exe_open(im, opt->exe, error))
		return FALSE;
	im->have_exe = opt->exe != NULL;
	if (im->have_exe)
		greentea = im->x.L.greentea;
	else if (!hw_goheapdump_greentea(im->d, &greentea, error))
		return FALSE;
	if (!hw_ghd_objects_build(im->d, greentea, &im->objs, error)) {
		g_prefix_error(error, "%s: ", opt->input);
		return FALSE;
	}
	if (im->have_exe) {
		im->mem = (gr_mem){ process_read, im };
		if (!build_index(im, error))
			return FALSE;
		im->x.types = gr_types_new(&im->mem, &im->x.L.abi, im->x.types_base, im->x.types_end);
	} else {
		for (guint i = 0; i < im->d->types->len; i++) {
			hw_ghd_type *t = &g_array_index(im->d->types, hw_ghd_type, i);
			g_hash_table_insert(im->dump_types, &t->addr, t);
		}
	}
	hwd_writer_options wo = { .producer = "heapwalk (go heap dump import)", .pointer_size = 8,
	                          .with_contents = opt->contents };
	hwd_error herr = { 0 };
	if (hwd_writer_open(opt->output, &wo, &im->w, &herr) != 0) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_IO, "%s: %s", opt->output, herr.message);
		return FALSE;
	}
	if (!write_meta(im, opt, error) || (im->have_exe && !typing_build(im, error)) || !write_objects(im, error) || !write_edges(im, opt->contents, error) ||
	    !write_roots(im, error) || !write_goroutines(im, error) || !write_threads(im, error) ||
	    !write_alloc_sites(im, error) || !write_walk_meta(im, error)) {
		hwd_writer_abort(im->w);
		im->w = NULL;
		return FALSE;
	}
	hwd_writer *w = im->w;
	im->w = NULL;
	if (hwd_writer_finish(w, &herr) != 0) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_IO, "%s: %s", opt->output, herr.message);
		return FALSE;
	}
	res->objects = im->objs.n;
	res->object_bytes = im->objs.slot_bytes;
	res->edges = im->edges;
	res->roots = im->roots;
	res->goroutines = im->d->goroutines->len;
	res->dropped = im->objs.bogus;
	GString *note = g_string_new(NULL);
	if (!im->have_exe)
		g_string_append(note, "without --exe, objects are typed by size class (or by the dump's own Type records), "
		                      "edges have no field labels, globals are not named after variables, and frames and goroutines have no file:line; ");
	if (im->large_pointerful)
		g_string_append_printf(note, "%" G_GUINT64_FORMAT " large objects with pointers are typed by size only (the dump "
		                       "does not carry their type, mspan.largeType, and no typed pointer reached them); ",
		                       im->large_pointerful);
	if (im->untyped_headers)
		g_string_append_printf(note, "%" G_GUINT64_FORMAT " malloc headers name no readable type; ", im->untyped_headers);
	if (note->len)
		g_string_truncate(note, note->len - 2);
	res->note = g_string_free(note, note->len == 0);
	return TRUE;
}

gboolean hw_import_go_heapdump(const hw_import_options *opt, hw_import_result *res, GError **error)
{
	memset(res, 0, sizeof *res);
	GError *err = NULL;
	g_autoptr(GMappedFile) map = g_mapped_file_new(opt->input, FALSE, &err);
	if (!map) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_IO, "%s", err->message);
		g_error_free(err);
		return FALSE;
	}
	const guint8 *data = (const guint8 *)g_mapped_file_get_contents(map);
	gsize len = g_mapped_file_get_length(map);
	static const guint8 empty[1];
	g_autoptr(hw_goheapdump) d = hw_goheapdump_parse(data ? data : empty, data ? len : 0, &err);
	gboolean ok = d != NULL;
	if (ok) {
		importer im = { 0 };
		im.d = d;
		im.sizeclass_types = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
		im.dump_types = g_hash_table_new(g_int64_hash, g_int64_equal);
		ok = run(&im, opt, res, &err);
		if (im.w)
			hwd_writer_abort(im.w);
		g_hash_table_destroy(im.sizeclass_types);
		g_hash_table_destroy(im.dump_types);
		gr_typing_free(&im.typing);
		gr_objects_clear(&im.walk.objects);
		gr_pause_clear(&im.pause);
		hw_ghd_objects_clear(&im.objs);
		exe_clear(&im.x);
	}
	if (!d)
		g_propagate_prefixed_error(error, err, "%s: ", opt->input);
	else if (!ok)
		g_propagate_error(error, err);
	return ok;
}

/* goheapdump.c - parsing and validating a runtime/debug.WriteHeapDump file (see goheapdump.h).
 *
 * One pass over the mapped file with a cursor. Every read checks what is left of the file
 * first, so a cut anywhere is a "truncated" error naming the record being read, and every
 * value that later code indexes with (field offsets, lengths) is checked here, once.
 */
#include "import/goheapdump.h"

#include <stdlib.h>
#include <string.h>

#define DUMP_HEADER "go1.7 heap dump\n"
#define DUMP_HEADER_LEN 16u

enum {
	TAG_EOF = 0, TAG_OBJECT = 1, TAG_OTHER_ROOT = 2, TAG_TYPE = 3, TAG_GOROUTINE = 4,
	TAG_STACK_FRAME = 5, TAG_PARAMS = 6, TAG_FINALIZER = 7, TAG_ITAB = 8, TAG_OS_THREAD = 9,
	TAG_MEMSTATS = 10, TAG_QUEUED_FINALIZER = 11, TAG_DATA = 12, TAG_BSS = 13, TAG_DEFER = 14,
	TAG_PANIC = 15, TAG_MEMPROF = 16, TAG_ALLOC_SAMPLE = 17,
};

static const char *const tag_names[] = {
	"EOF", "Object", "OtherRoot", "Type", "Goroutine", "StackFrame", "Params", "Finalizer",
	"Itab", "OSThread", "MemStats", "QueuedFinalizer", "Data", "BSS", "Defer", "Panic",
	"MemProf", "AllocSample",
};

#define FIELD_KIND_EOL 0
#define FIELD_KIND_PTR 1

/* The runtime writes MemProf stacks of at most 32 frames (maxStack); be generous. */
#define MAX_MEMPROF_FRAMES 1024u

typedef struct cursor {
	const guint8 *p;
	gsize len, off;
	const char *rec;       /* kind of the record being read */
	gsize rec_off;
	GError **error;
} cursor;

static gboolean fail(cursor *c, int code, gsize at, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static gboolean fail(cursor *c, int code, gsize at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(c->error, HW_IMPORT_ERROR, code, "%s record at offset %zu: %s (at offset %zu)", c->rec,
	            c->rec_off, what, at);
	return FALSE;
}

static gboolean uvarint(cursor *c, const char *what, guint64 *out)
{
	gsize start = c->off;
	guint64 v = 0;
	*out = 0; /* also on failure: callers' values are then defined whatever the inliner sees */
	for (unsigned shift = 0;; shift += 7) {
		if (c->off >= c->len)
			return fail(c, HW_IMPORT_ERROR_TRUNCATED, start, "the file ends inside %s", what);
		guint8 b = c->p[c->off++];
		if (shift == 63 && b > 1)
			return fail(c, HW_IMPORT_ERROR_CORRUPT, start, "%s: varint overflows 64 bits", what);
		v |= (guint64)(b & 0x7f) << shift;
		if (b < 0x80)
			break;
	}
	*out = v;
	return TRUE;
}

/* Reads n varints into the pointers that follow (NULL discards one). */
static gboolean uvarints(cursor *c, const char *what, unsigned n, ...)
{
	va_list ap;
	va_start(ap, n);
	gboolean ok = TRUE;
	for (unsigned i = 0; i < n && ok; i++) {
		guint64 *p = va_arg(ap, guint64 *), v = 0;
		if ((ok = uvarint(c, what, &v)) && p)
			*p = v;
	}
	va_end(ap);
	return ok;
}

/* A length-prefixed range: its length and the file offset of its first byte. */
static gboolean range(cursor *c, const char *what, guint64 *off, guint64 *len)
{
	gsize at = c->off;
	guint64 n = 0;
	if (!uvarint(c, what, &n))
		return FALSE;
	if (n > c->len - c->off)
		return fail(c, HW_IMPORT_ERROR_TRUNCATED, at, "%s of %" G_GUINT64_FORMAT " bytes runs past the end "
		            "of the file (%zu bytes left)", what, n, c->len - c->off);
	*off = c->off;
	*len = n;
	c->off += n;
	return TRUE;
}

static gboolean string(cursor *c, const char *what, guint64 *off, guint32 *len)
{
	gsize at = c->off;
	guint64 n = 0;
	if (!range(c, what, off, &n))
		return FALSE;
	if (n > G_MAXUINT32)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "%s of %" G_GUINT64_FORMAT " bytes", what, n);
	*len = (guint32)n;
	return TRUE;
}

/* A field list. With `bound` (objects, data, bss) each offset must be a word inside the
 * bound and the offsets strictly increasing, as the runtime writes them from a bitmap. */
static gboolean fields(cursor *c, gboolean check, guint64 bound, hw_ghd_fields *out)
{
	out->off = c->off;
	out->n = 0;
	guint64 prev = 0;
	for (;;) {
		gsize at = c->off;
		guint64 kind = 0, off = 0;
		if (!uvarint(c, "a field kind", &kind))
			return FALSE;
		if (kind == FIELD_KIND_EOL)
			return TRUE;
		if (kind != FIELD_KIND_PTR)
			return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "field kind %" G_GUINT64_FORMAT " (the runtime writes "
			            "only pointer fields, kind 1)", kind);
		if (!uvarint(c, "a field offset", &off))
			return FALSE;
		if (check && (off % 8 != 0 || off > bound || bound - off < 8 || (out->n > 0 && off <= prev)))
			return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "pointer field at offset %" G_GUINT64_FORMAT " is not "
			            "an aligned word of the %" G_GUINT64_FORMAT " bytes after the last one", off, bound);
		if (out->n == G_MAXUINT32 - 1)
			return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "too many fields");
		prev = off;
		out->n++;
	}
}

/* An Object, Data or BSS record. Objects are whole words (slots); data and bss need not be. */
static gboolean memory(cursor *c, gboolean words, hw_ghd_memory *m)
{
	gsize at;
	m->rec_off = c->rec_off;
	if (!uvarint(c, "the address", &m->addr))
		return FALSE;
	at = c->off;
	if (!range(c, "the contents", &m->data_off, &m->len))
		return FALSE;
	if (m->addr % 8 != 0 || (words && m->len % 8 != 0) || m->addr + m->len < m->addr)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "%" G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x: "
		            "not %saligned memory of the address space", m->len, m->addr, words ? "whole words of " : "");
	return fields(c, TRUE, m->len, &m->fields);
}

static hw_ghd_goroutine *current_goroutine(cursor *c, hw_goheapdump *d)
{
	if (d->goroutines->len == 0) {
		fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "it comes before any Goroutine record");
		return NULL;
	}
	return &g_array_index(d->goroutines, hw_ghd_goroutine, d->goroutines->len - 1);
}

static gboolean goroutine(cursor *c, hw_goheapdump *d)
{
	hw_ghd_goroutine g = { 0 };
	guint64 system, background;
	g.rec_off = c->rec_off;
	if (!uvarints(c, "g, sp, goid, gopc, status, system, background or waitsince", 8, &g.g, &g.sp, &g.goid,
	              &g.gopc, &g.status, &system, &background, &g.waitsince) ||
	    !string(c, "the wait reason", &g.waitreason_off, &g.waitreason_len) ||
	    !uvarints(c, "ctxt, m, defer or panic", 4, &g.ctxt, &g.m, &g.defer, &g.panic))
		return FALSE;
	g.system = system != 0;
	g.first_frame = d->frames->len;
	g_array_append_val(d->goroutines, g);
	return TRUE;
}

static gboolean frame(cursor *c, hw_goheapdump *d)
{
	hw_ghd_frame f = { 0 };
	f.rec_off = c->rec_off;
	hw_ghd_goroutine *g = current_goroutine(c, d);
	if (!g)
		return FALSE;
	if (g->first_frame + g->nframes != d->frames->len)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "frames of goroutine %" G_GUINT64_FORMAT " are "
		            "interrupted by other records", g->goid);
	if (!uvarints(c, "sp, depth or child sp", 3, &f.sp, &f.depth, &f.child_sp) ||
	    !range(c, "the frame contents", &f.data_off, &f.len) ||
	    !uvarints(c, "entry, pc or continuation pc", 3, &f.entry, &f.pc, &f.continpc) ||
	    !string(c, "the function name", &f.name_off, &f.name_len) ||
	    !fields(c, FALSE, 0, &f.fields))
		return FALSE;
	if (f.depth != g->nframes)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "frame depth %" G_GUINT64_FORMAT " where goroutine %"
		            G_GUINT64_FORMAT " has %u frames so far", f.depth, g->goid, g->nframes);
	f.goroutine = d->goroutines->len - 1;
	g->nframes++;
	g_array_append_val(d->frames, f);
	return TRUE;
}

static gboolean memstats(cursor *c, hw_goheapdump *d)
{
	hw_ghd_memstats *m = &d->memstats;
	guint64 *first[24] = {
		&m->alloc, &m->total_alloc, &m->sys, &m->lookups, &m->mallocs, &m->frees, &m->heap_alloc,
		&m->heap_sys, &m->heap_idle, &m->heap_inuse, &m->heap_released, &m->heap_objects,
		&m->stack_inuse, &m->stack_sys, &m->mspan_inuse, &m->mspan_sys, &m->mcache_inuse,
		&m->mcache_sys, &m->buckhash_sys, &m->gc_sys, &m->other_sys, &m->next_gc, &m->last_gc,
		&m->pause_total_ns,
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(first); i++)
		if (!uvarint(c, "a MemStats value", first[i]))
			return FALSE;
	guint64 skip;
	for (unsigned i = 0; i < 256; i++)
		if (!uvarint(c, "a MemStats.PauseNs value", &skip))
			return FALSE;
	return uvarint(c, "MemStats.NumGC", &m->num_gc);
}

static gboolean memprof(cursor *c, hw_goheapdump *d)
{
	gsize at;
	guint64 nstk, off, line;
	guint32 len;
	hw_ghd_bucket b = { 0 };
	if (!uvarints(c, "bucket or size", 2, &b.addr, &b.size))
		return FALSE;
	at = c->off;
	if (!uvarint(c, "the stack depth", &nstk))
		return FALSE;
	if (nstk > MAX_MEMPROF_FRAMES)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, at, "a stack of %" G_GUINT64_FORMAT " frames", nstk);
	b.nstk = (guint32)nstk;
	b.stk_off = c->off;
	for (guint64 i = 0; i < nstk; i++)
		if (!string(c, "a function name", &off, &len) || !string(c, "a file name", &off, &len) ||
		    !uvarint(c, "a line", &line))
			return FALSE;
	if (!uvarints(c, "allocs or frees", 2, NULL, NULL))
		return FALSE;
	g_array_append_val(d->buckets, b);
	return TRUE;
}

void hw_goheapdump_bucket_frames(const hw_goheapdump *d, const hw_ghd_bucket *b, hw_ghd_frame_fn fn, void *user)
{
	cursor c = { d->data, d->len, b->stk_off, "MemProf", b->stk_off, NULL };
	guint64 foff = 0, loff = 0, line = 0;
	guint32 flen = 0, llen = 0;
	for (guint32 i = 0; i < b->nstk; i++) {
		if (!string(&c, "a function name", &foff, &flen) || !string(&c, "a file name", &loff, &llen) ||
		    !uvarint(&c, "a line", &line))
			return; /* not reached: the parse accepted these bytes */
		fn(user, (const char *)d->data + foff, flen, (const char *)d->data + loff, llen, line);
	}
}

static gboolean params(cursor *c, hw_goheapdump *d, gboolean *seen)
{
	guint64 big;
	if (*seen)
		return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "a second Params record");
	*seen = TRUE;
	if (!uvarints(c, "byte order, pointer size or arena bounds", 4, &big, &d->ptr_size, &d->arena_start,
	              &d->arena_end) ||
	    !string(c, "GOARCH", &d->goarch_off, &d->goarch_len) ||
	    !string(c, "the Go version", &d->version_off, &d->version_len) ||
	    !uvarint(c, "the CPU count", &d->ncpu))
		return FALSE;
	d->big_endian = big != 0;
	if (d->big_endian || d->ptr_size != 8)
		return fail(c, HW_IMPORT_ERROR_UNSUPPORTED, c->rec_off, "a %s dump with %" G_GUINT64_FORMAT "-byte "
		            "pointers: only little-endian 64-bit dumps are read", d->big_endian ? "big-endian" :
		            "little-endian", d->ptr_size);
	return TRUE;
}

/* One record after its tag. */
static gboolean record(cursor *c, hw_goheapdump *d, guint64 tag, gboolean *seen_params, gboolean *seen_memstats)
{
	switch (tag) {
	case TAG_OBJECT: {
		hw_ghd_memory m;
		if (!memory(c, TRUE, &m))
			return FALSE;
		g_array_append_val(d->objects, m);
		return TRUE;
	}
	case TAG_DATA:
	case TAG_BSS: {
		gboolean *has = tag == TAG_DATA ? &d->has_data : &d->has_bss;
		if (*has)
			return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "a second %s record", c->rec);
		*has = TRUE;
		return memory(c, FALSE, tag == TAG_DATA ? &d->data_seg : &d->bss_seg);
	}
	case TAG_OTHER_ROOT: {
		hw_ghd_other_root r;
		if (!string(c, "the description", &r.desc_off, &r.desc_len) || !uvarint(c, "the target", &r.to))
			return FALSE;
		g_array_append_val(d->other_roots, r);
		return TRUE;
	}
	case TAG_TYPE: {
		hw_ghd_type t;
		guint64 indirect;
		if (!uvarints(c, "address or size", 2, &t.addr, &t.size) ||
		    !string(c, "the type name", &t.name_off, &t.name_len) ||
		    !uvarint(c, "the indirect flag", &indirect))
			return FALSE;
		t.indirect = indirect != 0;
		g_array_append_val(d->types, t);
		return TRUE;
	}
	case TAG_GOROUTINE:
		return goroutine(c, d);
	case TAG_STACK_FRAME:
		return frame(c, d);
	case TAG_PARAMS:
		return params(c, d, seen_params);
	case TAG_FINALIZER:
	case TAG_QUEUED_FINALIZER: {
		hw_ghd_finalizer f = { .queued = tag == TAG_QUEUED_FINALIZER };
		if (!uvarints(c, "object, function, pc or types", 5, &f.obj, &f.fn, &f.fnpc, &f.fint, &f.ot))
			return FALSE;
		g_array_append_val(d->finalizers, f);
		return TRUE;
	}
	case TAG_ITAB:
		d->itabs++;
		return uvarints(c, "itab or type", 2, NULL, NULL);
	case TAG_OS_THREAD: {
		hw_ghd_thread t;
		if (!uvarints(c, "m, id or procid", 3, &t.m, &t.id, &t.procid))
			return FALSE;
		g_array_append_val(d->threads, t);
		return TRUE;
	}
	case TAG_MEMSTATS:
		if (*seen_memstats)
			return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "a second MemStats record");
		*seen_memstats = TRUE;
		return memstats(c, d);
	case TAG_DEFER: {
		hw_ghd_defer r;
		if (!current_goroutine(c, d) ||
		    !uvarints(c, "a defer word", 7, &r.d, &r.g, &r.sp, &r.pc, &r.fn, &r.fnpc, &r.link))
			return FALSE;
		r.goroutine = d->goroutines->len - 1;
		g_array_append_val(d->defers, r);
		return TRUE;
	}
	case TAG_PANIC: {
		hw_ghd_panic r;
		if (!current_goroutine(c, d) ||
		    !uvarints(c, "a panic word", 6, &r.p, &r.g, &r.argtype, &r.argdata, &r.defer, &r.link))
			return FALSE;
		r.goroutine = d->goroutines->len - 1;
		g_array_append_val(d->panics, r);
		return TRUE;
	}
	case TAG_MEMPROF:
		return memprof(c, d);
	case TAG_ALLOC_SAMPLE: {
		hw_ghd_alloc_sample a;
		if (!uvarints(c, "object or bucket", 2, &a.obj, &a.bucket))
			return FALSE;
		g_array_append_val(d->alloc_samples, a);
		return TRUE;
	}
	}
	return fail(c, HW_IMPORT_ERROR_CORRUPT, c->rec_off, "unknown record tag %" G_GUINT64_FORMAT, tag);
}

hw_goheapdump *hw_goheapdump_parse(const guint8 *data, gsize len, GError **error)
{
	if (len < DUMP_HEADER_LEN || memcmp(data, DUMP_HEADER, DUMP_HEADER_LEN) != 0) {
		gboolean older = len >= 8 && memcmp(data, "go1.", 4) == 0 && memchr(data, '\n', MIN(len, 32));
		g_set_error(error, HW_IMPORT_ERROR, older ? HW_IMPORT_ERROR_UNSUPPORTED : HW_IMPORT_ERROR_FORMAT,
		            older ? "a Go heap dump of a format before \"go1.7 heap dump\" (Go 1.7 and later write that one)"
		                  : "not a Go heap dump: no \"go1.7 heap dump\" header at offset 0");
		return NULL;
	}
	hw_goheapdump *d = g_new0(hw_goheapdump, 1);
	d->data = data;
	d->len = len;
	d->objects = g_array_new(FALSE, FALSE, sizeof(hw_ghd_memory));
	d->goroutines = g_array_new(FALSE, FALSE, sizeof(hw_ghd_goroutine));
	d->frames = g_array_new(FALSE, FALSE, sizeof(hw_ghd_frame));
	d->finalizers = g_array_new(FALSE, FALSE, sizeof(hw_ghd_finalizer));
	d->threads = g_array_new(FALSE, FALSE, sizeof(hw_ghd_thread));
	d->types = g_array_new(FALSE, FALSE, sizeof(hw_ghd_type));
	d->defers = g_array_new(FALSE, FALSE, sizeof(hw_ghd_defer));
	d->panics = g_array_new(FALSE, FALSE, sizeof(hw_ghd_panic));
	d->other_roots = g_array_new(FALSE, FALSE, sizeof(hw_ghd_other_root));
	d->buckets = g_array_new(FALSE, FALSE, sizeof(hw_ghd_bucket));
	d->alloc_samples = g_array_new(FALSE, FALSE, sizeof(hw_ghd_alloc_sample));

	cursor c = { data, len, DUMP_HEADER_LEN, "first", DUMP_HEADER_LEN, error };
	gboolean seen_params = FALSE, seen_memstats = FALSE;
	for (;;) {
		guint64 tag;
		c.rec_off = c.off;
		c.rec = "next";
		if (c.off >= len) {
			fail(&c, HW_IMPORT_ERROR_TRUNCATED, c.off, "the file ends before the EOF record");
			break;
		}
		if (!uvarint(&c, "the record tag", &tag))
			break;
		c.rec = tag < G_N_ELEMENTS(tag_names) ? tag_names[tag] : "unknown";
		if (tag == TAG_EOF) {
			if (!seen_params || !seen_memstats)
				fail(&c, HW_IMPORT_ERROR_CORRUPT, c.rec_off, "the dump ends without a %s record",
				     seen_params ? "MemStats" : "Params");
			else if (c.off != len)
				fail(&c, HW_IMPORT_ERROR_CORRUPT, c.off, "%zu bytes follow the EOF record", len - c.off);
			else
				return d;
			break;
		}
		if (!record(&c, d, tag, &seen_params, &seen_memstats))
			break;
	}
	hw_goheapdump_free(d);
	return NULL;
}

void hw_goheapdump_free(hw_goheapdump *d)
{
	if (!d)
		return;
	GArray *arrays[] = { d->objects, d->goroutines, d->frames, d->finalizers, d->threads,
	                     d->types, d->defers, d->panics, d->other_roots, d->buckets, d->alloc_samples };
	for (unsigned i = 0; i < G_N_ELEMENTS(arrays); i++)
		if (arrays[i])
			g_array_free(arrays[i], TRUE);
	g_free(d);
}

char *hw_goheapdump_string(const hw_goheapdump *d, guint64 off, guint32 len)
{
	g_assert(off <= d->len && len <= d->len - off);
	return g_strndup((const char *)d->data + off, len);
}

/* Decodes a varint the parse already validated. */
static guint64 known_uvarint(const guint8 *p, gsize *off)
{
	guint64 v = 0;
	for (unsigned shift = 0;; shift += 7) {
		guint8 b = p[(*off)++];
		v |= (guint64)(b & 0x7f) << shift;
		if (b < 0x80)
			return v;
	}
}

void hw_goheapdump_fields(const hw_goheapdump *d, hw_ghd_fields f, hw_ghd_field_fn fn, void *user)
{
	gsize off = f.off;
	for (guint32 i = 0; i < f.n; i++) {
		known_uvarint(d->data, &off);
		fn(user, known_uvarint(d->data, &off));
	}
}

guint64 hw_goheapdump_first_field(const hw_goheapdump *d, hw_ghd_fields f)
{
	gsize off = f.off;
	g_assert(f.n > 0);
	known_uvarint(d->data, &off);
	return known_uvarint(d->data, &off);
}

gboolean hw_goheapdump_word(const hw_goheapdump *d, guint64 data_off, guint64 len, guint64 off, guint64 *out)
{
	if (off > len || len - off < 8)
		return FALSE;
	memcpy(out, d->data + data_off + off, 8);
	*out = GUINT64_FROM_LE(*out);
	return TRUE;
}

gboolean hw_goheapdump_greentea(const hw_goheapdump *d, gboolean *greentea, GError **error)
{
	g_autofree char *v = hw_goheapdump_string(d, d->version_off, d->version_len);
	const char *p = strstr(v, "go1.");
	char *end = NULL;
	long minor = p ? strtol(p + 4, &end, 10) : 0;
	if (!p || end == p + 4 || minor < 22) {
		g_set_error(error, HW_IMPORT_ERROR, HW_IMPORT_ERROR_UNSUPPORTED, "a heap dump of Go version \"%s\": "
		            "the heap layout of Go 1.22 and later is known", v);
		return FALSE;
	}
	gboolean on = minor >= 26;
	/* Experiments the binary was built with follow the version: "go1.25.1 X:greenteagc,...". */
	const char *x = strstr(v, " X:");
	if (x) {
		g_auto(GStrv) exps = g_strsplit_set(x + 3, ", ", -1);
		for (char **e = exps; *e; e++) {
			if (strcmp(*e, "greenteagc") == 0)
				on = TRUE;
			else if (strcmp(*e, "nogreenteagc") == 0)
				on = FALSE;
		}
	}
	*greentea = on;
	return TRUE;
}

/* allocsites.c - reading the heap profiler's specials and buckets, and writing them as
 * allocation sites (see allocsites.h).
 *
 * The specials list of a span is walked like roots.c walks it for finalizers (same bounds);
 * only the profile kind is kept here. Buckets are shared by many samples, so each is read
 * once, when first named. Layouts come from the target's DWARF: runtime.specialprofile.b,
 * runtime.bucket's size and its typ/size/nstk fields (the pcs follow the struct), and the
 * constants _KindSpecialProfile and memProfile.
 */
#include "goruntime/allocsites.h"

#include <stdarg.h>

#include "debuginfo/dwarfinfo.h"

/* Bounds against corrupt lists, as in roots.c. */
#define MAX_SPECIALS_PER_SPAN (1u << 20)
/* runtime.maxProfStackDepth when the DWARF does not say (Go 1.23+: 1024). */
#define DEFAULT_MAX_STACK 1024

void gr_allocsites_init(gr_allocsites *a)
{
	a->samples = g_array_new(FALSE, FALSE, sizeof(gr_alloc_sample));
	a->buckets = g_array_new(FALSE, FALSE, sizeof(gr_alloc_bucket));
	a->pcs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	a->rate = -1;
	a->note = NULL;
}

void gr_allocsites_clear(gr_allocsites *a)
{
	if (a->samples)
		g_array_unref(a->samples);
	if (a->buckets)
		g_array_unref(a->buckets);
	if (a->pcs)
		g_array_unref(a->pcs);
	if (a->note)
		g_string_free(a->note, TRUE);
	memset(a, 0, sizeof *a);
	a->rate = -1;
}

static void note(gr_allocsites *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(gr_allocsites *a, const char *fmt, ...)
{
	va_list ap;
	if (!a->note)
		a->note = g_string_new(NULL);
	else
		g_string_append(a->note, "; ");
	va_start(ap, fmt);
	g_string_append_vprintf(a->note, fmt, ap);
	va_end(ap);
}

/* What the profile needs from the DWARF. */
typedef struct prof_layout {
	gint64 kind_profile, mem_profile, max_stack;
	guint64 sp_bucket;                   /* specialprofile.b */
	guint64 b_size, b_typ, b_bsize, b_nstk; /* sizeof(bucket); bucket.typ, .size, .nstk */
	guint64 rate_addr;                   /* &runtime.MemProfileRate */
} prof_layout;

static gboolean prof_layout_load(hw_dwarf *dw, uint64_t bias, prof_layout *p, GError **error)
{
	if (!hw_dwarf_constant(dw, "runtime._KindSpecialProfile", &p->kind_profile, error) ||
	    !hw_dwarf_constant(dw, "runtime.memProfile", &p->mem_profile, error) ||
	    !hw_dwarf_struct_member_offset(dw, "runtime.specialprofile", "b", &p->sp_bucket, error) ||
	    !hw_dwarf_type_size(dw, "runtime.bucket", &p->b_size, error) ||
	    !hw_dwarf_struct_member_offset(dw, "runtime.bucket", "typ", &p->b_typ, error) ||
	    !hw_dwarf_struct_member_offset(dw, "runtime.bucket", "size", &p->b_bsize, error) ||
	    !hw_dwarf_struct_member_offset(dw, "runtime.bucket", "nstk", &p->b_nstk, error) ||
	    !hw_dwarf_global(dw, "runtime.MemProfileRate", &p->rate_addr, NULL, error))
		return FALSE;
	if (!hw_dwarf_constant(dw, "runtime.maxProfStackDepth", &p->max_stack, NULL))
		p->max_stack = DEFAULT_MAX_STACK;
	p->rate_addr += bias;
	if (p->b_size < MAX(p->b_typ, MAX(p->b_bsize, p->b_nstk)) + 8 || p->b_size > 256) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "runtime.bucket is %" G_GUINT64_FORMAT
		            " bytes, which cannot hold its fields", p->b_size);
		return FALSE;
	}
	return TRUE;
}

/* Reads the bucket at addr into a->buckets and a->pcs; returns its index, or -1 (noted). */
static gint64 read_bucket(const gr_mem *mem, const prof_layout *pl, uint64_t addr, gr_allocsites *a)
{
	guint8 hdr[256];
	GError *err = NULL;
	if (!gr_mem_read(mem, addr, hdr, pl->b_size, "runtime.bucket", &err)) {
		note(a, "%s", err->message);
		g_error_free(err);
		return -1;
	}
	uint64_t typ = gr_le64(hdr + pl->b_typ), nstk = gr_le64(hdr + pl->b_nstk);
	if (typ != (uint64_t)pl->mem_profile || nstk > (uint64_t)pl->max_stack) {
		note(a, "profile bucket at 0x%" G_GINT64_MODIFIER "x has type %" G_GUINT64_FORMAT
		     " and %" G_GUINT64_FORMAT " pcs (expected type %" G_GINT64_FORMAT ", at most %"
		     G_GINT64_FORMAT " pcs): skipped", (guint64)addr, typ, nstk, pl->mem_profile, pl->max_stack);
		return -1;
	}
	gr_alloc_bucket b = { gr_le64(hdr + pl->b_bsize), a->pcs->len, (uint32_t)nstk };
	g_array_set_size(a->pcs, a->pcs->len + (guint)nstk);
	if (nstk && !gr_mem_read(mem, addr + pl->b_size, &g_array_index(a->pcs, uint64_t, b.first_pc),
	                         nstk * 8, "runtime.bucket stack", &err)) {
		g_array_set_size(a->pcs, b.first_pc);
		note(a, "%s", err->message);
		g_error_free(err);
		return -1;
	}
	g_array_append_val(a->buckets, b);
	return a->buckets->len - 1;
}

void gr_allocsites_read(const gr_mem *mem, hw_dwarf *dw, uint64_t bias, const gr_layout *L,
                        const gr_spans *spans, gr_allocsites *a)
{
	prof_layout pl;
	GError *err = NULL;
	if (!prof_layout_load(dw, bias, &pl, &err)) {
		note(a, "no allocation sites: %s", err->message);
		g_error_free(err);
		return;
	}
	if (!gr_mem_read(mem, pl.rate_addr, &a->rate, 8, "runtime.MemProfileRate", &err)) {
		note(a, "%s", err->message);
		g_clear_error(&err);
		a->rate = -1;
	}
	guint8 buf[64];
	uint64_t need = MAX(L->special_kind + 1, L->special_offset + L->special_offset_size);
	need = MAX(need, pl.sp_bucket + 8);
	if (need > sizeof buf) {
		note(a, "no allocation sites: runtime.specialprofile is larger than expected");
		return;
	}
	/* bucket address -> its index + 1, or G_MAXUINT when it could not be read */
	GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	uint64_t skipped = 0;
	for (size_t i = 0; i < spans->n; i++) {
		const gr_span *s = &spans->v[i];
		uint64_t sp = s->specials;
		for (unsigned n = 0; sp; n++) {
			if (n == MAX_SPECIALS_PER_SPAN) {
				note(a, "specials list of span 0x%" G_GINT64_MODIFIER "x does not end: rest skipped",
				     (guint64)s->start);
				break;
			}
			if (!gr_mem_read(mem, sp, buf, need, "runtime.special", &err)) {
				note(a, "%s: rest of span 0x%" G_GINT64_MODIFIER "x skipped", err->message,
				     (guint64)s->start);
				g_clear_error(&err);
				break;
			}
			uint64_t off = L->special_offset_size == 2 ? gr_le16(buf + L->special_offset)
			                                           : gr_le64(buf + L->special_offset);
			if (buf[L->special_kind] == pl.kind_profile) {
				gint64 baddr = (gint64)gr_le64(buf + pl.sp_bucket);
				gpointer v = g_hash_table_lookup(seen, &baddr);
				if (!v) {
					gint64 idx = read_bucket(mem, &pl, (uint64_t)baddr, a);
					v = GSIZE_TO_POINTER(idx < 0 ? G_MAXUINT : (gsize)idx + 1);
					g_hash_table_insert(seen, g_memdup2(&baddr, sizeof baddr), v);
				}
				if (GPOINTER_TO_SIZE(v) == G_MAXUINT) {
					skipped++;
				} else {
					gr_alloc_sample smp = { s->start + off, (uint32_t)(GPOINTER_TO_SIZE(v) - 1) };
					g_array_append_val(a->samples, smp);
				}
			}
			sp = gr_le64(buf + L->special_next);
		}
	}
	if (skipped)
		note(a, "%" G_GUINT64_FORMAT " samples of unreadable buckets skipped", skipped);
	g_hash_table_destroy(seen);
}

/* Writes the frames of one bucket: for each return pc, the innermost logical frame at pc-1
 * (runtime.CallersFrames does the same with callers()'s output). Unknown pcs keep the pc. */
static gboolean emit_frames(gr_walk *w, const gr_allocsites *a, const gr_alloc_bucket *b, GArray *inl,
                            GError **error)
{
	for (uint32_t i = 0; i < b->npcs; i++) {
		uint64_t pc = g_array_index(a->pcs, uint64_t, b->first_pc + i);
		hwd_alloc_frame f = { pc, 0, 0, 0 };
		hw_func fn;
		g_array_set_size(inl, 0);
		if (pc && hw_pclntab_findfunc(w->pcln, pc - 1, &fn, NULL)) {
			const char *name = fn.name, *file = NULL;
			gint32 line = 0;
			if (hw_pclntab_inline_frames(w->pcln, &fn, pc - 1, inl, NULL) && inl->len) {
				const hw_inline_frame *x = &g_array_index(inl, hw_inline_frame, 0);
				name = x->name;
				file = x->file;
				line = x->line;
			} else {
				hw_pclntab_fileline(w->pcln, &fn, pc - 1, &file, &line, NULL);
			}
			if ((name && !(f.func = hwd_writer_cstring(w->w, name))) ||
			    (file && !(f.file = hwd_writer_cstring(w->w, file))))
				return gr_walk_check(hwd_writer_last_error(w->w)->code, "allocation frame name", error);
			f.line = line > 0 ? (uint32_t)line : 0;
		}
		if (!gr_walk_check(hwd_writer_alloc_frame(w->w, &f), "allocation frame", error))
			return FALSE;
	}
	return TRUE;
}

gboolean gr_allocsites_emit(gr_walk *w, const gr_allocsites *a, GError **error)
{
	int rc = 0;
	if (a->rate >= 0)
		rc = hwd_writer_meta_u64(w->w, "memprof.rate", (uint64_t)a->rate);
	if (rc || !a->samples)
		return gr_walk_check(rc, "memprof.rate", error);
	GArray *inl = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
	uint32_t next_frame = 0;
	gboolean ok = TRUE;
	for (guint i = 0; i < a->buckets->len && ok; i++) {
		const gr_alloc_bucket *b = &g_array_index(a->buckets, gr_alloc_bucket, i);
		hwd_alloc_stack st = { b->size, next_frame, b->npcs };
		ok = emit_frames(w, a, b, inl, error) &&
		     gr_walk_check(hwd_writer_alloc_stack(w->w, &st), "allocation stack", error);
		next_frame += b->npcs;
	}
	g_array_unref(inl);
	if (!ok)
		return FALSE;
	/* Samples go out in object order; one whose address is in no object (the runtime frees
	 * the special with its object, so only a torn read makes one) is counted, not kept. */
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(hwd_alloc_sample), a->samples->len);
	uint64_t lost = 0;
	for (guint i = 0; i < a->samples->len; i++) {
		const gr_alloc_sample *s = &g_array_index(a->samples, gr_alloc_sample, i);
		hwd_alloc_sample o = { gr_objects_find(&w->objects, &w->pause->spans, s->addr), s->bucket };
		if (o.object == GR_NO_OBJECT)
			lost++;
		else
			g_array_append_val(out, o);
	}
	g_array_sort(out, hwd_alloc_sample_cmp);
	for (guint i = 0; i < out->len && ok; i++)
		ok = gr_walk_check(hwd_writer_alloc_sample(w->w, &g_array_index(out, hwd_alloc_sample, i)),
		                   "allocation sample", error);
	g_array_unref(out);
	if (!ok)
		return FALSE;
	GString *why = a->note ? g_string_new(a->note->str) : NULL;
	if (lost) {
		why = why ? g_string_append(why, "; ") : g_string_new(NULL);
		g_string_append_printf(why, "%" G_GUINT64_FORMAT " samples in no allocated object skipped", lost);
	}
	if (why) {
		rc = hwd_writer_meta_str(w->w, "memprof.note", why->str);
		g_string_free(why, TRUE);
	}
	return gr_walk_check(rc, "memprof.note", error);
}

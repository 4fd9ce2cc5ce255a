/* roots.c - GC roots outside goroutine stacks: globals, finalizers and cleanups, registers.
 *
 * Globals: every word of a module's data and bss that its GC mask (moduledata.gcdatamask /
 * gcbssmask, ready bitmaps in a running process) flags as a pointer, named after the DWARF
 * variable that contains it ("pkg.var+off" inside a struct; "data+0x..." where DWARF has no
 * variable, as the runtime's own masks also cover linker-made symbols).
 * Specials (go-runtime-internals.md §4.3): a finalizer keeps alive what its object points to
 * and its function; a cleanup its function and argument. The object itself stays collectable,
 * so it is not a root. Registers of every thread are conservative roots.
 */
#include "goruntime/walk.h"

#include <stddef.h>

/* Bounds against corrupt lists. */
#define MAX_SPECIALS_PER_SPAN (1u << 20)
#define MAX_MODULES 64

gboolean gr_walk_check(int rc, const char *what, GError **error)
{
	if (rc == 0)
		return TRUE;
	g_set_error(error, GR_ERROR, GR_ERROR_READ, "writing the snapshot (%s): %s", what, hwd_strerror(rc));
	return FALSE;
}

gboolean gr_walk_root(gr_walk *w, hwd_root_kind kind, uint16_t flags, uint32_t name, uint64_t addr,
                      uint64_t value, uint32_t goroutine, uint32_t frame, GError **error)
{
	uint32_t obj = gr_objects_find(&w->objects, &w->pause->spans, value);
	if (obj == GR_NO_OBJECT)
		return TRUE;
	hwd_root r = { 0 };
	r.kind = (uint16_t)kind;
	r.flags = flags;
	r.name = name;
	r.object = obj;
	r.goroutine = goroutine;
	r.frame = frame;
	r.addr = addr;
	w->st.roots++;
	w->st.conservative_roots += (flags & HWD_ROOT_CONSERVATIVE) != 0;
	return gr_walk_check(hwd_writer_root(w->w, &r), "root", error);
}

gboolean gr_specials_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error)
{
	guint8 buf[128];
	uint64_t need = MAX(L->special_kind + 1, L->special_offset + L->special_offset_size);
	need = MAX(need, L->specialfinalizer_fn + 8);
	if (L->kind_cleanup >= 0)
		need = MAX(need, MAX(L->specialcleanup_fn, L->specialcleanup_arg) + 8);
	if (need > sizeof buf) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "runtime.special records larger than expected");
		return FALSE;
	}
	for (size_t i = 0; i < p->spans.n; i++) {
		const gr_span *s = &p->spans.v[i];
		uint64_t sp = s->specials;
		for (unsigned n = 0; sp; n++) {
			if (n == MAX_SPECIALS_PER_SPAN) {
				g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "specials list of span 0x%"
				            G_GINT64_MODIFIER "x does not end", (guint64)s->start);
				return FALSE;
			}
			/* Read the bytes a special of the largest kind we decode can have; the tail of a
			 * smaller one is ignored by kind. */
			if (!gr_mem_read(mem, sp, buf, need, "runtime.special", error))
				return FALSE;
			uint8_t kind = buf[L->special_kind];
			uint64_t off = L->special_offset_size == 2 ? gr_le16(buf + L->special_offset)
			                                           : gr_le64(buf + L->special_offset);
			gr_special sc = { s->start + off, 0, 0, false };
			if (kind == L->kind_finalizer) {
				sc.fn = gr_le64(buf + L->specialfinalizer_fn);
				g_array_append_val(p->specials, sc);
			} else if (L->kind_cleanup >= 0 && kind == L->kind_cleanup) {
				sc.cleanup = true;
				sc.fn = gr_le64(buf + L->specialcleanup_fn);
				sc.arg = L->has_cleanup_arg ? gr_le64(buf + L->specialcleanup_arg) : 0;
				g_array_append_val(p->specials, sc);
			}
			sp = gr_le64(buf + L->special_next);
		}
	}
	return TRUE;
}

static gboolean read_mask(const gr_mem *mem, const gr_layout *L, uint64_t md, uint64_t field,
                          uint64_t start, uint64_t end, const char *section, gr_pause *p,
                          GError **error)
{
	guint8 bv[16];
	if (!gr_mem_read(mem, md + field, bv, 16, "moduledata GC mask (bitvector)", error))
		return FALSE;
	int32_t n = (int32_t)gr_le32(bv + L->bitvector_n);
	uint64_t data = gr_le64(bv + L->bitvector_bytedata);
	if (n < 0 || end < start || (uint64_t)n > (end - start) / GR_WORD + 64) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "moduledata at 0x%" G_GINT64_MODIFIER "x: %s "
		            "mask of %d bits for %" G_GUINT64_FORMAT " bytes", (guint64)md, section, n, end - start);
		return FALSE;
	}
	gr_ptr_range r = { start, end, g_malloc0((size_t)n / 8 + 1), (uint64_t)n, section };
	if (n && !gr_mem_read(mem, data, r.mask, ((size_t)n + 7) / 8, "moduledata GC mask bytes", error)) {
		g_free(r.mask);
		return FALSE;
	}
	g_array_append_val(p->ranges, r);
	return TRUE;
}

gboolean gr_ranges_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error)
{
	uint64_t md = L->firstmoduledata;
	guint8 *buf = g_malloc(L->md_size);
	gboolean ok = TRUE;
	for (unsigned n = 0; md && ok; n++) {
		if (n == MAX_MODULES) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "moduledata list does not end");
			ok = FALSE;
			break;
		}
		if (!gr_mem_read(mem, md, buf, L->md_size, "runtime.moduledata", error)) {
			ok = FALSE;
			break;
		}
		ok = read_mask(mem, L, md, L->md_gcdatamask, gr_le64(buf + L->md_data), gr_le64(buf + L->md_edata),
		               "data", p, error) &&
		     read_mask(mem, L, md, L->md_gcbssmask, gr_le64(buf + L->md_bss), gr_le64(buf + L->md_ebss),
		               "bss", p, error);
		md = gr_le64(buf + L->md_next);
	}
	g_free(buf);
	return ok;
}

/* The DWARF global containing addr, or NULL. */
static const hw_dwarf_var *global_at(const hw_dwarf_var *v, size_t n, uint64_t bias, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].addr + bias <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const hw_dwarf_var *g = &v[lo - 1];
	const hw_dwarf_type *t = g->type ? hw_dwarf_type_resolve(g->type) : NULL;
	uint64_t size = t && t->size != HW_DWARF_SIZE_UNKNOWN ? t->size : 8;
	return addr < g->addr + bias + size ? g : NULL;
}

gboolean gr_roots_emit_globals(gr_walk *w, GError **error)
{
	gsize ng = 0;
	const hw_dwarf_var *gv = hw_dwarf_globals(w->dwarf, &ng);
	GArray *ranges = w->pause->ranges;
	for (guint r = 0; r < ranges->len; r++) {
		const gr_ptr_range *pr = &g_array_index(ranges, gr_ptr_range, r);
		for (uint64_t i = 0; i < pr->nbits; i++) {
			if (!((pr->mask[i / 8] >> (i % 8)) & 1))
				continue;
			uint64_t addr = pr->start + i * GR_WORD, v;
			if (addr + GR_WORD > pr->end)
				break;
			if (!gr_mem_u64(w->mem, addr, &v, pr->section, error))
				return FALSE;
			if (gr_objects_find(&w->objects, &w->pause->spans, v) == GR_NO_OBJECT)
				continue;
			const hw_dwarf_var *g = global_at(gv, ng, w->bias, addr);
			char name[512];
			if (!g)
				g_snprintf(name, sizeof name, "%s+0x%" G_GINT64_MODIFIER "x", pr->section,
				           (guint64)(addr - pr->start));
			else if (addr == g->addr + w->bias)
				g_snprintf(name, sizeof name, "%s", g->name);
			else
				g_snprintf(name, sizeof name, "%s+%" G_GUINT64_FORMAT, g->name, addr - g->addr - w->bias);
			if (!gr_walk_root(w, HWD_ROOT_GLOBAL, 0, hwd_writer_cstring(w->w, name), addr, v,
			                  HWD_NONE, HWD_NONE, error))
				return FALSE;
		}
	}
	return TRUE;
}

typedef struct fin_ctx {
	gr_walk *w;
	uint64_t base;
	uint32_t name;
	GError **error;
	gboolean ok;
} fin_ctx;

static void fin_word(void *user, uint64_t off)
{
	fin_ctx *c = user;
	uint64_t v;
	if (!c->ok || !c->w->mem->read(c->w->mem->ctx, c->base + off, &v, 8))
		return;
	c->ok = gr_walk_root(c->w, HWD_ROOT_FINALIZER, 0, c->name, c->base + off, v, HWD_NONE, HWD_NONE,
	                     c->error);
}

/* Roots for what the object at obj points to, by its own pointer map. */
static gboolean finalized_referents(gr_walk *w, uint64_t obj, uint32_t name, GError **error)
{
	uint32_t k = gr_objects_find(&w->objects, &w->pause->spans, obj);
	if (k == GR_NO_OBJECT)
		return TRUE;
	const gr_span *s = &w->pause->spans.v[w->objects.span[k]];
	if (gr_span_noscan(s))
		return TRUE;
	uint64_t slot = w->objects.slot[k];
	fin_ctx c = { w, slot, name, error, TRUE };
	if (gr_span_sizeclass(s) != 0 && !gr_span_has_header(s, w->L)) {
		uint64_t ba, bl;
		gr_heapbits_range(s->start, s->npages, w->L->greentea && s->elemsize >= 16, &ba, &bl);
		guint8 *bits = g_malloc(bl);
		gboolean ok = gr_mem_read(w->mem, ba, bits, bl, "span heap bits", error);
		if (ok)
			gr_heapbits_object(bits, bl, slot - s->start, s->elemsize, fin_word, &c);
		g_free(bits);
		return ok && c.ok;
	}
	uint64_t hs = gr_span_has_header(s, w->L) ? w->L->malloc_header_size : 0, taddr = s->largetype;
	if (hs && !gr_mem_u64(w->mem, slot, &taddr, "malloc header", error))
		return FALSE;
	if (!taddr)
		return TRUE;
	gr_type_info *ti = gr_types_get(w->types, taddr, error);
	if (!ti)
		return FALSE;
	c.base = slot + hs;
	if (ti->mask && !gr_mask_tile(ti->mask, ti->nbits, ti->size, s->elemsize - hs, fin_word, &c, error))
		return FALSE;
	return c.ok;
}

gboolean gr_roots_emit_specials(gr_walk *w, GError **error)
{
	uint32_t fin = hwd_writer_cstring(w->w, "finalizer");
	uint32_t fin_fn = hwd_writer_cstring(w->w, "finalizer function");
	uint32_t cl_fn = hwd_writer_cstring(w->w, "cleanup function");
	uint32_t cl_arg = hwd_writer_cstring(w->w, "cleanup argument");
	GArray *sp = w->pause->specials;
	for (guint i = 0; i < sp->len; i++) {
		const gr_special *s = &g_array_index(sp, gr_special, i);
		gboolean ok;
		if (s->cleanup)
			ok = gr_walk_root(w, HWD_ROOT_FINALIZER, 0, cl_fn, s->obj, s->fn, HWD_NONE, HWD_NONE, error) &&
			     gr_walk_root(w, HWD_ROOT_FINALIZER, 0, cl_arg, s->obj, s->arg, HWD_NONE, HWD_NONE, error);
		else
			ok = gr_walk_root(w, HWD_ROOT_FINALIZER, 0, fin_fn, s->obj, s->fn, HWD_NONE, HWD_NONE, error) &&
			     finalized_referents(w, s->obj, fin, error);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

gboolean gr_roots_emit_threads(gr_walk *w, GError **error)
{
	static const struct { const char *name; size_t off; } regs[] = {
#define R(n) { #n, offsetof(struct user_regs_struct, n) }
		R(rax), R(rbx), R(rcx), R(rdx), R(rsi), R(rdi), R(rbp), R(rsp), R(r8), R(r9), R(r10),
		R(r11), R(r12), R(r13), R(r14), R(r15), R(rip),
#undef R
	};
	for (size_t t = 0; t < w->n_threads; t++) {
		const hw_thread *th = &w->threads[t];
		hwd_thread ht = { 0 };
		ht.tid = (uint32_t)th->tid;
		ht.pc = th->regs.rip;
		ht.sp = th->regs.rsp;
		GArray *ms = w->pause->ms;
		for (guint i = 0; i < ms->len; i++) {
			const gr_m *m = &g_array_index(ms, gr_m, i);
			if (m->procid != (uint64_t)th->tid)
				continue;
			char name[32];
			g_snprintf(name, sizeof name, "m%" G_GUINT64_FORMAT, m->id);
			ht.name = hwd_writer_cstring(w->w, name);
			GArray *gs = w->pause->gs;
			for (guint k = 0; k < gs->len; k++)
				if (g_array_index(gs, gr_g, k).addr == m->curg && m->curg)
					ht.goroutine_id = g_array_index(gs, gr_g, k).goid;
		}
		if (!gr_walk_check(hwd_writer_thread(w->w, &ht), "thread", error))
			return FALSE;
		for (size_t r = 0; r < G_N_ELEMENTS(regs); r++) {
			uint64_t v;
			memcpy(&v, (const char *)&th->regs + regs[r].off, 8);
			char name[48];
			g_snprintf(name, sizeof name, "thread %d %s", th->tid, regs[r].name);
			if (gr_objects_find(&w->objects, &w->pause->spans, v) != GR_NO_OBJECT &&
			    !gr_walk_root(w, HWD_ROOT_REGISTER, HWD_ROOT_CONSERVATIVE, hwd_writer_cstring(w->w, name),
			                  0, v, HWD_NONE, HWD_NONE, error))
				return FALSE;
		}
	}
	return TRUE;
}

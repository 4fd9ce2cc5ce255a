/* roots.c - GC roots outside goroutine stacks: globals, finalizers and cleanups, registers.
 *
 * Globals: every word of a module's data and bss that its GC mask (moduledata.gcdatamask /
 * gcbssmask, ready bitmaps in a running process) flags as a pointer, named after the DWARF
 * variable that contains it ("pkg.var+off" inside a struct; "data+0x..." where DWARF has no
 * variable, as the runtime's own masks also cover linker-made symbols).
 * Specials (go-runtime-internals.md §4.3): a finalizer keeps alive what its object points to
 * and its function; a cleanup its function and argument. The object itself stays collectable,
 * so it is not a root. Finalizers and cleanups already queued to run (runtime.allfin,
 * runtime.gcCleanups; §4.2) hold their objects strongly. A weak pointer's special keeps its
 * handle (a noscan word holding the target's address) alive, not the target. The registers
 * of a thread running a goroutine (_Grunning) are conservative roots: its code may hold the
 * only pointer to an object in a register. Other threads' registers are not: a thread asleep
 * in the scheduler or in a system call keeps leftovers there that the collector never scans,
 * and rooting them let one stale value steal the dominance of a whole map from its global.
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
	if (flags & HWD_ROOT_CONSERVATIVE) {
		/* A word that only looks like a pointer must not resurrect a slot the runtime would
		 * not scan conservatively either (mspan.isFreeOrNewlyAllocated). */
		const gr_span *s = &w->pause->spans.v[w->objects.span[obj]];
		if (!gr_spans_published(&w->pause->spans, s, (uint32_t)((w->objects.slot[obj] - s->start) / s->elemsize)))
			return TRUE;
	}
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
		need = MAX(need, MAX(L->specialcleanup_fn, MAX(L->specialcleanup_arg, L->specialcleanup_call)) + 8);
	if (L->kind_weak >= 0)
		need = MAX(need, L->specialweak_handle + 8);
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
			gr_special sc = { s->start + off, { 0 }, GR_FINALIZER };
			if (kind == L->kind_finalizer) {
				sc.words[0] = gr_le64(buf + L->specialfinalizer_fn);
				g_array_append_val(p->specials, sc);
			} else if (L->kind_cleanup >= 0 && kind == L->kind_cleanup) {
				sc.kind = GR_CLEANUP;
				sc.words[0] = gr_le64(buf + L->specialcleanup_fn);
				if (L->has_cleanup_arg) {
					sc.words[1] = gr_le64(buf + L->specialcleanup_arg);
					sc.words[2] = gr_le64(buf + L->specialcleanup_call);
				}
				g_array_append_val(p->specials, sc);
			} else if (L->kind_weak >= 0 && kind == L->kind_weak) {
				sc.kind = GR_WEAK_HANDLE;
				sc.words[0] = gr_le64(buf + L->specialweak_handle);
				g_array_append_val(p->specials, sc);
			}
			sp = gr_le64(buf + L->special_next);
		}
	}
	return TRUE;
}

/* Blocks of a queue are few (each holds ~100 entries); more than this is a corrupt list. */
#define MAX_QUEUE_BLOCKS (1u << 20)

/* Walks one queue of blocks (allfin, or gcCleanups.all): each block has a count at cnt_off
 * (uint32) and cap entries of entry_size bytes at entries_off, and is linked at link_off.
 * The entries' pointer words (word_offs, nwords; GR_NO_FIELD reads as 0) are appended as
 * specials of `kind`. */
static gboolean read_queue(const gr_mem *mem, uint64_t head, uint64_t link_off, uint64_t cnt_off,
                           uint64_t entries_off, uint64_t entry_size, uint64_t cap,
                           const uint64_t *word_offs, unsigned nwords, gr_special_kind kind,
                           const char *what, gr_pause *p, GError **error)
{
	uint64_t b = head;
	guint8 *e = g_malloc(entry_size ? entry_size : 1);
	gboolean ok = TRUE;
	for (unsigned nb = 0; b && ok; nb++) {
		uint32_t cnt;
		uint64_t next;
		if (nb == MAX_QUEUE_BLOCKS) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "%s list does not end", what);
			ok = FALSE;
			break;
		}
		if (!(ok = gr_mem_read(mem, b + cnt_off, &cnt, 4, what, error) &&
		           gr_mem_u64(mem, b + link_off, &next, what, error)))
			break;
		if (cnt > cap) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "%s block at 0x%" G_GINT64_MODIFIER "x "
			            "counts %u entries, it has room for %" G_GUINT64_FORMAT, what, (guint64)b, cnt, cap);
			ok = FALSE;
			break;
		}
		for (uint32_t i = 0; i < cnt && ok; i++) {
			if (!(ok = gr_mem_read(mem, b + entries_off + i * entry_size, e, entry_size, what, error)))
				break;
			gr_special sc = { 0, { 0 }, kind };
			for (unsigned w = 0; w < nwords; w++)
				sc.words[w] = word_offs[w] == GR_NO_FIELD ? 0 : gr_le64(e + word_offs[w]);
			g_array_append_val(p->specials, sc);
		}
		b = next;
	}
	g_free(e);
	return ok;
}

gboolean gr_queues_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error)
{
	uint64_t head;
	const uint64_t fin_words[4] = { L->finalizer_fn, L->finalizer_arg, L->finalizer_fint, L->finalizer_ot };
	if (!gr_mem_u64(mem, L->allfin, &head, "runtime.allfin", error) ||
	    !read_queue(mem, head, L->finblock_alllink, L->finblock_cnt, L->finblock_fin, L->finalizer_size,
	                L->finblock_cap, fin_words, 4, GR_QUEUED_FINALIZER, "finalizer queue (runtime.allfin)",
	                p, error))
		return FALSE;
	if (!L->has_cleanup_queue)
		return TRUE;
	const uint64_t cl_words[3] = { L->cleanupfn_call, L->cleanupfn_fn, L->cleanupfn_arg };
	return gr_mem_u64(mem, L->cleanup_all, &head, "runtime.gcCleanups.all", error) &&
	       read_queue(mem, head, L->cleanupblock_alllink, L->cleanupblock_n, L->cleanupblock_fns,
	                  L->cleanupfn_size, L->cleanupblock_cap, cl_words, 3, GR_QUEUED_CLEANUP,
	                  "cleanup queue (runtime.gcCleanups)", p, error);
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
	/* Root names per kind and word (gr_special.words). */
	static const char *const names[5][4] = {
		[GR_FINALIZER] = { "finalizer function" },
		[GR_CLEANUP] = { "cleanup function", "cleanup argument", "cleanup call" },
		[GR_QUEUED_FINALIZER] = { "queued finalizer function", "object queued for finalization",
		                          "queued finalizer argument type", "queued finalizer object type" },
		[GR_QUEUED_CLEANUP] = { "queued cleanup call", "queued cleanup function", "queued cleanup argument" },
		[GR_WEAK_HANDLE] = { "weak pointer handle" },
	};
	uint32_t ids[5][4] = { { 0 } };
	for (int k = 0; k < 5; k++)
		for (int j = 0; j < 4; j++)
			ids[k][j] = names[k][j] ? hwd_writer_cstring(w->w, names[k][j]) : 0;
	uint32_t fin = hwd_writer_cstring(w->w, "finalizer");
	GArray *sp = w->pause->specials;
	for (guint i = 0; i < sp->len; i++) {
		const gr_special *s = &g_array_index(sp, gr_special, i);
		for (int j = 0; j < 4; j++)
			if (s->words[j] && !gr_walk_root(w, s->kind == GR_WEAK_HANDLE ? HWD_ROOT_OTHER : HWD_ROOT_FINALIZER,
			                                 0, ids[s->kind][j], s->obj, s->words[j],
			                                 HWD_NONE, HWD_NONE, error))
				return FALSE;
		if (s->kind == GR_FINALIZER && !finalized_referents(w, s->obj, fin, error))
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
		gboolean running = FALSE;   /* the thread runs a goroutine's code */
		GArray *ms = w->pause->ms;
		for (guint i = 0; i < ms->len; i++) {
			const gr_m *m = &g_array_index(ms, gr_m, i);
			if (m->procid != (uint64_t)th->tid)
				continue;
			char name[32];
			g_snprintf(name, sizeof name, "m%" G_GUINT64_FORMAT, m->id);
			ht.name = hwd_writer_cstring(w->w, name);
			GArray *gs = w->pause->gs;
			for (guint k = 0; k < gs->len; k++) {
				const gr_g *g = &g_array_index(gs, gr_g, k);
				if (g->addr == m->curg && m->curg) {
					ht.goroutine_id = g->goid;
					running = g->status == w->L->g_running;
				}
			}
		}
		if (!gr_walk_check(hwd_writer_thread(w->w, &ht), "thread", error))
			return FALSE;
		for (size_t r = 0; running && r < G_N_ELEMENTS(regs); r++) {
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

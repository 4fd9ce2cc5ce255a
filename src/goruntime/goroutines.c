/* goroutines.c - goroutines: their records, stack unwinding, frames and stack roots.
 *
 * While the target is stopped, gr_goroutines_read() copies the fields of every G in
 * runtime.allgs and every M on runtime.allm (the M fields also feed the consistency check:
 * mallocing, locks). Afterwards gr_goroutines_emit() unwinds each stack the way the runtime
 * does (pcsp frame sizes, go-runtime-internals.md §5.7), expands inlined calls, and emits
 * roots from the exact stack maps (locals, args, stack objects; §5.9). The innermost frame of
 * a goroutine running on a thread, and asyncPreempt frames with their caller, have no exact
 * map at the stopped pc and are scanned conservatively, as the runtime does. sched.ctxt and
 * the defer chain are roots too (scanstack). An exact root is named after the DWARF variable
 * that holds its slot (stackvars.h), else after its function. The unwinder and the live-slot
 * enumeration are shared with the typing pass (gr_goroutine_unwind, gr_frame_live_slots),
 * which runs first and types what stack variables point to.
 */
#include "goruntime/walk.h"
#include "goruntime/stackvars.h"

#include <time.h>

#define MAX_GS (1u << 24)
#define MAX_MS (1u << 16)
#define MAX_FRAMES 100000u

void gr_pause_init(gr_pause *p)
{
	memset(p, 0, sizeof *p);
	p->gs = g_array_new(FALSE, FALSE, sizeof(gr_g));
	p->ms = g_array_new(FALSE, FALSE, sizeof(gr_m));
	p->specials = g_array_new(FALSE, FALSE, sizeof(gr_special));
	p->ranges = g_array_new(FALSE, FALSE, sizeof(gr_ptr_range));
}

void gr_pause_clear(gr_pause *p)
{
	gr_spans_clear(&p->spans);
	if (p->ranges)
		for (guint i = 0; i < p->ranges->len; i++)
			g_free(g_array_index(p->ranges, gr_ptr_range, i).mask);
	g_clear_pointer(&p->gs, g_array_unref);
	g_clear_pointer(&p->ms, g_array_unref);
	g_clear_pointer(&p->specials, g_array_unref);
	g_clear_pointer(&p->ranges, g_array_unref);
}

gboolean gr_goroutines_read(const gr_mem *mem, const gr_layout *L, gr_pause *p, GError **error)
{
	uint8_t hdr[16];
	if (!gr_mem_read(mem, L->gcphase, &p->gcphase, 4, "runtime.gcphase", error) ||
	    !gr_mem_read(mem, L->allgs, hdr, 16, "runtime.allgs", error))
		return FALSE;
	uint64_t arr = gr_le64(hdr), n = gr_le64(hdr + 8);
	if (n > MAX_GS) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "runtime.allgs has %" G_GUINT64_FORMAT " entries", n);
		return FALSE;
	}
	uint64_t *ptrs = g_new(uint64_t, n ? n : 1);
	guint8 *gb = g_malloc(MAX(L->g_size, L->m_size));
	gboolean ok = !n || gr_mem_read(mem, arr, ptrs, n * 8, "runtime.allgs array", error);
	for (uint64_t i = 0; i < n && ok; i++) {
		if (!(ok = gr_mem_read(mem, ptrs[i], gb, L->g_size, "runtime.g", error)))
			break;
		gr_g g = { 0 };
		g.addr = ptrs[i];
		g.status = gr_le32(gb + L->g_atomicstatus) & ~(uint32_t)L->g_scan;
		if (g.status == L->g_dead || (L->g_deadextra >= 0 && g.status == L->g_deadextra) ||
		    g.status == L->g_idle)
			continue;
		p->n_copystack += g.status == L->g_copystack;
		g.goid = gr_le64(gb + L->g_goid);
		g.stack_lo = gr_le64(gb + L->g_stack_lo);
		g.stack_hi = gr_le64(gb + L->g_stack_hi);
		g.sched_sp = gr_le64(gb + L->g_sched_sp);
		g.sched_pc = gr_le64(gb + L->g_sched_pc);
		g.sched_ctxt = gr_le64(gb + L->g_sched_ctxt);
		g.syscallsp = gr_le64(gb + L->g_syscallsp);
		g.syscallpc = gr_le64(gb + L->g_syscallpc);
		g.gopc = gr_le64(gb + L->g_gopc);
		g.startpc = gr_le64(gb + L->g_startpc);
		g.m = gr_le64(gb + L->g_m);
		g.defer = gr_le64(gb + L->g_defer);
		g.waitsince = (int64_t)gr_le64(gb + L->g_waitsince);
		g.waitreason = gb[L->g_waitreason];
		if (g.stack_hi < g.stack_lo || g.stack_hi - g.stack_lo > (1ull << 30)) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "goroutine %" G_GUINT64_FORMAT " (g at 0x%"
			            G_GINT64_MODIFIER "x) has an impossible stack [0x%" G_GINT64_MODIFIER "x, 0x%"
			            G_GINT64_MODIFIER "x)", g.goid, (guint64)g.addr, (guint64)g.stack_lo,
			            (guint64)g.stack_hi);
			ok = FALSE;
			break;
		}
		g_array_append_val(p->gs, g);
	}
	uint64_t m = 0;
	if (ok)
		ok = gr_mem_u64(mem, L->allm, &m, "runtime.allm", error);
	for (unsigned k = 0; m && ok; k++) {
		if (k == MAX_MS) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "runtime.allm list does not end");
			ok = FALSE;
			break;
		}
		if (!(ok = gr_mem_read(mem, m, gb, L->m_size, "runtime.m", error)))
			break;
		gr_m mm = { m, gr_le64(gb + L->m_procid), gr_le64(gb + L->m_curg), gr_le64(gb + L->m_id),
		            (int32_t)gr_le32(gb + L->m_mallocing), (int32_t)gr_le32(gb + L->m_locks) };
		p->n_mallocing += mm.mallocing != 0;
		p->n_locks += mm.locks > 0;
		g_array_append_val(p->ms, mm);
		m = gr_le64(gb + L->m_alllink);
	}
	g_free(gb);
	g_free(ptrs);
	return ok;
}

static const char *state_name(const gr_layout *L, uint32_t st, char *buf, size_t len)
{
	if (st == L->g_runnable) return "runnable";
	if (st == L->g_running) return "running";
	if (st == L->g_syscall) return "syscall";
	if (st == L->g_waiting) return "waiting";
	if (st == L->g_copystack) return "copystack";
	if (st == L->g_preempted) return "preempted";
	g_snprintf(buf, len, "status %u", st);
	return buf;
}

static uint32_t wait_reason(gr_walk *w, const gr_g *g)
{
	if (g->status != w->L->g_waiting || g->waitreason == 0 || g->waitreason >= w->L->wait_reason_count)
		return 0;
	uint8_t sh[16];
	if (!w->mem->read(w->mem->ctx, w->L->wait_reason_strings + 16ull * g->waitreason, sh, 16))
		return 0;
	uint64_t len = gr_le64(sh + 8);
	if (len == 0 || len > 256)
		return 0;
	char s[257];
	if (!w->mem->read(w->mem->ctx, gr_le64(sh), s, len))
		return 0;
	return hwd_writer_string(w->w, s, len);
}

/* Function name, file and line at a call site pc (pc-1 unless at the entry, as the runtime
 * reports `go` statements and return addresses). */
static void site(gr_walk *w, uint64_t pc, bool call, uint32_t *func, uint32_t *file, uint32_t *line)
{
	hw_func fn;
	*func = *file = *line = 0;
	if (!pc || !hw_pclntab_findfunc(w->pcln, pc, &fn, NULL))
		return;
	uint64_t tpc = call && pc > fn.entry ? pc - 1 : pc;
	GArray *fr = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
	if (hw_pclntab_inline_frames(w->pcln, &fn, tpc, fr, NULL) && fr->len > 0) {
		const hw_inline_frame *f = &g_array_index(fr, hw_inline_frame, 0);
		*func = hwd_writer_cstring(w->w, f->name);
		*file = f->file ? hwd_writer_cstring(w->w, f->file) : 0;
		*line = f->line > 0 ? (uint32_t)f->line : 0;
	} else {
		*func = hwd_writer_cstring(w->w, fn.name);
	}
	g_array_free(fr, TRUE);
}

typedef struct stack_ctx {
	gr_walk *w;
	uint32_t gi, frame, name;
	uint64_t lo, hi;
	GArray *vars;          /* gr_stack_piece: the current frame's variables (stackvars.h) */
} stack_ctx;

/* The word at addr, if it lies in the stack and can be read. */
static gboolean stack_value(stack_ctx *c, uint64_t addr, uint64_t *v)
{
	return addr >= c->lo && addr + 8 <= c->hi && c->w->mem->read(c->w->mem->ctx, addr, v, 8);
}

static gboolean scan_conservative(stack_ctx *c, uint64_t from, uint64_t to, GError **error)
{
	uint64_t v;
	for (uint64_t a = from & ~7ull; a < to; a += 8)
		if (stack_value(c, a, &v) &&
		    !gr_walk_root(c->w, HWD_ROOT_STACK, HWD_ROOT_CONSERVATIVE, c->name, a, v, c->gi, c->frame, error))
			return FALSE;
	return TRUE;
}

/* A live slot of an exact frame: named after the variable holding it, if DWARF says. Named
 * only when it holds a heap pointer, since a name is a string written into the snapshot (nil
 * and non-heap slots make no root). */
static gboolean exact_slot(void *ctx, uint64_t addr, GError **error)
{
	stack_ctx *c = ctx;
	uint64_t v;
	if (!stack_value(c, addr, &v) || gr_objects_find(&c->w->objects, &c->w->pause->spans, v) == GR_NO_OBJECT)
		return TRUE;
	uint32_t name = gr_stackvars_name(c->w, c->vars, addr);
	return gr_walk_root(c->w, HWD_ROOT_STACK, 0, name ? name : c->name, addr, v, c->gi, c->frame, error);
}

typedef gboolean (*slot_fn)(void *ctx, uint64_t addr, GError **error);

static gboolean scan_bitvec(const hw_bitvec *bv, uint64_t base, slot_fn slot, void *ctx, GError **error)
{
	for (guint32 i = 0; i < bv->nbit; i++)
		if (hw_bitvec_get(bv, i) && !slot(ctx, base + 8ull * i, error))
			return FALSE;
	return TRUE;
}

gboolean gr_frame_live_slots(gr_walk *w, const gr_frame *f, slot_fn slot, void *ctx, bool *fallback,
                             GError **error)
{
	const hw_func *fn = &f->fn;
	gint32 idx;
	*fallback = false;
	if (!hw_pclntab_stackmap_index(w->pcln, fn, f->pc, &idx, NULL)) {
		*fallback = true;
		return TRUE;
	}
	if (f->varp > f->sp) {
		g_auto(hw_bitvec) bv = { 0 };
		if (!hw_pclntab_stackmap(w->pcln, fn, HW_FUNCDATA_LOCALS_POINTER_MAPS, idx, &bv, NULL)) {
			*fallback = true;
			return TRUE;
		}
		if (!scan_bitvec(&bv, f->varp - 8ull * bv.nbit, slot, ctx, error))
			return FALSE;
	}
	if (fn->args != HW_ARGS_SIZE_UNKNOWN && fn->args > 0) {
		g_auto(hw_bitvec) bv = { 0 };
		if (hw_pclntab_stackmap(w->pcln, fn, HW_FUNCDATA_ARGS_POINTER_MAPS, idx, &bv, NULL) &&
		    !scan_bitvec(&bv, f->fp, slot, ctx, error))
			return FALSE;
	}
	GArray *objs = g_array_new(FALSE, FALSE, sizeof(hw_stack_object));
	gboolean ok = TRUE;
	if (hw_pclntab_stack_objects(w->pcln, fn, objs, NULL)) {
		for (guint i = 0; i < objs->len && ok; i++) {
			const hw_stack_object *so = &g_array_index(objs, hw_stack_object, i);
			if (so->ptr_bytes <= 0 || so->ptr_bytes > so->size)
				continue;
			uint64_t base = so->off < 0 ? f->varp + (int64_t)so->off : f->fp + (uint64_t)so->off;
			uint32_t nbits = (uint32_t)so->ptr_bytes / 8;
			guint8 *mask = g_malloc0(nbits / 8 + 1);
			if (w->mem->read(w->mem->ctx, so->gcdata, mask, (nbits + 7) / 8))
				for (uint32_t b = 0; b < nbits && ok; b++)
					if ((mask[b / 8] >> (b % 8)) & 1)
						ok = slot(ctx, base + 8ull * b, error);
			g_free(mask);
		}
	}
	g_array_free(objs, TRUE);
	return ok;
}

/* Writes the logical frames of a physical frame; returns the index of the last one. */
static gboolean emit_frames(gr_walk *w, hw_func *fn, uint64_t pc, uint64_t sp, bool call, uint32_t gi,
                            uint32_t *nframes, uint32_t *frame_counter, uint32_t *phys, GError **error)
{
	uint64_t tpc = call && pc > fn->entry ? pc - 1 : pc;
	GArray *fr = g_array_new(FALSE, FALSE, sizeof(hw_inline_frame));
	if (!hw_pclntab_inline_frames(w->pcln, fn, tpc, fr, NULL) || fr->len == 0) {
		hw_inline_frame f = { fn->name, NULL, 0, fn->funcid, FALSE };
		g_array_set_size(fr, 0);
		g_array_append_val(fr, f);
	}
	gboolean ok = TRUE;
	for (guint i = 0; i < fr->len && ok; i++) {
		const hw_inline_frame *f = &g_array_index(fr, hw_inline_frame, i);
		hwd_frame hf = { pc, sp, hwd_writer_cstring(w->w, f->name),
		                 f->file ? hwd_writer_cstring(w->w, f->file) : 0,
		                 f->line > 0 ? (uint32_t)f->line : 0, gi };
		ok = gr_walk_check(hwd_writer_frame(w->w, &hf), "frame", error);
		*phys = (*frame_counter)++;
		(*nframes)++;
	}
	g_array_free(fr, TRUE);
	w->st.frames += fr->len;
	return ok;
}

/* Where unwinding starts, and whether the innermost frame was interrupted at an arbitrary pc
 * (a goroutine running on a stopped thread). */
static void start_point(gr_walk *w, const gr_g *g, uint64_t *pc, uint64_t *sp, bool *interrupted)
{
	*pc = g->sched_pc;
	*sp = g->sched_sp;
	*interrupted = false;
	if (g->status == w->L->g_syscall && g->syscallsp) {
		*pc = g->syscallpc;
		*sp = g->syscallsp;
	}
	if (g->status != w->L->g_running)
		return;
	GArray *ms = w->pause->ms;
	for (guint i = 0; i < ms->len; i++) {
		const gr_m *m = &g_array_index(ms, gr_m, i);
		if (m->addr != g->m)
			continue;
		for (size_t t = 0; t < w->n_threads; t++) {
			const hw_thread *th = &w->threads[t];
			if ((uint64_t)th->tid == m->procid && th->regs.rsp >= g->stack_lo && th->regs.rsp < g->stack_hi) {
				*pc = th->regs.rip;
				*sp = th->regs.rsp;
				*interrupted = true;
			}
		}
	}
}

/* The g._defer chain, as scanstack roots it: each record's fn and link, and the record
 * itself when it was heap-allocated. Records on the stack are in the stack copy. */
static gboolean defer_roots(gr_walk *w, const gr_g *g, uint32_t gi, GError **error)
{
	uint32_t name_fn = hwd_writer_cstring(w->w, "deferred function");
	uint32_t name_rec = hwd_writer_cstring(w->w, "defer record");
	uint64_t d = g->defer;
	for (uint32_t n = 0; d && n < MAX_FRAMES; n++) {
		uint64_t fn, link;
		uint8_t heap;
		if (!w->mem->read(w->mem->ctx, d + w->L->defer_fn, &fn, 8) ||
		    !w->mem->read(w->mem->ctx, d + w->L->defer_link, &link, 8) ||
		    !w->mem->read(w->mem->ctx, d + w->L->defer_heap, &heap, 1)) {
			w->st.unwind_stops++;
			break;
		}
		if (!gr_walk_root(w, HWD_ROOT_STACK, 0, name_fn, d + w->L->defer_fn, fn, gi, HWD_NONE, error) ||
		    (heap && !gr_walk_root(w, HWD_ROOT_STACK, 0, name_rec, g->addr + w->L->g_defer, d, gi, HWD_NONE,
		                           error)))
			return FALSE;
		d = link;
	}
	return TRUE;
}

gboolean gr_goroutine_unwind(gr_walk *w, const gr_g *g, gr_frame_fn frame, void *ctx, GError **error)
{
	uint64_t pc, sp;
	bool interrupted, conservative_next = false;
	start_point(w, g, &pc, &sp, &interrupted);
	for (uint32_t depth = 0; pc && depth < MAX_FRAMES; depth++) {
		gr_frame f = { .pc = pc, .sp = sp, .depth = depth };
		gint32 delta;
		if (sp < g->stack_lo || sp >= g->stack_hi || !hw_pclntab_findfunc(w->pcln, pc, &f.fn, NULL) ||
		    !hw_pclntab_spdelta(w->pcln, &f.fn, pc, &delta, NULL) || delta < 0)
			return frame(ctx, &f, error);   /* unknown code, a corrupt chain: f.known is false */
		f.known = true;
		f.fp = sp + (uint64_t)delta + 8;
		f.varp = f.fp - 8;
		if (f.varp > sp)
			f.varp -= 8;   /* the saved frame pointer */
		bool async = strcmp(f.fn.name, "runtime.asyncPreempt") == 0 || strcmp(f.fn.name, "runtime.debugCallV2") == 0;
		f.conservative = (depth == 0 && interrupted) || async || conservative_next;
		if (!frame(ctx, &f, error))
			return FALSE;
		conservative_next = async;
		if ((f.fn.flag & HW_FUNCFLAG_TOPFRAME) || strcmp(f.fn.name, "runtime.goexit") == 0 ||
		    (depth > 0 && (f.fn.flag & HW_FUNCFLAG_SPWRITE)))
			break;
		uint64_t ret;
		if (f.fp > g->stack_hi || !w->mem->read(w->mem->ctx, f.fp - 8, &ret, 8))
			break;
		pc = ret;
		sp = f.fp;
	}
	return TRUE;
}

typedef struct emit_ctx {
	stack_ctx c;
	const gr_g *g;
	hwd_goroutine *hg;
	uint32_t *frame_counter;
} emit_ctx;

/* One physical frame: its logical frames, then its roots (exact, or conservative). */
static gboolean emit_frame(void *ctx, const gr_frame *f, GError **error)
{
	emit_ctx *e = ctx;
	stack_ctx *c = &e->c;
	gr_walk *w = c->w;
	if (!f->known) {
		/* Unknown code (C, or a corrupt chain): keep what is left of the stack alive. */
		w->st.unwind_stops++;
		return f->sp < e->g->stack_lo || f->sp >= e->g->stack_hi || scan_conservative(c, f->sp, e->g->stack_hi, error);
	}
	hw_func fn = f->fn;
	uint32_t phys = HWD_NONE;
	if (e->hg->first_frame == HWD_NONE)
		e->hg->first_frame = *e->frame_counter;
	if (!emit_frames(w, &fn, f->pc, f->sp, f->depth > 0, c->gi, &e->hg->nframes, e->frame_counter, &phys, error))
		return FALSE;
	c->frame = phys;
	c->name = hwd_writer_cstring(w->w, fn.name);
	bool fallback = false;
	if (!f->conservative) {
		gr_stackvars_frame(w, e->g, f, c->vars);
		if (!gr_frame_live_slots(w, f, exact_slot, c, &fallback, error))
			return FALSE;
	}
	if (f->conservative || fallback) {
		uint64_t end = f->fp + (fn.args > 0 && fn.args != HW_ARGS_SIZE_UNKNOWN ? (uint64_t)fn.args : 0);
		if (!scan_conservative(c, f->sp, end, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean emit_one(gr_walk *w, const gr_g *g, uint32_t gi, uint32_t *frame_counter, GArray *vars,
                         GError **error)
{
	char sbuf[32];
	hwd_goroutine hg = { 0 };
	hg.id = g->goid;
	hg.stack_bytes = g->stack_hi - g->stack_lo;
	hg.state = hwd_writer_cstring(w->w, state_name(w->L, g->status, sbuf, sizeof sbuf));
	hg.wait_reason = wait_reason(w, g);
	hg.wait_ns = g->waitsince > 0 && w->now_mono_ns > g->waitsince ? w->now_mono_ns - g->waitsince : -1;
	uint32_t dummy_file, dummy_line;
	site(w, g->startpc, false, &hg.start_func, &dummy_file, &dummy_line);
	site(w, g->gopc, true, &hg.creator_func, &hg.creator_file, &hg.creator_line);
	hg.first_frame = HWD_NONE;

	emit_ctx e = { { w, gi, HWD_NONE, 0, g->stack_lo, g->stack_hi, vars }, g, &hg, frame_counter };
	if (!gr_walk_root(w, HWD_ROOT_OTHER, 0, hwd_writer_cstring(w->w, "goroutine context"), g->addr,
	                  g->sched_ctxt, gi, HWD_NONE, error))
		return FALSE;
	if (!gr_goroutine_unwind(w, g, emit_frame, &e, error) || !defer_roots(w, g, gi, error))
		return FALSE;
	return gr_walk_check(hwd_writer_goroutine(w->w, &hg), "goroutine", error);
}

gboolean gr_goroutines_emit(gr_walk *w, GError **error)
{
	uint32_t frames = 0;
	GArray *gs = w->pause->gs;
	GArray *vars = g_array_new(FALSE, FALSE, sizeof(gr_stack_piece));
	gboolean ok = TRUE;
	for (guint i = 0; i < gs->len && ok; i++)
		ok = emit_one(w, &g_array_index(gs, gr_g, i), i, &frames, vars, error);
	g_array_unref(vars);
	return ok;
}

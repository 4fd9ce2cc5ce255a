/* stackvars.c - goroutine stack variables as typing roots and root names (see stackvars.h).
 *
 * A frame's variables come from hw_dwarf_locals_at at the frame's pc (the call instruction,
 * pc-1, for the frames below the innermost: their pc is a return address), placed at
 * CFA + offset, the CFA being the frame's fp. The typing pass unwinds every goroutine through
 * gr_goroutine_unwind, the same unwinder that later writes the frames and roots, and collects
 * each exact frame's live pointer slots with gr_frame_live_slots, the same stack maps. The
 * slots of a frame depend only on its pc (frame size, maps, stack objects are per pc), so they
 * are kept per pc as offsets from sp: a dump meets the same call sites on many stacks, and
 * reading stack maps is the expensive part.
 */
#include "goruntime/stackvars.h"

#include "goruntime/typeprop.h"

/* A variable larger than this is not followed (an array on the stack: its pointers are still
 * roots, only untyped ones). */
#define MAX_VALUE_BYTES (1u << 20)

/* Whether a variable is a piece the compiler split off another one ("s.ptr", "v.data",
 * "x.f", "a[0]"; Go 1.27 describes their spill slots too). Their types are stand-ins where
 * the whole variable's type says more: an interface's data word or a string's bytes are
 * *uint8. They name roots when the whole variable does not, and type nothing. */
static bool split_piece(const char *name)
{
	return name[0] && strpbrk(name + 1, ".[") != NULL;
}

void gr_stackvars_frame(gr_walk *w, const gr_g *g, const gr_frame *f, GArray *out)
{
	g_array_set_size(out, 0);
	if (!w->dwarf || !f->known)
		return;
	uint64_t pc = f->depth > 0 && f->pc > f->fn.entry ? f->pc - 1 : f->pc;
	GArray *locals = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_local));
	/* Variables only add names and types: when libdwarf cannot be opened again, frames
	 * simply have none. */
	hw_dwarf_locals_at(w->dwarf, pc - w->bias, locals, NULL);
	for (guint i = 0; i < locals->len; i++) {
		const hw_dwarf_local *l = &g_array_index(locals, hw_dwarf_local, i);
		const hw_dwarf_type *r = gr_type_resolve(l->type);
		if (!r || r->size == 0 || r->size == HW_DWARF_SIZE_UNKNOWN)
			continue;
		for (gsize k = 0; k < l->n_pieces; k++) {
			const hw_dwarf_piece *pp = &l->pieces[k];
			uint64_t len = pp->size == HW_DWARF_SIZE_UNKNOWN ? r->size - MIN(pp->offset, r->size) : pp->size;
			uint64_t addr = f->fp + (uint64_t)pp->cfa_offset;
			if (!pp->on_stack || len == 0 || pp->offset >= r->size || len > r->size - pp->offset ||
			    addr < g->stack_lo || addr > g->stack_hi || len > g->stack_hi - addr)
				continue;
			gr_stack_piece p = { addr, len, pp->offset, l->name, l->type, r->size, i, l->param };
			g_array_append_val(out, p);
		}
	}
	g_array_unref(locals);
}

uint32_t gr_stackvars_name(gr_walk *w, const GArray *pieces, uint64_t addr)
{
	/* Whole variables first, then the pieces split off them. */
	for (guint i = 0; pieces && i < 2 * pieces->len; i++) {
		const gr_stack_piece *p = &g_array_index(pieces, gr_stack_piece, i % pieces->len);
		if (addr < p->addr || addr - p->addr >= p->len || split_piece(p->name) != (i >= pieces->len))
			continue;
		uint64_t off = p->offset + (addr - p->addr);
		char buf[256];
		if (off)
			g_snprintf(buf, sizeof buf, "%s %s+%" G_GUINT64_FORMAT, p->param ? "arg" : "var", p->name, off);
		else
			g_snprintf(buf, sizeof buf, "%s %s", p->param ? "arg" : "var", p->name);
		return hwd_writer_cstring(w->w, buf);
	}
	return 0;
}

/* The live pointer slots at one pc: offsets from sp, sorted; offs NULL when the maps are
 * missing (the frame is scanned conservatively, and types nothing). */
typedef struct pc_slots {
	uint64_t pc;             /* the key */
	GArray *offs;            /* uint64 */
} pc_slots;

typedef struct roots_ctx {
	gr_walk *w;
	const gr_g *g;
	gr_stackvar_fn root;
	void *ctx;
	GArray *pieces;          /* gr_stack_piece of the frame */
	GHashTable *slots;       /* &pc -> pc_slots */
	GArray *live;            /* the frame's live slots, offsets from sp */
	uint64_t sp;             /* the frame's */
	guint8 *value;           /* the value being built, cap bytes */
	uint64_t cap;
} roots_ctx;

static void pc_slots_free(gpointer p)
{
	pc_slots *s = p;
	if (s->offs)
		g_array_unref(s->offs);
	g_free(s);
}

static gboolean collect_slot(void *ctx, uint64_t addr, GError **error)
{
	roots_ctx *c = ctx;
	uint64_t off = addr - c->sp;
	(void)error;
	g_array_append_val(c->live, off);
	return TRUE;
}

static gint cmp_u64(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The live slots of the exact frame f (cached per pc); NULL when its maps are missing. */
static GArray *live_slots(roots_ctx *c, const gr_frame *f)
{
	pc_slots *s = g_hash_table_lookup(c->slots, &f->pc);
	if (s)
		return s->offs;
	s = g_new0(pc_slots, 1);
	s->pc = f->pc;
	s->offs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	c->live = s->offs;
	bool fallback = false;
	if (!gr_frame_live_slots(c->w, f, collect_slot, c, &fallback, NULL) || fallback)
		g_clear_pointer(&s->offs, g_array_unref);
	else
		g_array_sort(s->offs, cmp_u64);
	g_hash_table_insert(c->slots, &s->pc, s);
	return s->offs;
}

static bool is_live(const roots_ctx *c, uint64_t addr)
{
	uint64_t off = addr - c->sp;
	guint lo = 0, hi = c->live->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		uint64_t v = g_array_index(c->live, uint64_t, mid);
		if (v == off)
			return true;
		if (v < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The variable whose pieces are pieces[from, to): its value, if it holds a live slot. */
static void variable_root(roots_ctx *c, guint from, guint to)
{
	gr_walk *w = c->w;
	const gr_stack_piece *first = &g_array_index(c->pieces, gr_stack_piece, from);
	bool any_live = false;
	if (split_piece(first->name))
		return;
	for (guint i = from; i < to && !any_live; i++) {
		const gr_stack_piece *p = &g_array_index(c->pieces, gr_stack_piece, i);
		for (uint64_t a = (p->addr + 7) & ~7ull; a + 8 <= p->addr + p->len && !any_live; a += 8)
			any_live = is_live(c, a);
	}
	if (!any_live || first->size > MAX_VALUE_BYTES)
		return;
	if (first->size > c->cap) {
		c->cap = MAX(first->size, 2 * c->cap);
		c->value = g_realloc(c->value, c->cap);
	}
	memset(c->value, 0, first->size);
	for (guint i = from; i < to; i++) {
		const gr_stack_piece *p = &g_array_index(c->pieces, gr_stack_piece, i);
		guint8 *dst = c->value + p->offset;
		if (!w->mem->read(w->mem->ctx, p->addr, dst, p->len)) {
			memset(dst, 0, p->len);
			continue;
		}
		/* The stack maps decide liveness: a heap address in a word they do not hold live is
		 * a stale pointer (scalars never look like one, or are harmless when they do). */
		for (uint64_t a = (p->addr + 7) & ~7ull; a + 8 <= p->addr + p->len; a += 8) {
			guint8 *word = dst + (a - p->addr);
			if (!is_live(c, a) &&
			    gr_objects_find(&w->objects, &w->pause->spans, gr_le64(word)) != GR_NO_OBJECT)
				memset(word, 0, 8);
		}
	}
	c->root(c->ctx, c->value, first->size, first->type);
}

static gboolean frame_roots(void *ctx, const gr_frame *f, GError **error)
{
	roots_ctx *c = ctx;
	(void)error;
	if (!f->known || f->conservative)
		return TRUE;
	gr_stackvars_frame(c->w, c->g, f, c->pieces);
	if (c->pieces->len == 0)
		return TRUE;
	c->sp = f->sp;
	if (!(c->live = live_slots(c, f)))
		return TRUE;
	for (guint from = 0; from < c->pieces->len;) {
		guint to = from + 1;
		uint32_t var = g_array_index(c->pieces, gr_stack_piece, from).var;
		while (to < c->pieces->len && g_array_index(c->pieces, gr_stack_piece, to).var == var)
			to++;
		variable_root(c, from, to);
		from = to;
	}
	return TRUE;
}

void gr_stackvars_roots(gr_walk *w, gr_stackvar_fn root, void *ctx)
{
	GArray *gs = w->pause->gs;
	if (!w->dwarf || !w->pcln || !gs)
		return;
	roots_ctx c = { w, NULL, root, ctx, g_array_new(FALSE, FALSE, sizeof(gr_stack_piece)),
	                g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pc_slots_free), NULL, 0, NULL, 0 };
	for (guint i = 0; i < gs->len; i++) {
		c.g = &g_array_index(gs, gr_g, i);
		gr_goroutine_unwind(w, c.g, frame_roots, &c, NULL);
	}
	g_array_unref(c.pieces);
	g_hash_table_destroy(c.slots);
	g_free(c.value);
}

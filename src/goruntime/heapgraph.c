/* heapgraph.c - writing the heap's objects and their exact pointer edges.
 *
 * Objects come from the object index in address order. Edges come from the runtime's own
 * pointer maps (heapbits.c): regime A for small scan spans, the malloc header's type for
 * header objects, mspan.largeType for large ones. Object types and edge labels come from the
 * typing built beforehand (typeprop.h). A word flagged as a pointer becomes an edge
 * only if it points into an allocated object; the others are counted (nonheap_words: static
 * data, stacks, nil; free_slot_words: a free slot of an in-use span, i.e. a dangling word in an
 * unreachable object). Memory is read through a window so a span is fetched from the image in
 * one piece rather than word by word.
 */
#include "goruntime/typeprop.h"

/* Bytes fetched from the image at a time. */
#define WINDOW_BYTES (256u * 1024u)

typedef struct window {
	const gr_mem *mem;
	uint64_t start, len, limit;   /* cached [start, start+len); never read past limit */
	guint8 *buf;
} window;

static bool window_word(window *win, uint64_t addr, uint64_t *v)
{
	if (addr < win->start || addr + 8 > win->start + win->len) {
		uint64_t len = MIN((uint64_t)WINDOW_BYTES, win->limit - addr);
		if (addr + 8 > win->limit || !win->mem->read(win->mem->ctx, addr, win->buf, len)) {
			win->len = 0;
			return false;
		}
		win->start = addr;
		win->len = len;
	}
	*v = gr_le64(win->buf + (addr - win->start));
	return true;
}

/* The type named by an object's header or its span's largeType into *out: NULL for objects
 * without one, and also (with *incomplete set) when the runtime had not yet published it
 * (caught inside mallocgc). FALSE only on an error. */
static gboolean object_type(gr_walk *w, const gr_span *s, uint64_t slot, window *win,
                            gr_type_info **out, bool *incomplete, GError **error)
{
	uint64_t taddr = 0;
	*incomplete = false;
	*out = NULL;
	if (gr_span_noscan(s))
		return TRUE;
	if (gr_span_sizeclass(s) == 0) {
		taddr = s->largetype;
	} else if (gr_span_has_header(s, w->L)) {
		if (!window_word(win, slot, &taddr)) {
			g_set_error(error, GR_ERROR, GR_ERROR_READ, "malloc header at 0x%" G_GINT64_MODIFIER
			            "x was not copied", (guint64)slot);
			return FALSE;
		}
	} else {
		return TRUE;
	}
	if (taddr == 0) {
		*incomplete = true;
		return TRUE;
	}
	GError *err = NULL;
	gr_type_info *ti = gr_types_get(w->types, taddr, &err);
	if (!ti) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "object at 0x%" G_GINT64_MODIFIER "x: %s",
		            (guint64)slot, err->message);
		g_error_free(err);
		return FALSE;
	}
	*out = ti;
	return TRUE;
}

/* Whether the object in slot `slot` of s is still being built by mallocgc: allocated but not
 * published while no GC runs (gr_spans_published). Its pointer map may be stale, so it gets
 * no edges and the flag HWD_OBJ_INCOMPLETE. */
static bool in_mallocgc(const gr_walk *w, const gr_span *s, uint64_t slot)
{
	return w->pause->gcphase == 0 &&
	       !gr_spans_published(&w->pause->spans, s, (uint32_t)((slot - s->start) / s->elemsize));
}

static window window_new(gr_walk *w)
{
	window win = { w->mem, 0, 0, 0, g_malloc(WINDOW_BYTES) };
	return win;
}

gboolean gr_heap_emit_objects(gr_walk *w, GError **error)
{
	gr_spans *ss = &w->pause->spans;
	window win = window_new(w);
	gboolean ok = TRUE;
	for (size_t i = 0; i < ss->n && ok; i++) {
		const gr_span *s = &ss->v[i];
		uint32_t end = i + 1 < ss->n ? ss->v[i + 1].first_object : (uint32_t)w->objects.n;
		bool header = gr_span_has_header(s, w->L);
		win.limit = s->start + s->npages * GR_PAGE_SIZE;
		win.len = 0;
		for (uint32_t k = s->first_object; k < end && ok; k++) {
			uint64_t slot = w->objects.slot[k];
			bool incomplete;
			gr_type_info *ti;
			if (!object_type(w, s, slot, &win, &ti, &incomplete, error)) {
				ok = FALSE;
				break;
			}
			incomplete = incomplete || in_mallocgc(w, s, slot);
			hwd_object o = { 0 };
			o.addr = slot + (header ? w->L->malloc_header_size : 0);
			o.size = s->elemsize - (header ? w->L->malloc_header_size : 0);
			o.flags = (header ? HWD_OBJ_HAS_HEADER : 0) | (incomplete ? HWD_OBJ_INCOMPLETE : 0);
			o.type = w->typing->type_id[k];
			w->st.incomplete_objects += incomplete;
			ok = gr_walk_check(hwd_writer_object(w->w, &o), "object", error);
		}
	}
	g_free(win.buf);
	return ok;
}

/* Whether [addr, addr+len) (inside the window's span) is wholly in the copy, checked a window
 * at a time, leaving the window on its last part. The type's mask is then tiled over it word
 * by word, so an object whose size comes from a corrupt span or header and runs past the
 * memory copied must fail here, after at most (bytes copied) / WINDOW_BYTES reads, rather
 * than have every word of its claimed size looked at. */
static gboolean object_copied(window *win, uint64_t addr, uint64_t len, GError **error)
{
	for (uint64_t a = addr; a < addr + len; a = win->start + win->len) {
		if (a >= win->start && a < win->start + win->len)
			continue;
		uint64_t n = MIN((uint64_t)WINDOW_BYTES, win->limit - a);
		if (a >= win->limit || !win->mem->read(win->mem->ctx, a, win->buf, n)) {
			win->len = 0;
			g_set_error(error, GR_ERROR, GR_ERROR_READ, "object at 0x%" G_GINT64_MODIFIER "x (%"
			            G_GUINT64_FORMAT " bytes): its memory at 0x%" G_GINT64_MODIFIER "x was not copied",
			            (guint64)addr, len, (guint64)a);
			return FALSE;
		}
		win->start = a;
		win->len = n;
	}
	return TRUE;
}

typedef struct edge_ctx {
	gr_walk *w;
	window *win;
	uint64_t base;        /* address offsets are relative to (the object's snapshot address) */
	uint32_t from;
	int rc;
} edge_ctx;

static void edge_word(void *user, uint64_t off)
{
	edge_ctx *c = user;
	gr_walk *w = c->w;
	uint64_t v;
	if (c->rc || !window_word(c->win, c->base + off, &v))
		return;
	w->st.ptr_words++;
	uint32_t to = gr_objects_find(&w->objects, &w->pause->spans, v);
	if (to == GR_NO_OBJECT) {
		if (gr_spans_find(&w->pause->spans, v))
			w->st.free_slot_words++;
		else
			w->st.nonheap_words++;
		return;
	}
	hwd_edge e = { c->from, to, gr_typing_label(w, w->typing, c->from, off),
	               hwd_edge_info(HWD_EDGE_STRONG, off) };
	c->rc = hwd_writer_edge(w->w, &e);
	w->st.edges++;
}

gboolean gr_heap_emit_edges(gr_walk *w, GError **error)
{
	gr_spans *ss = &w->pause->spans;
	window win = window_new(w);
	edge_ctx c = { w, &win, 0, 0, 0 };
	gboolean ok = TRUE;
	for (size_t i = 0; i < ss->n && ok; i++) {
		const gr_span *s = &ss->v[i];
		if (gr_span_noscan(s))
			continue;
		uint32_t end = i + 1 < ss->n ? ss->v[i + 1].first_object : (uint32_t)w->objects.n;
		uint64_t span_bytes = s->npages * GR_PAGE_SIZE;
		win.limit = s->start + span_bytes;
		win.len = 0;
		bool header = gr_span_has_header(s, w->L);
		guint8 *bits = NULL;
		uint64_t bits_addr = 0, bits_len = 0;
		if (!header && gr_span_sizeclass(s) != 0) {
			gr_heapbits_range(s->start, s->npages, w->L->greentea && s->elemsize >= 16,
			                  &bits_addr, &bits_len);
			bits = g_malloc(bits_len);
			if (!gr_mem_read(w->mem, bits_addr, bits, bits_len, "span heap bits", error)) {
				g_free(bits);
				ok = FALSE;
				break;
			}
		}
		for (uint32_t k = s->first_object; k < end && ok; k++) {
			uint64_t slot = w->objects.slot[k];
			c.from = k;
			if (in_mallocgc(w, s, slot))
				continue;
			if (bits) {
				c.base = slot;
				gr_heapbits_object(bits, bits_len, slot - s->start, s->elemsize, edge_word, &c);
			} else {
				bool incomplete;
				gr_type_info *ti;
				if (!object_type(w, s, slot, &win, &ti, &incomplete, error)) {
					ok = FALSE;
					break;
				}
				if (!ti)
					continue;
				uint64_t hs = header ? w->L->malloc_header_size : 0;
				c.base = slot + hs;
				if (ti->mask)
					ok = object_copied(&win, c.base, s->elemsize - hs, error) &&
					     gr_mask_tile(ti->mask, ti->nbits, ti->size, s->elemsize - hs, edge_word, &c,
					                  error);
			}
			if (ok && c.rc)
				ok = gr_walk_check(c.rc, "edge", error);
		}
		g_free(bits);
	}
	g_free(win.buf);
	return ok;
}

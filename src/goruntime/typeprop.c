/* typeprop.c - typing the heap: runtime types first, then propagation (see typeprop.h).
 *
 * The worklist holds objects whose layout became known and whose pointer words have not been
 * followed yet. Following an object reads its bytes once and walks its layout with an explicit
 * stack of (offset, type) items, so neither the heap graph nor deep types recurse. Each
 * pointer-shaped word gives its target a type: a pointer's pointee, a slice's element array, a
 * string's bytes, a map's header, directory, tables and groups, an interface's dynamic type
 * (from the type word or the itab: for pointer-shaped dynamic types the data word is itself a
 * typed pointer), a func value's closure layout.
 */
#include "goruntime/typeprop.h"
#include "goruntime/stackvars.h"

/* Bound on has_ptrs' descent through nested aggregate types (not through pointers). */
#define MAX_TYPE_DEPTH 64

static const char *const source_keys[GR_TSRC__COUNT] = {
	[GR_TSRC_HEADER] = "header", [GR_TSRC_LARGE] = "large_type", [GR_TSRC_IFACE] = "iface",
	[GR_TSRC_CLOSURE] = "closure", [GR_TSRC_DWARF] = "dwarf", [GR_TSRC_SIZECLASS] = "sizeclass",
};

typedef struct scan_item {
	uint64_t off;
	const hw_dwarf_type *ty;
	uint8_t src;
} scan_item;

typedef struct prop {
	gr_walk *w;
	gr_typing *t;
	GArray *work;       /* uint32 object indices to follow */
	GArray *stack;      /* scan_item */
	guint8 *buf;        /* the bytes being walked */
	uint64_t len, cap;
} prop;

static uint64_t header_bytes(const gr_walk *w, const gr_span *s)
{
	return gr_span_has_header(s, w->L) ? w->L->malloc_header_size : 0;
}

static const gr_span *span_of(const gr_walk *w, uint32_t k)
{
	return &w->pause->spans.v[w->objects.span[k]];
}

static uint64_t obj_addr(const gr_walk *w, uint32_t k)
{
	return w->objects.slot[k] + header_bytes(w, span_of(w, k));
}

static uint64_t obj_size(const gr_walk *w, uint32_t k)
{
	const gr_span *s = span_of(w, k);
	return s->elemsize - header_bytes(w, s);
}

/* Whether values of ty can hold pointers (cached; depth-bounded: "yes" when too deep). */
static bool has_ptrs_depth(gr_typing *t, const hw_dwarf_type *ty, int depth)
{
	ty = gr_type_resolve(ty);
	if (!ty)
		return false;
	gpointer c = g_hash_table_lookup(t->has_ptrs, ty);
	if (c)
		return GPOINTER_TO_INT(c) - 1;
	if (depth >= MAX_TYPE_DEPTH)
		return true;
	bool r = false;
	switch (ty->kind) {
	case HW_DWARF_KIND_POINTER: case HW_DWARF_KIND_SUBROUTINE:
		r = true;
		break;
	case HW_DWARF_KIND_ARRAY:
		r = ty->count > 0 && has_ptrs_depth(t, ty->target, depth + 1);
		break;
	case HW_DWARF_KIND_STRUCT: case HW_DWARF_KIND_UNION:
		for (gsize i = 0; i < ty->n_members && !r; i++)
			r = has_ptrs_depth(t, ty->members[i].type, depth + 1);
		break;
	default:
		break;
	}
	g_hash_table_insert(t->has_ptrs, (gpointer)ty, GINT_TO_POINTER(r + 1));
	return r;
}

static bool has_ptrs(gr_typing *t, const hw_dwarf_type *ty)
{
	return has_ptrs_depth(t, ty, 0);
}

/* DWARF's type for the runtime type descriptor at taddr (a target address), or NULL (a
 * gr_rtypes_prefer_fn over the gr_typing). */
static const hw_dwarf_type *dwarf_own(void *ctx, uint64_t taddr)
{
	const gr_typing *t = ctx;
	const hw_dwarf_type *d = hw_dwarf_type_by_runtime_type(t->walk->dwarf, taddr - t->walk->bias);
	if (!d && taddr >= t->types_base)
		d = hw_dwarf_type_by_runtime_type(t->walk->dwarf, taddr - t->types_base);
	return d;
}

/* The type of the runtime type descriptor at taddr: DWARF's, else the descriptor's own. */
static const hw_dwarf_type *dwarf_of(const prop *p, uint64_t taddr)
{
	const hw_dwarf_type *d = dwarf_own(p->t, taddr);
	if (!d && p->t->rtypes)
		d = gr_rtypes_lookup(p->t->rtypes, taddr - p->w->bias);
	return d;
}

static bool usable_size(const hw_dwarf_type *r)
{
	return r && r->size != 0 && r->size != HW_DWARF_SIZE_UNKNOWN;
}

/* Types the object starting exactly at addr, unless it is typed already or the type does not
 * fit in it. layout may be NULL (a name and size only, e.g. string bytes). */
static void assign(prop *p, uint64_t addr, const hw_dwarf_type *layout, const char *name,
                   uint64_t size, gr_type_source src, uint8_t flags)
{
	gr_walk *w = p->w;
	gr_typing *t = p->t;
	if (!addr || !name || !name[0])
		return;
	uint32_t k = gr_objects_find(&w->objects, &w->pause->spans, addr);
	if (k == GR_NO_OBJECT || obj_addr(w, k) != addr)
		return;
	const hw_dwarf_type *r = gr_type_resolve(layout);
	if (layout) {
		if (!usable_size(r))
			return;
		size = r->size;
	}
	if (size == 0 || size > obj_size(w, k))
		return;
	if (t->source[k]) {
		/* A slice naming the array a malloc header typed by its element: the same type,
		 * now known to be an array. */
		if ((flags & GR_TYPING_ARRAY) && !(t->flags[k] & GR_TYPING_ARRAY) && r && t->layout[k] &&
		    gr_type_resolve(t->layout[k]) == r) {
			t->flags[k] |= GR_TYPING_ARRAY;
			t->name[k] = name;
		}
		return;
	}
	t->layout[k] = layout;
	t->name[k] = name;
	t->source[k] = (uint8_t)src;
	t->flags[k] = flags;
	if (layout && has_ptrs(t, layout))
		g_array_append_val(p->work, k);
}

static bool word(const prop *p, uint64_t off, uint64_t *v)
{
	if (off + 8 > p->len)
		return false;
	*v = gr_le64(p->buf + off);
	return true;
}

static void push(prop *p, uint64_t off, const hw_dwarf_type *ty, uint8_t src)
{
	scan_item it = { off, ty, src };
	g_array_append_val(p->stack, it);
}

static const hw_dwarf_type *pointee(const hw_dwarf_type *ty)
{
	ty = gr_type_resolve(ty);
	return ty && ty->kind == HW_DWARF_KIND_POINTER ? ty->target : NULL;
}

static const hw_dwarf_member *member(const hw_dwarf_type *ty, const char *name)
{
	return ty ? hw_dwarf_type_member(ty, name) : NULL;
}

static bool is_iface(const hw_dwarf_type *r)
{
	return r->n_members == 2 && strcmp(r->members[1].name, "data") == 0 &&
	       (strcmp(r->members[0].name, "tab") == 0 || strcmp(r->members[0].name, "_type") == 0);
}

/* An interface value at off: the dynamic type comes from the eface type word or the itab. */
static void scan_iface(prop *p, const hw_dwarf_type *r, uint64_t off)
{
	gr_walk *w = p->w;
	uint64_t tw, data, rt;
	if (!word(p, off, &tw) || !word(p, off + 8, &data) || !tw || !data)
		return;
	rt = tw;
	if (strcmp(r->members[0].name, "tab") == 0 && !gr_mem_u64(w->mem, tw + 8, &rt, "itab type", NULL))
		return;
	gr_type_info *ti = gr_types_get(w->types, rt, NULL);
	if (!ti)
		return;
	const hw_dwarf_type *d = dwarf_of(p, rt);
	bool direct = ti->size == 8 && ti->nbits >= 1 && (ti->mask[0] & 1);
	if (direct) {
		/* The data word is a value of the dynamic type: follow it as such. */
		if (d)
			push(p, off + 8, d, GR_TSRC_IFACE);
		return;
	}
	assign(p, data, d, ti->name, ti->size, GR_TSRC_IFACE, 0);
}

/* A Swiss map header (map<K,V>): a small map's dirPtr is one group, not a directory. */
static bool scan_small_map(prop *p, const hw_dwarf_type *r, uint64_t off, uint8_t src)
{
	const hw_dwarf_member *dp = member(r, "dirPtr"), *dl = member(r, "dirLen");
	uint64_t ptr, len;
	if (!dp || !dl || !word(p, off + dl->offset, &len) || !word(p, off + dp->offset, &ptr))
		return false;
	if (len != 0) {
		const hw_dwarf_type *tab = pointee(dp->type);
		assign(p, ptr, tab, gr_type_display_name(tab), 0, (gr_type_source)src, GR_TYPING_ARRAY);
		return true;
	}
	const hw_dwarf_type *table = gr_type_resolve(pointee(pointee(dp->type)));
	const hw_dwarf_member *groups = member(table, "groups");
	const hw_dwarf_member *data = groups ? member(gr_type_resolve(groups->type), "data") : NULL;
	const hw_dwarf_type *group = data ? pointee(data->type) : NULL;
	if (!group)
		return false;
	assign(p, ptr, group, gr_type_display_name(group), 0, (gr_type_source)src, 0);
	return true;
}

/* sync/atomic.Pointer[T] {_ [0]*T; _ noCopy; v unsafe.Pointer}: the zero-length array names
 * T. A node of internal/sync.HashTrieMap (sync.Map) is really an entry or an indirect, as its
 * isEntry byte says; the runtime casts the same way. */
static void scan_atomic_pointer(prop *p, const hw_dwarf_type *r, uint64_t off, uint8_t src)
{
	const hw_dwarf_member *v = member(r, "v");
	const hw_dwarf_type *arr = r->n_members ? gr_type_resolve(r->members[0].type) : NULL;
	const hw_dwarf_type *ty = arr && arr->kind == HW_DWARF_KIND_ARRAY ? pointee(arr->target) : NULL;
	uint64_t addr;
	if (!v || !ty || !word(p, off + v->offset, &addr) || !addr)
		return;
	const char *tn = ty->name ? ty->name : "";
	if (g_str_has_prefix(tn, "internal/sync.node[")) {
		uint8_t is_entry;
		if (!gr_mem_read(p->w->mem, addr, &is_entry, 1, "HashTrieMap node", NULL))
			return;
		char *real = g_strconcat(is_entry ? "internal/sync.entry" : "internal/sync.indirect",
		                         tn + strlen("internal/sync.node"), NULL);
		ty = hw_dwarf_type_by_name(p->w->dwarf, real);
		g_free(real);
		if (!ty)
			return;
	}
	assign(p, addr, ty, gr_type_display_name(ty), 0, (gr_type_source)src, 0);
}

static void scan_struct(prop *p, const hw_dwarf_type *r, uint64_t off, uint8_t src)
{
	const char *name = r->name ? r->name : "";
	uint64_t v;
	if (g_str_has_prefix(name, "sync/atomic.Pointer[")) {
		scan_atomic_pointer(p, r, off, src);
		return;
	}
	if (r->go_kind == 23 || g_str_has_prefix(name, "[]")) {
		const hw_dwarf_type *elem = r->n_members ? pointee(r->members[0].type) : NULL;
		if (elem && word(p, off, &v))
			assign(p, v, elem, gr_type_display_name(r), 0, (gr_type_source)src, GR_TYPING_ARRAY);
		return;
	}
	if (strcmp(name, "string") == 0) {
		uint64_t len;
		if (word(p, off, &v) && word(p, off + 8, &len))
			assign(p, v, NULL, "string", len ? len : 1, (gr_type_source)src, 0);
		return;
	}
	if (is_iface(r)) {
		scan_iface(p, r, off);
		return;
	}
	if (g_str_has_prefix(name, "map<") && scan_small_map(p, r, off, src)) {
		for (gsize i = 0; i < r->n_members; i++)
			if (strcmp(r->members[i].name, "dirPtr") != 0)
				push(p, off + r->members[i].offset, r->members[i].type, src);
		return;
	}
	for (gsize i = 0; i < r->n_members; i++)
		push(p, off + r->members[i].offset, r->members[i].type, src);
}

/* Follows every pointer-shaped word of the items on the stack, over p->buf. */
static void drain_stack(prop *p)
{
	gr_walk *w = p->w;
	while (p->stack->len) {
		scan_item it = g_array_index(p->stack, scan_item, p->stack->len - 1);
		g_array_set_size(p->stack, p->stack->len - 1);
		const hw_dwarf_type *r = gr_type_resolve(it.ty);
		if (!r || !has_ptrs(p->t, r))
			continue;
		/* Map and chan typedefs (map[K]V -> *map<K,V>) name what they point to. */
		const char *alias = it.ty->kind == HW_DWARF_KIND_TYPEDEF && (it.ty->go_kind == 21 || it.ty->go_kind == 18)
		                    ? it.ty->name : NULL;
		uint64_t v;
		switch (r->kind) {
		case HW_DWARF_KIND_POINTER:
			if (r->target && word(p, it.off, &v))
				assign(p, v, r->target, alias ? alias : gr_type_display_name(r->target), 0,
				       it.src == GR_TSRC_IFACE ? GR_TSRC_IFACE : GR_TSRC_DWARF, 0);
			break;
		case HW_DWARF_KIND_SUBROUTINE: {
			uint64_t pc;
			if (word(p, it.off, &v) && v && gr_mem_u64(w->mem, v, &pc, "funcval", NULL)) {
				const hw_dwarf_type *cl = gr_closure_layout(w, p->t, pc);
				if (cl)
					assign(p, v, cl, cl->name, 0, GR_TSRC_CLOSURE, 0);
			}
			break;
		}
		case HW_DWARF_KIND_ARRAY: {
			const hw_dwarf_type *e = gr_type_resolve(r->target);
			if (!usable_size(e))
				break;
			for (uint64_t i = 0; i < r->count && it.off + (i + 1) * e->size <= p->len; i++)
				push(p, it.off + i * e->size, e, it.src == GR_TSRC_IFACE ? GR_TSRC_DWARF : it.src);
			break;
		}
		case HW_DWARF_KIND_STRUCT:
			scan_struct(p, r, it.off, it.src == GR_TSRC_IFACE ? GR_TSRC_DWARF : it.src);
			break;
		default:
			break;
		}
	}
}

/* Makes p->buf hold len bytes (their contents are the caller's to fill). */
static void reserve(prop *p, uint64_t len)
{
	if (len > p->cap) {
		p->cap = MAX(len, p->cap * 2);
		p->buf = g_realloc(p->buf, p->cap);
	}
	p->len = len;
}

/* Reads len bytes at addr into p->buf; FALSE if the memory is not there. */
static bool load(prop *p, uint64_t addr, uint64_t len)
{
	reserve(p, len);
	return gr_mem_read(p->w->mem, addr, p->buf, len, "typed value", NULL);
}

/* Follows the objects on the worklist until it is empty. */
static void drain_work(prop *p)
{
	gr_walk *w = p->w;
	while (p->work->len) {
		uint32_t k = g_array_index(p->work, uint32_t, p->work->len - 1);
		g_array_set_size(p->work, p->work->len - 1);
		const hw_dwarf_type *r = gr_type_resolve(p->t->layout[k]);
		uint64_t n = obj_size(w, k) / r->size;
		if (!load(p, obj_addr(w, k), n * r->size))
			continue;
		for (uint64_t i = n; i-- > 0;)
			push(p, i * r->size, r, GR_TSRC_DWARF);
		drain_stack(p);
	}
}

/* Seeds: objects whose malloc header or span names their type. */
static void seed_runtime_types(prop *p)
{
	gr_walk *w = p->w;
	gr_typing *t = p->t;
	for (uint32_t k = 0; k < w->objects.n; k++) {
		const gr_span *s = span_of(w, k);
		uint64_t taddr = 0;
		if (gr_span_noscan(s))
			continue;
		if (gr_span_sizeclass(s) == 0)
			taddr = s->largetype;
		else if (!gr_span_has_header(s, w->L) ||
		         !gr_mem_u64(w->mem, w->objects.slot[k], &taddr, "malloc header", NULL))
			continue;
		gr_type_info *ti = taddr ? gr_types_get(w->types, taddr, NULL) : NULL;
		if (!ti || ti->size == 0)
			continue;
		const hw_dwarf_type *d = dwarf_of(p, taddr);
		const hw_dwarf_type *r = gr_type_resolve(d);
		if (d && (!usable_size(r) || r->size != ti->size))
			d = NULL;   /* a DWARF type that does not match the runtime's is no layout */
		t->layout[k] = d;
		t->name[k] = ti->name;
		t->source[k] = gr_span_sizeclass(s) == 0 ? GR_TSRC_LARGE : GR_TSRC_HEADER;
		if (d && has_ptrs(t, d))
			g_array_append_val(p->work, k);
	}
}

/* Seeds: the DWARF-typed package variables. */
static void seed_globals(prop *p)
{
	gr_walk *w = p->w;
	gsize n = 0;
	const hw_dwarf_var *g = hw_dwarf_globals(w->dwarf, &n);
	for (gsize i = 0; i < n; i++) {
		const hw_dwarf_type *r = gr_type_resolve(g[i].type);
		if (!usable_size(r) || !has_ptrs(p->t, g[i].type) || !load(p, g[i].addr + w->bias, r->size))
			continue;
		push(p, 0, g[i].type, GR_TSRC_DWARF);
		drain_stack(p);
		drain_work(p);
	}
}

/* Seeds: the goroutines' DWARF-typed stack variables (stackvars.h), after the globals. */
static void stack_root(void *ctx, const guint8 *value, uint64_t len, const hw_dwarf_type *type)
{
	prop *p = ctx;
	if (!has_ptrs(p->t, type))
		return;
	reserve(p, len);
	memcpy(p->buf, value, len);
	push(p, 0, type, GR_TSRC_DWARF);
	drain_stack(p);
	drain_work(p);
}

typedef struct shape_ctx {
	guint8 *bits;
} shape_ctx;

static void shape_word(void *user, uint64_t off)
{
	shape_ctx *c = user;
	c->bits[off / 64] |= (guint8)(1u << ((off / 8) % 8));
}

/* The untyped objects: named by size and pointer shape (the span's heap bits, or the walk's
 * ptr_words, for small objects without a malloc header). */
static gboolean name_untyped(gr_walk *w, gr_typing *t, GError **error)
{
	gr_spans *ss = &w->pause->spans;
	for (size_t i = 0; i < ss->n; i++) {
		const gr_span *s = &ss->v[i];
		uint32_t end = i + 1 < ss->n ? ss->v[i + 1].first_object : (uint32_t)w->objects.n;
		guint8 *bits = NULL, *shape = NULL;
		uint64_t bits_addr = 0, bits_len = 0;
		for (uint32_t k = s->first_object; k < end; k++) {
			if (t->source[k])
				continue;
			uint64_t size = obj_size(w, k);
			if (!gr_span_noscan(s) && gr_span_sizeclass(s) != 0 && !gr_span_has_header(s, w->L) && !shape) {
				if (!w->ptr_words) {
					gr_heapbits_range(s->start, s->npages, w->L->greentea && s->elemsize >= 16, &bits_addr,
					                  &bits_len);
					bits = g_malloc(bits_len);
					if (!gr_mem_read(w->mem, bits_addr, bits, bits_len, "span heap bits", error)) {
						g_free(bits);
						return FALSE;
					}
				}
				shape = g_malloc(s->elemsize / 64 + 1);
			}
			if (shape) {
				memset(shape, 0, s->elemsize / 64 + 1);
				shape_ctx c = { shape };
				if (bits)
					gr_heapbits_object(bits, bits_len, w->objects.slot[k] - s->start, s->elemsize, shape_word, &c);
				else
					w->ptr_words(w->ptr_words_ctx, k, shape_word, &c);
			}
			t->name[k] = gr_type_shape_name(t->strings, size, shape);
			t->source[k] = GR_TSRC_SIZECLASS;
		}
		g_free(bits);
		g_free(shape);
	}
	return TRUE;
}

/* Snapshot type ids (one writer call per distinct name) and the per-source counts. */
static gboolean write_types(gr_walk *w, gr_typing *t, GError **error)
{
	GHashTable *ids = g_hash_table_new(g_direct_hash, g_direct_equal);
	gboolean ok = TRUE;
	for (uint32_t k = 0; k < w->objects.n && ok; k++) {
		uint32_t id = GPOINTER_TO_UINT(g_hash_table_lookup(ids, t->name[k]));
		if (!id) {
			const hw_dwarf_type *r = gr_type_resolve(t->layout[k]);
			uint64_t size = r ? r->size : obj_size(w, k);
			if (!r && (t->source[k] == GR_TSRC_HEADER || t->source[k] == GR_TSRC_LARGE)) {
				uint64_t taddr = 0;
				const gr_span *s = span_of(w, k);
				if (gr_span_sizeclass(s) == 0)
					taddr = s->largetype;
				else
					gr_mem_u64(w->mem, w->objects.slot[k], &taddr, "malloc header", NULL);
				gr_type_info *ti = taddr ? gr_types_get(w->types, taddr, NULL) : NULL;
				size = ti ? ti->size : size;
			}
			id = hwd_writer_type(w->w, t->name[k], size,
			                     gr_type_kind(t->layout[k], t->name[k], t->flags[k], t->source[k]));
			if (!id) {
				ok = gr_walk_check(hwd_writer_last_error(w->w)->code ? hwd_writer_last_error(w->w)->code
				                                                     : HWD_E_NOMEM, "type", error);
				break;
			}
			g_hash_table_insert(ids, (gpointer)t->name[k], GUINT_TO_POINTER(id));
		}
		t->type_id[k] = id;
		t->objects[t->source[k]]++;
		t->bytes[t->source[k]] += obj_size(w, k);
	}
	g_hash_table_destroy(ids);
	for (int s = GR_TSRC_HEADER; s < GR_TSRC__COUNT && ok; s++) {
		char key[64];
		int rc;
		g_snprintf(key, sizeof key, "types.objects.%s", source_keys[s]);
		rc = hwd_writer_meta_u64(w->w, key, t->objects[s]);
		g_snprintf(key, sizeof key, "types.bytes.%s", source_keys[s]);
		rc |= hwd_writer_meta_u64(w->w, key, t->bytes[s]);
		ok = gr_walk_check(rc, "types metadata", error);
	}
	return ok;
}

gboolean gr_typing_build(gr_walk *w, uint64_t types_base, gr_typing *t, GError **error)
{
	size_t n = w->objects.n ? w->objects.n : 1;
	memset(t, 0, sizeof *t);
	t->types_base = types_base;
	t->layout = g_new0(const hw_dwarf_type *, n);
	t->name = g_new0(const char *, n);
	t->source = g_new0(uint8_t, n);
	t->flags = g_new0(uint8_t, n);
	t->type_id = g_new0(uint32_t, n);
	t->strings = g_string_chunk_new(4096);
	t->closures = g_hash_table_new(g_int64_hash, g_int64_equal);
	t->owned = g_ptr_array_new_with_free_func(g_free);
	t->has_ptrs = g_hash_table_new(g_direct_hash, g_direct_equal);
	t->walk = w;
	t->rtypes = gr_rtypes_new(w->mem, w->L, w->types, w->bias);
	if (t->rtypes)
		gr_rtypes_prefer(t->rtypes, dwarf_own, t);
	prop p = { w, t, g_array_new(FALSE, FALSE, sizeof(uint32_t)), g_array_new(FALSE, FALSE, sizeof(scan_item)),
	           NULL, 0, 0 };
	seed_runtime_types(&p);
	drain_work(&p);
	seed_globals(&p);
	gr_stackvars_roots(w, stack_root, &p);
	g_array_unref(p.work);
	g_array_unref(p.stack);
	g_free(p.buf);
	return name_untyped(w, t, error) && write_types(w, t, error);
}

void gr_typing_free(gr_typing *t)
{
	g_free(t->layout);
	g_free(t->name);
	g_free(t->source);
	g_free(t->flags);
	g_free(t->type_id);
	if (t->strings)
		g_string_chunk_free(t->strings);
	if (t->closures)
		g_hash_table_destroy(t->closures);
	if (t->owned)
		g_ptr_array_unref(t->owned);
	if (t->has_ptrs)
		g_hash_table_destroy(t->has_ptrs);
	gr_rtypes_free(t->rtypes);
	memset(t, 0, sizeof *t);
}

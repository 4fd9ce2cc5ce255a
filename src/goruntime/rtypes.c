/* rtypes.c - hw_dwarf_type values from abi.Type descriptors (see rtypes.h).
 *
 * shell() makes the type of a descriptor with its name, size and kind and queues it; fill()
 * reads what it refers to (element, fields) and links it to their shells. A lookup drains the
 * queue, so every type it returns is complete. A descriptor that cannot be read leaves its
 * referrer's member untyped (NULL), which typeprop.c treats as "nothing to follow". With a
 * preferred source (gr_rtypes_prefer), shell() returns that source's type where it has one,
 * so only the types it lacks are made here.
 */
#include "goruntime/rtypes.h"

#include <string.h>

/* Fields of one struct beyond which the descriptor is taken for corrupt. */
#define MAX_FIELDS 65536u

struct gr_rtypes {
	const gr_mem *mem;
	const gr_layout *L;
	gr_types *types;
	uint64_t bias, base, end;
	GHashTable *by_addr;       /* &addr -> hw_dwarf_type */
	GArray *pending;           /* uint64 descriptor addresses to fill */
	GPtrArray *owned;          /* types, member arrays, keys */
	GStringChunk *strings;
	hw_dwarf_type *word, *byte, *opaque_ptr;
	gr_rtypes_prefer_fn prefer;   /* gr_rtypes_prefer(), or NULL */
	void *prefer_ctx;
};

static hw_dwarf_type *new_type(gr_rtypes *r, hw_dwarf_kind kind, uint64_t size, const char *name)
{
	hw_dwarf_type *t = g_new0(hw_dwarf_type, 1);
	t->kind = kind;
	t->size = size;
	t->name = name;
	g_ptr_array_add(r->owned, t);
	return t;
}

/* The largest abi.StructField read (three words today). */
#define FIELD_MAX 64

gr_rtypes *gr_rtypes_new(const gr_mem *mem, const gr_layout *L, gr_types *types, uint64_t bias)
{
	/* A StructField is read into a 64-byte buffer (fill_struct): its layout, from the
	 * target's DWARF or the table, must fit it, or no type is built from descriptors. */
	const gr_abi_layout *a = &L->abi;
	if (!L->has_rtypes || a->field_size < 8 || a->field_size > FIELD_MAX || a->off_field_offset > a->field_size - 8 ||
	    a->off_field_typ > a->field_size - 8 || L->field_name > a->field_size - 8)
		return NULL;
	uint64_t types_base, types_end;
	gr_types_bounds(types, &types_base, &types_end);
	gr_rtypes *r = g_new0(gr_rtypes, 1);
	*r = (gr_rtypes){ mem, L, types, bias, types_base, types_end,
	                  g_hash_table_new(g_int64_hash, g_int64_equal), g_array_new(FALSE, FALSE, sizeof(uint64_t)),
	                  g_ptr_array_new_with_free_func(g_free), g_string_chunk_new(4096), NULL, NULL, NULL,
	                  NULL, NULL };
	r->word = new_type(r, HW_DWARF_KIND_BASE, 8, "uintptr");
	r->byte = new_type(r, HW_DWARF_KIND_BASE, 1, "uint8");
	r->opaque_ptr = new_type(r, HW_DWARF_KIND_POINTER, 8, "unsafe.Pointer");
	return r;
}

void gr_rtypes_free(gr_rtypes *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->by_addr);
	g_array_unref(r->pending);
	g_ptr_array_unref(r->owned);
	g_string_chunk_free(r->strings);
	g_free(r);
}

void gr_rtypes_prefer(gr_rtypes *r, gr_rtypes_prefer_fn prefer, void *ctx)
{
	r->prefer = prefer;
	r->prefer_ctx = ctx;
}

/* The (possibly unfilled) type of the descriptor at target address taddr, or NULL: the
 * preferred source's, else one made here. */
static const hw_dwarf_type *shell(gr_rtypes *r, uint64_t taddr)
{
	if (taddr < r->base || taddr >= r->end)
		return NULL;
	hw_dwarf_type *t = g_hash_table_lookup(r->by_addr, &taddr);
	if (t)
		return t;
	const hw_dwarf_type *pt = r->prefer ? r->prefer(r->prefer_ctx, taddr) : NULL;
	if (pt || g_hash_table_size(r->by_addr) >= GR_RTYPES_MAX)
		return pt;
	gr_type_info *ti = gr_types_get(r->types, taddr, NULL);
	if (!ti)
		return NULL;
	t = new_type(r, HW_DWARF_KIND_BASE, ti->size, ti->name);
	t->go_kind = ti->kind;
	t->go_runtime_type = taddr - r->bias;
	uint64_t *key = g_new(uint64_t, 1);
	*key = taddr;
	g_ptr_array_add(r->owned, key);
	g_hash_table_insert(r->by_addr, key, t);
	g_array_append_val(r->pending, taddr);
	return t;
}

static hw_dwarf_type *pointer_to(gr_rtypes *r, const hw_dwarf_type *target)
{
	hw_dwarf_type *p = new_type(r, HW_DWARF_KIND_POINTER, 8, NULL);
	p->target = target;
	return p;
}

static void set_members(gr_rtypes *r, hw_dwarf_type *t, hw_dwarf_member *m, size_t n)
{
	g_ptr_array_add(r->owned, m);
	t->members = m;
	t->n_members = n;
}

static void fill_struct(gr_rtypes *r, hw_dwarf_type *t, uint64_t taddr)
{
	const gr_layout *L = r->L;
	uint64_t fields, n;
	if (!gr_mem_u64(r->mem, taddr + L->abi.off_struct_fields, &fields, "StructType.Fields", NULL) ||
	    !gr_mem_u64(r->mem, taddr + L->abi.off_struct_fields + 8, &n, "StructType.Fields", NULL) ||
	    n > MAX_FIELDS || n > t->size + 1)   /* as heapbits.c: more fields than bytes is corrupt */
		return;
	hw_dwarf_member *m = g_new0(hw_dwarf_member, n ? n : 1);
	size_t kept = 0;
	for (uint64_t i = 0; i < n; i++) {
		guint8 f[FIELD_MAX];
		if (!gr_mem_read(r->mem, fields + i * L->abi.field_size, f, L->abi.field_size, "StructField", NULL))
			break;
		uint64_t off = gr_le64(f + L->abi.off_field_offset);
		if (off >= t->size)
			continue;
		char *name = gr_name_read(r->mem, gr_le64(f + L->field_name), NULL);
		m[kept++] = (hw_dwarf_member){ g_string_chunk_insert_const(r->strings, name ? name : ""), off,
		                               shell(r, gr_le64(f + L->abi.off_field_typ)), FALSE };
		g_free(name);
	}
	t->kind = HW_DWARF_KIND_STRUCT;
	set_members(r, t, m, kept);
}

/* Gives the shell at taddr its shape: what it refers to, as shells. */
static void fill(gr_rtypes *r, hw_dwarf_type *t, uint64_t taddr)
{
	const gr_layout *L = r->L;
	uint8_t k = t->go_kind;
	uint64_t elem = 0, len = 0;
	if (k == L->kind_ptr && t->size == 8) {
		if (gr_mem_u64(r->mem, taddr + L->ptr_elem, &elem, "PtrType.Elem", NULL)) {
			t->kind = HW_DWARF_KIND_POINTER;
			t->target = shell(r, elem);
		}
	} else if (k == L->abi.kind_array) {
		if (gr_mem_u64(r->mem, taddr + L->abi.off_array_elem, &elem, "ArrayType.Elem", NULL) &&
		    gr_mem_u64(r->mem, taddr + L->abi.off_array_len, &len, "ArrayType.Len", NULL)) {
			const hw_dwarf_type *e = shell(r, elem);
			if (e && e->size && len == t->size / e->size) {
				t->kind = HW_DWARF_KIND_ARRAY;
				t->target = e;
				t->count = len;
			}
		}
	} else if (k == L->abi.kind_struct) {
		fill_struct(r, t, taddr);
	} else if (k == L->kind_slice && t->size == 24) {
		if (gr_mem_u64(r->mem, taddr + L->slice_elem, &elem, "SliceType.Elem", NULL)) {
			hw_dwarf_member *m = g_new0(hw_dwarf_member, 3);
			m[0] = (hw_dwarf_member){ "array", 0, pointer_to(r, shell(r, elem)), FALSE };
			m[1] = (hw_dwarf_member){ "len", 8, r->word, FALSE };
			m[2] = (hw_dwarf_member){ "cap", 16, r->word, FALSE };
			t->kind = HW_DWARF_KIND_STRUCT;
			set_members(r, t, m, 3);
		}
	} else if (k == L->kind_string && t->size == 16) {
		hw_dwarf_member *m = g_new0(hw_dwarf_member, 2);
		m[0] = (hw_dwarf_member){ "str", 0, pointer_to(r, r->byte), FALSE };
		m[1] = (hw_dwarf_member){ "len", 8, r->word, FALSE };
		t->kind = HW_DWARF_KIND_STRUCT;
		t->name = "string";
		set_members(r, t, m, 2);
	} else if (k == L->kind_iface && t->size == 16) {
		/* The empty interface holds a type word, the others an itab (typeprop.c tells them
		 * apart by the first member's name, as DWARF's runtime.eface and runtime.iface). */
		hw_dwarf_member *m = g_new0(hw_dwarf_member, 2);
		m[0] = (hw_dwarf_member){ strcmp(t->name, "interface {}") == 0 ? "_type" : "tab", 0, r->opaque_ptr, FALSE };
		m[1] = (hw_dwarf_member){ "data", 8, r->opaque_ptr, FALSE };
		t->kind = HW_DWARF_KIND_STRUCT;
		set_members(r, t, m, 2);
	} else if (k == L->kind_func && t->size == 8) {
		t->kind = HW_DWARF_KIND_SUBROUTINE;
	}
	/* Everything else (scalars, maps, channels, unsafe.Pointer) stays a base type: typed,
	 * but not followed. */
}

const hw_dwarf_type *gr_rtypes_lookup(void *ctx, guint64 addr)
{
	gr_rtypes *r = ctx;
	const hw_dwarf_type *t = shell(r, addr + r->bias);
	while (r->pending->len) {
		uint64_t a = g_array_index(r->pending, uint64_t, r->pending->len - 1);
		g_array_set_size(r->pending, r->pending->len - 1);
		fill(r, g_hash_table_lookup(r->by_addr, &a), a);
	}
	return t;
}

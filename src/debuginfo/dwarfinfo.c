/* dwarfinfo.c - one pass over the DWARF with libdwarf 20210528 (old API), then hash tables.
 *
 * This is the only file that includes libdwarf. The walk visits the children of each
 * compilation unit (types, globals, constants, subprograms) and one level below for struct
 * members and array bounds, and into function bodies only for the captured variables of
 * closures (DW_AT_go_closure_offset). Other locals are read on demand, per function, by
 * hw_dwarf_locals_at (at the end of this file), which opens libdwarf again. Type references are
 * recorded as .debug_info offsets during the walk and linked to pointers afterwards, because
 * Go's DW_FORM_ref_addr references may point forward or into other units.
 */
#include "debuginfo/dwarfinfo.h"
#include "debuginfo/dwarfinfo-private.h"

#include <dwarf.h>
#include <libdwarf.h>
#include <string.h>

/* Go's vendor attributes (cmd/internal/dwarf). */
#define DW_AT_go_kind 0x2900
#define DW_AT_go_key 0x2901
#define DW_AT_go_elem 0x2902
#define DW_AT_go_embedded_field 0x2903
#define DW_AT_go_runtime_type 0x2904
#define DW_AT_go_closure_offset 0x2907

/* Longest typedef chain followed when sizing; Go's are one or two long. */
#define MAX_TYPEDEF_CHAIN 64

typedef struct {
	const char *name;
	guint64 offset;
	guint64 type_off;
	gboolean embedded;
} member_rec;

typedef struct {
	const char *name;
	guint64 addr;
	guint64 type_off;
} var_rec;

/* A captured variable while walking: its function's lowpc, then the public record. */
typedef struct {
	guint64 lowpc;
	const char *name;
	guint64 offset, type_off;
} capture_rec;

typedef struct {
	hw_dwarf *d;
	Dwarf_Debug dbg;
	Dwarf_Error derr;
	GArray *vars;              /* of var_rec */
	GArray *captures;          /* of capture_rec */
} walker;

void hw_dwarf_type_rec_free(gpointer p)
{
	type_rec *t = p;
	if (t->members)
		g_array_unref(t->members);
	g_free((gpointer)t->pub.members);
	g_free(t);
}

void hw_dwarf_free(hw_dwarf *d)
{
	if (d == NULL)
		return;
	g_hash_table_unref(d->by_offset);
	g_hash_table_unref(d->by_name);
	g_ptr_array_unref(d->types);
	g_array_unref(d->globals);
	g_hash_table_unref(d->global_index);
	g_hash_table_unref(d->constants);
	g_array_unref(d->funcs);
	g_hash_table_unref(d->by_rtype);
	g_array_unref(d->captures);
	g_array_unref(d->capture_pcs);
	if (d->flat_members)
		g_hash_table_unref(d->flat_members);
	if (d->recorded)
		g_array_unref(d->recorded);
	if (d->recorded_keys)
		g_hash_table_unref(d->recorded_keys);
	if (d->locals_dbg) {
		Dwarf_Error fe = NULL;
		dwarf_finish(d->locals_dbg, &fe);
	}
	if (d->locals)
		g_hash_table_unref(d->locals);
	if (d->elf)
		hw_elf_unref(d->elf);
	g_string_chunk_free(d->strings);
	g_free(d->producer);
	g_free(d->origin);
	g_free(d);
}

/* ---- attribute helpers (each returns FALSE when the attribute is absent or unusable) -- */

static const char *die_name(walker *w, Dwarf_Die die)
{
	char *name = NULL;
	if (dwarf_diename(die, &name, &w->derr) != DW_DLV_OK)
		return NULL;
	return g_string_chunk_insert_const(w->d->strings, name);
}

static gboolean attr_get(walker *w, Dwarf_Die die, Dwarf_Half at, Dwarf_Attribute *a)
{
	return dwarf_attr(die, at, a, &w->derr) == DW_DLV_OK;
}

static gboolean attr_udata(walker *w, Dwarf_Die die, Dwarf_Half at, guint64 *out)
{
	Dwarf_Attribute a;
	Dwarf_Unsigned v;
	if (!attr_get(w, die, at, &a))
		return FALSE;
	gboolean ok = dwarf_formudata(a, &v, &w->derr) == DW_DLV_OK;
	dwarf_dealloc_attribute(a);
	if (ok)
		*out = v;
	return ok;
}

static gboolean attr_ref(walker *w, Dwarf_Die die, Dwarf_Half at, guint64 *out)
{
	Dwarf_Attribute a;
	Dwarf_Off off;
	if (!attr_get(w, die, at, &a))
		return FALSE;
	gboolean ok = dwarf_global_formref(a, &off, &w->derr) == DW_DLV_OK;
	dwarf_dealloc_attribute(a);
	if (ok)
		*out = off;
	return ok;
}

static gboolean attr_flag(walker *w, Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Attribute a;
	Dwarf_Bool f = 0;
	if (!attr_get(w, die, at, &a))
		return FALSE;
	if (dwarf_formflag(a, &f, &w->derr) != DW_DLV_OK)
		f = 0;
	dwarf_dealloc_attribute(a);
	return f != 0;
}

/* Copies an exprloc or block attribute's bytes into buf (at most cap); returns the length,
 * or -1 when the attribute is absent or of another form. */
static gssize attr_expr(walker *w, Dwarf_Die die, Dwarf_Half at, guint8 *buf, gsize cap)
{
	Dwarf_Attribute a;
	Dwarf_Half form;
	gssize n = -1;
	if (!attr_get(w, die, at, &a))
		return -1;
	if (dwarf_whatform(a, &form, &w->derr) == DW_DLV_OK) {
		if (form == DW_FORM_exprloc) {
			Dwarf_Unsigned len;
			Dwarf_Ptr ptr;
			if (dwarf_formexprloc(a, &len, &ptr, &w->derr) == DW_DLV_OK) {
				n = (gssize)MIN(len, cap);
				memcpy(buf, ptr, (gsize)n);
			}
		} else if (form == DW_FORM_block1 || form == DW_FORM_block2 ||
			   form == DW_FORM_block4 || form == DW_FORM_block) {
			Dwarf_Block *blk;
			if (dwarf_formblock(a, &blk, &w->derr) == DW_DLV_OK) {
				n = (gssize)MIN(blk->bl_len, cap);
				memcpy(buf, blk->bl_data, (gsize)n);
				dwarf_dealloc(w->dbg, blk, DW_DLA_BLOCK);
			}
		}
	}
	dwarf_dealloc_attribute(a);
	return n;
}

static gboolean read_uleb(const guint8 *p, gsize len, gsize *pos, guint64 *out)
{
	guint64 v = 0;
	for (guint shift = 0; shift < 64 && *pos < len; shift += 7) {
		guint8 b = p[(*pos)++];
		v |= (guint64)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return TRUE;
		}
	}
	return FALSE;
}

/* DW_AT_data_member_location: a constant, or DW_OP_plus_uconst N (old producers). */
static gboolean member_location(walker *w, Dwarf_Die die, guint64 *out)
{
	guint8 expr[16];
	gssize n = attr_expr(w, die, DW_AT_data_member_location, expr, sizeof expr);
	if (n < 0)
		return attr_udata(w, die, DW_AT_data_member_location, out);
	gsize pos = 1;
	return n >= 2 && expr[0] == DW_OP_plus_uconst && read_uleb(expr, (gsize)n, &pos, out);
}

/* ---- the walk ------------------------------------------------------------------------- */

static hw_dwarf_kind kind_of(Dwarf_Half tag)
{
	switch (tag) {
	case DW_TAG_base_type: return HW_DWARF_KIND_BASE;
	case DW_TAG_structure_type: return HW_DWARF_KIND_STRUCT;
	case DW_TAG_class_type: return HW_DWARF_KIND_STRUCT;
	case DW_TAG_pointer_type: return HW_DWARF_KIND_POINTER;
	case DW_TAG_array_type: return HW_DWARF_KIND_ARRAY;
	case DW_TAG_typedef: return HW_DWARF_KIND_TYPEDEF;
	case DW_TAG_subroutine_type: return HW_DWARF_KIND_SUBROUTINE;
	case DW_TAG_union_type: return HW_DWARF_KIND_UNION;
	case DW_TAG_enumeration_type: return HW_DWARF_KIND_ENUM;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_unspecified_type:
		return HW_DWARF_KIND_OTHER;
	default: return (hw_dwarf_kind)-1;
	}
}

/* Visits the children of die with fn; returns FALSE on a libdwarf error. */
static gboolean for_children(walker *w, Dwarf_Die die, void (*fn)(walker *, Dwarf_Die, void *),
			     void *data)
{
	Dwarf_Die child;
	int res = dwarf_child(die, &child, &w->derr);
	while (res == DW_DLV_OK) {
		fn(w, child, data);
		Dwarf_Die next;
		res = dwarf_siblingof_b(w->dbg, child, 1, &next, &w->derr);
		dwarf_dealloc_die(child);
		child = next;
	}
	return res != DW_DLV_ERROR;
}

static void visit_member(walker *w, Dwarf_Die die, void *data)
{
	type_rec *t = data;
	Dwarf_Half tag;
	if (dwarf_tag(die, &tag, &w->derr) != DW_DLV_OK || tag != DW_TAG_member)
		return;
	member_rec m = { .name = die_name(w, die) };
	if (m.name == NULL)
		m.name = "";
	if (!member_location(w, die, &m.offset))
		m.offset = 0;   /* union members and bitfield-less C members at 0 */
	attr_ref(w, die, DW_AT_type, &m.type_off);
	m.embedded = attr_flag(w, die, DW_AT_go_embedded_field);
	if (t->members == NULL)
		t->members = g_array_new(FALSE, FALSE, sizeof(member_rec));
	g_array_append_val(t->members, m);
}

static void visit_subrange(walker *w, Dwarf_Die die, void *data)
{
	type_rec *t = data;
	Dwarf_Half tag;
	guint64 v;
	if (dwarf_tag(die, &tag, &w->derr) != DW_DLV_OK || tag != DW_TAG_subrange_type)
		return;
	if (attr_udata(w, die, DW_AT_count, &v))
		t->pub.count = v;
	else if (attr_udata(w, die, DW_AT_upper_bound, &v) && v != G_MAXUINT64)
		t->pub.count = v + 1;
}

static void add_type(walker *w, Dwarf_Die die, Dwarf_Half tag, Dwarf_Off off)
{
	type_rec *t = g_new0(type_rec, 1);
	guint64 v;
	t->pub.name = die_name(w, die);
	t->pub.kind = kind_of(tag);
	t->pub.size = attr_udata(w, die, DW_AT_byte_size, &v) ? v : HW_DWARF_SIZE_UNKNOWN;
	t->pub.go_kind = attr_udata(w, die, DW_AT_go_kind, &v) ? (guint8)v : 0;
	t->pub.die_offset = off;
	attr_ref(w, die, DW_AT_type, &t->target_off);
	attr_ref(w, die, DW_AT_go_key, &t->key_off);
	attr_ref(w, die, DW_AT_go_elem, &t->elem_off);
	{
		Dwarf_Attribute a;
		Dwarf_Addr addr;
		Dwarf_Unsigned u;
		if (attr_get(w, die, DW_AT_go_runtime_type, &a)) {
			if (dwarf_formaddr(a, &addr, &w->derr) == DW_DLV_OK)
				t->pub.go_runtime_type = addr;
			else if (dwarf_formudata(a, &u, &w->derr) == DW_DLV_OK)
				t->pub.go_runtime_type = u;
			dwarf_dealloc_attribute(a);
		}
	}
	if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type)
		for_children(w, die, visit_member, t);
	else if (tag == DW_TAG_array_type)
		for_children(w, die, visit_subrange, t);
	g_ptr_array_add(w->d->types, t);
	g_hash_table_insert(w->d->by_offset, &t->pub.die_offset, t);
}

static void add_variable(walker *w, Dwarf_Die die)
{
	guint8 expr[16];
	gssize n = attr_expr(w, die, DW_AT_location, expr, sizeof expr);
	if (n != 9 || expr[0] != DW_OP_addr)
		return;
	var_rec v = { .name = die_name(w, die) };
	if (v.name == NULL)
		return;
	memcpy(&v.addr, expr + 1, 8);
	v.addr = GUINT64_FROM_LE(v.addr);
	attr_ref(w, die, DW_AT_type, &v.type_off);
	g_array_append_val(w->vars, v);
}

static void add_constant(walker *w, Dwarf_Die die)
{
	const char *name = die_name(w, die);
	Dwarf_Attribute a;
	Dwarf_Half form;
	gint64 value;
	if (name == NULL || g_hash_table_contains(w->d->constants, name) ||
	    !attr_get(w, die, DW_AT_const_value, &a))
		return;
	gboolean ok = FALSE;
	if (dwarf_whatform(a, &form, &w->derr) == DW_DLV_OK) {
		if (form == DW_FORM_udata) {
			Dwarf_Unsigned u;
			ok = dwarf_formudata(a, &u, &w->derr) == DW_DLV_OK;
			value = (gint64)u;
		} else {
			Dwarf_Signed s;
			ok = dwarf_formsdata(a, &s, &w->derr) == DW_DLV_OK;
			value = s;
		}
	}
	dwarf_dealloc_attribute(a);
	if (ok)
		g_hash_table_insert(w->d->constants, (gpointer)name, g_memdup2(&value, sizeof value));
}

/* A closure's captured variable: a child variable with DW_AT_go_closure_offset (Go 1.23+). */
static void visit_capture(walker *w, Dwarf_Die die, void *data)
{
	Dwarf_Half tag;
	capture_rec c = { .lowpc = *(const guint64 *)data };
	if (dwarf_tag(die, &tag, &w->derr) != DW_DLV_OK ||
	    (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter) ||
	    !attr_udata(w, die, DW_AT_go_closure_offset, &c.offset))
		return;
	c.name = die_name(w, die);
	if (c.name == NULL)
		return;
	attr_ref(w, die, DW_AT_type, &c.type_off);
	g_array_append_val(w->captures, c);
}

static void add_subprogram(walker *w, Dwarf_Die die)
{
	Dwarf_Addr lo, hi;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	const char *name = die_name(w, die);
	if (name == NULL || dwarf_lowpc(die, &lo, &w->derr) != DW_DLV_OK ||
	    dwarf_highpc_b(die, &hi, &form, &cls, &w->derr) != DW_DLV_OK)
		return;
	if (cls == DW_FORM_CLASS_CONSTANT)
		hi += lo;
	Dwarf_Off off = 0;
	dwarf_dieoffset(die, &off, &w->derr);
	hw_dwarf_func f = { name, lo, hi, off };
	g_array_append_val(w->d->funcs, f);
	guint64 pc = lo;
	for_children(w, die, visit_capture, &pc);
}

static void visit_top(walker *w, Dwarf_Die die, void *data)
{
	Dwarf_Half tag;
	Dwarf_Off off;
	(void)data;
	if (dwarf_tag(die, &tag, &w->derr) != DW_DLV_OK ||
	    dwarf_dieoffset(die, &off, &w->derr) != DW_DLV_OK)
		return;
	if (tag == DW_TAG_variable)
		add_variable(w, die);
	else if (tag == DW_TAG_constant)
		add_constant(w, die);
	else if (tag == DW_TAG_subprogram)
		add_subprogram(w, die);
	else if ((int)kind_of(tag) >= 0)
		add_type(w, die, tag, off);
}

/* ---- linking ---------------------------------------------------------------------------- */

static const hw_dwarf_type *at_offset(hw_dwarf *d, guint64 off)
{
	return off ? g_hash_table_lookup(d->by_offset, &off) : NULL;
}

/* Size of a type that has no DW_AT_byte_size: a typedef's target's, a pointer's 8, an
 * array's count times its element's. Iterative and bounded, so cyclic DWARF cannot hang it. */
static guint64 resolved_size(const hw_dwarf_type *t)
{
	guint64 mult = 1;
	for (int i = 0; t && i < MAX_TYPEDEF_CHAIN; i++) {
		guint64 size = t->size;
		if (size == HW_DWARF_SIZE_UNKNOWN && t->kind == HW_DWARF_KIND_POINTER)
			size = 8;
		if (size != HW_DWARF_SIZE_UNKNOWN)
			return (size && mult > G_MAXUINT64 / size) ? HW_DWARF_SIZE_UNKNOWN : mult * size;
		if (t->kind == HW_DWARF_KIND_ARRAY) {
			if (t->count && mult > G_MAXUINT64 / t->count)
				return HW_DWARF_SIZE_UNKNOWN;
			mult *= t->count;
		}
		t = t->target;
	}
	return HW_DWARF_SIZE_UNKNOWN;
}

static void link_all(hw_dwarf *d, GArray *vars)
{
	for (guint i = 0; i < d->types->len; i++) {
		type_rec *t = g_ptr_array_index(d->types, i);
		t->pub.target = at_offset(d, t->target_off);
		t->pub.go_key = at_offset(d, t->key_off);
		t->pub.go_elem = at_offset(d, t->elem_off);
		if (t->members) {
			hw_dwarf_member *m = g_new0(hw_dwarf_member, t->members->len);
			for (guint k = 0; k < t->members->len; k++) {
				member_rec *r = &g_array_index(t->members, member_rec, k);
				m[k] = (hw_dwarf_member){ r->name, r->offset, at_offset(d, r->type_off),
							  r->embedded };
			}
			t->pub.members = m;
			t->pub.n_members = t->members->len;
			g_clear_pointer(&t->members, g_array_unref);
		}
	}
	/* Sizes last: typedefs and arrays borrow their target's. */
	for (guint i = 0; i < d->types->len; i++) {
		type_rec *t = g_ptr_array_index(d->types, i);
		if (t->pub.size == HW_DWARF_SIZE_UNKNOWN)
			t->pub.size = resolved_size(&t->pub);
	}
	for (guint i = 0; i < d->types->len; i++) {
		type_rec *t = g_ptr_array_index(d->types, i);
		if (t->pub.name == NULL)
			continue;
		type_rec *old = g_hash_table_lookup(d->by_name, t->pub.name);
		if (old == NULL || (old->pub.size == HW_DWARF_SIZE_UNKNOWN &&
				    t->pub.size != HW_DWARF_SIZE_UNKNOWN))
			g_hash_table_insert(d->by_name, (gpointer)t->pub.name, t);
	}
	for (guint i = 0; i < d->types->len; i++) {
		type_rec *t = g_ptr_array_index(d->types, i);
		if (t->pub.go_runtime_type && !g_hash_table_contains(d->by_rtype, &t->pub.go_runtime_type))
			g_hash_table_insert(d->by_rtype, &t->pub.go_runtime_type, t);
	}
	for (guint i = 0; i < vars->len; i++) {
		var_rec *v = &g_array_index(vars, var_rec, i);
		hw_dwarf_var g = { v->name, v->addr, at_offset(d, v->type_off) };
		g_array_append_val(d->globals, g);
	}
}

static gint var_cmp(gconstpointer a, gconstpointer b)
{
	const hw_dwarf_var *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static gint capture_cmp(gconstpointer a, gconstpointer b)
{
	const capture_rec *x = a, *y = b;
	return x->lowpc < y->lowpc ? -1 : x->lowpc > y->lowpc ? 1 :
	       x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Moves the walker's captured variables into d, linked and sorted by function. */
static void link_captures(hw_dwarf *d, GArray *recs)
{
	g_array_sort(recs, capture_cmp);
	for (guint i = 0; i < recs->len; i++) {
		const capture_rec *r = &g_array_index(recs, capture_rec, i);
		hw_dwarf_capture c = { r->name, r->offset, at_offset(d, r->type_off) };
		g_array_append_val(d->captures, c);
		g_array_append_val(d->capture_pcs, r->lowpc);
	}
}

static gint func_cmp(gconstpointer a, gconstpointer b)
{
	const hw_dwarf_func *x = a, *y = b;
	return x->lowpc < y->lowpc ? -1 : x->lowpc > y->lowpc;
}

static void set_dwarf_error(GError **err, walker *w, hw_elf *e, const char *what)
{
	g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT, "%s: %s: %s",
		    hw_elf_path(e), what, w->derr ? dwarf_errmsg(w->derr) : "unknown error");
}

hw_dwarf *hw_dwarf_new_empty(void)
{
	hw_dwarf *d = g_new0(hw_dwarf, 1);
	d->strings = g_string_chunk_new(64 * 1024);
	d->types = g_ptr_array_new_with_free_func(hw_dwarf_type_rec_free);
	d->by_offset = g_hash_table_new(g_int64_hash, g_int64_equal);
	d->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	d->globals = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_var));
	d->global_index = g_hash_table_new(g_str_hash, g_str_equal);
	d->constants = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	d->funcs = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_func));
	d->by_rtype = g_hash_table_new(g_int64_hash, g_int64_equal);
	d->captures = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_capture));
	d->capture_pcs = g_array_new(FALSE, FALSE, sizeof(guint64));
	return d;
}

void hw_dwarf_index_globals(hw_dwarf *d)
{
	g_array_sort(d->globals, var_cmp);
	for (guint i = 0; i < d->globals->len; i++) {
		const char *name = g_array_index(d->globals, hw_dwarf_var, i).name;
		if (!g_hash_table_contains(d->global_index, name))
			g_hash_table_insert(d->global_index, (gpointer)name, GUINT_TO_POINTER(i + 1));
	}
}

hw_dwarf *hw_dwarf_load(hw_elf *e, GError **err)
{
	walker w = { 0 };
	hw_dwarf *d = hw_dwarf_new_empty();
	gboolean ok = FALSE;
	guint n_cu = 0;

	w.d = d;
	w.vars = g_array_new(FALSE, FALSE, sizeof(var_rec));
	w.captures = g_array_new(FALSE, FALSE, sizeof(capture_rec));

	int res = dwarf_init_b(hw_elf_fd(e), DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &w.dbg,
			       &w.derr);
	if (res == DW_DLV_NO_ENTRY) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NO_DWARF,
			    "%s has no DWARF debug info (built with -ldflags=-w or -s, or stripped); "
			    "heapwalk needs it for the Go runtime's layouts: rebuild without -w/-s",
			    hw_elf_path(e));
		goto out;
	}
	if (res != DW_DLV_OK) {
		set_dwarf_error(err, &w, e, "cannot read DWARF");
		goto out;
	}
	for (;;) {
		Dwarf_Unsigned hdr_len, abbrev_off, type_off, next_cu;
		Dwarf_Half version, addr_size, len_size, ext_size, cu_type;
		Dwarf_Sig8 sig;
		res = dwarf_next_cu_header_d(w.dbg, 1, &hdr_len, &version, &abbrev_off, &addr_size,
					     &len_size, &ext_size, &sig, &type_off, &next_cu,
					     &cu_type, &w.derr);
		if (res == DW_DLV_NO_ENTRY)
			break;
		if (res != DW_DLV_OK) {
			set_dwarf_error(err, &w, e, "bad compilation unit header");
			goto out;
		}
		Dwarf_Die cu;
		if (dwarf_siblingof_b(w.dbg, NULL, 1, &cu, &w.derr) != DW_DLV_OK) {
			set_dwarf_error(err, &w, e, "cannot read a compilation unit DIE");
			goto out;
		}
		n_cu++;
		if (d->producer == NULL) {
			Dwarf_Attribute a;
			char *s;
			if (attr_get(&w, cu, DW_AT_producer, &a)) {
				if (dwarf_formstring(a, &s, &w.derr) == DW_DLV_OK &&
				    g_str_has_prefix(s, "Go "))
					d->producer = g_strdup(s);
				dwarf_dealloc_attribute(a);
			}
		}
		gboolean walked = for_children(&w, cu, visit_top, NULL);
		dwarf_dealloc_die(cu);
		if (!walked) {
			set_dwarf_error(err, &w, e, "cannot walk a compilation unit");
			goto out;
		}
	}
	if (n_cu == 0) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NO_DWARF,
			    "%s has no DWARF compilation units (stripped?); heapwalk needs DWARF "
			    "for the Go runtime's layouts", hw_elf_path(e));
		goto out;
	}
	link_all(d, w.vars);
	link_captures(d, w.captures);
	hw_dwarf_index_globals(d);
	g_array_sort(d->funcs, func_cmp);
	d->elf = hw_elf_ref(e);
	ok = TRUE;
out:
	if (w.dbg) {
		Dwarf_Error fe = NULL;
		dwarf_finish(w.dbg, &fe);
	}
	g_array_unref(w.vars);
	g_array_unref(w.captures);
	if (!ok) {
		hw_dwarf_free(d);
		return NULL;
	}
	return d;
}

/* ---- queries ---------------------------------------------------------------------------- */

const char *hw_dwarf_producer(hw_dwarf *d) { return d->producer; }
gsize hw_dwarf_n_types(hw_dwarf *d) { return d->types->len; }
gsize hw_dwarf_n_constants(hw_dwarf *d) { return g_hash_table_size(d->constants); }

static const hw_dwarf_type *find_type(hw_dwarf *d, const char *name)
{
	type_rec *t = g_hash_table_lookup(d->by_name, name);
	return t ? &t->pub : NULL;
}

/* What answers: "DWARF", or the layout table an index was built from (messages). */
static const char *origin(hw_dwarf *d)
{
	return d->origin ? d->origin : "DWARF";
}

const hw_dwarf_type *hw_dwarf_type_by_name(hw_dwarf *d, const char *name)
{
	const hw_dwarf_type *t = find_type(d, name);
	if (t)
		hw_dwarf_fact_note(d, HW_DWARF_FACT_TYPE, name, NULL, 0, t);
	return t;
}

const hw_dwarf_type *hw_dwarf_type_resolve(const hw_dwarf_type *t)
{
	for (int i = 0; t && t->kind == HW_DWARF_KIND_TYPEDEF && t->target && i < MAX_TYPEDEF_CHAIN; i++)
		t = t->target;
	return t;
}

const hw_dwarf_member *hw_dwarf_type_member(const hw_dwarf_type *t, const char *name)
{
	t = hw_dwarf_type_resolve(t);
	for (gsize i = 0; t && i < t->n_members; i++)
		if (strcmp(t->members[i].name, name) == 0)
			return &t->members[i];
	return NULL;
}

gboolean hw_dwarf_type_size(hw_dwarf *d, const char *type_name, guint64 *size, GError **err)
{
	const hw_dwarf_type *t = find_type(d, type_name);
	if (t == NULL || t->size == HW_DWARF_SIZE_UNKNOWN) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no %stype %s", origin(d), t ? "size for " : "", type_name);
		return FALSE;
	}
	hw_dwarf_fact_note(d, HW_DWARF_FACT_TYPE, type_name, NULL, 0, t);
	*size = t->size;
	return TRUE;
}

gboolean hw_dwarf_struct_member(hw_dwarf *d, const char *struct_name, const char *path,
				guint64 *offset, const hw_dwarf_type **type, GError **err)
{
	const hw_dwarf_type *t = find_type(d, struct_name);
	if (t == NULL) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no type %s (unsupported Go runtime?)", origin(d), struct_name);
		return FALSE;
	}
	if (d->flat_members) {
		g_autofree char *key = g_strconcat(struct_name, "\037", path, NULL);
		const hw_dwarf_member *m = g_hash_table_lookup(d->flat_members, key);
		if (m == NULL) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
				    "%s has no member %s of %s", origin(d), path, struct_name);
			return FALSE;
		}
		*offset = m->offset;
		if (type)
			*type = m->type;
		return TRUE;
	}
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	guint64 off = 0;
	for (guint i = 0; parts[i]; i++) {
		const hw_dwarf_member *m = hw_dwarf_type_member(t, parts[i]);
		if (m == NULL) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
				    "%s has no member %s (in path %s; unsupported Go runtime?)",
				    i == 0 ? struct_name : (t->name ? t->name : "(anonymous struct)"),
				    parts[i], path);
			return FALSE;
		}
		off += m->offset;
		t = m->type;
		if (t == NULL && parts[i + 1]) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
				    "%s: member %s has no type to continue path %s", struct_name,
				    parts[i], path);
			return FALSE;
		}
	}
	hw_dwarf_fact_note(d, HW_DWARF_FACT_MEMBER, struct_name, path, (gint64)off, t);
	*offset = off;
	if (type)
		*type = t;
	return TRUE;
}

gboolean hw_dwarf_struct_member_offset(hw_dwarf *d, const char *struct_name, const char *path,
				       guint64 *offset, GError **err)
{
	return hw_dwarf_struct_member(d, struct_name, path, offset, NULL, err);
}

gboolean hw_dwarf_global(hw_dwarf *d, const char *name, guint64 *addr,
			 const hw_dwarf_type **type, GError **err)
{
	guint i = GPOINTER_TO_UINT(g_hash_table_lookup(d->global_index, name));
	if (i == 0) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no global variable %s", d->origin ? "the symbol table" : "DWARF", name);
		return FALSE;
	}
	const hw_dwarf_var *v = &g_array_index(d->globals, hw_dwarf_var, i - 1);
	hw_dwarf_fact_note(d, HW_DWARF_FACT_GLOBAL, name, NULL, 0, v->type);
	if (addr)
		*addr = v->addr;
	if (type)
		*type = v->type;
	return TRUE;
}

const hw_dwarf_var *hw_dwarf_globals(hw_dwarf *d, gsize *n_globals)
{
	*n_globals = d->globals->len;
	return (const hw_dwarf_var *)d->globals->data;
}

gboolean hw_dwarf_constant(hw_dwarf *d, const char *name, gint64 *value, GError **err)
{
	gint64 *v = g_hash_table_lookup(d->constants, name);
	if (v == NULL) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NOT_FOUND,
			    "%s has no constant %s (unsupported Go runtime?)", origin(d), name);
		return FALSE;
	}
	hw_dwarf_fact_note(d, HW_DWARF_FACT_CONSTANT, name, NULL, *v, NULL);
	*value = *v;
	return TRUE;
}

const hw_dwarf_func *hw_dwarf_funcs(hw_dwarf *d, gsize *n_funcs)
{
	*n_funcs = d->funcs->len;
	return (const hw_dwarf_func *)d->funcs->data;
}

const hw_dwarf_type *hw_dwarf_type_by_runtime_type(hw_dwarf *d, guint64 addr)
{
	if (d->rtype_fn)
		return addr ? d->rtype_fn(d->rtype_ctx, addr) : NULL;
	return addr ? g_hash_table_lookup(d->by_rtype, &addr) : NULL;
}

const hw_dwarf_capture *hw_dwarf_closure_captures(hw_dwarf *d, guint64 lowpc, gsize *n)
{
	const guint64 *pcs = (const guint64 *)d->capture_pcs->data;
	guint lo = 0, hi = d->capture_pcs->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (pcs[mid] < lowpc)
			lo = mid + 1;
		else
			hi = mid;
	}
	guint end = lo;
	while (end < d->capture_pcs->len && pcs[end] == lowpc)
		end++;
	*n = end - lo;
	return *n ? &g_array_index(d->captures, hw_dwarf_capture, lo) : NULL;
}

/* ---- local variables (hw_dwarf_locals_at) ---------------------------------------------- */

/* Bounds against hostile DWARF: a function's variables, a variable's location ranges, the
 * operations of one expression, the pieces of a value, the nesting of scopes, and the ranges
 * and pieces of a whole function (many variables can share one long location list: without
 * this, variables x ranges x pieces would allow gigabytes for one function). */
#define MAX_LOCALS_PER_FUNC 4096u
#define MAX_RANGES_PER_LOCAL 1024u
#define MAX_RANGES_PER_FUNC 65536u
#define MAX_PIECES_PER_FUNC 65536u
#define MAX_EXPR_OPS 256u
#define MAX_PIECES 64u
#define MAX_SCOPE_DEPTH 32
/* A piece larger than this is not a Go value on a stack. */
#define MAX_PIECE_SIZE (1ull << 30)

typedef struct {
	guint64 lo, hi;              /* link-time [lo, hi) */
	guint32 first_piece, n_pieces;
} loc_range;

typedef struct {
	const char *name;
	const hw_dwarf_type *type;
	gboolean param;
	guint32 first_range, n_ranges;
} local_rec;

/* One function's decoded variables; immutable once built, so pointers into pieces stay. */
typedef struct {
	guint64 lowpc;               /* the key */
	GArray *vars;                /* of local_rec */
	GArray *ranges;              /* of loc_range */
	GArray *pieces;              /* of hw_dwarf_piece */
} func_locals;

typedef struct {
	walker *w;
	func_locals *fl;
	gboolean cfa_frame_base;     /* DW_AT_frame_base is DW_OP_call_frame_cfa: fbreg is CFA-based */
	int depth;
	gboolean scope_known;        /* the enclosing scope has a low/high pc */
	guint64 scope_lo, scope_hi;
} locals_walk;

static void func_locals_free(gpointer p)
{
	func_locals *fl = p;
	g_array_unref(fl->vars);
	g_array_unref(fl->ranges);
	g_array_unref(fl->pieces);
	g_free(fl);
}

/* Location states while decoding one piece. */
enum { LOC_NONE, LOC_CFA, LOC_CFA_CONST, LOC_ELSEWHERE };

/* Decodes the operations of one location description into pieces appended to fl->pieces;
 * *n receives how many. FALSE when the expression is unreadable or too large. */
static gboolean decode_expr(locals_walk *lw, Dwarf_Locdesc_c desc, Dwarf_Unsigned nops, guint32 *n)
{
	GArray *out = lw->fl->pieces;
	guint base = out->len;
	int st = LOC_NONE;
	gint64 cfa = 0, pending = 0;
	guint64 off = 0;
	gboolean pieced = FALSE;
	if (nops > MAX_EXPR_OPS)
		return FALSE;
	for (Dwarf_Unsigned i = 0; i < nops; i++) {
		Dwarf_Small atom;
		Dwarf_Unsigned op1, op2, op3, branch;
		if (dwarf_get_location_op_value_c(desc, i, &atom, &op1, &op2, &op3, &branch, &lw->w->derr) != DW_DLV_OK)
			return FALSE;
		if (atom == DW_OP_piece) {
			if (op1 == 0 || op1 > MAX_PIECE_SIZE || out->len - base >= MAX_PIECES)
				return FALSE;
			hw_dwarf_piece pc = { off, op1, cfa, st == LOC_CFA };
			g_array_append_val(out, pc);
			off += op1;
			st = LOC_NONE;
			cfa = 0;
			pieced = TRUE;
			continue;
		}
		if (atom == DW_OP_call_frame_cfa && st == LOC_NONE) {
			st = LOC_CFA;
			cfa = 0;
		} else if (atom == DW_OP_fbreg && st == LOC_NONE) {
			st = lw->cfa_frame_base ? LOC_CFA : LOC_ELSEWHERE;
			cfa = (gint64)op1;
		} else if (atom == DW_OP_consts && st == LOC_CFA) {
			st = LOC_CFA_CONST;
			pending = (gint64)op1;
		} else if (atom == DW_OP_plus && st == LOC_CFA_CONST) {
			st = LOC_CFA;
			cfa += pending;
		} else if (atom == DW_OP_plus_uconst && st == LOC_CFA && op1 <= MAX_PIECE_SIZE) {
			cfa += (gint64)op1;
		} else {
			st = LOC_ELSEWHERE;   /* a register, or an operation not understood */
		}
	}
	if (!pieced && st != LOC_NONE) {
		hw_dwarf_piece pc = { 0, HW_DWARF_SIZE_UNKNOWN, cfa, st == LOC_CFA };
		g_array_append_val(out, pc);
	}
	*n = out->len - base;
	return TRUE;
}

/* The location of one variable DIE as ranges appended to fl->ranges; FALSE when it has none
 * usable. */
static gboolean decode_location(locals_walk *lw, Dwarf_Die die, guint32 *first, guint32 *count)
{
	walker *w = lw->w;
	func_locals *fl = lw->fl;
	Dwarf_Attribute a;
	Dwarf_Loc_Head_c head = NULL;
	Dwarf_Unsigned n = 0;
	unsigned kind = DW_LKIND_unknown;
	gboolean ok = FALSE;
	if (!attr_get(w, die, DW_AT_location, &a))
		return FALSE;
	if (dwarf_get_loclist_c(a, &head, &n, &w->derr) != DW_DLV_OK) {
		dwarf_dealloc_attribute(a);
		return FALSE;
	}
	*first = fl->ranges->len;
	if (dwarf_get_loclist_head_kind(head, &kind, &w->derr) != DW_DLV_OK || n > MAX_RANGES_PER_LOCAL ||
	    (kind == DW_LKIND_expression && !lw->scope_known))
		goto out;
	for (Dwarf_Unsigned i = 0; i < n; i++) {
		Dwarf_Small lle, src;
		Dwarf_Unsigned rawlo, rawhi, nops, exproff, descoff;
		Dwarf_Bool unavailable = 0;
		Dwarf_Addr lo, hi;
		Dwarf_Locdesc_c desc;
		if (dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavailable, &lo, &hi, &nops, &desc, &src,
		                              &exproff, &descoff, &w->derr) != DW_DLV_OK)
			goto out;
		if (kind == DW_LKIND_expression) {
			lo = lw->scope_lo;
			hi = lw->scope_hi;
		}
		if (unavailable || nops == 0 || lo >= hi)
			continue;
		loc_range r = { lo, hi, fl->pieces->len, 0 };
		if (!decode_expr(lw, desc, nops, &r.n_pieces))
			goto out;
		if (r.n_pieces)
			g_array_append_val(fl->ranges, r);
	}
	ok = fl->ranges->len > *first;
out:
	*count = fl->ranges->len - *first;
	dwarf_loc_head_c_dealloc(head);
	dwarf_dealloc_attribute(a);
	return ok;
}

/* Name and type of a variable DIE, from its DW_AT_abstract_origin when it has no name of its
 * own (inlined calls). */
static void local_name_type(walker *w, Dwarf_Die die, const char **name, guint64 *type_off)
{
	guint64 origin;
	*name = die_name(w, die);
	*type_off = 0;
	attr_ref(w, die, DW_AT_type, type_off);
	if (*name || !attr_ref(w, die, DW_AT_abstract_origin, &origin))
		return;
	Dwarf_Die o;
	if (dwarf_offdie_b(w->dbg, origin, 1, &o, &w->derr) != DW_DLV_OK)
		return;
	*name = die_name(w, o);
	attr_ref(w, o, DW_AT_type, type_off);
	dwarf_dealloc_die(o);
}

static void visit_local(walker *w, Dwarf_Die die, void *data);

/* A nested scope: its variables hold a single expression over [low_pc, high_pc) only. */
static void visit_scope(walker *w, Dwarf_Die die, locals_walk *lw)
{
	Dwarf_Addr lo, hi;
	Dwarf_Half form;
	enum Dwarf_Form_Class cls;
	if (lw->depth >= MAX_SCOPE_DEPTH)
		return;
	locals_walk inner = *lw;
	inner.depth++;
	inner.scope_known = dwarf_lowpc(die, &lo, &w->derr) == DW_DLV_OK &&
	                    dwarf_highpc_b(die, &hi, &form, &cls, &w->derr) == DW_DLV_OK;
	if (inner.scope_known) {
		inner.scope_lo = lo;
		inner.scope_hi = cls == DW_FORM_CLASS_CONSTANT ? lo + hi : hi;
	}
	for_children(w, die, visit_local, &inner);
}

static void visit_local(walker *w, Dwarf_Die die, void *data)
{
	locals_walk *lw = data;
	Dwarf_Half tag;
	if (dwarf_tag(die, &tag, &w->derr) != DW_DLV_OK)
		return;
	if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
		visit_scope(w, die, lw);
		return;
	}
	if ((tag != DW_TAG_variable && tag != DW_TAG_formal_parameter) || lw->fl->vars->len >= MAX_LOCALS_PER_FUNC)
		return;
	local_rec v = { .param = tag == DW_TAG_formal_parameter };
	guint64 type_off;
	local_name_type(w, die, &v.name, &type_off);
	if (v.name == NULL)
		return;
	v.type = at_offset(w->d, type_off);
	guint mark_ranges = lw->fl->ranges->len, mark_pieces = lw->fl->pieces->len;
	if (!decode_location(lw, die, &v.first_range, &v.n_ranges) || lw->fl->ranges->len > MAX_RANGES_PER_FUNC ||
	    lw->fl->pieces->len > MAX_PIECES_PER_FUNC) {
		g_array_set_size(lw->fl->ranges, mark_ranges);
		g_array_set_size(lw->fl->pieces, mark_pieces);
		return;
	}
	g_array_append_val(lw->fl->vars, v);
}

/* Decodes the variables of f (whose DIE is read from d->locals_dbg). */
static func_locals *read_locals(hw_dwarf *d, const hw_dwarf_func *f)
{
	walker w = { .d = d, .dbg = d->locals_dbg };
	func_locals *fl = g_new0(func_locals, 1);
	fl->lowpc = f->lowpc;
	fl->vars = g_array_new(FALSE, FALSE, sizeof(local_rec));
	fl->ranges = g_array_new(FALSE, FALSE, sizeof(loc_range));
	fl->pieces = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_piece));
	Dwarf_Die die;
	if (f->die_offset && dwarf_offdie_b(w.dbg, f->die_offset, 1, &die, &w.derr) == DW_DLV_OK) {
		guint8 fb[4];
		locals_walk lw = { &w, fl, attr_expr(&w, die, DW_AT_frame_base, fb, sizeof fb) == 1 &&
		                   fb[0] == DW_OP_call_frame_cfa, 0, TRUE, f->lowpc, f->highpc };
		for_children(&w, die, visit_local, &lw);
		dwarf_dealloc_die(die);
	}
	if (w.derr)
		dwarf_dealloc_error(w.dbg, w.derr);
	return fl;
}

/* The function whose [lowpc, highpc) holds pc, or NULL. */
static const hw_dwarf_func *func_at(hw_dwarf *d, guint64 pc)
{
	const hw_dwarf_func *f = (const hw_dwarf_func *)d->funcs->data;
	guint lo = 0, hi = d->funcs->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (f[mid].lowpc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && pc < f[lo - 1].highpc ? &f[lo - 1] : NULL;
}

gboolean hw_dwarf_locals_at(hw_dwarf *d, guint64 pc, GArray *out, GError **err)
{
	const hw_dwarf_func *f = d->elf ? func_at(d, pc) : NULL;
	if (f == NULL)
		return TRUE;
	if (d->locals == NULL) {
		/* Opened once: after a failure the queries answer nothing. */
		Dwarf_Error derr = NULL;
		Dwarf_Debug dbg = NULL;
		d->locals = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, func_locals_free);
		if (dwarf_init_b(hw_elf_fd(d->elf), DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &dbg, &derr) != DW_DLV_OK) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: cannot read DWARF again for local variables: %s", hw_elf_path(d->elf),
				    derr ? dwarf_errmsg(derr) : "no DWARF");
			if (derr)
				dwarf_dealloc_error(NULL, derr);
			return FALSE;
		}
		d->locals_dbg = dbg;
	}
	if (d->locals_dbg == NULL)
		return TRUE;
	func_locals *fl = g_hash_table_lookup(d->locals, &f->lowpc);
	if (fl == NULL) {
		fl = read_locals(d, f);
		g_hash_table_insert(d->locals, &fl->lowpc, fl);
	}
	const loc_range *ranges = (const loc_range *)fl->ranges->data;
	const hw_dwarf_piece *pieces = (const hw_dwarf_piece *)fl->pieces->data;
	for (guint i = 0; i < fl->vars->len; i++) {
		const local_rec *v = &g_array_index(fl->vars, local_rec, i);
		for (guint32 r = v->first_range; r < v->first_range + v->n_ranges; r++) {
			if (pc < ranges[r].lo || pc >= ranges[r].hi)
				continue;
			hw_dwarf_local l = { v->name, v->type, v->param, pieces + ranges[r].first_piece, ranges[r].n_pieces };
			g_array_append_val(out, l);
			break;
		}
	}
	return TRUE;
}

/* closures.c - the layout of a closure object, from its code pointer.
 *
 * A Go closure is a funcval: word 0 is the entry PC of the closure's function, the captured
 * variables follow. DWARF has only anonymous context structs for them, but since Go 1.23 the
 * closure function's captured variables carry DW_AT_go_closure_offset (go-runtime-internals.md
 * §2.8), so the function found by the PC (pclntab) gives both the object's name,
 * "func main.build.func1", and its fields. Here such a layout is made once per function as a
 * synthetic struct type owned by the gr_typing, so that propagation and labelling treat
 * closures like any struct. A variable captured by reference ("&x", a pointer) is labelled x.
 * Without captures (Go 1.22, method values) the layout has the code pointer alone.
 */
#include "goruntime/typeprop.h"

/* Largest closure context accepted from DWARF offsets (a corrupt offset must not size it). */
#define MAX_CLOSURE_BYTES (1u << 20)

const hw_dwarf_type *gr_closure_layout(gr_walk *w, gr_typing *t, uint64_t pc)
{
	hw_func fn;
	if (!hw_pclntab_findfunc(w->pcln, pc, &fn, NULL) || fn.entry != pc)
		return NULL;
	hw_dwarf_type *ty = g_hash_table_lookup(t->closures, &fn.entry);
	if (ty)
		return ty;
	gsize n = 0;
	const hw_dwarf_capture *caps = hw_dwarf_closure_captures(w->dwarf, fn.entry - w->bias, &n);
	hw_dwarf_member *m = g_new0(hw_dwarf_member, n + 1);
	uint64_t size = 8, kept = 1;
	m[0].name = "F";
	for (gsize i = 0; i < n; i++) {
		const hw_dwarf_type *ct = caps[i].type;
		uint64_t csz = ct ? ct->size : HW_DWARF_SIZE_UNKNOWN;
		if (csz == HW_DWARF_SIZE_UNKNOWN || caps[i].offset < 8 || caps[i].offset > MAX_CLOSURE_BYTES ||
		    csz > MAX_CLOSURE_BYTES)
			continue;
		const char *name = caps[i].name[0] == '&' ? caps[i].name + 1 : caps[i].name;
		m[kept++] = (hw_dwarf_member){ g_string_chunk_insert_const(t->strings, name), caps[i].offset, ct,
		                               FALSE };
		size = MAX(size, caps[i].offset + csz);
	}
	ty = g_new0(hw_dwarf_type, 1);
	char *name = g_strconcat("func ", fn.name, NULL);
	ty->name = g_string_chunk_insert_const(t->strings, name);
	g_free(name);
	ty->kind = HW_DWARF_KIND_STRUCT;
	ty->go_kind = 19;   /* reflect.Func: gr_type_kind names it a closure */
	ty->size = (size + 7) & ~(uint64_t)7;
	ty->members = m;
	ty->n_members = kept;
	g_ptr_array_add(t->owned, m);
	g_ptr_array_add(t->owned, ty);
	uint64_t *key = g_new(uint64_t, 1);
	*key = fn.entry;
	g_ptr_array_add(t->owned, key);
	g_hash_table_insert(t->closures, key, ty);
	return ty;
}

/* dwarffacts.c - recording the by-name answers of a DWARF index, and an index rebuilt from them.
 *
 * See "Facts" in dwarfinfo.h. A recorded fact keeps only the shape of a type (kind, size,
 * array length and element size), which is all the layout loaders read of it; the index built
 * from facts makes one anonymous type per shape, so a member's or global's type answers
 * hw_dwarf_type_resolve(), ->size, ->count and ->target->size as DWARF's did.
 */
#include "debuginfo/dwarfinfo-private.h"

#include <string.h>

static hw_dwarf_shape shape_of(const hw_dwarf_type *t)
{
	hw_dwarf_shape s = { HW_DWARF_KIND_OTHER, HW_DWARF_SIZE_UNKNOWN, 0, 0 };
	t = t ? hw_dwarf_type_resolve(t) : NULL;
	if (!t)
		return s;
	s.kind = t->kind;
	s.size = t->size;
	if (t->kind == HW_DWARF_KIND_ARRAY) {
		const hw_dwarf_type *e = t->target ? hw_dwarf_type_resolve(t->target) : NULL;
		s.count = t->count;
		s.elem_size = e ? e->size : HW_DWARF_SIZE_UNKNOWN;
	}
	return s;
}

void hw_dwarf_record(hw_dwarf *d)
{
	if (d->recorded)
		return;
	d->recorded = g_array_new(FALSE, FALSE, sizeof(hw_dwarf_fact));
	d->recorded_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

const hw_dwarf_fact *hw_dwarf_recorded(hw_dwarf *d, gsize *n)
{
	*n = d->recorded ? d->recorded->len : 0;
	return d->recorded ? (const hw_dwarf_fact *)d->recorded->data : NULL;
}

void hw_dwarf_fact_note(hw_dwarf *d, hw_dwarf_fact_kind what, const char *name, const char *path,
                        gint64 value, const hw_dwarf_type *type)
{
	if (!d->recorded)
		return;
	char *key = g_strdup_printf("%d\037%s\037%s", (int)what, name, path ? path : "");
	if (g_hash_table_contains(d->recorded_keys, key)) {
		g_free(key);
		return;
	}
	g_hash_table_add(d->recorded_keys, key);
	hw_dwarf_fact f = { what, g_string_chunk_insert_const(d->strings, name),
	                    path ? g_string_chunk_insert_const(d->strings, path) : NULL, value,
	                    shape_of(type) };
	g_array_append_val(d->recorded, f);
}

void hw_dwarf_set_runtime_types(hw_dwarf *d, hw_dwarf_rtype_fn fn, void *ctx)
{
	g_return_if_fail(d->flat_members != NULL);
	d->rtype_fn = fn;
	d->rtype_ctx = ctx;
}

/* ---- an index from facts ---- */

static type_rec *new_type(hw_dwarf *d, hw_dwarf_kind kind, guint64 size)
{
	type_rec *t = g_new0(type_rec, 1);
	t->pub.kind = kind;
	t->pub.size = size;
	g_ptr_array_add(d->types, t);
	return t;
}

/* The anonymous type of a shape, one per distinct shape (cached in shapes). */
static const hw_dwarf_type *type_of(hw_dwarf *d, GHashTable *shapes, const hw_dwarf_shape *s)
{
	char *key = g_strdup_printf("%d/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
	                            (int)s->kind, s->size, s->count, s->elem_size);
	type_rec *t = g_hash_table_lookup(shapes, key);
	if (t) {
		g_free(key);
		return &t->pub;
	}
	t = new_type(d, s->kind, s->size);
	if (s->kind == HW_DWARF_KIND_ARRAY) {
		t->pub.count = s->count;
		t->pub.target = &new_type(d, HW_DWARF_KIND_OTHER, s->elem_size)->pub;
	}
	g_hash_table_insert(shapes, key, t);
	return &t->pub;
}

hw_dwarf *hw_dwarf_new_from_facts(hw_elf *e, const hw_dwarf_fact *facts, gsize n_facts,
				  const char *origin, GError **err)
{
	if (!hw_elf_has_symtab(e)) {
		g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_NO_DWARF,
			    "%s has neither DWARF nor a symbol table (built with -ldflags=-s, or "
			    "stripped): heapwalk needs at least the symbol table for the addresses of "
			    "the runtime's globals (runtime.mheap_, runtime.allgs, ...); rebuild "
			    "without -s, or give the unstripped build with --debug-file", hw_elf_path(e));
		return NULL;
	}
	hw_dwarf *d = hw_dwarf_new_empty();
	d->origin = g_strdup(origin);
	d->flat_members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTable *shapes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *global_shapes = g_hash_table_new(g_str_hash, g_str_equal);
	for (gsize i = 0; i < n_facts; i++) {
		const hw_dwarf_fact *f = &facts[i];
		const char *name = g_string_chunk_insert_const(d->strings, f->name);
		switch (f->what) {
		case HW_DWARF_FACT_TYPE: {
			type_rec *t = g_hash_table_lookup(d->by_name, name);
			if (!t) {
				t = new_type(d, f->shape.kind, f->shape.size);
				t->pub.name = name;
				g_hash_table_insert(d->by_name, (gpointer)name, t);
			}
			t->pub.kind = f->shape.kind;
			t->pub.size = f->shape.size;
			t->pub.count = f->shape.count;
			break;
		}
		case HW_DWARF_FACT_MEMBER: {
			hw_dwarf_member *m = g_new0(hw_dwarf_member, 1);
			m->name = "";
			m->offset = (guint64)f->value;
			m->type = type_of(d, shapes, &f->shape);
			g_hash_table_insert(d->flat_members, g_strconcat(name, "\037", f->path, NULL), m);
			/* The struct itself exists even if only its members were asked for. */
			if (!g_hash_table_contains(d->by_name, name)) {
				type_rec *t = new_type(d, HW_DWARF_KIND_STRUCT, HW_DWARF_SIZE_UNKNOWN);
				t->pub.name = name;
				g_hash_table_insert(d->by_name, (gpointer)name, t);
			}
			break;
		}
		case HW_DWARF_FACT_GLOBAL:
			g_hash_table_insert(global_shapes, (gpointer)name, (gpointer)f);
			break;
		case HW_DWARF_FACT_CONSTANT:
			g_hash_table_insert(d->constants, (gpointer)name, g_memdup2(&f->value, sizeof f->value));
			break;
		}
	}
	gsize n;
	const hw_elf_object *objs = hw_elf_objects(e, &n);
	gboolean ok = TRUE;
	for (gsize i = 0; i < n && ok; i++) {
		const char *name = g_string_chunk_insert_const(d->strings, objs[i].name);
		const hw_dwarf_fact *f = g_hash_table_lookup(global_shapes, name);
		hw_dwarf_shape opaque = { HW_DWARF_KIND_OTHER, objs[i].size, 0, 0 };
		if (f && f->shape.size != objs[i].size) {
			g_set_error(err, HW_DEBUGINFO_ERROR, HW_DEBUGINFO_ERROR_CORRUPT,
				    "%s: %s says %s is %" G_GUINT64_FORMAT " bytes, the symbol table %"
				    G_GUINT64_FORMAT " (not the Go release the table is for?)",
				    hw_elf_path(e), origin, name, f->shape.size, objs[i].size);
			ok = FALSE;
		}
		hw_dwarf_var v = { name, objs[i].value, type_of(d, shapes, f ? &f->shape : &opaque) };
		g_array_append_val(d->globals, v);
	}
	g_hash_table_unref(shapes);
	g_hash_table_unref(global_shapes);
	if (!ok) {
		hw_dwarf_free(d);
		return NULL;
	}
	hw_dwarf_index_globals(d);
	return d;
}

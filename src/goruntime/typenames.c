/* typenames.c - how typed objects and their edges are named (see typeprop.h).
 *
 * Object names are the runtime's spelling of the type (`main.Entry`, `[]*main.Entry`,
 * `map[string]*main.Entry`, `map.group[int]*main.Val`, `func main.build.func1`); DWARF's
 * compiler-internal "noalg." prefix is dropped. An object nobody could type is named by what
 * the heap does record, its size and pointer shape: `obj16[ptr,scalar]`, runs of equal words
 * written `scalar*6`. Edge labels follow the layout down to the pointer word: struct fields
 * joined by dots, array elements as [i], map group slots as "map key" / "map value"; the words
 * inside a slice, string or interface header are named by the field that holds the header.
 */
#include "goruntime/typeprop.h"

/* Longest typedef chain followed; Go's are one or two long. */
#define MAX_TYPEDEFS 16
/* Runs of a pointer shape spelled out before the name is cut with "...". */
#define MAX_SHAPE_RUNS 16
/* Nesting followed when labelling (struct in array in struct ...). */
#define MAX_LABEL_DEPTH 32

const hw_dwarf_type *gr_type_resolve(const hw_dwarf_type *ty)
{
	for (int i = 0; ty && ty->kind == HW_DWARF_KIND_TYPEDEF && i < MAX_TYPEDEFS; i++)
		ty = ty->target;
	return ty;
}

const char *gr_type_display_name(const hw_dwarf_type *ty)
{
	if (!ty || !ty->name)
		return "";
	return g_str_has_prefix(ty->name, "noalg.") ? ty->name + 6 : ty->name;
}

static bool is_map_internal(const char *name)
{
	return g_str_has_prefix(name, "map.") || g_str_has_prefix(name, "noalg.map.") ||
	       g_str_has_prefix(name, "map[") || g_str_has_prefix(name, "map<") ||
	       g_str_has_prefix(name, "table<") || g_str_has_prefix(name, "*table<") ||
	       g_str_has_prefix(name, "hash<") || g_str_has_prefix(name, "bucket<") ||
	       g_str_has_prefix(name, "internal/runtime/maps.");
}

hwd_type_kind gr_type_kind(const hw_dwarf_type *layout, const char *name, uint8_t flags,
                           gr_type_source src)
{
	if (src == GR_TSRC_SIZECLASS)
		return HWD_TYPE_SIZECLASS;
	if (src == GR_TSRC_CLOSURE || g_str_has_prefix(name, "func "))
		return HWD_TYPE_CLOSURE;
	if (is_map_internal(name))
		return HWD_TYPE_MAP;
	if (strcmp(name, "string") == 0)
		return HWD_TYPE_STRING;
	if (g_str_has_prefix(name, "chan ") || g_str_has_prefix(name, "hchan<"))
		return HWD_TYPE_CHAN;
	if ((flags & GR_TYPING_ARRAY) || name[0] == '[')
		return HWD_TYPE_SLICE_ARRAY;
	if (g_str_has_prefix(name, "runtime."))
		return HWD_TYPE_RUNTIME;
	const hw_dwarf_type *r = gr_type_resolve(layout);
	if (!r)
		return HWD_TYPE_UNKNOWN;
	switch (r->kind) {
	case HW_DWARF_KIND_POINTER: return HWD_TYPE_POINTER;
	case HW_DWARF_KIND_ARRAY: return HWD_TYPE_SLICE_ARRAY;
	case HW_DWARF_KIND_BASE: return HWD_TYPE_SCALAR;
	case HW_DWARF_KIND_SUBROUTINE: return HWD_TYPE_POINTER;
	case HW_DWARF_KIND_STRUCT: return r->go_kind == 20 ? HWD_TYPE_INTERFACE : HWD_TYPE_STRUCT;
	default: return HWD_TYPE_UNKNOWN;
	}
}

const char *gr_type_shape_name(GStringChunk *chunk, uint64_t size, const uint8_t *ptrbits)
{
	GString *s = g_string_new(NULL);
	g_string_printf(s, "obj%" G_GUINT64_FORMAT "[", size);
	uint64_t words = size / 8, runs = 0;
	for (uint64_t i = 0; i < words;) {
		bool p = ptrbits && ((ptrbits[i / 8] >> (i % 8)) & 1);
		uint64_t j = i + 1;
		while (j < words && (ptrbits && ((ptrbits[j / 8] >> (j % 8)) & 1)) == p)
			j++;
		if (runs == MAX_SHAPE_RUNS) {
			g_string_append(s, ",...");
			break;
		}
		g_string_append_printf(s, "%s%s", runs ? "," : "", p ? "ptr" : "scalar");
		if (j - i > 1)
			g_string_append_printf(s, "*%" G_GUINT64_FORMAT, j - i);
		runs++;
		i = j;
	}
	g_string_append_c(s, ']');
	const char *r = g_string_chunk_insert_const(chunk, s->str);
	g_string_free(s, TRUE);
	return r;
}

static void label_append(GString *l, const char *part)
{
	if (l->len && part[0] != '[')
		g_string_append_c(l, '.');
	g_string_append(l, part);
}

/* Whether a struct is one of the headers whose inner word names are not worth a label: a
 * slice, a string, an interface (their words are named by the field holding them). */
static bool is_header_struct(const hw_dwarf_type *r)
{
	return r->go_kind == 23 || r->go_kind == 24 || r->go_kind == 20 ||
	       (r->name && (strcmp(r->name, "string") == 0 || strcmp(r->name, "runtime.eface") == 0 ||
	                    strcmp(r->name, "runtime.iface") == 0));
}

/* A map group (1.24+) or bucket (before): its slots hold keys and values. */
static bool is_group(const hw_dwarf_type *r)
{
	const char *tn = r->name ? r->name : "";
	return strstr(tn, "map.group[") || g_str_has_prefix(tn, "bucket<") || strstr(tn, "map.bucket[");
}

uint32_t gr_typing_label(gr_walk *w, const gr_typing *t, uint32_t k, uint64_t off)
{
	const hw_dwarf_type *ty = gr_type_resolve(t->layout[k]);
	if (!ty || ty->size == 0 || ty->size == HW_DWARF_SIZE_UNKNOWN)
		return 0;
	GString *l = g_string_new(NULL);
	/* An array object (a slice's backing array; header objects hold an array of their type
	 * even when nothing said "slice") gets its element index, except the groups of a map,
	 * whose index is an accident of hashing. */
	if ((t->flags[k] & GR_TYPING_ARRAY) || off >= ty->size) {
		if (!is_group(ty))
			g_string_append_printf(l, "[%" G_GUINT64_FORMAT "]", off / ty->size);
		off %= ty->size;
	}
	/* Inside a map group until its key or value is reached: slot indices and the slots and
	 * overflow fields say nothing about the program. skip_index: the next array is the
	 * keys/values array of an old bucket, whose index is hashing too. */
	bool in_group = false, skip_index = false;
	for (int depth = 0; ty && depth < MAX_LABEL_DEPTH; depth++) {
		ty = gr_type_resolve(ty);
		if (!ty)
			break;
		if (ty->kind == HW_DWARF_KIND_ARRAY) {
			const hw_dwarf_type *e = gr_type_resolve(ty->target);
			if (!e || e->size == 0 || e->size == HW_DWARF_SIZE_UNKNOWN)
				break;
			if (!in_group && !skip_index)
				g_string_append_printf(l, "[%" G_GUINT64_FORMAT "]", off / e->size);
			skip_index = false;
			off %= e->size;
			ty = e;
			continue;
		}
		if (ty->kind != HW_DWARF_KIND_STRUCT || is_header_struct(ty))
			break;
		if (is_group(ty))
			in_group = true;
		const hw_dwarf_member *m = NULL;
		for (gsize i = 0; i < ty->n_members; i++) {
			const hw_dwarf_member *c = &ty->members[i];
			const hw_dwarf_type *ct = gr_type_resolve(c->type);
			if (ct && c->offset <= off && (ct->size == HW_DWARF_SIZE_UNKNOWN || off < c->offset + ct->size))
				m = c;
		}
		if (!m)
			break;
		const char *mn = m->name;
		bool is_key = strcmp(mn, "key") == 0 || strcmp(mn, "keys") == 0;
		bool is_value = strcmp(mn, "elem") == 0 || strcmp(mn, "values") == 0;
		if (in_group && (is_key || is_value)) {
			label_append(l, is_key ? "map key" : "map value");
			skip_index = mn[strlen(mn) - 1] == 's';   /* keys/values: an array of 8 */
			in_group = false;
		} else if (!(in_group && (strcmp(mn, "slots") == 0 || strcmp(mn, "overflow") == 0)) && mn[0]) {
			label_append(l, mn);
		}
		off -= m->offset;
		ty = m->type;
	}
	uint32_t id = l->len ? hwd_writer_string(w->w, l->str, l->len) : 0;
	g_string_free(l, TRUE);
	return id;
}

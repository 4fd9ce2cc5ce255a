/* types.c - decoding and caching internal/abi.Type descriptors (see types.h). */
#include "goruntime/types.h"

struct gr_types {
	gr_mem mem;
	const gr_abi_layout *abi;
	uint64_t base, end;
	GHashTable *by_addr;   /* uint64 addr -> gr_type_info* */
};

static void info_free(gpointer p)
{
	gr_type_info *ti = p;
	g_free(ti->mask);
	g_free(ti->name);
	g_free(ti);
}

gr_types *gr_types_new(const gr_mem *mem, const gr_abi_layout *abi, uint64_t types_base,
                       uint64_t types_end)
{
	gr_types *t = g_new0(gr_types, 1);
	t->mem = *mem;
	t->abi = abi;
	t->base = types_base;
	t->end = types_end;
	t->by_addr = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, info_free);
	return t;
}

char *gr_name_read(const gr_mem *mem, uint64_t addr, GError **error)
{
	uint8_t hdr[11];
	if (!gr_mem_read(mem, addr, hdr, 1, "type name (abi.Name)", error))
		return NULL;
	uint64_t len = 0;
	unsigned i;
	for (i = 0; i < 10; i++) {
		if (!gr_mem_read(mem, addr + 1 + i, hdr + 1 + i, 1, "type name length", error))
			return NULL;
		len |= (uint64_t)(hdr[1 + i] & 0x7f) << (7 * i);
		if (!(hdr[1 + i] & 0x80))
			break;
	}
	if (i == 10 || len > 1u << 20) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type name at 0x%" G_GINT64_MODIFIER "x has an "
		            "impossible length", (guint64)addr);
		return NULL;
	}
	char *s = g_malloc(len + 1);
	if (!gr_mem_read(mem, addr + 2 + i, s, len, "type name bytes", error)) {
		g_free(s);
		return NULL;
	}
	s[len] = 0;
	return s;
}

gr_type_info *gr_types_get(gr_types *t, uint64_t addr, GError **error)
{
	gr_type_info *ti = g_hash_table_lookup(t->by_addr, &addr);
	if (ti)
		return ti;
	gr_type_hdr h;
	if (!gr_type_hdr_read(&t->mem, t->abi, addr, &h, error))
		return NULL;
	ti = g_new0(gr_type_info, 1);
	ti->addr = addr;
	ti->size = h.size;
	ti->kind = h.kind;
	if (h.ptrbytes) {
		ti->mask = gr_gcmask_build(&t->mem, t->abi, addr, &ti->nbits, error);
		if (!ti->mask) {
			g_free(ti);
			return NULL;
		}
	}
	int32_t str;
	char *name = NULL;
	if (t->abi->tflag_unrolled && (h.tflag & t->abi->tflag_unrolled))
		/* Go 1.22/1.23: the runtime's stand-in for a type with a GC program; it records
		 * only the size and the unrolled mask, not which type it stands for. */
		name = g_strdup_printf("unnamed type of %" G_GUINT64_FORMAT " bytes (GC program unrolled "
		                       "by the runtime)", h.size);
	else if (gr_mem_read(&t->mem, addr + t->abi->off_str, &str, 4, "Type.Str", NULL) &&
	         addr >= t->base && addr < t->end)
		name = gr_name_read(&t->mem, t->base + (uint64_t)(int64_t)str, NULL);
	if (name && (h.tflag & t->abi->tflag_extrastar) && name[0] == '*')
		memmove(name, name + 1, strlen(name));
	ti->name = name ? name : g_strdup_printf("reflect.generatedType@0x%" G_GINT64_MODIFIER "x",
	                                         (guint64)addr);
	g_hash_table_insert(t->by_addr, &ti->addr, ti);
	return ti;
}

void gr_types_bounds(const gr_types *t, uint64_t *types_base, uint64_t *types_end)
{
	*types_base = t->base;
	*types_end = t->end;
}

void gr_types_free(gr_types *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_addr);
	g_free(t);
}

/* objects.c - building and searching the object index (see objects.h). */
#include "goruntime/objects.h"

gboolean gr_objects_build(gr_spans *ss, gr_objects *out, GError **error)
{
	memset(out, 0, sizeof *out);
	uint64_t n = 0;
	for (size_t i = 0; i < ss->n; i++) {
		const gr_span *s = &ss->v[i];
		for (uint32_t j = 0; j < s->nelems; j++)
			n += gr_spans_allocated(ss, s, j);
	}
	if (n > 0xFFFFFFFEull) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "%" G_GUINT64_FORMAT " heap objects: more than a "
		            "snapshot can hold", n);
		return FALSE;
	}
	out->slot = g_new(uint64_t, n ? n : 1);
	out->span = g_new(uint32_t, n ? n : 1);
	size_t k = 0;
	for (size_t i = 0; i < ss->n; i++) {
		gr_span *s = &ss->v[i];
		s->first_object = (uint32_t)k;
		for (uint32_t j = 0; j < s->nelems; j++)
			if (gr_spans_allocated(ss, s, j)) {
				out->slot[k] = s->start + (uint64_t)j * s->elemsize;
				out->span[k] = (uint32_t)i;
				out->slot_bytes += s->elemsize;
				k++;
			}
	}
	out->n = k;
	return TRUE;
}

uint32_t gr_objects_find(const gr_objects *o, const gr_spans *ss, uint64_t addr)
{
	const gr_span *s = gr_spans_find(ss, addr);
	if (!s)
		return GR_NO_OBJECT;
	size_t si = (size_t)(s - ss->v);
	size_t lo = s->first_object;
	size_t hi = si + 1 < ss->n ? ss->v[si + 1].first_object : o->n;
	/* The last object of this span whose slot starts at or before addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->slot[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->first_object)
		return GR_NO_OBJECT;
	size_t k = lo - 1;
	return addr < o->slot[k] + s->elemsize ? (uint32_t)k : GR_NO_OBJECT;
}

void gr_objects_clear(gr_objects *o)
{
	g_free(o->slot);
	g_free(o->span);
	memset(o, 0, sizeof *o);
}

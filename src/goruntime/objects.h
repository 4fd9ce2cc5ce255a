/* objects.h - the object index: every allocated heap slot, in address order.
 *
 * Objects are numbered 0..n-1 by address, which is the numbering the snapshot uses. The index
 * is two flat arrays (slot base, span) so that 10M objects cost 12 bytes each. Lookup of an
 * arbitrary word (interior pointers included) goes span first, then a binary search within
 * the span's objects; a word in a free slot, in a span's tail, in a stack span or outside the
 * heap resolves to nothing.
 *
 * Header objects (malloc header, go-runtime-internals.md §1.5): the snapshot address is the
 * slot + 8 and the size elemsize - 8; lookups still accept the slot's first word.
 */
#ifndef HW_GORUNTIME_OBJECTS_H
#define HW_GORUNTIME_OBJECTS_H

#include "goruntime/spans.h"

#define GR_NO_OBJECT 0xFFFFFFFFu

typedef struct gr_objects {
	uint64_t *slot;    /* slot base addresses, strictly increasing */
	uint32_t *span;    /* index into gr_spans.v of each object's span */
	size_t n;
	uint64_t slot_bytes;   /* sum of slot sizes (what MemStats.HeapAlloc counts) */
} gr_objects;

/* Builds the index and sets every span's first_object. Fails beyond 2^32-2 objects. */
gboolean gr_objects_build(gr_spans *ss, gr_objects *out, GError **error);

/* The object whose slot contains addr, or GR_NO_OBJECT. */
uint32_t gr_objects_find(const gr_objects *o, const gr_spans *ss, uint64_t addr);

/* Whether the objects of span s carry a malloc header. */
static inline bool gr_span_has_header(const gr_span *s, const gr_layout *L)
{
	return !gr_span_noscan(s) && gr_span_sizeclass(s) != 0 &&
	       !gr_heapbits_in_span(s->elemsize, L->min_size_for_malloc_header);
}

void gr_objects_clear(gr_objects *o);

#endif /* HW_GORUNTIME_OBJECTS_H */

/* spans.h - the target's in-use heap spans and which of their slots hold objects.
 *
 * gr_spans_read() runs while the target is stopped: it walks mheap_.allspans, keeps the
 * mSpanInUse spans (mSpanManual spans hold stacks, never heap objects), and copies each one's
 * mspan fields and allocation bits, so that nothing here needs the target afterwards. The
 * allocation rule is mspan.isFree's (go-runtime-internals.md §1.5); spans caught mid-sweep
 * (sweepgen == h-1, §1.6) also count their mark bits, since sweep may have reset freeindex
 * before installing the new allocBits.
 *
 * Ownership: a gr_spans owns its arrays; free with gr_spans_clear(). Spans are sorted by start.
 */
#ifndef HW_GORUNTIME_SPANS_H
#define HW_GORUNTIME_SPANS_H

#include "goruntime/layout.h"

typedef struct gr_span {
	uint64_t start, npages, elemsize, limit;
	uint64_t largetype;      /* mspan.largeType (sizeclass 0 scan spans), else 0 */
	uint64_t specials;       /* head of the specials list, 0 if none */
	uint64_t bits_off;       /* offset of this span's two bitmaps in gr_spans.bits */
	uint32_t sweepgen;
	uint32_t first_object;   /* index of its first object in the object index (objects.c) */
	uint16_t freeindex, nelems, freeindexforscan;
	uint8_t spanclass;       /* sizeclass << 1 | noscan */
	uint8_t mid_sweep;       /* caught at sweepgen h-1 */
} gr_span;

static inline bool gr_span_noscan(const gr_span *s) { return s->spanclass & 1; }
static inline unsigned gr_span_sizeclass(const gr_span *s) { return s->spanclass >> 1; }

typedef struct gr_spans {
	gr_span *v;
	size_t n;
	uint8_t *bits;           /* per span, ceil(nelems/8) bytes each: the allocated slots (the
	                          * final rule), then the published ones (see gr_spans_published) */
	size_t bits_len;
	uint32_t heap_sweepgen;  /* mheap_.sweepgen */
	size_t n_mid_sweep;      /* spans at h-1 (a consistency warning) */
	size_t n_odd_nelems;     /* small spans whose nelems differs from mheap.initSpan's formula
	                          * (a sign that the layout rules do not fit this runtime) */
	uint64_t n_all;          /* entries of allspans, any state */
} gr_spans;

/* Reads the spans through mem (the stopped target). */
gboolean gr_spans_read(const gr_mem *mem, const gr_layout *L, gr_spans *out, GError **error);

/* Whether slot j of span s is allocated. */
static inline bool gr_spans_allocated(const gr_spans *ss, const gr_span *s, uint32_t j)
{
	return (ss->bits[s->bits_off + j / 8] >> (j % 8)) & 1;
}

/* Whether the object in allocated slot j has been published by mallocgc: allocated before
 * the last sweep (allocBits) or below freeIndexForScan. Others were allocated during a mark
 * phase (complete, allocated black) or, while no GC runs, are still inside mallocgc (header
 * or heap bits not yet written). The runtime's conservative scans ignore them
 * (mspan.isFreeOrNewlyAllocated), and so does the dumper. */
static inline bool gr_spans_published(const gr_spans *ss, const gr_span *s, uint32_t j)
{
	return (ss->bits[s->bits_off + (s->nelems + 7u) / 8u + j / 8] >> (j % 8)) & 1;
}

/* The span containing addr in [start, limit), or NULL. */
const gr_span *gr_spans_find(const gr_spans *ss, uint64_t addr);

void gr_spans_clear(gr_spans *ss);

#endif /* HW_GORUNTIME_SPANS_H */

/* spans.c - reading mheap_.allspans and the allocation state of every in-use span.
 *
 * This is the first thing read while the target is stopped, so it reads each mspan once and
 * keeps only what the later stages need (see spans.h). The checks reject impossible spans
 * (slots past the span, a limit that disagrees with nelems) with the span's address, because
 * a bad span would otherwise turn into phantom objects.
 */
#include "goruntime/spans.h"

#include <stdlib.h>

/* Spans in a real heap are far fewer than this; a larger allspans is corrupt. */
#define GR_MAX_SPANS (1u << 26)

static int span_cmp(const void *a, const void *b)
{
	const gr_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

gboolean gr_spans_read(const gr_mem *mem, const gr_layout *L, gr_spans *out, GError **error)
{
	memset(out, 0, sizeof *out);
	uint8_t hdr[24];
	uint32_t hsg;
	if (!gr_mem_read(mem, L->mheap + L->mheap_sweepgen, &hsg, 4, "runtime.mheap_.sweepgen", error) ||
	    !gr_mem_read(mem, L->mheap + L->mheap_allspans, hdr, 24, "runtime.mheap_.allspans", error))
		return FALSE;
	uint64_t arr = gr_le64(hdr), n = gr_le64(hdr + 8);
	if (n > GR_MAX_SPANS) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "runtime.mheap_.allspans has %" G_GUINT64_FORMAT
		            " entries, more than %u", n, GR_MAX_SPANS);
		return FALSE;
	}
	out->heap_sweepgen = hsg;
	out->n_all = n;
	uint64_t *ptrs = g_new(uint64_t, n ? n : 1);
	if (n && !gr_mem_read(mem, arr, ptrs, n * 8, "runtime.mheap_.allspans array", error)) {
		g_free(ptrs);
		return FALSE;
	}
	GArray *spans = g_array_new(FALSE, FALSE, sizeof(gr_span));
	GByteArray *bits = g_byte_array_new();
	guint8 *ms = g_malloc(L->span_size);
	/* Bitmaps of at most 65535 slots (nelems is a uint16). */
	guint8 *mark = g_malloc(8192), *raw = g_malloc(8192);
	for (uint64_t i = 0; i < n; i++) {
		if (!gr_mem_read(mem, ptrs[i], ms, L->span_size, "runtime.mspan", error))
			goto fail;
		if (ms[L->span_state] != L->span_in_use)
			continue;
		gr_span s = { 0 };
		s.start = gr_le64(ms + L->span_start);
		s.npages = gr_le64(ms + L->span_npages);
		s.elemsize = gr_le64(ms + L->span_elemsize);
		s.limit = gr_le64(ms + L->span_limit);
		s.largetype = gr_le64(ms + L->span_largetype);
		s.specials = gr_le64(ms + L->span_specials);
		s.sweepgen = gr_le32(ms + L->span_sweepgen);
		s.freeindex = gr_le16(ms + L->span_freeindex);
		s.nelems = gr_le16(ms + L->span_nelems);
		s.freeindexforscan = gr_le16(ms + L->span_freeindexforscan);
		s.spanclass = ms[L->span_spanclass];
		uint64_t span_bytes = s.npages * GR_PAGE_SIZE;
		if (s.npages == 0 || s.npages > (1ull << 30) || s.elemsize == 0 || s.nelems == 0 ||
		    (uint64_t)s.nelems * s.elemsize > span_bytes ||
		    s.freeindex > s.nelems ||
		    /* Large spans' limit is the requested size (mcache.allocLarge), not the pages.
		     * Small spans end at their last slot, except that Go 1.22's mcentral.grow
		     * computes the limit before reserving the heap bits: it may lie past the last
		     * slot, over the bitmap, up to the last whole slot of the pages. */
		    (gr_span_sizeclass(&s) == 0
		         ? s.nelems != 1 || s.limit <= s.start || s.limit > s.start + span_bytes
		         : s.limit != s.start + (uint64_t)s.nelems * s.elemsize &&
		           s.limit != s.start + span_bytes / s.elemsize * s.elemsize)) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "mspan at 0x%" G_GINT64_MODIFIER "x is "
			            "impossible: start 0x%" G_GINT64_MODIFIER "x npages %" G_GUINT64_FORMAT
			            " elemsize %" G_GUINT64_FORMAT " nelems %u freeindex %u limit 0x%"
			            G_GINT64_MODIFIER "x", (guint64)ptrs[i], (guint64)s.start, s.npages, s.elemsize,
			            s.nelems, s.freeindex, (guint64)s.limit);
			goto fail;
		}
		/* Lookups stop at the last slot (the bitmap past it holds no object). */
		if (gr_span_sizeclass(&s) != 0)
			s.limit = s.start + (uint64_t)s.nelems * s.elemsize;
		size_t nb = (s.nelems + 7u) / 8u;
		s.bits_off = bits->len;
		g_byte_array_set_size(bits, bits->len + 2 * nb);
		if (s.freeindexforscan > s.nelems) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "mspan at 0x%" G_GINT64_MODIFIER "x has "
			            "freeIndexForScan %u past nelems %u", (guint64)ptrs[i], s.freeindexforscan, s.nelems);
			goto fail;
		}
		uint8_t *b = bits->data + s.bits_off, *pub = b + nb;
		if (!gr_mem_read(mem, gr_le64(ms + L->span_allocbits), raw, nb, "mspan.allocBits", error))
			goto fail;
		if (s.sweepgen == hsg - 1) {
			/* Mid-sweep: allocBits may be the old ones while freeindex is already 0. */
			s.mid_sweep = 1;
			out->n_mid_sweep++;
			if (!gr_mem_read(mem, gr_le64(ms + L->span_gcmarkbits), mark, nb, "mspan.gcmarkBits", error))
				goto fail;
			for (size_t k = 0; k < nb; k++)
				raw[k] |= mark[k];
		}
		/* Fold the freeindex rules in (bits past nelems stay clear), so that each bitmap
		 * alone answers its question. */
		memset(b, 0, 2 * nb);
		for (uint32_t j = 0; j < s.nelems; j++) {
			if (gr_slot_allocated(raw, s.freeindex, j))
				b[j / 8] |= (uint8_t)(1u << (j % 8));
			if (gr_slot_allocated(raw, s.freeindexforscan, j))
				pub[j / 8] |= (uint8_t)(1u << (j % 8));
		}
		if (gr_span_sizeclass(&s) != 0 &&
		    s.nelems != gr_span_expected_nelems(s.elemsize, s.npages, !gr_span_noscan(&s), L->greentea))
			out->n_odd_nelems++;
		g_array_append_val(spans, s);
	}
	g_free(ms);
	g_free(mark);
	g_free(raw);
	g_free(ptrs);
	out->n = spans->len;
	out->v = (gr_span *)g_array_free(spans, FALSE);
	out->bits_len = bits->len;
	out->bits = g_byte_array_free(bits, FALSE);
	qsort(out->v, out->n, sizeof(gr_span), span_cmp);
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i].start < out->v[i - 1].start + out->v[i - 1].npages * GR_PAGE_SIZE) {
			g_set_error(error, GR_ERROR, GR_ERROR_INCONSISTENT, "in-use spans at 0x%" G_GINT64_MODIFIER
			            "x and 0x%" G_GINT64_MODIFIER "x overlap", (guint64)out->v[i - 1].start,
			            (guint64)out->v[i].start);
			gr_spans_clear(out);
			return FALSE;
		}
	return TRUE;
fail:
	g_free(ms);
	g_free(mark);
	g_free(raw);
	g_free(ptrs);
	g_array_free(spans, TRUE);
	g_byte_array_free(bits, TRUE);
	return FALSE;
}

const gr_span *gr_spans_find(const gr_spans *ss, uint64_t addr)
{
	size_t lo = 0, hi = ss->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ss->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const gr_span *s = &ss->v[lo - 1];
	return addr < s->limit ? s : NULL;
}

void gr_spans_clear(gr_spans *ss)
{
	g_free(ss->v);
	g_free(ss->bits);
	memset(ss, 0, sizeof *ss);
}

/* heapbits.c - decoding the Go heap's pointer maps (regimes A, B, C) and building GC masks.
 *
 * Everything here follows the runtime's own code paths (mbitmap.go heapBitsSlice and
 * typePointers, type.go buildGCMask, mheap.go initSpan) so that an edge exists in a snapshot
 * exactly when the Go GC would scan that word. See heapbits.h for the regimes.
 */
#include "goruntime/heapbits.h"

#include "goruntime/gcprog.h"

G_DEFINE_QUARK(heapwalk-goruntime-error-quark, gr_error)

uint32_t gr_span_expected_nelems(uint64_t elemsize, uint64_t npages, bool scan, bool greentea)
{
	if (elemsize == 0)
		return 0;
	uint64_t span = npages * GR_PAGE_SIZE;
	uint64_t reserve = 0;
	bool small_bits = scan && elemsize <= 512;
	if (greentea) {
		if (elemsize >= 16 && elemsize <= 512)
			reserve += GR_INLINE_MARK_BYTES;
		if (small_bits)
			reserve += span / 64;
	} else if (small_bits) {
		reserve += span / 64;
	}
	return (uint32_t)((span - reserve) / elemsize);
}

void gr_heapbits_range(uint64_t base, uint64_t npages, bool inline_marks, uint64_t *bits_addr,
                       uint64_t *bits_len)
{
	uint64_t span = npages * GR_PAGE_SIZE;
	/* One bit per word of the whole span: span/8 words, span/64 bytes. */
	*bits_len = span / 64;
	*bits_addr = base + span - *bits_len - (inline_marks ? GR_INLINE_MARK_BYTES : 0);
}

gboolean gr_heapbits_object(const uint8_t *bits, uint64_t bits_len, uint64_t obj_off,
                            uint64_t elemsize, gr_ptr_fn fn, void *user)
{
	uint64_t w0 = obj_off / GR_WORD, nw = elemsize / GR_WORD;
	if ((w0 + nw + 7) / 8 > bits_len)
		return FALSE;
	for (uint64_t i = 0; i < nw; i++) {
		uint64_t w = w0 + i;
		if ((bits[w / 8] >> (w % 8)) & 1)
			fn(user, i * GR_WORD);
	}
	return TRUE;
}

gboolean gr_mask_tile(const uint8_t *mask, uint64_t nbits, uint64_t type_size, uint64_t region_len,
                      gr_ptr_fn fn, void *user, GError **error)
{
	if (type_size == 0 || type_size % GR_WORD != 0 || nbits * GR_WORD > type_size) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT,
		            "type of size %" G_GUINT64_FORMAT " cannot carry %" G_GUINT64_FORMAT
		            " pointer words", type_size, nbits);
		return FALSE;
	}
	for (uint64_t elem = 0; elem < region_len; elem += type_size) {
		for (uint64_t i = 0; i < nbits; i++) {
			uint64_t off = elem + i * GR_WORD;
			if (off + GR_WORD > region_len)
				break;
			if ((mask[i / 8] >> (i % 8)) & 1)
				fn(user, off);
		}
	}
	return TRUE;
}

gboolean gr_type_hdr_read(const gr_mem *mem, const gr_abi_layout *abi, uint64_t addr,
                          gr_type_hdr *out, GError **error)
{
	uint8_t buf[256];
	if (abi->type_size > sizeof buf) {
		g_set_error(error, GR_ERROR, GR_ERROR_LAYOUT, "internal/abi.Type is %" G_GUINT64_FORMAT
		            " bytes, more than expected", abi->type_size);
		return FALSE;
	}
	if (!gr_mem_read(mem, addr, buf, abi->type_size, "type descriptor (internal/abi.Type)", error))
		return FALSE;
	out->addr = addr;
	out->size = gr_le64(buf + abi->off_size);
	out->ptrbytes = gr_le64(buf + abi->off_ptrbytes);
	out->gcdata = gr_le64(buf + abi->off_gcdata);
	out->tflag = buf[abi->off_tflag];
	out->kind = buf[abi->off_kind] & abi->kind_mask;
	out->gcprog = (buf[abi->off_kind] & abi->kind_gcprog) != 0;
	if (out->ptrbytes > out->size) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type at 0x%" G_GINT64_MODIFIER "x has "
		            "PtrBytes %" G_GUINT64_FORMAT " > Size_ %" G_GUINT64_FORMAT,
		            (guint64)addr, out->ptrbytes, out->size);
		return FALSE;
	}
	return TRUE;
}

/* A pending piece of buildGCMask: either "write the mask of type `type` at bit `bit`", or
 * (type == 0) "repeat the `len` bits at `bit` count more times right after themselves". */
typedef struct mask_task {
	uint64_t type, bit, len, count;
} mask_task;

/* Copies nbits bits from the mask bytes at src_addr into dst at bit offset `at`. */
static gboolean mask_copy_in(const gr_mem *mem, uint64_t src_addr, uint64_t nbits, guint8 *dst,
                             uint64_t at, GError **error)
{
	uint8_t chunk[512];
	for (uint64_t done = 0; done < nbits;) {
		uint64_t bytes = MIN((nbits - done + 7) / 8, sizeof chunk);
		if (!gr_mem_read(mem, src_addr + done / 8, chunk, bytes, "GC mask (Type.GCData)", error))
			return FALSE;
		uint64_t n = MIN(nbits - done, bytes * 8);
		for (uint64_t i = 0; i < n; i++)
			if ((chunk[i / 8] >> (i % 8)) & 1) {
				uint64_t b = at + done + i;
				dst[b / 8] |= (guint8)(1u << (b % 8));
			}
		done += n;
	}
	return TRUE;
}

guint8 *gr_gcmask_build(const gr_mem *mem, const gr_abi_layout *abi, uint64_t type_addr,
                        uint64_t *nbits_out, GError **error)
{
	gr_type_hdr top;
	if (!gr_type_hdr_read(mem, abi, type_addr, &top, error))
		return NULL;
	uint64_t nbits = top.ptrbytes / GR_WORD;
	/* The mask is bounded by the object it describes; a type above 1 TiB is corrupt. */
	if (top.size > (1ull << 40)) {
		g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type at 0x%" G_GINT64_MODIFIER "x claims "
		            "size %" G_GUINT64_FORMAT, (guint64)type_addr, top.size);
		return NULL;
	}
	guint8 *dst = g_malloc0(nbits / 8 + 1);
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(mask_task));
	mask_task t0 = { type_addr, 0, 0, 0 };
	g_array_append_val(stack, t0);
	/* Each task either writes bits or expands into smaller types; a corrupt cyclic type
	 * would loop, so the number of tasks is bounded by the bits there are to write. */
	uint64_t budget = 4 * nbits + 1024;
	while (stack->len > 0) {
		mask_task t = g_array_index(stack, mask_task, stack->len - 1);
		g_array_set_size(stack, stack->len - 1);
		if (budget-- == 0) {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type at 0x%" G_GINT64_MODIFIER "x: "
			            "GC mask construction does not terminate (cyclic type descriptors?)",
			            (guint64)type_addr);
			goto fail;
		}
		if (t.type == 0) {
			if (t.bit + t.len * (t.count + 1) > nbits + t.len) {
				/* The last repetition may extend past PtrBytes only with zero bits. */
				goto bounds;
			}
			for (uint64_t r = 1; r <= t.count; r++)
				for (uint64_t i = 0; i < t.len; i++) {
					uint64_t s = t.bit + i, d = t.bit + r * t.len + i;
					if (((dst[s / 8] >> (s % 8)) & 1)) {
						if (d >= nbits)
							goto bounds;
						dst[d / 8] |= (guint8)(1u << (d % 8));
					}
				}
			continue;
		}
		gr_type_hdr h;
		if (!gr_type_hdr_read(mem, abi, t.type, &h, error))
			goto fail;
		if (h.ptrbytes == 0)
			continue;
		if (t.bit + h.ptrbytes / GR_WORD > nbits)
			goto bounds;
		if (h.gcprog) {
			if (!gr_gcprog_run_at(mem, h.gcdata, dst, t.bit, h.ptrbytes / GR_WORD, NULL, error))
				goto fail;
			continue;
		}
		if (!(h.tflag & abi->tflag_ondemand) || abi->tflag_ondemand == 0) {
			if (!mask_copy_in(mem, h.gcdata, h.ptrbytes / GR_WORD, dst, t.bit, error))
				goto fail;
			continue;
		}
		uint8_t buf[64];
		if (h.kind == abi->kind_array) {
			if (!gr_mem_read(mem, t.type + abi->off_array_elem, buf, 8, "ArrayType.Elem", error) ||
			    !gr_mem_read(mem, t.type + abi->off_array_len, buf + 8, 8, "ArrayType.Len", error))
				goto fail;
			uint64_t elem = gr_le64(buf), len = gr_le64(buf + 8);
			gr_type_hdr e;
			if (!gr_type_hdr_read(mem, abi, elem, &e, error))
				goto fail;
			if (len == 0 || e.ptrbytes == 0)
				continue;
			if (e.size % GR_WORD != 0 || e.size > h.size / len) {
				g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "array type at 0x%" G_GINT64_MODIFIER
				            "x: %" G_GUINT64_FORMAT " elements of %" G_GUINT64_FORMAT
				            " bytes do not fit its size %" G_GUINT64_FORMAT,
				            (guint64)t.type, len, e.size, h.size);
				goto fail;
			}
			/* Build element 0, then repeat it: the repeat task is pushed first so it runs
			 * after the element's mask is complete. */
			if (len > 1) {
				mask_task rep = { 0, t.bit, e.size / GR_WORD, len - 1 };
				g_array_append_val(stack, rep);
			}
			mask_task el = { elem, t.bit, 0, 0 };
			g_array_append_val(stack, el);
		} else if (h.kind == abi->kind_struct) {
			if (!gr_mem_read(mem, t.type + abi->off_struct_fields, buf, 16, "StructType.Fields", error))
				goto fail;
			uint64_t fields = gr_le64(buf), nf = gr_le64(buf + 8);
			if (nf > h.size + 1) {
				/* Even zero-size fields cannot outnumber the bytes by much; bound the loop. */
				g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "struct type at 0x%" G_GINT64_MODIFIER
				            "x claims %" G_GUINT64_FORMAT " fields", (guint64)t.type, nf);
				goto fail;
			}
			for (uint64_t i = 0; i < nf; i++) {
				uint64_t fa = fields + i * abi->field_size;
				if (!gr_mem_read(mem, fa + abi->off_field_typ, buf, 8, "StructField.Typ", error) ||
				    !gr_mem_read(mem, fa + abi->off_field_offset, buf + 8, 8, "StructField.Offset", error))
					goto fail;
				uint64_t foff = gr_le64(buf + 8);
				if (foff > h.size) {
					g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "struct type at 0x%"
					            G_GINT64_MODIFIER "x: field %" G_GUINT64_FORMAT " at offset %"
					            G_GUINT64_FORMAT " is outside its size", (guint64)t.type, i, foff);
					goto fail;
				}
				/* Scalar fields may be unaligned; their types have no pointer bits. */
				mask_task f = { gr_le64(buf), t.bit + foff / GR_WORD, 0, 0 };
				g_array_append_val(stack, f);
			}
		} else {
			g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type at 0x%" G_GINT64_MODIFIER "x has "
			            "TFlagGCMaskOnDemand but kind %u (only arrays and structs can)",
			            (guint64)t.type, h.kind);
			goto fail;
		}
	}
	g_array_free(stack, TRUE);
	*nbits_out = nbits;
	return dst;
bounds:
	g_set_error(error, GR_ERROR, GR_ERROR_CORRUPT, "type at 0x%" G_GINT64_MODIFIER "x: a component's "
	            "pointer bits fall outside its PtrBytes", (guint64)type_addr);
fail:
	g_array_free(stack, TRUE);
	g_free(dst);
	return NULL;
}

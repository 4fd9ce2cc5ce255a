/* heapbits.h - the Go runtime's pointer maps for heap objects, decoded from raw bytes.
 *
 * The Go heap (1.22+, allocation headers) records which words of an object hold pointers in
 * one of three places (go-runtime-internals.md §2): regime A, a bitmap at the tail of a small
 * scan span (1 bit per word of the span); regime B, an 8-byte malloc header naming the type,
 * whose GC mask is tiled over the object; regime C, mspan.largeType tiled over a large object.
 * This file holds the pure rules: where the tail bitmap lives, which slots a span holds, how a
 * mask is tiled, and how the GC mask of a big ("on-demand", 1.24+) type is built from its type
 * descriptors. It reads target memory only through a gr_mem, so tests feed it synthetic bytes.
 *
 * Units: bytes; "words" are 8 bytes (linux/amd64 only). Bit i of a mask is bit i%8 of byte i/8.
 */
#ifndef HW_GORUNTIME_HEAPBITS_H
#define HW_GORUNTIME_HEAPBITS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "goruntime/gomem.h"

#define GR_PAGE_SIZE 8192u
#define GR_WORD 8u
/* Size of runtime.spanInlineMarkBits (Green Tea), the last bytes of a 1-page small span. */
#define GR_INLINE_MARK_BYTES 128u

/* The number of slots the runtime gives a span (mheap.initSpan), used to validate nelems.
 * greentea: the binary uses Green Tea inline mark bits (16 <= elemsize <= 512 spans reserve
 * GR_INLINE_MARK_BYTES). Returns 0 for elemsize 0. */
uint32_t gr_span_expected_nelems(uint64_t elemsize, uint64_t npages, bool scan, bool greentea);

/* Allocation rule of mspan.isFree: slot j holds an object iff j < freeindex or its
 * allocBits bit is set. allocbits must hold at least j/8+1 bytes. */
static inline bool gr_slot_allocated(const uint8_t *allocbits, uint32_t freeindex, uint32_t j)
{
	return j < freeindex || ((allocbits[j / 8] >> (j % 8)) & 1);
}

/* Whether objects of this slot size keep their pointer bits in the span (regime A). */
static inline bool gr_heapbits_in_span(uint64_t elemsize, uint64_t min_size_for_malloc_header)
{
	return elemsize <= min_size_for_malloc_header;
}

/* Address and length of the regime-A bitmap of a span of npages pages at base.
 * inline_marks: the span carries Green Tea inline mark bits after the bitmap. */
void gr_heapbits_range(uint64_t base, uint64_t npages, bool inline_marks, uint64_t *bits_addr,
                       uint64_t *bits_len);

/* Called once per pointer word, with its byte offset from the start of the region. */
typedef void (*gr_ptr_fn)(void *user, uint64_t off);

/* Regime A: reports the pointer words of the object at span offset obj_off (elemsize bytes)
 * from the span's tail bitmap (bits, bits_len bytes, covering the whole span). Offsets are
 * relative to the object. Returns FALSE if the object lies outside what the bitmap covers. */
gboolean gr_heapbits_object(const uint8_t *bits, uint64_t bits_len, uint64_t obj_off,
                            uint64_t elemsize, gr_ptr_fn fn, void *user);

/* Regimes B and C: tiles a type's GC mask (nbits = PtrBytes/8 bits) at stride type_size over
 * a region of region_len bytes (typePointers.next). Offsets are relative to the region.
 * Fails (GError) when type_size is 0, not a multiple of 8, or smaller than nbits words. */
gboolean gr_mask_tile(const uint8_t *mask, uint64_t nbits, uint64_t type_size, uint64_t region_len,
                      gr_ptr_fn fn, void *user, GError **error);

/* Offsets of the fields of internal/abi types that mask building reads (from DWARF). */
typedef struct gr_abi_layout {
	uint64_t type_size;          /* sizeof(abi.Type) */
	uint64_t off_size;           /* Type.Size_ */
	uint64_t off_ptrbytes;       /* Type.PtrBytes */
	uint64_t off_tflag;          /* Type.TFlag (uint8) */
	uint64_t off_kind;           /* Type.Kind_ (uint8) */
	uint64_t off_gcdata;         /* Type.GCData */
	uint64_t off_str;            /* Type.Str (int32 NameOff) */
	uint64_t off_array_elem;     /* ArrayType.Elem */
	uint64_t off_array_len;      /* ArrayType.Len */
	uint64_t off_struct_fields;  /* StructType.Fields (slice: ptr, len, cap) */
	uint64_t field_size;         /* sizeof(StructField) */
	uint64_t off_field_typ;      /* StructField.Typ */
	uint64_t off_field_offset;   /* StructField.Offset */
	uint8_t tflag_ondemand;      /* TFlagGCMaskOnDemand (0 before 1.24: GCData is always a mask) */
	uint8_t kind_gcprog;         /* KindGCProg, a flag in Kind_ (1.22/1.23: GCData is a GC
	                              * program, gcprog.h); 0 from 1.24 on */
	uint8_t tflag_unrolled;      /* TFlagUnrolledBitmap (1.22/1.23: a dummy type the runtime made
	                              * for a large object whose type has a GC program); 0 from 1.24 */
	uint8_t tflag_extrastar;     /* TFlagExtraStar */
	uint8_t kind_mask;           /* KindMask (0x1f) */
	uint8_t kind_array, kind_struct;
} gr_abi_layout;

/* The header fields of one abi.Type. */
typedef struct gr_type_hdr {
	uint64_t addr, size, ptrbytes, gcdata;
	uint8_t tflag, kind;
	bool gcprog;                 /* GCData is a GC program (Kind_ & KindGCProg) */
} gr_type_hdr;

gboolean gr_type_hdr_read(const gr_mem *mem, const gr_abi_layout *abi, uint64_t addr,
                          gr_type_hdr *out, GError **error);

/* The GC mask of the type at type_addr: PtrBytes/8 bits, in a new byte array the caller
 * frees. For TFlagGCMaskOnDemand types the runtime may not have built it yet, so it is
 * built from the type descriptors (runtime buildGCMask), iteratively, every write checked
 * against the mask's bounds; for KindGCProg types (1.22/1.23) it is the output of the type's
 * GC program. */
guint8 *gr_gcmask_build(const gr_mem *mem, const gr_abi_layout *abi, uint64_t type_addr,
                        uint64_t *nbits_out, GError **error);

#endif /* HW_GORUNTIME_HEAPBITS_H */

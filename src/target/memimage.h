/* memimage.h - a local copy of chosen address ranges of another memory source.
 *
 * The dumper stops the target only while it copies what it needs: span metadata, the
 * pointer-bearing parts of the heap, stacks, data and bss. It copies those ranges into a
 * memimage, detaches, and then analyses the image, which is itself a hw_memsrc. Ranges may be
 * added in any order and may overlap or touch (they are merged; overlapping bytes must agree,
 * which they do when copied during one pause). Lookups are a binary search over the sorted,
 * merged ranges.
 *
 * Regions of the image are its merged ranges; each carries the perms and name of the
 * region of the source it was copied from (when the source knew one).
 */
#ifndef HW_TARGET_MEMIMAGE_H
#define HW_TARGET_MEMIMAGE_H

#include "target/memsrc.h"

G_BEGIN_DECLS

/* A new, empty image. Returns a reference the caller drops with hw_memsrc_unref(). */
hw_memsrc *hw_memimage_new(void);

/* TRUE if m was made by hw_memimage_new(). The other hw_memimage_* functions require it. */
gboolean hw_memimage_is_image(hw_memsrc *m);

/* Copies [addr, addr+len) from src into the image. On failure nothing is added. */
gboolean hw_memimage_copy(hw_memsrc *image, hw_memsrc *src, guint64 addr, guint64 len,
			  GError **err);

/* Like hw_memimage_copy(), but keeps whatever parts of [addr, addr+len) src can read, region
 * by region (src's hw_memsrc_regions()), skipping holes. Returns the bytes copied in
 * *copied (may be NULL). Fails only on an I/O error other than an unmapped address. */
gboolean hw_memimage_copy_mapped(hw_memsrc *image, hw_memsrc *src, guint64 addr, guint64 len,
				 guint64 *copied, GError **err);

/* Adds bytes the caller already holds (copied). */
void hw_memimage_insert(hw_memsrc *image, guint64 addr, const void *data, gsize len);

/* Total bytes held, after merging overlaps. */
guint64 hw_memimage_size(hw_memsrc *image);

G_END_DECLS

#endif

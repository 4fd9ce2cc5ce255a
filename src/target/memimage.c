/* memimage.c - a local copy of address ranges, itself a memory source.
 *
 * Ranges are appended as they come (pending) and normalised lazily, before the next lookup:
 * sorted by start and merged where they overlap or touch, so that any readable span lies in
 * one range and a read is one binary search and one memcpy.
 */
#include "target/memimage.h"
#include "target/memsrc-private.h"

#include <string.h>

typedef struct {
	guint64 start;
	guint64 len;
	guint8 *data;
	guint32 perms;
	const char *name;         /* in base.names */
} range;

typedef struct {
	hw_memsrc base;
	GArray *ranges;           /* of range; sorted and merged unless dirty */
	gboolean dirty;
} memimage;

static const hw_memsrc_class memimage_class;

gboolean hw_memimage_is_image(hw_memsrc *m)
{
	return m != NULL && m->klass == &memimage_class;
}

static gint range_cmp(gconstpointer a, gconstpointer b)
{
	const range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void normalise(memimage *im)
{
	if (!im->dirty)
		return;
	im->dirty = FALSE;
	hw_memsrc_invalidate_regions(&im->base);
	if (im->ranges->len < 2)
		return;
	g_array_sort(im->ranges, range_cmp);

	GArray *merged = g_array_sized_new(FALSE, FALSE, sizeof(range), im->ranges->len);
	guint i = 0;
	while (i < im->ranges->len) {
		range cur = g_array_index(im->ranges, range, i);
		guint64 end = cur.start + cur.len;
		guint j = i + 1;
		while (j < im->ranges->len && g_array_index(im->ranges, range, j).start <= end) {
			range *r = &g_array_index(im->ranges, range, j);
			end = MAX(end, r->start + r->len);
			j++;
		}
		if (j > i + 1) {
			/* Copy every piece into one buffer; overlapping bytes agree (one pause). */
			guint8 *data = g_malloc(end - cur.start);
			for (guint k = i; k < j; k++) {
				range *r = &g_array_index(im->ranges, range, k);
				memcpy(data + (r->start - cur.start), r->data, r->len);
				g_free(r->data);
			}
			cur.data = data;
			cur.len = end - cur.start;
		}
		g_array_append_val(merged, cur);
		i = j;
	}
	g_array_unref(im->ranges);
	im->ranges = merged;
}

/* The range holding [addr, addr+len), or NULL. */
static const range *lookup(memimage *im, guint64 addr, gsize len)
{
	normalise(im);
	guint lo = 0, hi = im->ranges->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (g_array_index(im->ranges, range, mid).start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const range *r = &g_array_index(im->ranges, range, lo - 1);
	if (addr - r->start > r->len || len > r->len - (addr - r->start))
		return NULL;
	return r;
}

static gboolean memimage_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	const range *r = lookup((memimage *)m, addr, len);
	if (r == NULL) {
		hw_memsrc_set_unmapped(m, err, addr, len);
		return FALSE;
	}
	memcpy(buf, r->data + (addr - r->start), len);
	return TRUE;
}

static gboolean memimage_load_regions(hw_memsrc *m, GArray *out, GError **err)
{
	memimage *im = (memimage *)m;
	(void)err;
	normalise(im);
	for (guint i = 0; i < im->ranges->len; i++) {
		const range *r = &g_array_index(im->ranges, range, i);
		hw_region reg = {
			.start = r->start,
			.end = r->start + r->len,
			.perms = r->perms,
			.file_offset = 0,
			.name = r->name,
		};
		g_array_append_val(out, reg);
	}
	return TRUE;
}

static void memimage_finalize(hw_memsrc *m)
{
	memimage *im = (memimage *)m;
	for (guint i = 0; i < im->ranges->len; i++)
		g_free(g_array_index(im->ranges, range, i).data);
	g_array_unref(im->ranges);
}

static const hw_memsrc_class memimage_class = {
	.kind = "image",
	.read = memimage_read,
	.load_regions = memimage_load_regions,
	.finalize = memimage_finalize,
	.volatile_regions = FALSE,
};

hw_memsrc *hw_memimage_new(void)
{
	memimage *im = g_new0(memimage, 1);
	hw_memsrc_init(&im->base, &memimage_class, g_strdup("image"));
	im->ranges = g_array_new(FALSE, FALSE, sizeof(range));
	return &im->base;
}

/* Takes ownership of data (len bytes). */
static void add_owned(memimage *im, guint64 addr, guint8 *data, gsize len, guint32 perms,
		      const char *name)
{
	range r = {
		.start = addr,
		.len = len,
		.data = data,
		.perms = perms,
		.name = g_string_chunk_insert_const(im->base.names, name ? name : ""),
	};
	g_array_append_val(im->ranges, r);
	im->dirty = TRUE;
	hw_memsrc_invalidate_regions(&im->base);
}

void hw_memimage_insert(hw_memsrc *image, guint64 addr, const void *data, gsize len)
{
	g_return_if_fail(hw_memimage_is_image(image));
	g_return_if_fail(addr + len >= addr);
	if (len == 0)
		return;
	add_owned((memimage *)image, addr, g_memdup2(data, len), len, HW_PERM_R, NULL);
}

gboolean hw_memimage_copy(hw_memsrc *image, hw_memsrc *src, guint64 addr, guint64 len,
			  GError **err)
{
	g_return_val_if_fail(hw_memimage_is_image(image) && src != NULL, FALSE);
	if (len == 0)
		return TRUE;
	if (len > G_MAXSIZE || addr + len < addr) {
		hw_memsrc_set_unmapped(src, err, addr, (gsize)MIN(len, G_MAXSIZE));
		return FALSE;
	}
	g_autofree guint8 *data = g_try_malloc(len);
	if (data == NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
			    "out of memory copying %" G_GUINT64_FORMAT " bytes at 0x%"
			    G_GINT64_MODIFIER "x", len, addr);
		return FALSE;
	}
	if (!hw_memsrc_read(src, addr, data, len, err))
		return FALSE;
	const hw_region *reg = hw_memsrc_region_at(src, addr);
	add_owned((memimage *)image, addr, g_steal_pointer(&data), len,
		  reg ? reg->perms : HW_PERM_R, reg ? reg->name : NULL);
	return TRUE;
}

gboolean hw_memimage_copy_mapped(hw_memsrc *image, hw_memsrc *src, guint64 addr, guint64 len,
				 guint64 *copied, GError **err)
{
	g_return_val_if_fail(hw_memimage_is_image(image) && src != NULL, FALSE);
	guint64 end = addr + len < addr ? G_MAXUINT64 : addr + len;
	guint64 total = 0;
	gsize n;
	GError *local = NULL;
	const hw_region *r = hw_memsrc_regions(src, &n, &local);
	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	/* Copy the list: reading a live source may reload its regions. */
	g_autofree hw_region *regs = g_memdup2(r, n * sizeof *r);

	for (gsize i = 0; i < n; i++) {
		guint64 s = MAX(regs[i].start, addr), e = MIN(regs[i].end, end);
		if (s >= e)
			continue;
		if (!hw_memimage_copy(image, src, s, e - s, &local)) {
			if (g_error_matches(local, HW_TARGET_ERROR, HW_TARGET_ERROR_UNMAPPED)) {
				g_clear_error(&local);
				continue;
			}
			g_propagate_error(err, local);
			return FALSE;
		}
		total += e - s;
	}
	if (copied)
		*copied = total;
	return TRUE;
}

guint64 hw_memimage_size(hw_memsrc *image)
{
	g_return_val_if_fail(hw_memimage_is_image(image), 0);
	memimage *im = (memimage *)image;
	guint64 total = 0;
	normalise(im);
	for (guint i = 0; i < im->ranges->len; i++)
		total += g_array_index(im->ranges, range, i).len;
	return total;
}

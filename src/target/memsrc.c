/* memsrc.c - the hw_memsrc base: reference counting, scalar reads, region lookup.
 *
 * Implementations (procmem.c, core.c, exemem.c, memimage.c, layered.c) supply a class with
 * read and load_regions; everything else is shared here.
 */
#include "target/memsrc-private.h"

#include <string.h>

G_DEFINE_QUARK(hw-target-error-quark, hw_target_error)

void hw_memsrc_init(hw_memsrc *m, const hw_memsrc_class *klass, char *description)
{
	m->klass = klass;
	m->refcount = 1;
	m->description = description;
	m->regions = NULL;
	m->names = g_string_chunk_new(256);
}

hw_memsrc *hw_memsrc_ref(hw_memsrc *m)
{
	g_return_val_if_fail(m != NULL, NULL);
	g_atomic_int_inc(&m->refcount);
	return m;
}

void hw_memsrc_unref(hw_memsrc *m)
{
	if (m == NULL || !g_atomic_int_dec_and_test(&m->refcount))
		return;
	if (m->klass->finalize)
		m->klass->finalize(m);
	if (m->regions)
		g_array_unref(m->regions);
	g_string_chunk_free(m->names);
	g_free(m->description);
	g_free(m);
}

void hw_memsrc_set_unmapped(hw_memsrc *m, GError **err, guint64 addr, gsize len)
{
	g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNMAPPED,
		    "%s: cannot read %" G_GSIZE_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x: "
		    "address not in any readable region", m->description, len, addr);
}

gboolean hw_memsrc_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err)
{
	g_return_val_if_fail(m != NULL, FALSE);
	if (len == 0)
		return TRUE;
	if (addr + len < addr) {
		hw_memsrc_set_unmapped(m, err, addr, len);
		return FALSE;
	}
	return m->klass->read(m, addr, buf, len, err);
}

gboolean hw_memsrc_read_u8(hw_memsrc *m, guint64 addr, guint8 *out, GError **err)
{
	return hw_memsrc_read(m, addr, out, 1, err);
}

gboolean hw_memsrc_read_u16(hw_memsrc *m, guint64 addr, guint16 *out, GError **err)
{
	guint8 b[2];
	if (!hw_memsrc_read(m, addr, b, sizeof b, err))
		return FALSE;
	*out = (guint16)(b[0] | (guint16)b[1] << 8);
	return TRUE;
}

gboolean hw_memsrc_read_u32(hw_memsrc *m, guint64 addr, guint32 *out, GError **err)
{
	guint8 b[4];
	if (!hw_memsrc_read(m, addr, b, sizeof b, err))
		return FALSE;
	*out = (guint32)b[0] | (guint32)b[1] << 8 | (guint32)b[2] << 16 | (guint32)b[3] << 24;
	return TRUE;
}

gboolean hw_memsrc_read_u64(hw_memsrc *m, guint64 addr, guint64 *out, GError **err)
{
	guint8 b[8];
	guint64 v = 0;
	if (!hw_memsrc_read(m, addr, b, sizeof b, err))
		return FALSE;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	*out = v;
	return TRUE;
}

void hw_memsrc_invalidate_regions(hw_memsrc *m)
{
	g_clear_pointer(&m->regions, g_array_unref);
}

const hw_region *hw_memsrc_regions(hw_memsrc *m, gsize *n_regions, GError **err)
{
	g_return_val_if_fail(m != NULL && n_regions != NULL, NULL);
	if (m->regions == NULL || m->klass->volatile_regions) {
		g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(hw_region));
		if (!m->klass->load_regions(m, r, err)) {
			*n_regions = 0;
			return NULL;
		}
		hw_memsrc_invalidate_regions(m);
		m->regions = g_steal_pointer(&r);
	}
	*n_regions = m->regions->len;
	return (const hw_region *)m->regions->data;
}

const hw_region *hw_memsrc_region_at(hw_memsrc *m, guint64 addr)
{
	gsize n;
	const hw_region *r = hw_memsrc_regions(m, &n, NULL);
	gsize lo = 0, hi = n;

	/* Last region with start <= addr. */
	while (lo < hi) {
		gsize mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= r[lo - 1].end)
		return NULL;
	return &r[lo - 1];
}

const char *hw_memsrc_describe(hw_memsrc *m)
{
	return m->description;
}

/* gomem.h - the one way goruntime/ reads target memory.
 *
 * The walk runs after the target is released, over a local copy (an hw_memimage) backed by
 * the executable's read-only sections; unit tests run it over synthetic buffers. Both are
 * reached through this pair of a read function and its context, so no decoder knows where
 * the bytes come from. Reads are all-or-nothing: a read that is not wholly available fails
 * and names the address.
 */
#ifndef HW_GORUNTIME_GOMEM_H
#define HW_GORUNTIME_GOMEM_H

#include <stdint.h>
#include <string.h>
#include <glib.h>

#define GR_ERROR (gr_error_quark())
GQuark gr_error_quark(void);
enum {
	GR_ERROR_READ = 1,     /* target memory not available at an address */
	GR_ERROR_LAYOUT,       /* a struct, field or constant the dumper needs is missing */
	GR_ERROR_CORRUPT,      /* a runtime structure holds an impossible value */
	GR_ERROR_INCONSISTENT, /* the target was caught in the middle of an update */
};

typedef struct gr_mem {
	/* Copies len bytes at addr into buf; returns FALSE (without error detail) if any of
	 * them is unavailable. */
	gboolean (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
} gr_mem;

static inline gboolean gr_mem_read(const gr_mem *m, uint64_t addr, void *buf, size_t len,
                                   const char *what, GError **error)
{
	if (m->read(m->ctx, addr, buf, len))
		return TRUE;
	g_set_error(error, GR_ERROR, GR_ERROR_READ, "cannot read %zu bytes of %s at 0x%" G_GINT64_MODIFIER "x",
	            len, what, (guint64)addr);
	return FALSE;
}

static inline gboolean gr_mem_u64(const gr_mem *m, uint64_t addr, uint64_t *v, const char *what,
                                  GError **error)
{
	return gr_mem_read(m, addr, v, 8, what, error);
}

/* Little-endian loads from a local buffer (the host is amd64 too, but this keeps the
 * unaligned accesses defined). */
static inline uint64_t gr_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t gr_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t gr_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }

#endif /* HW_GORUNTIME_GOMEM_H */

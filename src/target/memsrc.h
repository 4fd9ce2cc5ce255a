/* memsrc.h - an abstract, read-only source of a target's memory.
 *
 * Everything the dumper learns about a target it reads through a hw_memsrc: a live process
 * (procmem.c: process_vm_readv, falling back to pread on /proc/PID/mem, never opened for
 * writing), an ELF core (core.c: the core's PT_LOAD data layered over the executable's file
 * contents), a local copy of chosen ranges (memimage.c), or an executable file alone
 * (exemem.c). Sources can be stacked (layered.c): reads go to the upper source when it
 * covers the range and to the lower one otherwise.
 *
 * Addresses are the target's virtual addresses (already relocated: a PIE's load bias is the
 * caller's business when it turns link-time addresses into target addresses).
 *
 * Lifetime: a hw_memsrc is reference counted. A constructor returns one reference that the
 * caller drops with hw_memsrc_unref(); objects that expose a memsrc (hw_process, hw_core)
 * return a borrowed pointer valid until they are freed, which the caller may hw_memsrc_ref().
 * A memsrc is not thread-safe; use one per thread.
 *
 * Errors: GError in the HW_TARGET_ERROR domain. A failed read names the address and length.
 */
#ifndef HW_TARGET_MEMSRC_H
#define HW_TARGET_MEMSRC_H

#include <glib.h>

G_BEGIN_DECLS

#define HW_TARGET_ERROR (hw_target_error_quark())
GQuark hw_target_error_quark(void);

typedef enum {
	HW_TARGET_ERROR_UNMAPPED,       /* a read touched an address the source does not have */
	HW_TARGET_ERROR_IO,             /* a system call failed (message names it and errno) */
	HW_TARGET_ERROR_NO_PROCESS,     /* the process does not exist or vanished (ESRCH) */
	HW_TARGET_ERROR_PERMISSION,     /* ptrace/readv refused (EPERM); message says how to fix */
	HW_TARGET_ERROR_ALREADY_TRACED, /* another tracer (a debugger) holds the process */
	HW_TARGET_ERROR_CORRUPT,        /* a core file is malformed; message names note and offset */
	HW_TARGET_ERROR_UNSUPPORTED,    /* not x86-64, not a core, ... */
	HW_TARGET_ERROR_NOT_FOUND,      /* e.g. the executable of a core could not be located */
} hw_target_error_code;

/* Permission bits of a region. */
enum {
	HW_PERM_R = 1u << 0,
	HW_PERM_W = 1u << 1,
	HW_PERM_X = 1u << 2,
	HW_PERM_SHARED = 1u << 3,
};

/* One readable region [start, end) of a source. name is the backing file's path as the target
 * saw it, a pseudo name like "[stack]" or "[heap]", or "" for anonymous memory; it is owned by
 * the source. file_offset is the offset of start in that file (0 when anonymous). */
typedef struct {
	guint64 start;
	guint64 end;
	guint32 perms;        /* HW_PERM_* */
	guint64 file_offset;
	const char *name;
} hw_region;

typedef struct hw_memsrc hw_memsrc;

hw_memsrc *hw_memsrc_ref(hw_memsrc *m);
void hw_memsrc_unref(hw_memsrc *m);

/* Copies len bytes at target address addr into buf. All-or-nothing: on failure the error
 * (HW_TARGET_ERROR_UNMAPPED or _IO) names addr and len, and buf's content is unspecified. */
gboolean hw_memsrc_read(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err);

/* Little-endian scalar reads; *out is untouched on failure. */
gboolean hw_memsrc_read_u8(hw_memsrc *m, guint64 addr, guint8 *out, GError **err);
gboolean hw_memsrc_read_u16(hw_memsrc *m, guint64 addr, guint16 *out, GError **err);
gboolean hw_memsrc_read_u32(hw_memsrc *m, guint64 addr, guint32 *out, GError **err);
gboolean hw_memsrc_read_u64(hw_memsrc *m, guint64 addr, guint64 *out, GError **err);

/* Regions the source can read, sorted by start, non-overlapping. The array and the names are
 * owned by the source and valid until the next call on it or its last unref. For a live
 * process the list is /proc/PID/maps at the time of the call (re-read each call). For a
 * layered source it is the union of both layers, upper first where they overlap. */
const hw_region *hw_memsrc_regions(hw_memsrc *m, gsize *n_regions, GError **err);

/* The region containing addr, or NULL. Same lifetime rules as hw_memsrc_regions(). */
const hw_region *hw_memsrc_region_at(hw_memsrc *m, guint64 addr);

/* A short description for messages, e.g. "process 1234", "core /tmp/core.1", "image". */
const char *hw_memsrc_describe(hw_memsrc *m);

/* A source that reads from upper where upper has the range and from lower otherwise.
 * Takes a reference on both. Used for cores (core data over executable file contents) and for
 * images (copied ranges over the executable's read-only segments). */
hw_memsrc *hw_memsrc_new_layered(hw_memsrc *upper, hw_memsrc *lower);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_memsrc, hw_memsrc_unref)

G_END_DECLS

#endif

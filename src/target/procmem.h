/* procmem.h - a live process's memory as a hw_memsrc.
 *
 * Reads with process_vm_readv; if the kernel refuses that (e.g. no CONFIG_CROSS_MEMORY_ATTACH),
 * falls back to pread on /proc/PID/mem, which is opened O_RDONLY: heapwalk never writes a
 * target's memory. Regions are /proc/PID/maps, re-read on every hw_memsrc_regions() call.
 * Reading a running process works but is not consistent; hw_process_attach() stops it first.
 */
#ifndef HW_TARGET_PROCMEM_H
#define HW_TARGET_PROCMEM_H

#include <sys/types.h>

#include "target/memsrc.h"

G_BEGIN_DECLS

/* Returns a reference dropped with hw_memsrc_unref(). Fails with HW_TARGET_ERROR_NO_PROCESS
 * when /proc/PID does not exist. */
hw_memsrc *hw_procmem_new(pid_t pid, GError **err);

/* One range of the target to copy: len bytes at addr. */
typedef struct hw_procmem_range {
	guint64 addr, len;
} hw_procmem_range;

/* Copies the ranges, in order and back to back, into dst (which holds their total length),
 * many ranges per system call (process_vm_readv takes up to IOV_MAX of them). m must come
 * from hw_procmem_new() or hw_process_memsrc(). All-or-nothing like hw_memsrc_read(): an
 * error names the range that could not be read. *calls (may be NULL) gets the number of
 * read system calls made. */
gboolean hw_procmem_read_ranges(hw_memsrc *m, const hw_procmem_range *ranges, gsize n, guint8 *dst,
				guint64 *calls, GError **err);

/* Parses /proc/PID/maps text into hw_region records appended to out; names are inserted into
 * names. Lines that do not parse are an error naming the line number. */
gboolean hw_procmem_parse_maps(const char *text, GArray *out, GStringChunk *names, GError **err);

G_END_DECLS

#endif

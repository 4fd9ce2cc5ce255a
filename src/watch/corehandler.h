/* corehandler.h - a snapshot from a core the kernel pipes in (kernel.core_pattern = |...).
 *
 * With `kernel.core_pattern = |/usr/bin/heapwalk core-handler -o DIR %P %e` the kernel runs
 * the handler for every crashing process and writes the core to its stdin; the crashing
 * process is held until the core has been read. So the handler first copies stdin to a
 * temporary file in DIR as fast as it can (holes for zero blocks), and only then, with the
 * crashed process released, walks the core and writes the snapshot. The executable is
 * opened through /proc/PID/exe before anything else, while the process still exists, so a
 * deleted or replaced binary is still the right one.
 *
 * Bounds: the whole handler runs under an alarm (timeout_s), so it never lingers; when the
 * disk fills while the core is copied, the rest of stdin is read and dropped so the kernel
 * is never blocked by a stalled pipe, and the partial core is removed. DIR is an outdir
 * (outdir.h): its total size is kept under max_bytes.
 */
#ifndef HW_WATCH_COREHANDLER_H
#define HW_WATCH_COREHANDLER_H

#include <glib.h>
#include <sys/types.h>

typedef struct hw_corehandler_options {
	const char *dir;          /* output directory */
	pid_t pid;                /* %P: the crashing process, as the initial pid namespace sees it */
	const char *comm;         /* %e: its command name, for file names (may be NULL) */
	const char *exe;          /* the executable; NULL: /proc/PID/exe */
	int core_fd;              /* where the core comes from (0: stdin) */
	gboolean keep_core;       /* keep the core next to the snapshot */
	guint64 max_bytes;        /* bound of DIR, 0 none */
	unsigned timeout_s;       /* alarm for the whole handler, 0 none */
} hw_corehandler_options;

/* Does it all. On success *snapshot (g_free) names the snapshot and *core_kept the kept core
 * or NULL. G_FILE_ERROR for I/O (a full disk says so), HW_TARGET_ERROR when the core cannot
 * be read as a Go program's. */
gboolean hw_corehandler_run(const hw_corehandler_options *opt, char **snapshot, char **core_kept, GError **error);

#endif /* HW_WATCH_COREHANDLER_H */

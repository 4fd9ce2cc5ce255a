/* outdir.h - a bounded output directory for automatic captures.
 *
 * Automatic capture runs unattended, so what it writes must be bounded: at most max_dumps
 * captures per watcher (the work), and at most max_bytes in the directory (the disk). The
 * directory's managed files are the snapshots (*.hwd) and kept cores (*.core) directly in
 * it, including those of earlier runs. After each new file the oldest managed files are
 * removed until the total fits again; the newest file is never removed to make room for
 * itself, and is removed when it alone is larger than max_bytes. Files are written by their
 * producer atomically (a temporary name, then rename), so a reader never sees half a file
 * and a full disk leaves none behind; temporary names start with '.' and are not managed.
 *
 * Names: PREFIX-PID-SEQ-REASON.hwd, SEQ counting the captures of this watcher from 1 (three
 * digits at least), so that a name sorts with its series; a name already in the directory
 * is skipped (SEQ goes on), so nothing is ever overwritten.
 */
#ifndef HW_WATCH_OUTDIR_H
#define HW_WATCH_OUTDIR_H

#include <glib.h>
#include <sys/types.h>

typedef struct hw_outdir hw_outdir;

/* Creates `dir` (mode 0700) when missing, and reads its managed files. max_bytes 0 and
 * max_dumps 0 mean unbounded. G_FILE_ERROR when it cannot be created or listed. */
hw_outdir *hw_outdir_open(const char *dir, guint64 max_bytes, guint max_dumps, GError **error);
void hw_outdir_free(hw_outdir *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_outdir, hw_outdir_free)

const char *hw_outdir_dir(const hw_outdir *d);

/* FALSE when max_dumps captures have been made. */
gboolean hw_outdir_may_capture(const hw_outdir *d);

/* The path for the next capture (g_free); counts it toward max_dumps. `prefix` is the
 * program's name (sanitised to [A-Za-z0-9._-]), `reason` one word ("limit", "every",
 * "crash", "core"), `ext` "hwd" or "core". */
char *hw_outdir_next(hw_outdir *d, const char *prefix, pid_t pid, const char *reason, const char *ext);

/* Accounts for the file now at `path` (written completely), then removes the oldest managed
 * files until the directory fits max_bytes. Appends the removed paths to `removed` (may be
 * NULL; strings owned by the array, which must free them). FALSE when `path` itself had to
 * go (it alone exceeds max_bytes). */
gboolean hw_outdir_commit(hw_outdir *d, const char *path, GPtrArray *removed);

/* Total bytes of the managed files. */
guint64 hw_outdir_bytes(const hw_outdir *d);

#endif /* HW_WATCH_OUTDIR_H */

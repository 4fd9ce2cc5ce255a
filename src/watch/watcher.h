/* watcher.h - the loop behind `heapwalk run` and `heapwalk watch`: follow, measure, capture.
 *
 * Every interval the watcher refreshes the followed processes (procfollow.h), keeps the Go
 * ones that are not the Go toolchain (gocheck.h), and reads each one's memory (memwatch.h).
 * A process is captured:
 *   - once when it crosses the threshold: RSS >= at * limit, where limit is --limit or else
 *     the machine's MemTotal, or cgroup usage >= at * the cgroup's limit at the level
 *     closest to it; or, when heapwalk runs in that cgroup too, as soon as usage plus the
 *     estimated cost of a capture reaches the limit (headroom.h), whichever comes first, with
 *     a warning when even the first reading left no room. It is armed again when its usage
 *     falls below at - 10 points (and usage plus cost below 90% of a shared limit), and never
 *     captured twice within the cooldown;
 *   - every `every_ns` when that is set (a series for growth analysis);
 *   - at a held fatal signal with on_crash (crashcatch.h).
 * Captures stop when the output directory says max_dumps is reached (outdir.h). Messages go
 * to stderr, prefixed with the command's name.
 *
 * Signals: SIGCHLD, SIGINT, SIGTERM and SIGHUP are blocked and read through a signalfd while
 * the loop runs. SIGTERM, SIGHUP, and a SIGINT sent with kill(), are forwarded to the command
 * `run` started (a terminal's ^C reaches it directly); the loop itself ends when the command
 * (run) or the watched process (watch) is gone.
 */
#ifndef HW_WATCH_WATCHER_H
#define HW_WATCH_WATCHER_H

#include <glib.h>
#include <signal.h>
#include <sys/types.h>

#include "watch/outdir.h"

/* Defaults, documented in docs/cli.md and the pages of docs/capture-*.md. */
#define HW_WATCH_DEFAULT_AT 0.80              /* --at 80 (percent of the limit) */
#define HW_WATCH_DEFAULT_INTERVAL_MS 250      /* --interval */
#define HW_WATCH_DEFAULT_COOLDOWN_S 60        /* --cooldown */

typedef struct hw_watch_options {
	const char *name;        /* "heapwalk run" / "heapwalk watch", for messages */
	guint64 limit;           /* --limit: RSS budget in bytes; 0: the machine's MemTotal */
	double at;               /* fraction of a limit that triggers a capture, in (0, 1] */
	guint64 every_ns;        /* --every; 0: no periodic captures */
	guint64 interval_ns;     /* sampling interval */
	guint64 cooldown_ns;     /* least time between two threshold captures of one process */
	gboolean on_crash;       /* trace for fatal signals */
	gboolean toolchain;      /* also watch the Go toolchain's programs (cmd/...) */
} hw_watch_options;

/* The snapshots of one process, oldest first (only those still on disk). */
typedef struct hw_watch_series {
	pid_t pid;
	char *name;              /* its command name (/proc/PID/comm) */
	char *main_path;         /* its main package, or NULL */
	GPtrArray *snapshots;    /* of char* paths */
} hw_watch_series;

typedef struct hw_watcher hw_watcher;

/* `root`: the process whose descendants are followed (heapwalk itself for run, so that
 * orphans reparented to it stay followed). `child`: the command run started and waits for,
 * or 0 for watch, whose loop ends when `root` is gone. Borrows `out` and `opt`. */
hw_watcher *hw_watcher_new(const hw_watch_options *opt, hw_outdir *out, pid_t root, pid_t child);
void hw_watcher_free(hw_watcher *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_watcher, hw_watcher_free)

/* Runs until the end (see above). *child_status receives the command's wait status (run);
 * -1 when it is unknown (watch). FALSE with an error only when the loop cannot start. The
 * caller must have blocked SIGCHLD, SIGINT, SIGTERM and SIGHUP before starting the child. */
gboolean hw_watcher_run(hw_watcher *w, int *child_status, GError **error);

/* The series of the processes that were captured, in order of their first capture. Borrowed. */
GPtrArray *hw_watcher_series(hw_watcher *w);

/* The signals the watcher reads through its signalfd. */
void hw_watcher_signals(sigset_t *set);

#endif /* HW_WATCH_WATCHER_H */

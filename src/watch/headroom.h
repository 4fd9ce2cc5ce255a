/* headroom.h - whether a capture still fits under a cgroup limit heapwalk shares with its target.
 *
 * When heapwalk runs in the memory cgroup of the process it watches (the ExecStart= of a
 * systemd unit, a container's entrypoint), the memory a capture takes counts against the
 * same limit as the process: the staging copy of the heap's spans and the walk over it. A
 * capture fired at a fixed share of the limit can then push the cgroup over it, and the
 * kernel kills the process and heapwalk with it, leaving nothing. So the watcher (watcher.h)
 * captures, besides at --at, as soon as usage plus the estimated cost of a capture reaches
 * the limit, while the capture still fits.
 *
 * All sizes are bytes.
 */
#ifndef HW_WATCH_HEADROOM_H
#define HW_WATCH_HEADROOM_H

#include <glib.h>
#include <sys/types.h>

#include "watch/memwatch.h"

/* Seconds from the decision to capture to the process's stop, during which it keeps
 * growing: loading the binary's DWARF, reading the span table, faulting in the staging
 * arena. Measured: a whole capture of a 180 MiB heap of pointers took 1.85 s. */
#define HW_HEADROOM_LEAD_S 2

/* The memory a capture of a Go process adds to the cgroup, estimated from the process's
 * anonymous resident memory (hw_memwatch_anon) and its growth in bytes per second: what it
 * grows during HW_HEADROOM_LEAD_S plus what heapwalk takes for the heap it has then. */
guint64 hw_headroom_capture_cost(guint64 anon, guint64 growth);

/* TRUE when heapwalk's own memory cgroup `self` is the level `dir` of a hierarchy of
 * version v (a hw_cgroup_reading's dir) or below it, so that heapwalk's memory counts
 * against that level's limit. */
gboolean hw_headroom_shared(const hw_cgroup_mem *self, hw_cgroup_version v, const char *dir);

typedef enum hw_trigger {
	HW_TRIGGER_NONE = 0,
	HW_TRIGGER_AT,       /* usage >= at * limit */
	HW_TRIGGER_ROOM,     /* usage + cost >= limit: the last moment a capture fits */
} hw_trigger;

/* The decision for one reading of a limited cgroup (limit > 0): `cost` is the capture's
 * cost when heapwalk shares the limit, else 0. AT wins when both hold. */
hw_trigger hw_headroom_decide(guint64 usage, guint64 limit, double at, guint64 cost);

/* Reads pid's cgroup `cg` (hw_cgroup_mem_read) and decides on it: *cost is the capture's
 * cost (hw_headroom_capture_cost with `growth`) when heapwalk, in cgroup `self`, shares the
 * limiting level; 0 when not, or when PROC/PID/status has no RssAnon. FALSE when cg cannot
 * be read or no level has a limit; else r->dir is the caller's (g_free). */
gboolean hw_headroom_read(const char *proc, pid_t pid, const hw_cgroup_mem *cg, const hw_cgroup_mem *self,
                          double at, guint64 growth, hw_cgroup_reading *r, guint64 *cost, hw_trigger *trigger);

#endif /* HW_WATCH_HEADROOM_H */

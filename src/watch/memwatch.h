/* memwatch.h - how much memory a process uses, and how close it is to its limit.
 *
 * A process dies of memory in one of three ways, and each has its own meter:
 *   - its cgroup hits its limit: cgroup v2 memory.current against memory.max (the OOM kill)
 *     or memory.high (throttling), cgroup v1 memory.usage_in_bytes against
 *     memory.limit_in_bytes or memory.soft_limit_in_bytes. A limit set on an ancestor applies
 *     as well (a container's limit, a unit's slice), so every level from the process's cgroup
 *     up to the mount's root is read and the level closest to its limit wins;
 *   - the machine runs out: the process's RSS against MemTotal;
 *   - the user's own budget: RSS against --limit (the caller compares; see hw_memwatch_rss).
 * The process's cgroup comes from /proc/PID/cgroup, resolved against the cgroup mounts of
 * /proc/self/mountinfo (v2 wherever the unified hierarchy is mounted, /sys/fs/cgroup or
 * /sys/fs/cgroup/unified in hybrid mode, used when it has the memory controller).
 *
 * All sizes are bytes. `proc` is the proc mount ("/proc"; tests give a fake tree).
 */
#ifndef HW_WATCH_MEMWATCH_H
#define HW_WATCH_MEMWATCH_H

#include <glib.h>
#include <sys/types.h>

/* Resident set size of pid from PROC/PID/statm. FALSE when the process is gone. */
gboolean hw_memwatch_rss(const char *proc, pid_t pid, guint64 *bytes);

/* Anonymous resident memory of pid (RssAnon of PROC/PID/status), which holds a Go
 * program's heap. FALSE when the process is gone or the kernel is older than 4.5. */
gboolean hw_memwatch_anon(const char *proc, pid_t pid, guint64 *bytes);

/* MemTotal from PROC/meminfo, 0 when unreadable. */
guint64 hw_memwatch_mem_total(const char *proc);

typedef enum hw_cgroup_version { HW_CGROUP_NONE = 0, HW_CGROUP_V1 = 1, HW_CGROUP_V2 = 2 } hw_cgroup_version;

/* A process's memory cgroup: the directory of its own cgroup and of the mount's root, so
 * that the levels between can be read. Owned strings; hw_cgroup_mem_clear() frees them. */
typedef struct hw_cgroup_mem {
	hw_cgroup_version version;
	char *dir;         /* e.g. /sys/fs/cgroup/memory/docker/abc */
	char *top;         /* the mount point, e.g. /sys/fs/cgroup/memory */
} hw_cgroup_mem;

void hw_cgroup_mem_clear(hw_cgroup_mem *cg);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_cgroup_mem, hw_cgroup_mem_clear)

/* Finds pid's memory cgroup. FALSE (version NONE) when there is no memory controller
 * mounted or the process is gone. */
gboolean hw_cgroup_mem_find(const char *proc, pid_t pid, hw_cgroup_mem *out);

/* The same for the calling process (PROC/self/cgroup). */
gboolean hw_cgroup_mem_find_self(const char *proc, hw_cgroup_mem *out);

/* One reading: the level of the hierarchy closest to its limit. */
typedef struct hw_cgroup_reading {
	guint64 usage;             /* that level's usage */
	guint64 limit;             /* its limit; 0 when no level has one */
	const char *limit_name;    /* "memory.max", "memory.high", "memory.limit_in_bytes",
	                            * "memory.soft_limit_in_bytes"; static; NULL when no limit */
	char *dir;                 /* the level's directory (g_free) */
} hw_cgroup_reading;

/* Reads every level from cg->dir up to cg->top. FALSE when cg->dir cannot be read. */
gboolean hw_cgroup_mem_read(const hw_cgroup_mem *cg, hw_cgroup_reading *out);

#endif /* HW_WATCH_MEMWATCH_H */

/* procfollow.h - the descendants of a process, followed by polling /proc.
 *
 * `heapwalk run -- go test ./pkg` must reach the test binary that `go test` builds and starts,
 * a grandchild of heapwalk. ptrace could report every fork, but a process has only one tracer
 * and the dumper needs to be it; the proc connector (netlink) would need its own socket
 * handling and still misses nothing this does not. So each update lists /proc, reads the
 * parent of every process not seen in the previous listing, and adds those whose parent is
 * already followed (to a fixed point, so a child and grandchild born in the same interval are
 * both found). Processes living shorter than one interval can be missed; they are not the
 * ones whose heaps grow. Run under PR_SET_CHILD_SUBREAPER (run does), orphans reparent to the
 * root and stay followed.
 *
 * Cost per update: one readdir of /proc plus one read of /proc/PID/stat per new process.
 */
#ifndef HW_WATCH_PROCFOLLOW_H
#define HW_WATCH_PROCFOLLOW_H

#include <glib.h>
#include <sys/types.h>

typedef struct hw_procfollow hw_procfollow;

/* Follows `root` and its descendants (the root itself is reported as born by the first
 * update). `proc` is the proc mount ("/proc"). */
hw_procfollow *hw_procfollow_new(pid_t root, const char *proc);
void hw_procfollow_free(hw_procfollow *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_procfollow, hw_procfollow_free)

/* Re-reads /proc. Appends to `born` (GArray of pid_t, may be NULL) the followed processes
 * that appeared since the last update, and to `gone` (may be NULL) those that disappeared. */
void hw_procfollow_update(hw_procfollow *f, GArray *born, GArray *gone);

/* TRUE when pid is followed (root or a descendant seen alive at the last update). */
gboolean hw_procfollow_has(const hw_procfollow *f, pid_t pid);

/* The parent pid from a /proc/PID/stat line; FALSE when the line is malformed. The command
 * name (field 2) may contain spaces and parentheses, so the fields after it are found after
 * the last ')'. */
gboolean hw_procfollow_parse_ppid(const char *stat, pid_t *ppid);

#endif /* HW_WATCH_PROCFOLLOW_H */

/* process.h - attach to a live process with ptrace, stop every thread, read it, detach.
 *
 * hw_process_attach() PTRACE_SEIZEs and PTRACE_INTERRUPTs every task in /proc/PID/task,
 * re-listing until no new task appears, and waits until each has stopped. From then on the
 * target is paused: read its memory through hw_process_memsrc() (process_vm_readv, or pread
 * on /proc/PID/mem opened read-only) and its registers through hw_process_threads().
 * hw_process_detach() lets every thread run again. In between, the calling thread runs
 * real-time (SCHED_FIFO) when it is allowed to, so that other processes do not lengthen the
 * target's pause (process.c says why; hw_process_pause_stats() tells what the pause cost).
 *
 * Safety: the target must never be left stopped. Every attached tid is recorded in a
 * process-wide registry; while anything is attached, handlers for SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT (async-signal-safe: raw PTRACE_DETACH of each registered tid, then the default
 * action is restored and the signal re-raised) and an atexit hook detach it. Only one
 * hw_process may be attached at a time in a heapwalk process. Memory is never written.
 */
#ifndef HW_TARGET_PROCESS_H
#define HW_TARGET_PROCESS_H

#include <sys/types.h>
#include <time.h>

#include "target/memsrc.h"
#include "target/thread.h"

G_BEGIN_DECLS

typedef struct hw_process hw_process;

/* Stops every thread of pid. Returns a new hw_process, freed with hw_process_free().
 * Errors: HW_TARGET_ERROR_NO_PROCESS (ESRCH), _PERMISSION (EPERM: message explains
 * ptrace_scope / CAP_SYS_PTRACE / same uid), _ALREADY_TRACED (a debugger is attached),
 * _IO. On failure every task attached so far has been detached. */
hw_process *hw_process_attach(pid_t pid, GError **err);

pid_t hw_process_pid(hw_process *p);

/* Threads with their registers as read when they stopped, in /proc/PID/task order.
 * Owned by p. */
const hw_thread *hw_process_threads(hw_process *p, gsize *n_threads);

/* The target's memory. Borrowed: valid until hw_process_free(). Reads keep working after
 * detach (process_vm_readv needs no attachment) but are then no longer consistent. */
hw_memsrc *hw_process_memsrc(hw_process *p);

/* Path of the executable, readlink(/proc/PID/exe) at attach time (may end in " (deleted)").
 * hw_process_exe_open_path() returns "/proc/PID/exe", which opens the file even when it was
 * deleted or replaced. Both owned by p. */
const char *hw_process_exe_path(hw_process *p);
const char *hw_process_exe_open_path(hw_process *p);

/* Start of the executable's first mapping and that mapping's file offset, from /proc/PID/maps
 * (the mapping whose inode and device are /proc/PID/exe's). Feed them to
 * hw_elf_load_bias(). */
gboolean hw_process_exe_mapping(hw_process *p, guint64 *start, guint64 *file_offset,
				GError **err);

/* Clock `id` now, in nanoseconds (CLOCK_MONOTONIC for pauses and schedules, CLOCK_REALTIME
 * for timestamps). */
guint64 hw_clock_ns(clockid_t id);

/* CLOCK_MONOTONIC nanoseconds when the first task was interrupted. */
guint64 hw_process_pause_start_ns(hw_process *p);

/* What stopping and releasing the target cost, and what the pause cost heapwalk's own thread
 * (the one that attached): whether it ran real-time (attaching makes it SCHED_FIFO when
 * allowed, detaching restores its policy), its time spent runnable but waiting for a CPU (the second field of
 * /proc/thread-self/schedstat; 0 when the kernel keeps no schedstats), its involuntary
 * context switches and its page faults (getrusage RUSAGE_THREAD). A long pause with a large
 * cpu_wait_ns was the machine's load, not heapwalk's work. Durations in nanoseconds; the
 * counters cover the first interrupt to the end of detaching and are complete after
 * hw_process_detach(). Owned by p. */
typedef struct hw_pause_stats {
	guint64 stop_ns;          /* first PTRACE_SEIZE until every thread stopped, registers read */
	guint64 detach_ns;        /* PTRACE_DETACH of every thread */
	gboolean realtime;
	guint64 cpu_wait_ns;
	guint64 preempted;
	guint64 faults;
} hw_pause_stats;

const hw_pause_stats *hw_process_pause_stats(hw_process *p);

gboolean hw_process_is_attached(hw_process *p);

/* Detaches every thread so the target runs again. Idempotent. Returns the pause length in
 * nanoseconds (from the first interrupt to the end of detaching; the same value on later
 * calls). */
guint64 hw_process_detach(hw_process *p);

/* Detaches if still attached, then frees. NULL is allowed. */
void hw_process_free(hw_process *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_process, hw_process_free)

G_END_DECLS

#endif

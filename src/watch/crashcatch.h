/* crashcatch.h - seeing a process's fatal signal before it dies (--on-crash).
 *
 * A Go program that dies of `fatal error: runtime: out of memory` under GOTRACEBACK=crash, of
 * an unrecovered panic under the same setting, or of a SIGSEGV/SIGBUS outside Go code, ends
 * with a signal whose disposition is the default: Go's crash path resets the handler and
 * raises the signal again. The kernel then kills the process, and nothing can be read after.
 *
 * Choice: a ptrace supervisor, not the core_pattern. Each watched Go process is
 * PTRACE_SEIZEd (every thread, and PTRACE_O_TRACECLONE for new ones) with no other options,
 * so it stops only at signal delivery. A signal the process catches, or one that does not
 * dump core by default, is handed back at once (Go's SIGURG preemption and SIGQUIT relays
 * cost one round trip through the watcher each). A core-dumping signal whose disposition is
 * the default (SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGTRAP, SIGQUIT, SIGXCPU,
 * SIGXFSZ) is held: the thread stays in its signal-delivery stop and the event is reported.
 * The core_pattern route (core-handler) needs root and changes the whole machine; this one
 * needs only the right to trace the process, and works in containers.
 *
 * A process has one tracer, and the dumper must be it. So before a capture the watcher
 * releases the process: hw_crashcatch_release() sends it SIGSTOP, lets every thread enter
 * the group stop, and detaches every thread (the crashing one without its signal). The
 * process then sits in a job-control stop that outlives the detach; the dumper attaches,
 * reads and detaches; hw_crashcatch_resume() re-sends the held signal to the crashing thread
 * and SIGCONTs the process, which dies exactly as it would have, core included. A release for
 * a threshold capture resumes with SIGCONT and traces the process again.
 *
 * Target safety: a traced process is never left stopped by heapwalk's exit:
 * hw_crashcatch_free() detaches everything, handing held signals back. Between the SIGCONT and
 * the new seize of a threshold capture a crash is not seen (a window of microseconds).
 */
#ifndef HW_WATCH_CRASHCATCH_H
#define HW_WATCH_CRASHCATCH_H

#include <glib.h>
#include <sys/types.h>

typedef struct hw_crashcatch hw_crashcatch;

/* A held fatal signal: thread `tid` of process `pid` is stopped delivering `sig`. */
typedef struct hw_crash {
	pid_t pid;
	pid_t tid;
	int sig;
} hw_crash;

hw_crashcatch *hw_crashcatch_new(void);
/* Detaches every traced thread; a held crash signal is handed back (the process dies). */
void hw_crashcatch_free(hw_crashcatch *cc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_crashcatch, hw_crashcatch_free)

/* Traces every thread of pid. HW_TARGET_ERROR_PERMISSION / _ALREADY_TRACED / _NO_PROCESS. */
gboolean hw_crashcatch_add(hw_crashcatch *cc, pid_t pid, GError **error);

gboolean hw_crashcatch_traces(const hw_crashcatch *cc, pid_t pid);

/* Feeds one waitpid(-1, __WALL) result. Returns FALSE when tid is none of ours (the caller's
 * own business). For a stop it resumes the thread unless the stop is a held crash, which
 * fills *crash (crash->pid is 0 otherwise); for an exit it forgets the thread. */
gboolean hw_crashcatch_event(hw_crashcatch *cc, pid_t tid, int status, hw_crash *crash);

/* Puts pid in a group stop and detaches every thread (see above). FALSE only when the
 * process cannot be signalled (it is gone). */
gboolean hw_crashcatch_release(hw_crashcatch *cc, pid_t pid, GError **error);

/* After a release: with `crash` (may be NULL) delivers its signal and continues the process;
 * without, continues it and traces it again (a failure to trace again is reported and the
 * process runs on untraced). */
void hw_crashcatch_resume(hw_crashcatch *cc, pid_t pid, const hw_crash *crash, GError **error);

/* TRUE when sig dumps core by default and pid does not catch it (/proc/PID/status SigCgt). */
gboolean hw_crashcatch_is_fatal(pid_t pid, int sig);

#endif /* HW_WATCH_CRASHCATCH_H */

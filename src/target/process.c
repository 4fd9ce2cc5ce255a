/* process.c - ptrace attachment of every thread, with a guarantee to detach.
 *
 * Attach: PTRACE_SEIZE + PTRACE_INTERRUPT each task of /proc/PID/task, then wait for their
 * stops (so the threads stop together, not one after another: each must be scheduled to
 * reach its stop, which on a loaded machine takes a while), and list the tasks again until a
 * pass finds no new one (a thread may be cloned by one not yet stopped; once all listed
 * threads are stopped none can clone).
 *
 * A thread may report a signal-delivery stop instead of the PTRACE_EVENT_STOP we asked for;
 * it is stopped all the same, and the signal is handed back to it by PTRACE_DETACH so that
 * the target does not lose it.
 *
 * The pause is the target's outage, so heapwalk's thread should not spend it waiting for a
 * CPU behind other processes: from just before the first seize until detach it runs in the
 * real-time class (SCHED_FIFO at the lowest priority) when allowed to (root, CAP_SYS_NICE or
 * RLIMIT_RTPRIO), and as before otherwise. A nice value would not do: with autogroups (or
 * cgroups with the cpu controller) it weighs only against the processes of heapwalk's own
 * session, while the competition is other sessions. The kernel's real-time throttling
 * (sched_rt_runtime_us) still leaves other tasks their share should a pause run long.
 *
 * The registry of attached tids is a static array, written only with signals blocked, and
 * read by the fatal-signal handler, which may run at any time: it detaches each tid with a raw
 * ptrace system call, restores the default action and re-raises the signal.
 */
#include "target/process.h"
#include "target/procmem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Threads we can hold at once; a Go program with more is refused with a clear error. */
#define MAX_TIDS 32768

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* The registry. reg_count is the number of valid reg_tids; reg_sig[i] is the signal to hand
 * back on detach. Both are only modified with fatal signals blocked. */
static pid_t reg_tids[MAX_TIDS];
static int reg_sig[MAX_TIDS];
static volatile sig_atomic_t reg_count;
static struct sigaction saved_actions[G_N_ELEMENTS(fatal_signals)];
static gboolean handlers_installed;
static gboolean atexit_registered;
static hw_process *attached_process;

struct hw_process {
	pid_t pid;
	GArray *threads;          /* of hw_thread */
	hw_memsrc *mem;
	char *exe_path;
	char *exe_open_path;
	guint64 pause_start_ns;
	guint64 pause_ns;
	hw_pause_stats stats;     /* the counters hold their start values until detach */
	pid_t boosted_tid;        /* the thread made real-time for the pause, or 0 */
	int saved_policy;         /* its scheduling policy and priority before */
	struct sched_param saved_param;
	gboolean attached;
};

guint64 hw_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (guint64)ts.tv_sec * 1000000000u + (guint64)ts.tv_nsec;
}

/* The calling thread's time spent waiting for a CPU, in nanoseconds (the second field of
 * /proc/thread-self/schedstat), or 0 when the kernel does not keep it. */
static guint64 cpu_wait_ns(void)
{
	char buf[128];
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unsigned long long run, wait;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? wait : 0;
}

/* Sets the counters of p->stats to the calling thread's totals now (at the pause's start) or
 * to their growth since then (at its end). */
static void pause_counters(hw_process *p, gboolean end)
{
	struct rusage ru;
	guint64 wait = cpu_wait_ns(), preempted = 0, faults = 0;
	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		preempted = (guint64)ru.ru_nivcsw;
		faults = (guint64)ru.ru_minflt + (guint64)ru.ru_majflt;
	}
	hw_pause_stats *s = &p->stats;
	s->cpu_wait_ns = end ? wait - MIN(wait, s->cpu_wait_ns) : wait;
	s->preempted = end ? preempted - MIN(preempted, s->preempted) : preempted;
	s->faults = end ? faults - MIN(faults, s->faults) : faults;
}

/* Makes the calling thread real-time (SCHED_FIFO, lowest priority) if it is allowed to and
 * is not real-time already. */
static void boost_priority(hw_process *p)
{
	int policy = sched_getscheduler(0);
	struct sched_param param;
	if (policy < 0 || sched_getparam(0, &param) != 0 || (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO ||
	    (policy & ~SCHED_RESET_ON_FORK) == SCHED_RR)
		return;
	struct sched_param rt = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt) == 0) {
		p->boosted_tid = (pid_t)syscall(SYS_gettid);
		p->saved_policy = policy;
		p->saved_param = param;
		p->stats.realtime = TRUE;
	}
}

/* The reset-on-fork flag the boost set stays: clearing it needs CAP_SYS_NICE, which a thread
 * allowed real-time only by RLIMIT_RTPRIO lacks, and asking would leave it SCHED_FIFO. */
static void restore_priority(hw_process *p)
{
	if (p->boosted_tid)
		(void)sched_setscheduler(p->boosted_tid, p->saved_policy | SCHED_RESET_ON_FORK, &p->saved_param);
	p->boosted_tid = 0;
}

static void block_fatal(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (gsize i = 0; i < G_N_ELEMENTS(fatal_signals); i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Async-signal-safe: raw system calls only. */
static void detach_registered(void)
{
	for (int i = reg_count - 1; i >= 0; i--)
		syscall(SYS_ptrace, PTRACE_DETACH, reg_tids[i], NULL, (void *)(long)reg_sig[i]);
	reg_count = 0;
}

static void on_fatal_signal(int sig)
{
	int saved = errno;
	detach_registered();
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	errno = saved;
	raise(sig);
}

static void on_exit_detach(void)
{
	if (attached_process)
		hw_process_detach(attached_process);
}

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (gsize i = 0; i < G_N_ELEMENTS(fatal_signals); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(fatal_signals); i++)
		sigaction(fatal_signals[i], &sa, &saved_actions[i]);
	handlers_installed = TRUE;
	if (!atexit_registered) {
		atexit(on_exit_detach);
		atexit_registered = TRUE;
	}
}

static void restore_handlers(void)
{
	if (!handlers_installed)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(fatal_signals); i++)
		sigaction(fatal_signals[i], &saved_actions[i], NULL);
	handlers_installed = FALSE;
}

static int registry_find(pid_t tid)
{
	for (int i = 0; i < reg_count; i++)
		if (reg_tids[i] == tid)
			return i;
	return -1;
}

static void registry_remove(int i)
{
	sigset_t old;
	block_fatal(&old);
	reg_tids[i] = reg_tids[reg_count - 1];
	reg_sig[i] = reg_sig[reg_count - 1];
	reg_count--;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static char *read_status_field(pid_t pid, const char *field)
{
	char path[64];
	g_autofree char *text = NULL;
	g_snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gsize flen = strlen(field);
	for (guint i = 0; lines[i]; i++)
		if (strncmp(lines[i], field, flen) == 0 && lines[i][flen] == ':')
			return g_strstrip(g_strdup(lines[i] + flen + 1));
	return NULL;
}

static void set_seize_error(GError **err, pid_t pid, int e)
{
	if (e == ESRCH) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
			    "process %d does not exist or exited", (int)pid);
		return;
	}
	g_autofree char *tracer = read_status_field(pid, "TracerPid");
	if (tracer && strcmp(tracer, "0") != 0) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_ALREADY_TRACED,
			    "process %d is already traced by process %s (a debugger?); detach it "
			    "first", (int)pid, tracer);
		return;
	}
	if (e == EPERM) {
		/* The kernel refuses to attach to a process that is exiting (zombie or dead) with
		 * EPERM too: a target killed while we capture it (an OOM kill) is no permission
		 * problem, and advice about root would send the user the wrong way. */
		g_autofree char *state = read_status_field(pid, "State");
		gboolean gone = !state && kill(pid, 0) < 0 && errno == ESRCH;   /* not hidepid=1 */
		if (gone || (state && (state[0] == 'Z' || state[0] == 'X'))) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
				    "process %d exited (or was killed) before it could be stopped", (int)pid);
			return;
		}
		g_autofree char *scope = NULL;
		/* Scope 3 forbids attaching to root as well; 1 and 2 only to other users. */
		gboolean yama = g_file_get_contents("/proc/sys/kernel/yama/ptrace_scope", &scope, NULL, NULL) &&
				strcmp(g_strstrip(scope), "0") != 0 &&
				(geteuid() != 0 || strcmp(scope, "3") == 0);
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_PERMISSION,
			    "not allowed to ptrace process %d (EPERM): run heapwalk as root, or as "
			    "the process's user with CAP_SYS_PTRACE%s%s%s", (int)pid,
			    yama ? "; kernel.yama.ptrace_scope is " : "", yama ? scope : "",
			    yama ? " (set it to 0 with `sysctl kernel.yama.ptrace_scope=0` to allow "
				   "tracing non-children)" : "");
		return;
	}
	g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
		    "ptrace(PTRACE_SEIZE, %d) failed: %s", (int)pid, g_strerror(e));
}

/* Lists /proc/PID/task. */
static GArray *list_tasks(pid_t pid, GError **err)
{
	char path[64];
	g_snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
			    "process %d does not exist or exited", (int)pid);
		return NULL;
	}
	GArray *tids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long t = strtol(de->d_name, &end, 10);
		if (*end == '\0' && t > 0) {
			pid_t tid = (pid_t)t;
			g_array_append_val(tids, tid);
		}
	}
	closedir(d);
	return tids;
}

/* Seizes and interrupts tid. Returns 1 when done (the stop is on its way: wait_stop()), 0
 * when the thread exited meanwhile, -1 on error (err set). */
static int seize_interrupt(hw_process *p, pid_t tid, GError **err)
{
	if (reg_count >= MAX_TIDS) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED,
			    "process %d has more than %d threads", (int)p->pid, MAX_TIDS);
		return -1;
	}
	sigset_t old;
	block_fatal(&old);
	long r = ptrace(PTRACE_SEIZE, tid, NULL, NULL);
	int e = errno;
	if (r == 0) {
		reg_tids[reg_count] = tid;
		reg_sig[reg_count] = 0;
		reg_count++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		if (e == ESRCH && tid != p->pid)
			return 0;
		set_seize_error(err, p->pid, e);
		return -1;
	}
	if (p->pause_start_ns == 0) {
		pause_counters(p, FALSE);
		p->pause_start_ns = hw_clock_ns(CLOCK_MONOTONIC);
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0 && errno != ESRCH) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
			    "ptrace(PTRACE_INTERRUPT, %d) failed: %s", (int)tid, g_strerror(errno));
		return -1;
	}
	return 1;
}

/* Waits until the interrupted tid stops. Returns 1 when stopped, 0 when the thread exited
 * meanwhile, -1 on error (err set; may be NULL). */
static int wait_stop(hw_process *p, pid_t tid, GError **err)
{
	for (;;) {
		int st;
		pid_t w = waitpid(tid, &st, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
				    "waitpid(%d) failed: %s", (int)tid, g_strerror(errno));
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			int i = registry_find(tid);
			if (i >= 0)
				registry_remove(i);
			if (tid == p->pid) {
				g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NO_PROCESS,
					    "process %d exited while being attached", (int)p->pid);
				return -1;
			}
			return 0;
		}
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) != PTRACE_EVENT_STOP) {
			/* Signal-delivery stop: keep the signal for detach. */
			int i = registry_find(tid);
			if (i >= 0)
				reg_sig[i] = WSTOPSIG(st);
		}
		return 1;
	}
}

static gboolean read_regs(hw_process *p, GError **err)
{
	for (guint i = 0; i < p->threads->len; i++) {
		hw_thread *t = &g_array_index(p->threads, hw_thread, i);
		if (ptrace(PTRACE_GETREGS, t->tid, NULL, &t->regs) != 0) {
			g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_IO,
				    "ptrace(PTRACE_GETREGS, %d) failed: %s", (int)t->tid,
				    g_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

hw_process *hw_process_attach(pid_t pid, GError **err)
{
	if (attached_process != NULL) {
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_UNSUPPORTED,
			    "already attached to process %d", (int)attached_process->pid);
		return NULL;
	}
	g_autoptr(hw_memsrc) mem = hw_procmem_new(pid, err);
	if (mem == NULL)
		return NULL;

	hw_process *p = g_new0(hw_process, 1);
	p->pid = pid;
	p->threads = g_array_new(FALSE, TRUE, sizeof(hw_thread));
	p->mem = g_steal_pointer(&mem);
	p->exe_open_path = g_strdup_printf("/proc/%d/exe", (int)pid);
	p->exe_path = g_file_read_link(p->exe_open_path, NULL);
	if (p->exe_path == NULL)
		p->exe_path = g_strdup(p->exe_open_path);
	p->attached = TRUE;
	attached_process = p;
	install_handlers();
	boost_priority(p);

	/* Seize until a listing shows no task we have not stopped. */
	gboolean grew = TRUE;
	g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(pid_t));
	guint waited = 0;         /* pending[0, waited) have stopped (or exited) */
	while (grew) {
		grew = FALSE;
		g_autoptr(GArray) tids = list_tasks(pid, err);
		if (tids == NULL)
			goto fail;
		for (guint i = 0; i < tids->len; i++) {
			pid_t tid = g_array_index(tids, pid_t, i);
			if (registry_find(tid) >= 0)
				continue;
			int r = seize_interrupt(p, tid, err);
			if (r < 0)
				goto fail;
			if (r > 0)
				g_array_append_val(pending, tid);
			grew = TRUE;
		}
		while (waited < pending->len)
			if (wait_stop(p, g_array_index(pending, pid_t, waited++), err) < 0)
				goto fail;
		g_array_set_size(pending, 0);
		waited = 0;
	}
	for (int i = 0; i < reg_count; i++) {
		hw_thread t = { .tid = reg_tids[i] };
		g_array_append_val(p->threads, t);
	}
	if (!read_regs(p, err))
		goto fail;
	p->stats.stop_ns = hw_clock_ns(CLOCK_MONOTONIC) - p->pause_start_ns;
	return p;

fail:
	/* PTRACE_DETACH needs a stopped tracee: let the interrupted threads reach their stops
	 * first, or they would stay stopped, traced by us, until heapwalk exits. */
	for (; waited < pending->len; waited++)
		wait_stop(p, g_array_index(pending, pid_t, waited), NULL);
	hw_process_free(p);
	return NULL;
}

pid_t hw_process_pid(hw_process *p) { return p->pid; }

const hw_thread *hw_process_threads(hw_process *p, gsize *n_threads)
{
	*n_threads = p->threads->len;
	return (const hw_thread *)p->threads->data;
}

hw_memsrc *hw_process_memsrc(hw_process *p) { return p->mem; }
const char *hw_process_exe_path(hw_process *p) { return p->exe_path; }
const char *hw_process_exe_open_path(hw_process *p) { return p->exe_open_path; }
guint64 hw_process_pause_start_ns(hw_process *p) { return p->pause_start_ns; }
const hw_pause_stats *hw_process_pause_stats(hw_process *p) { return &p->stats; }
gboolean hw_process_is_attached(hw_process *p) { return p->attached; }

gboolean hw_process_exe_mapping(hw_process *p, guint64 *start, guint64 *file_offset,
				GError **err)
{
	/* /proc/PID/maps names a mapping exactly as readlink(/proc/PID/exe) does, including a
	 * " (deleted)" suffix, so the name identifies the executable's mappings. */
	gsize n;
	GError *local = NULL;
	const hw_region *r = hw_memsrc_regions(p->mem, &n, &local);
	gboolean found = FALSE;
	if (local) {
		g_propagate_error(err, local);
		return FALSE;
	}
	for (gsize i = 0; i < n; i++) {
		if (strcmp(r[i].name, p->exe_path) != 0)
			continue;
		if (!found || r[i].file_offset < *file_offset) {
			*start = r[i].start;
			*file_offset = r[i].file_offset;
			found = TRUE;
		}
	}
	if (!found)
		g_set_error(err, HW_TARGET_ERROR, HW_TARGET_ERROR_NOT_FOUND,
			    "process %d has no mapping of its executable %s", (int)p->pid,
			    p->exe_path);
	return found;
}

guint64 hw_process_detach(hw_process *p)
{
	if (!p->attached)
		return p->pause_ns;
	sigset_t old;
	guint64 t0 = hw_clock_ns(CLOCK_MONOTONIC);
	block_fatal(&old);
	detach_registered();
	sigprocmask(SIG_SETMASK, &old, NULL);
	guint64 t1 = hw_clock_ns(CLOCK_MONOTONIC);
	restore_handlers();
	p->attached = FALSE;
	if (attached_process == p)
		attached_process = NULL;
	p->pause_ns = p->pause_start_ns ? t1 - p->pause_start_ns : 0;
	p->stats.detach_ns = t1 - t0;
	if (p->pause_start_ns)
		pause_counters(p, TRUE);
	restore_priority(p);
	return p->pause_ns;
}

void hw_process_free(hw_process *p)
{
	if (p == NULL)
		return;
	hw_process_detach(p);
	g_array_unref(p->threads);
	hw_memsrc_unref(p->mem);
	g_free(p->exe_path);
	g_free(p->exe_open_path);
	g_free(p);
}

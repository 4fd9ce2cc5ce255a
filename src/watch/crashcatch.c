/* crashcatch.c - the --on-crash ptrace supervisor (see crashcatch.h).
 *
 * State: every traced thread, tid -> tgid. The stops a seized thread reports:
 *   - PTRACE_EVENT_CLONE: a new thread, already traced by the kernel; remember it, continue;
 *   - PTRACE_EVENT_STOP with a job-control signal: a group stop; PTRACE_LISTEN keeps it
 *     stopped the way it would be untraced (SIGCONT ends it);
 *   - PTRACE_EVENT_STOP otherwise: a new thread's first stop; continue it;
 *   - a plain signal-delivery stop: hand the signal back, or hold it (hw_crashcatch_is_fatal).
 * A new thread's first stop can arrive before its creator's CLONE event; an unknown stopped
 * tid is therefore looked up in /proc/TID/status and adopted when its process is traced.
 */
#include "watch/crashcatch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target/memsrc.h"

struct hw_crashcatch {
	GHashTable *tasks;     /* tid -> tgid */
	GHashTable *held;      /* tgid -> hw_crash* (owned), a crash waiting for release */
};

#define KEY(x) GINT_TO_POINTER((int)(x))

/* How long a release waits for the threads to reach the group stop, in milliseconds. */
#define RELEASE_WAIT_MS 5000

hw_crashcatch *hw_crashcatch_new(void)
{
	hw_crashcatch *cc = g_new0(hw_crashcatch, 1);
	cc->tasks = g_hash_table_new(g_direct_hash, g_direct_equal);
	cc->held = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	return cc;
}

void hw_crashcatch_free(hw_crashcatch *cc)
{
	if (!cc)
		return;
	GHashTableIter it;
	gpointer tid, tgid;
	g_hash_table_iter_init(&it, cc->tasks);
	while (g_hash_table_iter_next(&it, &tid, &tgid)) {
		hw_crash *h = g_hash_table_lookup(cc->held, tgid);
		int sig = h && h->tid == GPOINTER_TO_INT(tid) ? h->sig : 0;
		/* A running thread cannot be detached; interrupt it first (ESRCH: already stopped). */
		if (ptrace(PTRACE_DETACH, GPOINTER_TO_INT(tid), NULL, (void *)(long)sig) != 0 && errno == ESRCH &&
		    ptrace(PTRACE_INTERRUPT, GPOINTER_TO_INT(tid), NULL, NULL) == 0) {
			int st;
			if (waitpid(GPOINTER_TO_INT(tid), &st, __WALL) == GPOINTER_TO_INT(tid) && WIFSTOPPED(st)) {
				int pending = (st >> 16) == 0 ? WSTOPSIG(st) : 0;
				ptrace(PTRACE_DETACH, GPOINTER_TO_INT(tid), NULL, (void *)(long)(sig ? sig : pending));
			}
		}
	}
	g_hash_table_destroy(cc->tasks);
	g_hash_table_destroy(cc->held);
	g_free(cc);
}

gboolean hw_crashcatch_traces(const hw_crashcatch *cc, pid_t pid)
{
	return g_hash_table_contains(cc->tasks, KEY(pid));
}

/* The Tgid of tid from /proc, or -1. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[4096];
	g_snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strstr(buf, "\nTgid:");
	return p ? (pid_t)atoi(p + 6) : -1;
}

gboolean hw_crashcatch_is_fatal(pid_t pid, int sig)
{
	switch (sig) {
	case SIGABRT: case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE:
	case SIGSYS: case SIGTRAP: case SIGQUIT: case SIGXCPU: case SIGXFSZ:
		break;
	default:
		return FALSE;
	}
	char path[64], buf[4096];
	g_snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return FALSE;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strstr(buf, "\nSigCgt:");
	if (!p)
		return FALSE;
	guint64 caught = g_ascii_strtoull(p + 8, NULL, 16);
	return !(caught & (G_GUINT64_CONSTANT(1) << (sig - 1)));
}

static gboolean seize_error(pid_t tid, int e, GError **error)
{
	int code = e == ESRCH ? HW_TARGET_ERROR_NO_PROCESS : e == EPERM ? HW_TARGET_ERROR_PERMISSION : HW_TARGET_ERROR_IO;
	g_set_error(error, HW_TARGET_ERROR, code, "ptrace(PTRACE_SEIZE, %d) failed: %s%s", (int)tid, g_strerror(e),
	            e == EPERM ? " (another tracer holds it, or ptrace is not allowed: kernel.yama.ptrace_scope, "
	                         "CAP_SYS_PTRACE)" : "");
	return FALSE;
}

gboolean hw_crashcatch_add(hw_crashcatch *cc, pid_t pid, GError **error)
{
	char dir[64];
	g_snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	/* Threads started by a thread not yet seized are found by listing again. */
	for (gboolean more = TRUE; more;) {
		more = FALSE;
		GDir *d = g_dir_open(dir, 0, NULL);
		if (!d) {
			if (g_hash_table_contains(cc->tasks, KEY(pid)))
				return TRUE;   /* it exited meanwhile: its exit events will clean up */
			return seize_error(pid, ESRCH, error);
		}
		const char *name;
		while ((name = g_dir_read_name(d))) {
			pid_t tid = (pid_t)atoi(name);
			if (tid <= 0 || g_hash_table_contains(cc->tasks, KEY(tid)))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACECLONE) != 0) {
				if (errno == ESRCH)
					continue;   /* the thread exited */
				int e = errno;
				g_dir_close(d);
				return seize_error(tid, e, error);
			}
			g_hash_table_insert(cc->tasks, KEY(tid), KEY(pid));
			more = TRUE;
		}
		g_dir_close(d);
	}
	return TRUE;
}

static gboolean is_job_control(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

gboolean hw_crashcatch_event(hw_crashcatch *cc, pid_t tid, int status, hw_crash *crash)
{
	memset(crash, 0, sizeof *crash);
	gpointer tgidp;
	if (!g_hash_table_lookup_extended(cc->tasks, KEY(tid), NULL, &tgidp)) {
		pid_t tgid;
		if (!WIFSTOPPED(status) || (tgid = tgid_of(tid)) <= 0 || !g_hash_table_contains(cc->tasks, KEY(tgid)))
			return FALSE;
		g_hash_table_insert(cc->tasks, KEY(tid), KEY(tgid));
		tgidp = KEY(tgid);
	}
	pid_t tgid = GPOINTER_TO_INT(tgidp);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		g_hash_table_remove(cc->tasks, KEY(tid));
		if (tid == tgid)
			g_hash_table_remove(cc->held, KEY(tgid));
		return TRUE;
	}
	if (!WIFSTOPPED(status))
		return TRUE;
	int event = status >> 16, sig = WSTOPSIG(status);
	if (event == PTRACE_EVENT_CLONE) {
		unsigned long child;
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child) == 0)
			g_hash_table_insert(cc->tasks, KEY(child), KEY(tgid));
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	} else if (event == PTRACE_EVENT_STOP) {
		if (is_job_control(sig))
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
		else
			ptrace(PTRACE_CONT, tid, NULL, NULL);
	} else if (event == 0 && hw_crashcatch_is_fatal(tgid, sig)) {
		hw_crash *h = g_new(hw_crash, 1);
		*h = (hw_crash){ tgid, tid, sig };
		g_hash_table_replace(cc->held, KEY(tgid), h);
		*crash = *h;
	} else {
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)(event == 0 ? sig : 0));
	}
	return TRUE;
}

/* The tids traced in process pid. */
static GArray *tasks_of(hw_crashcatch *cc, pid_t pid)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(pid_t));
	GHashTableIter it;
	gpointer tid, tgid;
	g_hash_table_iter_init(&it, cc->tasks);
	while (g_hash_table_iter_next(&it, &tid, &tgid))
		if (GPOINTER_TO_INT(tgid) == pid) {
			pid_t t = GPOINTER_TO_INT(tid);
			g_array_append_val(a, t);
		}
	return a;
}

/* TRUE when every thread of pid is in a stop ('T' or 't' in /proc/PID/task/TID/stat). */
static gboolean all_stopped(pid_t pid)
{
	char dir[64];
	g_snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	GDir *d = g_dir_open(dir, 0, NULL);
	if (!d)
		return TRUE;   /* gone: nothing runs */
	gboolean stopped = TRUE;
	const char *name;
	while (stopped && (name = g_dir_read_name(d))) {
		char path[128], buf[512];
		g_snprintf(path, sizeof path, "%s/%s/stat", dir, name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *close = strrchr(buf, ')');
		if (close && close[1] == ' ' && close[2] != 'T' && close[2] != 't' && close[2] != 'Z' && close[2] != 'X')
			stopped = FALSE;
	}
	g_dir_close(d);
	return stopped;
}

gboolean hw_crashcatch_release(hw_crashcatch *cc, pid_t pid, GError **error)
{
	hw_crash *held = g_hash_table_lookup(cc->held, KEY(pid));
	pid_t held_tid = held ? held->tid : 0;
	if (kill(pid, SIGSTOP) != 0) {
		int e = errno;
		g_set_error(error, HW_TARGET_ERROR, e == ESRCH ? HW_TARGET_ERROR_NO_PROCESS : HW_TARGET_ERROR_IO,
		            "cannot stop process %d: %s", (int)pid, g_strerror(e));
		return FALSE;
	}
	/* Wait for each thread to report its group stop; threads born meanwhile join the set.
	 * Polled (WNOHANG), not waited for one by one: a dying group's leader is reported only
	 * after its other threads, so a blocking wait on it could hang. Bounded: a thread that
	 * never stops (stuck in the kernel) is detached as it is after RELEASE_WAIT_MS. */
	g_autoptr(GHashTable) settled = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (int waited = 0; waited < RELEASE_WAIT_MS;) {
		g_autoptr(GArray) tids = tasks_of(cc, pid);
		gboolean pending = FALSE, progress = FALSE;
		for (guint i = 0; i < tids->len; i++) {
			pid_t t = g_array_index(tids, pid_t, i);
			int st;
			if (t == held_tid || g_hash_table_contains(settled, KEY(t)))
				continue;
			pending = TRUE;
			pid_t r = waitpid(t, &st, __WALL | WNOHANG);
			if (r == 0)
				continue;
			progress = TRUE;
			if (r != t || WIFEXITED(st) || WIFSIGNALED(st)) {
				g_hash_table_remove(cc->tasks, KEY(t));
				continue;
			}
			int event = st >> 16, sig = WSTOPSIG(st);
			if (event == PTRACE_EVENT_STOP && is_job_control(sig)) {
				g_hash_table_add(settled, KEY(t));
			} else if (event == PTRACE_EVENT_CLONE) {
				unsigned long child;
				if (ptrace(PTRACE_GETEVENTMSG, t, NULL, &child) == 0)
					g_hash_table_insert(cc->tasks, KEY(child), KEY(pid));
				ptrace(PTRACE_CONT, t, NULL, NULL);
			} else if (event == 0 && sig != SIGSTOP && hw_crashcatch_is_fatal(pid, sig)) {
				/* A second thread dying: the held signal will end the process anyway. */
				g_hash_table_add(settled, KEY(t));
			} else {
				/* A signal on its way (our SIGSTOP among them: delivering it starts the
				 * group stop), or a new thread's first stop: let it go on. */
				ptrace(PTRACE_CONT, t, NULL, (void *)(long)(event == 0 ? sig : 0));
			}
		}
		if (!pending)
			break;
		if (!progress) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			waited++;
		}
	}
	g_autoptr(GArray) tids = tasks_of(cc, pid);
	for (guint i = 0; i < tids->len; i++) {
		pid_t t = g_array_index(tids, pid_t, i);
		/* The crashing thread leaves its signal-delivery stop without the signal and joins
		 * the group stop at once; the others stay in it. */
		ptrace(PTRACE_DETACH, t, NULL, NULL);
		g_hash_table_remove(cc->tasks, KEY(t));
	}
	/* The group stop completes when the crashing thread has joined it. */
	for (int i = 0; i < 2000 && !all_stopped(pid); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return TRUE;
}

void hw_crashcatch_resume(hw_crashcatch *cc, pid_t pid, const hw_crash *crash, GError **error)
{
	if (crash) {
		syscall(SYS_tgkill, (int)pid, (int)crash->tid, crash->sig);
		g_hash_table_remove(cc->held, KEY(pid));
		kill(pid, SIGCONT);
		return;
	}
	kill(pid, SIGCONT);
	hw_crashcatch_add(cc, pid, error);
}

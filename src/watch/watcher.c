/* watcher.c - the follow/measure/capture loop of run and watch (see watcher.h).
 *
 * One poll() on a signalfd, with the time to the next sample as its timeout: the watcher
 * sleeps between samples and wakes at once for a child's exit or a traced thread's stop.
 * Per-process state lives in `procs` (pid -> proc) while the process is followed; the
 * snapshots it produced live in `series`, which outlives it (run prints them at the end).
 */
#include "watch/watcher.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "target/process.h"
#include "watch/crashcatch.h"
#include "watch/gocheck.h"
#include "watch/headroom.h"
#include "watch/memwatch.h"
#include "watch/procfollow.h"

/* Re-arm a threshold once usage falls this far below it (fraction of the limit). */
#define REARM_MARGIN 0.10
/* The growth of a cgroup's usage is measured over windows this long: a single interval sees
 * more of the garbage collector's sawtooth than of the trend. */
#define GROWTH_WINDOW_NS G_GUINT64_CONSTANT(1000000000)

typedef struct proc {
	pid_t pid;
	gboolean go;               /* a Go program we watch (else only followed) */
	char *exe;                 /* readlink(/proc/PID/exe) when last classified: an exec
	                            * (sh -c 'exec ./server') turns a process into a Go one */
	gboolean armed;            /* the threshold capture may fire */
	gboolean failed;           /* a capture failed: not tried again (no DWARF, not Go 1.2x) */
	guint64 last_threshold_ns; /* monotonic time of its last threshold capture, 0 none */
	guint64 next_every_ns;
	gboolean fit_seen;         /* a reading left room for a capture under a shared limit */
	gboolean said_no_room;     /* the "no room" warning was printed */
	guint64 growth;            /* its cgroup's usage growth, bytes/s, over the last window */
	guint64 window_ns, window_usage; /* the window's start and the usage then; 0: none */
	hw_cgroup_mem cg;
	hw_watch_series *series;   /* in w->series once captured, else owned here */
} proc;

struct hw_watcher {
	const hw_watch_options *opt;
	hw_outdir *out;
	pid_t root, child;
	hw_procfollow *follow;
	hw_crashcatch *cc;
	GHashTable *procs;         /* pid -> proc* (owned) */
	GPtrArray *series;         /* hw_watch_series* (owned) */
	guint64 mem_total;
	hw_cgroup_mem self_cg;     /* heapwalk's own memory cgroup (headroom.h) */
	gboolean said_max;
};

static void series_free(hw_watch_series *s)
{
	g_free(s->name);
	g_free(s->main_path);
	g_ptr_array_unref(s->snapshots);
	g_free(s);
}

static void proc_free(proc *p)
{
	hw_cgroup_mem_clear(&p->cg);
	g_free(p->exe);
	if (p->series && p->series->snapshots->len == 0)
		series_free(p->series);
	g_free(p);
}

void hw_watcher_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

hw_watcher *hw_watcher_new(const hw_watch_options *opt, hw_outdir *out, pid_t root, pid_t child)
{
	hw_watcher *w = g_new0(hw_watcher, 1);
	w->opt = opt;
	w->out = out;
	w->root = root;
	w->child = child;
	w->follow = hw_procfollow_new(root, "/proc");
	w->cc = opt->on_crash ? hw_crashcatch_new() : NULL;
	w->procs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)proc_free);
	w->series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
	w->mem_total = hw_memwatch_mem_total("/proc");
	hw_cgroup_mem_find_self("/proc", &w->self_cg);
	return w;
}

void hw_watcher_free(hw_watcher *w)
{
	if (!w)
		return;
	hw_crashcatch_free(w->cc);   /* first: never leave a traced process behind */
	g_hash_table_destroy(w->procs);
	g_ptr_array_unref(w->series);
	hw_procfollow_free(w->follow);
	hw_cgroup_mem_clear(&w->self_cg);
	g_free(w);
}

GPtrArray *hw_watcher_series(hw_watcher *w)
{
	return w->series;
}

static char *read_comm(pid_t pid)
{
	char path[64];
	char *s = NULL;
	g_snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (!g_file_get_contents(path, &s, NULL, NULL))
		return g_strdup("process");
	return g_strstrip(s);
}

static char *human(guint64 b)
{
	return g_format_size_full(b, G_FORMAT_SIZE_IEC_UNITS);
}

/* Captures p now. `crash` is the held fatal signal of a crash capture, or NULL. */
static void capture(hw_watcher *w, proc *p, const char *reason, const char *why, const hw_crash *crash)
{
	const char *name = w->opt->name;
	if (p->failed) {
		if (crash)
			hw_crashcatch_resume(w->cc, p->pid, crash, NULL);
		return;
	}
	if (!hw_outdir_may_capture(w->out)) {
		if (!w->said_max)
			fprintf(stderr, "%s: --max-dumps reached; no more captures\n", name);
		w->said_max = TRUE;
		if (crash)
			hw_crashcatch_resume(w->cc, p->pid, crash, NULL);
		return;
	}
	g_autofree char *path = hw_outdir_next(w->out, p->series->name, p->pid, reason, "hwd");
	g_autoptr(GError) error = NULL;
	gboolean traced = w->cc && hw_crashcatch_traces(w->cc, p->pid);
	if ((traced || crash) && !hw_crashcatch_release(w->cc, p->pid, &error)) {
		fprintf(stderr, "%s: cannot capture %d (%s): %s\n", name, (int)p->pid, p->series->name, error->message);
		return;
	}
	/* A crashed process is frozen: no retry can catch it in a better state. */
	hw_capture_options copt = { .pid = p->pid, .output = path, .max_retries = crash ? 0 : 3 };
	hw_capture_result res;
	gboolean ok = hw_capture_run(&copt, &res, &error);
	if (traced || crash) {
		g_autoptr(GError) again = NULL;
		hw_crashcatch_resume(w->cc, p->pid, crash, &again);
		if (again)
			fprintf(stderr, "%s: %d runs on untraced: %s\n", name, (int)p->pid, again->message);
	}
	if (!ok) {
		fprintf(stderr, "%s: capture of %d (%s) failed: %s; not trying it again\n", name, (int)p->pid,
		        p->series->name, error->message);
		p->failed = TRUE;
		g_free(res.warning);
		return;
	}
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	gboolean kept = hw_outdir_commit(w->out, path, removed);
	for (guint i = 0; i < removed->len; i++) {
		const char *gone = g_ptr_array_index(removed, i);
		for (guint j = 0; j < w->series->len; j++) {
			hw_watch_series *s = g_ptr_array_index(w->series, j);
			for (guint k = 0; k < s->snapshots->len; k++)
				if (strcmp(g_ptr_array_index(s->snapshots, k), gone) == 0)
					g_ptr_array_remove_index(s->snapshots, k--);
		}
		if (strcmp(gone, path) != 0)
			fprintf(stderr, "%s: removed %s (--max-bytes)\n", name, gone);
	}
	if (!kept) {
		fprintf(stderr, "%s: the snapshot of %d alone exceeds --max-bytes; removed it\n", name, (int)p->pid);
		g_free(res.warning);
		return;
	}
	if (p->series->snapshots->len == 0 && !g_ptr_array_find(w->series, p->series, NULL))
		g_ptr_array_add(w->series, p->series);
	g_ptr_array_add(p->series->snapshots, g_strdup(path));
	fprintf(stderr, "%s: captured %d (%s) %s: %s (paused %.1f ms, %" G_GUINT64_FORMAT " objects)%s%s\n", name,
	        (int)p->pid, p->series->name, why, path, res.pause_ns / 1e6, res.objects,
	        res.warning ? "; warning: " : "", res.warning ? res.warning : "");
	g_free(res.warning);
}

static char *read_exe(pid_t pid)
{
	char path[64];
	g_snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	return g_file_read_link(path, NULL);
}

static void adopt(hw_watcher *w, pid_t pid)
{
	proc *p = g_new0(proc, 1);
	p->pid = pid;
	p->exe = read_exe(pid);
	g_hash_table_replace(w->procs, GINT_TO_POINTER(pid), p);
	g_autofree char *main_path = NULL;
	if (!hw_gocheck_pid(pid, &main_path) || (!w->opt->toolchain && hw_gocheck_is_toolchain(main_path)))
		return;
	p->go = TRUE;
	p->armed = TRUE;
	p->next_every_ns = hw_clock_ns(CLOCK_MONOTONIC) + w->opt->every_ns;
	hw_cgroup_mem_find("/proc", pid, &p->cg);
	p->series = g_new0(hw_watch_series, 1);
	p->series->pid = pid;
	p->series->name = read_comm(pid);
	p->series->main_path = g_steal_pointer(&main_path);
	p->series->snapshots = g_ptr_array_new_with_free_func(g_free);
	if (w->cc) {
		g_autoptr(GError) error = NULL;
		if (!hw_crashcatch_add(w->cc, pid, &error))
			fprintf(stderr, "%s: --on-crash: cannot trace %d (%s): %s\n", w->opt->name, (int)pid,
			        p->series->name, error->message);
	}
}

/* Ends p's growth window when it is GROWTH_WINDOW_NS old (a shrinking cgroup grows 0). */
static void update_growth(proc *p, guint64 usage, guint64 now)
{
	if (p->window_ns && now - p->window_ns < GROWTH_WINDOW_NS)
		return;
	if (p->window_ns && usage > p->window_usage)
		p->growth = (guint64)((double)(usage - p->window_usage) * 1e9 / (double)(now - p->window_ns));
	else if (p->window_ns)
		p->growth = 0;
	p->window_ns = now;
	p->window_usage = usage;
}

/* Compares p's memory with its limits; captures when a threshold is crossed. */
static void measure(hw_watcher *w, proc *p, guint64 now)
{
	const hw_watch_options *o = w->opt;
	guint64 rss = 0, rss_limit = o->limit ? o->limit : w->mem_total;
	double frac = 0.0;
	g_autofree char *why = NULL;
	if (!hw_memwatch_rss("/proc", p->pid, &rss))
		return;   /* gone; the next update forgets it */
	if (rss_limit)
		frac = (double)rss / (double)rss_limit;
	hw_cgroup_reading cr = { 0 };
	guint64 cost;
	hw_trigger cg_trigger;
	gboolean cg_ok = hw_headroom_read("/proc", p->pid, &p->cg, &w->self_cg, o->at, p->growth, &cr, &cost,
	                                  &cg_trigger);
	if (cg_ok)
		update_growth(p, cr.usage, now);
	if (cg_ok && ((double)cr.usage / (double)cr.limit > frac || cg_trigger == HW_TRIGGER_ROOM)) {
		frac = MAX(frac, (double)cr.usage / (double)cr.limit);
		g_autofree char *u = human(cr.usage), *l = human(cr.limit), *c = human(cost);
		why = g_strdup_printf("at cgroup v%d usage %s of %s %s (%.0f%%%s%s%s)", p->cg.version, u, cr.limit_name, l,
		                      100.0 * (double)cr.usage / (double)cr.limit,
		                      cg_trigger == HW_TRIGGER_ROOM ? ", the last room for a capture of about " : "",
		                      cg_trigger == HW_TRIGGER_ROOM ? c : "",
		                      cg_trigger == HW_TRIGGER_ROOM ? " in this shared cgroup" : "");
	} else if (rss_limit) {
		g_autofree char *u = human(rss), *l = human(rss_limit);
		why = g_strdup_printf("at RSS %s of %s %s (%.0f%%)", u, o->limit ? "--limit" : "MemTotal", l, 100.0 * frac);
	}
	if (cost && cr.usage + cost < cr.limit)
		p->fit_seen = TRUE;

	if (p->armed && (frac >= o->at || cg_trigger != HW_TRIGGER_NONE) &&
	    (p->last_threshold_ns == 0 || now - p->last_threshold_ns >= o->cooldown_ns)) {
		if (cg_trigger == HW_TRIGGER_ROOM && !p->fit_seen && !p->said_no_room) {
			/* Never seen below the line: the process was already too big for its limit
			 * when it was first measured (or its limit is too small for any capture). */
			g_autofree char *u = human(cr.usage), *l = human(cr.limit), *c = human(cost);
			fprintf(stderr,
			        "%s: %d (%s) may be too big to capture: heapwalk shares its memory cgroup %s "
			        "(%s %s, usage %s) and a capture needs about %s more; capturing anyway, but the "
			        "kernel may kill both (raise the limit, or run heapwalk outside the cgroup)\n",
			        o->name, (int)p->pid, p->series->name, cr.dir, cr.limit_name, l, u, c);
			p->said_no_room = TRUE;
		}
		p->armed = FALSE;
		p->last_threshold_ns = now;
		capture(w, p, "limit", why, NULL);
	} else if (!p->armed && frac < o->at - REARM_MARGIN &&
	           (!cost || (double)(cr.usage + cost) < (1.0 - REARM_MARGIN) * (double)cr.limit)) {
		p->armed = TRUE;
	}
	g_free(cr.dir);
	if (o->every_ns && now >= p->next_every_ns) {
		p->next_every_ns = now + o->every_ns;
		capture(w, p, "every", "periodically", NULL);
	}
}

static void sample(hw_watcher *w)
{
	g_autoptr(GArray) born = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(pid_t));
	hw_procfollow_update(w->follow, born, gone);
	for (guint i = 0; i < gone->len; i++)
		g_hash_table_remove(w->procs, GINT_TO_POINTER(g_array_index(gone, pid_t, i)));
	for (guint i = 0; i < born->len; i++)
		if (g_array_index(born, pid_t, i) != getpid())
			adopt(w, g_array_index(born, pid_t, i));
	guint64 now = hw_clock_ns(CLOCK_MONOTONIC);
	g_autoptr(GList) procs = g_hash_table_get_values(w->procs);
	for (GList *l = procs; l; l = l->next) {
		proc *p = l->data;
		if (p->go) {
			measure(w, p, now);
		} else {
			g_autofree char *exe = read_exe(p->pid);
			if (exe && g_strcmp0(exe, p->exe) != 0)
				adopt(w, p->pid);   /* replaces p */
		}
	}
}

/* Reaps what there is to reap; handles traced stops. Sets *child_status at the child's end. */
static void reap(hw_watcher *w, int *child_status, gboolean *done)
{
	for (;;) {
		int st;
		pid_t t = waitpid(-1, &st, __WALL | WNOHANG);
		if (t <= 0)
			return;
		if (w->cc) {
			hw_crash crash;
			if (hw_crashcatch_event(w->cc, t, st, &crash) && crash.pid) {
				proc *p = g_hash_table_lookup(w->procs, GINT_TO_POINTER(crash.pid));
				g_autofree char *why = g_strdup_printf("at fatal signal %s", g_strsignal(crash.sig));
				if (p && p->go)
					capture(w, p, "crash", why, &crash);
				else
					hw_crashcatch_resume(w->cc, crash.pid, &crash, NULL);
			}
		}
		if (t == w->child && (WIFEXITED(st) || WIFSIGNALED(st))) {
			*child_status = st;
			*done = TRUE;
		}
	}
}

gboolean hw_watcher_run(hw_watcher *w, int *child_status, GError **error)
{
	sigset_t set;
	hw_watcher_signals(&set);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		int e = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "signalfd failed: %s", g_strerror(e));
		return FALSE;
	}
	*child_status = -1;
	gboolean done = FALSE;
	guint64 next = hw_clock_ns(CLOCK_MONOTONIC);
	while (!done) {
		guint64 now = hw_clock_ns(CLOCK_MONOTONIC);
		if (now >= next) {
			sample(w);
			next = now + w->opt->interval_ns;
			if (!w->child && kill(w->root, 0) != 0 && errno == ESRCH)
				break;
		}
		now = hw_clock_ns(CLOCK_MONOTONIC);
		struct pollfd pfd = { sfd, POLLIN, 0 };
		int timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		gboolean chld = FALSE;
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGCHLD)
				chld = TRUE;
			else if (w->child && (si.ssi_signo != SIGINT || si.ssi_code == SI_USER))
				kill(w->child, (int)si.ssi_signo);
			else if (!w->child)
				done = TRUE;   /* watch: ^C or a stop request ends the watch */
		}
		if (chld || w->cc)
			reap(w, child_status, &done);
	}
	close(sfd);
	return TRUE;
}

/* run.c - `heapwalk run [options] -o DIR -- CMD [ARGS...]`: run a command, capture its Go
 * processes before memory kills them.
 *
 * heapwalk becomes a child subreaper (so the grandchildren `go test` starts stay followed
 * when their parent exits), starts CMD with the signals the watcher reads unblocked again,
 * and runs the watcher (watch/watcher.h) until CMD ends. Then it prints where the snapshots
 * are and the `heapwalk leaks` findings over each process's series, and exits with CMD's
 * status (128 + N when a signal N ended it, as a shell reports it). With --on-crash and no
 * GOTRACEBACK in the environment, CMD gets GOTRACEBACK=crash: without it a Go program that
 * dies of a fatal error simply exits, and there is no signal to catch. A `go` command gets
 * -ldflags=-w=0 in GOFLAGS (keep_dwarf) so that the test binaries it links can be captured.
 *
 * Also here: the options run and watch share (run.h).
 */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "exit.h"
#include "leaks.h"
#include "watch/outdir.h"

gboolean hw_parse_size(const char *s, guint64 *out)
{
	char *end;
	if (!s || !g_ascii_isdigit(*s))
		return FALSE;
	errno = 0;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	if (errno)
		return FALSE;
	unsigned shift = 0;
	switch (g_ascii_toupper(*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (G_MAXUINT64 >> shift)))
		return FALSE;
	*out = v << shift;
	return TRUE;
}

/* A duration: a number with ms, s, m or h (seconds when bare). */
static gboolean parse_duration(const char *s, guint64 *ns)
{
	char *end;
	if (!s)
		return FALSE;
	double v = g_ascii_strtod(s, &end);
	double unit = 1e9;
	if (end == s || !(v >= 0))
		return FALSE;
	if (strcmp(end, "ms") == 0)
		unit = 1e6;
	else if (strcmp(end, "m") == 0)
		unit = 60e9;
	else if (strcmp(end, "h") == 0)
		unit = 3600e9;
	else if (*end && strcmp(end, "s") != 0)
		return FALSE;
	if (v * unit > 1e18)
		return FALSE;
	*ns = (guint64)(v * unit);
	return TRUE;
}

void hw_watch_cli_init(hw_watch_cli *c, const char *name, gint *pid)
{
	memset(c, 0, sizeof *c);
	c->opt.name = name;
	c->at_percent = HW_WATCH_DEFAULT_AT * 100.0;
	c->max_dumps = 20;
	const GOptionEntry e[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &c->output, "write snapshots into DIR (created if missing)", "DIR" },
		{ "limit", 0, 0, G_OPTION_ARG_STRING, &c->limit, "RSS budget (e.g. 512M); default: the machine's memory; cgroup limits always apply", "SIZE" },
		{ "at", 0, 0, G_OPTION_ARG_DOUBLE, &c->at_percent, "capture at this percentage of a limit (default 80)", "PERCENT" },
		{ "every", 0, 0, G_OPTION_ARG_STRING, &c->every, "also capture each Go process periodically (e.g. 30s), for growth analysis", "DURATION" },
		{ "interval", 0, 0, G_OPTION_ARG_STRING, &c->interval, "sampling interval (default 250ms)", "DURATION" },
		{ "cooldown", 0, 0, G_OPTION_ARG_STRING, &c->cooldown, "least time between two threshold captures of a process (default 60s)", "DURATION" },
		{ "max-dumps", 0, 0, G_OPTION_ARG_INT, &c->max_dumps, "capture at most N times (default 20; 0: no bound)", "N" },
		{ "max-bytes", 0, 0, G_OPTION_ARG_STRING, &c->max_bytes, "keep DIR's snapshots under SIZE, removing the oldest (default 4G; 0: no bound)", "SIZE" },
		{ "on-crash", 0, 0, G_OPTION_ARG_NONE, &c->opt.on_crash, "trace Go processes and capture at a fatal signal (SIGABRT, SIGSEGV, SIGBUS, ...)", NULL },
		{ "toolchain", 0, 0, G_OPTION_ARG_NONE, &c->opt.toolchain, "also watch the Go toolchain (go, compile, link, vet)", NULL },
	};
	G_STATIC_ASSERT(G_N_ELEMENTS(e) + 3 <= G_N_ELEMENTS(c->entries));
	memcpy(c->entries, e, sizeof e);
	if (pid)
		c->entries[G_N_ELEMENTS(e)] = (GOptionEntry){ "pid", 'p', 0, G_OPTION_ARG_INT, pid, "watch the running process PID and its descendants", "PID" };
}

void hw_watch_cli_clear(hw_watch_cli *c)
{
	g_free(c->output);
	g_free(c->limit);
	g_free(c->every);
	g_free(c->interval);
	g_free(c->cooldown);
	g_free(c->max_bytes);
}

gboolean hw_watch_cli_check(const hw_cli *cli, hw_watch_cli *c, int *status)
{
	hw_watch_options *o = &c->opt;
	o->interval_ns = (guint64)HW_WATCH_DEFAULT_INTERVAL_MS * 1000000u;
	o->cooldown_ns = (guint64)HW_WATCH_DEFAULT_COOLDOWN_S * 1000000000u;
	c->max_bytes_v = G_GUINT64_CONSTANT(4) << 30;
	if (!c->output) {
		*status = hw_cli_usage(cli, "--output (-o) DIR is required");
		return FALSE;
	}
	if (c->limit && (!hw_parse_size(c->limit, &o->limit) || o->limit == 0)) {
		*status = hw_cli_usage(cli, "--limit must be a size like 512M or 2G, not '%s'", c->limit);
		return FALSE;
	}
	if (c->max_bytes && !hw_parse_size(c->max_bytes, &c->max_bytes_v)) {
		*status = hw_cli_usage(cli, "--max-bytes must be a size like 512M or 2G, not '%s'", c->max_bytes);
		return FALSE;
	}
	if (!(c->at_percent > 0 && c->at_percent <= 100)) {
		*status = hw_cli_usage(cli, "--at must be a percentage in (0, 100], not %g", c->at_percent);
		return FALSE;
	}
	o->at = c->at_percent / 100.0;
	const struct { const char *flag, *arg; guint64 *ns; guint64 min; } d[] = {
		{ "--every", c->every, &o->every_ns, 1000000 },
		{ "--interval", c->interval, &o->interval_ns, 1000000 },
		{ "--cooldown", c->cooldown, &o->cooldown_ns, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(d); i++) {
		if (d[i].arg && (!parse_duration(d[i].arg, d[i].ns) || *d[i].ns < d[i].min)) {
			*status = hw_cli_usage(cli, "%s must be a duration like 500ms, 30s or 5m (at least 1ms), not '%s'",
			                       d[i].flag, d[i].arg);
			return FALSE;
		}
	}
	return hw_cli_check_min(cli, "--max-dumps", c->max_dumps, 0, status);
}

void hw_watch_summary(const hw_cli *cli, hw_watcher *w)
{
	GPtrArray *series = hw_watcher_series(w);
	const char *name = g_get_prgname();
	guint total = 0;
	for (guint i = 0; i < series->len; i++)
		total += ((hw_watch_series *)g_ptr_array_index(series, i))->snapshots->len;
	fprintf(stderr, "%s: %u snapshot%s\n", name, total, total == 1 ? "" : "s");
	hw_leak_thresholds t;
	hw_leak_thresholds_init(&t);
	for (guint i = 0; i < series->len; i++) {
		hw_watch_series *s = g_ptr_array_index(series, i);
		if (s->snapshots->len == 0)
			continue;
		fprintf(stderr, "\n== %s (pid %d%s%s): %u snapshot%s\n", s->name, (int)s->pid, s->main_path ? ", " : "",
		        s->main_path ? s->main_path : "", s->snapshots->len, s->snapshots->len == 1 ? "" : "s");
		for (guint k = 0; k < s->snapshots->len; k++)
			fprintf(stderr, "  %s\n", (const char *)g_ptr_array_index(s->snapshots, k));
		gboolean partial;
		int status;
		g_autoptr(GPtrArray) findings = hw_leaks_collect(cli, (char **)s->snapshots->pdata, (int)s->snapshots->len,
		                                                 &t, &partial, &status);
		if (!findings)
			continue;
		fprintf(stderr, "leak findings (heapwalk leaks):\n");
		if (findings->len == 0)
			fprintf(stderr, "  none\n");
		for (guint k = 0; k < findings->len; k++)
			hw_leaks_print_finding(stderr, g_ptr_array_index(findings, k), k + 1);
	}
}

/* `go test` and `go run` link without DWARF (-w) unless told otherwise, and the dumper
 * needs it: for a go command, GOFLAGS gets -ldflags=-w=0 in front, unless it sets
 * -ldflags itself (flags on the command line override GOFLAGS, so an explicit -ldflags
 * still wins). */
static void keep_dwarf(const char *cmd)
{
	g_autofree char *base = g_path_get_basename(cmd);
	const char *flags = getenv("GOFLAGS");
	if (strcmp(base, "go") != 0 || (flags && strstr(flags, "-ldflags")))
		return;
	g_autofree char *v = flags && *flags ? g_strconcat("-ldflags=-w=0 ", flags, NULL) : g_strdup("-ldflags=-w=0");
	setenv("GOFLAGS", v, 1);
}

int hw_cmd_run(const hw_command *cmd, int argc, char **argv)
{
	g_auto(hw_cli) cli = { .cmd = cmd };
	g_auto(hw_watch_cli) wc;
	int status;

	hw_watch_cli_init(&wc, "heapwalk run", NULL);
	if (!hw_cli_parse(&cli, wc.entries,
	                  "Runs CMD and follows its descendants; each Go process among them is captured\n"
	                  "when its memory crosses --at percent of its limit (cgroup v1/v2 limit, --limit\n"
	                  "on RSS, or the machine's memory), every --every, and at a fatal signal with\n"
	                  "--on-crash. At the end the snapshots and their leak findings are printed on\n"
	                  "stderr, and heapwalk exits with CMD's status. docs/capture-ci.md has examples.\n"
	                  "Examples:\n  heapwalk run -o snaps -- go test -run TestLeaky ./pkg\n"
	                  "  heapwalk run --limit 1G --every 30s --on-crash -o /var/tmp/snaps -- ./server\n",
	                  -1, &argc, &argv, &status))
		return status;
	if (!hw_watch_cli_check(&cli, &wc, &status))
		return status;

	g_autoptr(GError) error = NULL;
	g_autoptr(hw_outdir) out = hw_outdir_open(wc.output, wc.max_bytes_v, (guint)wc.max_dumps, &error);
	if (!out)
		return hw_cli_fail(&cli, error);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		fprintf(stderr, "heapwalk run: warning: cannot become a subreaper (%s); orphaned descendants are "
		        "not followed\n", g_strerror(errno));

	sigset_t set, old;
	hw_watcher_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(e), "fork failed: %s", g_strerror(e));
		return hw_cli_fail(&cli, error);
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (wc.opt.on_crash)
			setenv("GOTRACEBACK", "crash", 0);
		keep_dwarf(argv[1]);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "heapwalk run: cannot run %s: %s\n", argv[1], g_strerror(errno));
		_exit(127);
	}

	g_autoptr(hw_watcher) w = hw_watcher_new(&wc.opt, out, getpid(), child);
	int st = -1;
	if (!hw_watcher_run(w, &st, &error)) {
		kill(child, SIGTERM);
		waitpid(child, &st, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return hw_cli_fail(&cli, error);
	}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : HW_EXIT_ERROR;
	if (WIFSIGNALED(st))
		fprintf(stderr, "heapwalk run: %s was killed by %s\n", argv[1], g_strsignal(WTERMSIG(st)));
	else
		fprintf(stderr, "heapwalk run: %s exited with status %d\n", argv[1], code);
	hw_watch_summary(&cli, w);
	/* Our own exit must not leave a traced process stopped: the watcher detaches first. */
	g_clear_pointer(&w, hw_watcher_free);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return code;
}

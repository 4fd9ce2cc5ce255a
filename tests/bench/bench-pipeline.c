/* bench-pipeline.c - time and memory of each analysis phase on one snapshot.
 *
 * Not a test: it asserts nothing and its numbers depend on the machine. It opens a snapshot
 * and runs the pipeline the CLI runs (open + validate, graph load, dominators with retained
 * sizes, shortest-path index), keeping every result alive as the CLI does, and prints per
 * phase the wall time and memory. tests/bench/run-bench.sh drives it; docs/performance.md
 * records the results and explains the measurement, in short:
 *
 * The snapshot is mapped, so its pages show up in RSS as RssFile: they belong to the page
 * cache and cost no private memory. What the analysis itself allocates is anonymous memory
 * (RssAnon). Linux keeps no high-water mark for RssAnon alone, so a sampler thread reads
 * /proc/self/status every millisecond (and at every phase boundary and progress callback)
 * and keeps the largest RssAnon seen. As a cross-check, VmHWM (the peak of anon + file) is
 * reset at the start of each phase (clear_refs 5); since file pages only accumulate while the
 * mapping lives, VmHWM - RssFile at the end of a phase is a lower bound of that phase's anon
 * peak too. The reported peak is the larger of the two, minus the anon memory the process had
 * before opening the snapshot (libc, glib), divided by the object count for bytes/object.
 *
 * With an hwgen expectations file (samples/README.md) as second argument it then checks the
 * results against it, untimed: the reachability totals, and the immediate dominator and
 * retained size of every object the file lists. That makes each benchmark run a correctness
 * check at a scale brute force cannot reach (a 10-million-deep chain, every object).
 *
 * Usage: bench-pipeline SNAPSHOT [EXPECTATIONS]
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dominators.h"
#include "graph.h"
#include "hwd.h"
#include "paths.h"
#include "retained.h"

typedef struct mem_sample {
	uint64_t anon, file, hwm;   /* bytes */
} mem_sample;

static mem_sample read_status(void)
{
	mem_sample s = { 0 };
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return s;
	char line[256];
	unsigned long long kb;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
			s.anon = kb * 1024;
		else if (sscanf(line, "RssFile: %llu kB", &kb) == 1)
			s.file = kb * 1024;
		else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			s.hwm = kb * 1024;
	}
	fclose(f);
	return s;
}

/* Resets VmHWM to the current RSS; returns FALSE where the kernel does not allow it. */
static gboolean reset_hwm(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f)
		return FALSE;
	gboolean ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

#define MAX_PHASES 16

typedef struct phase {
	const char *call;        /* the API call being timed */
	const char *name;        /* its internal phase, from progress callbacks; NULL if none */
	double seconds;          /* wall clock */
	double cpu;              /* CPU time of the analysing thread */
	uint64_t anon_peak;      /* largest RssAnon sampled during the phase */
	mem_sample end;          /* at the end of the phase */
} phase;

typedef struct bench {
	GMutex lock;
	phase phases[MAX_PHASES];
	int n_phases;
	int current;             /* index into phases, -1 between phases */
	gint64 started;          /* monotonic µs at the current phase's start */
	double cpu_started;      /* thread CPU seconds at the current phase's start */
	gboolean unnamed;        /* the current phase has had no progress callback yet */
	gboolean stop;
	gboolean hwm_reset_ok;
} bench;

/* CPU seconds of the calling thread: the analyses are single-threaded, and unlike wall time
 * this hardly moves when other processes compete for the cores. */
static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample_into(bench *b)
{
	mem_sample s = read_status();
	g_mutex_lock(&b->lock);
	if (b->current >= 0 && s.anon > b->phases[b->current].anon_peak)
		b->phases[b->current].anon_peak = s.anon;
	g_mutex_unlock(&b->lock);
}

static gpointer sampler(gpointer data)
{
	bench *b = data;
	while (!g_atomic_int_get(&b->stop)) {
		sample_into(b);
		g_usleep(1000);
	}
	return NULL;
}

static void phase_begin(bench *b, const char *call)
{
	g_assert(b->n_phases < MAX_PHASES);
	if (!reset_hwm())
		b->hwm_reset_ok = FALSE;
	g_mutex_lock(&b->lock);
	b->current = b->n_phases++;
	b->phases[b->current] = (phase){ .call = call };
	b->started = g_get_monotonic_time();
	b->cpu_started = thread_cpu();
	b->unnamed = TRUE;
	g_mutex_unlock(&b->lock);
	sample_into(b);
}

static void phase_end(bench *b)
{
	gint64 now = g_get_monotonic_time();
	double cpu = thread_cpu();
	sample_into(b);
	mem_sample s = read_status();
	g_mutex_lock(&b->lock);
	phase *p = &b->phases[b->current];
	p->seconds = (double)(now - b->started) / 1e6;
	p->cpu = cpu - b->cpu_started;
	p->end = s;
	if (b->hwm_reset_ok && s.hwm > s.file && s.hwm - s.file > p->anon_peak)
		p->anon_peak = s.hwm - s.file;
	b->current = -1;
	g_mutex_unlock(&b->lock);
}

/* Progress callbacks split one API call into its internal phases (e.g. dfs, dominators,
 * retained): the first report names the phase begun for the call, so the call's setup time
 * counts in its first internal phase; a change of name ends one phase and begins the next. */
static void on_progress(const char *name, double fraction, void *user)
{
	(void)fraction;
	bench *b = user;
	g_assert(b->current >= 0);
	phase *cur = &b->phases[b->current];
	if (b->unnamed) {
		cur->name = name;
		b->unnamed = FALSE;
	} else if (strcmp(cur->name, name) != 0) {
		const char *call = cur->call;
		phase_end(b);
		phase_begin(b, call);
		b->phases[b->current].name = name;
		b->unnamed = FALSE;
	}
	sample_into(b);
}

static void die(const char *what, GError *error)
{
	fprintf(stderr, "bench-pipeline: %s: %s\n", what, error ? error->message : "failed");
	exit(1);
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

/* Compares the results with hwgen's expectations; prints one "oracle" line, returns the
 * number of mismatches (the first few are described on stderr). */
static uint64_t check_oracle(const char *path, hw_domtree *d)
{
	const uint32_t n = hw_graph_n_objects(hw_domtree_graph(d));
	const hw_heap_totals tot = hw_domtree_totals(d);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("oracle        cannot open %s\n", path);
		return 1;
	}
	uint64_t checked = 0, bad = 0;
	char line[256], key[64], idom_s[32];
	unsigned long long v1, v2;
	unsigned idx;
	while (fgets(line, sizeof line, f)) {
		const char *what = NULL;
		unsigned long long want = 0, got = 0;
		if (sscanf(line, "object %u %31s %llu", &idx, idom_s, &v2) == 3) {
			checked++;
			uint32_t idom = hw_domtree_idom(d, idx);
			int idom_ok = strcmp(idom_s, "root") == 0   ? idom == n
				      : strcmp(idom_s, "none") == 0 ? idom == HW_NONE
								    : idom == (uint32_t)strtoul(idom_s, NULL, 10);
			if (idx >= n || !idom_ok || hw_retained_size(d, idx) != v2) {
				if (bad++ < 5)
					fprintf(stderr, "oracle: object %u: expected idom %s retained %llu, got idom %u "
						"retained %llu\n", idx, idom_s, v2, idom,
						(unsigned long long)hw_retained_size(d, idx));
			}
			continue;
		}
		if (sscanf(line, "%63s %llu", key, &v1) != 2)
			continue;
		want = v1;
		if (strcmp(key, "reachable_objects") == 0)
			what = key, got = tot.reachable_count;
		else if (strcmp(key, "reachable_bytes") == 0)
			what = key, got = tot.reachable_bytes;
		else if (strcmp(key, "unreachable_objects") == 0)
			what = key, got = tot.unreachable_count;
		else if (strcmp(key, "unreachable_bytes") == 0)
			what = key, got = tot.unreachable_bytes;
		if (what && want != got && bad++ < 5)
			fprintf(stderr, "oracle: %s: expected %llu, got %llu\n", what, want, got);
	}
	fclose(f);
	if (bad)
		printf("oracle        MISMATCH: %llu differences (%llu objects listed)\n",
		       (unsigned long long)bad, (unsigned long long)checked);
	else
		printf("oracle        ok: totals and %llu objects' idom and retained size\n",
		       (unsigned long long)checked);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: bench-pipeline SNAPSHOT [EXPECTATIONS]\n");
		return 2;
	}
	const char *path = argv[1];
	bench b = { .current = -1, .hwm_reset_ok = TRUE };
	g_mutex_init(&b.lock);
	const uint64_t baseline_anon = read_status().anon;
	GThread *t = g_thread_new("sampler", sampler, &b);
	GError *error = NULL;

	phase_begin(&b, "open+validate");
	hwd_reader *r = NULL;
	hwd_error herr;
	if (hwd_reader_open(path, HWD_OPEN_STRICT, &r, &herr) < 0) {
		fprintf(stderr, "bench-pipeline: %s: %s\n", path, herr.message);
		return 1;
	}
	phase_end(&b);

	phase_begin(&b, "graph load");
	hw_graph *g = hw_graph_load(r, on_progress, &b, &error);
	if (!g)
		die("graph load", error);
	phase_end(&b);

	phase_begin(&b, "dominators");
	hw_domtree *d = hw_domtree_compute(g, on_progress, &b, &error);
	if (!d)
		die("dominators", error);
	phase_end(&b);

	phase_begin(&b, "path index");
	hw_path_index *p = hw_path_index_build(g, on_progress, &b, &error);
	if (!p)
		die("path index", error);
	phase_end(&b);

	g_atomic_int_set(&b.stop, TRUE);
	g_thread_join(t);

	const uint32_t n = hw_graph_n_objects(g);
	hw_heap_totals tot = hw_domtree_totals(d);
	GStatBuf st;
	uint64_t file_bytes = g_stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
	printf("snapshot      %s\n", path);
	printf("objects       %u\nedges         %llu\nroots         %llu\nfile          %.1f MiB\n", n,
	       (unsigned long long)hw_graph_n_edges(g), (unsigned long long)hw_graph_n_roots(g),
	       mib(file_bytes));
	printf("reachable     %llu objects, %llu bytes (super-root retains %llu)\n",
	       (unsigned long long)tot.reachable_count, (unsigned long long)tot.reachable_bytes,
	       (unsigned long long)hw_retained_size(d, n));
	printf("unreachable   %llu objects, %llu bytes\n", (unsigned long long)tot.unreachable_count,
	       (unsigned long long)tot.unreachable_bytes);
	printf("baseline anon %.1f MiB (before open; subtracted below)\n\n", mib(baseline_anon));

	printf("%-28s %8s %8s %14s %15s %12s\n", "phase", "wall s", "cpu s", "anon peak MiB",
	       "anon peak B/obj", "RssFile MiB");
	double total = 0, total_cpu = 0;
	uint64_t peak = 0;
	/* A call may report the same internal phase more than once (e.g. a final progress report
	 * after a sub-step); such repeats are added to the phase's first appearance. */
	gboolean *done = g_new0(gboolean, b.n_phases);
	for (int i = 0; i < b.n_phases; i++) {
		if (done[i])
			continue;
		phase sum = b.phases[i];
		for (int j = i + 1; j < b.n_phases; j++) {
			const phase *q = &b.phases[j];
			if (strcmp(q->call, sum.call) == 0 && q->name && sum.name && strcmp(q->name, sum.name) == 0) {
				done[j] = TRUE;
				sum.seconds += q->seconds;
				sum.cpu += q->cpu;
				sum.anon_peak = MAX(sum.anon_peak, q->anon_peak);
				sum.end = q->end;
			}
		}
		uint64_t anon = sum.anon_peak > baseline_anon ? sum.anon_peak - baseline_anon : 0;
		char label[64];
		if (sum.name)
			snprintf(label, sizeof label, "%s: %s", sum.call, sum.name);
		else
			snprintf(label, sizeof label, "%s", sum.call);
		peak = MAX(peak, anon);
		total += sum.seconds;
		total_cpu += sum.cpu;
		printf("%-28s %8.3f %8.3f %14.1f %15.1f %12.1f\n", label, sum.seconds, sum.cpu, mib(anon),
		       n ? (double)anon / n : 0.0, mib(sum.end.file));
	}
	g_free(done);
	printf("%-28s %8.3f %8.3f %14.1f %15.1f\n", "whole pipeline", total, total_cpu, mib(peak),
	       n ? (double)peak / n : 0.0);
	if (!b.hwm_reset_ok)
		printf("(VmHWM could not be reset here; the anon peaks rest on sampling alone)\n");

	uint64_t bad = argc == 3 ? check_oracle(argv[2], d) : 0;

	hw_path_index_free(p);
	hw_domtree_free(d);
	hw_graph_free(g);
	hwd_reader_close(r);
	return bad ? 1 : 0;
}

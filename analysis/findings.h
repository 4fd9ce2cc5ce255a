/* findings.h - leak findings: what leaks, how much it holds, and which line to look at.
 *
 * This is the model every leak-oriented output shares (`heapwalk leaks`, `heapwalk report`).
 * The pipeline has two stages so that a series of large snapshots never has to be in memory
 * at once:
 *
 *   1. per snapshot: hw_leak_summary_compute() (leaks.c) walks one loaded snapshot (graph,
 *      dominator tree, path index) and keeps only per-group aggregates: goroutine groups,
 *      containers and listener collections keyed by their masked retention-path signature,
 *      each with its numbers and one example's retention path rendered as strings. The
 *      summary borrows nothing: the caller releases the snapshot right after.
 *   2. over the series: hw_leaks_detect() runs the detectors (analysis/leaks/goroutines.c,
 *      caches.c, listeners.c) over the summaries, oldest first, and returns the findings.
 *      A series of one snapshot uses the single-snapshot rules; two or more use growth rules.
 *
 * Every threshold lives in hw_leak_thresholds; hw_leak_thresholds_init() sets the defaults
 * below, and docs/findings.md gives each default's reason and the CLI flag that changes it.
 *
 * Units: bytes for sizes, nanoseconds for times, counts are plain counts. Per-snapshot arrays
 * have one element per snapshot of the series, oldest first; a group absent from a snapshot
 * counts 0 there. Ownership: a finding owns every string and array it points to;
 * hw_finding_free() releases it (the GPtrArray hw_leaks_detect() returns has it as its free
 * function). Strings are UTF-8 as far as the snapshot's names are, NUL-terminated, never NULL
 * unless said otherwise.
 */
#ifndef HW_FINDINGS_H
#define HW_FINDINGS_H

#include <glib.h>
#include <stdint.h>

#include "allocsites.h"
#include "dominators.h"
#include "paths.h"

G_BEGIN_DECLS

/* ---- kinds and severity ------------------------------------------------------------------ */

/* Stable values: JSON writes the names (hw_finding_kind_name), baselines match on them. */
typedef enum hw_finding_kind {
	HW_FINDING_GOROUTINES = 1,   /* leaked goroutines: a blocked group that grows or piles up */
	HW_FINDING_CACHE = 2,        /* a growing cache: a container that grows, or one dominator
	                              * holding a large share of the heap (single snapshot) */
	HW_FINDING_LISTENERS = 3,    /* unreleased listeners: a growing collection of callbacks */
	HW_FINDING_KIND__COUNT
} hw_finding_kind;

/* Ordered: a larger value is more severe. docs/findings.md states the rule:
 * HIGH when the finding retains >= severity_high_share of the reachable heap in the last
 * snapshot; MEDIUM when it retains >= severity_medium_share, or grows across a series;
 * LOW otherwise. */
typedef enum hw_severity {
	HW_SEVERITY_LOW = 1,
	HW_SEVERITY_MEDIUM = 2,
	HW_SEVERITY_HIGH = 3,
} hw_severity;

/* "goroutines", "cache", "listeners"; "low", "medium", "high". Static strings. */
const char *hw_finding_kind_name(hw_finding_kind kind);
const char *hw_severity_name(hw_severity severity);
/* The inverse of hw_severity_name (for --fail-on); FALSE when `name` is none of them. */
gboolean hw_severity_parse(const char *name, hw_severity *out);

/* ---- the parts of a finding -------------------------------------------------------------- */

/* A place in the source. func, file may be "" when unknown; line 0 when unknown. */
typedef struct hw_location {
	char *func;
	char *file;
	uint32_t line;
} hw_location;

/* Frame `index` of the graph's reader as a location (all empty when there is none). */
hw_location hw_location_of_frame(const hw_graph *g, uint32_t index);
hw_location hw_location_copy(const hw_location *l);
void hw_location_clear(hw_location *l);

/* The root a retention path starts from. For a global: name is the variable's name. For a
 * stack slot: goroutine_id is the runtime's goroutine id and frame the frame holding the slot
 * (its function, file and line). Other kinds: name as the snapshot gives it. */
typedef struct hw_finding_root {
	hwd_root_kind kind;
	char *name;              /* "" when the root has none */
	uint64_t goroutine_id;   /* stack roots; 0 otherwise */
	hw_location frame;       /* stack roots; all empty otherwise */
	char *type;              /* type name of the root's target object, "" unknown */
	uint64_t addr;           /* address of the root's target object */
} hw_finding_root;

/* One step of a retention path: the edge taken (label, or "+OFFSET" when it has none) and the
 * type name of the object it reaches. */
typedef struct hw_finding_step {
	char *label;
	char *type;
	uint64_t addr;           /* address of the object reached, in the snapshot it came from */
} hw_finding_step;

/* The shortest retention path (paths.h) to the finding's example object, in the last snapshot
 * where the group exists. `steps` is a GArray of hw_finding_step, from the root's target to
 * the example (empty when the example is the root's target). */
typedef struct hw_finding_path {
	hw_finding_root root;
	GArray *steps;
} hw_finding_path;

/* Renders a retention path of graph g (paths.h) with the names it uses. */
hw_finding_path hw_finding_path_from(const hw_graph *g, const hw_path *path);
hw_finding_path hw_finding_path_copy(const hw_finding_path *p);
void hw_finding_path_clear(hw_finding_path *p);

/* Kind-specific details. */
typedef struct hw_finding_goroutines {
	char *state;             /* "waiting", ... */
	char *wait_reason;       /* "chan receive", "select", "sync.WaitGroup.Wait", "sleep", ... */
	char *start_func;        /* the goroutine's entry function */
	hw_location created_at;  /* the `go` statement: creator function, file, line */
	hw_location waits_at;    /* the innermost frame outside the runtime: where it blocks */
	int64_t longest_wait_ns; /* the longest wait in the group (last snapshot), -1 unknown */
	uint64_t stack_bytes;    /* sum of the group's stack sizes (last snapshot) */
} hw_finding_goroutines;

typedef struct hw_finding_cache {
	char *container_type;    /* type name of the container (or accumulation point) */
	uint64_t *entries;       /* per snapshot: pointers the container holds (see leaks.c) */
	/* Single snapshot: the dominator holding the share, and its retained bytes. For a growth
	 * finding dominator_type is "" and dominator_retained 0. */
	char *dominator_type;
	uint64_t dominator_retained;
} hw_finding_cache;

typedef struct hw_finding_listeners {
	char *collection_type;   /* type name of the collection (slice backing array, map) */
	char *element;           /* what it collects: "closure", "interface", or a type name */
	uint64_t *entries;       /* per snapshot: listener elements in the collection(s) */
	uint64_t closure_retained; /* bytes retained through the elements (last snapshot) */
} hw_finding_listeners;

/* Where a finding's objects were allocated (allocsites.h), in the last snapshot: the objects
 * its containers or accumulation point retain (their dominator subtrees), or for goroutines
 * the objects the group's stacks alone keep alive (the bytes of its `retained`). Shares come
 * from the heap profiler's samples, so they are estimates unless the rate is 1: `sampling`
 * says which, with the sample count, and must be shown wherever a share is. Without samples
 * (a snapshot without allocation sites, a group none of whose objects was sampled) `sites` is
 * empty and `described`, `sampling` are "". */
typedef struct hw_finding_site {
	hw_location at;          /* the site: first frame outside the runtime */
	uint64_t samples;        /* sampled allocations of the finding's objects from here */
	uint64_t bytes;          /* their bytes as the profiler counts them */
	double share;            /* of the finding's estimated bytes, in [0, 1] */
} hw_finding_site;

typedef struct hw_finding_sites {
	uint64_t objects;        /* objects summarised */
	uint64_t sampled_objects; /* of which sampled */
	uint64_t samples;        /* samples the shares come from */
	uint64_t rate;           /* the profiler's rate, bytes per sample (1: every allocation; 0 unknown) */
	GArray *sites;           /* hw_finding_site, largest share first; never NULL */
	char *described;         /* "allocated at vault.go:41 main.fillVault (97%), ..." (3 sites) */
	char *sampling;          /* "shares of 412 samples at 1 per 512 KiB: estimates" */
} hw_finding_sites;

/* From a summary of snapshot `s` (either may be NULL: no sites). */
hw_finding_sites hw_finding_sites_from(const hw_allocsites *s, const hw_site_summary *sum);
hw_finding_sites hw_finding_sites_copy(const hw_finding_sites *x);
void hw_finding_sites_clear(hw_finding_sites *x);

/* ---- a finding --------------------------------------------------------------------------- */

typedef struct hw_finding {
	hw_finding_kind kind;
	hw_severity severity;
	/* Identity across runs: kind name + masked signature (goroutines: created/waits/state).
	 * Equal keys mean "the same finding" for baselines; never contains addresses or ids. */
	char *key;
	char *title;             /* one line: "1200 goroutines blocked in chan receive at x.go:42" */
	char *signature;         /* the masked retention-path signature (groups.h) or goroutine key */

	uint32_t n_snapshots;    /* length of the per-snapshot arrays below */
	uint64_t *counts;        /* per snapshot: goroutines, containers, or listener collections */
	uint64_t *bytes;         /* per snapshot: their shallow bytes (goroutines: stack bytes) */
	uint64_t *retained;      /* per snapshot: retained bytes, never double counted */
	/* Growth per snapshot step: (last - first) / (n_snapshots - 1), 0 for one snapshot. For
	 * goroutines and listeners the growth of `counts`; for caches of `entries`. */
	double growth;
	double retained_growth;  /* bytes per step, same rule, of `retained` */
	/* Last snapshot's values (the same as the arrays' last elements), for sorting and display. */
	uint64_t count;
	uint64_t bytes_last;
	uint64_t retained_last;
	double heap_share;       /* retained_last / reachable bytes of the last snapshot */

	hw_finding_path path;    /* from the root to the example */
	hw_location look_at;     /* the source location to look at first (see docs/findings.md) */
	char *suggestion;        /* one line */
	hw_finding_sites sites;  /* where its objects were allocated (last snapshot) */

	union {
		hw_finding_goroutines goroutines;   /* kind == HW_FINDING_GOROUTINES */
		hw_finding_cache cache;             /* kind == HW_FINDING_CACHE */
		hw_finding_listeners listeners;     /* kind == HW_FINDING_LISTENERS */
	} u;
} hw_finding;

void hw_finding_free(hw_finding *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_finding, hw_finding_free)

/* ---- thresholds -------------------------------------------------------------------------- */

/* Every number a detector compares against. docs/findings.md: default, reason, flag. */
typedef struct hw_leak_thresholds {
	/* growth rule (series of >= 2 snapshots), shared by the three detectors: a quantity grows
	 * when last - first >= the detector's absolute minimum, last >= first * (1 + growth_ratio),
	 * and it rises in at least growth_rising_fraction of the steps. */
	double growth_ratio;             /* 0.10 */
	double growth_rising_fraction;   /* 0.5 */

	/* leaked goroutines */
	uint64_t goroutine_min_growth;   /* 10 goroutines over the series */
	uint64_t goroutine_many;         /* 100: single snapshot, "many" */
	int64_t goroutine_long_wait_ns;  /* 60 s: single snapshot, "long-waiting" */

	/* growing caches */
	uint64_t cache_min_entries;      /* 16: containers with fewer entries are not summarised */
	uint64_t cache_min_growth;       /* 64 entries over the series */
	uint64_t cache_min_retained_growth; /* 1 MiB over the series (alternative to entries) */
	double cache_dominator_share;    /* 0.10: single snapshot, share of the reachable heap */
	double cache_accumulation;       /* 0.70: go down while the biggest child keeps this share */

	/* unreleased listeners */
	uint64_t listener_min_growth;    /* 10 listeners over the series */
	double listener_element_share;   /* 0.5: share of a collection's elements that must be listeners */
	double listener_retained_share;  /* 0.05: single snapshot, retained through the listeners */

	/* severity */
	double severity_high_share;      /* 0.20 of the reachable heap */
	double severity_medium_share;    /* 0.05 */
} hw_leak_thresholds;

void hw_leak_thresholds_init(hw_leak_thresholds *t);

/* ---- the series -------------------------------------------------------------------------- */

/* One snapshot, summarised (leaks.c). Opaque; owns all it holds (a few KiB per group). */
typedef struct hw_leak_summary hw_leak_summary;

/* Summarises one snapshot. `d` and `p` must belong to the same graph, which must come from a
 * reader (goroutines and frames are read from it). `sites`, built from that graph, adds the
 * allocation sites of each group's objects; pass it for the last snapshot of a series (the
 * one findings show), NULL for the others. The summary borrows nothing from them.
 * HW_ERROR_NOMEM on allocation failure. */
hw_leak_summary *hw_leak_summary_compute(hw_domtree *d, const hw_path_index *p, const hw_allocsites *sites,
                                         const hw_leak_thresholds *t,
                                         hw_progress_fn progress, void *user, GError **error);
void hw_leak_summary_free(hw_leak_summary *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_leak_summary, hw_leak_summary_free)

/* Reachable bytes of the summarised snapshot (the denominator of every share). */
uint64_t hw_leak_summary_heap_bytes(const hw_leak_summary *s);

/* Runs every detector over `series` (n >= 1 summaries, oldest first). Returns a GPtrArray of
 * hw_finding* (owning them), sorted by severity, then retained_last, then key; empty when
 * nothing is found. Never fails on valid summaries. */
GPtrArray *hw_leaks_detect(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t);

G_END_DECLS

#endif /* HW_FINDINGS_H */

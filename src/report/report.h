/* report.h - the nightly leak report: its model, and the writers that render it.
 *
 * `heapwalk report SNAP... -o DIR` loads the snapshots of a series one at a time, oldest
 * first; while each is loaded, hw_report_add_snapshot() keeps what the report needs from it
 * (totals, the mem.* metadata, per-type counts and bytes, the leak summary of findings.h and,
 * for the last one, the top of its dominator tree), so the model holds a few KiB per snapshot
 * and never two graphs at once. hw_report_finish() then runs the leak detectors over the
 * series and ranks the types that grew. A baseline (baseline.c: last night's report.json)
 * marks each finding new or known and lists the ones that vanished; the gate (failon.c)
 * decides the exit status. The writers render the same model three ways: report.html
 * (html.c, self-contained: inline CSS and SVG charts from chart.c), report.md (md.c) and
 * report.json (json.c, schema heapwalk/report/1, documented in docs/report.md).
 *
 * Units: bytes, nanoseconds; per-snapshot arrays have one element per snapshot, oldest first.
 * Ownership: the report owns everything it points to; hw_report_free() releases it.
 */
#ifndef HW_REPORT_H
#define HW_REPORT_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include "dominators.h"
#include "findings.h"
#include "goroutines.h"
#include "paths.h"
#include "retained.h"

G_BEGIN_DECLS

#define HW_REPORT_SCHEMA "heapwalk/report/1"

/* How much of the dominator tree and of the type table the report shows: enough to see where
 * the memory is, little enough to read without scrolling (docs/report.md gives the reasons). */
#define HW_REPORT_TOP_ROOTS 10      /* biggest children of the super-root */
#define HW_REPORT_TOP_CHILDREN 3    /* under each, its biggest children */
#define HW_REPORT_TOP_TYPES 8       /* types whose bytes grew most (or were largest) */
#define HW_REPORT_CHARTED_TYPES 5   /* of those, drawn in the growth chart */
#define HW_REPORT_TOP_GOROUTINES 10 /* biggest goroutine groups */

/* A mem.* metadata entry of a snapshot: memory as the runtime and the kernel count it. */
typedef struct hw_report_mem {
	char *key;        /* "mem.rss", "mem.heap_inuse", ... (docs/format.md) */
	uint64_t value;   /* bytes */
} hw_report_mem;

typedef struct hw_report_snapshot {
	char *path;
	int64_t time_ns;            /* capture.time_ns, 0 when the snapshot does not say */
	hw_heap_totals totals;      /* reachable and unreachable objects and bytes */
	uint64_t goroutines;
	char *damage;               /* NULL for a whole snapshot; what was lost otherwise */
	GArray *mem;                /* of hw_report_mem: the u64 mem.* keys, in file order, once each */
	GPtrArray *notes;           /* of char*: the mem.rss.note and mem.note strings (why numbers are missing) */
} hw_report_snapshot;

/* A node of the top of the last snapshot's dominator tree, in preorder. */
typedef struct hw_report_node {
	uint32_t depth;             /* 0: dominated by the super-root only */
	char *type;                 /* "" when unknown */
	uint64_t addr;
	uint64_t size;
	uint64_t retained;
} hw_report_node;

/* A type's reachable objects across the series. */
typedef struct hw_report_type {
	char *name;                 /* "" for objects of unknown type */
	uint64_t *count;            /* per snapshot */
	uint64_t *bytes;            /* per snapshot: their shallow bytes */
} hw_report_type;

/* A finding of the baseline that the current series no longer shows. */
typedef struct hw_report_gone {
	char *key;
	char *kind;
	char *severity;
	char *title;
	uint64_t retained;          /* in the baseline's last snapshot */
} hw_report_gone;

/* The gate's verdict (failon.c). */
typedef struct hw_report_gate {
	gboolean enabled;           /* --fail-on was given */
	char *rules;                /* the rules, normalised: "growth>10%,new>=medium" */
	gboolean failed;
	GPtrArray *violations;      /* of char*: one sentence per broken rule */
} hw_report_gate;

typedef struct hw_report {
	guint n;                     /* snapshots added */
	GPtrArray *snapshots;        /* of hw_report_snapshot* */
	hw_leak_thresholds thresholds;
	GPtrArray *findings;         /* of hw_finding* (findings.h), after hw_report_finish() */
	GArray *top;                 /* of hw_report_node: the last snapshot's dominator tree */
	GPtrArray *types;            /* of hw_report_type*, after hw_report_finish() */
	GPtrArray *goroutines;       /* of hw_goroutine_group* (goroutines.h): the last snapshot's
	                              * biggest groups, at most HW_REPORT_TOP_GOROUTINES */
	guint goroutine_groups;      /* all groups of the last snapshot */
	char *pprof;                 /* the pprof profile written of the last snapshot, or NULL */

	/* Baseline comparison (hw_report_compare()); baseline is NULL without one. */
	char *baseline;              /* the baseline report's path */
	uint64_t baseline_reachable; /* reachable bytes of the baseline's last snapshot */
	gboolean *is_new;            /* per finding: its key is not in the baseline (all TRUE without one) */
	GPtrArray *gone;             /* of hw_report_gone* */

	hw_report_gate gate;

	/* private to model.c: the per-snapshot leak summaries and type tables until finish */
	GPtrArray *summaries;
	GHashTable *type_index;      /* type name -> hw_report_type* */
} hw_report;

hw_report *hw_report_new(const hw_leak_thresholds *thresholds);
void hw_report_free(hw_report *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_report, hw_report_free)

/* Adds the next snapshot of the series (path as given; d and p from the same graph, which
 * must come from a reader). `last` says it is the final one: the top of its dominator tree and its
 * goroutine groups are kept. Nothing of the graph is borrowed after the call. HW_ERROR_NOMEM on allocation failure. */
gboolean hw_report_add_snapshot(hw_report *r, const char *path, hw_domtree *d, const hw_path_index *p,
                                gboolean last, hw_progress_fn progress, void *user, GError **error);

/* Runs the detectors over the series and ranks the types; call once, after the last add. */
void hw_report_finish(hw_report *r);

/* The numbers every output's summary starts with (after hw_report_finish(), and after
 * hw_report_compare() when there is a baseline). */
typedef struct hw_report_tally {
	uint64_t by_severity[HW_SEVERITY_HIGH + 1];   /* findings per severity */
	uint64_t fresh;               /* findings that are new (all of them without a baseline) */
	gboolean from_baseline;       /* growth is measured from the baseline, else from the first snapshot */
	uint64_t from, to;            /* reachable bytes there and in the last snapshot */
	double growth_pct;            /* 100 (to - from) / from; INFINITY from 0 to more, 0 from 0 to 0 */
} hw_report_tally;
hw_report_tally hw_report_tally_of(const hw_report *r);

/* ---- baseline.c ---------------------------------------------------------------------- */

/* Reads last night's report.json (schema heapwalk/report/1) and compares: each finding is
 * new or known (by key), the baseline's findings missing now are listed as gone. Fails with a
 * G_FILE_ERROR naming the path, or HW_ERROR_INVALID naming the path and the member that is
 * wrong (not JSON, another schema, a member of the wrong type). */
gboolean hw_report_compare(hw_report *r, const char *baseline_path, GError **error);

/* ---- failon.c ------------------------------------------------------------------------ */

/* The --fail-on rules. */
typedef struct hw_failon {
	gboolean growth;             /* fail when the reachable bytes grew by more than growth_pct */
	double growth_pct;
	gboolean new_finding;        /* fail on a new finding at or above new_severity */
	hw_severity new_severity;
} hw_failon;

/* The defaults and their reasons are in docs/report.md. */
#define HW_FAILON_DEFAULT_GROWTH_PCT 10.0
#define HW_FAILON_DEFAULT_SEVERITY HW_SEVERITY_MEDIUM

/* Adds the rules of one --fail-on argument ("growth", "growth=25", "new=high", comma
 * separated) to *f. FALSE with a message naming the bad rule (G_OPTION_ERROR_BAD_VALUE). */
gboolean hw_failon_parse(hw_failon *f, const char *spec, GError **error);

/* Evaluates the rules against the finished (and compared) report and stores the verdict in
 * r->gate. Growth is measured from the baseline's last snapshot when there is a baseline,
 * else from the series' first snapshot. */
void hw_failon_evaluate(const hw_failon *f, hw_report *r);

/* ---- writers: html.c, md.c, json.c --------------------------------------------------- */

/* Each writes the whole document to `out`; errors are the caller's to check on the FILE. */
void hw_report_write_html(const hw_report *r, FILE *out);
void hw_report_write_md(const hw_report *r, FILE *out);
void hw_report_write_json(const hw_report *r, FILE *out);

/* mem.rss.* keys split the resident set (they add up to mem.rss, docs/format.md). */
gboolean hw_report_mem_is_rss_part(const char *key);
/* Every mem.* key is bytes except the object counts runtime.MemStats names *_objects. */
gboolean hw_report_mem_is_bytes(const char *key);

/* Shared by the writers (model.c): a finding's retention path as one line per hop, the
 * root first ("global main.sessionCache (map[string]*main.Session)", ".payload ([]uint8)"). */
GPtrArray *hw_report_path_lines(const hw_finding *f);
/* A source location as "func (file:line)", "" when unknown. Newly allocated. */
char *hw_report_location(const hw_location *l);
/* A snapshot's short name: its file name without directories. Newly allocated. */
char *hw_report_snapshot_name(const hw_report_snapshot *s);

G_END_DECLS

#endif /* HW_REPORT_H */

/* allocsites.h - where the objects of a set were allocated, from the heap profiler's samples.
 *
 * A snapshot may carry the target's heap-profile samples (dumpfmt ALLOC_* records): for each
 * sampled allocation, its object and its call stack. The *site* of a stack is its first frame
 * outside the runtime (a function outside the packages runtime and internal/runtime/...), which is what
 * `go tool pprof` shows for a heap profile; stacks with the same function, file and line share
 * a site. Any set of objects (a retention group, a dominator subtree, a finding's objects) is
 * summarized as the sites of its sampled allocations with their shares.
 *
 * Shares are of *estimated bytes*: each sample weighs what the profiler counts per allocation
 * (its stack's size), scaled as pprof scales heap samples (size / (1 - exp(-size/rate)));
 * at rate 1 every allocation is sampled and the share is exact. Because a sampled share can
 * be mistaken for an exact one, every printed share goes with its sampling statement
 * (hw_allocsites_sampling: the sample count and the rate).
 *
 * Lifetime: an hw_allocsites borrows the graph (and through it the reader) it was built from;
 * summaries own their arrays. Nothing here recurses: subtrees are walked with a stack.
 */
#ifndef HW_ALLOCSITES_H
#define HW_ALLOCSITES_H

#include "dominators.h"
#include "graph.h"
#include "groups.h"
#include "paths.h"

G_BEGIN_DECLS

typedef struct hw_allocsites hw_allocsites;

/* Indexes the snapshot's stacks by site. A graph without a reader, or a snapshot without
 * allocation sites, gives an empty index (hw_allocsites_available() is FALSE). NULL only with
 * HW_ERROR_NOMEM. */
hw_allocsites *hw_allocsites_new(const hw_graph *g, GError **error);
void hw_allocsites_free(hw_allocsites *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_allocsites, hw_allocsites_free)

/* TRUE if the snapshot holds at least one sample. */
gboolean hw_allocsites_available(const hw_allocsites *s);
/* The profiler's rate (bytes per sample on average; 1 = every allocation), 0 when unknown. */
uint64_t hw_allocsites_rate(const hw_allocsites *s);
/* Total samples in the snapshot. */
uint64_t hw_allocsites_n_samples(const hw_allocsites *s);

uint32_t hw_allocsites_n_sites(const hw_allocsites *s);
/* A site: function, file (full path, as recorded) and line; strings not NUL-terminated. */
typedef struct hw_site {
	const char *func, *file;
	uint32_t func_len, file_len, line;
} hw_site;
hw_site hw_allocsites_site(const hw_allocsites *s, uint32_t site);
/* "file.go:41 pkg.func" (base name of the file); "?" parts when unknown. g_free it. */
char *hw_allocsites_site_name(const hw_allocsites *s, uint32_t site);

/* The weight pprof gives one sample of `size` bytes at `rate` (size when rate <= 1). */
double hw_allocsites_weight(uint64_t size, uint64_t rate);

/* The sites of one object's samples: calls fn(site, size, user) once per sample. Returns the
 * number of samples. */
typedef void (*hw_site_fn)(uint32_t site, uint64_t size, void *user);
uint64_t hw_allocsites_object(const hw_allocsites *s, uint32_t object, hw_site_fn fn, void *user);

typedef struct hw_site_share {
	uint32_t site;
	uint64_t samples;      /* sampled allocations of the set from this site */
	uint64_t bytes;        /* their bytes as the profiler counts them (sum of sizes) */
	double est_bytes;      /* estimated bytes of all the site's allocations in the set */
	double share;          /* est_bytes / the set's est_bytes, in [0, 1] */
} hw_site_share;

typedef struct hw_site_summary {
	uint64_t members;          /* objects added */
	uint64_t sampled_members;  /* of which with at least one sample */
	uint64_t samples;
	double est_bytes;
	hw_site_share *sites;      /* sorted by est_bytes, then site; n_sites entries */
	uint32_t n_sites;
} hw_site_summary;
void hw_site_summary_free(hw_site_summary *sum);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_site_summary, hw_site_summary_free)

/* Accumulates objects into a summary: new, add any number of objects, finish (which frees
 * the accumulator). Memory: 24 bytes per site of the snapshot. */
typedef struct hw_site_acc hw_site_acc;
hw_site_acc *hw_site_acc_new(const hw_allocsites *s);
void hw_site_acc_add(hw_site_acc *a, uint32_t object);
/* Adds the objects `root` dominates (itself included; root may be the super-root). */
void hw_site_acc_add_subtree(hw_site_acc *a, hw_domtree *d, uint32_t root);
/* The same for several roots at once, whose subtrees must be disjoint (one walk, one stack). */
void hw_site_acc_add_subtrees(hw_site_acc *a, hw_domtree *d, const uint32_t *roots, size_t n_roots);
hw_site_summary *hw_site_acc_finish(hw_site_acc *a);

/* Summary of a set of objects. */
hw_site_summary *hw_allocsites_summarize(const hw_allocsites *s, const uint32_t *members, size_t n);
/* Summary of the objects `root` dominates (itself included); root may be the super-root. */
hw_site_summary *hw_allocsites_summarize_subtree(const hw_allocsites *s, hw_domtree *d, uint32_t root);
/* Summaries parallel to the first n_groups of `groups` (hw_groups_compute over the same
 * members): each member goes to the group of its path signature. A GPtrArray of
 * hw_site_summary* (freed with it). */
GPtrArray *hw_allocsites_by_group(const hw_allocsites *s, const hw_path_index *p, const GPtrArray *groups,
                                  guint n_groups, const uint32_t *members, size_t n);

/* One line for a summary: "allocated at vault.go:41 main.fillVault (97%), util.go:9 main.mk
 * (3%)", at most max_sites sites (0: all), then "+N more sites"; NULL when it has no samples.
 * It names neither the sampling nor the count: print hw_allocsites_sampling() beside it. */
char *hw_allocsites_describe(const hw_allocsites *s, const hw_site_summary *sum, uint32_t max_sites);
/* The sampling statement for shares computed from `samples` samples, e.g.
 * "shares of 412 samples at 1 per 512 KiB: estimates" or "shares of 12000 allocations, every
 * one sampled (rate 1): exact". */
char *hw_allocsites_sampling(const hw_allocsites *s, uint64_t samples);

G_END_DECLS

#endif /* HW_ALLOCSITES_H */

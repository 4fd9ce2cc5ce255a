/* detectors.h - what leaks.c and the three detectors (goroutines.c, caches.c, listeners.c)
 * share: the summary of one snapshot, and the helpers every detector uses to build findings.
 *
 * Private to analysis/: findings.h is the public face. A summary keeps per-group aggregates
 * only (strings copied), so the snapshot it came from can be released right after.
 */
#ifndef HW_LEAKS_DETECTORS_H
#define HW_LEAKS_DETECTORS_H

#include "findings.h"
#include "goroutines.h"

/* A group of containers with the same retention-path signature (groups.h). A container is a
 * slice backing array, or a map together with its internal objects (directory, tables,
 * groups, buckets: map-kind objects reached from it other than through a "map key" or
 * "map value" slot). */
typedef struct hw_container_group {
	uint32_t id;                /* 1 + its index in the summary's containers */
	char *signature;
	char *type;                 /* type name of the example container */
	uint64_t count;             /* containers */
	uint64_t bytes;             /* their own storage (head plus map internals) */
	uint64_t retained;          /* of the outermost members (never double counted) */
	uint64_t entries;           /* pointer entries held (map: entries; slice: non-nil pointers) */
	/* Listener collections: elements that are closures, interfaces or *Listener-like types. */
	gboolean listeners;         /* at least listener_element_share of the entries are */
	char *element;              /* "closure", "interface" or the element type name */
	uint64_t listener_entries;
	uint64_t listener_retained; /* retained by listener elements the collection alone holds */
	hw_finding_path path;       /* to the example (largest retained) */
	hw_location look_at;
	hw_finding_sites sites;     /* of what the outermost members retain; empty unless asked */
} hw_container_group;

/* Single snapshot: a dominator holding at least cache_dominator_share of the heap, with its
 * accumulation point (findings.h). */
typedef struct hw_hotspot {
	char *signature;            /* of the accumulation point */
	char *dominator_type;
	uint64_t dominator_retained;
	char *type;                 /* of the accumulation point */
	uint64_t bytes, retained;
	uint64_t entries;           /* children of the accumulation point in the dominator tree */
	hw_finding_path path;       /* to the accumulation point */
	hw_location look_at;
	hw_finding_sites sites;     /* of what the accumulation point retains; empty unless asked */
} hw_hotspot;

struct hw_leak_summary {
	uint64_t heap_bytes;        /* reachable bytes */
	GPtrArray *goroutines;      /* hw_goroutine_group* (goroutines.h) */
	GPtrArray *containers;      /* hw_container_group* */
	GHashTable *container_by_signature; /* signature -> hw_container_group* (borrowed) */
	GPtrArray *hotspots;        /* hw_hotspot* */
};

/* A new finding with per-snapshot arrays of n zeros and every string "". */
hw_finding *hw_leaks_finding_new(hw_finding_kind kind, guint n);
/* Sets growth, the last-snapshot values, heap share and severity from the arrays; `growing`
 * says whether a growth rule matched (series only). `growth_values` is what `growth` measures
 * (counts or entries). */
void hw_leaks_finding_finish(hw_finding *f, const uint64_t *growth_values, gboolean growing,
                             const hw_leak_summary *last, const hw_leak_thresholds *t);
/* The growth rule of findings.h over v[0..n-1]. */
gboolean hw_leaks_grows(const uint64_t *v, guint n, uint64_t min_growth, const hw_leak_thresholds *t);
/* "global main.cache" / "main.handle" from a path's root, for look_at. */
hw_location hw_leaks_root_location(const hw_finding_path *p);
/* How a title names a path's root (newly allocated): a global's name; for a stack slot
 * "stack slot NAME of FUNC (FILE:LINE)", NAME left out when the slot has none; otherwise
 * "KIND root NAME". Never empty. */
char *hw_leaks_root_text(const hw_finding_path *p);

/* The detectors: append their findings to `out`. */
void hw_leaks_detect_goroutines(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out);
void hw_leaks_detect_caches(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out);
void hw_leaks_detect_listeners(hw_leak_summary *const *series, guint n, const hw_leak_thresholds *t, GPtrArray *out);

#endif /* HW_LEAKS_DETECTORS_H */

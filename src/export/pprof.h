/* pprof.h - retention profiles in pprof's profile.proto format, for `go tool pprof` and Pyroscope.
 *
 * A retention profile turns a tree over the reachable objects into pprof stacks: each object's
 * stack is its path from a GC root, leaf first, one frame per object, labelled like code
 * ("main.sessionCache (map[string]*main.Session)", "payload ([]uint8)", "[10+] (*main.Item)").
 * Every object adds [1, its size] to its stack's [inuse_objects, inuse_space]. Identical stacks
 * are one sample, so at every frame `flat` is the bytes of the objects in that frame and `cum`
 * (in the flame graph: per stack prefix) is everything below it.
 *
 * Two trees are offered. HW_PPROF_DOMINATORS (the default) uses the dominator tree: a frame's
 * cum is exactly what freeing its objects would free (their retained size). HW_PPROF_PATHS uses
 * the first-reached shortest paths of paths.h, like goref's reference chains: an object shared
 * by two owners is charged to the one the search reached first.
 *
 * The bounds in hw_pprof_options keep `go tool pprof -http` and Pyroscope usable on big heaps;
 * docs/pprof.md gives each one's default and reason. The totals never change with the bounds:
 * folded objects are charged to the frame they are folded into.
 *
 * Labels never contain addresses (hex numbers are masked as in groups.h), so profiles of two
 * dumps of the same program can be compared with `go tool pprof -diff_base`.
 */
#ifndef HW_EXPORT_PPROF_H
#define HW_EXPORT_PPROF_H

#include <glib.h>
#include <stdint.h>

#include "dominators.h"
#include "paths.h"

G_BEGIN_DECLS

typedef enum hw_pprof_mode {
	HW_PPROF_DOMINATORS = 0,   /* stacks are dominator-tree paths: cum = retained bytes */
	HW_PPROF_PATHS = 1,        /* stacks are first-reached shortest reference chains */
} hw_pprof_mode;

typedef struct hw_pprof_options {
	hw_pprof_mode mode;
	/* Array elements "[i]" with i >= index_limit are one frame "[N+]"; 0 keeps every index. */
	uint32_t index_limit;
	/* Consecutive frames with the same label (linked lists: next, next, ...) are one frame. */
	gboolean fold_runs;
	/* At most this many frames per stack; deeper objects are charged to their ancestor at
	 * this depth. 0: no cap. */
	uint32_t max_depth;
	/* Frames whose cum is below this fraction of the reachable bytes are folded, with their
	 * subtree, into one "(other)" frame per parent. 0: none. */
	double min_fraction;
	/* At most this many samples: past it the fraction above is doubled until the profile fits
	 * (hw_pprof_stats says which fraction was used). 0: no cap. */
	uint64_t max_samples;
	/* Gzip level 1..9, or -1 for zlib's default. */
	int gzip_level;
} hw_pprof_options;

/* The defaults documented in docs/pprof.md. */
#define HW_PPROF_DEFAULT_INDEX_LIMIT 10
#define HW_PPROF_DEFAULT_MAX_DEPTH 64
#define HW_PPROF_DEFAULT_MIN_FRACTION 0.0001
#define HW_PPROF_DEFAULT_MAX_SAMPLES 10000
#define HW_PPROF_OPTIONS_DEFAULT { .mode = HW_PPROF_DOMINATORS, \
	.index_limit = HW_PPROF_DEFAULT_INDEX_LIMIT, .fold_runs = TRUE, \
	.max_depth = HW_PPROF_DEFAULT_MAX_DEPTH, .min_fraction = HW_PPROF_DEFAULT_MIN_FRACTION, \
	.max_samples = HW_PPROF_DEFAULT_MAX_SAMPLES, .gzip_level = -1 }

typedef struct hw_pprof_stats {
	uint64_t objects;          /* reachable objects, all counted in the samples */
	uint64_t bytes;            /* their bytes: the sum of inuse_space over the samples */
	uint64_t frames;           /* distinct stacks prefixes before folding small subtrees */
	uint64_t samples;          /* samples written */
	uint64_t locations;        /* distinct labels written (location = function) */
	double fraction;           /* the min_fraction finally used */
	gboolean capped;           /* max_samples forced a larger fraction than asked */
	uint64_t uncompressed;     /* size of the encoded profile before gzip */
} hw_pprof_stats;

/* Builds the profile of the graph's reachable objects and returns it gzipped. Mode
 * HW_PPROF_DOMINATORS needs `dom`; HW_PPROF_PATHS needs `paths` (the other may be NULL); both
 * must come from `g`. The capture time (metadata capture.time_ns) is copied when the graph
 * has a reader. `stats` may be NULL. Fails with HW_ERROR_INVALID when the needed analysis is
 * missing, HW_ERROR_NOMEM when an allocation sized by the heap fails. */
GBytes *hw_pprof_build(const hw_graph *g, hw_domtree *dom, const hw_path_index *paths,
                       const hw_pprof_options *opt, hw_pprof_stats *stats, GError **error);

/* hw_pprof_build(), then writes the bytes to `path`: a regular or new file is replaced
 * atomically, an existing non-regular file (/dev/null, a FIFO) is written in place, and "-"
 * is standard output. I/O errors come back as G_FILE_ERROR naming the path. */
gboolean hw_pprof_write(const char *path, const hw_graph *g, hw_domtree *dom, const hw_path_index *paths,
                        const hw_pprof_options *opt, hw_pprof_stats *stats, GError **error);

G_END_DECLS

#endif /* HW_EXPORT_PPROF_H */

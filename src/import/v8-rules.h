/* v8-rules.h - which V8 edges retain and how self sizes move: Chrome DevTools' rules or memlab's.
 *
 * The second stage of the V8 importer (docs/v8.md). DevTools and memlab disagree on a heap's
 * retained sizes because they disagree on which edges count ("essential" edges), on where the
 * root's page-owned part starts, on WeakMap ephemerons and on self sizes (DevTools folds hidden
 * and array nodes into their unique owner). This file applies one tool's rules to a parsed
 * snapshot and expresses the result in terms the generic analysis understands: an edge either
 * retains (strong) or does not (weak), each node has one self size, and the nodes the tools
 * attach to the root because nothing reaches them (orphans, cliques) get an explicit edge from
 * the root. Generic dominators over that graph then equal the tool's, node for node; the rules
 * and the proof sketch are in docs/v8.md and /work/shared/reference/formats.md §2.6.
 */
#ifndef HW_V8_RULES_H
#define HW_V8_RULES_H

#include <glib.h>
#include <stdint.h>

#include "v8-snapshot.h"

G_BEGIN_DECLS

typedef enum {
	HW_V8_RULES_DEVTOOLS,   /* Chrome DevTools (heap-snapshot-toolkit 1.1.3); the default */
	HW_V8_RULES_MEMLAB,     /* memlab 2.0.5 (@memlab/core) */
} hw_v8_rules;

/* "devtools" / "memlab"; parsing returns FALSE for anything else. */
const char *hw_v8_rules_name(hw_v8_rules r);
gboolean hw_v8_rules_parse(const char *name, hw_v8_rules *out);

typedef struct hw_v8_retention {
	hw_v8_rules rules;
	uint32_t root;          /* ordinal of the root under these rules */
	uint64_t *self;         /* per node: self size in bytes under these rules */
	guint8 *essential;      /* per edge, one bit (bit e of byte e/8): the edge retains */
	uint32_t *adopted;      /* nodes the root adopts, ascending ordinals */
	uint32_t n_adopted;
	uint32_t n_orphans;     /* of which: unreachable nodes with no retaining referrer... */
	uint32_t n_cliques;     /* ...and nodes held only by other unreachable nodes */
	uint64_t n_moved;       /* nodes whose self size moved to their owner (DevTools) */
} hw_v8_retention;

/* Applies `rules` to `s` (borrowed for the call). Never fails: every array is sized by counts
 * the parser has already checked against the file's size. */
hw_v8_retention *hw_v8_retention_compute(const hw_v8_snapshot *s, hw_v8_rules rules);
void hw_v8_retention_free(hw_v8_retention *rt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_v8_retention, hw_v8_retention_free)

static inline gboolean hw_v8_edge_essential(const hw_v8_retention *rt, uint32_t e)
{
	return (rt->essential[e >> 3] >> (e & 7)) & 1;
}

G_END_DECLS

#endif /* HW_V8_RULES_H */

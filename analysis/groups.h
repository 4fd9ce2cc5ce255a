/* groups.h - aggregate a set of objects by the shape of their retention paths.
 *
 * Each object's shortest retention path (paths.h) is turned into a signature: the root kind
 * and the root's name with details that differ between goroutines or runs masked (hex
 * addresses become 0x?, decimal numbers after "goroutine " become ?, for stack roots the
 * frame's function name is used), then, per step, the edge's label (or "+offset" when it has
 * none) and the target's type name, with array indices masked to [*]. Objects with the same
 * signature form a group.
 *
 * Retained bytes are never double counted: a member dominated by another member of the same
 * set adds its count and bytes to its group but not its retained size (its dominator's
 * retained size already includes it).
 */
#ifndef HW_GROUPS_H
#define HW_GROUPS_H

#include "dominators.h"
#include "paths.h"

G_BEGIN_DECLS

typedef struct hw_group {
	char *signature;     /* printable, one line: "global main.cache -> .items []*T -> [*] T" */
	uint64_t count;      /* members with this signature */
	uint64_t bytes;      /* their shallow sizes */
	uint64_t retained;   /* retained sizes of the members no other member dominates */
	uint32_t example;    /* one member (the one with the largest retained size) */
} hw_group;

/* Groups the reachable members (unreachable ones have no path and are skipped; the caller
 * can count them with the domtree). Returns a GPtrArray of hw_group* (freed with the array)
 * sorted by retained, then bytes, then signature; NULL with HW_ERROR_NOMEM on failure. */
GPtrArray *hw_groups_compute(hw_domtree *d, const hw_path_index *p,
                             const uint32_t *members, size_t n_members, GError **error);

/* The signature of one reachable object (for tests and display); NULL if unreachable. */
char *hw_groups_signature(const hw_graph *g, const hw_path_index *p, uint32_t object);

/* Masks a name: hex addresses -> "0x?", numbers after "goroutine " -> "?", "[123]" -> "[*]". */
char *hw_groups_mask(const char *s, size_t len);

G_END_DECLS

#endif /* HW_GROUPS_H */

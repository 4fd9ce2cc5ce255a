/* v8-import.h - converting a V8 `.heapsnapshot` into a heapwalk snapshot.
 *
 * The last stage of the V8 importer (docs/v8.md): the parsed nodes (v8-snapshot.h), with the
 * edges, self sizes and root adoptions a rule set decided (v8-rules.h), become an .hwd file
 * that every analysis command reads like a Go snapshot. Node ordinal k becomes object index k
 * (the order is kept), so per-node results map back to V8 ids without a table.
 *
 * Synthetic addresses: V8 nodes have ids, not addresses, and .hwd objects must be in strictly
 * increasing, disjoint address order. Object k gets
 *     addr(0) = HW_V8_ADDR_BASE,  addr(k+1) = addr(k) + max(roundup8(size(k)), 8)
 * (size = the self size under the chosen rules): the heap laid out end to end in node order.
 */
#ifndef HW_V8_IMPORT_H
#define HW_V8_IMPORT_H

#include <glib.h>

#include "hwd.h"

#include "v8-rules.h"
#include "v8-snapshot.h"

G_BEGIN_DECLS

#define HW_V8_ADDR_BASE UINT64_C(0x100000)

/* The one GC root's name and the label of the root's adoption edges. */
#define HW_V8_ROOT_NAME "(V8 root)"
#define HW_V8_ADOPTED_LABEL "(unreachable: adopted by the root)"

/* The pieces of the conversion that v8-graph.h shares (one definition each):
 * the type kind of a node type; whether a node is counted under its own name as a class
 * (objects and natives: "Map", "Buffer", "system / JSArrayBufferData", as DevTools' summary
 * names them) rather than "(type)" (strings, closures, code...: their names are contents);
 * the kind of edge e under the rules (not essential: weak, so the generic dominators skip it;
 * internal and hidden: internal; the rest strong); and the synthetic address after node v's
 * (FALSE with *error set when the self sizes pass 2^64 bytes). */
hwd_type_kind hw_v8_type_kind(uint8_t node_type);
static inline gboolean hw_v8_type_is_class(uint8_t node_type)
{
	return node_type == HW_V8_NODE_OBJECT || node_type == HW_V8_NODE_NATIVE;
}
static inline hwd_edge_kind hw_v8_edge_kind(const hw_v8_snapshot *s, const hw_v8_retention *rt, uint32_t e)
{
	uint8_t t = s->edge_type[e];
	return !hw_v8_edge_essential(rt, e) ? HWD_EDGE_WEAK :
	       t == HW_V8_EDGE_INTERNAL || t == HW_V8_EDGE_HIDDEN ? HWD_EDGE_INTERNAL : HWD_EDGE_STRONG;
}
gboolean hw_v8_next_addr(const hw_v8_snapshot *s, uint32_t v, uint64_t size, const char *source, uint64_t *addr,
                         GError **error);

/* Writes `s` under the retention `rt` (computed from s) to `out_path` ("-" for stdout), with
 * `source` (the input's name) in the metadata. FALSE with *error set on failure; nothing is
 * left at out_path then. */
gboolean hw_v8_write_snapshot(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source,
                              const char *out_path, GError **error);

/* Loads `in_path`, applies `rules` and writes `out_path`: the whole import. */
gboolean hw_v8_import(const char *in_path, const char *out_path, hw_v8_rules rules, GError **error);

/* Converts into a temporary file (in /dev/shm when it has room, else $TMPDIR), opens it with the snapshot reader and removes
 * it (the reader's mapping keeps the data). Returns the reader, which the caller closes, or
 * NULL with *error set. This is how the analysis commands read a .heapsnapshot directly. */
hwd_reader *hw_v8_open(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source, GError **error);

/* hw_v8_open() on the file at `path`, under `rules`. */
hwd_reader *hw_v8_open_file(const char *path, hw_v8_rules rules, GError **error);

/* TRUE if the file at `path` starts like a V8 heap snapshot (hw_v8_sniff); FALSE if not or
 * unreadable (the caller's own open then reports why). */
gboolean hw_v8_sniff_file(const char *path);

G_END_DECLS

#endif /* HW_V8_IMPORT_H */

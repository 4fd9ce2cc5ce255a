/* v8-graph.h - a parsed V8 snapshot as an analysis graph, without the .hwd file in between.
 *
 * The converted snapshot of v8-import.h is the way every analysis command reads a
 * .heapsnapshot, but writing it and reading it back is a third of `v8nodes`' time on a large
 * heap. This builds the same graph in memory (hw_graph_new_owning: nothing copied twice): node
 * ordinal k is object k with the same synthetic address, self size and class, the same edges
 * with the same kinds and labels, the root's adoptions after its own edges, and the one GC root.
 * String ids differ from the file's: V8 string i is graph string i + 1, the "[i]" labels of
 * element and hidden edges and the "(type)" class names follow. Strings are NUL-terminated in
 * the graph, so a V8 string with a NUL in it reads up to the NUL there.
 */
#ifndef HW_V8_GRAPH_H
#define HW_V8_GRAPH_H

#include <glib.h>

#include "graph.h"

#include "v8-rules.h"
#include "v8-snapshot.h"

G_BEGIN_DECLS

/* The graph of `s` under `rt` (both borrowed for the call; the graph keeps nothing of them).
 * `source` names the input in errors. NULL with *error set (HW_V8_ERROR_FORMAT: the self sizes
 * overflow the address space; HW_V8_ERROR_LIMIT: more strings and labels than 32-bit ids;
 * or the graph's own HW_ERROR). */
hw_graph *hw_v8_graph(const hw_v8_snapshot *s, const hw_v8_retention *rt, const char *source, GError **error);

G_END_DECLS

#endif /* HW_V8_GRAPH_H */

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

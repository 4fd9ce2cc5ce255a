/* v8.h - `heapwalk import v8`: the V8 `.heapsnapshot` importer behind import.h's contract.
 *
 * The entry point src/cli/import.c lists for the format "v8". The work is done by
 * v8-snapshot.h (parsing), v8-rules.h (DevTools' or memlab's retention rules) and v8-import.h
 * (writing the snapshot); docs/v8.md describes the whole importer.
 */
#ifndef HW_IMPORT_V8_H
#define HW_IMPORT_V8_H

#include "import/import.h"

G_BEGIN_DECLS

/* Imports opt->input under opt->v8_rules ("devtools" when NULL, or "memlab") into
 * opt->output. opt->exe and opt->contents mean nothing for V8 snapshots. */
gboolean hw_import_v8(const hw_import_options *opt, hw_import_result *res, GError **error);

G_END_DECLS

#endif /* HW_IMPORT_V8_H */

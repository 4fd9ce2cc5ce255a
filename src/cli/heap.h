/* heap.h - a snapshot loaded for analysis: reader, graph and the analyses a command asks for.
 *
 * Every analysis command starts the same way: open the snapshot (snapshot.h converts dumpfmt
 * errors), build the graph, then the dominator tree and/or the path index, with the progress
 * line on stderr. hw_heap_open() does that once for all of them; hw_heap_clear() releases
 * everything in the right order (the analyses borrow the graph, the graph borrows the reader).
 * It also holds the small vocabulary the commands print: root and edge kind names, and an
 * object's identity in JSON.
 */
#ifndef HW_CLI_HEAP_H
#define HW_CLI_HEAP_H

#include <glib.h>
#include <stdio.h>

#include "dominators.h"
#include "graph.h"
#include "json.h"
#include "options.h"
#include "paths.h"
#include "table.h"

enum {
	HW_HEAP_DOMTREE = 1u << 0,   /* compute the dominator tree and retained sizes */
	HW_HEAP_PATHS = 1u << 1,     /* build the shortest-path index */
};

typedef struct hw_heap {
	const char *path;        /* the snapshot's file name (borrowed from argv) */
	hwd_reader *reader;
	hw_graph *graph;
	hw_domtree *dom;         /* NULL unless HW_HEAP_DOMTREE */
	hw_path_index *paths;    /* NULL unless HW_HEAP_PATHS */
} hw_heap;

/* Loads `path` (honouring cli->salvage) and computes what `needs` asks for. On failure prints
 * the error as cli's command and returns FALSE with *status = HW_EXIT_ERROR; the heap is then
 * cleared. */
gboolean hw_heap_open(hw_heap *h, const hw_cli *cli, const char *path, unsigned needs, int *status);
void hw_heap_clear(hw_heap *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_heap, hw_heap_clear)

/* Finds the object containing `addr` (interior addresses included); HW_NONE if none. */
uint32_t hw_heap_find(const hw_heap *h, uint64_t addr);

/* "strong", "weak", "finalizer", "conservative", "internal", or "unknown". */
const char *hw_edge_kind_name(hwd_edge_kind kind);

/* The type name of object v (not NUL-terminated; "" when unknown). */
const char *hw_heap_type_name(const hw_heap *h, uint32_t v, uint32_t *len);

/* Writes the members "index", "addr", "size", "type" of object v into the open JSON object. */
void hw_heap_json_object(hw_json *j, const hw_heap *h, uint32_t v);
/* Appends a table cell "TYPE @ 0xADDR" for object v, after `prefix` (indentation; may be ""). */
void hw_heap_table_object(hw_table *t, const hw_heap *h, uint32_t v, const char *prefix);

/* Writes the members "func", "file", "line", "samples", "bytes" of an allocation site into the
 * open JSON object (the shape docs/json-schema.md gives every site list). */
void hw_heap_json_site(hw_json *j, const char *func, gsize func_len, const char *file, gsize file_len,
                       guint64 line, guint64 samples, guint64 bytes);

/* Writes the members "root" (kind, name, goroutine, frame) and "steps" (one per object from
 * the root's target to the path's end, each with the edge that reached it) of a retention
 * path into the open JSON object. */
void hw_heap_json_path(hw_json *j, const hw_heap *h, const hw_path *path);
/* Prints a retention path as a table: the root, then one row per step. */
void hw_heap_print_path(FILE *out, const hw_heap *h, const hw_path *path);

#endif /* HW_CLI_HEAP_H */

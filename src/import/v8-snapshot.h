/* v8-snapshot.h - a V8 `.heapsnapshot` file, parsed into flat arrays.
 *
 * The first stage of the V8 importer (docs/v8.md): a streaming parser over the file's bytes
 * (no JSON tree: snapshots run to gigabytes) that keeps only what the retention rules and the
 * outputs need. Every field position and type code is looked up by name in `snapshot.meta`, so
 * files from other V8 versions (fields added or reordered) read the same way. Every count,
 * index and offset is validated before use; a bad file gives a GError naming the byte offset
 * and the field, never a crash or an allocation sized by an unchecked count.
 *
 * Nodes are numbered by ordinal (their position in `nodes`), edges by their position in
 * `edges`; a node's out-edges are [first_edge[v], first_edge[v+1]). Strings are decoded (JSON
 * escapes, lone surrogates as WTF-8) into one buffer owned by the snapshot. Units: bytes.
 */
#ifndef HW_V8_SNAPSHOT_H
#define HW_V8_SNAPSHOT_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define HW_V8_ERROR (hw_v8_error_quark())
GQuark hw_v8_error_quark(void);
typedef enum {
	HW_V8_ERROR_FORMAT,   /* not a V8 heap snapshot, or a field breaks the format's rules */
	HW_V8_ERROR_LIMIT,    /* more nodes, edges or strings than heapwalk's 32-bit indices hold */
	HW_V8_ERROR_IO,
	HW_V8_ERROR_OUTPUT,   /* writing the converted snapshot failed */
} hw_v8_error_code;

/* Limits: node ordinals and edge indices are 32-bit (one value is kept for "none"). */
#define HW_V8_MAX_NODES UINT64_C(0xFFFFFFFE)
#define HW_V8_MAX_EDGES UINT64_C(0xFFFFFFFF)
#define HW_V8_MAX_STRINGS 0xFFFFFFFEu

/* Type codes the importer gives meaning to; the file's own codes are mapped onto these by
 * name. Types a producer adds later read as HW_V8_NODE_OTHER / HW_V8_EDGE_OTHER. */
typedef enum {
	HW_V8_NODE_HIDDEN, HW_V8_NODE_ARRAY, HW_V8_NODE_STRING, HW_V8_NODE_OBJECT, HW_V8_NODE_CODE,
	HW_V8_NODE_CLOSURE, HW_V8_NODE_REGEXP, HW_V8_NODE_NUMBER, HW_V8_NODE_NATIVE,
	HW_V8_NODE_SYNTHETIC, HW_V8_NODE_CONCAT_STRING, HW_V8_NODE_SLICED_STRING, HW_V8_NODE_SYMBOL,
	HW_V8_NODE_BIGINT, HW_V8_NODE_OBJECT_SHAPE, HW_V8_NODE_WASM_OBJECT, HW_V8_NODE_OTHER,
	HW_V8_NODE__COUNT
} hw_v8_node_type;

typedef enum {
	HW_V8_EDGE_CONTEXT, HW_V8_EDGE_ELEMENT, HW_V8_EDGE_PROPERTY, HW_V8_EDGE_INTERNAL,
	HW_V8_EDGE_HIDDEN, HW_V8_EDGE_SHORTCUT, HW_V8_EDGE_WEAK, HW_V8_EDGE_OTHER,
	HW_V8_EDGE__COUNT
} hw_v8_edge_type;

/* The V8 names of the types above ("hidden", ..., "weak"); "other" for the OTHER codes. */
const char *hw_v8_node_type_name(hw_v8_node_type t);
const char *hw_v8_edge_type_name(hw_v8_edge_type t);

typedef struct hw_v8_snapshot {
	uint32_t n_nodes;
	uint32_t n_edges;
	uint32_t root;            /* ordinal of `snapshot.root_index`, 0 when absent */
	gboolean has_root_index;  /* the header had `root_index` */

	/* per node (n_nodes entries; first_edge has n_nodes + 1) */
	uint8_t *node_type;       /* hw_v8_node_type */
	uint32_t *node_name;      /* string index (< n_strings) */
	uint64_t *node_id;        /* V8's snapshot object id */
	uint64_t *node_self;      /* self_size in bytes, as written */
	uint32_t *first_edge;

	/* per edge (n_edges entries), grouped by source node in node order */
	uint8_t *edge_type;       /* hw_v8_edge_type */
	uint32_t *edge_name;      /* element/hidden: the index; other types: a string index */
	uint32_t *edge_to;        /* target ordinal */

	/* strings: string i starts at str_buf + str_off[i] (decoded, NUL-terminated; its length,
	 * counting the NUL that follows each one; see hw_v8_string) */
	uint32_t n_strings;
	uint64_t *str_off;
	char *str_buf;
} hw_v8_snapshot;

/* Parses `len` bytes at `data` (borrowed for the call only). Returns a new snapshot the caller
 * frees with hw_v8_snapshot_free(), or NULL with *error set (HW_V8_ERROR: byte offset, field). */
hw_v8_snapshot *hw_v8_snapshot_parse(const char *data, size_t len, GError **error);

/* Maps `path`, parses it, unmaps it. */
hw_v8_snapshot *hw_v8_snapshot_load(const char *path, GError **error);

void hw_v8_snapshot_free(hw_v8_snapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_v8_snapshot, hw_v8_snapshot_free)

/* String i (< n_strings) and its length. */
static inline const char *hw_v8_string(const hw_v8_snapshot *s, uint32_t i, size_t *len)
{
	*len = (size_t)(s->str_off[i + 1] - s->str_off[i] - 1);
	return s->str_buf + s->str_off[i];
}

/* 1 if the edge's name_or_index is an index rather than a string (element and hidden edges). */
static inline int hw_v8_edge_has_index(uint8_t type)
{
	return type == HW_V8_EDGE_ELEMENT || type == HW_V8_EDGE_HIDDEN;
}

/* TRUE if the first bytes of a file (`len` of them) look like a V8 heap snapshot: optional
 * whitespace, then `{"snapshot"`. Cheap enough to call on every file a command opens. */
gboolean hw_v8_sniff(const char *head, size_t len);

G_END_DECLS

#endif /* HW_V8_SNAPSHOT_H */

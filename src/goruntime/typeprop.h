/* typeprop.h - the Go type of every heap object, and the field names of its pointer words.
 *
 * The heap records a type for few objects: the malloc header of pointerful objects over 512
 * bytes, mspan.largeType of large ones. Everything else is typed here before any object is
 * written (gr_typing_build, between the object index and gr_heap_emit_objects):
 *   1. header and large objects get the runtime's own type (authoritative; for header objects
 *      it is the element type of an array); the layout is DWARF's type for the descriptor
 *      or, where DWARF has none, one built from the descriptor (rtypes.h): Go 1.27's DWARF
 *      leaves out types that are only allocated (runtime.mPadded), 1.22/1.23's synthesized
 *      map buckets carry no descriptor address;
 *   2. from typed places — those objects, the DWARF-typed globals, then the goroutines'
 *      DWARF-typed stack variables (stackvars.h) — types propagate
 *      through pointer fields, slices, strings, maps (Swiss tables: map header, directory,
 *      tables, groups), channels, interface words (the eface type word or the itab's type: the
 *      exact dynamic type) and closures (closures.c), with a worklist over objects;
 *   3. what stays untyped is named by its size and pointer shape (typenames.c).
 * A type reaches an object only through a pointer to its first byte whose static type fits
 * in it; the first type to reach an object wins, which is why the runtime's types go first.
 *
 * The result is per object: a snapshot type id (written to the snapshot by the build) and a
 * layout, the DWARF type of one element, from which gr_typing_label() names the field (or
 * "map key", "map value", "[i]") behind a pointer word at an offset.
 *
 * Ownership: a gr_typing borrows the walk (objects, spans, memory, DWARF, pclntab, types) and
 * owns its per-object arrays and the closure layouts it builds; free with gr_typing_free().
 */
#ifndef HW_GORUNTIME_TYPEPROP_H
#define HW_GORUNTIME_TYPEPROP_H

#include "goruntime/rtypes.h"
#include "goruntime/walk.h"

/* How an object's type became known; each has meta keys types.objects.<key> and
 * types.bytes.<key> (docs/format.md). */
typedef enum gr_type_source {
	GR_TSRC_NONE = 0,
	GR_TSRC_HEADER,      /* "header": the malloc header */
	GR_TSRC_LARGE,       /* "large_type": mspan.largeType */
	GR_TSRC_IFACE,       /* "iface": an interface's type word or itab */
	GR_TSRC_CLOSURE,     /* "closure": a funcval's code pointer */
	GR_TSRC_DWARF,       /* "dwarf": propagated from a DWARF-typed place */
	GR_TSRC_SIZECLASS,   /* "sizeclass": not known; named by size and pointer shape */
	GR_TSRC__COUNT
} gr_type_source;

/* Per-object flags. */
enum {
	GR_TYPING_ARRAY = 1u << 0,   /* the object holds an array of its layout (slice, chan buf) */
};

typedef struct gr_typing {
	const hw_dwarf_type **layout;  /* per object: DWARF type of one element, or NULL */
	const char **name;             /* per object: type name (owned by DWARF, types or strings) */
	uint8_t *source;               /* per object: gr_type_source */
	uint8_t *flags;                /* per object: GR_TYPING_* */
	uint32_t *type_id;             /* per object: snapshot type id */
	GStringChunk *strings;         /* names made here */
	GHashTable *closures;          /* funcval code entry -> closure layout (closures.c) */
	GPtrArray *owned;              /* hw_dwarf_type and member arrays made here */
	GHashTable *has_ptrs;          /* hw_dwarf_type* -> 1 + whether it holds pointers */
	uint64_t types_base;           /* moduledata.types: DW_AT_go_runtime_type is relative to it
	                                * in recent toolchains, a link-time address in older ones */
	gr_walk *walk;                 /* the walk typed (borrowed) */
	gr_rtypes *rtypes;             /* the descriptors' types where DWARF has none (rtypes.h),
	                                * or NULL; layouts may point into it; it asks DWARF
	                                * through this gr_typing, which must not move */
	uint64_t objects[GR_TSRC__COUNT], bytes[GR_TSRC__COUNT];
} gr_typing;

/* Types every object of w (after gr_objects_build, with w->w open), writes the types and
 * the types.* meta entries. types_base is moduledata.types. FALSE only when the snapshot
 * cannot be written. */
gboolean gr_typing_build(gr_walk *w, uint64_t types_base, gr_typing *t, GError **error);
void gr_typing_free(gr_typing *t);

/* The string id of the label of the pointer word at byte offset off of object k, 0 when its
 * type does not say. */
uint32_t gr_typing_label(gr_walk *w, const gr_typing *t, uint32_t k, uint64_t off);

/* ---- shared with typenames.c and closures.c ---- */

/* Follows typedefs (bounded). */
const hw_dwarf_type *gr_type_resolve(const hw_dwarf_type *ty);
/* A DWARF type's name as the runtime prints it ("noalg." dropped); "" if anonymous. */
const char *gr_type_display_name(const hw_dwarf_type *ty);
/* The snapshot kind of an object typed by name/layout. */
hwd_type_kind gr_type_kind(const hw_dwarf_type *layout, const char *name, uint8_t flags,
                           gr_type_source src);
/* The fallback name of an untyped object: "obj<size>[ptr,scalar*3]", into the chunk. */
const char *gr_type_shape_name(GStringChunk *chunk, uint64_t size, const uint8_t *ptrbits);

/* The closure layout for the funcval whose code pointer is pc: a struct named
 * "func <function>" whose members are F and the captured variables (closures.c). NULL when pc
 * is not in a function. */
const hw_dwarf_type *gr_closure_layout(gr_walk *w, gr_typing *t, uint64_t pc);

#endif /* HW_GORUNTIME_TYPEPROP_H */

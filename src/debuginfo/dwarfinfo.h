/* dwarfinfo.h - the target's DWARF, indexed by name: types, struct members, globals, constants.
 *
 * Layouts and constants of the Go runtime come from the target's own DWARF; only a binary
 * without DWARF gets an index rebuilt from a release's recorded answers ("Facts" below). hw_dwarf_load() walks every compilation unit once (libdwarf 20210528, the
 * old API, used only in dwarfinfo.c) and builds hash tables:
 *   - every named type (base, struct, pointer, array, typedef, ...), its size and kind;
 *     struct members with name, offset and type;
 *   - every global variable with a DW_OP_addr location (name, link-time address, type);
 *   - every DW_TAG_constant with DW_AT_const_value (runtime._Gwaiting, runtime.mSpanInUse,
 *     internal/abi.TFlagGCMaskOnDemand, ...);
 *   - every subprogram with a low/high pc.
 * Afterwards libdwarf is closed; the index is plain memory.
 *
 * Names are Go's fully qualified names ("runtime.mspan", "*runtime.g", "main.Item").
 * If a name occurs more than once, the first definition with a size wins.
 * Addresses are link-time addresses: add the PIE load bias for target addresses.
 *
 * Lifetime: hw_dwarf_load() returns an index freed with hw_dwarf_free(); every pointer it hands
 * out (types, members, names, globals) is owned by it and valid until then.
 */
#ifndef HW_DEBUGINFO_DWARFINFO_H
#define HW_DEBUGINFO_DWARFINFO_H

#include <glib.h>

#include "debuginfo/debuginfo-error.h"
#include "debuginfo/elfinfo.h"

G_BEGIN_DECLS

typedef struct hw_dwarf hw_dwarf;
typedef struct hw_dwarf_type hw_dwarf_type;

/* Kind of a type, from its DIE tag. */
typedef enum {
	HW_DWARF_KIND_OTHER,
	HW_DWARF_KIND_BASE,       /* DW_TAG_base_type (int, uint8, float64, bool, uintptr, ...) */
	HW_DWARF_KIND_STRUCT,     /* DW_TAG_structure_type (also Go strings, slices, ifaces) */
	HW_DWARF_KIND_POINTER,    /* DW_TAG_pointer_type; target = pointee */
	HW_DWARF_KIND_ARRAY,      /* DW_TAG_array_type; target = element, count = length */
	HW_DWARF_KIND_TYPEDEF,    /* DW_TAG_typedef (Go maps, chans, funcs, named ifaces); target */
	HW_DWARF_KIND_SUBROUTINE, /* DW_TAG_subroutine_type */
	HW_DWARF_KIND_UNION,
	HW_DWARF_KIND_ENUM,
} hw_dwarf_kind;

#define HW_DWARF_SIZE_UNKNOWN G_MAXUINT64

typedef struct {
	const char *name;            /* "" for an anonymous member */
	guint64 offset;              /* DW_AT_data_member_location, bytes */
	const hw_dwarf_type *type;   /* NULL if the DIE had none */
	gboolean embedded;           /* Go's DW_AT_go_embedded_field */
} hw_dwarf_member;

struct hw_dwarf_type {
	const char *name;            /* NULL for an anonymous type */
	hw_dwarf_kind kind;
	guint8 go_kind;              /* DW_AT_go_kind (reflect.Kind numbering), 0 if absent */
	guint64 size;                /* DW_AT_byte_size, count*elem for arrays, 8 for pointers,
	                                HW_DWARF_SIZE_UNKNOWN if none */
	const hw_dwarf_type *target; /* pointee / element / typedef'd type, or NULL */
	guint64 count;               /* array length (0 when not an array) */
	const hw_dwarf_type *go_key; /* DW_AT_go_key of map typedefs, or NULL */
	const hw_dwarf_type *go_elem;/* DW_AT_go_elem of map/chan typedefs, or NULL */
	guint64 go_runtime_type;     /* DW_AT_go_runtime_type: link-time address of the
	                                internal/abi.Type descriptor, 0 if absent */
	const hw_dwarf_member *members; /* struct/union members in order */
	gsize n_members;
	guint64 die_offset;          /* .debug_info offset (for messages) */
};

typedef struct {
	const char *name;
	guint64 addr;                /* link-time */
	const hw_dwarf_type *type;   /* may be NULL */
} hw_dwarf_var;

typedef struct {
	const char *name;
	guint64 lowpc, highpc;       /* link-time, [lowpc, highpc) */
	guint64 die_offset;          /* .debug_info offset of its DW_TAG_subprogram */
} hw_dwarf_func;

/* A variable captured by a closure function (Go 1.23+ DW_AT_go_closure_offset): where it
 * lives in the closure's context (the funcval, word 0 being the code pointer). A variable
 * captured by reference is named "&x" and has a pointer type. */
typedef struct {
	const char *name;
	guint64 offset;              /* bytes from the start of the funcval */
	const hw_dwarf_type *type;   /* may be NULL */
} hw_dwarf_capture;

/* Reads the DWARF of e (keeps a reference on e, for hw_dwarf_locals_at).
 * Errors: HW_DEBUGINFO_ERROR_NO_DWARF naming the file and saying it was probably built with
 * -ldflags=-w or stripped; _CORRUPT for libdwarf errors (with libdwarf's message). */
hw_dwarf *hw_dwarf_load(hw_elf *e, GError **err);
void hw_dwarf_free(hw_dwarf *d);

/* The producer of the first Go compilation unit, e.g. "Go cmd/compile go1.26.8; regabi". */
const char *hw_dwarf_producer(hw_dwarf *d);

/* Named type lookup; NULL if absent. */
const hw_dwarf_type *hw_dwarf_type_by_name(hw_dwarf *d, const char *name);

/* Follows typedefs to the underlying type (returns t itself if not a typedef). */
const hw_dwarf_type *hw_dwarf_type_resolve(const hw_dwarf_type *t);

/* Member of a struct type by name, or NULL. */
const hw_dwarf_member *hw_dwarf_type_member(const hw_dwarf_type *t, const char *name);

/* Size of the named type. Errors: _NOT_FOUND naming the type, or the type has no size. */
gboolean hw_dwarf_type_size(hw_dwarf *d, const char *type_name, guint64 *size, GError **err);

/* Offset of a member of a struct, by a dotted path through nested structs ("state.s.value":
 * offsets add up; typedefs are followed). *type (may be NULL) receives the last member's type.
 * Errors: _NOT_FOUND naming the struct and the path element that is missing. */
gboolean hw_dwarf_struct_member(hw_dwarf *d, const char *struct_name, const char *path,
				guint64 *offset, const hw_dwarf_type **type, GError **err);
gboolean hw_dwarf_struct_member_offset(hw_dwarf *d, const char *struct_name, const char *path,
				       guint64 *offset, GError **err);

/* Global variable by name: link-time address and type (either out may be NULL).
 * Errors: _NOT_FOUND naming the variable. */
gboolean hw_dwarf_global(hw_dwarf *d, const char *name, guint64 *addr,
			 const hw_dwarf_type **type, GError **err);

/* All globals with an address, sorted by address. Owned by d. */
const hw_dwarf_var *hw_dwarf_globals(hw_dwarf *d, gsize *n_globals);

/* Package-level constant by name. The value is DW_AT_const_value as a signed 64-bit integer
 * (Go emits constants that fit int64; reinterpret as guint64 for unsigned ones).
 * Errors: _NOT_FOUND naming the constant. */
gboolean hw_dwarf_constant(hw_dwarf *d, const char *name, gint64 *value, GError **err);

/* Subprograms with a pc range, sorted by lowpc. Owned by d. */
const hw_dwarf_func *hw_dwarf_funcs(hw_dwarf *d, gsize *n_funcs);

/* The type whose DW_AT_go_runtime_type is addr, or NULL: the link-time address of its abi.Type
 * (older toolchains) or its offset from moduledata.types (Go 1.26 writes small offsets; the
 * caller knows the base). When several DIEs name the same descriptor, the first one wins. */
const hw_dwarf_type *hw_dwarf_type_by_runtime_type(hw_dwarf *d, guint64 addr);

/* The captured variables of the closure function whose lowpc is lowpc, sorted by offset;
 * NULL with *n 0 if it has none (not a closure, or built by Go < 1.23). Owned by d. */
const hw_dwarf_capture *hw_dwarf_closure_captures(hw_dwarf *d, guint64 lowpc, gsize *n);

/* ---- Facts ------------------------------------------------------------------------------
 * What the dumper reads from the Go runtime's DWARF by name (type sizes, member offsets,
 * constants, the types of a few globals) depends only on the Go release, not on the program.
 * hw_dwarf_record() makes an index note every by-name query it answers (hw_dwarf_type_by_name,
 * _type_size, _struct_member, _global, _constant), in first-asked order; a layout table
 * (goruntime/layout-table.c) is such a record, made by running the dumper's own layout
 * loaders over a release's DWARF. hw_dwarf_new_from_facts() builds an index that answers
 * exactly those queries again, for a binary of the same release without DWARF, taking global
 * variables from its ELF symbol table: every consumer of hw_dwarf then runs unchanged. A query
 * the record does not hold fails as a DWARF miss would. Such an index has no subprograms, no
 * closure captures and no runtime-type links, and its globals are untyped (an opaque type of
 * the symbol's size) except those the record types. */
typedef enum {
	HW_DWARF_FACT_TYPE,      /* name: a type; shape: the type */
	HW_DWARF_FACT_MEMBER,    /* name: a struct, path: a member path; value: its offset;
	                          * shape: the member's type */
	HW_DWARF_FACT_GLOBAL,    /* name: a global variable; shape: its type */
	HW_DWARF_FACT_CONSTANT,  /* name: a constant; value */
} hw_dwarf_fact_kind;

/* A type reduced to what layouts read of it (typedefs followed). */
typedef struct {
	hw_dwarf_kind kind;
	guint64 size;                /* HW_DWARF_SIZE_UNKNOWN if none */
	guint64 count;               /* arrays: length */
	guint64 elem_size;           /* arrays: element size */
} hw_dwarf_shape;

typedef struct {
	hw_dwarf_fact_kind what;
	const char *name;
	const char *path;            /* MEMBER only, else NULL */
	gint64 value;                /* MEMBER: offset; CONSTANT: value; else 0 */
	hw_dwarf_shape shape;        /* TYPE, MEMBER, GLOBAL */
} hw_dwarf_fact;

/* Starts recording (once; later calls keep the record). */
void hw_dwarf_record(hw_dwarf *d);
/* The facts recorded so far, owned by d (NULL with *n 0 when not recording). */
const hw_dwarf_fact *hw_dwarf_recorded(hw_dwarf *d, gsize *n);

/* An index answering from facts, with e's .symtab data objects as the globals. origin names
 * the facts in messages ("the go1.26 layout table"). Errors: _NO_DWARF when e has no .symtab;
 * _CORRUPT when a typed global's size disagrees with its symbol's. */
hw_dwarf *hw_dwarf_new_from_facts(hw_elf *e, const hw_dwarf_fact *facts, gsize n_facts,
				  const char *origin, GError **err);

/* ---- Local variables --------------------------------------------------------------------
 * The parameters and local variables of a function at one pc and where their values live.
 * They are read on demand (a goroutine dump asks only about the functions on its stacks) from
 * the subprogram's DIE, its nested DW_TAG_lexical_block and DW_TAG_inlined_subroutine DIEs
 * (names and types of inlined variables come from their DW_AT_abstract_origin), and cached per
 * function. The first query opens libdwarf again on the executable; it stays open until
 * hw_dwarf_free(). An index from facts has no subprograms, so it answers nothing.
 *
 * Locations are relative to the frame's CFA (the caller's stack pointer before its call: the
 * address just above the return address). Understood, alone or as DW_OP_piece pieces, in a
 * single expression or a location list (DWARF 4 .debug_loc, DWARF 5 .debug_loclists):
 * DW_OP_call_frame_cfa; DW_OP_fbreg N when the function's DW_AT_frame_base is
 * DW_OP_call_frame_cfa (as Go writes); and either followed by DW_OP_consts N; DW_OP_plus or
 * DW_OP_plus_uconst N. Registers, empty pieces and every other operation give pieces that are
 * not on the stack. A single expression (not a list) of a variable inside a lexical block or
 * an inlined call holds over that scope only when the scope has a DW_AT_low_pc/high_pc pair;
 * in a scope given by DW_AT_ranges such a variable is left out. */
typedef struct {
	guint64 offset;              /* bytes into the variable's value */
	guint64 size;                /* bytes; HW_DWARF_SIZE_UNKNOWN: to the end of the value (a
	                                location without DW_OP_piece) */
	gint64 cfa_offset;           /* when on_stack: the piece is at CFA + cfa_offset */
	gboolean on_stack;           /* FALSE: in a register, optimized out, or not understood */
} hw_dwarf_piece;

typedef struct {
	const char *name;
	const hw_dwarf_type *type;   /* may be NULL */
	gboolean param;              /* DW_TAG_formal_parameter */
	const hw_dwarf_piece *pieces;/* its location at the pc asked for, by increasing offset */
	gsize n_pieces;
} hw_dwarf_local;

/* Appends to out (a GArray of hw_dwarf_local) the variables of the function containing pc
 * (link-time) that have a location at pc. Everything pointed to is owned by d. Variables whose
 * DWARF cannot be decoded are left out. FALSE with err only when libdwarf cannot be opened
 * again on the executable (the first query that tries; later ones answer nothing). */
gboolean hw_dwarf_locals_at(hw_dwarf *d, guint64 pc, GArray *out, GError **err);

/* Makes an index from facts answer hw_dwarf_type_by_runtime_type(d, addr) with fn(ctx, addr)
 * (addr as the caller passes it), e.g. a type built from the target's own type descriptor;
 * NULL fn stops it. The types fn returns are the caller's, and must outlive their use. */
typedef const hw_dwarf_type *(*hw_dwarf_rtype_fn)(void *ctx, guint64 addr);
void hw_dwarf_set_runtime_types(hw_dwarf *d, hw_dwarf_rtype_fn fn, void *ctx);

/* Counts for diagnostics. */
gsize hw_dwarf_n_types(hw_dwarf *d);
gsize hw_dwarf_n_constants(hw_dwarf *d);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_dwarf, hw_dwarf_free)

G_END_DECLS

#endif

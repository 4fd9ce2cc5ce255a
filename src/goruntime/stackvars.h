/* stackvars.h - goroutine stack variables: DWARF-typed roots for typing, and names for roots.
 *
 * A small object (no malloc header) that only a goroutine's local variable references gets
 * its type from that variable, as one a global references gets it from the global. For each
 * exact frame (one the runtime scans with its stack maps) of every goroutine, the function's
 * DWARF variables whose location at the frame's pc is on the stack (hw_dwarf_locals_at) are
 * placed at their stack addresses. Liveness comes from the stack maps alone: a variable is a
 * typing root only when one of its words is a pointer slot the maps say is live, and a pointer
 * word the maps do not hold live is zeroed before the value is followed, so a stale pointer
 * left in a dead slot types nothing. The same placement names the stack roots that
 * goroutines.c writes: "var cache", "arg ctx", "var req+16" for a word inside a variable.
 * Pieces the compiler split off a variable ("s.ptr", "v.data") only name roots: their types
 * are stand-ins (an interface's data word is *uint8).
 *
 * Without DWARF (or a function DWARF says nothing about) there are no variables: nothing is
 * typed here and roots keep their function's name.
 *
 * Ownership: the gr_stack_piece arrays are the caller's; names and types in them belong to the
 * walk's DWARF index.
 */
#ifndef HW_GORUNTIME_STACKVARS_H
#define HW_GORUNTIME_STACKVARS_H

#include "goruntime/walk.h"

/* Stack bytes [addr, addr + len) holding bytes [offset, offset + len) of a variable's value. */
typedef struct gr_stack_piece {
	uint64_t addr, len, offset;
	const char *name;              /* the variable's DWARF name */
	const hw_dwarf_type *type;     /* its DWARF type */
	uint64_t size;                 /* of its value, bytes */
	uint32_t var;                  /* pieces of one variable share this number, and are adjacent */
	bool param;                    /* a parameter (DW_TAG_formal_parameter) */
} gr_stack_piece;

/* Fills out (of gr_stack_piece; emptied first) with the stack-resident pieces of the variables
 * of the exact frame f of g at its pc, within g's stack. */
void gr_stackvars_frame(gr_walk *w, const gr_g *g, const gr_frame *f, GArray *out);

/* The string id of the name of the stack root at addr ("var x", "arg x", "var x+16"), from
 * the pieces of its frame; 0 when no variable holds addr. */
uint32_t gr_stackvars_name(gr_walk *w, const GArray *pieces, uint64_t addr);

/* A stack variable's value (len bytes, the size of type) to type from. value is valid during
 * the call only. */
typedef void (*gr_stackvar_fn)(void *ctx, const guint8 *value, uint64_t len, const hw_dwarf_type *type);

/* Calls root for every variable of every exact frame of every goroutine that holds a live
 * pointer slot: its value read from the stack, with the pieces not on the stack and the
 * pointer words the stack maps do not hold live read as zero. */
void gr_stackvars_roots(gr_walk *w, gr_stackvar_fn root, void *ctx);

#endif /* HW_GORUNTIME_STACKVARS_H */

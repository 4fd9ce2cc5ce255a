/* rtypes.h - DWARF-shaped types built from the target's own type descriptors.
 *
 * A binary without DWARF (layout.h) still has the runtime's type descriptors (abi.Type) of
 * every type it uses. Built as hw_dwarf_type values (pointer, struct with field names and
 * offsets, array, slice, string, interface, func; maps and channels opaque), they stand in for
 * DWARF's types where typeprop.c asks for the type of a descriptor
 * (hw_dwarf_type_by_runtime_type, through hw_dwarf_set_runtime_types), so types propagate from
 * malloc headers and large objects as they do with DWARF. Names are the descriptors' (package
 * name, not import path: "cpu.option", where DWARF says "internal/cpu.option").
 *
 * With DWARF they fill its gaps: since Go 1.27, DWARF leaves out types that are only
 * allocated, never declared (runtime.mPadded, the type of every m), and the map buckets
 * 1.22/1.23's DWARF synthesizes carry no descriptor address. typeprop.c asks DWARF first and a
 * gr_rtypes second; gr_rtypes_prefer() makes the gr_rtypes ask DWARF first for every type it
 * refers to as well, so a descriptor-made struct's fields are DWARF's types (with DWARF's
 * names and map layouts) wherever DWARF has them.
 *
 * Built lazily, each descriptor once, with an explicit worklist (descriptors refer to each
 * other in cycles); only descriptors inside the module's [types, etypes) are read, and at
 * most GR_RTYPES_MAX of them.
 *
 * Lifetime: a gr_rtypes borrows mem, L and types (which must outlive it) and owns the types it
 * built; gr_rtypes_free() frees them, so unhook it from the hw_dwarf first.
 */
#ifndef HW_GORUNTIME_RTYPES_H
#define HW_GORUNTIME_RTYPES_H

#include "goruntime/layout.h"
#include "goruntime/types.h"

#define GR_RTYPES_MAX 1000000u

typedef struct gr_rtypes gr_rtypes;

/* bias: the load bias (typeprop asks by link-time address); the module's descriptors are
 * those `types` was made for (gr_types_bounds). NULL when L lacks what the descriptors need
 * (!L->has_rtypes). */
gr_rtypes *gr_rtypes_new(const gr_mem *mem, const gr_layout *L, gr_types *types, uint64_t bias);
void gr_rtypes_free(gr_rtypes *r);

/* Makes r use prefer(ctx, target address) for a descriptor's type where it gives one, and
 * build from the descriptor only where it gives NULL. ctx must outlive r. */
typedef const hw_dwarf_type *(*gr_rtypes_prefer_fn)(void *ctx, uint64_t taddr);
void gr_rtypes_prefer(gr_rtypes *r, gr_rtypes_prefer_fn prefer, void *ctx);

/* The type of the descriptor at link-time address addr, or NULL (an hw_dwarf_rtype_fn). */
const hw_dwarf_type *gr_rtypes_lookup(void *r, guint64 addr);

#endif /* HW_GORUNTIME_RTYPES_H */

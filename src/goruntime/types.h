/* types.h - decoded Go type descriptors (internal/abi.Type), cached by address.
 *
 * Header objects and large objects name their type; the dumper needs its size, its GC mask
 * (built on demand for big 1.24+ types, heapbits.c) and its name (abi.Type.Str, a NameOff
 * relative to moduledata.types). A heap has few distinct types, so each is decoded once.
 * Runtime-created types (reflect) whose names live outside moduledata.types get a name
 * "reflect.generatedType@0x...".
 *
 * Lifetime: entries live until gr_types_free().
 */
#ifndef HW_GORUNTIME_TYPES_H
#define HW_GORUNTIME_TYPES_H

#include "goruntime/heapbits.h"

typedef struct gr_type_info {
	uint64_t addr, size;
	guint8 *mask;          /* PtrBytes/8 bits */
	uint64_t nbits;
	uint8_t kind;          /* abi kind (Kind_ & KindMask) */
	char *name;
	uint32_t snapshot_id;  /* the hwd type id, 0 until the caller sets it */
} gr_type_info;

typedef struct gr_types gr_types;

/* types_base/types_end: moduledata.types and .etypes of the (main) module. */
gr_types *gr_types_new(const gr_mem *mem, const gr_abi_layout *abi, uint64_t types_base,
                       uint64_t types_end);
/* Decodes (or returns the cached) type at addr; NULL with error if unreadable or corrupt. */
gr_type_info *gr_types_get(gr_types *t, uint64_t addr, GError **error);
void gr_types_free(gr_types *t);
/* The [types_base, types_end) given to gr_types_new(). */
void gr_types_bounds(const gr_types *t, uint64_t *types_base, uint64_t *types_end);

/* Decodes a Go encoded name (abi.Name) at addr: flags byte, uvarint length, bytes.
 * Returns a new string or NULL with error. */
char *gr_name_read(const gr_mem *mem, uint64_t addr, GError **error);

#endif /* HW_GORUNTIME_TYPES_H */

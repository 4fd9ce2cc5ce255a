/* goheapdump-objects.h - the allocated objects a Go heap dump describes, in address order.
 *
 * The dump's Object records are not the heap's objects as the snapshot models them, for two
 * reasons (heapwalk's tests/go/oracle/slots.go explains both at length; this is an
 * independent implementation of the same rules):
 *
 *  - Bogus records. heapdump.go's dumpobjs() walks npages*8192/elemsize slots of each in-use
 *    span but knows only the first nelems of them; the slots past nelems overlay what the
 *    runtime keeps at the end of 1-page spans of objects of at most 512 bytes (the heap
 *    bitmap of scan spans, the Green Tea inline mark bits of 16..512-byte spans) and are dumped
 *    as objects. A span is recognised by its page; it is scan when any record below the scan
 *    span's nelems has a pointer field, or when its records are exactly the slots
 *    [nelems(scan), n) (an in-use scan span with nothing allocated); records at slots past the
 *    span's nelems are dropped and counted.
 *  - Malloc headers. A pointerful object of 512 < elemsize <= 32768 bytes starts with an
 *    8-byte header (its type); the runtime lists pointer fields only after it. The snapshot's
 *    object is [slot+8, slot+elemsize), offsets counted from slot+8, like a live capture's.
 *    A record of that size whose first pointer field is at offset 0 has no header (a 32768-byte
 *    large object). A 32768-byte large object whose first pointer word is not its first word
 *    cannot be told from a header object by the dump alone and is taken for one.
 *
 * Records of one 1-page span must all have its elemsize and sit on its slot boundaries,
 * addresses must be distinct and slots disjoint; anything else is an error naming both
 * records.
 *
 * Ownership: hw_ghd_objects owns its array (hw_ghd_objects_clear).
 */
#ifndef HW_IMPORT_GOHEAPDUMP_OBJECTS_H
#define HW_IMPORT_GOHEAPDUMP_OBJECTS_H

#include "import/goheapdump.h"

G_BEGIN_DECLS

#define HW_GHD_NO_OBJECT 0xFFFFFFFFu

typedef struct {
	guint64 addr;      /* the object's first byte: the slot, plus 8 after a malloc header */
	guint64 size;      /* bytes from addr to the slot's end */
	guint32 rec;       /* index of its record in hw_goheapdump.objects */
	guint32 header;    /* bytes of malloc header before addr: 0 or 8 */
} hw_ghd_object;

typedef struct {
	hw_ghd_object *v;  /* sorted by addr */
	gsize n;
	guint64 slot_bytes;        /* sum of slot sizes (what MemStats.HeapAlloc counts) */
	guint64 header_objects;
	guint64 bogus, bogus_bytes;  /* records dropped as past their span's last slot */
	guint64 empty_scan_spans;    /* spans seen only through their bogus tail */
} hw_ghd_objects;

/* Builds the objects from d's Object records. greentea: whether the dumping runtime reserved
 * Green Tea inline mark bits (hw_goheapdump_greentea(), or the executable's DWARF).
 * Errors: HW_IMPORT_ERROR_CORRUPT. */
gboolean hw_ghd_objects_build(const hw_goheapdump *d, gboolean greentea, hw_ghd_objects *out, GError **error);

/* The object containing addr (in [addr, addr+size): a word into a malloc header is no
 * pointer to the object), or HW_GHD_NO_OBJECT. */
guint32 hw_ghd_objects_find(const hw_ghd_objects *o, guint64 addr);

void hw_ghd_objects_clear(hw_ghd_objects *o);

G_END_DECLS

#endif /* HW_IMPORT_GOHEAPDUMP_OBJECTS_H */

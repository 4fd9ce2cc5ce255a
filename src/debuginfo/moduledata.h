/* moduledata.h - the Go runtime's runtime.moduledata for the main module: where its tables are.
 *
 * Every Go binary has one moduledata (runtime.firstmoduledata; Go 1.26 also places it in its
 * own ELF section .go.module) describing the module: the pclntab slices, text and data
 * bounds, GC masks of data/bss, type descriptor range, gofunc base of FUNCDATA. Its layout is
 * read from DWARF (runtime.moduledata), never assumed. Shared-library and plugin modules
 * (moduledata.next) are not followed: heapwalk targets statically linked Go programs and
 * says so when next is not nil.
 *
 * All addresses in hw_moduledata are target addresses (as the target's memory holds them;
 * already relocated in a live process or core).
 */
#ifndef HW_DEBUGINFO_MODULEDATA_H
#define HW_DEBUGINFO_MODULEDATA_H

#include "debuginfo/dwarfinfo.h"
#include "debuginfo/elfinfo.h"
#include "target/memsrc.h"

G_BEGIN_DECLS

/* A Go slice header as read from the target. */
typedef struct {
	guint64 ptr;
	guint64 len;
	guint64 cap;
} hw_goslice;

typedef struct {
	guint64 addr;                 /* of the moduledata itself */
	guint64 pcheader;             /* *pcHeader */
	hw_goslice funcnametab, cutab, filetab, pctab, pclntable, ftab;
	guint64 findfunctab;
	guint64 minpc, maxpc;
	guint64 text, etext;
	guint64 noptrdata, enoptrdata;
	guint64 data, edata;
	guint64 bss, ebss;
	guint64 noptrbss, enoptrbss;
	guint64 end;
	guint64 gcdata, gcbss;        /* pointer masks of data and bss, 1 bit per word */
	guint64 types, etypes;        /* type descriptors; typeOff values are relative to types */
	guint64 rodata;               /* base of stack-object GC masks (gcdataoff) */
	guint64 gofunc;               /* base of FUNCDATA offsets */
	guint64 next;                 /* next module, 0 for a single-module program */
} hw_moduledata;

/* Target address of the main module's moduledata: DWARF global runtime.firstmoduledata, else
 * the ELF symbol, else (Go 1.26) the .go.module section; plus bias. Errors: _NOT_GO naming
 * all three places. */
gboolean hw_moduledata_locate(hw_elf *e, hw_dwarf *d, guint64 bias, guint64 *addr,
			      GError **err);

/* Reads the moduledata at addr from mem, with the field layout of runtime.moduledata from d.
 * Errors: _NOT_FOUND naming a missing field (an unsupported runtime), HW_TARGET_ERROR_* from
 * the reads, _CORRUPT when a bound is impossible (text > etext, minpc > maxpc, ...). */
gboolean hw_moduledata_read(hw_memsrc *mem, hw_dwarf *d, guint64 addr, hw_moduledata *out,
			    GError **err);

G_END_DECLS

#endif

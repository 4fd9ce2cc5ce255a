/* elfinfo.h - an ELF executable read with libelf: sections, symbols, segments, build id, Go build info.
 *
 * The dumper needs the target's executable for DWARF (dwarfinfo.h), the pclntab (pclntab.h),
 * the read-only memory that cores leave out (target/exemem.h) and identification (build id, Go
 * version). Addresses here are link-time addresses; a PIE is loaded at link-time address +
 * bias, computed by hw_elf_load_bias() from where the target mapped the file.
 *
 * Lifetime: reference counted; hw_elf_open() returns one reference. Everything returned by
 * pointer is owned by the hw_elf and valid until its last unref.
 */
#ifndef HW_DEBUGINFO_ELFINFO_H
#define HW_DEBUGINFO_ELFINFO_H

#include <glib.h>

#include "debuginfo/debuginfo-error.h"

G_BEGIN_DECLS

typedef struct hw_elf hw_elf;

/* One PT_LOAD program header (link-time addresses). */
typedef struct {
	guint64 vaddr;
	guint64 memsz;
	guint64 offset;   /* file offset */
	guint64 filesz;
	guint32 flags;    /* PF_R / PF_W / PF_X */
} hw_elf_segment;

/* Opens an ELF file (executable or shared object) for x86-64.
 * Errors: HW_DEBUGINFO_ERROR_IO, _NOT_ELF. */
hw_elf *hw_elf_open(const char *path, GError **err);
hw_elf *hw_elf_ref(hw_elf *e);
void hw_elf_unref(hw_elf *e);

const char *hw_elf_path(hw_elf *e);
int hw_elf_fd(hw_elf *e);          /* the open descriptor, owned by e (libdwarf opens by fd) */
gboolean hw_elf_is_pie(hw_elf *e); /* ET_DYN */
guint64 hw_elf_entry(hw_elf *e);   /* e_entry, link-time */

/* PT_LOAD segments in file order. */
const hw_elf_segment *hw_elf_segments(hw_elf *e, gsize *n_segments);

/* Reads file bytes (bounds-checked against the file size). */
gboolean hw_elf_read_file(hw_elf *e, guint64 offset, void *buf, gsize len, GError **err);

/* Reads len bytes at link-time address vaddr from the file contents of the PT_LOAD that holds
 * them (only [vaddr, vaddr+filesz); bss is not in the file). Errors: _NOT_FOUND if no segment
 * has those bytes in the file. */
gboolean hw_elf_read_vaddr(hw_elf *e, guint64 vaddr, void *buf, gsize len, GError **err);

/* Section header lookup by name: FALSE if absent. addr is sh_addr (0 for non-alloc sections),
 * size is the size in memory (the uncompressed size for SHF_COMPRESSED). */
gboolean hw_elf_section_info(hw_elf *e, const char *name, guint64 *addr, guint64 *size);

/* The section's contents, decompressed when SHF_COMPRESSED. Cached: owned by e.
 * Errors: _NOT_FOUND (absent or SHT_NOBITS), _CORRUPT (bad compression header / data). */
GBytes *hw_elf_section_data(hw_elf *e, const char *name, GError **err);

/* A .symtab (or .dynsym when .symtab is absent) symbol by exact name: link-time value and size.
 * FALSE if absent. The table is indexed on first use. */
gboolean hw_elf_symbol(hw_elf *e, const char *name, guint64 *value, guint64 *size);

/* Whether the file has a .symtab (a Go binary linked with -ldflags=-s, or stripped, has not). */
gboolean hw_elf_has_symtab(hw_elf *e);

/* A data object of .symtab (STT_OBJECT with a size): a package variable of a Go binary. */
typedef struct {
	const char *name;   /* owned by the hw_elf */
	guint64 value;      /* link-time address */
	guint64 size;       /* bytes */
} hw_elf_object;

/* Every .symtab data object, in symbol table order (none without .symtab). Owned by e. */
const hw_elf_object *hw_elf_objects(hw_elf *e, gsize *n);

/* NT_GNU_BUILD_ID as lower-case hex, or NULL if the file has none. Go's own build id
 * (".note.go.buildid") is returned by hw_elf_go_build_id(), or NULL. */
const char *hw_elf_build_id(hw_elf *e);
const char *hw_elf_go_build_id(hw_elf *e);

/* Go build info from .go.buildinfo: the Go version ("go1.26.8") and the module info text
 * (path/mod/dep/build lines, may be ""). Errors: _NOT_GO (no .go.buildinfo section),
 * _UNSUPPORTED (pre-1.18 pointer-style build info), _CORRUPT. Strings owned by e. */
gboolean hw_elf_go_buildinfo(hw_elf *e, const char **go_version, const char **modinfo,
			     GError **err);

/* The string value of runtime.buildVersion read from the file (symbol + .data contents); on a
 * non-PIE binary equal to the build info's version plus experiment suffix. Owned by e.
 * Errors: _NOT_FOUND (no symbol), _CORRUPT. */
const char *hw_elf_go_runtime_version(hw_elf *e, GError **err);

/* Load bias of a target that mapped this file's segment at file offset map_file_offset at
 * address map_start (from /proc/PID/maps or a core's NT_FILE: the mapping with the lowest
 * file offset). For a non-PIE executable the bias is 0 and the mapping must agree with the
 * PT_LOAD addresses (else _CORRUPT: "the target did not map <path> where it says"). */
gboolean hw_elf_load_bias(hw_elf *e, guint64 map_start, guint64 map_file_offset,
			  guint64 *bias, GError **err);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_elf, hw_elf_unref)

G_END_DECLS

#endif

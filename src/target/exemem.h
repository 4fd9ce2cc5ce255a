/* exemem.h - an executable file's loadable contents as a memory source.
 *
 * The read-only parts of a target (text, rodata, pclntab, type descriptors, and the initial
 * contents of data) are the same in memory as in the executable. This source serves each
 * PT_LOAD segment of the file at its link-time address plus bias: bytes [0, p_filesz) from the
 * file and [p_filesz, p_memsz) as zeros (bss never written is zero). It is the lower layer
 * under a core (cores leave read-only file-backed memory out) and can sit under a memimage
 * after detaching. Region names are the executable's path.
 */
#ifndef HW_TARGET_EXEMEM_H
#define HW_TARGET_EXEMEM_H

#include "debuginfo/elfinfo.h"
#include "target/memsrc.h"

G_BEGIN_DECLS

/* Takes a reference on elf (hw_elf_ref). Returns a reference dropped with hw_memsrc_unref().
 * Pass bias 0 for a non-PIE executable, or hw_elf_load_bias()'s result. */
hw_memsrc *hw_exemem_new(hw_elf *elf, guint64 bias);

G_END_DECLS

#endif

/* core.h - an ELF core file (kernel core or gcore) as a target: memory, threads, files.
 *
 * hw_core_open() checks that the file is an ET_CORE for x86-64, parses its notes
 * (corenotes.h: NT_PRSTATUS per thread, NT_PRPSINFO, NT_FILE, NT_AUXV), finds the executable
 * (the NT_FILE mapping of the main program, unless the caller names it), and builds the
 * memory source: the core's PT_LOAD data layered over the executable's PT_LOAD file contents
 * (relocated by the load bias), because cores leave out read-only file-backed memory
 * (p_filesz 0 or smaller than p_memsz, or the segment missing entirely as gcore does).
 */
#ifndef HW_TARGET_CORE_H
#define HW_TARGET_CORE_H

#include "target/corenotes.h"
#include "target/memsrc.h"
#include "target/thread.h"

G_BEGIN_DECLS

typedef struct hw_core hw_core;

/* Opens core_path. exe_path overrides the executable named by NT_FILE (NULL: use NT_FILE).
 * When exe_path is NULL and the NT_FILE path does not exist any more, fails with
 * HW_TARGET_ERROR_NOT_FOUND saying to pass --exe. Errors name the note and file offset for a
 * malformed core (HW_TARGET_ERROR_CORRUPT). Returns a new hw_core, freed with hw_core_free(). */
hw_core *hw_core_open(const char *core_path, const char *exe_path, GError **err);

/* The layered memory (core over executable). Borrowed: valid until hw_core_free(). */
hw_memsrc *hw_core_memsrc(hw_core *c);

/* Threads from NT_PRSTATUS, in note order (a kernel core puts the signalled thread first). */
const hw_thread *hw_core_threads(hw_core *c, gsize *n_threads);

/* The parsed notes (pid, fname, mapped files, auxv). Owned by c. */
const hw_core_notes *hw_core_get_notes(hw_core *c);

/* The executable used: path and load bias (0 unless PIE). Owned by c. */
const char *hw_core_exe_path(hw_core *c);
guint64 hw_core_exe_bias(hw_core *c);

void hw_core_free(hw_core *c);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_core, hw_core_free)

G_END_DECLS

#endif

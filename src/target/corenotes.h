/* corenotes.h - parse the PT_NOTE contents of an x86-64 Linux ELF core.
 *
 * A pure parser over bytes (no file, no libelf), so that it can be fuzzed directly. Every
 * length is checked against what remains before it is used, counts are checked against the
 * bytes that would hold them before anything is allocated, and an error names the note
 * (type and owner) and its offset within the note segment (plus base_offset, the segment's
 * file offset, so messages give file offsets).
 */
#ifndef HW_TARGET_CORENOTES_H
#define HW_TARGET_CORENOTES_H

#include "target/memsrc.h"
#include "target/thread.h"

G_BEGIN_DECLS

/* One NT_FILE entry: [start, end) maps path at file offset file_offset (bytes). */
typedef struct {
	guint64 start;
	guint64 end;
	guint64 file_offset;
	char *path;
} hw_core_file;

typedef struct {
	gint32 pid;             /* NT_PRPSINFO pr_pid, or the first NT_PRSTATUS pid; 0 if neither */
	char fname[17];         /* NT_PRPSINFO pr_fname (NUL-terminated), "" if absent */
	GArray *threads;        /* of hw_thread, one per NT_PRSTATUS */
	GArray *files;          /* of hw_core_file, from NT_FILE (empty if absent) */
	GArray *auxv;           /* of guint64 pairs (type, value) from NT_AUXV, flattened */
} hw_core_notes;

/* Initialises *notes to empty. */
void hw_core_notes_init(hw_core_notes *notes);

/* Parses one PT_NOTE segment's bytes (data, len; 4-byte aligned notes as Linux writes them)
 * and appends what it finds to *notes. base_offset is only used in messages. Notes of other
 * types or owners are skipped. On error *notes keeps what was appended before the bad note. */
gboolean hw_core_notes_parse(hw_core_notes *notes, const guint8 *data, gsize len,
			     guint64 base_offset, GError **err);

/* Looks up an auxv entry (AT_*); FALSE if absent. */
gboolean hw_core_notes_auxv(const hw_core_notes *notes, guint64 type, guint64 *value);

/* Frees what the notes own (not the struct itself). */
void hw_core_notes_clear(hw_core_notes *notes);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(hw_core_notes, hw_core_notes_clear)

G_END_DECLS

#endif

/* dwarfinfo-private.h - the index behind hw_dwarf, shared by dwarfinfo.c and dwarffacts.c.
 *
 * dwarfinfo.c fills it from DWARF; dwarffacts.c records what the by-name queries answered and
 * fills an index from such a record instead (dwarfinfo.h, "Facts"). Nothing else includes
 * this header.
 */
#ifndef HW_DEBUGINFO_DWARFINFO_PRIVATE_H
#define HW_DEBUGINFO_DWARFINFO_PRIVATE_H

#include "debuginfo/dwarfinfo.h"

typedef struct {
	hw_dwarf_type pub;
	guint64 target_off, key_off, elem_off;   /* 0 = none */
	GArray *members;                          /* of member_rec, NULL when none */
} type_rec;

struct hw_dwarf {
	GStringChunk *strings;
	GPtrArray *types;          /* owns type_rec */
	GHashTable *by_offset;     /* &die_offset -> type_rec */
	GHashTable *by_name;       /* name -> type_rec */
	GArray *globals;           /* of hw_dwarf_var, sorted by address */
	GHashTable *global_index;  /* name -> index+1 into globals */
	GHashTable *constants;     /* name -> gint64* */
	GArray *funcs;             /* of hw_dwarf_func, sorted */
	GHashTable *by_rtype;      /* &go_runtime_type -> type_rec (first definition wins) */
	GArray *captures;          /* of hw_dwarf_capture, grouped by function, sorted by lowpc */
	GArray *capture_pcs;       /* of guint64: the lowpc of each entry of captures */
	char *producer;
	char *origin;              /* NULL for DWARF; what an index from facts names in errors */
	/* An index built from facts answers member paths from this table ("struct\037path" ->
	 * hw_dwarf_member, owned), not by walking members; NULL for DWARF. */
	GHashTable *flat_members;
	hw_dwarf_rtype_fn rtype_fn;   /* hw_dwarf_set_runtime_types, or NULL */
	void *rtype_ctx;
	/* While recording (hw_dwarf_record): the facts, in first-asked order, and their keys. */
	GArray *recorded;          /* of hw_dwarf_fact; strings in strings */
	GHashTable *recorded_keys; /* owned key strings */
	/* Local variables, read on demand (hw_dwarf_locals_at): the executable (a reference; NULL
	 * for an index from facts), libdwarf opened on it again at the first query, and the
	 * decoded functions (&lowpc -> func_locals, owned). */
	hw_elf *elf;
	struct Dwarf_Debug_s *locals_dbg;
	GHashTable *locals;
};

/* An empty index, and the global name index once globals is filled. */
hw_dwarf *hw_dwarf_new_empty(void);
void hw_dwarf_index_globals(hw_dwarf *d);
void hw_dwarf_type_rec_free(gpointer p);

/* Records one answered query when d is recording (dwarffacts.c). type is the answer's type
 * (TYPE: the type; MEMBER: the member's; GLOBAL: the variable's), value its number. */
void hw_dwarf_fact_note(hw_dwarf *d, hw_dwarf_fact_kind what, const char *name, const char *path,
                        gint64 value, const hw_dwarf_type *type);

#endif

/* memsrc-private.h - what an implementation of hw_memsrc provides; not for users of memsrc.h.
 *
 * An implementation embeds struct hw_memsrc as its first member, fills a static
 * hw_memsrc_class and calls hw_memsrc_init(). The base class does reference counting, region
 * caching (unless the class says its regions change, as a live process's do) and the lookups.
 */
#ifndef HW_TARGET_MEMSRC_PRIVATE_H
#define HW_TARGET_MEMSRC_PRIVATE_H

#include "target/memsrc.h"

G_BEGIN_DECLS

typedef struct {
	const char *kind;
	/* All-or-nothing read; the error must name addr and len. */
	gboolean (*read)(hw_memsrc *m, guint64 addr, void *buf, gsize len, GError **err);
	/* Appends hw_region records, sorted and non-overlapping, to out. Names must live in
	 * m->names (or be static). */
	gboolean (*load_regions)(hw_memsrc *m, GArray *out, GError **err);
	void (*finalize)(hw_memsrc *m);
	/* TRUE if regions must be reloaded on each hw_memsrc_regions() call. */
	gboolean volatile_regions;
} hw_memsrc_class;

struct hw_memsrc {
	const hw_memsrc_class *klass;
	gint refcount;
	char *description;
	GArray *regions;         /* of hw_region; NULL until loaded */
	GStringChunk *names;     /* region names */
};

/* Initialises the base part; takes ownership of description (g_free'd at the last unref). */
void hw_memsrc_init(hw_memsrc *m, const hw_memsrc_class *klass, char *description);

/* Forgets cached regions (an implementation whose ranges changed). */
void hw_memsrc_invalidate_regions(hw_memsrc *m);

/* Sets the standard "cannot read" error. */
void hw_memsrc_set_unmapped(hw_memsrc *m, GError **err, guint64 addr, gsize len);

G_END_DECLS

#endif

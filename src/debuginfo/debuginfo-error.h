/* debuginfo-error.h - the GError domain of src/debuginfo (ELF, DWARF, pclntab, build info). */
#ifndef HW_DEBUGINFO_ERROR_H
#define HW_DEBUGINFO_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define HW_DEBUGINFO_ERROR (hw_debuginfo_error_quark())
GQuark hw_debuginfo_error_quark(void);

typedef enum {
	HW_DEBUGINFO_ERROR_IO,          /* open/read failed */
	HW_DEBUGINFO_ERROR_NOT_ELF,     /* not an ELF file, or not x86-64 */
	HW_DEBUGINFO_ERROR_NO_DWARF,    /* no DWARF (built with -ldflags=-w or stripped) */
	HW_DEBUGINFO_ERROR_NOT_GO,      /* no Go build info / pclntab: not a Go program */
	HW_DEBUGINFO_ERROR_UNSUPPORTED, /* Go version or table format this reader does not know */
	HW_DEBUGINFO_ERROR_NOT_FOUND,   /* a named section, symbol, type, member, global, constant */
	HW_DEBUGINFO_ERROR_CORRUPT,     /* a table offset or size out of bounds; names where */
} hw_debuginfo_error_code;

G_END_DECLS

#endif

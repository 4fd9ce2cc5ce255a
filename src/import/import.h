/* import.h - what every importer of a foreign heap dump format shares: options, result, errors.
 *
 * `heapwalk import FORMAT FILE` (src/cli/import.c) turns a heap dump written by another tool
 * into a heapwalk snapshot. Each format has one entry point with the signature of
 * hw_import_fn, listed in the CLI's table of formats; this header is the contract between
 * the two. Importers write the snapshot with the dumpfmt writer (hwd.h), so the file appears
 * at its path only when complete.
 */
#ifndef HW_IMPORT_IMPORT_H
#define HW_IMPORT_IMPORT_H

#include <glib.h>

G_BEGIN_DECLS

#define HW_IMPORT_ERROR (hw_import_error_quark())
GQuark hw_import_error_quark(void);

typedef enum {
	HW_IMPORT_ERROR_IO,          /* the input could not be read or the snapshot written */
	HW_IMPORT_ERROR_FORMAT,      /* the input is not in the format asked for */
	HW_IMPORT_ERROR_TRUNCATED,   /* the input ends early; the message says inside what */
	HW_IMPORT_ERROR_CORRUPT,     /* an impossible value; the message names record and offset */
	HW_IMPORT_ERROR_UNSUPPORTED, /* a variant of the format this importer does not read */
	HW_IMPORT_ERROR_MISMATCH,    /* the executable given is not the one that wrote the dump */
} hw_import_error_code;

typedef struct hw_import_options {
	const char *input;         /* the foreign dump */
	const char *exe;           /* the program's executable, or NULL (formats that use one) */
	const char *output;        /* snapshot path, "-" for stdout */
	gboolean contents;         /* also store object contents in the snapshot */
	const char *v8_rules;      /* v8: "devtools" (NULL) or "memlab" (docs/v8.md) */
} hw_import_options;

typedef struct hw_import_result {
	guint64 objects;           /* objects written */
	guint64 object_bytes;      /* their bytes as the runtime counts them (headers included) */
	guint64 edges, roots, goroutines;
	guint64 dropped;           /* input records that are not objects (e.g. bogus slots) */
	char *note;                /* what the import could not do (e.g. untyped objects), or
	                            * NULL; g_free */
} hw_import_result;

typedef gboolean (*hw_import_fn)(const hw_import_options *opt, hw_import_result *res, GError **error);

G_END_DECLS

#endif /* HW_IMPORT_IMPORT_H */

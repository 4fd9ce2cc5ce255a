/* import.c - the error domain shared by the importers of foreign heap dumps (import.h). */
#include "import/import.h"

G_DEFINE_QUARK(hw-import-error-quark, hw_import_error)

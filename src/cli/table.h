/* table.h - aligned text tables, the shape of every command's text output.
 *
 * A table collects its cells first and prints them once it knows each column's width:
 * columns are separated by two spaces, right-aligned columns (numbers, sizes) line up on
 * their last digit, and the last column is never padded (it holds names, which may be long).
 * Cells are copied; the table owns its memory until hw_table_free().
 */
#ifndef HW_CLI_TABLE_H
#define HW_CLI_TABLE_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hw_table hw_table;

/* A table whose columns are aligned by `align`, one character per column: 'l' or 'r'.
 * The header row is given as ncols strings (ncols = strlen(align)). */
hw_table *hw_table_new(const char *align, ...);

/* Appends a cell to the current row; after the last column the next cell starts a new row. */
void hw_table_cell(hw_table *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Appends a size cell in human units (units.h). */
void hw_table_bytes(hw_table *t, uint64_t bytes);
/* Appends a cell holding `len` bytes of `s` (snapshot strings are not NUL-terminated),
 * with control characters shown as '?' so a hostile name cannot drive the terminal. */
void hw_table_name(hw_table *t, const char *s, size_t len);

/* Prints the header and all rows to `out`. */
void hw_table_print(const hw_table *t, FILE *out);

void hw_table_free(hw_table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_table, hw_table_free)

#endif /* HW_CLI_TABLE_H */

/* json.h - a streaming JSON writer for the commands' machine-readable output.
 *
 * Values are written as they come, so a large result never exists twice in memory. The
 * writer tracks nesting itself (commas, indentation), so callers only say what comes next:
 * a key (inside objects) and then a value or a nested container. Strings are escaped and
 * any bytes that are not valid UTF-8 are replaced by U+FFFD, because names in a snapshot
 * come from the target process and are not trusted to be text.
 *
 * Every top-level value ends with a newline: with pretty = TRUE a command prints one indented
 * document; with pretty = FALSE each top-level value is one line (JSON Lines).
 * docs/json-schema.md describes the documents the commands write.
 */
#ifndef HW_CLI_JSON_H
#define HW_CLI_JSON_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hw_json hw_json;

/* A writer to `out` (not owned; not closed by hw_json_free()). */
hw_json *hw_json_new(FILE *out, gboolean pretty);
/* Frees the writer; asserts that every container was closed (a bug otherwise). */
void hw_json_free(hw_json *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_json, hw_json_free)

void hw_json_begin_object(hw_json *j);
void hw_json_end_object(hw_json *j);
void hw_json_begin_array(hw_json *j);
void hw_json_end_array(hw_json *j);

/* The key of the next member; only inside an object. */
void hw_json_key(hw_json *j, const char *key);

void hw_json_string(hw_json *j, const char *s);
void hw_json_string_len(hw_json *j, const char *s, size_t len);
void hw_json_u64(hw_json *j, uint64_t v);
void hw_json_i64(hw_json *j, int64_t v);
void hw_json_double(hw_json *j, double v);   /* non-finite values are written as null */
void hw_json_bool(hw_json *j, gboolean v);
void hw_json_null(hw_json *j);
/* An address, as the string "0x..." (JSON numbers lose precision above 2^53). */
void hw_json_addr(hw_json *j, uint64_t addr);

#endif /* HW_CLI_JSON_H */

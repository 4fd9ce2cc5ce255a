/* fuzz-corenotes.c - fuzz target: the ELF core note parser (src/target/corenotes.c).
 *
 * Input: the bytes of one PT_NOTE segment. The parser must return TRUE or a GError, never
 * crash, hang or allocate by an unchecked count. Seeds: corpus/corenotes/.
 */
#include <stddef.h>
#include <stdint.h>

#include "target/corenotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_auto(hw_core_notes) notes;
	g_autoptr(GError) err = NULL;
	hw_core_notes_init(&notes);
	if (!hw_core_notes_parse(&notes, data, size, 0, &err))
		g_assert(err != NULL && err->message != NULL);
	return 0;
}

/* fuzz-v8.c - fuzz target: the V8 .heapsnapshot importer (src/import/v8-snapshot.c's parser
 * and v8-rules.c's retention rules, both rule sets).
 *
 * Input: a whole .heapsnapshot. hw_v8_snapshot_parse() must return a snapshot or a GError,
 * never crash, hang or allocate by an unchecked count; a parsed snapshot must then go through
 * both rule sets. Seeds: corpus/v8/ (tests/v8/node/fixtures.js's snapshots and broken ones).
 */
#include <stddef.h>
#include <stdint.h>

#include "import/v8-rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(hw_v8_snapshot) s = hw_v8_snapshot_parse((const char *)data, size, &err);

	g_assert(s != NULL || err != NULL);
	if (s) {
		g_autoptr(hw_v8_retention) dt = hw_v8_retention_compute(s, HW_V8_RULES_DEVTOOLS);
		g_autoptr(hw_v8_retention) ml = hw_v8_retention_compute(s, HW_V8_RULES_MEMLAB);
		g_assert(dt->root < s->n_nodes && ml->root < s->n_nodes);
	}
	return 0;
}

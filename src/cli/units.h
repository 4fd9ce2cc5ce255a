/* units.h - human-readable numbers for text output.
 *
 * Text output shows sizes in binary units with one decimal (1.5 KiB, 12.0 MiB), plain bytes
 * below 1 KiB; JSON output always carries exact byte counts instead.
 */
#ifndef HW_CLI_UNITS_H
#define HW_CLI_UNITS_H

#include <stdint.h>

/* Big enough for any result of hw_units_bytes(). */
#define HW_UNITS_BUF 32

/* Writes `bytes` as "512 B", "1.5 KiB", ..., "3.2 EiB" into buf and returns buf. */
const char *hw_units_bytes(char buf[HW_UNITS_BUF], uint64_t bytes);

#endif /* HW_CLI_UNITS_H */

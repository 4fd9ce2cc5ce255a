/* units.c - human-readable numbers for text output (see units.h). */
#include "units.h"

#include <stdio.h>

const char *hw_units_bytes(char buf[HW_UNITS_BUF], uint64_t bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, HW_UNITS_BUF, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	/* Move up while the value would print as 1024.0 or more in the current unit. */
	while (u < 5 && v >= 1023.95) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, HW_UNITS_BUF, "%.1f %s", v, unit[u]);
	return buf;
}

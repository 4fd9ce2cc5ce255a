/* progress.c - the progress line on stderr (see progress.h). */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#define SHOW_AFTER_US (G_USEC_PER_SEC)
#define REDRAW_EVERY_US (G_USEC_PER_SEC / 10)

struct hw_progress {
	gboolean enabled;    /* stderr is a terminal */
	gboolean shown;      /* a line is on the screen and must be erased */
	gint64 start_us;
	gint64 last_us;
};

hw_progress *hw_progress_new(void)
{
	hw_progress *p = g_new0(hw_progress, 1);

	p->enabled = isatty(STDERR_FILENO);
	p->start_us = g_get_monotonic_time();
	return p;
}

void hw_progress_report(const char *phase, double fraction, void *user)
{
	hw_progress *p = user;
	gint64 now;

	if (!p || !p->enabled)
		return;
	now = g_get_monotonic_time();
	if (now - p->start_us < SHOW_AFTER_US || now - p->last_us < REDRAW_EVERY_US)
		return;
	p->last_us = now;
	p->shown = TRUE;
	fprintf(stderr, "\rheapwalk: %s %3d%%\033[K", phase, (int)(CLAMP(fraction, 0.0, 1.0) * 100.0));
	fflush(stderr);
}

void hw_progress_free(hw_progress *p)
{
	if (!p)
		return;
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	g_free(p);
}

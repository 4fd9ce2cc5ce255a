/* progress.h - the progress line on stderr for work that takes more than a second.
 *
 * Only when stderr is a terminal: a `\r`-updated line "heapwalk: <phase> 42%", first shown
 * one second after hw_progress_new() and redrawn at most ten times a second, then erased by
 * hw_progress_free() so the command's own output starts on a clean line. Reports are cheap
 * (one clock read).
 */
#ifndef HW_CLI_PROGRESS_H
#define HW_CLI_PROGRESS_H

#include <glib.h>
#include <stdint.h>

typedef struct hw_progress hw_progress;

hw_progress *hw_progress_new(void);
/* Reports that `fraction` (0..1) of `phase` is done. The signature is analysis/'s
 * hw_progress_fn, with the hw_progress as `user`, so it can be passed to the analyses as is. */
void hw_progress_report(const char *phase, double fraction, void *user);
void hw_progress_free(hw_progress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(hw_progress, hw_progress_free)

#endif /* HW_CLI_PROGRESS_H */

/* select.h - choose sets of objects by type, for groups and reports.
 *
 * The CLI names object sets by type: an exact type name or a glob (GPatternSpec: '*' and '?')
 * on the type name as the runtime prints it. Objects of unknown type (id 0) have the name "".
 */
#ifndef HW_SELECT_H
#define HW_SELECT_H

#include "graph.h"

G_BEGIN_DECLS

/* Object indices, in increasing order, whose type name matches `glob`. Returns a GArray of
 * uint32_t (possibly empty). */
GArray *hw_select_by_type_glob(const hw_graph *g, const char *glob);

/* Object indices whose type id is `type`. */
GArray *hw_select_by_type(const hw_graph *g, uint32_t type);

G_END_DECLS

#endif /* HW_SELECT_H */

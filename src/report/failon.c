/* failon.c - the CI gate: `report --fail-on RULE[,RULE...]` and the exit status it sets.
 *
 * Two rules, each with a default threshold (docs/report.md gives the reasons):
 *   growth[=PCT]      the reachable heap grew by more than PCT percent (default 10): from the
 *                     baseline's last snapshot when --baseline is given, else from the
 *                     series' first snapshot to its last;
 *   new[=SEVERITY]    a finding that is not in the baseline (every finding, without one) has
 *                     this severity or a higher one (low, medium, high; default medium).
 * The verdict goes into the report itself (r->gate), so every output says why CI failed.
 */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/units.h"

static gboolean bad_rule(GError **error, const char *rule, const char *why)
{
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
	            "--fail-on: bad rule '%s': %s (expected growth[=PCT] or new[=low|medium|high])", rule, why);
	return FALSE;
}

static gboolean parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (end == s || errno || !(v >= 0) || v > 1e9)
		return FALSE;
	if (*end == '%')
		end++;
	*out = v;
	return *end == '\0';
}

gboolean hw_failon_parse(hw_failon *f, const char *spec, GError **error)
{
	g_auto(GStrv) rules = g_strsplit(spec, ",", -1);

	for (char **p = rules; *p; p++) {
		char *rule = g_strstrip(*p);
		char *eq = strchr(rule, '=');
		const char *value = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (strcmp(rule, "growth") == 0) {
			f->growth = TRUE;
			f->growth_pct = HW_FAILON_DEFAULT_GROWTH_PCT;
			if (value && !parse_pct(value, &f->growth_pct))
				return bad_rule(error, *p, "the growth must be a percentage >= 0");
		} else if (strcmp(rule, "new") == 0) {
			f->new_finding = TRUE;
			f->new_severity = HW_FAILON_DEFAULT_SEVERITY;
			if (value && !hw_severity_parse(value, &f->new_severity))
				return bad_rule(error, *p, "the severity must be low, medium or high");
		} else {
			return bad_rule(error, rule[0] ? rule : spec, "unknown rule");
		}
	}
	return TRUE;
}

void hw_failon_evaluate(const hw_failon *f, hw_report *r)
{
	GString *rules = g_string_new(NULL);
	char a[HW_UNITS_BUF], b[HW_UNITS_BUF];

	r->gate.enabled = f->growth || f->new_finding;
	if (f->growth) {
		hw_report_tally t = hw_report_tally_of(r);

		g_string_append_printf(rules, "growth>%g%%", f->growth_pct);
		if (t.growth_pct > f->growth_pct)
			g_ptr_array_add(r->gate.violations, g_strdup_printf(
				"the reachable heap grew by %.1f%% (from %s in %s to %s), more than %g%%", t.growth_pct,
				hw_units_bytes(a, t.from), t.from_baseline ? "the baseline" : "the first snapshot",
				hw_units_bytes(b, t.to), f->growth_pct));
	}
	if (f->new_finding) {
		g_string_append_printf(rules, "%snew>=%s", rules->len ? "," : "", hw_severity_name(f->new_severity));
		for (guint i = 0; i < r->findings->len; i++) {
			const hw_finding *x = r->findings->pdata[i];
			if (r->is_new[i] && x->severity >= f->new_severity)
				g_ptr_array_add(r->gate.violations, g_strdup_printf(
					"new %s finding: %s", hw_severity_name(x->severity), x->title));
		}
	}
	r->gate.rules = g_string_free(rules, !r->gate.enabled);
	r->gate.failed = r->gate.violations->len > 0;
}

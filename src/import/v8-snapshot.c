/* v8-snapshot.c - the streaming parser for V8 `.heapsnapshot` files (see v8-snapshot.h).
 *
 * The file is one JSON object: a small `snapshot` header (field names and type names in
 * `meta`, the counts), then flat integer arrays `nodes` and `edges`, then `strings`; other
 * members (`trace_*`, `samples`, `locations`, `scopes`...) are skipped. The parser walks the
 * bytes once with a cursor: the header and the string table go through a small tokenizer, the
 * two integer arrays through a tight digit loop that stores each field where meta says it is.
 * Nothing recurses: skipping an unknown member counts bracket depth.
 */
#include "v8-snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(hw-v8-error-quark, hw_v8_error)

static const char *const node_type_names[HW_V8_NODE__COUNT] = {
	"hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
	"synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
	"wasm object", "other",
};
static const char *const edge_type_names[HW_V8_EDGE__COUNT] = {
	"context", "element", "property", "internal", "hidden", "shortcut", "weak", "other",
};

const char *hw_v8_node_type_name(hw_v8_node_type t)
{
	return t < HW_V8_NODE__COUNT ? node_type_names[t] : "other";
}

const char *hw_v8_edge_type_name(hw_v8_edge_type t)
{
	return t < HW_V8_EDGE__COUNT ? edge_type_names[t] : "other";
}

/* A type list from meta, mapped onto our codes; more than this many types is refused. */
#define MAX_TYPES 64
/* More fields per node or edge than this is refused (V8 has 7 and 3). */
#define MAX_FIELDS 64

enum { NF_TYPE, NF_NAME, NF_ID, NF_SELF, NF_EDGES, NF__COUNT };
enum { EF_TYPE, EF_NAME, EF_TO, EF__COUNT };
static const char *const node_field_names[NF__COUNT] = { "type", "name", "id", "self_size", "edge_count" };
static const char *const edge_field_names[EF__COUNT] = { "type", "name_or_index", "to_node" };

typedef struct parser {
	const char *base, *p, *end;
	GError **error;
	GByteArray *tmp;                  /* scratch for keys and meta strings */

	/* from meta */
	uint32_t nf, ef;                  /* fields per node / edge */
	int node_pos[NF__COUNT];          /* position of each field we use, -1 until seen */
	int edge_pos[EF__COUNT];
	uint8_t node_map[MAX_TYPES];      /* file type code -> hw_v8_node_type */
	uint8_t edge_map[MAX_TYPES];
	uint32_t n_node_types, n_edge_types;
	uint64_t node_count, edge_count, root_index;
	gboolean have_header, have_nodes, have_edges, have_strings;
} parser;

static gboolean fail(parser *ps, const char *field, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(parser *ps, const char *field, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(ps->error, HW_V8_ERROR, HW_V8_ERROR_FORMAT, "V8 heap snapshot: %s (at byte %llu, in %s)",
	            msg, (unsigned long long)(ps->p - ps->base), field);
	return FALSE;
}

static inline gboolean is_ws(char ch)
{
	return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

static void ws(parser *ps)
{
	while (ps->p < ps->end && is_ws(*ps->p))
		ps->p++;
}

static gboolean expect(parser *ps, char ch, const char *field)
{
	ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, field, "the file ends where '%c' was expected", ch);
	if (*ps->p != ch)
		return fail(ps, field, "expected '%c', found '%c'", ch, g_ascii_isprint(*ps->p) ? *ps->p : '?');
	ps->p++;
	return TRUE;
}

/* After an element of an array or object: consumes ',' (*more = TRUE) or the closing `close`
 * (*more = FALSE); anything else is an error. */
static gboolean next_or_close(parser *ps, char close, gboolean *more, const char *field)
{
	ws(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		*more = TRUE;
		return TRUE;
	}
	*more = FALSE;
	return expect(ps, close, field);
}

/* Opens an array or object: TRUE with *empty set if it closes at once. */
static gboolean open_seq(parser *ps, char open, char close, gboolean *empty, const char *field)
{
	if (!expect(ps, open, field))
		return FALSE;
	ws(ps);
	*empty = ps->p < ps->end && *ps->p == close;
	if (*empty)
		ps->p++;
	return TRUE;
}

static void put_utf8(GByteArray *out, uint32_t cp)
{
	guint8 b[4];
	guint n;

	/* Lone surrogates (0xD800..0xDFFF) come out as their 3-byte form: WTF-8. */
	if (cp < 0x80) {
		b[0] = (guint8)cp; n = 1;
	} else if (cp < 0x800) {
		b[0] = (guint8)(0xC0 | cp >> 6); b[1] = (guint8)(0x80 | (cp & 0x3F)); n = 2;
	} else if (cp < 0x10000) {
		b[0] = (guint8)(0xE0 | cp >> 12); b[1] = (guint8)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (guint8)(0x80 | (cp & 0x3F)); n = 3;
	} else {
		b[0] = (guint8)(0xF0 | cp >> 18); b[1] = (guint8)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (guint8)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (guint8)(0x80 | (cp & 0x3F)); n = 4;
	}
	g_byte_array_append(out, b, n);
}

static gboolean hex4(parser *ps, const char *at, uint32_t *out, const char *field)
{
	uint32_t v = 0;

	if (ps->end - at < 4)
		return fail(ps, field, "the file ends inside a \\u escape");
	for (int i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(at[i]);
		if (d < 0)
			return fail(ps, field, "bad \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return TRUE;
}

/* Parses a JSON string at the cursor, appending its decoded bytes to `out` (NULL: skip). */
static gboolean parse_string(parser *ps, GByteArray *out, const char *field)
{
	ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, field, "expected a string");
	ps->p++;
	for (;;) {
		const char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && (guchar)*ps->p >= 0x20)
			ps->p++;
		if (out && ps->p > run)
			g_byte_array_append(out, (const guint8 *)run, (guint)(ps->p - run));
		if (ps->p >= ps->end)
			return fail(ps, field, "the file ends inside a string");
		if (*ps->p == '"') {
			ps->p++;
			return TRUE;
		}
		if (*ps->p != '\\')
			return fail(ps, field, "a control character (0x%02x) inside a string", (guchar)*ps->p);
		if (ps->end - ps->p < 2)
			return fail(ps, field, "the file ends inside an escape");
		char e = ps->p[1];
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e && simple) {
			static const char decoded[] = "\"\\/\b\f\n\r\t";
			if (out)
				g_byte_array_append(out, (const guint8 *)&decoded[simple - "\"\\/bfnrt"], 1);
			ps->p += 2;
			continue;
		}
		if (e != 'u')
			return fail(ps, field, "unknown escape '\\%c'", g_ascii_isprint(e) ? e : '?');
		uint32_t cp = 0, lo = 0;
		if (!hex4(ps, ps->p + 2, &cp, field))
			return FALSE;
		ps->p += 6;
		/* A high surrogate followed by an escaped low one is one code point. */
		if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
			if (!hex4(ps, ps->p + 2, &lo, field))
				return FALSE;
			if (lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				ps->p += 6;
			}
		}
		if (out)
			put_utf8(out, cp);
	}
}

/* Parses a string into ps->tmp, NUL-terminated; returns it (valid until the next call). */
static const char *parse_tmp_string(parser *ps, const char *field)
{
	g_byte_array_set_size(ps->tmp, 0);
	if (!parse_string(ps, ps->tmp, field))
		return NULL;
	g_byte_array_append(ps->tmp, (const guint8 *)"", 1);
	return (const char *)ps->tmp->data;
}


/* Reads the decimal digits at p into *x and returns the end of them: p itself when p holds no
 * digit, NULL when the number passes 2^64 - 1. Up to eight digits are taken at once, SWAR
 * style: a mask of the non-digit bytes gives the length, three multiplications the value (V8's
 * numbers are short, so this replaces a branch per digit that the CPU mispredicts). */
static inline const char *read_digits(const char *p, const char *end, uint64_t *x)
{
	const uint64_t zeros = UINT64_C(0x3030303030303030), high = UINT64_C(0x8080808080808080);
	uint64_t v = 0;
	unsigned d;

	if (G_LIKELY(end - p >= 8)) {
		uint64_t w;
		memcpy(&w, p, 8);
		w = GUINT64_FROM_LE(w);                 /* byte i is p[i] */
		/* A byte's top bit ends up set if it is >= 0x80, 0x3A..0x7F or below 0x30. */
		uint64_t low7 = w & ~high;
		uint64_t nondigit = (w | (low7 + UINT64_C(0x4646464646464646)) | ~(low7 + UINT64_C(0x5050505050505050))) & high;
		unsigned n = nondigit ? (unsigned)__builtin_ctzll(nondigit) / 8 : 8;
		if (n == 0)
			return p;
		if (n < 8)   /* keep the n digits, as the last ones of eight, after leading '0's */
			w = w << (8 * (8 - n)) | zeros >> (8 * n);
		w -= zeros;
		w = w * 10 + (w >> 8);                  /* pairs of digits */
		v = ((w & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32)) +
		     ((w >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32))) >> 32;
		p += n;
		if (n < 8) {
			*x = v;
			return p;
		}
	}
	for (; p < end && (d = (unsigned)(guchar)*p - '0') <= 9; p++) {
		if (G_UNLIKELY(v > (UINT64_MAX - 9) / 10) && v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*x = v;
	return p;
}

static gboolean parse_uint(parser *ps, uint64_t *v, const char *field)
{
	const char *digits;

	ws(ps);
	digits = read_digits(ps->p, ps->end, v);
	if (!digits)
		return fail(ps, field, "a number too large for 64 bits");
	if (digits == ps->p)
		return fail(ps, field, "expected a non-negative integer");
	ps->p = digits;
	if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
		return fail(ps, field, "expected an integer, found a fraction or an exponent");
	return TRUE;
}

/* Skips one JSON value of any kind, counting bracket depth instead of recursing. */
static gboolean skip_value(parser *ps, const char *field)
{
	uint64_t depth = 0;

	do {
		ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, field, "the file ends inside a value");
		char ch = *ps->p;
		if (ch == '"') {
			if (!parse_string(ps, NULL, field))
				return FALSE;
		} else if (ch == '{' || ch == '[') {
			depth++;
			ps->p++;
		} else if (ch == '}' || ch == ']') {
			if (depth == 0)
				return fail(ps, field, "unbalanced '%c'", ch);
			depth--;
			ps->p++;
		} else if (ch == ',' || ch == ':') {
			if (depth == 0)
				return fail(ps, field, "expected a value");
			ps->p++;
		} else if (g_ascii_isalnum(ch) || ch == '-' || ch == '+' || ch == '.') {
			while (ps->p < ps->end && (g_ascii_isalnum(*ps->p) || *ps->p == '-' || *ps->p == '+' || *ps->p == '.'))
				ps->p++;
		} else {
			return fail(ps, field, "unexpected character '%c'", g_ascii_isprint(ch) ? ch : '?');
		}
	} while (depth > 0);
	return TRUE;
}

/* meta.node_fields / edge_fields: records where each field we use sits. */
static gboolean parse_fields(parser *ps, const char *const *names, int n_names, int *pos, uint32_t *count,
                             const char *field)
{
	gboolean empty, more = TRUE;
	uint32_t i = 0;

	for (int k = 0; k < n_names; k++)
		pos[k] = -1;
	if (!open_seq(ps, '[', ']', &empty, field))
		return FALSE;
	while (!empty && more) {
		const char *s = parse_tmp_string(ps, field);
		if (!s)
			return FALSE;
		if (i >= MAX_FIELDS)
			return fail(ps, field, "more than %d fields", MAX_FIELDS);
		for (int k = 0; k < n_names; k++)
			if (strcmp(s, names[k]) == 0) {
				if (pos[k] >= 0)
					return fail(ps, field, "the field \"%s\" is listed twice", s);
				pos[k] = (int)i;
			}
		i++;
		if (!next_or_close(ps, ']', &more, field))
			return FALSE;
	}
	for (int k = 0; k < n_names; k++)
		if (pos[k] < 0)
			return fail(ps, field, "the field \"%s\" is missing", names[k]);
	*count = i;
	return TRUE;
}

/* meta.node_types / edge_types: element `at` (the position of the "type" field, as the tools
 * read it) lists the type names, which are mapped onto our codes; the other elements are skipped. */
static gboolean parse_types(parser *ps, int at, const char *const *names, int n_names, uint8_t *map,
                            uint32_t *count, const char *field)
{
	gboolean empty, more = TRUE;
	int k = 0;

	*count = 0;
	if (!open_seq(ps, '[', ']', &empty, field))
		return FALSE;
	for (; !empty && more; k++) {
		gboolean inner_empty, inner_more = TRUE;
		if (k != at) {
			if (!skip_value(ps, field) || !next_or_close(ps, ']', &more, field))
				return FALSE;
			continue;
		}
		if (!open_seq(ps, '[', ']', &inner_empty, field))
			return FALSE;
		while (!inner_empty && inner_more) {
			const char *s = parse_tmp_string(ps, field);
			if (!s)
				return FALSE;
			if (*count >= MAX_TYPES)
				return fail(ps, field, "more than %d types", MAX_TYPES);
			map[*count] = (uint8_t)(n_names - 1);   /* the last code is "other" */
			for (int j = 0; j < n_names - 1; j++)
				if (strcmp(s, names[j]) == 0)
					map[*count] = (uint8_t)j;
			(*count)++;
			if (!next_or_close(ps, ']', &inner_more, field))
				return FALSE;
		}
		if (!next_or_close(ps, ']', &more, field))
			return FALSE;
	}
	if (k <= at)
		return fail(ps, field, "no type list at position %d (the \"type\" field's)", at);
	return TRUE;
}

static gboolean parse_meta(parser *ps)
{
	gboolean empty, more = TRUE;
	gboolean seen_nf = FALSE, seen_ef = FALSE, seen_nt = FALSE, seen_et = FALSE;

	if (!open_seq(ps, '{', '}', &empty, "snapshot.meta"))
		return FALSE;
	while (!empty && more) {
		const char *key = parse_tmp_string(ps, "snapshot.meta");
		if (!key || !expect(ps, ':', "snapshot.meta"))
			return FALSE;
		gboolean ok;
		if (strcmp(key, "node_fields") == 0)
			ok = parse_fields(ps, node_field_names, NF__COUNT, ps->node_pos, &ps->nf, "snapshot.meta.node_fields"), seen_nf = TRUE;
		else if (strcmp(key, "edge_fields") == 0)
			ok = parse_fields(ps, edge_field_names, EF__COUNT, ps->edge_pos, &ps->ef, "snapshot.meta.edge_fields"), seen_ef = TRUE;
		else if ((strcmp(key, "node_types") == 0 && !seen_nf) || (strcmp(key, "edge_types") == 0 && !seen_ef))
			return fail(ps, "snapshot.meta", "\"%s\" comes before the field list it describes", key);
		else if (strcmp(key, "node_types") == 0)
			ok = parse_types(ps, ps->node_pos[NF_TYPE], node_type_names, HW_V8_NODE__COUNT, ps->node_map, &ps->n_node_types,
			                 "snapshot.meta.node_types"), seen_nt = TRUE;
		else if (strcmp(key, "edge_types") == 0)
			ok = parse_types(ps, ps->edge_pos[EF_TYPE], edge_type_names, HW_V8_EDGE__COUNT, ps->edge_map, &ps->n_edge_types,
			                 "snapshot.meta.edge_types"), seen_et = TRUE;
		else
			ok = skip_value(ps, "snapshot.meta");
		if (!ok || !next_or_close(ps, '}', &more, "snapshot.meta"))
			return FALSE;
	}
	if (!seen_nf || !seen_ef || !seen_nt || !seen_et)
		return fail(ps, "snapshot.meta", "meta lacks %s", !seen_nf ? "node_fields" : !seen_ef ? "edge_fields" :
		            !seen_nt ? "node_types" : "edge_types");
	return TRUE;
}

static gboolean parse_header(parser *ps)
{
	gboolean empty, more = TRUE, seen_meta = FALSE, seen_nc = FALSE, seen_ec = FALSE;

	if (!open_seq(ps, '{', '}', &empty, "snapshot"))
		return FALSE;
	while (!empty && more) {
		const char *key = parse_tmp_string(ps, "snapshot");
		if (!key || !expect(ps, ':', "snapshot"))
			return FALSE;
		gboolean ok;
		if (strcmp(key, "meta") == 0)
			ok = parse_meta(ps), seen_meta = TRUE;
		else if (strcmp(key, "node_count") == 0)
			ok = parse_uint(ps, &ps->node_count, "snapshot.node_count"), seen_nc = TRUE;
		else if (strcmp(key, "edge_count") == 0)
			ok = parse_uint(ps, &ps->edge_count, "snapshot.edge_count"), seen_ec = TRUE;
		else if (strcmp(key, "root_index") == 0)
			ok = parse_uint(ps, &ps->root_index, "snapshot.root_index");
		else
			ok = skip_value(ps, "snapshot");
		if (!ok || !next_or_close(ps, '}', &more, "snapshot"))
			return FALSE;
	}
	if (!seen_meta || !seen_nc || !seen_ec)
		return fail(ps, "snapshot", "the header lacks %s", !seen_meta ? "meta" : !seen_nc ? "node_count" : "edge_count");
	ps->have_header = TRUE;
	return TRUE;
}

/* Checks that `count` records of `fields` integers each can be in the rest of the file (each
 * integer takes at least two bytes, a digit and a separator) before anything is allocated. */
static gboolean check_count(parser *ps, uint64_t count, uint32_t fields, uint64_t limit, const char *field)
{
	uint64_t rest = (uint64_t)(ps->end - ps->p);

	if (count > limit) {
		g_set_error(ps->error, HW_V8_ERROR, HW_V8_ERROR_LIMIT, "V8 heap snapshot: %s is %llu, more than heapwalk's "
		            "limit of %llu", field, (unsigned long long)count, (unsigned long long)limit);
		return FALSE;
	}
	if (count > 0 && count > (rest + 1) / 2 / fields)
		return fail(ps, field, "%llu records of %u numbers cannot fit in the %llu bytes left", (unsigned long long)count,
		            fields, (unsigned long long)rest);
	return TRUE;
}

/* Reads record k (of `count`) of an integer array, `fields` numbers, into vals. Every number is
 * followed by ',' except the array's last, followed by ']'; whitespace may surround either.
 * This loop reads nearly every byte of a snapshot, so it works on a local cursor. */
static inline gboolean read_record(parser *ps, uint64_t *vals, uint32_t fields, uint64_t k, uint64_t count,
                                   const char *field)
{
	const char *p = ps->p, *const end = ps->end;

	for (uint32_t f = 0; f < fields; f++) {
		uint64_t x;
		while (p < end && is_ws(*p))
			p++;
		const char *digits = read_digits(p, end, &x);
		if (!digits || digits == p) {
			ps->p = p;
			return fail(ps, field, digits ? "expected a non-negative integer" : "a number too large for 64 bits");
		}
		p = digits;
		vals[f] = x;
		const char *after = p;
		while (p < end && is_ws(*p))   /* V8 ends each record with a newline */
			p++;
		if (G_LIKELY(p < end && *p == ',') && G_LIKELY(k + 1 < count || f + 1 < fields)) {
			p++;
			continue;
		}
		ps->p = after;
		if (after < end && (*after == '.' || *after == 'e' || *after == 'E'))
			return fail(ps, field, "expected an integer, found a fraction or an exponent");
		ps->p = p;
		gboolean last = k + 1 == count && f + 1 == fields;
		if (p < end && *p == ',' && last)
			return fail(ps, field, "more numbers than the header's count (%llu records of %u)",
			            (unsigned long long)count, fields);
		if (p < end && *p == ']' && !last)
			return fail(ps, field, "%llu numbers where the header promises %llu records of %u",
			            (unsigned long long)(k * fields + f + 1), (unsigned long long)count, fields);
		if (!expect(ps, last ? ']' : ',', field))
			return FALSE;
		p = ps->p;
	}
	ps->p = p;
	return TRUE;
}

/* Opens an integer array of `count` records: FALSE (with the error) unless its emptiness
 * matches the count. */
static gboolean open_int_array(parser *ps, uint64_t count, uint32_t fields, const char *field)
{
	gboolean empty;

	if (!open_seq(ps, '[', ']', &empty, field))
		return FALSE;
	if (empty && count > 0)
		return fail(ps, field, "0 numbers where the header promises %llu records of %u", (unsigned long long)count,
		            fields);
	if (!empty && count == 0)
		return fail(ps, field, "more numbers than the header's count (0 records of %u)", fields);
	return TRUE;
}

static gboolean parse_nodes(parser *ps, hw_v8_snapshot *s)
{
	uint64_t edges_so_far = 0, vals[MAX_FIELDS];

	if (!ps->have_header)
		return fail(ps, "nodes", "\"nodes\" comes before the \"snapshot\" header");
	if (!check_count(ps, ps->node_count, ps->nf, HW_V8_MAX_NODES, "snapshot.node_count"))
		return FALSE;
	if (ps->node_count == 0)
		return fail(ps, "snapshot.node_count", "the snapshot has no nodes (not even the root)");
	s->n_nodes = (uint32_t)ps->node_count;
	s->node_type = g_new0(uint8_t, s->n_nodes);
	s->node_name = g_new0(uint32_t, s->n_nodes);
	s->node_id = g_new0(uint64_t, s->n_nodes);
	s->node_self = g_new0(uint64_t, s->n_nodes);
	s->first_edge = g_new0(uint32_t, (gsize)s->n_nodes + 1);

	const int pt = ps->node_pos[NF_TYPE], pn = ps->node_pos[NF_NAME], pi = ps->node_pos[NF_ID];
	const int psz = ps->node_pos[NF_SELF], pe = ps->node_pos[NF_EDGES];
	if (!open_int_array(ps, ps->node_count, ps->nf, "nodes"))
		return FALSE;
	for (uint32_t k = 0; k < s->n_nodes; k++) {
		if (!read_record(ps, vals, ps->nf, k, ps->node_count, "nodes"))
			return FALSE;
		if (vals[pt] >= ps->n_node_types)
			return fail(ps, "nodes", "node %u has type code %llu, meta lists %u types", k,
			            (unsigned long long)vals[pt], ps->n_node_types);
		if (vals[pn] > UINT32_MAX)
			return fail(ps, "nodes", "node %u has name index %llu", k, (unsigned long long)vals[pn]);
		s->node_type[k] = ps->node_map[vals[pt]];
		s->node_name[k] = (uint32_t)vals[pn];
		s->node_id[k] = vals[pi];
		s->node_self[k] = vals[psz];
		s->first_edge[k] = (uint32_t)edges_so_far;
		if (vals[pe] > ps->edge_count - edges_so_far)
			return fail(ps, "nodes", "the edge_count fields pass the header's edge_count %llu at node %u",
			            (unsigned long long)ps->edge_count, k);
		edges_so_far += vals[pe];
	}
	if (edges_so_far != ps->edge_count)
		return fail(ps, "nodes", "the edge_count fields add up to %llu, the header says %llu",
		            (unsigned long long)edges_so_far, (unsigned long long)ps->edge_count);
	s->first_edge[s->n_nodes] = (uint32_t)edges_so_far;
	if (ps->root_index % ps->nf != 0 || ps->root_index / ps->nf >= ps->node_count)
		return fail(ps, "snapshot.root_index", "root_index %llu is not the offset of a node",
		            (unsigned long long)ps->root_index);
	s->root = (uint32_t)(ps->root_index / ps->nf);
	ps->have_nodes = TRUE;
	return TRUE;
}

static gboolean parse_edges(parser *ps, hw_v8_snapshot *s)
{
	uint64_t vals[MAX_FIELDS];

	if (!ps->have_nodes)
		return fail(ps, "edges", "\"edges\" comes before \"nodes\"");
	if (!check_count(ps, ps->edge_count, ps->ef, HW_V8_MAX_EDGES, "snapshot.edge_count"))
		return FALSE;
	s->n_edges = (uint32_t)ps->edge_count;
	s->edge_type = g_new0(uint8_t, s->n_edges);
	s->edge_name = g_new0(uint32_t, s->n_edges);
	s->edge_to = g_new0(uint32_t, s->n_edges);

	const int pt = ps->edge_pos[EF_TYPE], pn = ps->edge_pos[EF_NAME], pto = ps->edge_pos[EF_TO];
	const uint64_t nodes_len = ps->node_count * ps->nf;   /* not s->n_nodes: see parse_nodes_edges */
	if (!open_int_array(ps, ps->edge_count, ps->ef, "edges"))
		return FALSE;
	for (uint32_t k = 0; k < s->n_edges; k++) {
		if (!read_record(ps, vals, ps->ef, k, ps->edge_count, "edges"))
			return FALSE;
		if (vals[pt] >= ps->n_edge_types)
			return fail(ps, "edges", "edge %u has type code %llu, meta lists %u types", k,
			            (unsigned long long)vals[pt], ps->n_edge_types);
		if (vals[pn] > UINT32_MAX)
			return fail(ps, "edges", "edge %u has name_or_index %llu", k, (unsigned long long)vals[pn]);
		if (vals[pto] % ps->nf != 0 || vals[pto] >= nodes_len)
			return fail(ps, "edges", "edge %u has to_node %llu, not the offset of a node", k,
			            (unsigned long long)vals[pto]);
		s->edge_type[k] = ps->edge_map[vals[pt]];
		s->edge_name[k] = (uint32_t)vals[pn];
		s->edge_to[k] = (uint32_t)(vals[pto] / ps->nf);
	}
	ps->have_edges = TRUE;
	return TRUE;
}

/* When the file is large and "edges" follows "nodes" directly (as V8 writes them), a second
 * thread parses the edges while this one reads the nodes: the two arrays are nearly all of
 * the bytes and independent (edges are checked against the header's node count, and each
 * side writes its own fields of the snapshot), so on two cores the parse takes about the time
 * of the larger one. The nodes array holds only numbers, so the first ']' after its start
 * closes it. Results and errors are those of the sequential parse: the nodes' error first. */
#define PARALLEL_MIN_BYTES (8u << 20)

typedef struct edge_job {
	parser ps;
	hw_v8_snapshot *s;
	GError *error;
	gboolean ok;
} edge_job;

static gpointer edge_job_run(gpointer data)
{
	edge_job *job = data;

	job->ps.error = &job->error;
	job->ok = parse_edges(&job->ps, job->s);
	return NULL;
}

/* If p holds `,"edges":` (with whitespace anywhere between), returns where the value starts. */
static const char *edges_member_at(const char *p, const char *end)
{
	static const char key[] = "\"edges\"";

	while (p < end && is_ws(*p))
		p++;
	if (p == end || *p++ != ',')
		return NULL;
	while (p < end && is_ws(*p))
		p++;
	if ((size_t)(end - p) < sizeof key - 1 || memcmp(p, key, sizeof key - 1) != 0)
		return NULL;
	p += sizeof key - 1;
	while (p < end && is_ws(*p))
		p++;
	return p < end && *p == ':' ? p + 1 : NULL;
}

static gboolean parse_nodes_edges(parser *ps, hw_v8_snapshot *s)
{
	const char *close = NULL, *edges = NULL;
	GThread *thread = NULL;
	edge_job job;

	if (ps->have_header && (size_t)(ps->end - ps->p) >= PARALLEL_MIN_BYTES &&
	    (close = memchr(ps->p, ']', (size_t)(ps->end - ps->p))) && (edges = edges_member_at(close + 1, ps->end))) {
		job = (edge_job){ .ps = *ps, .s = s };
		job.ps.p = edges;
		job.ps.have_nodes = TRUE;   /* the nodes' result is checked before the edges' is used */
		thread = g_thread_try_new("heapwalk-v8-edges", edge_job_run, &job, NULL);
	}
	gboolean ok = parse_nodes(ps, s);
	if (!thread)
		return ok;
	g_thread_join(thread);
	if (!ok) {
		g_clear_error(&job.error);
		return FALSE;
	}
	g_assert(ps->p == close + 1);
	if (!job.ok) {
		g_propagate_error(ps->error, job.error);
		return FALSE;
	}
	ps->p = job.ps.p;
	ps->have_edges = TRUE;
	return TRUE;
}

static gboolean parse_strings(parser *ps, hw_v8_snapshot *s)
{
	gboolean empty, more = TRUE;
	g_autoptr(GArray) off = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	GByteArray *buf = g_byte_array_new();

	/* off[i] is where string i starts; each string is followed by a NUL, and a last entry
	 * closes the table, so string i is [off[i], off[i+1] - 1). */
	if (!open_seq(ps, '[', ']', &empty, "strings"))
		goto fail;
	while (!empty && more) {
		uint64_t start = buf->len;
		if (off->len >= HW_V8_MAX_STRINGS) {
			g_set_error(ps->error, HW_V8_ERROR, HW_V8_ERROR_LIMIT, "V8 heap snapshot: more than %u strings",
			            HW_V8_MAX_STRINGS);
			goto fail;
		}
		g_array_append_val(off, start);
		if (!parse_string(ps, buf, "strings"))
			goto fail;
		g_byte_array_append(buf, (const guint8 *)"", 1);
		if (!next_or_close(ps, ']', &more, "strings"))
			goto fail;
	}
	uint64_t total = buf->len;
	g_array_append_val(off, total);
	s->n_strings = off->len - 1;
	s->str_buf = (char *)g_byte_array_free(buf, FALSE);
	s->str_off = (uint64_t *)(void *)g_array_steal(off, NULL);
	ps->have_strings = TRUE;
	return TRUE;
fail:
	g_byte_array_free(buf, TRUE);
	return FALSE;
}

/* Checks what could only be checked once the string table was read: every name is a string. */
static gboolean check_names(parser *ps, const hw_v8_snapshot *s)
{
	for (uint32_t v = 0; v < s->n_nodes; v++)
		if (s->node_name[v] >= s->n_strings)
			return fail(ps, "nodes", "node %u (id %llu) names string %u, the table has %u", v,
			            (unsigned long long)s->node_id[v], s->node_name[v], s->n_strings);
	for (uint32_t e = 0; e < s->n_edges; e++)
		if (!hw_v8_edge_has_index(s->edge_type[e]) && s->edge_name[e] >= s->n_strings)
			return fail(ps, "edges", "edge %u (%s) names string %u, the table has %u", e,
			            hw_v8_edge_type_name(s->edge_type[e]), s->edge_name[e], s->n_strings);
	return TRUE;
}

hw_v8_snapshot *hw_v8_snapshot_parse(const char *data, size_t len, GError **error)
{
	g_autoptr(hw_v8_snapshot) s = g_new0(hw_v8_snapshot, 1);
	g_autoptr(GByteArray) tmp = g_byte_array_new();
	parser ps = { .base = data, .p = data, .end = data + len, .error = error, .tmp = tmp };
	gboolean empty, more = TRUE;

	if (!open_seq(&ps, '{', '}', &empty, "the top-level object"))
		return NULL;
	while (!empty && more) {
		const char *key = parse_tmp_string(&ps, "the top-level object");
		if (!key || !expect(&ps, ':', "the top-level object"))
			return NULL;
		gboolean ok, *seen = NULL;
		if (strcmp(key, "snapshot") == 0)
			seen = &ps.have_header;
		else if (strcmp(key, "nodes") == 0)
			seen = &ps.have_nodes;
		else if (strcmp(key, "edges") == 0)
			seen = &ps.have_edges;
		else if (strcmp(key, "strings") == 0)
			seen = &ps.have_strings;
		if (seen && *seen) {
			fail(&ps, key, "\"%s\" appears twice", key);
			return NULL;
		}
		if (seen == &ps.have_header)
			ok = parse_header(&ps);
		else if (seen == &ps.have_nodes)
			ok = parse_nodes_edges(&ps, s);
		else if (seen == &ps.have_edges)
			ok = parse_edges(&ps, s);
		else if (seen == &ps.have_strings)
			ok = parse_strings(&ps, s);
		else
			ok = skip_value(&ps, "the top-level object");
		if (!ok || !next_or_close(&ps, '}', &more, "the top-level object"))
			return NULL;
	}
	if (!ps.have_header || !ps.have_nodes || !ps.have_edges || !ps.have_strings) {
		fail(&ps, "the top-level object", "the member \"%s\" is missing", !ps.have_header ? "snapshot" :
		     !ps.have_nodes ? "nodes" : !ps.have_edges ? "edges" : "strings");
		return NULL;
	}
	ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, "the top-level object", "data after the end of the snapshot");
		return NULL;
	}
	if (!check_names(&ps, s))
		return NULL;
	s->has_root_index = ps.root_index != 0;
	return g_steal_pointer(&s);
}

hw_v8_snapshot *hw_v8_snapshot_load(const char *path, GError **error)
{
	struct stat st;
	hw_v8_snapshot *s;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_IO, "%s: %s", path, g_strerror(err));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (st.st_size == 0) {
		close(fd);
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_FORMAT, "%s: the file is empty", path);
		return NULL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		g_set_error(error, HW_V8_ERROR, HW_V8_ERROR_IO, "%s: mmap: %s", path, g_strerror(errno));
		return NULL;
	}
	/* One front-to-back pass: tell the kernel to read ahead and drop pages behind us. */
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	s = hw_v8_snapshot_parse(map, (size_t)st.st_size, error);
	munmap(map, (size_t)st.st_size);
	if (!s)
		g_prefix_error(error, "%s: ", path);
	return s;
}

void hw_v8_snapshot_free(hw_v8_snapshot *s)
{
	if (!s)
		return;
	g_free(s->node_type);
	g_free(s->node_name);
	g_free(s->node_id);
	g_free(s->node_self);
	g_free(s->first_edge);
	g_free(s->edge_type);
	g_free(s->edge_name);
	g_free(s->edge_to);
	g_free(s->str_off);
	g_free(s->str_buf);
	g_free(s);
}

gboolean hw_v8_sniff(const char *head, size_t len)
{
	static const char magic[] = "{\"snapshot\"";
	size_t i = 0;

	while (i < len && g_ascii_isspace(head[i]))
		i++;
	return len - i >= sizeof magic - 1 && memcmp(head + i, magic, sizeof magic - 1) == 0;
}

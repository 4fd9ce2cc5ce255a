/* intern.c - string and type interning for the writer (see intern.h).
 *
 * Hand-written open addressing keeps dumpfmt libc-only. Tables double when half full, so a
 * probe sequence is short and always ends at an empty slot (id 0).
 */
#include <stdlib.h>
#include <string.h>

#include "intern.h"

static uint64_t hash_bytes(const void *s, size_t len)
{
	const unsigned char *p = s;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a final mix for the low bits */
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* Doubles the table (64 slots at first), rehashing every entry. Returns 0 on success. */
static int strtab_grow(hwd_strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct hwd_str_slot *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i].id)
			continue;
		size_t j = t->slots[i].hash & (ncap - 1);
		while (ns[j].id)
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

uint32_t hwd__strtab_intern(hwd_strtab *t, const void *s, size_t len, int *added)
{
	*added = 0;
	if (len > UINT32_MAX)
		return 0;
	if ((t->count + 1) * (uint64_t)2 > t->cap && strtab_grow(t) < 0)
		return 0;
	uint64_t h = hash_bytes(s, len);
	size_t j = h & (t->cap - 1);
	for (; t->slots[j].id; j = (j + 1) & (t->cap - 1)) {
		struct hwd_str_slot *sl = &t->slots[j];
		if (sl->hash == h && sl->len == len && (!len || memcmp(t->arena + sl->off, s, len) == 0))
			return sl->id;
	}
	if (t->count == UINT32_MAX)
		return 0;
	if (t->arena_len + len > t->arena_cap) {
		size_t ncap = t->arena_cap ? t->arena_cap : 4096;
		while (ncap < t->arena_len + len)
			ncap *= 2;
		char *na = realloc(t->arena, ncap);
		if (!na)
			return 0;
		t->arena = na;
		t->arena_cap = ncap;
	}
	if (len)
		memcpy(t->arena + t->arena_len, s, len);
	t->slots[j] = (struct hwd_str_slot){ h, t->arena_len, (uint32_t)len, ++t->count };
	t->arena_len += len;
	*added = 1;
	return t->count;
}

void hwd__strtab_free(hwd_strtab *t)
{
	free(t->slots);
	free(t->arena);
	memset(t, 0, sizeof *t);
}

static uint64_t type_hash(uint32_t name, uint64_t size, uint32_t kind)
{
	return mix64(mix64(size) ^ ((uint64_t)name << 16 | kind));
}

static int typetab_grow(hwd_typetab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct hwd_type_slot *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		struct hwd_type_slot *sl = &t->slots[i];
		if (!sl->id)
			continue;
		size_t j = type_hash(sl->name, sl->size, sl->kind) & (ncap - 1);
		while (ns[j].id)
			j = (j + 1) & (ncap - 1);
		ns[j] = *sl;
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

uint32_t hwd__typetab_intern(hwd_typetab *t, uint32_t name, uint64_t size, uint32_t kind, int *added)
{
	*added = 0;
	if ((t->count + 1) * (uint64_t)2 > t->cap && typetab_grow(t) < 0)
		return 0;
	size_t j = type_hash(name, size, kind) & (t->cap - 1);
	for (; t->slots[j].id; j = (j + 1) & (t->cap - 1)) {
		struct hwd_type_slot *sl = &t->slots[j];
		if (sl->name == name && sl->size == size && sl->kind == kind)
			return sl->id;
	}
	if (t->count == UINT32_MAX)
		return 0;
	t->slots[j] = (struct hwd_type_slot){ size, name, kind, ++t->count };
	*added = 1;
	return t->count;
}

void hwd__typetab_free(hwd_typetab *t)
{
	free(t->slots);
	memset(t, 0, sizeof *t);
}

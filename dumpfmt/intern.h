/* intern.h - the writer's string and type tables: same key, same id.
 *
 * Both are open-addressing hash tables (linear probing, power-of-two capacity, load <= 1/2)
 * owned by the writer. Ids are dense from 1 in first-seen order, which is also the order
 * the writer emits them into STRINGS and TYPES chunks. The string table keeps its own copy
 * of every string's bytes in one arena (freed with the table).
 */
#ifndef HWD_INTERN_H
#define HWD_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct hwd_strtab {
	struct hwd_str_slot { uint64_t hash; uint64_t off; uint32_t len; uint32_t id; } *slots;
	size_t cap;           /* slots, a power of two (0 before the first insert) */
	uint32_t count;       /* ids handed out */
	char *arena;          /* the bytes of every interned string, back to back */
	size_t arena_len, arena_cap;
} hwd_strtab;

typedef struct hwd_typetab {
	struct hwd_type_slot { uint64_t size; uint32_t name; uint32_t kind; uint32_t id; } *slots;
	size_t cap;
	uint32_t count;
} hwd_typetab;

/* Returns the id of (s, len), adding it when new (*added = 1); 0 when out of memory or when
 * the table holds 2^32-1 strings already. */
uint32_t hwd__strtab_intern(hwd_strtab *t, const void *s, size_t len, int *added);
void hwd__strtab_free(hwd_strtab *t);

uint32_t hwd__typetab_intern(hwd_typetab *t, uint32_t name, uint64_t size, uint32_t kind, int *added);
void hwd__typetab_free(hwd_typetab *t);

#endif

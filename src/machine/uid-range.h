#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every machine gets a user namespace backed by its own block of 65536 host UIDs and GIDs, taken from
 * [UID_RANGE_FIRST, UID_RANGE_END) in 64K-aligned blocks (the range systemd-nspawn picks from too).
 *
 * Which machine owns which block is kept in a registry that survives reboots, so a machine keeps its block
 * and the files it wrote stay attributable to it. The registry is a directory (BERTH_VAR_DIR "/uid-ranges"
 * in production) holding one symlink per claimed block:
 *
 *     1342177280 -> web
 *     1342242816 -> db
 *
 * The symlink's name is the block's base UID in decimal, without leading zeros; its target is the machine
 * name. A symlink comes into being complete, target and all, and its target is read in one call, so
 * claiming a block is a single symlinkat(): of two processes racing for a block exactly one gets it, the
 * other sees EEXIST and moves on. No file contents means no half-written entry after a crash. Readers skip
 * every entry they do not fully understand: names that are not the canonical decimal base of a block,
 * anything that is not a symlink, targets that are not valid machine names. Such entries are never removed
 * or overwritten either, so a block behind a junk entry stays unused until an administrator looks at it.
 *
 * Claims of new blocks and releases also take an flock on a ".lock" file (mode 0600) in the directory, so
 * that two processes working on the same name cannot each claim a block for it, and a release cannot remove
 * an entry another process has just reclaimed. Readers do not lock: every entry they see is complete. */

/* Where berth keeps the registry. */
#define UID_RANGE_REGISTRY BERTH_VAR_DIR "/uid-ranges"

#define UID_RANGE_FIRST    0x00080000U
#define UID_RANGE_END      0x6FFF0000U /* exclusive */
#define UID_RANGE_BLOCK    0x10000U
#define UID_RANGE_N_BLOCKS ((UID_RANGE_END - UID_RANGE_FIRST) / UID_RANGE_BLOCK)

typedef struct UidRangeEntry {
        uid_t base;
        char *name;
} UidRangeEntry;

void uid_range_entries_free(UidRangeEntry *e, size_t n);

/* Whether base is the first UID of one of the blocks. */
bool uid_range_base_is_valid(uid_t base);

/* The first block to try for a name: FNV-1a 64 of the name, mod the number of blocks. Stable across
 * versions and hosts, so a name tends to get the same block everywhere. */
uid_t uid_range_hint(const char *name);

/* true when [base, base+count) contains a UID (field 3) of a passwd-format text or a GID (field 3) of a
 * group-format text; text may be NULL. Lines starting with '#' are comments; NIS "+"/"-" lines count when
 * they carry a number. Lines without a numeric third field are skipped. Pure. */
bool uid_range_text_uses(const char *text, uid_t base, uint32_t count);

/* The block registered to name: 0 and *ret_base, or -ENOENT. When a hand edit left a name with several
 * entries, the lowest base wins. */
int uid_range_registry_lookup(const char *dir, const char *name, uid_t *ret_base);

/* The name's block: the registered one if any (*ret_new=false), else claims a free block starting at
 * uid_range_hint(name) and probing onward with wrap-around, skipping blocks that host_passwd/host_group
 * texts (may be NULL) use (*ret_new=true). Creates dir (and parents, 0755) if missing. -ENOSPC when every
 * block is taken. ret_new may be NULL. */
int uid_range_registry_claim(const char *dir, const char *name, const char *host_passwd,
                             const char *host_group, uid_t *ret_base, bool *ret_new);

/* All valid entries, sorted by base. A missing dir is an empty registry (*ret=NULL, *ret_n=0). */
int uid_range_registry_list(const char *dir, UidRangeEntry **ret, size_t *ret_n);

/* For explicit ranges (--private-users=UID:COUNT): if [base, base+count) overlaps a block registered to a
 * name other than self (NULL: any name), -EBUSY and *ret_owner = strdup(that name) (ret_owner may be
 * NULL); with several, the one with the lowest base. 0 otherwise. */
int uid_range_registry_check(const char *dir, uid_t base, uint32_t count, const char *self,
                             char **ret_owner);

/* Removes the name's entry (all of them, after a hand edit): 0, or -ENOENT if it had none. */
int uid_range_registry_release(const char *dir, const char *name);

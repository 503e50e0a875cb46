#pragma once

#include <stdint.h>

#include "tar-util.h"

/* Extracting a tar archive into a machine tree. The archive is untrusted: it may come from anywhere, so
 * every member is checked, and extraction runs in a child process confined to the target directory
 * (chroot'ed there when the caller may), with libarchive's SECURE_* checks on top. */

#define TAR_IMPORT_ENTRY_SIZE_MAX_DEFAULT (256ULL << 30) /* 256 GiB: logical size of one member */
#define TAR_IMPORT_ENTRIES_MAX_DEFAULT    (16ULL << 20)  /* 16 Mi members */

typedef struct TarImportOptions {
        uint64_t max_entry_size; /* 0: TAR_IMPORT_ENTRY_SIZE_MAX_DEFAULT */
        uint64_t max_entries;    /* 0: TAR_IMPORT_ENTRIES_MAX_DEFAULT */
        TarProgressFunc progress;
        void *userdata;
} TarImportOptions;

/* Reads a tar archive (uncompressed or in any compression libarchive knows; ustar, pax, GNU and v7
 * formats) from archive_fd and extracts it into target_dir_fd, which must be an empty directory
 * (-ENOTEMPTY otherwise). Keeps numeric owners (names are never looked up), modes, mtimes, xattrs
 * (security.capability included), POSIX ACLs, hard links, device nodes, fifos, symlinks and sparse
 * files; sockets are skipped, file flags (chattr) are not restored.
 *
 * Refuses, naming the member: absolute names, ".." components, names or link targets longer than
 * TAR_PATH_MAX or with a component longer than NAME_MAX, writing through a symlink, hard links that
 * leave the tree, ACL entries naming a user or group without its number, members over the size limit, more
 * members than the limit, truncated or malformed archives, and any failure to restore a member's data or
 * metadata.
 *
 * On failure the target holds what was extracted so far: the caller removes it. ret_error, when not
 * NULL, is filled on failure (not on success; free it with tar_error_done()). */
int tar_import(int archive_fd, int target_dir_fd, const TarImportOptions *opts, TarError *ret_error);

/* Checks one member name (or hard link target) as tar_import() does. Returns 0, or a negative errno
 * with a static sentence in *ret_reason. */
int tar_member_name_check(const char *name, const char **ret_reason);

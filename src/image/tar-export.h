#pragma once

#include "tar-util.h"

typedef struct TarExportOptions {
        TarProgressFunc progress; /* bytes = file data archived so far; total = 0 */
        void *userdata;
} TarExportOptions;

/* Writes the tree below root_dir_fd to out_fd as a pax tar archive, compressed as asked, that GNU tar,
 * bsdtar and tar_import() read: members "./", "./bin", "./bin/sh", … in name order, numeric owners (no
 * names), modes, mtimes (with nanoseconds), xattrs (security.capability included), POSIX ACLs, hard
 * links (the first name carries the data), device nodes, fifos, symlinks (never followed) and sparse
 * files (holes are not stored). Does not descend into other mounts beneath the root: a directory that
 * is a mount point is archived empty, anything else mounted is left out. Sockets are left out.
 *
 * Metadata that cannot be read fails the export, naming the path. ret_error as for tar_import(). */
int tar_export(int root_dir_fd, int out_fd, TarCompression compression, const TarExportOptions *opts,
               TarError *ret_error);

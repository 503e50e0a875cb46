#pragma once

#include <errno.h>
#include <locale.h>
#include <stdint.h>

#include "macro.h"

/* The longest member name or link target, in bytes (PATH_MAX without its NUL). */
#define TAR_PATH_MAX 4095

/* What tar import and export share: the compression of an archive, how a refusal names its member,
 * and the progress callback. */

typedef enum TarCompression {
        TAR_COMPRESSION_NONE,
        TAR_COMPRESSION_GZIP,
        TAR_COMPRESSION_XZ,
        TAR_COMPRESSION_ZSTD,
        TAR_COMPRESSION_BZIP2,
        _TAR_COMPRESSION_MAX,
        _TAR_COMPRESSION_INVALID = -EINVAL,
} TarCompression;

/* "none", "gzip", "xz", "zstd", "bzip2". */
const char *tar_compression_to_string(TarCompression c);
TarCompression tar_compression_from_string(const char *s);
/* From the name an archive is written to: .tar, .tar.gz/.tgz, .tar.xz/.txz, .tar.zst/.tzst,
 * .tar.bz2/.tbz2, and "-" (stdout) for an uncompressed stream. Anything else: -EINVAL. */
TarCompression tar_compression_from_filename(const char *filename);

/* Why an import or export stopped: the archive member (or tree path) it stopped at, if any, and a
 * sentence saying why. Either may be NULL. */
typedef struct TarError {
        char *member;
        char *reason;
} TarError;

void tar_error_done(TarError *e);
/* Sets both fields (copies; member may be NULL). Returns -|error|, for `return tar_error_set(...)`. */
int tar_error_set(TarError *e, int error, const char *member, const char *reason);

/* bytes: compressed input read so far (import) or file data archived so far (export); total: the
 * size of the input when known, else 0; entries: members done. Called at most a few times per MiB. */
typedef void (*TarProgressFunc)(uint64_t bytes, uint64_t total, uint64_t entries, void *userdata);

/* libarchive converts names between UTF-8 (pax headers) and the current locale's charset; in the C
 * locale any non-ASCII name fails that. Import and export switch the calling thread (only) to C.UTF-8
 * while they work, and back. Without a C.UTF-8 locale on the host nothing changes. */
typedef struct TarLocale {
        locale_t utf8;
        locale_t saved;
} TarLocale;

void tar_locale_push(TarLocale *l);
void tar_locale_pop(TarLocale *l);

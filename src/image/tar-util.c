#include <stdbool.h>
#include <string.h>

#include "tar-util.h"

static const char *const tar_compression_table[_TAR_COMPRESSION_MAX] = {
        [TAR_COMPRESSION_NONE] = "none", [TAR_COMPRESSION_GZIP] = "gzip",   [TAR_COMPRESSION_XZ] = "xz",
        [TAR_COMPRESSION_ZSTD] = "zstd", [TAR_COMPRESSION_BZIP2] = "bzip2",
};

const char *tar_compression_to_string(TarCompression c) {
        if (c < 0 || c >= _TAR_COMPRESSION_MAX)
                return NULL;
        return tar_compression_table[c];
}

TarCompression tar_compression_from_string(const char *s) {
        if (!s)
                return _TAR_COMPRESSION_INVALID;
        for (int i = 0; i < _TAR_COMPRESSION_MAX; i++)
                if (streq(tar_compression_table[i], s))
                        return (TarCompression) i;
        return _TAR_COMPRESSION_INVALID;
}

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n > k && streq(s + n - k, suffix);
}

TarCompression tar_compression_from_filename(const char *filename) {
        static const struct {
                const char *suffix;
                TarCompression compression;
        } suffixes[] = {
                { ".tar", TAR_COMPRESSION_NONE },   { ".tar.gz", TAR_COMPRESSION_GZIP },
                { ".tgz", TAR_COMPRESSION_GZIP },   { ".tar.xz", TAR_COMPRESSION_XZ },
                { ".txz", TAR_COMPRESSION_XZ },     { ".tar.zst", TAR_COMPRESSION_ZSTD },
                { ".tzst", TAR_COMPRESSION_ZSTD },  { ".tar.bz2", TAR_COMPRESSION_BZIP2 },
                { ".tbz2", TAR_COMPRESSION_BZIP2 },
        };

        if (!filename)
                return _TAR_COMPRESSION_INVALID;
        if (streq(filename, "-"))
                return TAR_COMPRESSION_NONE;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (endswith(filename, suffixes[i].suffix))
                        return suffixes[i].compression;
        return _TAR_COMPRESSION_INVALID;
}

void tar_error_done(TarError *e) {
        if (!e)
                return;
        e->member = mfree(e->member);
        e->reason = mfree(e->reason);
}

int tar_error_set(TarError *e, int error, const char *member, const char *reason) {
        error = error < 0 ? error : -error;
        if (error == 0)
                error = -EIO;
        if (!e)
                return error;
        tar_error_done(e);
        e->member = member ? strdup(member) : NULL;
        e->reason = reason ? strdup(reason) : NULL;
        return error;
}

void tar_locale_push(TarLocale *l) {
        *l = (TarLocale){};
        l->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
        if (l->utf8 == (locale_t) 0)
                return;
        l->saved = uselocale(l->utf8);
        if (l->saved == (locale_t) 0) {
                freelocale(l->utf8);
                l->utf8 = (locale_t) 0;
        }
}

void tar_locale_pop(TarLocale *l) {
        if (l->utf8 == (locale_t) 0)
                return;
        (void) uselocale(l->saved);
        freelocale(l->utf8);
        *l = (TarLocale){};
}

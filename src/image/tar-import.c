#include <archive.h>
#include <assert.h>
#include <inttypes.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "process-util.h"
#include "tar-import.h"

/* The child reports over a SOCK_SEQPACKET pair, one frame per packet: progress now and then, and at
 * the end either DONE or ERROR (errno, the member, the reason). */

#define TAR_REASON_MAX        512
#define PROGRESS_BYTES_STEP   (256U * 1024U)
#define PROGRESS_ENTRIES_STEP 256U
#define READ_BLOCK_SIZE       (64U * 1024U)

typedef enum FrameType {
        FRAME_PROGRESS = 1,
        FRAME_ERROR,
        FRAME_DONE,
} FrameType;

typedef struct Frame {
        uint32_t type;
        int32_t error; /* positive errno, FRAME_ERROR only */
        uint64_t bytes;
        uint64_t entries;
        char text[TAR_PATH_MAX + 1 + TAR_REASON_MAX + 1]; /* member NUL reason NUL */
} Frame;

#define FRAME_HEADER_SIZE offsetof(Frame, text)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);

static bool member_type_known(mode_t type) {
        switch (type) {
        case AE_IFREG:
        case AE_IFDIR:
        case AE_IFLNK:
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
        case AE_IFSOCK:
                return true;
        default:
                return false;
        }
}

int tar_member_name_check(const char *name, const char **ret_reason) {
        const char *p;
        size_t n;

        assert(ret_reason);

        if (isempty(name)) {
                *ret_reason = "the member has no name";
                return -EBADMSG;
        }
        n = strnlen(name, TAR_PATH_MAX + 1);
        if (n > TAR_PATH_MAX) {
                *ret_reason = "the name is longer than the limit of 4095 bytes";
                return -ENAMETOOLONG;
        }
        if (name[0] == '/') {
                *ret_reason = "absolute names are refused";
                return -EPERM;
        }
        for (p = name; *p;) {
                size_t k = strcspn(p, "/");

                if (k > NAME_MAX) {
                        *ret_reason = "a name component is longer than 255 bytes";
                        return -ENAMETOOLONG;
                }
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        *ret_reason = "names with '..' components are refused";
                        return -EPERM;
                }
                p += k;
                p += strspn(p, "/");
        }
        *ret_reason = NULL;
        return 0;
}

/* ".", "./", ".//.": a member that names the target directory itself. */
static bool is_root_member(const char *name) {
        return name[strspn(name, "./")] == '\0' && !strstr(name, "..");
}

static int dir_is_empty(int dir_fd) {
        struct dirent *de;
        DIR *d;
        int r;

        r = opendir_at(dir_fd, ".", 0, &d);
        if (r < 0)
                return r;
        errno = 0;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        closedir(d);
                        return 0;
                }
        if (errno != 0) {
                r = negative_errno();
                closedir(d);
                return r;
        }
        closedir(d);
        return 1;
}

/* ---------------------------------------------------------------------------------------------------
 * The child */

typedef struct ImportChild {
        int sock;
        bool have_root_times;
        struct timespec root_times[2]; /* atime, mtime of the member naming the target itself ("./") */
        uint64_t max_entry_size;
        uint64_t max_entries;
        struct archive *reader;
        uint64_t entries;
        uint64_t sent_bytes;
        uint64_t sent_entries;
} ImportChild;

static uint64_t child_bytes(ImportChild *c) {
        int64_t b = archive_filter_bytes(c->reader, -1);

        return b > 0 ? (uint64_t) b : 0;
}

static void child_send(ImportChild *c, FrameType type, int error, const char *member, const char *reason) {
        Frame f = {
                .type = type,
                .error = error < 0 ? -error : error,
                .bytes = c->reader ? child_bytes(c) : 0,
                .entries = c->entries,
        };
        size_t m = 0, k = 0;

        if (member) {
                m = strnlen(member, TAR_PATH_MAX);
                memcpy(f.text, member, m);
        }
        f.text[m] = '\0';
        if (reason) {
                k = strnlen(reason, TAR_REASON_MAX);
                memcpy(f.text + m + 1, reason, k);
        }
        f.text[m + 1 + k] = '\0';
        /* Nothing to do about a failed send: the parent notices the missing DONE. */
        (void) send(c->sock, &f, FRAME_HEADER_SIZE + m + 1 + k + 1, MSG_NOSIGNAL);
        c->sent_bytes = f.bytes;
        c->sent_entries = f.entries;
}

static void child_progress(ImportChild *c) {
        if (child_bytes(c) - c->sent_bytes >= PROGRESS_BYTES_STEP ||
            c->entries - c->sent_entries >= PROGRESS_ENTRIES_STEP)
                child_send(c, FRAME_PROGRESS, 0, NULL, NULL);
}

static int child_fail(ImportChild *c, int error, const char *member, const char *fmt, ...) _printf_(4, 5);
static int child_fail(ImportChild *c, int error, const char *member, const char *fmt, ...) {
        char reason[TAR_REASON_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (error == 0)
                error = EIO;
        child_send(c, FRAME_ERROR, error, member, reason);
        return error < 0 ? error : -error;
}

/* libarchive's errno where it has one; otherwise fallback: EBADMSG for what the reader finds wrong with
 * the archive, EPERM for what the disk writer refuses to do (write through a symlink, …). */
static int child_fail_archive(ImportChild *c, struct archive *a, int fallback, const char *member,
                              const char *what) {
        const char *s = archive_error_string(a);
        int e = archive_errno(a);

        /* libarchive says "file format" with EILSEQ (its private ARCHIVE_ERRNO_FILE_FORMAT), which
         * strerror() turns into talk of characters. */
        if (e == EILSEQ)
                e = EBADMSG;
        return child_fail(c, e > 0 ? e : fallback, member, "%s: %s", what, s ?: "unknown error");
}

/* A directory member whose name is already a symlink: libarchive would replace the symlink, which is
 * safe, but no honest archive does this, and other extractors follow such a symlink into wherever it
 * points. We are chroot'ed into the target (or in it, with libarchive checking every component), so
 * the lookup stays inside; the trailing slashes go, or lstat() would follow the symlink. */
static int check_dir_over_symlink(ImportChild *c, struct archive_entry *e, const char *name) {
        char path[TAR_PATH_MAX + 1];
        size_t n = strlen(name);
        struct stat st;

        if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
                return 0;
        while (n > 1 && name[n - 1] == '/')
                n--;
        memcpy(path, name, n);
        path[n] = '\0';
        if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                return 0;
        return child_fail(c, EPERM, name, "a directory member would replace the symlink of the same name");
}

static int check_entry(ImportChild *c, struct archive_entry *e, const char *name) {
        const char *reason, *target;
        mode_t type = archive_entry_filetype(e);
        int r;

        r = tar_member_name_check(name, &reason);
        if (r < 0)
                return child_fail(c, r, name, "%s", reason);

        target = archive_entry_hardlink(e);
        if (target) {
                r = tar_member_name_check(target, &reason);
                if (r < 0)
                        return child_fail(c, r, name, "hard link target: %s", reason);
        }
        target = archive_entry_symlink(e);
        if (target && strnlen(target, TAR_PATH_MAX + 1) > TAR_PATH_MAX)
                return child_fail(c, ENAMETOOLONG, name, "the symlink target is longer than 4095 bytes");

        if (!archive_entry_hardlink(e) && !member_type_known(type))
                return child_fail(c, EBADMSG, name, "unknown member type 0%o", (unsigned) type);

        if (archive_entry_size_is_set(e) && archive_entry_size(e) < 0)
                return child_fail(c, EBADMSG, name, "negative size");
        if (archive_entry_size_is_set(e) && (uint64_t) archive_entry_size(e) > c->max_entry_size)
                return child_fail(c, EFBIG, name, "the member is larger than the limit of %" PRIu64 " bytes",
                                  c->max_entry_size);
        return 0;
}

/* Owners are numeric, and so must ACL entries be: an entry that has only a name (GNU tar writes names
 * where the machine that made the archive had them) cannot be restored without looking the name up, in
 * a passwd that is not the tree's. libarchive would drop a directory's ACL silently. */
static int check_acl(ImportChild *c, struct archive_entry *e, const char *name) {
        int type, permset, tag, id;
        const char *qualifier;

        if (archive_entry_acl_reset(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) <= 0)
                return 0;
        while (archive_entry_acl_next(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E, &type, &permset, &tag, &id,
                                      &qualifier) == ARCHIVE_OK)
                if ((tag == ARCHIVE_ENTRY_ACL_USER || tag == ARCHIVE_ENTRY_ACL_GROUP) && id < 0)
                        return child_fail(c, EINVAL, name,
                                          "an ACL entry names the %s '%s' without its number "
                                          "(only numeric ACLs can be restored)",
                                          tag == ARCHIVE_ENTRY_ACL_USER ? "user" : "group",
                                          qualifier ?: "?");
        return 0;
}

static int copy_data(ImportChild *c, struct archive *writer, const char *name) {
        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                int r;

                r = archive_read_data_block(c->reader, &buf, &size, &offset);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return child_fail_archive(c, c->reader, EBADMSG, name,
                                                  "cannot read the member's data");
                if (offset < 0 || (uint64_t) offset > c->max_entry_size ||
                    size > c->max_entry_size - (uint64_t) offset)
                        return child_fail(c, EFBIG, name,
                                          "the member's data go past the limit of %" PRIu64 " bytes",
                                          c->max_entry_size);
                if (archive_write_data_block(writer, buf, size, offset) < ARCHIVE_OK)
                        return child_fail_archive(c, writer, EPERM, name, "cannot write the member's data");
                child_progress(c);
        }
}

/* Steps, in the child:
 *   1. open the archive (before the chroot: a compression libarchive runs as an external program is
 *      found on the host, not in the tree being made)
 *   2. enter the target: fchdir(), then chroot(".") where we may, so nothing the archive does can
 *      name a path outside it
 *   3. the disk writer: numeric owners, modes, times, ACLs, xattrs, the SECURE_* checks
 *   4. every member: check it, write its header, its data, finish it
 *   5. close the writer, which sets the directories' modes and times it deferred */
static int import_child(ImportChild *c, int archive_fd, int target_fd) {
        _cleanup_(archive_write_freep) struct archive *writer = NULL;
        struct archive_entry *entry;
        int r;

        c->reader = archive_read_new();
        if (!c->reader)
                return child_fail(c, ENOMEM, NULL, "cannot allocate the archive reader");
        if (archive_read_support_filter_all(c->reader) < ARCHIVE_WARN ||
            archive_read_support_format_tar(c->reader) < ARCHIVE_OK ||
            archive_read_support_format_gnutar(c->reader) < ARCHIVE_WARN)
                return child_fail_archive(c, c->reader, EBADMSG, NULL, "cannot set up the archive reader");
        if (archive_read_open_fd(c->reader, archive_fd, READ_BLOCK_SIZE) < ARCHIVE_OK)
                return child_fail_archive(c, c->reader, EBADMSG, NULL, "not a tar archive");

        if (fchdir(target_fd) < 0)
                return child_fail(c, errno, NULL, "cannot enter the target directory: %m");
        if (chroot(".") < 0) {
                if (errno != EPERM)
                        return child_fail(c, errno, NULL, "cannot chroot into the target directory: %m");
                log_debug("tar import: no chroot (%m), relying on libarchive's checks alone");
        } else if (chdir("/") < 0)
                return child_fail(c, errno, NULL, "cannot enter the target directory: %m");
        safe_close(target_fd);

        writer = archive_write_disk_new();
        if (!writer)
                return child_fail(c, ENOMEM, NULL, "cannot allocate the disk writer");
        /* No archive_write_disk_set_standard_lookup(): owners stay numeric. No FFLAGS: an immutable
         * flag from the archive would keep the caller from removing a failed import. */
        if (archive_write_disk_set_options(
                    writer, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
                                    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS) < ARCHIVE_OK)
                return child_fail_archive(c, writer, EIO, NULL, "cannot set up the disk writer");

        for (;;) {
                const char *name;

                r = archive_read_next_header(c->reader, &entry);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return child_fail_archive(c, c->reader, EBADMSG, NULL,
                                                  "cannot read the next member");
                if (r == ARCHIVE_WARN)
                        log_debug("tar import: %s", archive_error_string(c->reader) ?: "warning");

                name = archive_entry_pathname(entry);
                if (c->entries >= c->max_entries)
                        return child_fail(c, E2BIG, name,
                                          "the archive has more members than the limit of %" PRIu64,
                                          c->max_entries);
                r = check_entry(c, entry, name);
                if (r < 0)
                        return r;
                r = check_dir_over_symlink(c, entry, name);
                if (r < 0)
                        return r;
                r = check_acl(c, entry, name);
                if (r < 0)
                        return r;

                if (!archive_entry_hardlink(entry) && archive_entry_filetype(entry) == AE_IFSOCK) {
                        /* Like GNU tar: a socket is only meaningful to the process that bound it. */
                        c->entries++;
                        continue;
                }

                if (is_root_member(name) && archive_entry_filetype(entry) == AE_IFDIR &&
                    archive_entry_mtime_is_set(entry)) {
                        c->root_times[1] = (struct timespec){ .tv_sec = archive_entry_mtime(entry),
                                                              .tv_nsec = archive_entry_mtime_nsec(entry) };
                        c->root_times[0] = c->root_times[1];
                        if (archive_entry_atime_is_set(entry))
                                c->root_times[0] =
                                        (struct timespec){ .tv_sec = archive_entry_atime(entry),
                                                           .tv_nsec = archive_entry_atime_nsec(entry) };
                        c->have_root_times = true;
                }

                /* Warnings count as failures here: a member whose owner, mode, xattrs or ACLs could
                 * not be restored would make a tree that differs from the archive. */
                if (archive_write_header(writer, entry) != ARCHIVE_OK)
                        return child_fail_archive(c, writer, EPERM, name, "refused");
                r = copy_data(c, writer, name);
                if (r < 0)
                        return r;
                if (archive_write_finish_entry(writer) != ARCHIVE_OK)
                        return child_fail_archive(c, writer, EPERM, name, "cannot finish the member");
                c->entries++;
                child_progress(c);
        }

        if (archive_write_close(writer) != ARCHIVE_OK)
                return child_fail_archive(c, writer, EIO, NULL, "cannot finish the directories");
        /* libarchive restores the mode and owner of "./" but not its times; and only now, with every
         * member written, does the target's mtime stay put. */
        if (c->have_root_times && utimensat(AT_FDCWD, ".", c->root_times, AT_SYMLINK_NOFOLLOW) < 0)
                return child_fail(c, errno, ".", "cannot set the times of the top directory: %m");
        child_send(c, FRAME_DONE, 0, NULL, NULL);
        return 0;
}

/* ---------------------------------------------------------------------------------------------------
 * The parent */

static void kill_and_reap(pid_t *pid) {
        if (*pid <= 0)
                return;
        (void) kill(*pid, SIGKILL);
        (void) wait_pid(*pid, NULL);
        *pid = 0;
}

static int child_status_error(const siginfo_t *si, TarError *ret_error) {
        char reason[64];

        if (si->si_code == CLD_EXITED)
                snprintf(reason, sizeof(reason), "the extraction process exited with status %d",
                         si->si_status);
        else
                snprintf(reason, sizeof(reason), "the extraction process was killed by %s",
                         signal_name(si->si_status) ?: "a signal");
        return tar_error_set(ret_error, EPROTO, NULL, reason);
}

int tar_import(int archive_fd, int target_dir_fd, const TarImportOptions *opts, TarError *ret_error) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_(kill_and_reap) pid_t pid = 0;
        const TarImportOptions defaults = {};
        uint64_t total = 0;
        struct stat st;
        siginfo_t si;
        bool done = false;
        int error = 0, r;
        _cleanup_free_ Frame *f = NULL;
        _cleanup_free_ char *member = NULL, *reason = NULL;

        if (archive_fd < 0 || target_dir_fd < 0)
                return -EBADF;
        if (!opts)
                opts = &defaults;

        if (fstat(target_dir_fd, &st) < 0)
                return tar_error_set(ret_error, errno, NULL, "cannot stat the target directory");
        if (!S_ISDIR(st.st_mode))
                return tar_error_set(ret_error, ENOTDIR, NULL, "the target is not a directory");
        r = dir_is_empty(target_dir_fd);
        if (r < 0)
                return tar_error_set(ret_error, r, NULL, "cannot read the target directory");
        if (r == 0)
                return tar_error_set(ret_error, ENOTEMPTY, NULL, "the target directory is not empty");
        if (fstat(archive_fd, &st) == 0 && S_ISREG(st.st_mode))
                total = (uint64_t) st.st_size;

        f = malloc(sizeof(Frame) + 1);
        if (!f)
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return negative_errno();

        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                ImportChild c = {
                        .sock = pair[1],
                        .max_entry_size = opts->max_entry_size ?: TAR_IMPORT_ENTRY_SIZE_MAX_DEFAULT,
                        .max_entries = opts->max_entries ?: TAR_IMPORT_ENTRIES_MAX_DEFAULT,
                };
                int keep[] = { archive_fd, target_dir_fd, pair[1] };
                TarLocale locale;

                /* Nothing of the caller's but what the extraction needs: no directory fd to climb out
                 * of the chroot by, and the child dies with its parent. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (close_all_fds_except(keep, ELEMENTSOF(keep)) < 0)
                        _exit(EXIT_FAILURE);
                umask(0022);
                /* Before the chroot, which hides the locale files. */
                tar_locale_push(&locale);
                r = import_child(&c, archive_fd, target_dir_fd);
                _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
        }
        pair[1] = safe_close(pair[1]);

        for (;;) {
                ssize_t n = recv(pair[0], f, sizeof(Frame), 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                if ((size_t) n < FRAME_HEADER_SIZE + 2)
                        return tar_error_set(ret_error, EPROTO, NULL, "short message from the extraction");
                ((char *) f)[n] = '\0';

                if (opts->progress && f->type != FRAME_ERROR)
                        opts->progress(f->bytes, total, f->entries, opts->userdata);
                if (f->type == FRAME_DONE)
                        done = true;
                else if (f->type == FRAME_ERROR) {
                        size_t m = strnlen(f->text, (size_t) n - FRAME_HEADER_SIZE);

                        error = f->error > 0 ? f->error : EIO;
                        free(member);
                        free(reason);
                        member = f->text[0] ? strdup(f->text) : NULL;
                        reason = FRAME_HEADER_SIZE + m + 1 < (size_t) n ? strdup(f->text + m + 1) : NULL;
                }
        }

        r = wait_pid(pid, &si);
        if (r < 0)
                return r;
        pid = 0;
        if (error != 0)
                return tar_error_set(ret_error, error, member, reason ?: "extraction failed");
        if (!done || si.si_code != CLD_EXITED || si.si_status != 0)
                return child_status_error(&si, ret_error);
        return 0;
}

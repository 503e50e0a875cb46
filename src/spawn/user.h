#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Users are looked up in the machine's own /etc/passwd and /etc/group, never through the host's NSS. */

typedef struct UserRecord {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
        char *shell;
} UserRecord;

#define USER_DB_SIZE_MAX (8U * 1024U * 1024U)
#define USER_GROUPS_MAX  64U

void user_record_done(UserRecord *u);

/* Finds a user by name or (when spec is a number) by UID in passwd-format text. -ESRCH if absent. */
int user_record_find(const char *passwd_text, const char *spec, UserRecord *ret);
/* Supplementary groups of user from group-format text (lines listing user as a member). */
int user_groups_find(const char *group_text, const char *user, gid_t *groups, size_t max, size_t *ret_n);

/* The command's environment: the defaults, the user's, then extra (NAME=VALUE). */
int environment_build(const UserRecord *u, const char *term, const char *uuid, char *const *extra,
                      char ***ret);

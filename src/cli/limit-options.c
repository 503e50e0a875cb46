#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit-codes.h"
#include "limit-options.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

static size_t limit_options_count(void) {
        size_t n = 0;

        while (cgroup_limit_options[n].option)
                n++;
        return n;
}

struct option *limit_options_append(const struct option *options) {
        size_t n = 0, m = limit_options_count();
        struct option *all;

        while (options[n].name)
                n++;
        all = calloc(n + m + 1, sizeof(struct option));
        if (!all)
                return NULL;
        memcpy(all, options, n * sizeof(struct option));
        for (size_t i = 0; i < m; i++)
                all[n + i] = (struct option){ cgroup_limit_options[i].option, required_argument, NULL,
                                              LIMIT_OPTION_FIRST + (int) i };
        return all;
}

bool limit_option_is(int c) {
        return c >= LIMIT_OPTION_FIRST && (size_t) (c - LIMIT_OPTION_FIRST) < limit_options_count();
}

int limit_option_parse(int c, const char *arg, CgroupLimits *l) {
        const CgroupLimitOption *o;
        CgroupHostFacts facts;
        const CgroupHostFacts *host = NULL;
        const char *why = NULL;
        int r;

        assert(limit_option_is(c));
        o = &cgroup_limit_options[c - LIMIT_OPTION_FIRST];

        /* Only a percentage needs the host's memory size or pid_max; reading them for every option
         * would be wasted. Without them the percentage is refused, with a reason. */
        if (strchr(arg, '%') && cgroup_host_facts(&facts) >= 0)
                host = &facts;
        r = cgroup_limit_set_why(l, o->key, arg, host, &why);
        if (r == -ENOMEM) {
                log_oom();
                return EXIT_BERTH_INTERNAL;
        }
        if (r < 0) {
                log_error("--%s=%s: %s", o->option, string_has_cc(arg) ? "…" : arg, why);
                return EXIT_BERTH_USAGE;
        }
        return 0;
}

void limit_options_help(void) {
        for (const CgroupLimitOption *o = cgroup_limit_options; o->option; o++) {
                char opt[64];
                int n = snprintf(opt, sizeof(opt), "--%s=%s", o->option, o->arg);

                /* The column run's other options use, or two spaces after a longer one. */
                printf("     %s%*s%s\n", opt, n < 22 ? 24 - n : 2, "", o->help);
        }
}

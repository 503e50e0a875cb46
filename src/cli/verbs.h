#pragma once

#include <stdbool.h>

typedef struct Verb {
        const char *name;
        const char *group;
        const char *summary;
        /* argc/argv start at the verb; returns an exit code */
        int (*run)(int argc, char *argv[]);
} Verb;

const Verb *verb_find(const char *name);
void verbs_help(void);
int berth_main(int argc, char *argv[]);

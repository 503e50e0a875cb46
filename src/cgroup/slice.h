#pragma once

#include <stdbool.h>

/* The slice a machine's scope lives in, named as systemd names slices: "a-b.slice" is a child of
 * "a.slice", so its cgroup is a.slice/a-b.slice. --slice= and Slice= take either a full name ("x-y.slice")
 * or a short NAME, which stands for machine-NAME.slice, beneath machine.slice where machines live by
 * default. Names are systemd unit name characters, [A-Za-z0-9:_.-]: no leading '.' or '-', no trailing
 * '-', no "--" (each dash is a level). Pure. */

#define SLICE_NAME_MAX 255U /* systemd's unit name limit, ".slice" included */

/* What a bad --slice= or Slice= is told. */
#define SLICE_NAME_EXPECTED                                                                                \
        "expected NAME (for machine-NAME.slice) or a full name like tenants-a.slice, of letters, digits, " \
        "':', '_', '.' and single dashes between words"

bool slice_name_is_valid(const char *s);

/* The full unit name: "tenants" → "machine-tenants.slice", "a-b.slice" stays. -EINVAL when invalid. */
int slice_name_normalize(const char *s, char **ret);

/* The slice's cgroup below the cgroup2 root, its parents first: "tenants" → "machine.slice/
 * machine-tenants.slice", "a-b.slice" → "a.slice/a-b.slice", NULL → "machine.slice" (the default).
 * -EINVAL when invalid. */
int slice_to_path(const char *slice, char **ret);

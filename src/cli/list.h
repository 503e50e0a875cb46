#pragma once

#include "state.h"

int verb_list(int argc, char *argv[]);

/* The user namespace fields of a machine's JSON object (",\"private_users\":…"), shared by list and
 * status. */
void list_print_userns_json(const MachineState *m);
/* "idmapped", "shifted on disk", … for an OWNERSHIP= value. */
const char *list_ownership_description(const char *ownership);

#pragma once

#include <stdio.h>

/* Writes s as a JSON string, quotes included. */
void json_write_string(FILE *f, const char *s);

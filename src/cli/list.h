#pragma once

int verb_list(int argc, char *argv[]);

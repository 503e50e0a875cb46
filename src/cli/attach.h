#pragma once

int verb_attach(int argc, char *argv[]);

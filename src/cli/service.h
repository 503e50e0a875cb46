#pragma once

/* Machines as services (service.c): berth@NAME.service with systemd, a detached monitor without. */
int verb_start(int argc, char *argv[]);
int verb_stop(int argc, char *argv[]);
int verb_enable(int argc, char *argv[]);
int verb_disable(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);

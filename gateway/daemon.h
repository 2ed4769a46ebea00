/* daemon.h: `gateway serve`. It owns starting the daemon from a loaded configuration
 * (data folder, store, content store, partner profiles, EDIFACT directory), its threads
 * (workers that claim jobs, each with its own store handle and conversion engine; one
 * poller for the inboxes; the HTTP server's pool) and stopping them cleanly on SIGTERM or
 * SIGINT: no new work is taken, running steps finish, everything is closed. */
#ifndef GATEWAY_DAEMON_H
#define GATEWAY_DAEMON_H

#include "config.h"

/* Run until SIGTERM or SIGINT. Says on stderr what it serves (a line starting
 * "gateway serve: ready") and, when it cannot start, why (an unusable data folder, a
 * partner profile that is refused, a port in use). Returns the exit status: 0 after a
 * clean stop, 2 when it could not start, 1 when a thread failed while running. */
int daemon_serve(const gateway_config *cfg);

#endif

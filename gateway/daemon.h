/* daemon.h: `gateway serve`. It owns starting the daemon from a loaded configuration
 * (data folder, store, content store, partner profiles, EDIFACT directory, the approval
 * link and ERP/admin API keys, the SMTP settings), its threads (workers that claim jobs,
 * each with its own store handle and conversion engine, running the order pipeline for
 * every partner's orders; one poller for the inboxes; one for approval expiries and
 * reminders; the HTTP server's pool with /api/health, the JSON API and the approval links)
 * and stopping them cleanly on SIGTERM or SIGINT: no new work is taken, running steps
 * finish, everything is closed and the keys wiped. */
#ifndef GATEWAY_DAEMON_H
#define GATEWAY_DAEMON_H

#include "config.h"

/* Run until SIGTERM or SIGINT. Says on stderr what it serves (a line starting
 * "gateway serve: ready") and, when it cannot start, why (an unusable data folder, a
 * partner profile that is refused, a key that cannot be read or is too short or in a file
 * others may read, a port in use). Returns the exit status: 0 after a
 * clean stop, 2 when it could not start, 1 when a thread failed while running. */
int daemon_serve(const gateway_config *cfg);

#endif

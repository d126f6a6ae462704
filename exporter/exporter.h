/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-exporter: Prometheus metrics of every pandora app, read over D-Bus at each scrape. */

/* Runs pandora-exporter with the given arguments (usage: pandora-exporter(8)); returns the exit status:
 * 0, 1 when it could not run (no socket from systemd, no event loop), 2 for wrong options. */
int exporter_main(int argc, char *argv[]);

/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-gen's messages: "PROGRAM: message" on stderr, or on /dev/kmsg with a priority prefix when
 * systemd runs the generator. The one place in generator/ that prints errors. */

#include "common/macro.h"
#include "common/procfile/procfile.h"

/* Names messages after the generator and sends them to the kernel log when systemd runs it on a host
 * (systemd.generator(7)); not in a container, where /dev/kmsg is the host's. */
void log_setup_generator(const char *program);

void log_error(const char *format, ...) _printf_(1, 2);

/* "PROGRAM: warning: message": something that will not work as the procfile means, but is no error. */
void log_warning(const char *format, ...) _printf_(1, 2);

/* Logs with errno set to -error, so that %m names it, and returns error (a negative errno). */
int log_error_errno(int error, const char *format, ...) _printf_(2, 3);

/* Logs a failed procfile_load(): the error's "FILE:LINE: field: message", else strerror(-r). */
void log_procfile_error(const ProcfileError *e, int r);

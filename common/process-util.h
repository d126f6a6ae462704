/* SPDX-License-Identifier: MIT */
#pragma once

#include <sys/types.h>

/* The parent of pid, from /proc/PID/stat; 0 when it can't be read (gone, or not visible). */
pid_t pid_get_parent(pid_t pid);

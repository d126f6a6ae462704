/* SPDX-License-Identifier: MIT */

/* What /proc says about other processes. */

#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "common/process-util.h"

pid_t pid_get_parent(pid_t pid) {
        char path[64], buf[512];
        _cleanup_fclose_ FILE *f = NULL;
        size_t n;
        char *p;
        int ppid;

        /* The fields after the last ')' (the name may hold any) are state, ppid, ... */
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return 0;
        return ppid;
}

/* SPDX-License-Identifier: MIT */
#pragma once

/* What the procfile fuzz targets share: the input loaded as a procfile, from a memfd, a regular file as
 * the real thing is (procfile_load() refuses anything else). Inputs with "@include" are skipped: the
 * loader would open whatever file they name, and a fuzzer must not read the host's files. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/io-util.h"
#include "common/procfile/procfile.h"

/* Returns 0 and *ret, or the loader's negative errno (e filled); -ENOTSUP for a skipped input. */
static inline int fuzz_load_procfile(const uint8_t *data, size_t size, Procfile **ret, ProcfileError *e) {
        char path[64];
        int fd, r;

        if (memmem(data, size, "@include", 8))
                return -ENOTSUP;
        fd = memfd_create("procfile", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, data, size);
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                /* "auto" fixed, so that a run does not depend on the host's CPUs. */
                r = procfile_load(path, &(ProcfileOptions) { .auto_scale = 2 }, ret, e);
        }
        close(fd);
        return r;
}

/* SPDX-License-Identifier: MIT */

/* libFuzzer target for the procfile loader (common/procfile/): any input must load or fail without a
 * crash, a leak or undefined behaviour; a failure is -EINVAL with a message that names the file, and a
 * model that loads is resolved (every started process has its scale within bounds). */

#include <assert.h>
#include <stdlib.h>

#include "fuzz-procfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        int r;

        r = fuzz_load_procfile(data, size, &p, &e);
        if (r == -ENOTSUP || r == -ENOMEM)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *s = procfile_error_to_string(&e);

                /* A text that can't be read as a procfile is invalid, never something else. */
                assert(r == -EINVAL);
                assert(e.message && e.file && s);
                assert(!p);
                return 0;
        }
        assert(p && p->app && p->dir && p->dir[0] == '/' && p->default_process);
        for (size_t i = 0; i < p->n_processes; i++) {
                const Process *process = p->processes[i];

                assert(process->scale <= 1000);
                assert(!process->starts || process->n_services == 0 || process->services);
        }
        return 0;
}

/* SPDX-License-Identifier: MIT */

/* Whole-buffer I/O: the one read-to-EOF and write-everything loop the binaries share. */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/io-util.h"
#include "common/macro.h"

int loop_write(int fd, const void *data, size_t n) {
        const char *p = data;

        for (size_t done = 0; done < n;) {
                ssize_t k = write(fd, p + done, n - done);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                done += (size_t) k;
        }
        return 0;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t allocated = 0, n = 0;

        for (;;) {
                ssize_t k;

                if (allocated - n < 1024) {
                        char *grown;

                        if (allocated >= max)
                                return -EBADMSG;
                        allocated = allocated ? allocated * 2 : 4096;
                        grown = realloc(buf, allocated + 1);
                        if (!grown)
                                return -ENOMEM;
                        buf = grown;
                }
                k = read(fd, buf + n, allocated - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

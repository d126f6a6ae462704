/* SPDX-License-Identifier: MIT */

/* A standalone driver for the fuzz targets, for when libFuzzer is not there (gcc builds): runs the target
 * once on every file named on the command line, or in a directory named there. So the corpus, crashers
 * included once added, is a regression test under valgrind and the sanitizers. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *data = NULL;
        size_t size = 0, allocated = 0, n;

        if (!f) {
                perror(path);
                return -1;
        }
        do {
                char *grown = realloc(data, allocated += 4096);

                if (!grown) {
                        free(data);
                        fclose(f);
                        return -1;
                }
                data = grown;
                n = fread(data + size, 1, allocated - size, f);
                size += n;
        } while (n > 0);
        fclose(f);
        LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        free(data);
        printf("ok %s\n", path);
        return 0;
}

static int run_path(const char *path) {
        struct stat st;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return run_file(path);
        d = opendir(path);
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        char *child;

                        if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
                                r = -1;
                        else {
                                r = run_path(child) < 0 ? -1 : r;
                                free(child);
                        }
                }
        closedir(d);
        return r;
}

int main(int argc, char **argv) {
        int r = 0;

        for (int i = 1; i < argc; i++)
                if (run_path(argv[i]) < 0)
                        r = 1;
        return r;
}

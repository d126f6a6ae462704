/* SPDX-License-Identifier: MIT */

/* pandora-gen: a systemd generator (when invoked as pandora-generator, with 1 or 3 directories) and a
 * command line around the same procfile → units path. */

#include "cli/cli.h"

int main(int argc, char *argv[]) {
        return gen_main(argc, argv);
}

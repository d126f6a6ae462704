/* SPDX-License-Identifier: MIT */
#pragma once

/* The pandora-gen program: option parsing and the modes, over the generator (generator/) and the
 * command line's own parts (install, dev mode). */

/* Runs pandora-gen with the given arguments; returns the process exit status. */
int gen_main(int argc, char *argv[]);

/* SPDX-License-Identifier: MIT */
#pragma once

/* libconfig's parse in time linear in the number of settings (issue 19 finding 8): see parse-index.c.
 * Declared without <libconfig.h>, which parse.h alone includes. */

#include <stdbool.h>
#include <stdio.h>

struct config_t;

/* config_read(config, f), or config_read_string(config, "") when f is NULL, with libconfig's
 * duplicate-name check answered from a hash index of each large group instead of a scan of its
 * members. Same result, same errors; returns libconfig's CONFIG_TRUE or CONFIG_FALSE. */
int parser_config_read(struct config_t *config, FILE *f);

/* Whether the last parser_config_read() of this thread that read any setting had libconfig's check
 * reach the index (false when this libconfig's parser no longer calls config_setting_get_member()
 * through its PLT, or when the index is not built for this libconfig version: the parse was then
 * libconfig's own, correct but quadratic again). For tests. */
bool parser_index_effective(void);

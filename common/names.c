/* SPDX-License-Identifier: MIT */

/* Name checks for the places procfile names end up in: unit names and environment blocks. */

#include <string.h>

#include "common/names.h"

#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

bool unit_prefix_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > UNIT_NAME_LENGTH_MAX)
                return false;
        /* "." and ".." are what a directory walk yields, never an app the user named. */
        if (strspn(s, ".") == n)
                return false;
        return strspn(s, LETTERS DIGITS ":_.-\\") == n;
}

bool env_name_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || strchr(DIGITS, s[0]))
                return false;
        return strspn(s, LETTERS DIGITS "_") == n;
}

/* SPDX-License-Identifier: MIT */

/* Name and value checks for the places procfile strings end up in: unit names, environment blocks, and
 * the settings systemd reads verbatim. */

#include <stdlib.h>
#include <string.h>

#include "common/names.h"
#include "common/string-util.h"

#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

_Static_assert(INSTANCE_PREFIX_ESCAPED_MAX == UNIT_NAME_LENGTH_MAX - (sizeof("system-.slice") - 1),
               "INSTANCE_PREFIX_ESCAPED_MAX is what leaves room for system-<prefix>.slice");
_Static_assert(APP_NAME_LENGTH_MAX == UNIT_NAME_LENGTH_MAX - (sizeof(".target.wants") - 1),
               "APP_NAME_LENGTH_MAX is what leaves room for <app>.target.wants");

/* The targets of systemd.special(7) (systemd 252 and later), of the system and the user manager: an app
 * of one of these names would replace the host's own target with <app>.target. The other special units
 * an app can't make: "-.slice" and "-.mount" start with '-', the services and sockets have no '@' or
 * are systemd-*, and pandora makes no slices or scopes. Sorted, for bsearch(). */
static const char * const special_targets[] = {
        "basic", "bluetooth", "boot-complete", "cryptsetup", "cryptsetup-pre",
        "ctrl-alt-del", "default", "emergency", "exit", "factory-reset", "final", "first-boot-complete",
        "getty", "getty-pre", "graphical", "graphical-session", "graphical-session-pre", "halt",
        "hibernate", "hybrid-sleep", "imports", "imports-pre", "initrd", "initrd-fs",
        "initrd-root-device", "initrd-root-fs", "initrd-switch-root", "initrd-usr-fs", "integritysetup",
        "integritysetup-pre", "kbrequest", "kexec", "local-fs", "local-fs-pre", "machines", "multi-user",
        "network", "network-online", "network-pre", "nss-lookup", "nss-user-lookup", "paths", "poweroff",
        "printer", "reboot", "remote-cryptsetup", "remote-fs", "remote-fs-pre", "remote-veritysetup",
        "rescue", "rpcbind", "runlevel0", "runlevel1", "runlevel2", "runlevel3", "runlevel4", "runlevel5",
        "runlevel6", "shutdown", "sigpwr", "single-user", "sleep", "slices", "smartcard", "sockets",
        "soft-reboot", "sound", "ssh-access", "storage-target-mode", "suspend", "suspend-then-hibernate",
        "swap", "sysinit", "system-update", "system-update-pre", "time-set", "time-sync", "timers",
        "tpm2", "umount", "usb-gadget", "veritysetup", "veritysetup-pre", "xdg-desktop-autostart",
};

static const char * const app_name_problem_table[_APP_NAME_PROBLEM_MAX] = {
        [APP_NAME_NOT_UNIT_PREFIX] = "is not a valid unit name prefix",
        [APP_NAME_LEADING_DASH] = "can't start with '-': systemctl would take its units for options",
        [APP_NAME_LEADING_DOT] = "can't start with '.': systemd does not load hidden unit files",
        [APP_NAME_TOO_LONG] = "is too long: '<app>.target.wants' must fit in a file name (at most "
                              STRINGIFY(APP_NAME_LENGTH_MAX) " characters)",
        [APP_NAME_SYSTEMD] = "is reserved: 'systemd' and 'systemd-*' name systemd's own units",
        [APP_NAME_SPECIAL] = "is reserved: '<app>.target' would replace systemd's special target of that "
                             "name (systemd.special(7))",
};

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
        if (s[n - 1] == '\\')
                return false;
        return strspn(s, LETTERS DIGITS ":_.-\\") == n;
}

size_t unit_prefix_escaped_length(const char *s) {
        size_t n = 0;

        for (const char *p = s; *p; p++)
                n += strchr(LETTERS DIGITS ":_", *p) || (*p == '.' && p != s) ? 1 : 4;
        return n;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(const char * const *) a, *(const char * const *) b);
}

static bool is_special_target(const char *prefix) {
        return bsearch(&prefix, special_targets, ELEMENTSOF(special_targets), sizeof(special_targets[0]),
                       compare_strings);
}

static bool is_systemd_prefix(const char *s) {
        return streq(s, "systemd") || strncmp(s, "systemd-", strlen("systemd-")) == 0;
}

AppNameProblem app_name_check(const char *s) {
        if (!unit_prefix_is_valid(s))
                return APP_NAME_NOT_UNIT_PREFIX;
        if (s[0] == '-')
                return APP_NAME_LEADING_DASH;
        if (s[0] == '.')
                return APP_NAME_LEADING_DOT;
        if (strlen(s) > APP_NAME_LENGTH_MAX)
                return APP_NAME_TOO_LONG;
        if (is_systemd_prefix(s))
                return APP_NAME_SYSTEMD;
        if (is_special_target(s))
                return APP_NAME_SPECIAL;
        return APP_NAME_VALID;
}

const char *app_name_problem_to_string(AppNameProblem p) {
        return p > APP_NAME_VALID && p < _APP_NAME_PROBLEM_MAX ? app_name_problem_table[p] : NULL;
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

bool user_group_name_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n > 0 && strspn(s, DIGITS) == n) {
                unsigned long long id;

                /* systemd's parse_uid(): a 32-bit number, but not the two that mean "no ID". */
                if ((s[0] == '0' && n > 1) || n > 10)
                        return false;
                id = strtoull(s, NULL, 10);
                return id < 4294967295ULL && id != 65535;
        }
        /* systemd's strict user and group names, which it takes without a warning (utmp's 32 bytes). */
        if (n == 0 || n > 31 || !strchr(LETTERS "_", s[0]))
                return false;
        return strspn(s, LETTERS DIGITS "_-") == n;
}

const char *unit_verbatim_problem(const char *s) {
        size_t n = strlen(s);

        if (string_has_control(s))
                return "must not contain control characters such as a newline";
        if (!utf8_is_valid(s))
                return "must be valid UTF-8: systemd ignores a setting that is not";
        if (n > 0 && s[n - 1] == '\\')
                return "must not end with a backslash: systemd would read the next line of the unit as part "
                       "of it";
        if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
                return "must not start or end with a space: systemd would strip it";
        return NULL;
}

const char *unit_path_problem(const char *path) {
        const char *problem = unit_verbatim_problem(path);

        if (problem)
                return problem;
        if (path[0] != '/')
                return "must be an absolute path";
        for (const char *p = path; *p; ) {
                size_t k;

                p += strspn(p, "/");
                k = strcspn(p, "/");
                if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
                        return "must not have a '.' or '..' component: systemd refuses a path that is not "
                               "normalized";
                p += k;
        }
        return NULL;
}

/* SPDX-License-Identifier: MIT */

/* The hardening profiles of instance units (issue 17), each setting with the reason it is safe where
 * it is used. "default" must not break an ordinary app: it writes under its dir and /tmp, binds ports,
 * spawns children, uses the network, may run as root; `systemd-analyze security` rates it 2.9 (the bar
 * is 4.0). "strict" makes the system and home read-only except dir and `writable`, hides other
 * processes, and also denies the calls to change identity, ownership or limits: 1.7 (bar 2.0).
 * tests/integration/test-production.sh checks both scores on running units. What it costs: the mount
 * namespace systemd sets up for PrivateTmp=, PrivateDevices= and the Protect*= settings takes about
 * 15 ms per instance at start (measured in the sandbox: 4 instances in 110 ms against 50 ms with
 * hardening = "off"); the seccomp filters are deny lists, which cost nothing measurable. Pure: text into
 * a FILE. */

#include <inttypes.h>
#include <string.h>

#include "common/strv.h"
#include "generator/unit-hardening.h"

/* Settings that work in any manager: seccomp and prctl, which need no privilege once
 * NoNewPrivileges= is set. */
static const char * const unprivileged[] = {
        "NoNewPrivileges=yes",          /* no setuid or file capabilities gained by exec */
        "RestrictRealtime=yes",         /* a web app has no business starving the host */
        "RestrictSUIDSGID=yes",         /* nor creating setuid files */
        "LockPersonality=yes",
        "SystemCallArchitectures=native",
        /* Node.js and Python never create namespaces; a crash helper that does is the rare case
         * `hardening = "off"` is for. */
        "RestrictNamespaces=yes",
        /* AF_NETLINK stays: getifaddrs(3) (Node's os.networkInterfaces()) reads addresses through it. */
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        NULL,
};

/* Settings that need the system manager (mount namespaces, capability sets). */
static const char * const system_default[] = {
        "PrivateTmp=yes",               /* the app's /tmp is its own, and gone with the instance */
        "PrivateDevices=yes",           /* /dev/null, zero, random, tty: what apps open */
        "ProtectSystem=full",           /* /usr, /boot and /etc read-only; /var and /srv writable */
        "ProtectHome=read-only",        /* dir and `writable` stay writable (ReadWritePaths= below) */
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",     /* the agent reads its cgroup's files, never writes them */
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",        /* the agent reads its own children's /proc, same user */
        "KeyringMode=private",
        "PrivateMounts=yes",
        /* A deny list of what no app calls (mounting, modules, reboot, swap, raw I/O, tracing, setting
         * the clock, obsolete calls) rather than the @system-service allow list: the same exposure
         * score, and the filter is small enough that it costs nothing measurable at start, where the
         * allow list added 25 ms to starting 4 instances (bench row 3). EPERM rather than a kill: a
         * probe degrades instead of crashing. */
        "SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap",
        "SystemCallErrorNumber=EPERM",
        /* A root app keeps what root apps use (chown, setuid to drop privileges, binding ports below
         * 1024, kill); administration of the host goes. */
        "CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_BOOT "
        "CAP_SYS_TIME CAP_MKNOD CAP_NET_ADMIN CAP_SYS_RESOURCE CAP_SYS_NICE CAP_SYS_PACCT CAP_LINUX_IMMUTABLE "
        "CAP_IPC_LOCK CAP_BPF CAP_PERFMON CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_CONTROL "
        "CAP_AUDIT_READ CAP_AUDIT_WRITE CAP_MAC_ADMIN CAP_MAC_OVERRIDE CAP_SYS_CHROOT CAP_SYS_TTY_CONFIG "
        "CAP_NET_RAW CAP_NET_BROADCAST CAP_LEASE CAP_SETFCAP CAP_SETPCAP",
        NULL,
};

/* strict, instead of the filesystem and capability lines of default. */
static const char * const system_strict[] = {
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "PrivateMounts=yes",
        "ProtectSystem=strict",         /* everything read-only but the API filesystems and below */
        "ProtectHome=yes",              /* unless dir is there: see unit_write_hardening() */
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "KeyringMode=private",
        "RemoveIPC=yes",
        "UMask=0077",                   /* what the app writes is its own */
        /* The default's deny list, and neither Node.js nor Python nor the agent chowns, changes
         * identity or changes limits at run time. */
        "SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap "
        "@privileged @resources",
        "SystemCallErrorNumber=EPERM",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", /* an unmodified app may bind port 80 itself */
        NULL,
};

static void write_lines(FILE *f, const char * const *lines) {
        for (; *lines; lines++)
                fprintf(f, "%s\n", *lines);
}

/* Home directories: where ProtectHome= would hide or freeze dir. */
static bool is_under_home(const char *path) {
        static const char * const homes[] = { "/home", "/root", "/run/user" };

        for (size_t i = 0; i < ELEMENTSOF(homes); i++) {
                size_t n = strlen(homes[i]);

                if (strncmp(path, homes[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
                        return true;
        }
        return false;
}

/* ReadWritePaths= takes a list of words, unquoted with backslashes kept, and expands specifiers: dir
 * (which may hold spaces) goes in double quotes with '%' doubled. A '"' can't be written at all and a
 * final '\\' would escape the closing quote: such a dir stays read-only, which the man page says. */
static void write_writable_dir(FILE *f, const char *dir) {
        size_t n = strlen(dir);

        if (strchr(dir, '"') || (n > 0 && dir[n - 1] == '\\'))
                return;
        fputs("ReadWritePaths=\"-", f);
        for (const char *c = dir; *c; c++)
                fputs(*c == '%' ? "%%" : (char[]) { *c, '\0' }, f);
        fputs("\"\n", f);
}

void unit_write_hardening(FILE *f, const Process *p, const char *dir, bool user) {
        if (p->hardening == HARDENING_OFF)
                return;
        write_lines(f, unprivileged);
        if (user)
                return;
        if (p->hardening == HARDENING_DEFAULT) {
                write_lines(f, system_default);
        } else {
                write_lines(f, system_strict);
                /* The line below replaces the earlier one; netlink is no app's business here. */
                fputs("RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n", f);
                /* An app that lives in a home directory can read it, and write only dir. */
                if (is_under_home(dir))
                        fputs("ProtectHome=read-only\n", f);
        }
        /* The app writes under its own directory (logs, uploads, caches), wherever it is (/usr/local,
         * /etc, a home directory), and where it says. */
        write_writable_dir(f, dir);
        /* `writable` holds no space, quote or backslash (the parser refuses them): one word each. */
        if (p->writable) {
                fputs("ReadWritePaths=", f);
                STRV_FOREACH(w, p->writable)
                        fprintf(f, "%s-%s", w == p->writable ? "" : " ", *w);
                fputc('\n', f);
        }
}

void unit_write_limits(FILE *f, const Process *p) {
        if (p->memory_max)
                fprintf(f, "MemoryMax=%s\n", p->memory_max);
        if (p->memory_high)
                fprintf(f, "MemoryHigh=%s\n", p->memory_high);
        if (p->cpu_quota)
                fprintf(f, "CPUQuota=%s\n", p->cpu_quota);
        if (p->cpu_weight > 0)
                fprintf(f, "CPUWeight=%" PRIu64 "\n", p->cpu_weight);
        if (p->tasks_max > 0)
                fprintf(f, "TasksMax=%" PRIu64 "\n", p->tasks_max);
        if (p->nofile > 0)
                fprintf(f, "LimitNOFILE=%" PRIu64 "\n", p->nofile);
}

/* SPDX-License-Identifier: MIT */

/* The Context's clock and its two timers: the stop deadline of the task being stopped (the lifecycle
 * says when; this arms sd-event for it) and systemd's watchdog, pinged at half its interval while every
 * child that pings its own keeps pinging. Called by agent.c (setup), report.c (re-arm after each event)
 * and publish.c (the clock); calls only the lifecycle, the exec services and the log. */

#include <inttypes.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/log/log.h"

uint64_t context_now(void *userdata) {
        Context *c = userdata;
        struct timespec ts;
        uint64_t t;

        if (c->event && sd_event_now(c->event, CLOCK_MONOTONIC, &t) >= 0)
                return t;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int on_deadline(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;

        lifecycle_handle_deadline(&c->lifecycle);
        if (c->next)
                lifecycle_handle_deadline(c->next);
        context_arm_deadline(c);
        return 0;
}

void context_arm_deadline(Context *c) {
        uint64_t deadline = lifecycle_next_deadline(&c->lifecycle);

        /* During a reload both generations may be stopping something. */
        if (c->next && lifecycle_next_deadline(c->next) < deadline)
                deadline = lifecycle_next_deadline(c->next);

        if (!c->deadline_timer)
                return;
        if (deadline == UINT64_MAX) {
                (void) sd_event_source_set_enabled(c->deadline_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(c->deadline_timer, deadline);
        (void) sd_event_source_set_enabled(c->deadline_timer, SD_EVENT_ONESHOT);
}

/* The first child found whose last WATCHDOG=1 is older than the watchdog interval, or NULL. */
static const Task *lapsed_child(Context *c, uint64_t now) {
        for (size_t i = 0; i < c->lifecycle.n_tasks; i++) {
                const Task *t = c->lifecycle.tasks[i];
                ExecService *s = exec_service_from_task(t);

                if (s && s->pid > 0 && s->watchdog_last > 0 && now - s->watchdog_last > c->watchdog_usec)
                        return t;
        }
        return NULL;
}

static int on_watchdog(sd_event_source *source, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;
        const Task *t = c->watchdog_lapsed ? NULL : lapsed_child(c, context_now(c));

        if (t) {
                /* Stop pinging: systemd's watchdog then fires for the unit and its Restart= applies. */
                log_error("Service '%s' sent no WATCHDOG=1 for more than %" PRIu64 " ms, letting the instance's "
                          "watchdog expire", t->name, c->watchdog_usec / 1000);
                c->watchdog_lapsed = true;
        }
        if (!c->watchdog_lapsed)
                (void) sd_notify(false, "WATCHDOG=1");
        return sd_event_source_set_time_relative(source, c->watchdog_usec / 2);
}

int context_setup_timers(Context *c) {
        int r;

        r = sd_event_add_time(c->event, &c->deadline_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_deadline, c);
        if (r < 0)
                return r;
        if (sd_watchdog_enabled(false, &c->watchdog_usec) <= 0)
                return 0;
        r = sd_event_add_time_relative(c->event, &c->watchdog_timer, CLOCK_MONOTONIC, c->watchdog_usec / 2, 0,
                                       on_watchdog, c);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(c->watchdog_timer, SD_EVENT_ON);
}

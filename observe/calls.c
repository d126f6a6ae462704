/* SPDX-License-Identifier: MIT */

/* A bounded window of asynchronous method calls with one deadline. Calls wait in a FIFO until a slot
 * is free; each is sent with what is left of the deadline as its timeout, so sd-bus itself answers a
 * silent peer with NoReply (-ETIMEDOUT) when the time is up; calls the deadline overtook in the queue
 * fail without being sent. Handlers run from the event loop only: calls_add() just queues and arms a
 * defer source that sends. */

#include <stdlib.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "observe/calls.h"

typedef struct Call Call;

struct Call {
        Calls *owner;
        sd_bus_message *m;
        sd_bus_slot *slot;              /* while in flight */
        CallHandler handler;
        void *userdata;
        Call *prev, *next;
};

typedef struct CallList {
        Call *head, *tail;
        size_t n;
} CallList;

struct Calls {
        sd_bus *bus;
        uint64_t deadline_usec;
        unsigned max_in_flight;
        CallList queued, flying;
        sd_event_source *pump;
        CallsIdle idle;
        void *userdata;
};

static void list_append(CallList *l, Call *c) {
        c->prev = l->tail;
        c->next = NULL;
        if (l->tail)
                l->tail->next = c;
        else
                l->head = c;
        l->tail = c;
        l->n++;
}

static void list_remove(CallList *l, Call *c) {
        if (c->prev)
                c->prev->next = c->next;
        else
                l->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                l->tail = c->prev;
        c->prev = c->next = NULL;
        l->n--;
}

static Call *call_free(Call *c) {
        if (!c)
                return NULL;
        sd_bus_slot_unref(c->slot);
        sd_bus_message_unref(c->m);
        free(c);
        return NULL;
}

static void list_free(CallList *l) {
        while (l->head) {
                Call *c = l->head;

                list_remove(l, c);
                call_free(c);
        }
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

size_t calls_pending(const Calls *c) {
        return c->queued.n + c->flying.n;
}

/* Hands c's outcome to its handler and forgets it; then sends what may go now, and says when the
 * queue ran empty. The idle callback may free the queue: nothing touches it afterwards. */
static void call_finish(Call *call, sd_bus_message *reply, int error) {
        Calls *c = call->owner;
        CallHandler handler = call->handler;
        void *userdata = call->userdata;

        call_free(call);
        handler(reply, error, userdata);
        (void) sd_event_source_set_enabled(c->pump, SD_EVENT_ONESHOT);
        if (calls_pending(c) == 0 && c->idle)
                c->idle(c->userdata);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *call = userdata;
        int error = 0;

        list_remove(&call->owner->flying, call);
        if (sd_bus_message_is_method_error(m, NULL))
                /* A positive errno, mapped from the error's name (NoReply is ETIMEDOUT). */
                error = -(sd_bus_message_get_errno(m) ?: EIO);
        call_finish(call, error < 0 ? NULL : m, error);
        return 0;
}

/* Sends queued calls while there is room; fails those the deadline overtook. */
static int on_pump(sd_event_source *s, void *userdata) {
        Calls *c = userdata;
        uint64_t now = now_usec();

        while (c->queued.head && c->flying.n < c->max_in_flight) {
                Call *call = c->queued.head;
                int r = -ETIMEDOUT;

                list_remove(&c->queued, call);
                /* On the bus the message was made for: an agent on its private socket is a connection
                 * of its own (observe/peer.h). */
                if (now < c->deadline_usec)
                        r = sd_bus_call_async(sd_bus_message_get_bus(call->m), &call->slot, call->m,
                                              on_reply, call, c->deadline_usec - now);
                if (r < 0) {
                        /* The queue may be gone after this, with its idle callback. */
                        call_finish(call, NULL, r);
                        return 0;
                }
                list_append(&c->flying, call);
        }
        return 0;
}

int calls_new(sd_bus *bus, uint64_t deadline_usec, unsigned max_in_flight, CallsIdle idle, void *userdata,
              Calls **ret) {
        _cleanup_(calls_freep) Calls *c = NULL;
        sd_event *e = sd_bus_get_event(bus);
        int r;

        if (!e)
                return -EINVAL;
        c = calloc(1, sizeof(Calls));
        if (!c)
                return -ENOMEM;
        *c = (Calls) {
                .bus = sd_bus_ref(bus),
                .deadline_usec = deadline_usec,
                .max_in_flight = max_in_flight ?: 1,
                .idle = idle,
                .userdata = userdata,
        };
        r = sd_event_add_defer(e, &c->pump, on_pump, c);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(c->pump, SD_EVENT_OFF);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

Calls *calls_free(Calls *c) {
        if (!c)
                return NULL;
        list_free(&c->queued);
        list_free(&c->flying);
        sd_event_source_disable_unref(c->pump);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

int calls_add(Calls *c, sd_bus_message *m, CallHandler handler, void *userdata) {
        Call *call = calloc(1, sizeof(Call));

        if (!call)
                return -ENOMEM;
        *call = (Call) { .owner = c, .m = sd_bus_message_ref(m), .handler = handler, .userdata = userdata };
        list_append(&c->queued, call);
        return sd_event_source_set_enabled(c->pump, SD_EVENT_ONESHOT);
}

int calls_new_method(Calls *c, sd_bus_message **ret, const char *destination, const char *path,
                     const char *interface, const char *member) {
        return sd_bus_message_new_method_call(c->bus, ret, destination, path, interface, member);
}

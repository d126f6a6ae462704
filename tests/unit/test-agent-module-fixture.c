/* SPDX-License-Identifier: MIT */

/* Modules for test-agent-module.c, built three ways by meson: a good module whose behaviour its config
 * chooses (FIXTURE_* unset), a module built for another ABI (FIXTURE_ABI), and a shared object that is
 * no module at all (FIXTURE_NONE). */

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <pandora/service.h>

#if defined(FIXTURE_NONE)

__attribute__((visibility("default"))) int fixture_nothing(void);
int fixture_nothing(void) {
        return 0;
}

#elif defined(FIXTURE_ABI)

__attribute__((visibility("default"))) const uint32_t pandora_service_abi = FIXTURE_ABI;

#else

/* config: start = "sync" | "async" | "inside" | "fail" | "fail-later"; stop = the same but fail-later. */
static const char *mode(PandoraService *s, const char *key) {
        const char *m = "sync";

        (void) config_setting_lookup_string(pandora_service_config(s), key, &m);
        return m;
}

static int on_start_later(sd_event_source *source, void *userdata) {
        PandoraService *s = userdata;

        if (strcmp(mode(s, "start"), "fail-later") == 0)
                pandora_service_failed(s, -EPIPE);
        else
                pandora_service_started(s, 0);
        return 0;
}

static int on_stop_later(sd_event_source *source, void *userdata) {
        pandora_service_stopped(userdata, 0);
        return 0;
}

static int run(PandoraService *s, const char *key, sd_event_handler_t later) {
        const char *m = mode(s, key);

        if (strcmp(m, "fail") == 0)
                return -EADDRINUSE;
        if (strcmp(m, "inside") == 0) {
                if (strcmp(key, "start") == 0)
                        pandora_service_started(s, 0);
                else
                        pandora_service_stopped(s, 0);
                return PANDORA_SERVICE_PENDING;
        }
        if (strcmp(m, "async") == 0 || strcmp(m, "fail-later") == 0) {
                int r = sd_event_add_defer(pandora_service_event(s), NULL, later, s);

                return r < 0 ? r : PANDORA_SERVICE_PENDING;
        }
        return 0;
}

static int fixture_start(PandoraService *s) {
        int r = pandora_counter_add(s, "starts", 1);

        if (r >= 0)
                r = pandora_log(s, LOG_INFO, "fixture %s starting", pandora_service_name(s));
        return r < 0 ? r : run(s, "start", on_start_later);
}

static int fixture_stop(PandoraService *s) {
        return run(s, "stop", on_stop_later);
}

PANDORA_SERVICE_MODULE(fixture_start, fixture_stop);

#endif

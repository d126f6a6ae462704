/* SPDX-License-Identifier: MIT */

/* A module for test-logging.sh: logs through pandora_log() and pandora_log_fields() when it starts, so
 * that the test can read back the fields of a module's entries. */

#include <syslog.h>
#include <pandora/service.h>

static int logging_start(PandoraService *s) {
        static const char * const fields[] = { "ORDER_ID=1234", "not a field=dropped", NULL };
        int r;

        r = pandora_log(s, LOG_NOTICE, "module %s says %d", pandora_service_name(s), 42);
        if (r >= 0)
                r = pandora_log_fields(s, LOG_WARNING, fields, "module entry with fields");
        return r < 0 ? r : 0;
}

PANDORA_SERVICE_MODULE(logging_start, NULL);

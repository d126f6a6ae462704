/* SPDX-License-Identifier: MIT */

/* Recognising a Pandora.js procfile.js given where a libconfig procfile belongs, so that the error
 * names the conversion (pandora-gen --import) instead of libconfig's "syntax error" at line 1. Pure:
 * a name and a text go in, a yes or no and a message come out; never logs. */

#include <stdlib.h>
#include <string.h>

#include "common/procfile/foreign.h"
#include "common/procfile/internal.h"
#include "common/string-util.h"

bool procfile_is_pandora_js(const char *path, const char *text, size_t size) {
        /* What every procfile.js has somewhere: it must export a function (Pandora.js asserts it). */
        static const char *const markers[] = { "module.exports", "exports.default", "export default" };

        if (string_has_suffix(path, ".js") || string_has_suffix(path, ".cjs") || string_has_suffix(path, ".mjs"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(markers); i++)
                if (memmem(text, size, markers[i], strlen(markers[i])))
                        return true;
        return false;
}

/* The path as a shell word: as it is when it holds nothing the shell would take apart, else quoted. */
static char *shell_word(const char *s) {
        size_t n = 2;
        char *q, *out;

        if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./+,:@%=") ==
                  strlen(s))
                return strdup(s);
        for (const char *p = s; *p; p++)
                n += *p == '\'' ? 4 : 1;
        out = q = malloc(n + 1);
        if (!out)
                return NULL;
        *q++ = '\'';
        for (const char *p = s; *p; p++)
                q = *p == '\'' ? stpcpy(q, "'\\''") : (*q = *p, q + 1);
        *q++ = '\'';
        *q = '\0';
        return out;
}

int procfile_error_pandora_js(ProcfileError *e, const char *file, const char *given) {
        _cleanup_free_ char *target = NULL, *source_word = shell_word(given), *target_word = NULL;
        const char *slash = strrchr(given, '/');

        /* The converted file goes next to the original, as procfile: Pandora.js's appDir. */
        if (asprintf(&target, "%.*sprocfile", slash ? (int) (slash - given + 1) : 0, given) < 0)
                return -ENOMEM;
        target_word = shell_word(target);
        if (!source_word || !target_word)
                return -ENOMEM;
        if (!e)
                return -EINVAL;
        procfile_error_done(e);
        return procfile_error_set(e, file, 0, NULL,
                                  "this is a Pandora.js procfile (JavaScript); convert it with: "
                                  "pandora-gen --import %s > %s", source_word, target_word);
}

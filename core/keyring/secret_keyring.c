/* SPDX-License-Identifier: GPL-3.0-or-later */
/* secret_keyring.c — the IMAP password in the desktop keyring (Secret
 * Service, through libsecret): the command's private module
 * keepwarm-keyring.so (see keyring_module.h). The Thunderbird add-on cannot
 * read Thunderbird's own passwords, so its options page asks once and the
 * native host stores the password here; `keepwarm sync` looks it up when an
 * account has neither password_cmd nor --password-fd. Never in a file in
 * clear, never in the environment or on a command line. */
#include <string.h>
#include <libsecret/secret.h>

#include "keyring/keyring_module.h"
#include "kw_public.h"

static const SecretSchema *imap_schema(void)
{
    static const SecretSchema schema = {
        "org.keepwarm.ImapPassword", SECRET_SCHEMA_NONE,
        {
            { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { NULL, 0 },
        },
        0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    };
    return &schema;
}

static char *keyring_error(const char *what, GError *err)
{
    char *msg = g_strdup_printf("the desktop keyring (Secret Service) %s: %s", what,
                                err ? err->message : "unknown error");
    g_clear_error(&err);
    return msg;
}

static int keyring_store(const char *server, const char *user, const char *password, char **error)
{
    GError *err = NULL;
    char *label = g_strdup_printf("keepwarm: IMAP password for %s on %s", user, server);
    gboolean ok = secret_password_store_sync(imap_schema(), SECRET_COLLECTION_DEFAULT, label, password,
                                             NULL, &err, "server", server, "user", user,
                                             "protocol", "imap", NULL);
    g_free(label);
    if (!ok) {
        *error = keyring_error("did not store the password", err);
        return -1;
    }
    return 0;
}

static int keyring_lookup(const char *server, const char *user, char **password_out, char **error)
{
    GError *err = NULL;
    char *pw = secret_password_lookup_nonpageable_sync(imap_schema(), NULL, &err, "server", server,
                                                       "user", user, "protocol", "imap", NULL);
    *password_out = NULL;
    if (err) {
        if (pw)
            secret_password_free(pw);
        *error = keyring_error("cannot be read", err);
        return -1;
    }
    if (!pw)
        return 0;
    *password_out = g_strdup(pw);
    secret_password_free(pw); /* wipes its copy */
    return 1;
}

static int keyring_clear(const char *server, const char *user, char **error)
{
    GError *err = NULL;
    gboolean removed = secret_password_clear_sync(imap_schema(), NULL, &err, "server", server, "user",
                                                  user, "protocol", "imap", NULL);
    if (err) {
        *error = keyring_error("cannot be changed", err);
        return -1;
    }
    return removed ? 1 : 0;
}

/* The module's one export (core/keyring/keepwarm-keyring.sym). */
KW_PUBLIC const kw_keyring_module_t *kw_keyring_module(void);
KW_PUBLIC const kw_keyring_module_t *kw_keyring_module(void)
{
    static const kw_keyring_module_t table = {
        KW_KEYRING_MODULE_VERSION, keyring_store, keyring_lookup, keyring_clear,
    };
    return &table;
}

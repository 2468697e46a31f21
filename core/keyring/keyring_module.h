/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keyring_module.h — the interface between the `keepwarm` command and its
 * private module keepwarm-keyring.so (core/keyring/secret_keyring.c), which
 * keeps IMAP passwords in the desktop keyring through libsecret (Secret
 * Service). The command loads the module only when it stores, looks up or
 * removes a password (core/cli/keyring.c), so no other command pays for
 * libsecret and libgcrypt at start-up. Not part of the library.
 *
 * Every function runs synchronously on the calling thread (libsecret's own
 * main context; any thread). Strings returned are allocated with GLib
 * (g_free; a password is wiped first). */
#ifndef KW_KEYRING_MODULE_H
#define KW_KEYRING_MODULE_H

/* Bumped whenever the table below changes. */
#define KW_KEYRING_MODULE_VERSION 1

typedef struct {
    int version; /* KW_KEYRING_MODULE_VERSION */
    /* Store the password of user@server (attributes server, user and
     * protocol "imap" in the default collection), replacing an older one.
     * 0, or -1 with *error. */
    int (*store)(const char *server, const char *user, const char *password, char **error);
    /* 1 found (*password_out), 0 none stored, -1 the keyring cannot be reached (*error). */
    int (*lookup)(const char *server, const char *user, char **password_out, char **error);
    /* 1 removed, 0 none stored, -1 error (*error). */
    int (*clear)(const char *server, const char *user, char **error);
} kw_keyring_module_t;

/* The module's one export: its table (static, never freed). */
typedef const kw_keyring_module_t *(*kw_keyring_module_fn)(void);
#define KW_KEYRING_MODULE_SYMBOL "kw_keyring_module"

#endif

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keyring.h — IMAP passwords in the desktop keyring (Secret Service), for
 * the native host's account set-up and for `keepwarm sync` (not part of the
 * library). The work is done by the private module keepwarm-keyring.so
 * (core/keyring/), loaded on the first call: next to the running program
 * (an uninstalled build), else in $(LIBDIR)/keepwarm. When it cannot be
 * loaded each function fails with an error saying so.
 * Threads: any; the first call loads the module once (g_once). */
#ifndef KW_CLI_KEYRING_H
#define KW_CLI_KEYRING_H

/* Store the IMAP password of user@server in the default collection of the
 * Secret Service (attributes server, user, protocol "imap"), replacing an
 * older one. Returns 0, or -1 with *error (g_free). */
int kw_keyring_store(const char *server, const char *user, const char *password, char **error);
/* Look it up: 1 found (*password_out: transfer full, wipe + g_free), 0 none
 * stored, -1 the keyring cannot be reached (*error, g_free). */
int kw_keyring_lookup(const char *server, const char *user, char **password_out, char **error);
/* Remove it: 1 removed, 0 none stored, -1 error (*error, g_free). */
int kw_keyring_clear(const char *server, const char *user, char **error);

#endif

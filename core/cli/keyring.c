/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keyring.c — the command's side of the desktop keyring (keyring.h): loads
 * the private module keepwarm-keyring.so on the first call and forwards to
 * it. libsecret, libgcrypt and libgpg-error come with the module, so the
 * commands that never touch a password (overdue, show, the host's model
 * requests...) do not load or relocate them at start-up. */
#include <dlfcn.h>
#include <stdint.h>
#include <glib.h>

#include "keyring.h"
#include "keyring/keyring_module.h"

static const kw_keyring_module_t *module;
static char *module_error;

/* Next to the program first (build/keepwarm and build/keepwarm-keyring.so),
 * then the installed directory. */
static gpointer load_module(gpointer unused)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *dir = exe ? g_path_get_dirname(exe) : NULL;
    const char *dirs[] = { dir, KW_PKGLIBDIR };
    GString *tried = g_string_new(NULL);
    (void)unused;

    for (size_t k = 0; k < G_N_ELEMENTS(dirs) && !module; k++) {
        char *path;
        void *h;
        if (!dirs[k])
            continue;
        path = g_build_filename(dirs[k], "keepwarm-keyring.so", NULL);
        if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
            kw_keyring_module_fn get = (kw_keyring_module_fn)(uintptr_t)dlsym(h, KW_KEYRING_MODULE_SYMBOL);
            const kw_keyring_module_t *m = get ? get() : NULL;
            if (m && m->version == KW_KEYRING_MODULE_VERSION)
                module = m; /* kept loaded for the life of the process */
            else {
                g_string_append_printf(tried, "%s%s: not this keepwarm's keyring module",
                                       tried->len ? "; " : "", path);
                dlclose(h);
            }
        } else if (g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", dlerror());
        }
        g_free(path);
    }
    if (!module)
        module_error = g_strdup_printf("keepwarm's keyring module keepwarm-keyring.so cannot be loaded (%s); "
                                       "reinstall keepwarm",
                                       tried->len ? tried->str : "not found next to the program nor in "
                                                                 KW_PKGLIBDIR);
    g_string_free(tried, TRUE);
    g_free(dir);
    g_free(exe);
    return NULL;
}

static gboolean loaded(char **error)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, load_module, NULL);
    if (!module)
        *error = g_strdup(module_error);
    return module != NULL;
}

int kw_keyring_store(const char *server, const char *user, const char *password, char **error)
{
    return loaded(error) ? module->store(server, user, password, error) : -1;
}

int kw_keyring_lookup(const char *server, const char *user, char **password_out, char **error)
{
    *password_out = NULL;
    return loaded(error) ? module->lookup(server, user, password_out, error) : -1;
}

int kw_keyring_clear(const char *server, const char *user, char **error)
{
    return loaded(error) ? module->clear(server, user, error) : -1;
}

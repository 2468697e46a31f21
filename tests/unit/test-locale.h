/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-locale.h — for tests that check German output: a de_DE.UTF-8
 * locale built with localedef into a temporary LOCPATH (no root needed, the
 * system is not changed), removed again by test_locale_done(). */
#ifndef KW_TEST_LOCALE_H
#define KW_TEST_LOCALE_H

#include <locale.h>
#include <glib.h>
#include <glib/gstdio.h>

static char *test_locale_dir;

static void test_locale_remove_tree(const char *path)
{
    GDir *d;
    const char *name;
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
        (d = g_dir_open(path, 0, NULL)) != NULL) {
        while ((name = g_dir_read_name(d)) != NULL) {
            char *child = g_build_filename(path, name, NULL);
            test_locale_remove_tree(child);
            g_free(child);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

/* Switch the whole process to German (LC_ALL=de_DE.UTF-8); FALSE when the
 * locale cannot be built here (its sources missing: the test skips). */
static gboolean test_locale_german(void)
{
    char *out;
    const char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", NULL, NULL };
    int status = -1;

    test_locale_dir = g_dir_make_tmp("kw-test-locale-XXXXXX", NULL);
    if (!test_locale_dir)
        return FALSE;
    out = g_build_filename(test_locale_dir, "de_DE.UTF-8", NULL);
    argv[5] = out;
    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL);
    g_free(out);
    g_setenv("LOCPATH", test_locale_dir, TRUE);
    g_unsetenv("LANGUAGE");
    return setlocale(LC_ALL, "de_DE.UTF-8") != NULL;
}

/* Back to the C locale; the temporary locale is removed. */
static void test_locale_done(void)
{
    setlocale(LC_ALL, "C");
    g_unsetenv("LOCPATH");
    if (test_locale_dir) {
        test_locale_remove_tree(test_locale_dir);
        g_free(test_locale_dir);
        test_locale_dir = NULL;
    }
}

#endif

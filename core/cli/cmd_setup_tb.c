/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cmd_setup_tb.c — `keepwarm setup-thunderbird`: register this keepwarm as
 * the add-on's native-messaging host for the current user, and say how to
 * add the add-on; `keepwarm native-host`: the host itself (host.c), for
 * trying it by hand.
 *
 * Thunderbird looks for NAME.json in ~/.mozilla/native-messaging-hosts/
 * (before the system-wide /usr/lib/mozilla/native-messaging-hosts/, which
 * `make install` and the webext-keepwarm package fill). The manifest names
 * the program by absolute path and allows exactly the keepwarm add-on. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "host.h"

#define SYSTEM_MANIFEST "/usr/lib/mozilla/native-messaging-hosts/" KW_TB_HOST_NAME ".json"

static char *user_manifest_path(void)
{
    return g_build_filename(g_get_home_dir(), ".mozilla", "native-messaging-hosts", KW_TB_HOST_NAME ".json",
                            NULL);
}

/* The manifest text for the program at `exe` (transfer full). */
static char *manifest_text(const char *exe)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    char *text, *with_nl;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, KW_TB_HOST_NAME);
    json_builder_set_member_name(b, "description");
    json_builder_add_string_value(b, "keepwarm: which customer relationships are going cold");
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, exe);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, "stdio");
    json_builder_set_member_name(b, "allowed_extensions");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, KW_TB_EXTENSION_ID);
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    with_nl = g_strconcat(text, "\n", NULL);
    g_free(text);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return with_nl;
}

/* The add-on file to point the user at: the Debian package's, an installed
 * copy, or the one next to an uninstalled build (transfer full), or NULL. */
static char *find_xpi(const char *exe, gboolean *system_wide)
{
    char *dir = g_path_get_dirname(exe);
    char *candidates[] = {
        g_strdup("/usr/lib/thunderbird/extensions/" KW_TB_EXTENSION_ID ".xpi"),
        g_build_filename(KW_DATADIR, "keepwarm.xpi", NULL),
        g_build_filename(dir, "thunderbird", "keepwarm.xpi", NULL),
    };
    char *found = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (!found && g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR)) {
            found = g_strdup(candidates[i]);
            *system_wide = i == 0;
        }
        g_free(candidates[i]);
    }
    g_free(dir);
    return found;
}

int kw_cmd_setup_thunderbird(kw_cli_t *cli, int argc, char **argv)
{
    gboolean remove = FALSE, print = FALSE;
    char *program = NULL;
    GOptionEntry entries[] = {
        { "remove", 0, 0, G_OPTION_ARG_NONE, &remove, N_("Remove the manifest written before"), NULL },
        { "print", 0, 0, G_OPTION_ARG_NONE, &print, N_("Print the manifest instead of writing it"), NULL },
        { "program", 0, 0, G_OPTION_ARG_FILENAME, &program,
          N_("The keepwarm the manifest names (default: this one; used by 'make install')"), N_("PATH") },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    char *exe = NULL, *path = NULL, *dir = NULL, *text = NULL, *old = NULL, *xpi = NULL;
    GError *err = NULL;
    gboolean system_wide = FALSE;
    int rc;

    rc = kw_cli_parse_options(cli, "setup-thunderbird", NULL,
                              _("Let the keepwarm add-on for Thunderbird use this keepwarm."),
                              _("Writes ~/.mozilla/native-messaging-hosts/keepwarm.json, which tells "
                                "Thunderbird to start this\nprogram for the add-on "
                                "keepwarm@keepwarm.example.org, and says how to add the add-on.\n"
                                "The add-on uses the same database and config file as the command."),
                              entries, &argc, &argv);
    if (rc)
        return rc;
    if (argc > 1 || (program && !g_path_is_absolute(program))) {
        rc = argc > 1 ? kw_cli_usage_error("setup-thunderbird", _("unexpected argument '%s'"), argv[1])
                      : kw_cli_usage_error("setup-thunderbird", "%s", _("--program needs an absolute path"));
        g_free(program);
        return rc;
    }
    path = user_manifest_path();
    if (remove) {
        if (g_unlink(path) != 0 && errno != ENOENT) {
            fprintf(stderr, _("keepwarm: cannot remove %s: %s\n"), path, g_strerror(errno));
            rc = KW_EXIT_OTHER;
        } else {
            printf(_("Removed %s (if it was there).\n"), path);
        }
        goto done;
    }
    exe = program ? g_strdup(program) : g_file_read_link("/proc/self/exe", &err);
    if (!exe) {
        fprintf(stderr, _("keepwarm: cannot find this program's path: %s\n"), err->message);
        g_error_free(err);
        rc = KW_EXIT_OTHER;
        goto done;
    }
    text = manifest_text(exe);
    if (print) {
        fputs(text, stdout);
        goto done;
    }
    dir = g_path_get_dirname(path);
    if (g_file_get_contents(path, &old, NULL, NULL) && strcmp(old, text) == 0) {
        printf(_("%s is up to date.\n"), path);
    } else if (g_mkdir_with_parents(dir, 0755) != 0 ||
               !g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &err)) {
        fprintf(stderr, _("keepwarm: cannot write %s: %s\n"), path, err ? err->message : g_strerror(errno));
        g_clear_error(&err);
        rc = KW_EXIT_OTHER;
        goto done;
    } else {
        printf(_("Wrote %s:\nThunderbird starts %s for the keepwarm add-on.\n"), path, exe);
    }
    if (g_file_test(SYSTEM_MANIFEST, G_FILE_TEST_EXISTS))
        printf(_("(It takes precedence over the system-wide %s.)\n"), SYSTEM_MANIFEST);

    xpi = find_xpi(exe, &system_wide);
    if (xpi && system_wide)
        printf(_("\nThe add-on is installed for all users (%s): restart Thunderbird.\n"), xpi);
    else if (xpi)
        /* TRANSLATORS: the menu items are Thunderbird's own, as it names them in your language */
        printf(_("\nNow add the add-on in Thunderbird: menu ≡ → Add-ons and Themes → ⚙ → "
                 "Install Add-on From File… →\n  %s\n"), xpi);
    else
        fputs(_("\nNow add the keepwarm add-on in Thunderbird (menu ≡ → Add-ons and Themes → ⚙ → "
                "Install Add-on From File…).\nIt is built by 'make thunderbird' "
                "(build/thunderbird/keepwarm.xpi) and shipped by the webext-keepwarm package.\n"), stdout);
    printf(_("Then open keepwarm's options in Thunderbird to set up your IMAP account, unless\n%s already "
             "has one.\n"), "~/.config/keepwarm/config");
    if (g_file_test("/var/lib/flatpak/app/org.mozilla.Thunderbird", G_FILE_TEST_IS_DIR) ||
        g_file_test("/snap/thunderbird", G_FILE_TEST_IS_DIR))
        fputs(_("\nNote: a Flatpak or Snap Thunderbird runs in a sandbox that may not see this manifest or "
                "this program;\nthe Debian package of Thunderbird does.\n"), stdout);
done:
    g_free(program);
    g_free(exe);
    g_free(path);
    g_free(dir);
    g_free(text);
    g_free(old);
    g_free(xpi);
    return rc;
}

int kw_cmd_native_host(kw_cli_t *cli, int argc, char **argv)
{
    int rc = kw_cli_parse_options(cli, "native-host", NULL,
                                  _("Answer the Thunderbird add-on's requests on stdin/stdout."),
                                  _("Thunderbird starts this itself (as 'keepwarm MANIFEST EXTENSION-ID'); "
                                    "run it by hand\nonly to try the protocol. Logs to "
                                    "$XDG_STATE_HOME/keepwarm/host.log."),
                                  NULL, &argc, &argv);
    if (rc)
        return rc;
    if (argc > 1)
        return kw_cli_usage_error("native-host", _("unexpected argument '%s'"), argv[1]);
    return kw_host_main(cli, NULL, NULL);
}

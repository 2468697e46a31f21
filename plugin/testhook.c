/* testhook.c — TEST-ONLY introspection for tests/plugin/t-claws-e2e.py.
 *
 * Off unless the environment asks for it:
 *   KEEPWARM_PLUGIN_TEST_DUMP=/path  after every refresh, hint, insertion and
 *       sync end, write a JSON snapshot of what the user sees (rows, hint
 *       text, status line, the folder view's widget parentage) to /path
 *       (atomically: /path.tmp then rename).
 *   KEEPWARM_PLUGIN_TEST_CMD=/fifo   read one command per line:
 *       refresh | dump | sync | snooze ROW DAYS | layout N | unload |
 *       identities [ADDR,ADDR...]  (set "your other addresses" and save)
 *   (ROW is a 0-based panel row; N a Claws layout_mode: 0 normal, 1 three
 *   columns, 2 wide message, 4 wide message list, 5 small screen.)
 * Nothing here is reachable otherwise. */
#include "kw_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "utils.h"
#include "plugin.h"
#include "mainwindow.h"
#include "menu.h"
#include "prefs_common.h"

static struct {
    char       *dump_path;
    int         cmd_fd, cmd_keep_fd;
    GIOChannel *cmd;
    guint       cmd_watch;
    unsigned    seq;
} T = { .cmd_fd = -1, .cmd_keep_fd = -1 };

static void json_str(GString *out, const char *s)
{
    if (!s) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

/* ["keepwarm-paned", "GtkPaned", "GtkBox", ...] from the widget upwards */
static void parentage(GString *out, GtkWidget *w)
{
    g_string_append_c(out, '[');
    gboolean first = TRUE;
    for (GtkWidget *p = w ? gtk_widget_get_parent(w) : NULL; p; p = gtk_widget_get_parent(p)) {
        if (!first)
            g_string_append_c(out, ',');
        json_str(out, gtk_widget_get_name(p));
        first = FALSE;
    }
    g_string_append_c(out, ']');
}

static void write_dump(GString *json)
{
    char *tmp = g_strconcat(T.dump_path, ".tmp", NULL);
    if (g_file_set_contents(tmp, json->str, (gssize)json->len, NULL))
        rename(tmp, T.dump_path);
    g_free(tmp);
}

void kw_testhook_dump(const char *why)
{
    if (!T.dump_path)
        return;
    GString *j = g_string_new(NULL);
    g_string_append_printf(j, "{\"seq\":%u,\"why\":", ++T.seq);
    json_str(j, why);
    g_string_append(j, ",\"rows\":[");
    for (guint i = 0; i < kw_panel_row_count(); i++) {
        const kwv_row_t *r = kw_panel_row(i);
        g_string_append(j, i ? ",{" : "{");
        g_string_append(j, "\"key\":"); json_str(j, r->key);
        g_string_append(j, ",\"title\":"); json_str(j, r->title);
        g_string_append(j, ",\"people\":"); json_str(j, r->people);
        g_string_append(j, ",\"since\":"); json_str(j, r->since);
        g_string_append(j, ",\"cadence\":"); json_str(j, r->cadence);
        g_string_append(j, ",\"state\":"); json_str(j, kw_state_to_string(r->state));
        g_string_append(j, ",\"reason\":"); json_str(j, r->reason);
        g_string_append(j, ",\"team\":"); json_str(j, r->team);
        g_string_append(j, ",\"main_person\":"); json_str(j, r->main_person);
        g_string_append_c(j, '}');
    }
    g_string_append(j, "],\"hint\":");
    json_str(j, kw_plugin_hint_text());
    g_string_append(j, ",\"status\":");
    json_str(j, kw_plugin_status());
    g_string_append_printf(j, ",\"panel_inserted\":%s,\"layout\":%d,\"folderview_parents\":",
                           kw_panel_inserted() ? "true" : "false", (int)prefs_common_get_prefs()->layout_mode);
    parentage(j, kw_panel_folderview_widget());
    g_string_append(j, ",\"workers\":");
    kw_workers_describe(j);
    g_string_append(j, ",\"team\":");
    kw_plugin_team_describe(j);
    g_string_append(j, ",\"team_status\":");
    json_str(j, kw_plugin_team_status());
    g_string_append(j, ",\"unloaded\":false}\n");
    write_dump(j);
    g_string_free(j, TRUE);
}

void kw_testhook_final_dump(GtkWidget *fw)
{
    if (!T.dump_path)
        return;
    GString *j = g_string_new(NULL);
    g_string_append_printf(j, "{\"seq\":%u,\"why\":\"unload\",\"unloaded\":true,\"rows\":[],"
                              "\"folderview_parents\":", ++T.seq);
    parentage(j, fw);
    MainWindow *mainwin = mainwindow_get_mainwindow();
    gboolean restored = fw && mainwin && gtk_widget_get_parent(fw) &&
                        GTK_IS_PANED(gtk_widget_get_parent(fw)) &&
                        gtk_paned_get_child1(GTK_PANED(gtk_widget_get_parent(fw))) == fw &&
                        gtk_widget_get_parent(fw) == mainwin->hpaned;
    g_string_append_printf(j, ",\"folderview_restored\":%s}\n", restored ? "true" : "false");
    write_dump(j);
    g_string_free(j, TRUE);
}

static gboolean return_false(gpointer data)
{
    return G_SOURCE_REMOVE;
}

static void cmd_layout(int mode)
{
    static const struct { int mode; const char *path; } map[] = {
        { 0, "Menu/View/Layout/Standard" }, { 1, "Menu/View/Layout/ThreeColumns" },
        { 2, "Menu/View/Layout/WideMessage" }, { 4, "Menu/View/Layout/WideMessageList" },
        { 5, "Menu/View/Layout/SmallScreen" },
    };
    MainWindow *mainwin = mainwindow_get_mainwindow();
    for (size_t i = 0; mainwin && i < G_N_ELEMENTS(map); i++)
        if (map[i].mode == mode)
            cm_toggle_menu_set_active_full(mainwin->ui_manager, (gchar *)map[i].path, TRUE);
}

static void run_command(char *line)
{
    char **w = g_strsplit(g_strstrip(line), " ", 3);
    const char *cmd = w[0] ? w[0] : "";
    if (!strcmp(cmd, "refresh")) {
        kw_panel_refresh();
    } else if (!strcmp(cmd, "dump")) {
        kw_testhook_dump("cmd");
    } else if (!strcmp(cmd, "sync")) {
        kw_workers_sync_all(TRUE);
    } else if (!strcmp(cmd, "snooze") && w[1] && w[2]) {
        const kwv_row_t *r = kw_panel_row((guint)atoi(w[1]));
        if (r) {
            char *key = g_strdup(r->key);
            kw_panel_snooze(key, atoi(w[2]));
            g_free(key);
        }
    } else if (!strcmp(cmd, "identities")) {
        /* as if "Your other addresses" were edited and saved */
        g_free(kw_prefs.extra_identities);
        kw_prefs.extra_identities = g_strdup(w[1] ? w[1] : "");
        kw_prefs_apply_to_store();
        kw_testhook_dump("identities");
    } else if (!strcmp(cmd, "layout") && w[1]) {
        cmd_layout(atoi(w[1]));
        kw_testhook_dump("layout");
    } else if (!strcmp(cmd, "unload")) {
        /* Unloading closes this module: Claws' plugin_unload must not run in
         * a frame of ours. It runs as the destroy-notify of an idle source
         * whose callback (ours) has already returned. */
        Plugin *self = plugin_get_loaded_by_name(_(KW_PLUGIN_NAME));
        if (self)
            g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, return_false, self,
                            (GDestroyNotify)plugin_unload);
    }
    g_strfreev(w);
}

static gboolean cmd_ready(GIOChannel *ch, GIOCondition cond, gpointer data)
{
    for (;;) {
        char *line = NULL;
        GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);
        if (st != G_IO_STATUS_NORMAL) {
            g_free(line);
            break;
        }
        run_command(line);
        g_free(line);
        if (!T.cmd)  /* unloaded meanwhile (cannot happen: unload is deferred) */
            return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void kw_testhook_init(void)
{
    const char *dump = g_getenv("KEEPWARM_PLUGIN_TEST_DUMP");
    const char *cmd = g_getenv("KEEPWARM_PLUGIN_TEST_CMD");
    if (dump && *dump)
        T.dump_path = g_strdup(dump);
    if (cmd && *cmd) {
        T.cmd_fd = open(cmd, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        /* hold a writer open ourselves so the fifo never reports EOF/HUP
         * between the test's writes */
        T.cmd_keep_fd = open(cmd, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (T.cmd_fd >= 0) {
            T.cmd = g_io_channel_unix_new(T.cmd_fd);
            g_io_channel_set_encoding(T.cmd, NULL, NULL);
            g_io_channel_set_flags(T.cmd, G_IO_FLAG_NONBLOCK, NULL);
            T.cmd_watch = g_io_add_watch(T.cmd, G_IO_IN, cmd_ready, NULL);
        }
    }
}

void kw_testhook_done(void)
{
    if (T.cmd_watch)
        g_source_remove(T.cmd_watch);
    T.cmd_watch = 0;
    if (T.cmd) {
        g_io_channel_unref(T.cmd);
        T.cmd = NULL;
    }
    if (T.cmd_fd >= 0)
        close(T.cmd_fd);
    if (T.cmd_keep_fd >= 0)
        close(T.cmd_keep_fd);
    T.cmd_fd = T.cmd_keep_fd = -1;
    g_clear_pointer(&T.dump_path, g_free);
}

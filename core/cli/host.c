/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host.c — the native-messaging host: the loop, the limits, the log (see host.h).
 *
 * stdout carries nothing but answers: it is moved to a private descriptor at
 * start, and descriptors 1 and 2 then point at the host's log, so a stray
 * message from a library cannot corrupt the protocol (and does not end up in
 * Thunderbird's error console). The log gets one line per request (command,
 * id, outcome, time taken) and never a request body: the options page sends
 * a password through here. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "host.h"
#include "host_frame.h"

/* Browser -> host: requests are small (the largest is a note or the account
 * form); 64 KiB leaves room. Host -> browser: Firefox/Thunderbird refuse
 * more than 1 MiB. */
#define MAX_REQUEST     (64u * 1024u)
#define MAX_ANSWER      (1024u * 1024u)
/* An oversized request is read and thrown away (so the port stays usable)
 * up to this size; beyond it the stream is given up. */
#define MAX_DRAIN       (16u * 1024u * 1024u)
/* json-glib's parser recurses once per nesting level. */
#define MAX_JSON_DEPTH  32
#define LOG_ROTATE_SIZE (1024 * 1024)

typedef struct {
    kw_cli_t *cli;
    int       out_fd;
} host_loop_t;

/* ---- the log ------------------------------------------------------------- */

static int log_fd = -1;

char *kw_host_log_path(void)
{
    return g_build_filename(g_get_user_state_dir(), "keepwarm", "host.log", NULL);
}

/* Open the log (0600 in a 0700 directory), rotating it once it is large. */
static int log_open(void)
{
    char *path = kw_host_log_path();
    char *dir = g_path_get_dirname(path);
    struct stat st;
    int fd = -1;

    if (g_mkdir_with_parents(dir, 0700) == 0) {
        if (stat(path, &st) == 0 && st.st_size > LOG_ROTATE_SIZE) {
            char *old = g_strconcat(path, ".1", NULL);
            g_rename(path, old);
            g_free(old);
        }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    g_free(dir);
    g_free(path);
    return fd;
}

void kw_host_log(const char *fmt, ...)
{
    va_list ap;
    char *msg, *line, stamp[32];
    time_t now = time(NULL);
    struct tm tm;

    if (log_fd < 0)
        return;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    line = g_strdup_printf("%s [%d] %s\n", stamp, (int)getpid(), msg);
    /* One write per line: lines of concurrent hosts do not interleave. */
    if (write(log_fd, line, strlen(line)) < 0) {
        /* nothing to do: the log is best effort */
    }
    g_free(line);
    g_free(msg);
}

/* ---- answers ------------------------------------------------------------- */

JsonNode *kw_host_fail(kw_host_req_t *req, const char *code, const char *fmt, ...)
{
    va_list ap;

    req->err_code = code;
    g_free(req->err_message);
    va_start(ap, fmt);
    req->err_message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return NULL;
}

JsonNode *kw_host_fail_status(kw_host_req_t *req, kw_status_t status, const char *message)
{
    return kw_host_fail(req, kw_status_to_string(status), "%s",
                        message ? message : kw_status_to_string(status));
}

static char *to_json(JsonNode *node, size_t *len)
{
    JsonGenerator *gen = json_generator_new();
    char *s;
    gsize n = 0;

    json_generator_set_root(gen, node);
    s = json_generator_to_data(gen, &n);
    g_object_unref(gen);
    *len = n;
    return s;
}

/* {"id": id, "ok": ..., "result"/"error": ...} (transfer full). */
static JsonNode *answer_new(JsonNode *id, JsonNode *result, const char *code, const char *message)
{
    JsonBuilder *b = json_builder_new();
    JsonNode *root;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_value(b, id ? json_node_copy(id) : json_node_new(JSON_NODE_NULL));
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, code == NULL);
    if (code) {
        json_builder_set_member_name(b, "error");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, message ? message : code);
        json_builder_end_object(b);
    } else {
        json_builder_set_member_name(b, "result");
        json_builder_add_value(b, result ? result : json_node_new(JSON_NODE_NULL));
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}

/* Send one message; a result over the limit loses list items from its end
 * ("items" arrays, marked "truncated": true) until it fits, or becomes a
 * too-large error. Returns 0, or -1 when the add-on is gone. */
static int send_node(host_loop_t *loop, JsonNode *msg, size_t *sent)
{
    size_t len;
    char *s = to_json(msg, &len);
    int rc;

    if (len > MAX_ANSWER) {
        JsonObject *o = json_node_get_object(msg);
        JsonNode *res = json_object_has_member(o, "result") ? json_object_get_member(o, "result") : NULL;
        JsonObject *ro = res && JSON_NODE_HOLDS_OBJECT(res) ? json_node_get_object(res) : NULL;
        JsonNode *items = ro && json_object_has_member(ro, "items") ? json_object_get_member(ro, "items")
                                                                     : NULL;

        if (items && JSON_NODE_HOLDS_ARRAY(items) && json_array_get_length(json_node_get_array(items)) > 0) {
            JsonArray *a = json_node_get_array(items);
            while (len > MAX_ANSWER && json_array_get_length(a) > 0) {
                guint n = json_array_get_length(a);
                guint keep = (guint)((double)n * MAX_ANSWER / (double)len * 0.9);
                while (n > keep)
                    json_array_remove_element(a, --n);
                json_object_set_boolean_member(ro, "truncated", TRUE);
                g_free(s);
                s = to_json(msg, &len);
            }
        }
        if (len > MAX_ANSWER) {
            JsonNode *id = json_object_get_member(o, "id");
            JsonNode *err = answer_new(id, NULL, KW_HOST_E_TOO_LARGE, "the answer is larger than the 1 MiB a "
                                       "host may send; ask for fewer items");
            g_free(s);
            s = to_json(err, &len);
            json_node_unref(err);
        }
    }
    rc = kw_frame_write(loop->out_fd, s, len);
    g_free(s);
    *sent = len;
    return rc;
}

static int send_event(kw_host_req_t *req, const char *event, JsonNode *data)
{
    host_loop_t *loop = req->loop;
    JsonObject *o = json_object_new();
    JsonNode *msg = json_node_new(JSON_NODE_OBJECT);
    size_t sent;
    int rc;

    JsonNode *id = kw_host_member(req, "id");

    json_object_set_member(o, "id", id ? json_node_copy(id) : json_node_new(JSON_NODE_NULL));
    json_object_set_string_member(o, "event", event);
    json_object_set_member(o, "data", data ? data : json_node_new(JSON_NODE_NULL));
    json_node_take_object(msg, o);
    rc = send_node(loop, msg, &sent);
    json_node_unref(msg);
    return rc;
}

/* ---- parameters ---------------------------------------------------------- */

JsonNode *kw_host_member(kw_host_req_t *req, const char *name)
{
    JsonNode *n;

    if (!req->params || !json_object_has_member(req->params, name))
        return NULL;
    n = json_object_get_member(req->params, name);
    return JSON_NODE_HOLDS_NULL(n) ? NULL : n;
}

static int missing(kw_host_req_t *req, const char *name, int required)
{
    if (required)
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' is missing", name);
    return required ? -1 : 0;
}

int kw_host_param_string(kw_host_req_t *req, const char *name, int required, const char **out)
{
    JsonNode *n = kw_host_member(req, name);
    if (!n)
        return missing(req, name, required);
    if (json_node_get_value_type(n) != G_TYPE_STRING) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be a string", name);
        return -1;
    }
    *out = json_node_get_string(n);
    return 0;
}

int kw_host_param_int(kw_host_req_t *req, const char *name, int required, int64_t min, int64_t max,
                      int64_t *out)
{
    JsonNode *n = kw_host_member(req, name);
    gint64 v;
    if (!n)
        return missing(req, name, required);
    if (json_node_get_value_type(n) != G_TYPE_INT64) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be a whole number", name);
        return -1;
    }
    v = json_node_get_int(n);
    if (v < min || v > max) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be between %" G_GINT64_FORMAT " and %"
                     G_GINT64_FORMAT, name, (gint64)min, (gint64)max);
        return -1;
    }
    *out = v;
    return 0;
}

int kw_host_param_bool(kw_host_req_t *req, const char *name, gboolean *out)
{
    JsonNode *n = kw_host_member(req, name);
    if (!n)
        return 0;
    if (json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be true or false", name);
        return -1;
    }
    *out = json_node_get_boolean(n);
    return 0;
}

int kw_host_param_strv(kw_host_req_t *req, const char *name, char ***out)
{
    JsonNode *n = kw_host_member(req, name);
    GStrvBuilder *b;

    *out = NULL;
    if (!n)
        return 0;
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        char *one[] = { (char *)json_node_get_string(n), NULL };
        *out = g_strdupv(one);
        return 0;
    }
    if (!JSON_NODE_HOLDS_ARRAY(n)) {
        kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be a string or a list of strings", name);
        return -1;
    }
    b = g_strv_builder_new();
    for (guint i = 0; i < json_array_get_length(json_node_get_array(n)); i++) {
        JsonNode *e = json_array_get_element(json_node_get_array(n), i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
            g_strv_builder_unref(b);
            kw_host_fail(req, KW_HOST_E_BAD_REQUEST, "'%s' must be a list of strings", name);
            return -1;
        }
        g_strv_builder_add(b, json_node_get_string(e));
    }
    *out = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return 0;
}

JsonNode *kw_host_finish(JsonBuilder *b)
{
    JsonNode *n = json_builder_get_root(b);
    g_object_unref(b);
    return n;
}

/* ---- language ------------------------------------------------------------ */

/* LC_TIME for a language ("de", "de_AT"): month names in dates. The
 * region's locale, else the language's main one (de_DE), else English's
 * C.UTF-8 for "en"; when none is installed, the environment's. */
static void set_time_locale(const char *lang)
{
    char ll[4] = "", *cands[3] = { NULL, NULL, NULL };
    size_t n = strcspn(lang, "_");
    int k = 0;

    g_strlcpy(ll, lang, MIN(n + 1, sizeof ll));
    for (char *p = ll; *p; p++)
        *p = g_ascii_tolower(*p);
    if (lang[n] == '_')
        cands[k++] = g_strdup_printf("%s_%s.UTF-8", ll, lang + n + 1);
    cands[k++] = g_strdup_printf("%s_%c%c.UTF-8", ll, g_ascii_toupper(ll[0]), g_ascii_toupper(ll[1]));
    if (strcmp(ll, "en") == 0)
        cands[k++] = g_strdup("C.UTF-8");
    for (k = 0; k < (int)G_N_ELEMENTS(cands) && cands[k]; k++)
        if (setlocale(LC_TIME, cands[k]))
            break;
    if (k == (int)G_N_ELEMENTS(cands) || !cands[k])
        setlocale(LC_TIME, "");
    for (k = 0; k < (int)G_N_ELEMENTS(cands); k++)
        g_free(cands[k]);
}

/* Speak the add-on's language ("de", "en-US"): its UI language decides, so
 * the host's words match the add-on's own strings. LANGUAGE is what gettext
 * reads first; it is ignored in the "C" locale, hence C.UTF-8 then. The
 * translations come from the catalogue main() bound (build/locale next to
 * an uninstalled binary, else LOCALEDIR); the wording module forgets the
 * ones it remembered for the previous language. */
static void set_language(const char *lang)
{
    static char current[16];
    char buf[16];
    const char *lc;

    if (!lang || strlen(lang) >= sizeof buf || !g_regex_match_simple("^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})?$",
                                                                    lang, 0, 0))
        return;
    g_strlcpy(buf, lang, sizeof buf);
    for (char *p = buf; *p; p++)
        if (*p == '-')
            *p = '_';
    if (strcmp(buf, current) == 0)
        return;
    g_strlcpy(current, buf, sizeof current);
    lc = setlocale(LC_MESSAGES, NULL);
    if (!lc || strcmp(lc, "C") == 0 || strcmp(lc, "POSIX") == 0)
        setlocale(LC_MESSAGES, "C.UTF-8");
    if (!g_get_charset(NULL)) /* month names and hints are UTF-8 */
        setlocale(LC_CTYPE, "C.UTF-8");
    g_setenv("LANGUAGE", buf, TRUE);
    set_time_locale(buf);
    setlocale(LC_MESSAGES, setlocale(LC_MESSAGES, NULL)); /* drops gettext's cache */
    kw_words_bind(NULL);
}

/* ---- the loop ------------------------------------------------------------ */

static const kw_host_command_t *find_command(const char *name)
{
    static const kw_host_command_t *const tables[] = { kw_host_account_commands, kw_host_model_commands };
    for (size_t t = 0; t < G_N_ELEMENTS(tables); t++)
        for (const kw_host_command_t *c = tables[t]; c->name; c++)
            if (strcmp(c->name, name) == 0)
                return c;
    return NULL;
}

/* Deeper than MAX_JSON_DEPTH? (brackets outside strings) */
static gboolean too_deep(const char *s, size_t len)
{
    int depth = 0;
    gboolean in_str = FALSE;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = FALSE;
        } else if (c == '"') {
            in_str = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_JSON_DEPTH)
                return TRUE;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return FALSE;
}

/* A short printable form of the request id, for the log. */
static char *id_for_log(JsonNode *id)
{
    char *s, *c;
    size_t len;
    if (!id)
        return g_strdup("-");
    s = to_json(id, &len);
    if (len > 40)
        strcpy(s + 37, "...");
    c = kw_sanitize_for_display(s);
    g_free(s);
    s = g_strdup(c);
    kw_free(c);
    return s;
}

/* Answer one message. Returns 0, or -1 when the add-on is gone. */
static int handle(host_loop_t *loop, char *body, uint32_t len)
{
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    JsonNode *root = NULL, *id = NULL, *result = NULL, *answer;
    kw_host_req_t req;
    const kw_host_command_t *cmd = NULL;
    const char *name = NULL, *lang = NULL;
    gint64 t0 = g_get_monotonic_time();
    size_t sent = 0;
    char *id_text;
    int rc;

    memset(&req, 0, sizeof req);
    req.cli = loop->cli;
    req.loop = loop;
    req.now = (int64_t)time(NULL);
    if (len == 0) {
        kw_host_fail(&req, KW_HOST_E_BAD_JSON, "the message is empty");
    } else if (!g_utf8_validate(body, len, NULL)) {
        kw_host_fail(&req, KW_HOST_E_BAD_JSON, "the message is not UTF-8 text");
    } else if (too_deep(body, len)) {
        kw_host_fail(&req, KW_HOST_E_BAD_JSON, "the message is nested more than %d levels deep",
                     MAX_JSON_DEPTH);
    } else if (!json_parser_load_from_data(parser, body, (gssize)len, &err)) {
        kw_host_fail(&req, KW_HOST_E_BAD_JSON, "not valid JSON: %s", err->message);
        g_clear_error(&err);
    } else if (!(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
        kw_host_fail(&req, KW_HOST_E_BAD_REQUEST, "a request is a JSON object with a \"cmd\"");
    } else {
        req.params = json_node_get_object(root);
        id = json_object_has_member(req.params, "id") ? json_object_get_member(req.params, "id") : NULL;
        if (kw_host_param_string(&req, "cmd", 1, &name) == 0 &&
            kw_host_param_string(&req, "lang", 0, &lang) == 0) {
            req.cmd = name;
            cmd = find_command(name);
            if (!cmd) {
                char *clean = kw_sanitize_for_display(name);
                kw_host_fail(&req, KW_HOST_E_UNKNOWN, "unknown command '%s'", clean);
                kw_free(clean);
            }
        }
    }
    /* The body may hold a password (set-account): wipe it now. The parser's
     * own copy is wiped by the command that reads it. */
    explicit_bzero(body, len);
    if (cmd) {
        set_language(lang);
        if (strcmp(name, "sync") == 0) {
            gboolean progress = FALSE;
            if (kw_host_param_bool(&req, "progress", &progress) == 0 && progress)
                req.send_event = send_event;
        }
        if (!req.err_code)
            result = cmd->fn(&req);
    }
    if (!req.err_code && !result)
        kw_host_fail(&req, KW_HOST_E_INTERNAL, "the command gave no answer");
    if (req.err_code)
        answer = answer_new(id, NULL, req.err_code, req.err_message);
    else
        answer = answer_new(id, result, NULL, NULL);
    rc = send_node(loop, answer, &sent);
    id_text = id_for_log(id);
    if (req.err_code) {
        char *clean = kw_sanitize_for_display(req.err_message);
        kw_host_log("%s id=%s error=%s (%s) %.1f ms", cmd ? name : "-", id_text, req.err_code, clean,
                    (double)(g_get_monotonic_time() - t0) / 1000.0);
        kw_free(clean);
    } else {
        kw_host_log("%s id=%s ok %zu bytes %.1f ms", name, id_text, sent,
                    (double)(g_get_monotonic_time() - t0) / 1000.0);
    }
    g_free(id_text);
    json_node_unref(answer);
    g_free(req.err_message);
    g_object_unref(parser);
    return rc;
}

/* Reply to a message that cannot be read (too large). */
static int refuse(host_loop_t *loop, const char *code, const char *message)
{
    JsonNode *answer = answer_new(NULL, NULL, code, message);
    size_t sent;
    int rc = send_node(loop, answer, &sent);
    json_node_unref(answer);
    return rc;
}

int kw_host_main(kw_cli_t *cli, const char *manifest, const char *extension_id)
{
    host_loop_t loop = { cli, -1 };
    int devnull, requests = 0;
    char *ext = extension_id ? kw_sanitize_for_display(extension_id) : NULL;

    signal(SIGPIPE, SIG_IGN);
    /* Answers go to a private copy of stdout; 1 and 2 go to the log. */
    loop.out_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (loop.out_fd < 0) {
        kw_free(ext);
        return KW_EXIT_OTHER;
    }
    log_fd = log_open();
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(log_fd >= 0 ? log_fd : devnull, STDOUT_FILENO);
    dup2(log_fd >= 0 ? log_fd : devnull, STDERR_FILENO);
    if (devnull >= 0)
        close(devnull);
    if (manifest)
        kw_host_log("start: keepwarm %s, protocol %d, for %s", KW_VERSION, KW_HOST_PROTOCOL, ext);
    else
        kw_host_log("start: keepwarm %s, protocol %d, as 'keepwarm native-host'", KW_VERSION,
                    KW_HOST_PROTOCOL);

    for (;;) {
        char *body = NULL;
        uint32_t len = 0;
        kw_frame_status_t st = kw_frame_read(STDIN_FILENO, MAX_REQUEST, &body, &len);

        if (st == KW_FRAME_EOF)
            break;
        if (st == KW_FRAME_TRUNCATED || st == KW_FRAME_IO) {
            kw_host_log("input %s after %d request(s)",
                        st == KW_FRAME_IO ? g_strerror(errno) : "ended inside a message", requests);
            break;
        }
        requests++;
        if (st == KW_FRAME_TOO_LARGE) {
            char *msg = g_strdup_printf("the message has %u bytes; a request may have at most %u", len,
                                        MAX_REQUEST);
            kw_host_log("refused a message of %u bytes", len);
            if (refuse(&loop, KW_HOST_E_TOO_LARGE, msg) < 0 || len > MAX_DRAIN ||
                kw_frame_skip(STDIN_FILENO, len) != KW_FRAME_OK) {
                g_free(msg);
                break;
            }
            g_free(msg);
            continue;
        }
        if (handle(&loop, body, len) < 0) {
            kw_host_log("the add-on went away: %s", g_strerror(errno));
            g_free(body);
            break;
        }
        g_free(body);
    }
    kw_host_log("end after %d request(s)", requests);
    close(loop.out_fd);
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    kw_free(ext);
    return KW_EXIT_OK;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host.h — the native-messaging host inside the `keepwarm` command (not part
 * of the library).
 *
 * Thunderbird starts `keepwarm MANIFEST-PATH EXTENSION-ID` (one process per
 * sendNativeMessage, or one per connectNative port) and talks to it on
 * stdin/stdout (host_frame.h). Every request is a JSON object
 *
 *     {"id": ANY, "cmd": "overdue", "lang": "de", ...parameters}
 *
 * and gets exactly one answer (a `sync` asked with "progress": true sends
 * {"id", "event": "sync-progress", "data"} messages before it):
 *
 *     {"id": ANY, "ok": true,  "result": ...}
 *     {"id": ANY, "ok": false, "error": {"code": "not-found", "message": "..."}}
 *
 * host.c owns the loop, the limits and the log; the commands live in
 * host_model.c (everything that reads or changes the relationship model,
 * one model load per request) and host_account.c (status, account set-up
 * with the desktop keyring, sync). The protocol is
 * documented for add-on authors in plugin/thunderbird/PROTOCOL.md. */
#ifndef KW_HOST_H
#define KW_HOST_H

#include <json-glib/json-glib.h>
#include "cli.h"

/* The add-on's id (plugin/thunderbird/manifest.json), allowed by the host
 * manifests that `keepwarm setup-thunderbird` and `make install` write. */
#define KW_TB_EXTENSION_ID "keepwarm@keepwarm.example.org"
/* The host's name: the manifest file is NAME.json, the add-on calls it so. */
#define KW_TB_HOST_NAME "keepwarm"
/* Version of the request/answer format; bumped on incompatible changes. */
#define KW_HOST_PROTOCOL 1

/* Error codes of answers (besides the library's kw_status_to_string names:
 * "usage", "not-found", "store", "store-corrupt", "store-too-new", "busy"...). */
#define KW_HOST_E_TOO_LARGE      "too-large"      /* message over the size limit */
#define KW_HOST_E_BAD_JSON       "bad-json"       /* not UTF-8 JSON, or nested too deeply */
#define KW_HOST_E_BAD_REQUEST    "bad-request"    /* not an object, no "cmd", wrong parameter */
#define KW_HOST_E_UNKNOWN        "unknown-command"
#define KW_HOST_E_NOT_AVAILABLE  "not-available"  /* defined, not in this version yet */
#define KW_HOST_E_NOT_CONFIGURED "not-configured" /* no account in the config file */
#define KW_HOST_E_NOT_SYNCED     "not-synced"     /* no store yet: nothing was synced */
#define KW_HOST_E_KEYRING        "keyring"        /* no usable Secret Service */
#define KW_HOST_E_CONFIG         "config"         /* the config file cannot be read or written */
#define KW_HOST_E_INTERNAL       "internal"

/* One request being answered. */
typedef struct kw_host_req {
    kw_cli_t   *cli;        /* db_path / config_path overrides (NULL: defaults) */
    JsonObject *params;     /* the request object (transfer none) */
    const char *cmd;
    int64_t     now;        /* time of the request (UTC seconds) */
    /* Send an event message before the answer (sync progress). Returns 0, or
     * -1 when the add-on is gone. NULL when events are not wanted. */
    int       (*send_event)(struct kw_host_req *req, const char *event, JsonNode *data);
    void       *loop;       /* host.c's state, for send_event */
    /* Set by kw_host_fail(): */
    const char *err_code;
    char       *err_message;
} kw_host_req_t;

/* A command: returns the result (transfer full), or NULL after kw_host_fail(). */
typedef JsonNode *(*kw_host_fn)(kw_host_req_t *req);

typedef struct {
    const char *name;
    kw_host_fn  fn;
    int         pending; /* defined, but fn answers "not-available" in this version */
} kw_host_command_t;

/* The commands of host_model.c and host_account.c (NULL-name terminated). */
extern const kw_host_command_t kw_host_model_commands[];
extern const kw_host_command_t kw_host_account_commands[];

/* Run the host on stdin/stdout until the add-on closes the pipe. `manifest`
 * and `extension_id` are what the browser passed (NULL when started as
 * `keepwarm native-host`); they are only logged. Returns an exit code. */
int kw_host_main(kw_cli_t *cli, const char *manifest, const char *extension_id);

/* Record an error answer; returns NULL so a command can `return kw_host_fail(...)`. */
JsonNode *kw_host_fail(kw_host_req_t *req, const char *code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The same for a library status (code = kw_status_to_string(status)); `message`
 * may be NULL (then the status name is the message). */
JsonNode *kw_host_fail_status(kw_host_req_t *req, kw_status_t status, const char *message);

/* The request's member `name`, or NULL when it is absent or JSON null (transfer none). */
JsonNode *kw_host_member(kw_host_req_t *req, const char *name);

/* Parameters. Each returns 0 and sets *out (a missing optional parameter
 * leaves *out as it was), or -1 after kw_host_fail(BAD_REQUEST) naming the
 * parameter when it is missing but required, or of the wrong type. Strings
 * are (transfer none), valid as long as the request. */
int kw_host_param_string(kw_host_req_t *req, const char *name, int required, const char **out);
int kw_host_param_int(kw_host_req_t *req, const char *name, int required, int64_t min, int64_t max,
                      int64_t *out);
int kw_host_param_bool(kw_host_req_t *req, const char *name, gboolean *out);
/* A string or an array of strings; (transfer full, g_strfreev), NULL when absent. */
int kw_host_param_strv(kw_host_req_t *req, const char *name, char ***out);

/* The builder's root (transfer full); the builder is released. Members are
 * added with kw_json_member_string() (sanitised) and kw_json_member_time(). */
JsonNode *kw_host_finish(JsonBuilder *b);

/* Add "features": {today, review, record_sent, actions: [...]} for `status`:
 * what this host answers (not "not-available"), from host_model.c's tables. */
void kw_host_model_features(JsonBuilder *b);

/* Where the host writes its log: $XDG_STATE_HOME/keepwarm/host.log (transfer full). */
char *kw_host_log_path(void);
/* Append one line to the host's log (never a secret; no request bodies). */
void kw_host_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif

/* classify.c — pure rules about addresses and domains (classify.h).
 *
 * Registrable domains come from libpsl and Debian's public suffix list
 * (psl_latest picks the newest of /usr/share/publicsuffix and the built-in
 * copy); the freemail and role lists are compiled in from core/data/. */
#include <string.h>

#include <glib.h>
#include <libpsl.h>

#include "classify.h"
#include "header_parse.h"

static const char *const freemail_entries[] = {
#include "freemail.inc"
};

static const char *const role_entries[] = {
#include "role-localparts.inc"
};

typedef struct {
    const psl_ctx_t *psl;
    GHashTable *freemail;        /* exact domains */
    GHashTable *freemail_labels; /* "yahoo" for "yahoo.*" */
    GHashTable *roles;           /* exact local parts */
    GPtrArray  *role_prefixes;   /* "noreply-" for "noreply-*" */
} classify_data_t;

static gpointer classify_init(gpointer unused)
{
    classify_data_t *d = g_new0(classify_data_t, 1);
    size_t i;

    (void) unused;
    d->psl = psl_latest(NULL);
    if (d->psl == NULL)
        d->psl = psl_builtin();
    d->freemail = g_hash_table_new(g_str_hash, g_str_equal);
    d->freemail_labels = g_hash_table_new(g_str_hash, g_str_equal);
    for (i = 0; i < G_N_ELEMENTS(freemail_entries); i++) {
        const char *e = freemail_entries[i];
        size_t n = strlen(e);
        if (n > 2 && strcmp(e + n - 2, ".*") == 0)
            g_hash_table_add(d->freemail_labels, g_strndup(e, n - 2));
        else
            g_hash_table_add(d->freemail, (gpointer) e);
    }
    d->roles = g_hash_table_new(g_str_hash, g_str_equal);
    d->role_prefixes = g_ptr_array_new();
    for (i = 0; i < G_N_ELEMENTS(role_entries); i++) {
        const char *e = role_entries[i];
        size_t n = strlen(e);
        if (n > 1 && e[n - 1] == '*')
            g_ptr_array_add(d->role_prefixes, g_strndup(e, n - 1));
        else
            g_hash_table_add(d->roles, (gpointer) e);
    }
    return d;
}

static const classify_data_t *data(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, classify_init, NULL);
}

const char *kw_email_domain(const char *email)
{
    const char *at;

    if (email == NULL)
        return NULL;
    at = strrchr(email, '@');
    if (at == NULL || at[1] == '\0')
        return NULL;
    return at + 1;
}

char *kw_registrable_domain(const char *domain)
{
    const char *reg;
    char *lower;

    if (domain == NULL || *domain == '\0')
        return NULL;
    if (domain[0] == '[')               /* address literal */
        return g_strdup(domain);
    /* libpsl wants lower case; normalised input already is, so this only
     * costs a copy for callers passing raw text. */
    lower = NULL;
    for (const char *p = domain; *p; p++) {
        if (g_ascii_isupper(*p)) {
            lower = g_utf8_strdown(domain, -1);
            break;
        }
    }
    reg = psl_registrable_domain(data()->psl, lower ? lower : domain);
    if (reg == NULL) {
        /* the domain is itself a public suffix, or unknown to the list */
        if (lower)
            return lower;
        return g_strdup(domain);
    }
    {
        char *res = g_strdup(reg);
        g_free(lower);
        return res;
    }
}

static int freemail_registrable(const classify_data_t *d, const char *reg)
{
    const char *dot;

    if (g_hash_table_contains(d->freemail, reg))
        return 1;
    dot = strchr(reg, '.');
    if (dot != NULL && dot > reg) {
        char label[64];
        size_t n = (size_t) (dot - reg);
        if (n < sizeof label) {
            memcpy(label, reg, n);
            label[n] = '\0';
            if (g_hash_table_contains(d->freemail_labels, label))
                return 1;
        }
    }
    return 0;
}

int kw_is_freemail_domain(const char *domain)
{
    const classify_data_t *d = data();
    char *reg;
    int res;

    if (domain == NULL || *domain == '\0')
        return 0;
    if (g_hash_table_contains(d->freemail, domain))
        return 1;
    reg = kw_registrable_domain(domain);
    res = reg != NULL && freemail_registrable(d, reg);
    g_free(reg);
    return res;
}

int kw_is_role_address(const char *email)
{
    const classify_data_t *d = data();
    const char *at;
    char buf[128];
    size_t n, full, i;

    if (email == NULL)
        return 0;
    at = strrchr(email, '@');
    full = at ? (size_t) (at - email) : strlen(email);
    if (full == 0 || full >= sizeof buf)
        return 0;
    for (i = 0; i < full; i++)
        buf[i] = g_ascii_tolower(email[i]);
    buf[full] = '\0';
    for (i = 0; i < d->role_prefixes->len; i++) {
        const char *pre = g_ptr_array_index(d->role_prefixes, i);
        if (strncmp(buf, pre, strlen(pre)) == 0)
            return 1;
    }
    /* the part before a "+tag" */
    n = strcspn(buf, "+");
    buf[n] = '\0';
    return n > 0 && g_hash_table_contains(d->roles, buf);
}

char *kw_org_key(const char *email)
{
    const char *domain = kw_email_domain(email);
    char *reg;

    if (domain == NULL)
        return NULL;
    reg = kw_registrable_domain(domain);
    if (reg == NULL)
        return NULL;
    if (g_hash_table_contains(data()->freemail, domain) ||
        freemail_registrable(data(), reg)) {
        g_free(reg);
        return g_ascii_strdown(email, -1);
    }
    return reg;
}

/* ------------------------------------------------------------------------ */
/* Noise                                                                     */

/* First word of a header value, lower-case, into buf. */
static const char *first_token(const char *v, char *buf, size_t size)
{
    size_t i = 0;

    while (*v == ' ' || *v == '\t')
        v++;
    while (*v && i + 1 < size && *v != ';' && *v != '(' && *v != ' ' && *v != '\t' && *v != ',') {
        buf[i++] = g_ascii_tolower(*v);
        v++;
    }
    buf[i] = '\0';
    return buf;
}

static int utf8_prefix_ci(const char *s, const char *prefix)
{
    while (*prefix) {
        gunichar a, b;
        if (*s == '\0')
            return 0;
        a = g_utf8_get_char(s);
        b = g_utf8_get_char(prefix);
        if (a != b && g_unichar_tolower(a) != g_unichar_tolower(b))
            return 0;
        s = g_utf8_next_char(s);
        prefix = g_utf8_next_char(prefix);
    }
    return 1;
}

static const char *const ooo_prefixes[] = {
    "Out of Office", "Automatic reply", "Auto:", "Autoreply", "Auto-reply", "Auto reply",
    "Abwesenheitsnotiz", "Automatische Antwort", "Absence", "Réponse automatique",
    "Respuesta automática",
};

static int subject_is_autoreply(const char *subject)
{
    char c0 = g_ascii_tolower(subject[0]);

    if (c0 != 'o' && c0 != 'a' && c0 != 'r')
        return 0;                       /* first letters of ooo_prefixes */
    for (size_t i = 0; i < G_N_ELEMENTS(ooo_prefixes); i++)
        if (utf8_prefix_ci(subject, ooo_prefixes[i]))
            return 1;
    return 0;
}

/* Return-Path: <> (spaces allowed inside) — a bounce. */
static int empty_return_path(const char *v)
{
    size_t i = 0;
    char compact[4];

    for (; *v && i < sizeof compact - 1; v++)
        if (*v != ' ' && *v != '\t')
            compact[i++] = *v;
    compact[i] = '\0';
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0' && strcmp(compact, "<>") == 0;
}

/* Content-Type: multipart/report: 1 for a delivery status notification,
 * 0 for another report (read receipts), -1 for anything else. */
static int report_is_dsn(const char *v)
{
    const char *rt = v;

    if (g_ascii_strncasecmp(v, "multipart/report", 16) != 0)
        return -1;
    while ((rt = strchr(rt, '=')) != NULL) {
        const char *k = rt;
        while (k > v && (k[-1] == ' ' || k[-1] == '\t'))
            k--;
        if (k - v >= 11 && g_ascii_strncasecmp(k - 11, "report-type", 11) == 0) {
            rt++;
            while (*rt == ' ' || *rt == '"')
                rt++;
            return g_ascii_strncasecmp(rt, "delivery-status", 15) == 0;
        }
        rt++;
    }
    return 0;
}

unsigned kw_classify_noise(const kw_noise_headers_t *h)
{
    unsigned flags = 0;
    char tok[32];

    if ((h->list_id && *h->list_id) || (h->list_unsubscribe && *h->list_unsubscribe))
        flags |= KW_MSG_LIST;
    if (h->precedence) {
        first_token(h->precedence, tok, sizeof tok);
        if (!strcmp(tok, "bulk") || !strcmp(tok, "list") || !strcmp(tok, "junk"))
            flags |= KW_MSG_BULK;
    }
    if (h->auto_submitted) {
        first_token(h->auto_submitted, tok, sizeof tok);
        if (tok[0] != '\0' && strcmp(tok, "no") != 0) {
            flags |= KW_MSG_AUTO;
            if (!strcmp(tok, "auto-replied"))
                flags |= KW_MSG_AUTOREPLY;
        }
    }
    if (h->x_auto_response_suppress)
        flags |= KW_MSG_AUTO_SUPPRESS;
    if (h->return_path && empty_return_path(h->return_path))
        flags |= KW_MSG_BOUNCE;
    if (h->content_type) {
        int dsn = report_is_dsn(h->content_type);
        if (dsn >= 0)
            flags |= dsn ? KW_MSG_BOUNCE : KW_MSG_AUTO;
    }
    if (h->from && (g_str_has_prefix(h->from, "mailer-daemon@") || g_str_has_prefix(h->from, "postmaster@")))
        flags |= KW_MSG_BOUNCE;
    if (h->subject && subject_is_autoreply(h->subject))
        flags |= KW_MSG_AUTOREPLY;
    return flags;
}

/* ------------------------------------------------------------------------ */
/* Direction                                                                 */

kw_direction_t kw_direction_of(int role, int is_first_from, int from_is_mine, int addr_is_mine)
{
    if (is_first_from)
        return from_is_mine ? KW_DIRECTION_NONE : KW_DIRECTION_INBOUND;
    if (from_is_mine && !addr_is_mine &&
        (role == KW_ROLE_TO || role == KW_ROLE_CC || role == KW_ROLE_BCC))
        return KW_DIRECTION_OUTBOUND;
    return KW_DIRECTION_NONE;
}

/* classify.c — pure rules about addresses and domains (classify.h).
 *
 * Registrable domains come from libpsl and Debian's public suffix list
 * (psl_latest picks the newest of /usr/share/publicsuffix and the built-in
 * copy); the freemail and role lists are compiled in from core/data/. */
#include <string.h>

#include <glib.h>
#include <libpsl.h>

#include "classify.h"

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

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench_model.c — in-process timings of the model for `make bench-model`
 * (tests/bench/bench_model.py runs it; never a test, never shipped).
 *
 *   bench_model STORE RUNS [AS_OF]
 *
 * Prints one JSON object: for each of model load, the default list on a
 * loaded model, load + list, and the hint lookup of a clicked message
 * (kw_model_for_sender on the loaded model, over every contact address in
 * turn), the median, min and max in milliseconds over RUNS runs (the first
 * run is a warm-up and not counted), plus what the store holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "keepwarm.h"

static double now_ms(void)
{
    return (double) g_get_monotonic_time() / 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void put_stats(const char *name, double *v, int n, int last)
{
    qsort(v, (size_t) n, sizeof *v, cmp_double);
    printf("  \"%s\": {\"median\": %.4f, \"min\": %.4f, \"max\": %.4f, \"n\": %d}%s\n", name,
           n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1], n, last ? "" : ",");
}

static void die(const char *what, kw_status_t st, char *error)
{
    fprintf(stderr, "bench_model: %s: %s (%s)\n", what, error ? error : "", kw_status_to_string(st));
    exit(1);
}

int main(int argc, char **argv)
{
    kw_store_t *store = NULL;
    kw_model_t *m = NULL;
    kw_model_options_t o = { 0 };
    kw_relationship_list_t *l = NULL;
    kw_contact_list_t *contacts = NULL;
    char *error = NULL;
    kw_status_t st;
    int runs, n = 0, lookups = 0;
    double *t_load, *t_list, *t_both, *t_hint;
    size_t rels = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_model STORE RUNS [AS_OF]\n");
        return 2;
    }
    runs = atoi(argv[2]);
    if (runs < 1)
        runs = 1;
    o.as_of = argc > 3 ? g_ascii_strtoll(argv[3], NULL, 10) : (int64_t) time(NULL);
    if ((st = kw_store_open(argv[1], KW_STORE_READ_ONLY, &store, &error)) != KW_OK)
        die("open", st, error);
    t_load = g_new(double, runs);
    t_list = g_new(double, runs);
    t_both = g_new(double, runs);
    t_hint = g_new(double, runs);
    for (int k = 0; k <= runs; k++) {
        double t0 = now_ms(), t1, t2;
        if ((st = kw_model_load(store, &o, &m, &error)) != KW_OK)
            die("load", st, error);
        t1 = now_ms();
        if ((st = kw_model_relationships(m, NULL, &l, &error)) != KW_OK)
            die("list", st, error);
        t2 = now_ms();
        rels = l->count;
        kw_relationship_list_free(l);
        if (k == 0) { /* warm-up; the addresses to "click" on */
            if ((st = kw_model_contacts(m, 1, &contacts, &error)) != KW_OK)
                die("contacts", st, error);
        } else {
            t_load[n] = t1 - t0;
            t_list[n] = t2 - t1;
            t_both[n] = t2 - t0;
            /* one click: the sender of a message, on the loaded model */
            {
                const kw_contact_t *c = &contacts->items[(size_t) k * 7919 % contacts->count];
                kw_relationship_t *r = NULL;
                char *from = g_strdup_printf("%s <%s>", c->name ? c->name : "", c->email);
                double h0 = now_ms();
                if (kw_model_for_sender(m, from, &r, NULL) == KW_OK)
                    lookups++;
                t_hint[n] = now_ms() - h0;
                kw_relationship_free(r);
                g_free(from);
            }
            n++;
        }
        kw_model_free(m);
    }
    printf("{\n  \"contacts\": %zu,\n  \"relationships_listed\": %zu,\n  \"hint_hits\": %d,\n",
           contacts->count, rels, lookups);
    put_stats("load_ms", t_load, n, 0);
    put_stats("list_ms", t_list, n, 0);
    put_stats("load_and_list_ms", t_both, n, 0);
    put_stats("hint_lookup_ms", t_hint, n, 1);
    printf("}\n");
    kw_contact_list_free(contacts);
    kw_store_close(store);
    g_free(t_load);
    g_free(t_list);
    g_free(t_both);
    g_free(t_hint);
    return 0;
}

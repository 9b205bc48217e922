#include "fixtures.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *proto_for(const char *dir)
{
    static char found[4096];
    const char *env = getenv("SIO_PROTO_DIR");
    if (env && *env)
        return env;
    static const char *const candidates[] = {"proto", "../proto", "../../proto", "../../../proto"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        char probe[4400];
        struct stat st;
        snprintf(probe, sizeof(probe), "%s/%s", candidates[i], dir);
        if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(found, sizeof(found), "%s", candidates[i]);
            return found;
        }
    }
    fail_msg("proto/%s not found: run from the repository root or set SIO_PROTO_DIR", dir);
    return NULL;
}

static int cmp_fixture(const void *a, const void *b)
{
    return strcmp(((const fixture *)a)->name, ((const fixture *)b)->name);
}

fixture_set fixture_load(const char *sub, const char *ext, bool strict, bool strip_ext)
{
    char dir[4700];
    snprintf(dir, sizeof(dir), "%s/%s", proto_for(sub), sub);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    fixture_set set = {NULL, 0};
    size_t el = strlen(ext);
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.')
            continue;
        size_t nl = strlen(ent->d_name);
        if (nl <= el || strcmp(ent->d_name + nl - el, ext) != 0 || nl >= sizeof(set.f->name)) {
            if (strict)
                fail_msg("%s/%s: fixtures here are named *%s", dir, ent->d_name, ext);
            continue;
        }
        char path[5000];
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        assert_int_equal(fseek(fp, 0, SEEK_END), 0);
        long size = ftell(fp);
        assert_true(size >= 0 && size < (1 << 20));
        rewind(fp);
        fixture fx;
        snprintf(fx.name, sizeof(fx.name), "%.*s", (int)(strip_ext ? nl - el : nl), ent->d_name);
        fx.len = (size_t)size;
        fx.data = malloc(fx.len ? fx.len : 1);
        assert_non_null(fx.data);
        assert_int_equal(fread(fx.data, 1, fx.len, fp), fx.len);
        fclose(fp);
        fixture *grown = realloc(set.f, (set.n + 1) * sizeof(*grown));
        assert_non_null(grown);
        set.f = grown;
        set.f[set.n++] = fx;
    }
    closedir(d);
    if (set.n)
        qsort(set.f, set.n, sizeof(*set.f), cmp_fixture);
    return set;
}

void fixture_free(fixture_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->f[i].data);
    free(set->f);
    set->f = NULL;
    set->n = 0;
}

void *fixture_dup_guarded(const void *p, size_t n, void **base, size_t *maplen)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (n + page - 1) / page + 1;
    *maplen = pages * page;
    char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + (pages - 1) * page, page, PROT_NONE), 0);
    char *start = m + (pages - 1) * page - n;
    if (n)
        memcpy(start, p, n);
    *base = m;
    return start;
}

void *fixture_dup_exact(const void *p, size_t n)
{
    void *m = malloc(n ? n : 1);
    assert_non_null(m);
    if (n)
        memcpy(m, p, n);
    return m;
}

/* sio-server's data directory (data_dir.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_dir.h"

static char *root; /* resolved, or NULL */

/* The paths handed out by data_dir_path, kept to be freed together. */
static struct part {
    char *name, *path;
} parts[8];
static size_t n_parts;

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Sets root to the resolved `path` if it is a directory. */
static bool take(const char *path)
{
    if (!is_dir(path))
        return false;
    root = realpath(path, NULL);
    return root != NULL;
}

/* The directory of the running executable ("" when unknown). */
static void exe_dir(char out[PATH_MAX])
{
    ssize_t n = readlink("/proc/self/exe", out, PATH_MAX - 1);
    out[n > 0 ? n : 0] = 0;
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = 0;
    else
        out[0] = 0;
}

bool data_dir_init(const char *dir, char *why, size_t why_len)
{
    data_dir_free();
    const char *env = getenv("SIO_SERVER_DATA_DIR");
    const char *given = dir ? dir : env && env[0] ? env : NULL;
    if (given) {
        errno = 0;
        if (take(given))
            return true;
        snprintf(why, why_len, "data directory %s (%s): %s", given, dir ? "--data-dir" : "SIO_SERVER_DATA_DIR",
                 errno ? strerror(errno) : "not a directory");
        return false;
    }
    char exe[PATH_MAX], path[PATH_MAX + 32];
    exe_dir(exe);
    if (!exe[0])
        return true;
    static const char *const beside[] = {"share/sio-server", "../share/sio-server"};
    for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", exe, beside[i]);
        if (take(path))
            return true;
    }
    return true;
}

const char *data_dir(void)
{
    return root;
}

const char *data_dir_path(const char *part)
{
    if (!root)
        return NULL;
    for (size_t i = 0; i < n_parts; i++)
        if (strcmp(parts[i].name, part) == 0)
            return parts[i].path;
    if (n_parts == sizeof(parts) / sizeof(parts[0]))
        return NULL;
    size_t len = strlen(root) + 1 + strlen(part) + 1;
    char *name = strdup(part), *path = malloc(len);
    if (!name || !path) {
        free(name);
        free(path);
        return NULL;
    }
    snprintf(path, len, "%s/%s", root, part);
    parts[n_parts++] = (struct part){name, path};
    return path;
}

void data_dir_free(void)
{
    for (size_t i = 0; i < n_parts; i++) {
        free(parts[i].name);
        free(parts[i].path);
    }
    n_parts = 0;
    free(root);
    root = NULL;
}

/* The process_* metrics of Prometheus' client libraries, read from Linux's
 * /proc as they read them: CPU time and start time from /proc/self/stat,
 * resident memory from /proc/self/statm, descriptors from /proc/self/fd and
 * the soft RLIMIT_NOFILE. */
#include "sio_metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The whole of a small /proc file, NUL-terminated, in buf; false when it
 * cannot be read. */
static bool read_small(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    return n > 0;
}

/* The boot time, in seconds since the epoch ("btime" of /proc/stat). */
static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return 0;
    char line[256];
    double bt = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "btime ", 6) == 0) {
            bt = strtod(line + 6, NULL);
            break;
        }
    fclose(f);
    return bt;
}

static void from_stat(sio_process_metrics *out)
{
    char buf[1024];
    if (!read_small("/proc/self/stat", buf, sizeof(buf)))
        return;
    /* The command name, field 2, is in parentheses and may hold spaces or
     * parentheses itself: the fields are counted from the last ')'. Field 3
     * (state) follows it; utime and stime are fields 14 and 15, starttime
     * field 22, in clock ticks. */
    char *p = strrchr(buf, ')');
    if (!p)
        return;
    unsigned long long utime = 0, stime = 0, start = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15)
            stime = strtoull(tok, NULL, 10);
        else if (field == 22) {
            start = strtoull(tok, NULL, 10);
            break;
        }
    }
    long tick = sysconf(_SC_CLK_TCK);
    if (tick <= 0)
        return;
    out->cpu_seconds = (double)(utime + stime) / (double)tick;
    double bt = boot_time();
    if (bt > 0)
        out->start_time_seconds = bt + (double)start / (double)tick;
}

static uint64_t open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    uint64_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0; /* not the descriptor opendir itself holds */
}

void sio_process_metrics_read(sio_process_metrics *out)
{
    memset(out, 0, sizeof(*out));
    from_stat(out);
    char buf[256];
    unsigned long long size, resident;
    long page = sysconf(_SC_PAGESIZE);
    if (read_small("/proc/self/statm", buf, sizeof(buf)) && sscanf(buf, "%llu %llu", &size, &resident) == 2 &&
        page > 0)
        out->resident_bytes = (uint64_t)resident * (uint64_t)page;
    out->open_fds = open_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

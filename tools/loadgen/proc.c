/* What the kernel says about the servers under test and about this process:
 * CPU time (utime+stime of /proc/PID/stat), resident memory (VmRSS of
 * /proc/PID/status), and the time their threads spent runnable but waiting
 * for a CPU (/proc/PID/task/TID/schedstat), which tells how much other load
 * on the machine took from the run. */
#include "loadgen.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

bool proc_cpu(int pid, double *out)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = 0;
    char *p = strrchr(line, ')'); /* the command may contain spaces */
    if (!p)
        return false;
    /* fields after ')': 3 state ... 14 utime 15 stime */
    unsigned long ut = 0, st = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            ut = strtoul(tok, NULL, 10);
        else if (field == 15) {
            st = strtoul(tok, NULL, 10);
            break;
        }
    }
    if (field != 15)
        return false;
    *out = (double)(ut + st) / (double)G.clk_tck;
    return true;
}

/* Time spent runnable but waiting for a CPU (s), summed over the threads
 * of `pid` (0: this process): how much other load stole from the run. */
double proc_runq_wait(int pid)
{
    char path[64], tpath[320], line[128];
    snprintf(path, sizeof(path), pid ? "/proc/%d/task" : "/proc/self/task", pid);
    double sum = 0;
    FILE *f;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (strlen(e->d_name) > 32)
            continue;
        snprintf(tpath, sizeof(tpath), "%.64s/%.32s/schedstat", path, e->d_name);
        if (!(f = fopen(tpath, "r")))
            continue;
        unsigned long long run, wait;
        if (fgets(line, sizeof(line), f) && sscanf(line, "%llu %llu", &run, &wait) == 2)
            sum += (double)wait / 1e9;
        fclose(f);
    }
    closedir(d);
    return sum;
}

double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

long proc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

bool servers_cpu(double *out)
{
    double sum = 0, one;
    for (unsigned i = 0; i < G.nservers; i++) {
        if (!proc_cpu(G.server_pids[i], &one))
            return false;
        sum += one;
    }
    *out = sum;
    return true;
}

double servers_runq_wait(void)
{
    double sum = 0;
    for (unsigned i = 0; i < G.nservers; i++)
        sum += proc_runq_wait(G.server_pids[i]);
    return sum;
}

long servers_rss_kb(void)
{
    long sum = 0;
    for (unsigned i = 0; i < G.nservers; i++) {
        long kb = proc_rss_kb(G.server_pids[i]);
        if (kb < 0)
            return -1;
        sum += kb;
    }
    return sum;
}

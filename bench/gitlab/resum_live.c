/*
 * What summing every value of every file again would cost per scrape, outside Chorus: the premise of a reader that keeps
 * no per-entry copy of the values (issue 11's memory goal) and re-reads all live files' values from their mappings at
 * each scrape instead of finding the changed ones.
 *
 * Build and run (the directory from gen_host.py, copied to tmpfs; live_host.py may be changing values meanwhile):
 *   gcc -O2 -pthread -o /tmp/resum_live bench/gitlab/resum_live.c
 *   /tmp/resum_live DIR ROUNDS IDLE_SECONDS THREADS
 *
 * Maps every .db file of DIR read-only and walks its entries once (16- or 8-byte layout, told apart by nothing but the
 * file name's kind: gen_host.py writes the 16-byte one), giving each entry the index of its output series: one per key,
 * and for gauge_all files one per key and file (the pid label). Then per round: sleeps IDLE_SECONDS, and sums every
 * entry's value into its series (THREADS threads, each over a share of the files into its own array, added at the end),
 * then compares each series with the last round's sum, as a reader that re-renders only changed families would.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct { const unsigned char *map; int count; int *offsets; int *series; } file_entries;

static file_entries *files;
static int file_count;
static int series_count;
static double **partial;
static int threads;

#define TABLE (1 << 22)
static uint64_t table_hash[TABLE];
static int table_id[TABLE];

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint64_t hash(const unsigned char *bytes, int length, uint64_t seed)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (int i = 0; i < length; i++)
    {
        h = (h ^ bytes[i]) * 1099511628211ull;
    }

    return h | 1;
}

static int series_of(uint64_t h)
{
    for (uint64_t at = h & (TABLE - 1);; at = (at + 1) & (TABLE - 1))
    {
        if (table_hash[at] == h)
        {
            return table_id[at];
        }

        if (table_hash[at] == 0)
        {
            table_hash[at] = h;
            table_id[at] = series_count;
            return series_count++;
        }
    }
}

static void load(const char *directory, const char *name, int index)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    const unsigned char *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int used = *(const int32_t *)map;
    int per_pid = strncmp(name, "gauge_all", 9) == 0;
    file_entries *file = &files[index];
    file->map = map;
    file->offsets = malloc(sizeof(int) * (used / 16 + 1));
    file->series = malloc(sizeof(int) * (used / 16 + 1));
    for (int at = 8; at + 4 <= used;)
    {
        int length = *(const int32_t *)(map + at);
        int value = at + 4 + length + (8 - (length + 4) % 8);
        file->offsets[file->count] = value;
        file->series[file->count] = series_of(hash(map + at + 4, length, per_pid ? (uint64_t)index + 1 : 0));
        file->count++;
        at = value + 16;
    }
}

static void *sum_share(void *argument)
{
    long thread = (long)argument;
    double *sums = partial[thread];
    memset(sums, 0, sizeof(double) * series_count);
    for (int f = (int)thread; f < file_count; f += threads)
    {
        const file_entries *file = &files[f];
        for (int e = 0; e < file->count; e++)
        {
            sums[file->series[e]] += *(const double *)(file->map + file->offsets[e]);
        }
    }

    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5)
    {
        fprintf(stderr, "usage: resum_live DIR ROUNDS IDLE_SECONDS THREADS\n");
        return 2;
    }

    int rounds = atoi(argv[2]);
    int idle = atoi(argv[3]);
    threads = atoi(argv[4]);
    DIR *dir = opendir(argv[1]);
    struct dirent *entry;
    files = calloc(100000, sizeof(file_entries));
    long entries = 0;
    while ((entry = readdir(dir)) != NULL)
    {
        size_t n = strlen(entry->d_name);
        if (n > 3 && strcmp(entry->d_name + n - 3, ".db") == 0)
        {
            load(argv[1], entry->d_name, file_count);
            entries += files[file_count].count;
            file_count++;
        }
    }

    partial = malloc(sizeof(double *) * threads);
    for (int t = 0; t < threads; t++)
    {
        partial[t] = malloc(sizeof(double) * series_count);
    }

    double *last = calloc(series_count, sizeof(double));
    printf("%d files, %ld entries, %d series\n", file_count, entries, series_count);
    for (int round = 0; round < rounds; round++)
    {
        sleep(idle);
        double started = now_ms();
        pthread_t workers[64];
        for (long t = 0; t < threads; t++)
        {
            pthread_create(&workers[t], NULL, sum_share, (void *)t);
        }

        for (int t = 0; t < threads; t++)
        {
            pthread_join(workers[t], NULL);
        }

        for (int t = 1; t < threads; t++)
        {
            for (int s = 0; s < series_count; s++)
            {
                partial[0][s] += partial[t][s];
            }
        }

        double summed = now_ms();
        int changed = 0;
        for (int s = 0; s < series_count; s++)
        {
            changed += partial[0][s] != last[s];
            last[s] = partial[0][s];
        }

        printf("round %d: summed in %.1f ms, compared in %.1f ms, %d series changed\n", round, summed - started, now_ms() - summed, changed);
    }

    return 0;
}

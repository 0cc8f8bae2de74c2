/*
 * What reading scattered changed regions costs on this machine, outside Chorus: through shared mappings (what the warm
 * refresh does) or with one pread(2) per region, after an idle gap.
 *
 * Build and run (the directory from gen_host.py, copied to tmpfs):
 *   gcc -O2 -o /tmp/page_touch bench/gitlab/page_touch.c
 *   /tmp/page_touch DIR REGIONS ROUNDS IDLE_SECONDS
 *
 * Maps every .db file of DIR read-only and touches each page once (as a reader that kept its files), then per round and
 * method sleeps IDLE_SECONDS, picks REGIONS random 1 KiB regions (sorted by file and offset, as the reader takes them)
 * and reads six 8-byte values 200 bytes apart in each: through the mapping, or after one pread of the region.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct { int fd; size_t length; const unsigned char *map; } mapped_file;
typedef struct { int file; long offset; } region;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_file_then_offset(const void *a, const void *b)
{
    const region *x = a, *y = b;
    if (x->file != y->file)
        return x->file - y->file;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s DIR REGIONS ROUNDS IDLE_SECONDS\n", argv[0]);
        return 2;
    }
    int count = atoi(argv[2]), rounds = atoi(argv[3]), idle = atoi(argv[4]);
    static mapped_file files[4096];
    int nfiles = 0;
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        perror(argv[1]);
        return 1;
    }
    for (struct dirent *e; (e = readdir(dir)) && nfiles < 4096;) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 3, ".db") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        int fd = open(path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 2048)
            continue;
        files[nfiles] = (mapped_file){ fd, (size_t)st.st_size, mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0) };
        nfiles++;
    }
    closedir(dir);
    if (nfiles == 0) {
        fprintf(stderr, "no .db files of 2 KiB or more in %s\n", argv[1]);
        return 1;
    }

    volatile uint64_t sink = 0;
    for (int f = 0; f < nfiles; f++)
        for (size_t at = 0; at < files[f].length; at += 4096)
            sink += files[f].map[at];

    region *regions = malloc(sizeof(region) * count);
    unsigned char buffer[1024];
    srand(1);
    for (int round = 0; round < rounds; round++) {
        for (int method = 0; method < 2; method++) {
            sleep(idle);
            for (int i = 0; i < count; i++) {
                int f = rand() % nfiles;
                regions[i] = (region){ f, ((long)rand() * 1024L) % (long)(files[f].length - 1024) & ~1023L };
            }
            qsort(regions, count, sizeof(region), by_file_then_offset);
            double started = now_ms();
            uint64_t sum = 0;
            for (int i = 0; i < count; i++) {
                const unsigned char *bytes = files[regions[i].file].map + regions[i].offset;
                if (method == 1) {
                    if (pread(files[regions[i].file].fd, buffer, sizeof buffer, regions[i].offset) != sizeof buffer)
                        return 1;
                    bytes = buffer;
                }
                for (int k = 0; k + 8 <= 1024; k += 200) {
                    uint64_t value;
                    memcpy(&value, bytes + k, sizeof value);
                    sum += value;
                }
            }
            sink += sum;
            printf("%s %d regions after %d s idle: %.1f ms\n", method == 0 ? "mapped" : "pread ", count, idle, now_ms() - started);
            fflush(stdout);
        }
    }
    return 0;
}

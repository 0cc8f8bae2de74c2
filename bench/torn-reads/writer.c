/*
 * Appends entries the way every writer of the format does (entry first, then the header's `used`), to a fresh
 * counter_1.db again and again, for the given seconds: what a reader reading while a worker starts sees.
 * Usage: writer DIR SECONDS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { FILE_SIZE = 65536, ENTRIES_PER_FILE = 80 };

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: writer DIR SECONDS\n");
        return 2;
    }
    char sizing[4096], path[4096];
    snprintf(sizing, sizeof sizing, "%s/counter_1.db.sizing", argv[1]);
    snprintf(path, sizeof path, "%s/counter_1.db", argv[1]);
    time_t end = time(NULL) + atoi(argv[2]);
    long files = 0;
    while (time(NULL) < end) {
        int fd = open(sizing, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ftruncate(fd, FILE_SIZE) != 0) {
            perror(sizing);
            return 1;
        }
        char *map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        __atomic_store_n((int *)map, 8, __ATOMIC_RELEASE);
        rename(sizing, path);
        int used = 8;
        for (int i = 0; i < ENTRIES_PER_FILE; i++) {
            char key[128];
            int length = snprintf(key, sizeof key, "[\"c\", \"c_total\", {\"id\": \"v%d\"}, \"h\"]", i);
            int padding = 8 - (length + 4) % 8;
            double value = 1.0, timestamp = 0.0;
            memcpy(map + used, &length, 4);
            memcpy(map + used + 4, key, length);
            memset(map + used + 4 + length, ' ', padding);
            memcpy(map + used + 4 + length + padding, &value, 8);
            memcpy(map + used + 12 + length + padding, &timestamp, 8);
            used += 4 + length + padding + 16;
            __atomic_store_n((int *)map, used, __ATOMIC_RELEASE);
            for (volatile int spin = 0; spin < 200; spin++) {
            }
        }
        munmap(map, FILE_SIZE);
        close(fd);
        files++;
    }
    printf("writer files %ld\n", files);
    return 0;
}

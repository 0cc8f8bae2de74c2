/*
 * What touching fresh memory costs on this machine, outside Chorus: maps MIB MiB of anonymous memory (advised for huge
 * pages, as chorus advises its heap) and writes one byte per 4 KiB page, timed.
 *
 * On a VM whose balloon device reports free pages to the host, memory the guest freed is given back, and the next
 * process to touch it waits for the host to back it again: right after 1 GB of tmpfs files was deleted this takes
 * ~30x as long as otherwise (docs/benchmarks.md, "Cold scrapes and the VM's free page reporting").
 *
 * Build and run:
 *   gcc -O2 -o /tmp/fresh_memory bench/gitlab/fresh_memory.c
 *   /tmp/fresh_memory [MIB]      (default 400)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
    size_t length = (size_t)(argc > 1 ? atol(argv[1]) : 400) << 20;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char *memory = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
    {
        perror("mmap");
        return 1;
    }

    madvise(memory, length, MADV_HUGEPAGE);
    for (size_t at = 0; at < length; at += 4096)
    {
        memory[at] = 1;
    }

    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("touched %zu MiB of fresh memory in %.0f ms\n", length >> 20,
           (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6);
    return 0;
}

/*
 * state_page_memory.c: the memory SQLite keeps the state file's pages in,
 * one block handed to it before the first connection opens
 * (SQLITE_CONFIG_PAGECACHE), asked of the kernel in huge pages.
 *
 * Why (#17): each buffer SQLite's page cache takes from malloc is fresh
 * memory, and the first touch of each 4 KiB of it is a page fault.  On the
 * bench machine a fault costs about 10 µs, against 2.3 µs for reading a
 * page of the file the OS holds, so a run paid more for its cache than for
 * its reads; and more at 1,000,000 users than at 20,000, the trees being
 * deeper.  In huge pages (2 MiB, MADV_HUGEPAGE) the first touch of 4 MiB
 * cost 0.25 to 3.3 ms there instead of 11 ms.  An incremental run with 100
 * names changed: 1,777 -> 1,117 page faults and 74 -> 58 ms of CPU at
 * 1,000,000 users, 1,383 -> 1,117 and 57 -> 52 ms at 20,000; its own cost
 * 64 -> 36 ms and 41 -> 33 ms (BENCHMARKS.md, "A change's own cost").
 *
 * SQLite touches the whole block when it starts (it links every slot into
 * its free list): in huge pages, a few faults; where the kernel gives none
 * (transparent_hugepage "never") one fault per 4 KiB, as a cache that
 * filled up in malloc's memory took.  The block is the state file's page
 * cache (STATE_CACHE_KIB) and a little over.  A page too large for its
 * slots (the stage's 16 KiB pages) comes from malloc as before; past the
 * block's last slot SQLite recycles the pages it caches sooner, then
 * takes from malloc.
 * It lives as long as the process: SQLite may use it until it exits.
 */
#include "state/state_int.h"

#include <stdint.h>
#include <sys/mman.h>

/* The state file's pages: SQLite's default, which the agent keeps. */
#define STATE_PAGE_SIZE 4096
/* Slots over what STATE_CACHE_KIB would hold in whole slots: SQLite
 * fits more pages in a cache size than that (8 MiB filled 1,983 slots of
 * 4,360 bytes, not 1,924: test_page_memory).  8.5 MiB in all with SQLite
 * 3.40's 264 bytes of header a page. */
#define STATE_PAGE_SLOTS_OVER 128
#define HUGE_PAGE_SIZE ((size_t)2 << 20)

void
state_page_memory_setup(void)
{
	int header = 0;
	size_t slot, slots, len;
	char *block, *aligned;

	/* SQLITE_MISUSE if SQLite was initialized already: then malloc's. */
	if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &header) != SQLITE_OK)
		return;
	slot = (STATE_PAGE_SIZE + (size_t)header + 7) & ~(size_t)7;
	slots = (size_t)STATE_CACHE_KIB * 1024 / slot + STATE_PAGE_SLOTS_OVER;
	len = slot * slots;
	/* One huge page over, to start the block on a huge page's boundary. */
	block = mmap(NULL, len + HUGE_PAGE_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (block == MAP_FAILED)
		return;
	aligned = block + (HUGE_PAGE_SIZE - (uintptr_t)block % HUGE_PAGE_SIZE) % HUGE_PAGE_SIZE;
	/* Advice only: refused, the block is ordinary memory. */
	(void)madvise(aligned, len, MADV_HUGEPAGE);
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, aligned, (int)slot, (int)slots) !=
	    SQLITE_OK)
		munmap(block, len + HUGE_PAGE_SIZE);
}

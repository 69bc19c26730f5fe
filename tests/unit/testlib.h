/*
 * testlib.h: the unit tests' few macros.  Each test case is a function run
 * through RUN(); it prints "ok - NAME" or "not ok - NAME" with the failed
 * checks above it, which tests/run counts.  A test binary exits 1 when any
 * case failed.
 */
#ifndef L2I_TESTLIB_H
#define L2I_TESTLIB_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

static int testlib_case_failed;
static int testlib_any_failed;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stdout, "# %s:%d: check failed: %s\n",			\
		    __FILE__, __LINE__, #cond);					\
		testlib_case_failed = 1;					\
	}									\
} while (0)

#define CHECK_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) {	\
		fprintf(stdout, "# %s:%d: %s is \"%s\", want \"%s\"\n",		\
		    __FILE__, __LINE__, #got, g_ ? g_ : "(null)",		\
		    w_ ? w_ : "(null)");					\
		testlib_case_failed = 1;					\
	}									\
} while (0)

#define CHECK_INT(got, want) do {						\
	long long g_ = (long long)(got), w_ = (long long)(want);		\
	if (g_ != w_) {								\
		fprintf(stdout, "# %s:%d: %s is %lld, want %lld\n",		\
		    __FILE__, __LINE__, #got, g_, w_);				\
		testlib_case_failed = 1;					\
	}									\
} while (0)

#define RUN(fn) do {								\
	testlib_case_failed = 0;						\
	fn();									\
	fprintf(stdout, "%s - %s\n", testlib_case_failed ? "not ok" : "ok",	\
	    #fn);								\
	fflush(stdout);								\
	testlib_any_failed |= testlib_case_failed;				\
} while (0)

#define TESTLIB_EXIT() (testlib_any_failed ? 1 : 0)

/* The test program's scratch directory, made on first use; remove it
 * with testlib_tmpdir_remove at the end of main. */
static inline const char *
testlib_tmpdir(void)
{
	static char dir[] = "/tmp/l2i-unit.XXXXXX";
	static bool made;

	if (!made && mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	made = true;
	return dir;
}

/* A file name in the scratch directory (owned). */
static inline char *
testlib_tmp(const char *name)
{
	return xasprintf("%s/%s", testlib_tmpdir(), name);
}

static inline int
testlib_remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void
testlib_tmpdir_remove(void)
{
	nftw(testlib_tmpdir(), testlib_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif

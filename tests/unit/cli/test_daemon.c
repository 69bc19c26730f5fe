/* test_daemon.c: the wait before the daemon's next run. */
#include "cli/daemon.h"
#include "testlib.h"

static void
failed_runs_back_off_up_to_the_interval(void)
{
	static const struct { long interval; int failures; double want; } cases[] = {
		{ 900, 0, 900 },	/* a run that did not fail: the interval */
		{ 900, 1, 30 },
		{ 900, 2, 60 },
		{ 900, 3, 120 },
		{ 900, 5, 480 },
		{ 900, 6, 900 },	/* 960 capped */
		{ 900, 60, 900 },
		{ 2, 1, 2 },		/* an interval shorter than the first step */
		{ 45, 2, 45 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = daemon_delay(cases[i].interval, cases[i].failures);

		if (got != cases[i].want) {
			printf("# interval %ld, %d failures: %g s, want %g s\n",
			    cases[i].interval, cases[i].failures, got, cases[i].want);
			testlib_case_failed = 1;
		}
	}
}

int
main(void)
{
	RUN(failed_runs_back_off_up_to_the_interval);
	return TESTLIB_EXIT();
}

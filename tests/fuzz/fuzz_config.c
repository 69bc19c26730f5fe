/*
 * fuzz_config.c: libFuzzer target for the config parser.  config_load only
 * takes a path, so each input is written to a memfd and read back through
 * /proc/self/fd: no file is left on disk.  A config that loads is dumped
 * too (config_dump redacts the secrets).  Secrets come only from files the
 * input names: the environment's are cleared first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int mfd = -1;
static char path[64];
static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("LDAP2IMOCHA_LDAP_PASSWORD");
	unsetenv("LDAP2IMOCHA_API_KEY");
	log_init(LOG_LEVEL_ERROR, false);
	if ((mfd = memfd_create("fuzz_config", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;

	if (ftruncate(mfd, 0) == -1 ||
	    (size > 0 && pwrite(mfd, data, size, 0) != (ssize_t)size))
		abort();
	if (config_load(path, &cfg) == 0) {
		config_dump(&cfg, devnull);
		config_release(&cfg);
	}
	return 0;
}

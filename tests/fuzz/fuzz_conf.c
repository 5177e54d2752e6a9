// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer on the config parser: each input is a whole keepalived.conf,
 * read through a memfd (no files left behind), with includes disabled so
 * that an input cannot reach the machine's files.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_opts o = {.config_id = "fuzz",
			      .max_line = 8192,
			      .no_include = true,
			      .rand_seed = 1};
	struct conf_diag d = {0}; /* no output: counted only */
	struct conf *cf = NULL;
	char path[64];
	int fd;

	fd = memfd_create("fuzz_conf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!conf_load(path, &o, &cf, &d)) {
		conf_check_host(cf, false, &d);
		conf_free(cf);
	}
	close(fd);
	return 0;
}

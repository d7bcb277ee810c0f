// SPDX-License-Identifier: GPL-2.0
/*
 * nsctl - set sysctls in several network namespaces with one process.
 *
 * usage: nsctl NS KEY=VALUE... [-- NS KEY=VALUE...]...
 *
 * NS is a name under /run/netns (as `ip netns add` makes them); each KEY
 * (net.ipv4.ip_forward) is written under /proc/sys after entering NS,
 * whose own net.* tree /proc/sys then shows. The selftest lab sets six to
 * eight keys in each of its five namespaces: one process here, against a
 * sysctl and an `ip netns exec` each, at ~15-20 ms of CPU a process on
 * these machines. Stops at the first failure, naming it; exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int enter(const char *ns)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "/run/netns/%s", ns) >=
	    (int)sizeof(path)) {
		fprintf(stderr, "nsctl: %s: name too long\n", ns);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "nsctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	err = setns(fd, CLONE_NEWNET);
	if (err)
		fprintf(stderr, "nsctl: enter %s: %s\n", ns, strerror(errno));
	close(fd);
	return err;
}

/* KEY=VALUE: the value, plus a newline, into /proc/sys/KEY with / for . */
static int set(const char *ns, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char path[PATH_MAX] = "/proc/sys/";
	size_t n = strlen(path), klen;
	int fd, ok;

	if (!eq || eq == kv) {
		fprintf(stderr, "nsctl: %s: '%s' is not KEY=VALUE\n", ns, kv);
		return -1;
	}
	klen = (size_t)(eq - kv);
	if (n + klen >= sizeof(path)) {
		fprintf(stderr, "nsctl: %s: key too long\n", ns);
		return -1;
	}
	for (size_t i = 0; i < klen; i++)
		path[n + i] = kv[i] == '.' ? '/' : kv[i];
	path[n + klen] = '\0';
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "nsctl: %s: %s: %s\n", ns, path,
			strerror(errno));
		return -1;
	}
	ok = dprintf(fd, "%s\n", eq + 1) > 0;
	if (close(fd))
		ok = 0;
	if (!ok)
		fprintf(stderr, "nsctl: %s: %.*s = %s: %s\n", ns, (int)klen, kv,
			eq + 1, strerror(errno));
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc < 3) {
		fprintf(stderr,
			"usage: nsctl NS KEY=VALUE... [-- NS KEY=VALUE...]...\n");
		return 2;
	}
	while (i < argc) {
		const char *ns = argv[i++];

		if (enter(ns))
			return 1;
		for (; i < argc && strcmp(argv[i], "--"); i++)
			if (set(ns, argv[i]))
				return 1;
		i++; /* past "--" */
	}
	return 0;
}

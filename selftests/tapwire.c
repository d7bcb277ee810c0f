// SPDX-License-Identifier: GPL-2.0
/*
 * tapwire - join two tap devices in different network namespaces.
 *
 * usage: tapwire HOST_TAP NETNS_PATH VM_TAP [READY_FILE]
 *
 * Creates tap HOST_TAP in the current network namespace and tap VM_TAP in
 * the namespace at NETNS_PATH, then copies every frame read from one to the
 * other until SIGTERM/SIGINT. The taps are not persistent, so they vanish
 * when the program exits. Readiness is signalled by "ready\n" on stdout, or
 * by creating READY_FILE when given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX 65536
#define BURST 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "tapwire: %s: name too long\n", name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tapwire: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tapwire: TUNSETIFF %s: %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	/* Non-blocking so one slow side never stalls the other direction. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		fprintf(stderr, "tapwire: %s: O_NONBLOCK: %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int enter_netns(const char *path)
{
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tapwire: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "tapwire: setns %s: %s\n", path,
			strerror(errno));
		err = -1;
	}
	close(fd);
	return err;
}

static int signal_ready(const char *ready_file)
{
	int fd;

	if (!ready_file) {
		if (printf("ready\n") < 0 || fflush(stdout))
			return -1;
		return 0;
	}
	fd = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "tapwire: %s: %s\n", ready_file,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Move up to BURST frames from @from to @to, bounded so a flood in one
 * direction cannot starve the other. 0, or -1 on a fatal error.
 */
static int pump(int from, int to, unsigned char *buf)
{
	ssize_t n;
	int i;

	for (i = 0; i < BURST; i++) {
		n = read(from, buf, FRAME_MAX);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			fprintf(stderr, "tapwire: read: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		/*
		 * A wire drops what it cannot carry: a full tx queue on the
		 * other side (EAGAIN) or a down link (EIO) loses the frame.
		 */
		if (write(to, buf, n) < 0 && errno != EAGAIN && errno != EIO &&
		    errno != EINTR) {
			fprintf(stderr, "tapwire: write: %s\n",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[FRAME_MAX];
	struct sigaction sa;
	struct pollfd pfd[2];
	int host_fd, vm_fd, i, ret = 1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
			"usage: %s HOST_TAP NETNS_PATH VM_TAP [READY_FILE]\n",
			argv[0]);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	host_fd = tap_open(argv[1]);
	if (host_fd < 0)
		return 1;
	if (enter_netns(argv[2]))
		goto out_host;
	vm_fd = tap_open(argv[3]);
	if (vm_fd < 0)
		goto out_host;
	if (signal_ready(argc == 5 ? argv[4] : NULL))
		goto out_vm;

	pfd[0].fd = host_fd;
	pfd[1].fd = vm_fd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop) {
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tapwire: poll: %s\n", strerror(errno));
			goto out_vm;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				fprintf(stderr, "tapwire: fd error\n");
				goto out_vm;
			}
			if ((pfd[i].revents & POLLIN) &&
			    pump(pfd[i].fd, pfd[!i].fd, buf))
				goto out_vm;
		}
	}
	ret = 0;
out_vm:
	close(vm_fd);
out_host:
	close(host_fd);
	return ret;
}

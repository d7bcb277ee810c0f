// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ifinfo.h"

static int fill(int fd, struct fp_ifinfo *info)
{
	struct ifreq ifr = { 0 };

	memcpy(ifr.ifr_name, info->name, sizeof(info->name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(info->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	info->mtu = ifr.ifr_mtu;
	return 0;
}

int fp_ifinfo__by_name(const char *name, struct fp_ifinfo *info)
{
	int fd, err;

	memset(info, 0, sizeof(*info));
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	info->ifindex = if_nametoindex(name);
	if (!info->ifindex)
		return -ENODEV;
	memcpy(info->name, name, strlen(name) + 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = fill(fd, info);
	close(fd);
	return err;
}

int fp_ifinfo__by_index(__u32 ifindex, struct fp_ifinfo *info)
{
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name))
		return -ENODEV;
	return fp_ifinfo__by_name(name, info);
}

/* SPDX-License-Identifier: GPL-2.0 */
/* Interface facts from the kernel (ioctl on a socket of the current netns). */
#ifndef FASTPATH_IFINFO_H
#define FASTPATH_IFINFO_H

#include <linux/types.h>

struct fp_ifinfo {
	__u32 ifindex;
	char name[16];
	__u8 mac[6];
	__u32 mtu;
};

int fp_ifinfo__by_name(const char *name, struct fp_ifinfo *info);
int fp_ifinfo__by_index(__u32 ifindex, struct fp_ifinfo *info);

#endif

// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const char *const reason_names[FP_R_MAX] = {
	[FP_R_FASTPATH] = "fastpath",
	[FP_R_MISS] = "miss",
	[FP_R_EXCLUDED] = "excluded",
	[FP_R_TTL_EXPIRED] = "ttl_expired",
	[FP_R_TOO_BIG] = "too_big",
	[FP_R_NOT_IP] = "not_ip",
	[FP_R_MALFORMED] = "malformed",
	[FP_R_NOT_UPLINK] = "not_uplink",
	[FP_R_IP_OPTIONS] = "ip_options",
	[FP_R_MULTICAST] = "multicast",
	[FP_R_REDIRECT_ERR] = "redirect_error",
	[FP_R_CONN_OFF] = "conn_off",
	[FP_R_OVER_BUDGET] = "over_budget",
	[FP_R_UNKNOWN_VLAN] = "unknown_vlan",
	[FP_R_NOT_PORT] = "not_port",
	[FP_R_UNRESOLVED] = "unresolved",
	[FP_R_CSUM_PARTIAL] = "csum_partial",
	[FP_R_UNKNOWN_SOURCE] = "unknown_source",
	[FP_R_OTHER_HOST] = "other_host",
	[FP_R_BAD_SOURCE] = "bad_source",
	[FP_R_SPOOFED] = "spoofed",
};

static const char *const class_names[FP_CLASS_MAX] = {
	[FP_CLASS_OTHER] = "other",
	[FP_CLASS_PEERING] = "peering",
	[FP_CLASS_BASIC_LB] = "basic-lb",
	[FP_CLASS_PRIVATE_LINK] = "private-link",
	[FP_CLASS_UDR] = "udr",
};

static const char *const origin_names[] = {
	[FP_ORIGIN_STATIC] = "static",
	[FP_ORIGIN_NEIGHBOUR] = "neighbour",
	[FP_ORIGIN_ROUTE] = "route",
};

const char *fp_reason_name(__u32 reason)
{
	return reason < FP_R_MAX ? reason_names[reason] : "unknown";
}

const char *fp_class_name(__u32 class)
{
	return class < FP_CLASS_MAX ? class_names[class] : "unknown";
}

const char *fp_origin_name(__u32 origin)
{
	return origin <= FP_ORIGIN_ROUTE ? origin_names[origin] : "unknown";
}

int fp_class_from_name(const char *name)
{
	for (int i = 0; i < FP_CLASS_MAX; i++)
		if (!strcmp(name, class_names[i]))
			return i;
	return -EINVAL;
}

int fp_parse_addr(const char *s, struct fp_prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, s, p->addr) == 1) {
		p->family = AF_INET;
		p->len = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, p->addr) == 1) {
		p->family = AF_INET6;
		p->len = 128;
		return 0;
	}
	return -EINVAL;
}

/* "198.19.1.0/24", "2001:db8::/32"; a bare address is a host prefix. */
int fp_parse_prefix(const char *s, struct fp_prefix *p)
{
	char buf[FP_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;
	int err, max;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	err = fp_parse_addr(buf, p);
	if (err)
		return err;
	if (!slash)
		return 0;

	max = p->family == AF_INET ? 32 : 128;
	/* "/024" too: iproute2 reads a leading zero as octal. */
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || len > (unsigned long)max)
		return -EINVAL;
	p->len = len;

	/* Host bits set is an error, as with `ip route`: it hides a typo. */
	for (int bit = p->len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EDOM;
	return 0;
}

int fp_parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;

	/* strtoull alone takes " 1", "+1", "0x1" and "010" (octal). */
	if (!s || !*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (n > (max - (__u64)(*c - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (*c - '0');
	}
	*v = n;
	return 0;
}

static int parse_vid(const char *s, __u16 *vid)
{
	unsigned long long v;
	int err = fp_parse_uint(s, 65535, &v);

	if (err)
		return err;
	/* 0 is a priority tag, 4095 reserved (IEEE 802.1Q 9.6). */
	if (v < 1 || v > 4094)
		return -ERANGE;
	*vid = (__u16)v;
	return 0;
}

int fp_parse_vlan(const char *s, __u16 *outer, __u16 *inner)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char head[8];
	int err;

	if (!s)
		return -EINVAL;
	if (!slash) {
		*outer = 0;
		return parse_vid(s, inner);
	}
	if (slash - s >= (long)sizeof(head))
		return (long)strspn(s, "0123456789") == slash - s ? -ERANGE :
								    -EINVAL;
	snprintf(head, sizeof(head), "%.*s", (int)(slash - s), s);
	err = parse_vid(head, outer);
	return err ? err : parse_vid(slash + 1, inner);
}

const char *fp_format_vlan(__u16 outer, __u16 inner, char *buf, size_t n)
{
	if (outer)
		snprintf(buf, n, "%u/%u", outer, inner);
	else
		snprintf(buf, n, "%u", inner);
	return buf;
}

int fp_parse_ifname(const char *s)
{
	/* The kernel's own rule (dev_valid_name). */
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return -EINVAL;
	if (strlen(s) > FP_IFNAME_MAX)
		return -ENAMETOOLONG;
	for (const char *c = s; *c; c++)
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c))
			return -EINVAL;
	return 0;
}

const char *fp_ifname_error(int err)
{
	return err == -ENAMETOOLONG ? "name too long (15 at most)" :
				      "not a valid interface name";
}

bool fp_prefix__equal(const struct fp_prefix *a, const struct fp_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

int fp_parse_mac(const char *s, __u8 mac[6])
{
	/* Exactly "xx:xx:xx:xx:xx:xx": sscanf alone takes "0x", "+1", " 1". */
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = strtoul(s + i * 3, NULL, 16);
	return 0;
}

const char *fp_format_prefix(const struct fp_prefix *p, char *buf, size_t n)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, n, "%s/%u", addr, p->len);
	return buf;
}

const char *fp_format_mac(const __u8 mac[6], char *buf, size_t n)
{
	snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

bool fp_mac_is_zero(const __u8 mac[6])
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

void fp_prefix__to_lpm4(const struct fp_prefix *p, struct fp_lpm4 *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->len;
	memcpy(&k->addr, p->addr, 4);
}

void fp_prefix__to_lpm6(const struct fp_prefix *p, struct fp_lpm6 *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = p->len;
	memcpy(k->addr, p->addr, 16);
}

void fp_prefix__from_lpm4(const struct fp_lpm4 *k, struct fp_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = k->prefixlen;
	memcpy(p->addr, &k->addr, 4);
}

void fp_prefix__from_lpm6(const struct fp_lpm6 *k, struct fp_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->len = k->prefixlen;
	memcpy(p->addr, k->addr, 16);
}

int fp_parse_table(const char *s, __u32 *table)
{
	unsigned long long v;

	if (!strcmp(s, "main")) {
		*table = 254; /* RT_TABLE_MAIN */
		return 0;
	}
	if (fp_parse_uint(s, 0xffffffffULL, &v) || v == 0)
		return -EINVAL;
	*table = v;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* Pure parsing and formatting: no BPF, no netlink, no I/O. */
#ifndef FASTPATH_PARSE_H
#define FASTPATH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "fastpath.h"

struct fp_prefix {
	int family; /* AF_INET or AF_INET6 */
	__u8 len; /* prefix length in bits */
	__u8 addr[16]; /* network byte order; IPv4 in the first 4 bytes */
};

#define FP_PREFIX_STRLEN 64 /* INET6_ADDRSTRLEN + "/128" */
#define FP_MAC_STRLEN 18

int fp_parse_prefix(const char *s, struct fp_prefix *p);
/* Same family, length and address bytes (padding aside). */
bool fp_prefix__equal(const struct fp_prefix *a, const struct fp_prefix *b);
int fp_parse_addr(const char *s, struct fp_prefix *p);
int fp_parse_mac(const char *s, __u8 mac[6]);

/*
 * A decimal integer option: digits only, no sign, space, "0x" or leading
 * zero; -EINVAL if malformed, -ERANGE above max.
 */
int fp_parse_uint(const char *s, unsigned long long max, unsigned long long *v);

/* A routing table: "main" or a number 1 .. 2^32 - 1, as fp_parse_uint. */
int fp_parse_table(const char *s, __u32 *table);

/*
 * A tagged circuit "[S/]C" (the `--vlan` of uplink, explain): VIDs 1 ..
 * 4094, *outer 0 without an S-tag. -EINVAL malformed, -ERANGE a VID out
 * of range.
 */
int fp_parse_vlan(const char *s, __u16 *outer, __u16 *inner);
/* "C" or "S/C", as fp_parse_vlan reads it. */
const char *fp_format_vlan(__u16 outer, __u16 inner, char *buf, size_t n);

/* An interface name: 1 to 15 characters, none of '/', ':', blanks. */
#define FP_IFNAME_MAX 15
int fp_parse_ifname(const char *s);
/* The reason for fp_parse_ifname's error, for "interface X: reason". */
const char *fp_ifname_error(int err);
const char *fp_format_prefix(const struct fp_prefix *p, char *buf, size_t n);
const char *fp_format_mac(const __u8 mac[6], char *buf, size_t n);
bool fp_mac_is_zero(const __u8 mac[6]);

int fp_class_from_name(const char *name);
const char *fp_class_name(__u32 class);
const char *fp_reason_name(__u32 reason);
const char *fp_origin_name(__u32 origin);

/* LPM keys for a prefix: the map key the XDP program looks up. */
void fp_prefix__to_lpm4(const struct fp_prefix *p, struct fp_lpm4 *k);
void fp_prefix__to_lpm6(const struct fp_prefix *p, struct fp_lpm6 *k);
void fp_prefix__from_lpm4(const struct fp_lpm4 *k, struct fp_prefix *p);
void fp_prefix__from_lpm6(const struct fp_lpm6 *k, struct fp_prefix *p);

#endif

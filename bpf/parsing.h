/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Bounds-checked header cursor for XDP parsing. BPF side only. */
#ifndef FASTPATH_PARSING_H
#define FASTPATH_PARSING_H

struct cursor {
	void *pos;
	void *end;
};

/* Returns a pointer to the next len bytes and advances, or NULL. */
static __always_inline void *cursor_pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

#define cursor_pull_hdr(c, type) ((type *)cursor_pull((c), sizeof(type)))

static __always_inline int mac_is_group(const __u8 *mac)
{
	return mac[0] & 1;
}

/*
 * MACs as three 16-bit words, not six bytes: every MAC the program reads
 * or writes sits at an even offset (the frame's, and maps/fastpath.h's
 * structs), so these loads are aligned on any architecture.
 */
typedef __u16 __attribute__((may_alias)) mac_word;

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	const mac_word *x = (const mac_word *)a, *y = (const mac_word *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]));
}

static __always_inline int mac_is_zero(const __u8 *a)
{
	const mac_word *x = (const mac_word *)a;

	return !(x[0] | x[1] | x[2]);
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	mac_word *d = (mac_word *)dst;
	const mac_word *s = (const mac_word *)src;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
}

/* An 802.1Q / 802.1ad tag: after the MACs, or after another tag. */
struct vlan_tag {
	__be16 tci; /* priority 3 bits, DEI 1, VID 12 */
	__be16 proto; /* the next EtherType */
};

#define VLAN_VID(tci) (bpf_ntohs(tci) & 0x0fff)

static __always_inline int is_tpid(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) ||
	       proto == bpf_htons(ETH_P_8021AD);
}

/* RFC 8200 4.5; the kernel's struct frag_hdr lives in a private header. */
struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all 16-bit one's complement,
 * so a 0x0000/0xffff checksum never comes out as the other zero.
 */
static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32) new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

#endif /* FASTPATH_PARSING_H */

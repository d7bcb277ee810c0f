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

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]) | (a[5] ^ b[5]));
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

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier-1 benchmark programs (DESIGN.md "Performance method"), run only by
 * tests/bench_pkt.c through BPF_PROG_TEST_RUN with repeat.
 *
 * bench_xdp is the wrapper: each run it restores the whole frame from the
 * next entry of bn_frames and tail-calls the arm in bn_arms. The restore
 * is needed because test runs with repeat reuse one buffer, which the last
 * run left with rewritten MACs and a decremented TTL; stepping through
 * bn_frames spreads the destinations over every installed route instead
 * of timing one cache-hot lookup. The arms:
 *   arm_empty   XDP_PASS: the wrapper's own cost
 *   arm_limit   a bare bpf_redirect_map(): the machine's limit
 *   arm_fib     forwarding by the kernel FIB, the approach of xdp-tools'
 *               xdp-forward: bpf_fib_lookup(), MACs from its result
 *   fastpath_xdp, from build/fastpath.bpf.o, put in the slot by the driver
 *   arm_floor   (tier 2 only) the least a table-driven forwarder does:
 *               maps/bench.h "The floor arm"; tagged frames too (the
 *               floor-vlan arm)
 *
 * Tier 2 (tests/bench_e2e.c) attaches arm_limit and arm_fib directly to
 * the lab's uplink, with no wrapper: the live-frames generator of
 * bpf/livegen.bpf.c writes the frames there.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../maps/bench.h"
#include "parsing.h"

/* From <sys/socket.h>, which a BPF build cannot include. */
#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The port every route leads to: set by the driver before load. */
const volatile __u32 port_ifindex;

/*
 * bpf_fib_lookup() flags. Tier 1 has no policy rules: 0, a full lookup.
 * Tier 2's lab sends everything from the uplink to the gateway by an ip
 * rule, so there it is BPF_FIB_LOOKUP_DIRECT, the main table, as
 * xdp-forward's fib-direct mode.
 */
const volatile __u32 fib_flags;

/* How many entries of bn_frames are in use; changes between scenarios. */
__u32 n_frames;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BN_MAX_FRAMES);
	__type(key, __u32);
	__type(value, struct bn_frame);
} bn_frames SEC(".maps");

/* Next bn_frames index; per CPU, so runs on two CPUs never share a line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bn_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BN_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bn_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bn_arms SEC(".maps");

/* The limit and fib arms redirect through this, as the fast path does. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} bn_tx SEC(".maps");

static __always_inline int count(__u32 slot, int action)
{
	__u64 *c = bpf_map_lookup_elem(&bn_stats, &slot);

	if (c)
		(*c)++; /* per-CPU slot: no other writer */
	return action;
}

SEC("xdp")
int bench_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0, n = n_frames, idx;
	struct bn_frame *f;
	__u32 *seq;

	/*
	 * Test runs with repeat reuse one xdp_buff: a fast path that popped
	 * VLAN tags (bpf_xdp_adjust_head, +4 or +8) leaves the next run a
	 * shorter frame. Grow the head back to BN_FRAME_LEN; a not-taken
	 * branch for every run whose last run kept the length, so the
	 * figures of tagged redirected frames (bench_pkt --vlan) include
	 * this re-grow, and no other figure does.
	 */
	if (data + BN_FRAME_LEN > data_end) {
		if (bpf_xdp_adjust_head(ctx,
					(int)(data_end - data) - BN_FRAME_LEN))
			return count(BN_C_NO_FRAME, XDP_ABORTED);
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (data + BN_FRAME_LEN > data_end)
			return count(BN_C_NO_FRAME, XDP_ABORTED);
	}
	seq = bpf_map_lookup_elem(&bn_seq, &zero);
	if (!seq || !n)
		return count(BN_C_NO_FRAME, XDP_ABORTED);
	/* n shrinks between scenarios: never index past the current set. */
	idx = *seq < n ? *seq : 0;
	*seq = idx + 1;
	f = bpf_map_lookup_elem(&bn_frames, &idx);
	if (!f)
		return count(BN_C_NO_FRAME, XDP_ABORTED);
	__builtin_memcpy(data, f->bytes, BN_FRAME_LEN);

	bpf_tail_call(ctx, &bn_arms, BN_ARM_SLOT);
	return count(BN_C_TAIL_FAIL, XDP_ABORTED);
}

SEC("xdp")
int arm_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int arm_limit(struct xdp_md *ctx)
{
	return bpf_redirect_map(&bn_tx, port_ifindex, 0);
}

/* RFC 1624 incremental update for TTL - 1, as the kernel's ip_decrease_ttl. */
static __always_inline void ip4_decrease_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

SEC("xdp")
int arm_fib(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;

	if ((void *)(eth + 1) > data_end)
		return count(BN_C_FIB_PASS, XDP_PASS);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip4 = (void *)(eth + 1);
		if ((void *)(ip4 + 1) > data_end || ip4->ttl <= 1)
			return count(BN_C_FIB_PASS, XDP_PASS);
		fib.family = AF_INET;
		fib.tos = ip4->tos;
		fib.l4_protocol = ip4->protocol;
		fib.tot_len = bpf_ntohs(ip4->tot_len);
		fib.ipv4_src = ip4->saddr;
		fib.ipv4_dst = ip4->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end || ip6->hop_limit <= 1)
			return count(BN_C_FIB_PASS, XDP_PASS);
		fib.family = AF_INET6;
		fib.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
		fib.l4_protocol = ip6->nexthdr;
		fib.tot_len = bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	} else {
		return count(BN_C_FIB_PASS, XDP_PASS);
	}
	fib.ifindex = ctx->ingress_ifindex;

	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), fib_flags) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return count(BN_C_FIB_PASS, XDP_PASS);
	/* Redirect first: a port outside the devmap leaves the frame as is. */
	if (bpf_redirect_map(&bn_tx, fib.ifindex, 0) != XDP_REDIRECT)
		return count(BN_C_FIB_PASS, XDP_PASS);
	if (ip4)
		ip4_decrease_ttl(ip4);
	else if (ip6)
		ip6->hop_limit--;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return count(BN_C_FIB_FWD, XDP_REDIRECT);
}

/* The floor arm's tables (maps/bench.h), filled by tests/bench_e2e.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, (256 + BN_FL_PLIES) * 256);
	__type(key, __u32);
	__type(value, __u32);
} bn_fl_trie4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct in6_addr);
	__type(value, __u32);
} bn_fl_hosts6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bn_fl_nh);
} bn_fl_nh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} bn_fl_tx SEC(".maps");

/* The result index of addr's /32 (or shorter) entry, 0 for none. */
static __always_inline __u32 floor_walk4(__be32 addr)
{
	const __u8 *a = (const __u8 *)&addr;
	__u32 key = (__u32)a[0] << 8 | a[1], *v;

	v = bpf_map_lookup_elem(&bn_fl_trie4, &key);
	if (v && *v & BN_FL_PLY) {
		key = (*v & ~BN_FL_PLY) << 8 | a[2];
		v = bpf_map_lookup_elem(&bn_fl_trie4, &key);
	}
	if (v && *v & BN_FL_PLY) {
		key = (*v & ~BN_FL_PLY) << 8 | a[3];
		v = bpf_map_lookup_elem(&bn_fl_trie4, &key);
	}
	return v && !(*v & BN_FL_PLY) ? *v : 0;
}

/*
 * The floor-vlan arm's circuits: the slot of a VID (the inner one of two
 * tags) is nonzero where a circuit has it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BN_FL_VIDS);
	__type(key, __u32);
	__type(value, __u32);
} bn_fl_vids SEC(".maps");

/*
 * What any forwarder of this kind cannot skip: parse, check version,
 * length and TTL, look the destination up, check the MTU, redirect,
 * rewrite MACs and TTL (and the IPv4 checksum), count per CPU. A tagged
 * frame (the floor-vlan arm: one tag, or an S-tag and a C-tag) also
 * needs its circuit found from the VID (one array read) and its tags
 * popped: the MACs written where they will start, then the head moved.
 */
SEC("xdp")
int arm_floor(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = (void *)(long)ctx->data, .end = data_end };
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;
	__u32 idx = 0, *hit, len, tags = 0, vid;
	struct ethhdr *eth, *l2;
	struct bn_fl_nh *nh;
	struct vlan_tag *t;
	__be16 proto;
	void *l3;

	eth = cursor_pull_hdr(&c, struct ethhdr);
	if (!eth)
		return count(BN_C_FLOOR_PASS, XDP_PASS);
	proto = eth->h_proto;
	/* One tag or two: the circuit by the last one's VID. */
	if (is_tpid(proto)) {
		t = cursor_pull_hdr(&c, struct vlan_tag);
		if (t && is_tpid(t->proto)) {
			tags = 4;
			t = cursor_pull_hdr(&c, struct vlan_tag);
		}
		if (!t)
			return count(BN_C_FLOOR_PASS, XDP_PASS);
		tags += 4;
		vid = VLAN_VID(t->tci);
		proto = t->proto;
		hit = bpf_map_lookup_elem(&bn_fl_vids, &vid);
		if (!hit || !*hit)
			return count(BN_C_FLOOR_PASS, XDP_PASS);
	}
	l3 = c.pos;
	if (proto == bpf_htons(ETH_P_IP)) {
		ip4 = l3;
		if ((void *)(ip4 + 1) > data_end || ip4->version != 4 ||
		    ip4->ihl != 5 || ip4->ttl <= 1)
			return count(BN_C_FLOOR_PASS, XDP_PASS);
		len = bpf_ntohs(ip4->tot_len);
		idx = floor_walk4(ip4->daddr);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = l3;
		if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
		    ip6->hop_limit <= 1)
			return count(BN_C_FLOOR_PASS, XDP_PASS);
		len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		hit = bpf_map_lookup_elem(&bn_fl_hosts6, &ip6->daddr);
		idx = hit ? *hit : 0;
	} else {
		return count(BN_C_FLOOR_PASS, XDP_PASS);
	}
	if (len > data_end - l3)
		return count(BN_C_FLOOR_PASS, XDP_PASS);
	nh = idx ? bpf_map_lookup_elem(&bn_fl_nh, &idx) : NULL;
	if (!nh || len > nh->mtu ||
	    bpf_redirect_map(&bn_fl_tx, nh->port, 0) != XDP_REDIRECT)
		return count(BN_C_FLOOR_PASS, XDP_PASS);
	if (ip4)
		ip4_decrease_ttl(ip4);
	else if (ip6)
		ip6->hop_limit--;
	/* Untagged, eth; tagged, where the MACs start once popped. */
	l2 = l3 - ETH_HLEN;
	__builtin_memcpy(l2->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(l2->h_source, nh->smac, ETH_ALEN);
	if (tags && bpf_xdp_adjust_head(ctx, (int)tags))
		return count(BN_C_FLOOR_PASS, XDP_DROP);
	return count(BN_C_FLOOR_FWD, XDP_REDIRECT);
}

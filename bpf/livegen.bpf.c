// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tier-2 benchmark programs (DESIGN.md "Performance method"), run by
 * tests/bench_e2e.c in the namespace lab:
 *   livegen_xdp   the traffic: run by BPF_PROG_TEST_RUN with
 *                 BPF_F_TEST_XDP_LIVE_FRAMES on on-prem's op0, it writes a
 *                 whole header block and returns XDP_TX, which live-frames
 *                 mode turns into a transmit out of op0, into the uplink
 *   sink_xdp      on the veth VM's eth0: counts and drops benchmark frames
 *                 (it also gives that veth the NAPI a redirect needs)
 *   devmap_xmit   tracepoint xdp:xdp_devmap_xmit: what each watched device
 *                 took from a devmap flush and what it refused. A tap counts
 *                 one tx_dropped per refused batch, whatever its size, so
 *                 its own counters cannot close the books; this can.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#include "../maps/bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* How many lg_flows entries the generator cycles through; 1 at least. */
__u32 n_flows;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LG_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct lg_hdr);
} lg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lg_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lg_stats SEC(".maps");

/* Filled by userspace with the devices to watch; never added to here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct lg_devkey);
	__type(value, struct lg_devcnt);
} lg_devmap SEC(".maps");

static __always_inline int count(__u32 slot, int action)
{
	__u64 *c = bpf_map_lookup_elem(&lg_stats, &slot);

	if (c)
		(*c)++; /* per-CPU slot: no other writer */
	return action;
}

SEC("xdp")
int livegen_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0, n = n_flows, idx;
	struct lg_hdr *h;
	__u32 *seq;

	if (data + LG_HDR_LEN > data_end)
		return count(LG_C_SHORT, XDP_ABORTED);
	seq = bpf_map_lookup_elem(&lg_seq, &zero);
	if (!seq)
		return count(LG_C_SHORT, XDP_ABORTED);
	idx = *seq < n ? *seq : 0;
	*seq = idx + 1;
	h = bpf_map_lookup_elem(&lg_flows, &idx);
	if (!h)
		return count(LG_C_SHORT, XDP_ABORTED);
	__builtin_memcpy(data, h->bytes, LG_HDR_LEN);
	return count(LG_C_SENT, XDP_TX);
}

/* Routers crossed, from a TTL that started at 64. */
static __always_inline __u32 hops_slot(__u8 ttl)
{
	if (ttl > 64 || ttl < 61)
		return LG_C_HOPS_OTHER;
	return LG_C_HOPS0 + (64 - ttl);
}

SEC("xdp")
int sink_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u8 ttl, proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5)
			return XDP_PASS;
		ttl = ip->ttl;
		proto = ip->protocol;
		udp = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		ttl = ip6->hop_limit;
		proto = ip6->nexthdr;
		udp = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	/* ARP, ND and anything else go on to the VM's stack. */
	if (proto != IPPROTO_UDP || (void *)(udp + 1) > data_end ||
	    udp->dest != bpf_htons(LG_UDP_DPORT))
		return XDP_PASS;
	return count(hops_slot(ttl), XDP_DROP);
}

/* The few kernel fields read, relocated by CO-RE against the kernel's BTF. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct net_device {
	int ifindex;
	struct {
		struct net *net;
	} nd_net;
} __attribute__((preserve_access_index));

/*
 * TP_PROTO(const struct net_device *from_dev, const struct net_device
 * *to_dev, int sent, int drops, int err): a raw tracepoint, since this
 * kernel refuses BPF_PROG_TYPE_TRACING (tp_btf) programs.
 */
SEC("raw_tp/xdp_devmap_xmit")
int devmap_xmit(__u64 *args)
{
	struct net_device *to = (struct net_device *)args[1];
	struct lg_devkey key = {};
	struct lg_devcnt *c;

	key.ifindex = BPF_CORE_READ(to, ifindex);
	key.netns_ino = BPF_CORE_READ(to, nd_net.net, ns.inum);
	c = bpf_map_lookup_elem(&lg_devmap, &key);
	if (!c)
		return 0;
	/* Any CPU may flush to the device: atomics. */
	__sync_fetch_and_add(&c->sent, (int)args[2]);
	__sync_fetch_and_add(&c->drops, (int)args[3]);
	return 0;
}

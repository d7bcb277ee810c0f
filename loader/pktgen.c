// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "pktgen.h"

__u16 fp_csum_fold(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

int fp_pkt__build(const struct fp_pktspec *s, __u8 *buf, size_t size)
{
	bool v6 = s->dst.family == AF_INET6;
	size_t l3 = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	size_t len = ETH_HLEN + l3 + sizeof(struct udphdr) + s->payload;
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct udphdr *udp = (struct udphdr *)(buf + ETH_HLEN + l3);
	__u16 ulen = sizeof(*udp) + s->payload;

	if (len > size)
		return -ENOSPC;
	memset(buf, 0, len);
	memcpy(eth->h_dest, s->dmac, 6);
	memcpy(eth->h_source, s->smac, 6);
	eth->h_proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (v6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + ETH_HLEN);

		ip6->version = 6;
		ip6->payload_len = htons(ulen);
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = s->ttl;
		memcpy(&ip6->saddr, s->src.addr, 16);
		memcpy(&ip6->daddr, s->dst.addr, 16);
	} else {
		struct iphdr *ip = (struct iphdr *)(buf + ETH_HLEN);

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(l3 + ulen);
		ip->id = htons(0x1234);
		ip->ttl = s->ttl;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, s->src.addr, 4);
		memcpy(&ip->daddr, s->dst.addr, 4);
		ip->check = htons(~fp_csum_fold(ip, sizeof(*ip), 0) & 0xffff);
	}
	udp->source = htons(40000);
	udp->dest = htons(9);
	udp->len = htons(ulen);
	for (__u16 i = 0; i < s->payload; i++)
		buf[len - s->payload + i] = (__u8)i;
	/* UDP checksum 0 is allowed for IPv4 only; fill it for both. */
	{
		__u32 sum = 0;
		const __u8 *a = s->src.addr, *b = s->dst.addr;
		size_t alen = v6 ? 16 : 4;

		sum = fp_csum_fold(a, alen, 0) + fp_csum_fold(b, alen, 0);
		sum += IPPROTO_UDP + ulen;
		udp->check = htons(~fp_csum_fold(udp, ulen, sum) & 0xffff);
		if (!udp->check)
			udp->check = 0xffff;
	}
	return len;
}

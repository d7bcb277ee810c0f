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

/*
 * Headers are built in aligned locals and copied out: a frame usually sits
 * at an offset (metadata, the 14-byte Ethernet header) that leaves the IP
 * header misaligned for struct access.
 */
/* The spec's tags in front of the EtherType: the frame grows by 4 each. */
static int push_tags(const struct fp_pktspec *s, __u8 *buf, size_t len,
		     size_t size)
{
	size_t tags = s->outer ? 8 : 4, at = 2 * ETH_ALEN;
	__u16 tag[4];

	if (len + tags > size)
		return -ENOSPC;
	memmove(buf + at + tags, buf + at, len - at);
	if (s->outer) {
		tag[0] = htons(s->outer_tpid ? s->outer_tpid : ETH_P_8021AD);
		tag[1] = htons(s->outer);
		tag[2] = htons(ETH_P_8021Q);
		tag[3] = htons(s->inner);
	} else {
		tag[0] = htons(ETH_P_8021Q);
		tag[1] = htons(s->inner);
	}
	memcpy(buf + at, tag, tags);
	return (int)(len + tags);
}

int fp_pkt__build(const struct fp_pktspec *s, __u8 *buf, size_t size)
{
	bool v6 = s->dst.family == AF_INET6;
	size_t l3 = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	size_t len = ETH_HLEN + l3 + sizeof(struct udphdr) + s->payload;
	__u16 ulen = sizeof(struct udphdr) + s->payload;
	size_t alen = v6 ? 16 : 4;
	struct udphdr udp = { 0 };
	struct ethhdr eth;
	__u8 *payload;
	__u32 sum;

	if (len > size)
		return -ENOSPC;
	memset(buf, 0, len);
	memcpy(eth.h_dest, s->dmac, 6);
	memcpy(eth.h_source, s->smac, 6);
	eth.h_proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	memcpy(buf, &eth, ETH_HLEN);
	if (v6) {
		struct ipv6hdr ip6;

		memset(&ip6, 0, sizeof(ip6));
		ip6.version = 6;
		ip6.payload_len = htons(ulen);
		ip6.nexthdr = IPPROTO_UDP;
		ip6.hop_limit = s->ttl;
		memcpy(&ip6.saddr, s->src.addr, 16);
		memcpy(&ip6.daddr, s->dst.addr, 16);
		memcpy(buf + ETH_HLEN, &ip6, sizeof(ip6));
	} else {
		struct iphdr ip;

		memset(&ip, 0, sizeof(ip));
		ip.version = 4;
		ip.ihl = 5;
		ip.tot_len = htons(l3 + ulen);
		ip.id = htons(0x1234);
		ip.ttl = s->ttl;
		ip.protocol = IPPROTO_UDP;
		memcpy(&ip.saddr, s->src.addr, 4);
		memcpy(&ip.daddr, s->dst.addr, 4);
		ip.check = htons(~fp_csum_fold(&ip, sizeof(ip), 0) & 0xffff);
		memcpy(buf + ETH_HLEN, &ip, sizeof(ip));
	}
	payload = buf + ETH_HLEN + l3 + sizeof(udp);
	for (__u16 i = 0; i < s->payload; i++)
		payload[i] = (__u8)i;
	udp.source = htons(40000);
	udp.dest = htons(9);
	udp.len = htons(ulen);
	memcpy(buf + ETH_HLEN + l3, &udp, sizeof(udp));
	/* UDP checksum 0 means "none" for IPv4 only; fill it for both. */
	sum = fp_csum_fold(s->src.addr, alen, 0) +
	      fp_csum_fold(s->dst.addr, alen, 0);
	sum += IPPROTO_UDP + ulen;
	udp.check =
		htons(~fp_csum_fold(buf + ETH_HLEN + l3, ulen, sum) & 0xffff);
	if (!udp.check)
		udp.check = 0xffff;
	memcpy(buf + ETH_HLEN + l3, &udp, sizeof(udp));
	return s->inner ? push_tags(s, buf, len, size) : (int)len;
}

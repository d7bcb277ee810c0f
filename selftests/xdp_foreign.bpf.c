// SPDX-License-Identifier: GPL-2.0
/* Someone else's XDP program, for the selftests of load's refusal path. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int foreign_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pinned maps of the fast path, BTF-defined. BPF side only. */
#ifndef FASTPATH_MAPS_BPF_H
#define FASTPATH_MAPS_BPF_H

#ifndef FP_MAPS_CONTRACT
#error "include maps/fastpath.h before bpf/maps.bpf.h"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_UPLINKS);
	__type(key, __u32);
	__type(value, struct fp_uplink);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_uplinks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct fp_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_ports SEC(".maps");

/* Redirect targets, keyed by ifindex; written before fp_ports on add. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, FP_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_tx SEC(".maps");

/*
 * The same three by ifindex, for ifindex < FP_DEV_SLOTS: loader/port.c,
 * loader/uplink.c.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_DEV_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_uplink);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_upv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_DEV_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_portv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, FP_DEV_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_txv SEC(".maps");

/* The compiled table (maps/fastpath.h), written by loader/fib.c only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_TRIE4_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_trie4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_TRIE6_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_trie6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_MAX_NH);
	__type(key, __u32);
	__type(value, struct fp_nh);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_nh SEC(".maps");

/* Whether fp_hosts6 ever had an entry (maps/fastpath.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_PRESENT_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_present SEC(".maps");

/* Arrival of the model's entries (maps/fastpath.h); the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_ROUTES);
	__type(key, struct fp_arrival_key);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_arrival SEC(".maps");

/* Ply bookkeeping; the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_PLIES4 + FP_PLIES6);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_plies SEC(".maps");

/* Compressed IPv4 last plies (maps/fastpath.h), written by loader/trie.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_PLIES4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_cidx4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_CPOOL_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_cpool4 SEC(".maps");

/* Anti-spoofing pre-filter: written by loader/fib.c, see maps/fastpath.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_SRCFILT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_srcfilt SEC(".maps");

/*
 * The table of record, compiled into fp_trie4/6: host routes by exact
 * match, other prefixes in LPM tries. The program reads only fp_hosts6,
 * whose /128s are not compiled.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_ROUTES);
	__type(key, __be32);
	__type(value, struct fp_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_hosts4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_ROUTES);
	__type(key, struct fp_in6);
	__type(value, struct fp_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_hosts6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_ROUTES);
	__type(key, struct fp_lpm4);
	__type(value, struct fp_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_routes4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_ROUTES);
	__type(key, struct fp_lpm6);
	__type(value, struct fp_route);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_routes6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_EXCLUSIONS);
	__type(key, struct fp_lpm4);
	__type(value, struct fp_excl);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_excl4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_EXCLUSIONS);
	__type(key, struct fp_lpm6);
	__type(value, struct fp_excl);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_excl6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_R_MAX);
	__type(key, __u32);
	__type(value, struct fp_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_stats SEC(".maps");

/* The return path's counters (fastpath_port), by enum fp_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_R_MAX);
	__type(key, __u32);
	__type(value, struct fp_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_rstats SEC(".maps");

/* The route lookups' generation and the return path's source cache. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_fibgen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_SRCCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_srccache);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_srccache SEC(".maps");

/* Written by userspace only; the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_ctl SEC(".maps");

/* Capture control: written by `fastpath capture`, read per packet. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_capctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_capctl SEC(".maps");

/* Captured frames (struct fp_cap_rec), read by `fastpath capture`. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FP_CAP_RING_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_capture SEC(".maps");

/*
 * The ExpressRoute model, written by `fastpath apply`. The program reads
 * fp_conns and fp_connstat, and fp_vnets4/6 only for a source in a block
 * fp_srcfilt sends to the lookups (anti-spoofing); the loader tags every
 * route entry with its VNet (fp_vnets4/6) and its budget places
 * (fp_circuits).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_MAX_CIRCUITS);
	__type(key, __u32);
	__type(value, struct fp_circuit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_circuits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_VNET_SPACES);
	__type(key, struct fp_lpm4);
	__type(value, struct fp_vnet);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vnets4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FP_MAX_VNET_SPACES);
	__type(key, struct fp_lpm6);
	__type(value, struct fp_vnet);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vnets6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_CONN_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_conn);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_CONN_SLOTS);
	__type(key, __u32);
	__type(value, struct fp_connstat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_connstat SEC(".maps");

/* Tagged circuits of trunk uplinks (maps/fastpath.h): loader/uplink.c. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_VLANS);
	__type(key, struct fp_vlan_key);
	__type(value, struct fp_vlan);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vlans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FP_MAX_VLANS);
	__type(key, __u32);
	__type(value, struct fp_vlanstat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vlanstat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_VLAN_RECORDS);
	__type(key, __u32);
	__type(value, struct fp_vlan);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vlanv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FP_VID_WORDS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_vids SEC(".maps");

/* The pin set's layout version (FP_LAYOUT_VERSION); the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_layout SEC(".maps");

/* The network namespace the pin set serves; the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_netns);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fp_netns SEC(".maps");

#endif /* FASTPATH_MAPS_BPF_H */

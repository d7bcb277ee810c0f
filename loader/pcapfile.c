// SPDX-License-Identifier: GPL-2.0
/* pcap files through libpcap: pcap_open_dead() + pcap_dump(). */
#include <errno.h>
#include <stdlib.h>
#include <pcap/pcap.h>

#include "log.h"
#include "pcapfile.h"

struct fp_pcap {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
};

struct fp_pcap *fp_pcap__open(const char *path, __u32 snaplen)
{
	struct fp_pcap *w = calloc(1, sizeof(*w));

	if (!w) {
		pr_warn("capture: %s: out of memory\n", path);
		return NULL;
	}
	w->pcap = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	if (!w->pcap) {
		pr_warn("capture: %s: pcap_open_dead failed\n", path);
		goto out_free;
	}
	w->dumper = pcap_dump_open(w->pcap, path);
	if (!w->dumper) {
		pr_warn("capture: %s: %s\n", path, pcap_geterr(w->pcap));
		goto out_close;
	}
	return w;
out_close:
	pcap_close(w->pcap);
out_free:
	free(w);
	return NULL;
}

void fp_pcap__write(struct fp_pcap *w, __u64 ts_ns, const void *data,
		    __u32 caplen, __u32 len)
{
	struct pcap_pkthdr h = { 0 };

	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ULL / 1000);
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)w->dumper, &h, data);
}

int fp_pcap__flush(struct fp_pcap *w)
{
	return pcap_dump_flush(w->dumper) ? -EIO : 0;
}

void fp_pcap__close(struct fp_pcap *w)
{
	if (!w)
		return;
	pcap_dump_close(w->dumper);
	pcap_close(w->pcap);
	free(w);
}

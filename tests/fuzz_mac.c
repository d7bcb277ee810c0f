// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: MAC addresses as `port add --peer-mac` and `route add
 * ... lladdr` read them. An accepted string formats back to itself (in
 * lower case), and any six bytes survive format then parse.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[FP_MAC_STRLEN];
	__u8 mac[6], again[6];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!fp_parse_mac(s, mac)) {
		fp_format_mac(mac, buf, sizeof(buf));
		if (strlen(s) != FP_MAC_STRLEN - 1)
			abort();
		for (int i = 0; i < FP_MAC_STRLEN - 1; i++)
			if (tolower((unsigned char)s[i]) != buf[i])
				abort();
	}
	if (size >= 6) {
		fp_format_mac(data, buf, sizeof(buf));
		if (fp_parse_mac(buf, again) || memcmp(data, again, 6))
			abort();
	}
	free(s);
	return 0;
}

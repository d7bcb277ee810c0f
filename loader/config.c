// SPDX-License-Identifier: GPL-2.0
/*
 * The config file, parsed with libinih: sections `[gateway]`, `[port
 * NAME]`, `[circuit NAME]`, `[vnet NAME]` and `[connection NAME]`,
 * `key = value` lines,
 * comments from `#` or `;` at the start of a line or after a blank.
 *
 * libinih does not tell its handler the line number, so the reader it
 * pulls lines through counts them: the handler runs on the line just read.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "vec.h"

/*
 * Length of the UTF-8 sequence at s (1 to 4), or 0 when s does not start
 * one: overlong forms, surrogates and code points past U+10FFFF are not
 * UTF-8 (RFC 3629).
 */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	__u32 cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

const char *fp_escape(const char *s, char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	/*
	 * A config is anyone's bytes: what is not printable UTF-8 reaches
	 * the terminal as \xNN, never raw (escape sequences, broken text).
	 */
	while (*p && o + 5 < n) {
		size_t k = utf8_len(p);

		if (!k || *p < 0x20 || *p == 0x7f) {
			o += snprintf(buf + o, n - o, "\\x%02x", *p);
			p++;
			continue;
		}
		memcpy(buf + o, p, k);
		o += k;
		p += k;
	}
	buf[o] = 0;
	return buf;
}

static void diag_add(struct fp_diag *d, const char *kind, int line,
		     const char *fmt, va_list ap)
{
	char body[512], safe[4 * sizeof(body)], *msg;

	vsnprintf(body, sizeof(body), fmt, ap);
	if (fp_vec__grow(&d->msg, &d->cap, d->n, sizeof(*d->msg)))
		return;
	if (asprintf(&msg, "%d: %s: %s", line, kind,
		     fp_escape(body, safe, sizeof(safe))) < 0)
		return;
	d->msg[d->n++] = msg;
}

void fp_diag__add(struct fp_diag *d, bool error, int line, const char *fmt, ...)
{
	va_list ap;

	if (error)
		d->errors++;
	else
		d->warnings++;
	va_start(ap, fmt);
	diag_add(d, error ? "error" : "warning", line, fmt, ap);
	va_end(ap);
}

void fp_diag__note(struct fp_diag *d, int line, const char *fmt, ...)
{
	va_list ap;

	d->notes++;
	va_start(ap, fmt);
	diag_add(d, "note", line, fmt, ap);
	va_end(ap);
}

void fp_diag__free(struct fp_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->msg);
	memset(d, 0, sizeof(*d));
}

static const char *const sku_names[] = {
	[FP_SKU_NONE] = "none",
	[FP_SKU_STANDARD] = "Standard",
	[FP_SKU_HIGH_PERFORMANCE] = "HighPerformance",
	[FP_SKU_ULTRA_PERFORMANCE] = "UltraPerformance",
	[FP_SKU_ERGW1AZ] = "ErGw1AZ",
	[FP_SKU_ERGW2AZ] = "ErGw2AZ",
	[FP_SKU_ERGW3AZ] = "ErGw3AZ",
	[FP_SKU_ERGWSCALE] = "ErGwScale",
};

const char *fp_sku_name(enum fp_sku sku)
{
	return sku <= FP_SKU_ERGWSCALE ? sku_names[sku] : "unknown";
}

const char *fp_bandwidth_name(__u32 mbps, char *buf, size_t n)
{
	if (mbps >= 1000 && mbps % 1000 == 0)
		snprintf(buf, n, "%uG", mbps / 1000);
	else
		snprintf(buf, n, "%uM", mbps);
	return buf;
}

/* ExpressRoute's circuit bandwidths, in Mbps. */
static const __u32 bandwidths[] = { 50,	  100,	200,   500,   1000,
				    2000, 5000, 10000, 40000, 100000 };

/* "10G", "10 Gbps", "500M", "500Mbps": a circuit bandwidth in Mbps. */
static int parse_bandwidth(const char *s, __u32 *mbps)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v > 100000)
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (!strcasecmp(end, "G") || !strcasecmp(end, "Gbps"))
		v *= 1000;
	else if (strcasecmp(end, "M") && strcasecmp(end, "Mbps"))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(bandwidths) / sizeof(bandwidths[0]); i++)
		if (bandwidths[i] == v) {
			*mbps = v;
			return 0;
		}
	return -ERANGE;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
	    !strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "off") ||
		 !strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

/*
 * Names of objects: what a command line or a JSON key can carry safely.
 * What is wrong with s as a name (in buf), or NULL when nothing is.
 */
static const char *name_problem(const char *s, char *buf, size_t n)
{
	size_t len = strlen(s);

	if (!len)
		return "expected a name (letters, digits, - _ .)";
	if (len >= FP_NAME_MAX) {
		snprintf(buf, n, "name too long (%zu characters; %d at most)",
			 len, FP_NAME_MAX - 1);
		return buf;
	}
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return "a bad character in the name (names: letters, "
			       "digits, - _ .)";
	return NULL;
}

struct parser {
	struct fp_config *cfg;
	struct fp_diag *d;
	const char *text; /* the reader's position */
	int line;
	char section[128]; /* the current section, to spot a new one */
	void *obj; /* the object the current section fills */
	enum {
		S_NONE,
		S_GATEWAY,
		S_PORT,
		S_CIRCUIT,
		S_VNET,
		S_CONN,
		S_BAD
	} kind;
	int oom;
};

static void enter_section(struct parser *ps, const char *section);
static void read_line(struct parser *ps, const char *line);

/*
 * fgets over a string, counting lines for the handler. libinih is given a
 * heap buffer of FP_CONFIG_LINE_MAX + 3 bytes (the line, "\r\n", NUL), so
 * every line up to the limit reaches it whole; a longer one is reported
 * here and dropped whole, never split into lines of its own.
 */
static char *reader(char *buf, int size, void *stream)
{
	struct parser *ps = stream;
	const char *nl;
	size_t len, body;

	if (!*ps->text)
		return NULL;
	nl = strchr(ps->text, '\n');
	len = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
	body = len - (nl ? 1 : 0);
	if (body && ps->text[body - 1] == '\r')
		body--;
	ps->line++;
	if (body > FP_CONFIG_LINE_MAX || len >= (size_t)size) {
		fp_diag__add(ps->d, true, ps->line,
			     "line of %zu characters: at most %d", body,
			     FP_CONFIG_LINE_MAX);
		ps->text += len;
		buf[0] = '\n';
		buf[1] = 0;
		return buf;
	}
	memcpy(buf, ps->text, len);
	buf[len] = 0;
	ps->text += len;
	read_line(ps, buf);
	return buf;
}

/* One more zeroed element in arr (n of them); NULL and oom if none. */
#define PUSH(ps, arr, n)                                            \
	({                                                          \
		__typeof__(arr) _p =                                \
			fp_vec__push(&(arr), &(n), sizeof(*(arr))); \
		if (!_p)                                            \
			(ps)->oom = 1;                              \
		_p;                                                 \
	})

/*
 * One more element in arr and in its parallel array of line numbers,
 * which gets the current line: the new element's index, or -1.
 */
static long push_lined(struct parser *ps, void *arrp, int **lines, size_t *n,
		       size_t sz)
{
	size_t nlines = *n;

	if (!fp_vec__push(lines, &nlines, sizeof(**lines)) ||
	    !fp_vec__push(arrp, n, sz)) {
		ps->oom = 1;
		return -1;
	}
	(*lines)[*n - 1] = ps->line;
	return *n - 1;
}

static void dup_name(struct parser *ps, const char *kind, const char *name,
		     int line)
{
	fp_diag__add(ps->d, true, ps->line,
		     "%s %s: defined twice (first at line %d)", kind, name,
		     line);
}

/* A new section: find or make the object it fills. */
static void enter_section(struct parser *ps, const char *section)
{
	struct fp_config *cfg = ps->cfg;
	char kind[32], name[FP_NAME_MAX], whybuf[64];
	const char *sp, *why;
	int n;

	snprintf(ps->section, sizeof(ps->section), "%s", section);
	ps->kind = S_BAD;
	ps->obj = NULL;
	if (!strcmp(section, "gateway")) {
		if (cfg->gateway.line) {
			fp_diag__add(
				ps->d, true, ps->line,
				"[gateway]: defined twice (first at line %d)",
				cfg->gateway.line);
			return;
		}
		cfg->gateway.line = ps->line;
		ps->kind = S_GATEWAY;
		return;
	}
	/* KIND NAME, split by hand: a name of any length is told as such. */
	sp = section + strcspn(section, " \t");
	n = snprintf(kind, sizeof(kind), "%.*s", (int)(sp - section), section);
	sp += strspn(sp, " \t");
	if (!*sp || n >= (int)sizeof(kind) || sp[strcspn(sp, " \t")]) {
		fp_diag__add(
			ps->d, true, ps->line,
			"[%s]: expected [gateway], [circuit NAME], [vnet NAME], "
			"[connection NAME] or [port NAME]",
			section);
		return;
	}
	why = name_problem(sp, whybuf, sizeof(whybuf));
	if (why) {
		fp_diag__add(ps->d, true, ps->line, "[%s]: %s", section, why);
		return;
	}
	memcpy(name, sp, strlen(sp) + 1);
	if (!strcmp(kind, "port")) {
		struct fp_cfg_port *p;

		for (size_t i = 0; i < cfg->nports; i++)
			if (!strcmp(cfg->ports[i].name, name))
				return dup_name(ps, "port", name,
						cfg->ports[i].line);
		p = PUSH(ps, cfg->ports, cfg->nports);
		if (!p)
			return;
		p->line = ps->line;
		memcpy(p->name, name, strlen(name) + 1);
		ps->kind = S_PORT;
		ps->obj = p;
	} else if (!strcmp(kind, "circuit")) {
		struct fp_cfg_circuit *c;

		for (size_t i = 0; i < cfg->ncircuits; i++)
			if (!strcmp(cfg->circuits[i].name, name))
				return dup_name(ps, "circuit", name,
						cfg->circuits[i].line);
		c = PUSH(ps, cfg->circuits, cfg->ncircuits);
		if (!c)
			return;
		c->line = ps->line;
		memcpy(c->name, name, strlen(name) + 1);
		c->type = FP_CIRCUIT_PROVIDER;
		c->profile = FP_PROFILE_2020;
		ps->kind = S_CIRCUIT;
		ps->obj = c;
	} else if (!strcmp(kind, "vnet")) {
		struct fp_cfg_vnet *v;

		for (size_t i = 0; i < cfg->nvnets; i++)
			if (!strcmp(cfg->vnets[i].name, name))
				return dup_name(ps, "vnet", name,
						cfg->vnets[i].line);
		v = PUSH(ps, cfg->vnets, cfg->nvnets);
		if (!v)
			return;
		v->line = ps->line;
		memcpy(v->name, name, strlen(name) + 1);
		ps->kind = S_VNET;
		ps->obj = v;
	} else if (!strcmp(kind, "connection")) {
		struct fp_cfg_conn *c;

		for (size_t i = 0; i < cfg->nconns; i++)
			if (!strcmp(cfg->conns[i].name, name))
				return dup_name(ps, "connection", name,
						cfg->conns[i].line);
		c = PUSH(ps, cfg->conns, cfg->nconns);
		if (!c)
			return;
		c->line = ps->line;
		memcpy(c->name, name, strlen(name) + 1);
		c->fastpath = true;
		ps->kind = S_CONN;
		ps->obj = c;
	} else {
		fp_diag__add(ps->d, true, ps->line,
			     "[%s]: unknown section kind %s (gateway, port, "
			     "circuit, vnet, connection)",
			     section, kind);
	}
}

/* Where libinih's find_chars_or_comment() stops: a char or a comment. */
static const char *line_find(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && !strchr(chars, *s) && !(was_space && strchr(";#", *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * libinih calls the handler for key lines only: a section is entered
 * here, on its own line, the way libinih reads it, so that its object and
 * findings carry the header's line, a section without keys still exists
 * and a repeated one is seen. A line libinih refuses is reported here, on
 * its line (libinih returns only the first).
 */
static void read_line(struct parser *ps, const char *line)
{
	const char *s = line, *end;
	char *section;

	if (ps->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3; /* a UTF-8 BOM, skipped by libinih */
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || strchr(";#", *s))
		return;
	if (*s == '[') {
		end = line_find(s + 1, "]");
		if (*end == ']') {
			/* Whole, for its name's length; ps->section is cut. */
			section = strndup(s + 1, end - s - 1);
			if (!section) {
				ps->oom = 1;
				return;
			}
			enter_section(ps, section);
			free(section);
			return;
		}
	} else {
		end = line_find(s, "=:");
		if (*end == '=' || *end == ':')
			return;
	}
	fp_diag__add(ps->d, true, ps->line,
		     "not a [section] or a key = value line");
}

static void bad_value(struct parser *ps, const char *key, const char *value,
		      const char *want)
{
	fp_diag__add(ps->d, true, ps->line, "[%s] %s = %s: %s", ps->section,
		     key, value, want);
}

static void unknown_key(struct parser *ps, const char *key)
{
	fp_diag__add(ps->d, true, ps->line, "[%s]: unknown key %s", ps->section,
		     key);
}

/* Copies a value into a fixed buffer, or reports it as too long. */
static bool copy(struct parser *ps, const char *key, const char *value,
		 char *dst, size_t n)
{
	char why[64];

	if (!*value || strlen(value) >= n) {
		snprintf(why, sizeof(why),
			 "too long (%zu characters; %zu at most)",
			 strlen(value), n - 1);
		bad_value(ps, key, value, *value ? why : "expected a value");
		return false;
	}
	memcpy(dst, value, strlen(value) + 1);
	return true;
}

static void gateway_key(struct parser *ps, const char *key, const char *value)
{
	struct fp_cfg_gateway *g = &ps->cfg->gateway;
	unsigned long v;

	char why[64];
	const char *bad;

	if (!strcmp(key, "name")) {
		bad = name_problem(value, why, sizeof(why));
		if (bad)
			bad_value(ps, key, value, bad);
		else
			copy(ps, key, value, g->name, sizeof(g->name));
	} else if (!strcmp(key, "sku")) {
		g->sku = FP_SKU_NONE;
		g->sku_line = ps->line;
		for (int s = FP_SKU_STANDARD; s <= FP_SKU_ERGWSCALE; s++)
			if (!strcasecmp(value, sku_names[s]))
				g->sku = s;
		if (g->sku == FP_SKU_NONE)
			bad_value(
				ps, key, value,
				"unknown gateway SKU (Standard, HighPerformance, "
				"UltraPerformance, ErGw1AZ, ErGw2AZ, ErGw3AZ, "
				"ErGwScale)");
	} else if (!strcmp(key, "scale-units")) {
		if (parse_uint(value, 40, &v) || !v)
			bad_value(ps, key, value, "expected 1 to 40");
		else
			g->scale_units = v, g->scale_units_line = ps->line;
	} else if (!strcmp(key, "namespace")) {
		copy(ps, key, value, g->netns, sizeof(g->netns));
	} else if (!strcmp(key, "port")) {
		copy(ps, key, value, g->port, sizeof(g->port));
	} else {
		unknown_key(ps, key);
	}
}

enum {
	K_UPLINK = 1,
	K_TYPE = 2,
	K_BANDWIDTH = 4,
	K_VNET = 8,
	K_CIRCUIT = 16,
	K_SPEED = 32,
	K_ENCAP = 64,
};

static void port_key(struct parser *ps, const char *key, const char *value)
{
	struct fp_cfg_port *p = ps->obj;
	__u32 mbps;

	if (!strcmp(key, "uplink")) {
		if (copy(ps, key, value, p->uplink, sizeof(p->uplink)))
			p->seen |= K_UPLINK;
	} else if (!strcmp(key, "speed")) {
		p->seen |= K_SPEED;
		if (parse_bandwidth(value, &mbps) ||
		    (mbps != 10000 && mbps != 100000))
			bad_value(ps, key, value,
				  "an ExpressRoute Direct port is 10G or 100G");
		else
			p->speed = mbps;
	} else if (!strcmp(key, "encapsulation")) {
		p->seen |= K_ENCAP;
		if (!strcasecmp(value, "dot1q"))
			p->encap = FP_ENCAP_DOT1Q;
		else if (!strcasecmp(value, "qinq"))
			p->encap = FP_ENCAP_QINQ;
		else
			bad_value(ps, key, value, "expected dot1q or qinq");
	} else {
		unknown_key(ps, key);
	}
}

/*
 * A VLAN ID (an S-tag or a C-tag) into *tag, or a finding. IEEE 802.1Q,
 * "Reserved VID values": VID 0 marks a priority-tagged frame (no VLAN),
 * 4095 (0xFFF) is reserved; a VLAN is 1 to 4094.
 */
static void parse_tag(struct parser *ps, const char *key, const char *value,
		      __u16 *tag)
{
	unsigned long v;

	if (parse_uint(value, 65535, &v) || v > 4095)
		bad_value(ps, key, value, "expected a VLAN ID, 1 to 4094");
	else if (v == 0)
		bad_value(ps, key, value,
			  "VLAN ID 0 is no VLAN (802.1Q: a priority-tagged "
			  "frame); expected 1 to 4094");
	else if (v == 4095)
		bad_value(ps, key, value,
			  "VLAN ID 4095 is reserved by 802.1Q; expected 1 to "
			  "4094");
	else
		*tag = v;
}

static void circuit_key(struct parser *ps, const char *key, const char *value)
{
	struct fp_cfg_circuit *c = ps->obj;
	unsigned long v;

	if (!strcmp(key, "uplink")) {
		if (copy(ps, key, value, c->uplink, sizeof(c->uplink)))
			c->seen |= K_UPLINK;
	} else if (!strcmp(key, "type")) {
		c->seen |= K_TYPE;
		if (!strcasecmp(value, "direct"))
			c->type = FP_CIRCUIT_DIRECT;
		else if (!strcasecmp(value, "provider"))
			c->type = FP_CIRCUIT_PROVIDER;
		else
			bad_value(ps, key, value,
				  "expected direct or provider");
	} else if (!strcmp(key, "bandwidth") || !strcmp(key, "port-speed")) {
		__u32 mbps;
		int err = parse_bandwidth(value, &mbps);

		if (key[0] == 'b')
			c->seen |= K_BANDWIDTH;
		if (err)
			bad_value(
				ps, key, value,
				err == -ERANGE ?
					"not an ExpressRoute bandwidth (50M, 100M, "
					"200M, 500M, 1G, 2G, 5G, 10G, 40G, 100G)" :
					"expected a bandwidth such as 500M or 10G");
		else if (key[0] == 'b')
			c->bandwidth = mbps;
		else if (mbps != 10000 && mbps != 100000)
			bad_value(ps, key, value,
				  "an ExpressRoute Direct port is 10G or 100G");
		else
			c->port_speed = mbps;
	} else if (!strcmp(key, "premium")) {
		if (parse_bool(value, &c->premium))
			bad_value(ps, key, value, "expected yes or no");
	} else if (!strcmp(key, "region")) {
		copy(ps, key, value, c->region, sizeof(c->region));
	} else if (!strcmp(key, "location")) {
		copy(ps, key, value, c->location, sizeof(c->location));
	} else if (!strcmp(key, "owner")) {
		copy(ps, key, value, c->owner, sizeof(c->owner));
	} else if (!strcmp(key, "profile")) {
		c->profile_line = ps->line;
		if (!strcmp(value, "2020"))
			c->profile = FP_PROFILE_2020;
		else if (!strcasecmp(value, "direct-2025"))
			c->profile = FP_PROFILE_DIRECT_2025;
		else
			bad_value(ps, key, value,
				  "expected 2020 or direct-2025");
	} else if (!strcmp(key, "ip-budget")) {
		c->budget_line = ps->line;
		if (parse_uint(value, 1000000, &v) || !v)
			bad_value(ps, key, value, "expected 1 to 1000000");
		else
			c->ip_budget = v;
	} else if (!strcmp(key, "port")) {
		char why[64];
		const char *bad = name_problem(value, why, sizeof(why));

		c->port_line = ps->line;
		if (bad)
			bad_value(ps, key, value, bad);
		else
			copy(ps, key, value, c->port, sizeof(c->port));
	} else if (!strcmp(key, "vlan")) {
		c->vlan_line = ps->line;
		parse_tag(ps, key, value, &c->vlan);
	} else if (!strcmp(key, "s-tag")) {
		c->stag_line = ps->line;
		parse_tag(ps, key, value, &c->stag);
	} else if (!strcmp(key, "gateway-port")) {
		c->gw_port_line = ps->line;
		copy(ps, key, value, c->gw_port, sizeof(c->gw_port));
	} else {
		unknown_key(ps, key);
	}
}

static void vnet_key(struct parser *ps, const char *key, const char *value)
{
	struct fp_cfg_vnet *v = ps->obj;
	long i;

	if (!strcmp(key, "address-space")) {
		struct fp_prefix p;

		if (fp_parse_prefix(value, &p))
			return bad_value(
				ps, key, value,
				"expected a prefix such as 198.19.1.0/24 "
				"with no host bits set");
		i = push_lined(ps, &v->spaces, &v->space_lines, &v->nspaces,
			       sizeof(*v->spaces));
		if (i >= 0)
			v->spaces[i] = p;
	} else if (!strcmp(key, "port")) {
		char name[IF_NAMESIZE];

		if (!copy(ps, key, value, name, sizeof(name)))
			return;
		i = push_lined(ps, &v->ports, &v->port_lines, &v->nports,
			       sizeof(*v->ports));
		if (i >= 0)
			memcpy(v->ports[i], name, sizeof(name));
	} else if (!strcmp(key, "peering")) {
		char why[64];
		const char *bad = name_problem(value, why, sizeof(why));

		if (bad)
			return bad_value(ps, key, value, bad);
		i = push_lined(ps, &v->peerings, &v->peering_lines,
			       &v->npeerings, sizeof(*v->peerings));
		if (i >= 0)
			snprintf(v->peerings[i], FP_NAME_MAX, "%s", value);
	} else if (!strcmp(key, "exclude")) {
		char class[32], prefix[FP_PREFIX_STRLEN + 1], extra[2];
		struct fp_cfg_excl *e;
		struct fp_prefix p;
		int cls;

		if (sscanf(value, "%31s %64s %1s", class, prefix, extra) != 2)
			return bad_value(ps, key, value,
					 "expected CLASS PREFIX");
		cls = fp_class_from_name(class);
		if (cls < 0)
			return bad_value(ps, key, value,
					 "unknown class (peering, basic-lb, "
					 "private-link, udr, other)");
		if (fp_parse_prefix(prefix, &p))
			return bad_value(
				ps, key, value,
				"expected a prefix with no host bits set");
		e = PUSH(ps, v->excls, v->nexcls);
		if (!e)
			return;
		e->line = ps->line;
		e->prefix = p;
		e->class = cls;
	} else if (!strcmp(key, "region")) {
		copy(ps, key, value, v->region, sizeof(v->region));
	} else if (!strcmp(key, "owner")) {
		copy(ps, key, value, v->owner, sizeof(v->owner));
	} else {
		unknown_key(ps, key);
	}
}

static void conn_key(struct parser *ps, const char *key, const char *value)
{
	struct fp_cfg_conn *c = ps->obj;

	if (!strcmp(key, "vnet")) {
		if (copy(ps, key, value, c->vnet, sizeof(c->vnet)))
			c->seen |= K_VNET;
	} else if (!strcmp(key, "circuit")) {
		if (copy(ps, key, value, c->circuit, sizeof(c->circuit)))
			c->seen |= K_CIRCUIT;
	} else if (!strcmp(key, "fastpath")) {
		if (parse_bool(value, &c->fastpath))
			bad_value(ps, key, value, "expected on or off");
	} else if (!strcmp(key, "authorization")) {
		c->auth_line = ps->line;
		if (strlen(value) != FP_AUTH_KEY_LEN ||
		    strspn(value, "0123456789abcdef-") != FP_AUTH_KEY_LEN)
			bad_value(ps, key, value,
				  "expected a key as `fastpath authorization "
				  "create` prints it");
		else
			copy(ps, key, value, c->authorization,
			     sizeof(c->authorization));
	} else {
		unknown_key(ps, key);
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *ps = user;

	/* The reader entered the section (libinih's copy may be cut short). */
	switch (ps->kind) {
	case S_NONE:
		fp_diag__add(ps->d, true, ps->line,
			     "%s = %s: outside any section", name, value);
		break;
	case S_GATEWAY:
		gateway_key(ps, name, value);
		break;
	case S_PORT:
		if (ps->obj)
			port_key(ps, name, value);
		break;
	case S_CIRCUIT:
		if (ps->obj)
			circuit_key(ps, name, value);
		break;
	case S_VNET:
		if (ps->obj)
			vnet_key(ps, name, value);
		break;
	case S_CONN:
		if (ps->obj)
			conn_key(ps, name, value);
		break;
	default:
		break; /* the section was reported */
	}
	return 1;
}

/* What every object must have once the file is read. */
static void check_required(struct fp_config *cfg, struct fp_diag *d)
{
	for (size_t i = 0; i < cfg->nports; i++) {
		struct fp_cfg_port *p = &cfg->ports[i];

		if (!(p->seen & K_UPLINK))
			fp_diag__add(d, true, p->line,
				     "port %s: no uplink (uplink = IFACE, the "
				     "interface the port arrives on)",
				     p->name);
		if (!(p->seen & K_SPEED))
			fp_diag__add(d, true, p->line,
				     "port %s: no speed (speed = 10G or 100G)",
				     p->name);
		if (!(p->seen & K_ENCAP))
			fp_diag__add(
				d, true, p->line,
				"port %s: no encapsulation (encapsulation "
				"= dot1q or qinq, as the port was created)",
				p->name);
	}
	for (size_t i = 0; i < cfg->ncircuits; i++) {
		struct fp_cfg_circuit *c = &cfg->circuits[i];

		/* A circuit on a port arrives on the port's uplink. */
		if (!(c->seen & K_UPLINK) && !c->port_line)
			fp_diag__add(d, true, c->line,
				     "circuit %s: no uplink (uplink = IFACE)",
				     c->name);
		if (!(c->seen & K_TYPE))
			fp_diag__add(
				d, true, c->line,
				"circuit %s: no type (type = direct or provider)",
				c->name);
		if (!(c->seen & K_BANDWIDTH))
			fp_diag__add(
				d, true, c->line,
				"circuit %s: no bandwidth (bandwidth = 10G)",
				c->name);
	}
	for (size_t i = 0; i < cfg->nconns; i++) {
		struct fp_cfg_conn *c = &cfg->conns[i];

		if (!(c->seen & K_VNET))
			fp_diag__add(d, true, c->line,
				     "connection %s: no vnet (vnet = NAME)",
				     c->name);
		if (!(c->seen & K_CIRCUIT))
			fp_diag__add(
				d, true, c->line,
				"connection %s: no circuit (circuit = NAME)",
				c->name);
	}
}

int fp_config__parse_string(struct fp_config *cfg, const char *name,
			    const char *text, struct fp_diag *d)
{
	struct parser ps = { .cfg = cfg, .d = d, .text = text };
	int line;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", name);
	/* Indented lines are values of their own, not continuations. */
	ini_allow_multiline = false;
	ini_inline_comment_prefixes = ";#";
	/*
	 * Debian builds libinih with its options as variables: its default
	 * line buffer (200 bytes on the stack) refused a long comment. One
	 * heap buffer per parse takes any line up to the limit.
	 */
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = FP_CONFIG_LINE_MAX + 3;
	ini_max_line = FP_CONFIG_LINE_MAX + 3;
	line = ini_parse_stream(reader, &ps, handler, &ps);
	if (ps.oom || line == -2)
		return -ENOMEM;
	/*
	 * read_line() reported each line libinih could not read; should
	 * they ever disagree, libinih's first is reported here.
	 */
	if (line > 0) {
		bool seen = false;

		for (size_t i = 0; i < d->n; i++)
			seen |= atoi(d->msg[i]) == line;
		if (!seen)
			fp_diag__add(d, true, line,
				     "not a [section] or a key = value line");
	}
	check_required(cfg, d);
	return 0;
}

int fp_config__parse_file(struct fp_config *cfg, const char *path,
			  struct fp_diag *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f, *mem;
	char buf[4096];
	size_t n;
	int err = 0;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		fp_diag__add(d, true, 0, "cannot read: %s", strerror(-err));
		return err;
	}
	mem = open_memstream(&text, &len);
	if (!mem) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	if (ferror(f))
		err = -EIO;
	fclose(f);
	if (fclose(mem))
		err = -ENOMEM;
	if (!err && strlen(text) != len) {
		fp_diag__add(d, true, 0, "binary data (a NUL byte)");
		err = -EINVAL;
	}
	if (!err)
		err = fp_config__parse_string(cfg, path, text, d);
	free(text);
	return err;
}

void fp_config__free(struct fp_config *cfg)
{
	for (size_t i = 0; i < cfg->nvnets; i++) {
		struct fp_cfg_vnet *v = &cfg->vnets[i];

		free(v->spaces);
		free(v->space_lines);
		free(v->ports);
		free(v->port_lines);
		free(v->peerings);
		free(v->peering_lines);
		free(v->excls);
	}
	free(cfg->ports);
	free(cfg->circuits);
	free(cfg->vnets);
	free(cfg->conns);
	memset(cfg, 0, sizeof(*cfg));
}

const struct fp_cfg_port *fp_config__port(const struct fp_config *cfg,
					  const char *name)
{
	for (size_t i = 0; i < cfg->nports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return &cfg->ports[i];
	return NULL;
}

const struct fp_cfg_circuit *fp_config__circuit(const struct fp_config *cfg,
						const char *name)
{
	for (size_t i = 0; i < cfg->ncircuits; i++)
		if (!strcmp(cfg->circuits[i].name, name))
			return &cfg->circuits[i];
	return NULL;
}

const struct fp_cfg_vnet *fp_config__vnet(const struct fp_config *cfg,
					  const char *name)
{
	for (size_t i = 0; i < cfg->nvnets; i++)
		if (!strcmp(cfg->vnets[i].name, name))
			return &cfg->vnets[i];
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A netlink dump read by two threads (nldump.h): a reader copies the
 * datagrams into chunks as recvmsg() returns them, the caller parses the
 * chunks the reader handed over, and takes back each one it is done
 * with. The reader stops at the datagram that ends the answer, found by
 * the same walk the parser makes, so nothing behind it is read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "log.h"
#include "nldump.h"

#define DUMP_BUF (64 << 10) /* the kernel's dump datagrams stay under 32 KB */
/*
 * The dump's datagrams go from the reader thread to the parser in
 * chunks: the kernel fills each datagram while the reader waits in
 * recvmsg(), and the parse of the ones before need not wait for it.
 * Four chunks of 256 KB, taken back as parsed: at a few datagrams a
 * chunk the hand-overs stay cheap, and the ring (1 MB) stays in the
 * cache between the copy in and the parse (150 MB pass through it at a
 * million routes).
 */
#define DUMP_CHUNK (256 << 10)
#define DUMP_CHUNKS 4

/* One datagram in a chunk, its bytes after it. */
struct dgram {
	ssize_t n; /* recvmsg()'s answer; -errno ends the chunk and the dump */
	int flags; /* msg_flags */
	__u32 pid; /* the sender's port: the kernel's is 0 */
};

/* Datagrams start 8-byte aligned in a chunk, as their header needs. */
#define DGRAM_ALIGN(len) (((len) + 7) & ~(size_t)7)
#define DGRAM_HDR DGRAM_ALIGN(sizeof(struct dgram))

/* A datagram's place in its chunk, header and bytes. */
static size_t dgram_size(const struct dgram *d)
{
	return DGRAM_HDR + DGRAM_ALIGN(d->n > 0 ? (size_t)d->n : 0);
}

struct dump_chunk {
	char *buf;
	size_t used;
	bool full; /* the reader's until then, the parser's after */
};

struct dump_reader {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	__u32 seq;
	struct dump_chunk c[DUMP_CHUNKS];
};

/*
 * Whether datagram nh (n bytes, from the kernel) ends the answer to seq:
 * the first message of ours that is NLMSG_DONE or NLMSG_ERROR, as the
 * parser (parse_dgram()) sees it.
 */
static bool ends_dump(const struct nlmsghdr *nh, ssize_t n, __u32 seq)
{
	for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n))
		if (nh->nlmsg_seq == seq && (nh->nlmsg_type == NLMSG_DONE ||
					     nh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/*
 * Hands chunk i over; unless it was the last, waits for the next one to
 * be free and gives it back empty.
 */
static struct dump_chunk *dump_pass_on(struct dump_reader *r, int *i, bool last)
{
	pthread_mutex_lock(&r->lock);
	r->c[*i].full = true;
	pthread_cond_broadcast(&r->cond);
	*i = (*i + 1) % DUMP_CHUNKS;
	while (!last && r->c[*i].full)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	if (last)
		return NULL;
	r->c[*i].used = 0;
	return &r->c[*i];
}

/*
 * Datagrams into chunks until the one that ends the dump, or an error of
 * recvmsg(), which goes into the chunk as the last datagram.
 */
static void *dump_reader_run(void *arg)
{
	struct dump_reader *r = arg;
	int i = 0;
	struct dump_chunk *c = &r->c[i];

	for (;;) {
		struct dgram *d;
		struct sockaddr_nl from = { 0 };
		struct iovec iov;
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1 };
		bool last;

		if (DUMP_CHUNK - c->used < DGRAM_HDR + DUMP_BUF)
			c = dump_pass_on(r, &i, false);
		d = (struct dgram *)(c->buf + c->used);
		iov = (struct iovec){ (char *)d + DGRAM_HDR, DUMP_BUF };
		d->n = recvmsg(r->fd, &mh, 0);
		if (d->n < 0 && errno == EINTR)
			continue;
		d->flags = mh.msg_flags;
		d->pid = from.nl_pid;
		if (d->n < 0) {
			d->n = -errno;
			last = true;
		} else {
			last = !d->pid &&
			       ends_dump((const struct nlmsghdr *)iov.iov_base,
					 d->n, r->seq);
		}
		c->used += dgram_size(d);
		if (last)
			break;
	}
	dump_pass_on(r, &i, true);
	return NULL;
}

static void dump_reader_free(struct dump_reader *r)
{
	for (int i = 0; i < DUMP_CHUNKS; i++)
		free(r->c[i].buf);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

static int dump_reader_start(struct dump_reader *r, int fd, __u32 seq)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->seq = seq;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	for (int i = 0; i < DUMP_CHUNKS; i++) {
		r->c[i].buf = malloc(DUMP_CHUNK);
		if (!r->c[i].buf) {
			dump_reader_free(r);
			return -ENOMEM;
		}
	}
	err = pthread_create(&r->thread, NULL, dump_reader_run, r);
	if (err) {
		pr_warn("sync: route dump: cannot start its reader thread: %s\n",
			strerror(err));
		dump_reader_free(r);
		return -err;
	}
	return 0;
}

/* The next chunk the reader filled; the one before goes back to it. */
static struct dump_chunk *dump_next(struct dump_reader *r, int *i, bool give)
{
	pthread_mutex_lock(&r->lock);
	if (give) {
		r->c[*i].full = false;
		pthread_cond_broadcast(&r->cond);
		*i = (*i + 1) % DUMP_CHUNKS;
	}
	while (!r->c[*i].full)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return &r->c[*i];
}

/*
 * One datagram of the answer to seq: 1 once the answer is complete (its
 * outcome in *err: 0, -EAGAIN when the kernel marked the dump interrupted,
 * or -errno), else 0.
 */
static int parse_dgram(__u32 seq, const struct dgram *d, fp_nldump_fn fn,
		       void *ctx, int *err, bool *intr)
{
	const struct nlmsghdr *nh =
		(const struct nlmsghdr *)((const char *)d + DGRAM_HDR);
	ssize_t n = d->n;

	if (n < 0) {
		*err = (int)n;
		return 1;
	}
	/* Only the kernel answers a dump. */
	if (d->pid != 0)
		return 0;
	if ((d->flags & MSG_TRUNC) && !*err) {
		pr_warn("sync: route dump: a datagram longer than %d bytes\n",
			DUMP_BUF);
		*err = -EMSGSIZE;
	}
	for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;
		if (nh->nlmsg_type == NLMSG_DONE) {
			*err = *err ? *err : *intr ? -EAGAIN : 0;
			return 1;
		}
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				*err = -EBADMSG;
			else if (!*err)
				*err = e->error ? e->error : -EPROTO;
			return 1;
		}
		if (!*err)
			fn(nh, ctx);
	}
	if (n && !*err && !(d->flags & MSG_TRUNC)) {
		pr_warn("sync: route dump: a message runs past its datagram\n");
		*err = -EBADMSG;
	}
	return 0;
}

int fp_nldump__read(int fd, __u32 seq, fp_nldump_fn fn, void *ctx)
{
	struct dump_reader r;
	struct dump_chunk *c = NULL;
	bool intr = false, done = false;
	int i = 0, err;

	err = dump_reader_start(&r, fd, seq);
	if (err)
		return err;
	while (!done) {
		c = dump_next(&r, &i, c != NULL);
		for (size_t off = 0; off < c->used && !done;) {
			const struct dgram *d =
				(const struct dgram *)(c->buf + off);

			done = parse_dgram(seq, d, fn, ctx, &err, &intr);
			off += dgram_size(d);
		}
	}
	pthread_join(r.thread, NULL);
	dump_reader_free(&r);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The threaded dump reader (fp_nldump__read) over a datagram socket pair
 * fed by a sender thread, as the kernel feeds a netlink socket: every
 * message of the request handed over once and in order however many
 * times the reader's chunks go round; other sequences skipped; the
 * answer's end, interruption, error, truncation and a message running
 * past its datagram each give their outcome; and the datagram queued
 * behind the answer stays unread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "nldump.h"

#define SEQ 7
#define MAX_DGRAMS 8192
#define PAYLOAD 76 /* bytes after each message's header: an id, then filler */

/* The datagrams the sender thread writes, in order. */
struct script {
	struct {
		char *buf;
		size_t len;
	} d[MAX_DGRAMS];
	int n;
	char cur[96 << 10]; /* the datagram being built */
	size_t used;
	int fd;
};

/* One message: our id, checked for order by the callback. */
static void add_msg(struct script *s, __u32 seq, __u16 type, __u16 flags,
		    __u32 id)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(s->cur + s->used);
	size_t len = NLMSG_LENGTH(PAYLOAD);

	assert_true(s->used + NLMSG_ALIGN(len) <= sizeof(s->cur));
	memset(nh, 0, NLMSG_ALIGN(len));
	nh->nlmsg_len = len;
	nh->nlmsg_type = type;
	nh->nlmsg_flags = flags | NLM_F_MULTI;
	nh->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(nh), &id, sizeof(id));
	memset((char *)NLMSG_DATA(nh) + sizeof(id), 0xa5, PAYLOAD - sizeof(id));
	s->used += NLMSG_ALIGN(len);
}

static void add_done(struct script *s, __u32 seq)
{
	add_msg(s, seq, NLMSG_DONE, 0, 0);
}

static void add_error(struct script *s, __u32 seq, int error)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(s->cur + s->used);
	struct nlmsgerr e = { .error = error };

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(e));
	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_flags = 0;
	nh->nlmsg_seq = seq;
	nh->nlmsg_pid = 0;
	memcpy(NLMSG_DATA(nh), &e, sizeof(e));
	s->used += NLMSG_ALIGN(nh->nlmsg_len);
}

/* Raw bytes into the datagram being built (filler for a long one). */
static void add_bytes(struct script *s, size_t len)
{
	assert_true(s->used + len <= sizeof(s->cur));
	memset(s->cur + s->used, 0, len);
	s->used += len;
}

static void end_dgram(struct script *s)
{
	assert_true(s->n < MAX_DGRAMS);
	s->d[s->n].buf = malloc(s->used);
	assert_non_null(s->d[s->n].buf);
	memcpy(s->d[s->n].buf, s->cur, s->used);
	s->d[s->n++].len = s->used;
	s->used = 0;
}

static void *send_all(void *arg)
{
	struct script *s = arg;

	for (int i = 0; i < s->n; i++)
		if (send(s->fd, s->d[i].buf, s->d[i].len, 0) !=
		    (ssize_t)s->d[i].len)
			return (void *)1;
	return NULL;
}

/* What the callback saw. */
struct seen {
	bool slow; /* now and then a pause: the reader fills every chunk */
	__u32 next; /* the id expected next */
	unsigned long n, out_of_order, foreign;
};

static void on_msg(const struct nlmsghdr *nh, void *ctx)
{
	struct seen *v = ctx;
	__u32 id;

	if (nh->nlmsg_seq != SEQ || nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len != NLMSG_LENGTH(PAYLOAD)) {
		v->foreign++;
		return;
	}
	memcpy(&id, NLMSG_DATA(nh), sizeof(id));
	if (id != v->next)
		v->out_of_order++;
	v->next = id + 1;
	v->n++;
	if (v->slow && v->n % 40000 == 0)
		usleep(20000);
}

/*
 * Plays the script into one end of a socket pair, with one more datagram
 * of `trailer` bytes behind it, and reads the other end. The reader's
 * outcome; *left: the length of the datagram left in the socket after.
 */
static int play(struct script *s, struct seen *v, ssize_t *left)
{
	int sv[2], err;
	pthread_t t;
	void *ret;
	char buf[256];

	check_int("socketpair", 0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	/* The trailer: the answer to the socket's next request. */
	add_msg(s, SEQ + 1, RTM_NEWROUTE, 0, 0);
	end_dgram(s);
	s->fd = sv[1];
	check_int("pthread_create", 0, pthread_create(&t, NULL, send_all, s));
	err = fp_nldump__read(sv[0], SEQ, on_msg, v);
	check_int("pthread_join", 0, pthread_join(t, &ret));
	check_true("the sender wrote every datagram", ret == NULL);
	*left = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	for (int i = 0; i < s->n; i++)
		free(s->d[i].buf);
	s->n = 0;
	close(sv[0]);
	close(sv[1]);
	return err;
}

static struct script *script_new(void)
{
	struct script *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

/*
 * 4,000 datagrams of 100 messages, 30 MB, the reader's chunks round many
 * times, and the parser now and then slower than the reader; a message of another sequence in every seventh datagram and a
 * whole datagram of one every eleventh; the end in the last datagram
 * with its messages.
 */
static void test_long_dump(void **state)
{
	struct script *s = script_new();
	struct seen v = { 0 };
	ssize_t left;
	__u32 id = 0;

	(void)state;
	for (int d = 0; d < 4000; d++) {
		if (d % 11 == 5) {
			for (int m = 0; m < 50; m++)
				add_msg(s, SEQ - 1, RTM_NEWROUTE, 0, 999);
			end_dgram(s);
		}
		for (int m = 0; m < 100; m++) {
			add_msg(s, SEQ, RTM_NEWROUTE, 0, id++);
			if (d % 7 == 3 && m == 50)
				add_msg(s, SEQ + 3, RTM_NEWROUTE, 0, 999);
		}
		if (d == 3999)
			add_done(s, SEQ);
		end_dgram(s);
	}
	v.slow = true;
	check_int("outcome", 0, play(s, &v, &left));
	check_int("messages handed over", id, v.n);
	check_int("messages out of order", 0, v.out_of_order);
	check_int("messages of another sequence handed over", 0, v.foreign);
	check_int("the datagram behind the answer, still unread",
		  NLMSG_LENGTH(PAYLOAD), left);
	free(s);
}

/*
 * Plays s (then frees it): the outcome rc, n messages handed over (what:
 * which), and the datagram behind the answer left unread.
 */
static void expect_answer(struct script *s, int rc, __u32 n, const char *what)
{
	struct seen v = { 0 };
	ssize_t left;

	check_int("outcome", rc, play(s, &v, &left));
	check_int(what, n, v.n);
	check_int("the datagram behind the answer, still unread",
		  NLMSG_LENGTH(PAYLOAD), left);
	free(s);
}

/* An interrupted dump is read to its end, then reported. */
static void test_interrupted(void **state)
{
	struct script *s = script_new();
	__u32 id = 0;

	(void)state;
	for (int d = 0; d < 50; d++) {
		for (int m = 0; m < 100; m++)
			add_msg(s, SEQ, RTM_NEWROUTE,
				d == 20 && m == 3 ? NLM_F_DUMP_INTR : 0, id++);
		end_dgram(s);
	}
	add_done(s, SEQ);
	end_dgram(s);
	expect_answer(s, -EAGAIN, id, "messages handed over");
}

/* The request's error ends the answer: that error, nothing after it read. */
static void test_error(void **state)
{
	struct script *s = script_new();

	(void)state;
	for (__u32 id = 0; id < 10; id++)
		add_msg(s, SEQ, RTM_NEWROUTE, 0, id);
	end_dgram(s);
	add_error(s, SEQ - 1, -ENOENT); /* another request's: skipped */
	add_error(s, SEQ, -EPERM);
	end_dgram(s);
	expect_answer(s, -EPERM, 10, "messages handed over");
}

/*
 * A datagram longer than the reader's buffer: -EMSGSIZE, no message from
 * it on, yet read up to the end of the answer.
 */
static void test_truncated(void **state)
{
	struct script *s = script_new();

	(void)state;
	for (__u32 id = 0; id < 10; id++)
		add_msg(s, SEQ, RTM_NEWROUTE, 0, id);
	end_dgram(s);
	add_msg(s, SEQ, RTM_NEWROUTE, 0, 10);
	add_bytes(s, 70 << 10);
	end_dgram(s);
	add_msg(s, SEQ, RTM_NEWROUTE, 0, 11);
	end_dgram(s);
	add_done(s, SEQ);
	end_dgram(s);
	expect_answer(s, -EMSGSIZE, 10,
		      "messages handed over (those before the long datagram)");
}

/* A message running past its datagram: -EBADMSG, read to the end. */
static void test_past_datagram(void **state)
{
	struct script *s = script_new();
	struct nlmsghdr *nh;

	(void)state;
	for (__u32 id = 0; id < 5; id++)
		add_msg(s, SEQ, RTM_NEWROUTE, 0, id);
	nh = (struct nlmsghdr *)(s->cur + s->used);
	add_msg(s, SEQ, RTM_NEWROUTE, 0, 5);
	nh->nlmsg_len += 8;
	end_dgram(s);
	add_msg(s, SEQ, RTM_NEWROUTE, 0, 6);
	add_done(s, SEQ);
	end_dgram(s);
	expect_answer(s, -EBADMSG, 5,
		      "messages handed over (those before the bad one)");
}

/* recvmsg() failing: its errno, at once. */
static void test_not_a_socket(void **state)
{
	struct seen v = { 0 };
	int p[2];

	(void)state;
	check_int("pipe", 0, pipe(p));
	check_int("outcome", -ENOTSOCK, fp_nldump__read(p[0], SEQ, on_msg, &v));
	check_int("messages handed over", 0, v.n);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_dump),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_past_datagram),
		cmocka_unit_test(test_not_a_socket),
	};

	return cmocka_run_group_tests_name("nldump", tests, NULL, NULL);
}

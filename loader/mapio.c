// SPDX-License-Identifier: GPL-2.0
/* Map-full errors, classified once (see mapio.h). */
#include <errno.h>
#include <string.h>

#include "mapio.h"

bool fp_map__full(int err)
{
	return err == -E2BIG || err == -ENOSPC || err == -ENOMEM;
}

const char *fp_map__strerror(int err)
{
	return fp_map__full(err) ? "map is full" : strerror(-err);
}

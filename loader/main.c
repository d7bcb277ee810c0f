// SPDX-License-Identifier: GPL-2.0
#include "commands.h"

int main(int argc, char **argv)
{
	return fp_cli__run(argc, argv);
}

/* staffctl: administer the practice staff directory over staffd's socket. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sodium.h>

#include "staffctl.h"

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.timeout_ms = CTL_DEFAULT_TIMEOUT_MS,
		.interactive = isatty(STDIN_FILENO) == 1,
		.in = stdin,
		.in_fd = STDIN_FILENO,
		.tty = "/dev/tty",
		.out = stdout,
		.err = stderr,
	};

	/* Before the first JSON value exists, so every one is wiped when freed. */
	ctl_json_wipe_on_free();
	if (sodium_init() < 0) {
		fputs("staffctl: cannot initialise libsodium\n", stderr);
		return CTL_EXIT_LOCAL;
	}
	return ctl_main(&ctl, argc, argv, getenv("STAFFD_SOCKET"));
}

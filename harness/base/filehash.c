/* The SHA-256 of a file (Nettle), so that a results file names exactly
 * which build of a run-time workload (a plug-in, a Python file) ran. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

#include "base/filehash.h"

int cb_file_sha256(const char *path, char hex[CB_SHA256_HEX], cb_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return cb_error_set(err, CB_EXIT_USAGE, "cannot read '%s': %s", path, strerror(errno));
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	unsigned char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sha256_update(&ctx, n, buf);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return cb_error_set(err, CB_EXIT_USAGE, "cannot read '%s'", path);
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&ctx, sizeof d, d);
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

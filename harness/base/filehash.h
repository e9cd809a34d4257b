/* A file's SHA-256, for results that record which file ran. */
#ifndef CB_FILEHASH_H
#define CB_FILEHASH_H

#include "base/common.h"

#define CB_SHA256_HEX 65   /* 64 hex digits and the NUL */

/* 0, or -1 with CB_EXIT_USAGE naming the path when it cannot be read. */
int cb_file_sha256(const char *path, char hex[CB_SHA256_HEX], cb_error *err);

#endif

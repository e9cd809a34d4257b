/* This binary's build (build.h): the values CMake wrote into
 * cb_build_info.h when it configured the build folder. */
#include "base/build.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/common.h"
#include "cb_build_info.h"

const cb_build_info *cb_build_self(void)
{
	static const cb_build_info self = { CB_BUILD_TYPE, CB_BUILD_CFLAGS, CB_BUILD_SANITIZERS, CB_BUILD_COMPILER };
	return &self;
}

json_t *cb_build_json(const cb_build_info *b)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "type", b->type, "cflags", b->cflags, "sanitizers",
	                 b->sanitizers, "compiler", b->compiler);
}

/* -O1, -O2, -O3, -Os, -Ofast, -Og: any -O but -O0 ("-O" alone is -O1). */
static bool optimised(const char *flags)
{
	bool on = false;
	for (const char *p = flags; (p = strstr(p, "-O")); p += 2)
		if (p == flags || p[-1] == ' ')
			on = p[2] != '0';
	return on;
}

char *cb_build_warning(const cb_build_info *b)
{
	bool debug = b->type && !strcasecmp(b->type, "Debug");
	bool sanitized = b->sanitizers && *b->sanitizers;
	bool unoptimised = b->cflags && !optimised(b->cflags);
	if (!debug && !sanitized && !unoptimised)
		return NULL;
	return cb_xasprintf("this concbench is a %s build (%s%s%s%s): its timings are not the optimised "
	                    "code's; scripts/bench builds and runs a Release build in build/",
	                    b->type && *b->type ? b->type : "custom",
	                    b->cflags && *b->cflags ? b->cflags : "no optimisation flags",
	                    sanitized ? ", sanitizers " : "", sanitized ? b->sanitizers : "",
	                    unoptimised && !debug ? ", no -O" : "");
}

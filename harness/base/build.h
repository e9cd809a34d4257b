/* What this binary is: its build type, optimisation flags, sanitizers and
 * compiler, baked in when CMake configured it. results.json records them
 * (top-level "build"), and run and the report warn in one line when the
 * timings come from a build that is not the optimised code: a Debug build,
 * one without -O, or one with sanitizers. */
#ifndef CB_BUILD_H
#define CB_BUILD_H

#include <jansson.h>

typedef struct cb_build_info {
	const char *type;        /* CMAKE_BUILD_TYPE: "Release", "Debug", ... */
	const char *cflags;      /* the C flags of that type: "-O3 -DNDEBUG" */
	const char *sanitizers;  /* "address,undefined", "thread", or "" */
	const char *compiler;    /* "GNU 12.2.0" */
} cb_build_info;

/* This binary's. */
const cb_build_info *cb_build_self(void);
/* {"type", "cflags", "sanitizers", "compiler"}: a new reference. */
json_t *cb_build_json(const cb_build_info *b);
/* A build whose timings are not the optimised code's, as a sentence
 * (malloc'ed), or NULL. Unknown fields (NULL) are not blamed. */
char *cb_build_warning(const cb_build_info *b);

#endif

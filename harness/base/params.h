/* Typed parameters with per-size defaults, shared by workloads (cpu.primes
 * n=...) and strategies (coroutines stack=...). `--param key=value` values
 * are parsed against the spec; the spec also feeds `concbench list -v`. */
#ifndef CB_PARAMS_H
#define CB_PARAMS_H

#include "base/common.h"

typedef enum { CB_SIZE_TINY, CB_SIZE_QUICK, CB_SIZE_DEFAULT, CB_SIZE_LARGE, CB_NSIZES } cb_size;
extern const char *const cb_size_names[CB_NSIZES];
int cb_size_parse(const char *s, cb_size *out, cb_error *err);

typedef enum {
	CB_PARAM_INT,    /* integer */
	CB_PARAM_REAL,   /* double */
	CB_PARAM_TIME,   /* duration, stored in seconds: "10ms", "50us" */
	CB_PARAM_BYTES,  /* size, stored in bytes: "64k", "1M" */
	CB_PARAM_ENUM,   /* one of choices, stored as its index */
	CB_PARAM_MEASURED, /* a number measured on this machine at setup (a
	                      calibration) unless given: recorded apart in the
	                      results and not part of what makes two cells the
	                      same cell, so runs on different days still match */
} cb_param_type;

typedef struct cb_param_spec {
	const char *name;
	cb_param_type type;
	const char *dflt[CB_NSIZES];  /* default per size, as text */
	double min, max;              /* inclusive range, not for enums */
	const char *choices;          /* enums: "mutex|spin|atomic|sharded" */
	const char *help;
} cb_param_spec;

/* One --param key=value as given on the command line. */
typedef struct cb_kv { const char *key, *value; } cb_kv;

/* Values of one spec at one size, after --param overrides. */
typedef struct cb_params {
	const cb_param_spec *spec;
	size_t n;
	double *v;    /* [n] */
	char **text;  /* [n] canonical text of each value (for results) */
} cb_params;

/* Fills p from the spec's defaults at `size`, then applies every kv whose
 * key is in the spec (marking used[i] for each kv consumed; used may be
 * NULL). A value that does not parse or is out of range is CB_EXIT_USAGE
 * naming the parameter and its valid values. */
int cb_params_init(cb_params *p, const cb_param_spec *spec, size_t n, cb_size size,
                   const cb_kv *kv, size_t nkv, bool *used, const char *owner,
                   cb_error *err);
void cb_params_free(cb_params *p);
/* Value by name; aborts on an unknown name (a programming error). */
double cb_params_get(const cb_params *p, const char *name);
const char *cb_params_text(const cb_params *p, const char *name);
/* Replaces a value after setup (a calibration the workload measured), so
 * that the parameters keep describing the job completely: another process
 * given the same values builds the same job. Aborts on an unknown name. */
void cb_params_set(cb_params *p, const char *name, double v);
/* Replaces the recorded text of a parameter, for a workload that resolves
 * a value such as bytes=0 (auto) at setup: the results then show what ran. */
void cb_params_set_text(cb_params *p, const char *name, const char *text);
/* "name=value name=value" (for cell ids and the table). */
void cb_params_format(const cb_params *p, char *buf, size_t len);
/* Describes one spec line for `list -v`. */
void cb_param_describe(const cb_param_spec *s, FILE *f);

#endif

/* Typed parameters with per-size defaults, shared by workloads (cpu.primes
 * n=...) and strategies (coroutines stack=...). `--param key=value` values
 * are parsed against the spec; the spec also feeds `concbench list -v`. */
#ifndef CB_PARAMS_H
#define CB_PARAMS_H

#include "base/common.h"

/* cb_size, cb_param_type, cb_param_spec and cb_params are part of the
 * workload contract (include/concbench/workload.h). */
extern const char *const cb_size_names[CB_NSIZES];
int cb_size_parse(const char *s, cb_size *out, cb_error *err);

/* One --param key=value as given on the command line. */
typedef struct cb_kv { const char *key, *value; } cb_kv;

/* Fills p from the spec's defaults at `size`, then applies every kv whose
 * key is in the spec (marking used[i] for each kv consumed; used may be
 * NULL). A value that does not parse or is out of range is CB_EXIT_USAGE
 * naming the parameter and its valid values. */
int cb_params_init(cb_params *p, const cb_param_spec *spec, size_t n, cb_size size,
                   const cb_kv *kv, size_t nkv, bool *used, const char *owner,
                   cb_error *err);
void cb_params_free(cb_params *p);
/* cb_params_get and cb_params_text (by name; abort on an unknown name, a
 * programming error) are inline in the workload contract. */
/* Replaces a value after setup (a calibration the workload measured), so
 * that the parameters keep describing the job completely: another process
 * given the same values builds the same job. Aborts on an unknown name. */
void cb_params_set(cb_params *p, const char *name, double v);
/* Replaces a parameter by its text (parsed as the spec says; aborts on
 * text the spec refuses), for a workload that resolves a value such as
 * bytes=0 (auto) at setup: the results then show what ran, and a process
 * that rebuilds the job (a measuring process, an MPI rank) builds the
 * same one instead of resolving "auto" again on its own. */
void cb_params_set_text(cb_params *p, const char *name, const char *text);
/* "name=value name=value" (for cell ids and the table). */
void cb_params_format(const cb_params *p, char *buf, size_t len);
/* Describes one spec line for `list -v`. */
void cb_param_describe(const cb_param_spec *s, FILE *f);

#endif

/* Typed parameters with per-size defaults (see params.h): parsing and
 * validation of --param values against a spec, shared by workloads and
 * strategies so that every parameter error reads the same. */
#include "base/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cb_size_names[CB_NSIZES] = { "tiny", "quick", "default", "large" };

int cb_size_parse(const char *s, cb_size *out, cb_error *err)
{
	for (int i = 0; i < CB_NSIZES; i++)
		if (!strcmp(s, cb_size_names[i])) {
			*out = (cb_size)i;
			return 0;
		}
	return cb_error_set(err, CB_EXIT_USAGE, "unknown size '%s' (known: tiny, quick, default, large)", s);
}

static int choice_index(const char *choices, const char *v)
{
	size_t len = strlen(v);
	int idx = 0;
	for (const char *p = choices; *p; idx++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && !strncmp(p, v, n))
			return idx;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

static const char *type_hint(const cb_param_spec *s)
{
	switch (s->type) {
	case CB_PARAM_INT: return "an integer";
	case CB_PARAM_REAL:
	case CB_PARAM_MEASURED: return "a number";
	case CB_PARAM_TIME: return "a duration such as 10ms, 50us, 1.5s";
	case CB_PARAM_BYTES: return "a size such as 512, 64k, 1M";
	case CB_PARAM_ENUM: return "one of the choices";
	}
	return "a value";
}

static void format_value(const cb_param_spec *s, double v, char *buf, size_t n)
{
	switch (s->type) {
	case CB_PARAM_INT: snprintf(buf, n, "%.0f", v); break;
	case CB_PARAM_TIME:
		if (v != 0 && fabs(v) < 1e-6) snprintf(buf, n, "%gns", v * 1e9);
		else if (v != 0 && fabs(v) < 1e-3) snprintf(buf, n, "%gus", v * 1e6);
		else if (v != 0 && fabs(v) < 1) snprintf(buf, n, "%gms", v * 1e3);
		else snprintf(buf, n, "%gs", v);
		break;
	case CB_PARAM_BYTES: {
		/* "16M", "1T": the largest binary suffix that divides exactly. */
		static const char suffix[] = "kMGT";
		int k = -1;
		while (k < 3 && v >= 1024 && fmod(v, 1024) == 0) {
			v /= 1024;
			k++;
		}
		if (k >= 0) snprintf(buf, n, "%.0f%c", v, suffix[k]);
		else snprintf(buf, n, "%.0f", v);
		break;
	}
	default: snprintf(buf, n, "%g", v); break;
	}
}

static void describe_range(const cb_param_spec *s, char *buf, size_t n)
{
	if (s->type == CB_PARAM_ENUM) {
		snprintf(buf, n, "%s", s->choices);
		return;
	}
	char lo[32], hi[32];
	format_value(s, s->min, lo, sizeof lo);
	format_value(s, s->max, hi, sizeof hi);
	snprintf(buf, n, "%s in [%s, %s]", type_hint(s), lo, hi);
}

static int parse_value(const cb_param_spec *s, const char *text, double *v, const char *owner,
                       cb_error *err)
{
	int bad = 0;
	switch (s->type) {
	case CB_PARAM_INT: {
		double d;
		bad = cb_parse_double(text, &d) || d != floor(d);
		*v = d;
		break;
	}
	case CB_PARAM_REAL:
	case CB_PARAM_MEASURED: bad = cb_parse_double(text, v); break;
	case CB_PARAM_TIME: bad = cb_parse_duration(text, v); break;
	case CB_PARAM_BYTES: bad = cb_parse_bytes(text, v); break;
	case CB_PARAM_ENUM: {
		int i = choice_index(s->choices, text);
		bad = i < 0;
		*v = i;
		break;
	}
	}
	if (!bad && s->type != CB_PARAM_ENUM && (*v < s->min || *v > s->max))
		bad = 1;
	if (bad) {
		char range[160];
		describe_range(s, range, sizeof range);
		return cb_error_set(err, CB_EXIT_USAGE, "invalid value '%s' for parameter '%s' of %s (valid: %s)",
		                    text, s->name, owner, range);
	}
	return 0;
}

/* "name", or "owner:name" for one workload or strategy only
 * (--param cpu.primes:n=2e6). */
static bool key_matches(const char *key, const char *name, const char *owner)
{
	const char *colon = strrchr(key, ':');
	if (!colon)
		return !strcmp(key, name);
	return owner && strlen(owner) == (size_t)(colon - key) && !strncmp(key, owner, (size_t)(colon - key)) &&
	       !strcmp(colon + 1, name);
}

int cb_params_init(cb_params *p, const cb_param_spec *spec, size_t n, cb_size size,
                   const cb_kv *kv, size_t nkv, bool *used, const char *owner, cb_error *err)
{
	memset(p, 0, sizeof *p);
	p->spec = spec;
	p->n = n;
	p->v = cb_xcalloc(n, sizeof *p->v);
	p->text = cb_xcalloc(n, sizeof *p->text);
	for (size_t i = 0; i < n; i++) {
		const char *text = spec[i].dflt[size];
		for (size_t k = 0; k < nkv; k++)
			if (key_matches(kv[k].key, spec[i].name, owner)) {
				text = kv[k].value;   /* the last one given wins */
				if (used)
					used[k] = true;
			}
		if (parse_value(&spec[i], text, &p->v[i], owner, err))
			goto fail;
		p->text[i] = cb_xstrdup(text);
	}
	return 0;
fail:
	cb_params_free(p);
	return -1;
}

void cb_params_free(cb_params *p)
{
	if (p->text)
		for (size_t i = 0; i < p->n; i++)
			free(p->text[i]);
	free(p->text);
	free(p->v);
	memset(p, 0, sizeof *p);
}

void cb_params_set(cb_params *p, const char *name, double v)
{
	size_t i = cb_params_index(p, name);
	p->v[i] = v;
	free(p->text[i]);
	p->text[i] = cb_xasprintf("%.17g", v);
}

void cb_params_set_text(cb_params *p, const char *name, const char *text)
{
	size_t i = cb_params_index(p, name);
	/* The value follows the text: a process that rebuilds the job from
	 * these parameters must get the resolved value, not the auto 0 again. */
	cb_error err = { 0 };
	if (parse_value(&p->spec[i], text, &p->v[i], "cb_params_set_text", &err)) {
		fprintf(stderr, "concbench: internal error: %s\n", err.msg);
		abort();
	}
	free(p->text[i]);
	p->text[i] = cb_xstrdup(text);
}

void cb_params_format(const cb_params *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < p->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? " " : "",
		                        p->spec[i].name, p->text[i]);
}

void cb_param_describe(const cb_param_spec *s, FILE *f)
{
	char range[160];
	describe_range(s, range, sizeof range);
	fprintf(f, "      %-10s %s\n", s->name, s->help);
	fprintf(f, "      %-10s valid: %s; default %s (tiny %s, quick %s, large %s)\n", "",
	        range, s->dflt[CB_SIZE_DEFAULT], s->dflt[CB_SIZE_TINY], s->dflt[CB_SIZE_QUICK],
	        s->dflt[CB_SIZE_LARGE]);
}

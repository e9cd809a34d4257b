/* Workloads loaded at run time: a C plug-in (a shared object exporting one
 * descriptor built against include/concbench/workload.h), checked for its
 * ABI and sanity before the plan trusts it, and the table of every
 * workload loaded so far (plug-ins and Python files), with the file each
 * came from and its SHA-256 for the results. Loading happens in the
 * parent before anything forks, so every measuring process, pool worker
 * and hybrid process inherits the mapping; mpi ranks load the same path. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/workload.h"

#define MAX_LOADED 32

typedef struct loaded {
	cb_workload wl;          /* the engine's copy, post defaulted */
	cb_workload_origin origin;
	void *handle;
} loaded;

static loaded *table[MAX_LOADED];
static int nloaded;

const cb_workload_origin *cb_workload_origin_of(const cb_workload *wl)
{
	for (int i = 0; i < nloaded; i++)
		if (&table[i]->wl == wl)
			return &table[i]->origin;
	return NULL;
}

const cb_workload *cb_loaded_find(const char *name)
{
	for (int i = 0; i < nloaded; i++)
		if (!strcmp(table[i]->wl.name, name))
			return &table[i]->wl;
	return NULL;
}

static const cb_workload *loaded_by_item(const char *item)
{
	for (int i = 0; i < nloaded; i++)
		if (!strcmp(table[i]->origin.item, item))
			return &table[i]->wl;
	return NULL;
}

static bool builtin_name(const char *name)
{
	for (const cb_workload *const *w = cb_workloads; *w; w++)
		if (!strcmp((*w)->name, name))
			return true;
	return false;
}

/* A name must survive cell ids ("NAME/threads/n2/..."), --param NAME:KEY
 * and file names: letters, digits, '.', '_', '-'. */
static bool valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Parameters: named, unique, and every size's default valid, so that a
 * plug-in's mistake is found when it is loaded rather than in a cell. */
static int check_params(const cb_workload *wl, const char *path, cb_error *err)
{
	if (wl->nparams && !wl->params)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': nparams is %zu but params is NULL", path,
		                    wl->nparams);
	if (wl->nparams > 256)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': %zu parameters (at most 256)", path, wl->nparams);
	for (size_t i = 0; i < wl->nparams; i++) {
		const cb_param_spec *s = &wl->params[i];
		if (!valid_name(s->name) || strchr(s->name, ':') || strchr(s->name, '='))
			return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': parameter %zu has no valid name "
			                    "(letters, digits, '.', '_', '-')", path, i);
		if (s->type > CB_PARAM_MEASURED || (s->type == CB_PARAM_ENUM && !s->choices))
			return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': parameter '%s' has an unknown type "
			                    "or an enum without choices", path, s->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(wl->params[j].name, s->name))
				return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': parameter '%s' is declared twice",
				                    path, s->name);
		for (int z = 0; z < CB_NSIZES; z++)
			if (!s->dflt[z])
				return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': parameter '%s' has no default "
				                    "for size %s", path, s->name, cb_size_names[z]);
	}
	for (int z = 0; z < CB_NSIZES; z++) {
		cb_params p = { 0 };
		cb_error e = { 0 };
		int rc = cb_params_init(&p, wl->params, wl->nparams, (cb_size)z, NULL, 0, NULL, wl->name, &e);
		cb_params_free(&p);
		if (rc)
			return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s': default at size %s: %s", path,
			                    cb_size_names[z], e.msg);
	}
	return 0;
}

static int check_descriptor(const cb_workload *d, const char *path, cb_error *err)
{
	if (d->abi != CB_WORKLOAD_ABI)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' was built against workload ABI %u, "
		                    "this concbench has ABI %d (rebuild it against this concbench's "
		                    "include/concbench/workload.h)", path, d->abi, CB_WORKLOAD_ABI);
	if (!valid_name(d->name))
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' has no valid name (1-63 letters, digits, "
		                    "'.', '_', '-')", path);
	if (!d->task)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' (%s) has no task function", path, d->name);
	if (!d->setup)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' (%s) has no setup function (it sets "
		                    "job->ntasks)", path, d->name);
	if ((unsigned)d->kind >= CB_NKINDS)
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' (%s) has an unknown kind %d (valid: 0-%d)",
		                    path, d->name, (int)d->kind, CB_NKINDS - 1);
	if (builtin_name(d->name) || cb_loaded_find(d->name))
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' is called '%s', which is already taken "
		                    "(rename its descriptor)", path, d->name);
	return check_params(d, path, err);
}

const cb_workload *cb_loaded_add(const cb_workload *wl, const cb_workload_origin *origin, void *handle)
{
	if (nloaded == MAX_LOADED)
		return NULL;
	loaded *l = cb_xcalloc(1, sizeof *l);
	l->wl = *wl;
	if (!l->wl.post)
		l->wl.post = cb_partials_hash;
	if (!l->wl.summary)
		l->wl.summary = "";
	if (!l->wl.checksum)
		l->wl.checksum = "an ordered hash of every task's partial";
	l->origin = *origin;
	l->handle = handle;
	table[nloaded++] = l;
	return &l->wl;
}

/* dlopen's message for a file that is not an ELF shared object names the
 * path twice; the first line of it is enough. */
static const char *dl_reason(void)
{
	const char *e = dlerror();
	if (!e)
		return "unknown reason";
	const char *colon = strrchr(e, ':');
	return colon && colon[1] == ' ' ? colon + 2 : e;
}

int cb_plugin_load(const char *path, const cb_workload **out, cb_error *err)
{
	char abs[PATH_MAX];
	struct stat st;
	if (stat(path, &st))
		return cb_error_set(err, CB_EXIT_USAGE, "cannot open plug-in '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' is not a regular file", path);
	if (!realpath(path, abs))
		return cb_error_set(err, CB_EXIT_USAGE, "cannot resolve plug-in '%s': %s", path, strerror(errno));
	if ((*out = loaded_by_item(abs)))
		return 0;
	char sha[CB_SHA256_HEX];
	if (cb_file_sha256(abs, sha, err))
		return -1;
	/* RTLD_NOW: an unresolved symbol fails here, not in the middle of a
	 * cell; RTLD_LOCAL: two plug-ins may define the same helpers. */
	dlerror();
	void *h = dlopen(abs, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return cb_error_set(err, CB_EXIT_USAGE, "'%s' is not a loadable shared object (%s)", path,
		                    dl_reason());
	dlerror();
	const cb_workload *d = dlsym(h, CB_WORKLOAD_SYMBOL);
	if (!d) {
		dlclose(h);
		return cb_error_set(err, CB_EXIT_USAGE, "plug-in '%s' has no symbol '%s' (define it with "
		                    "CB_WORKLOAD_EXPORT from concbench/workload.h)", path, CB_WORKLOAD_SYMBOL);
	}
	if (check_descriptor(d, path, err)) {
		dlclose(h);
		return -1;
	}
	cb_workload_origin o = { .gil = -1 };
	snprintf(o.kind, sizeof o.kind, "plugin");
	snprintf(o.item, sizeof o.item, "%s", abs);
	snprintf(o.path, sizeof o.path, "%s", abs);
	memcpy(o.sha256, sha, sizeof o.sha256);
	if (!(*out = cb_loaded_add(d, &o, h))) {
		dlclose(h);
		return cb_error_set(err, CB_EXIT_USAGE, "too many plug-ins (at most %d)", MAX_LOADED);
	}
	return 0;
}

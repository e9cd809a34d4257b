/* Python workloads (-w py:FILE.py): an embedded CPython runs a user's file
 * that defines setup(params) -> ntasks, task(i) -> partial and optionally
 * post(partials) -> checksum, behind the same descriptor as any workload.
 *
 * One interpreter per process; every call into Python attaches a thread
 * state of its own and takes the GIL for the call's length:
 *   - threads, threadpool: the workers share that interpreter, so CPU-bound
 *     tasks take turns on the GIL, and a wait that releases it (time.sleep,
 *     concbench.sleep) overlaps;
 *   - processes, processpool, hybrid, and the runner's measuring process:
 *     fork copies the interpreter, and fork handlers do what os.fork does
 *     (PyOS_BeforeFork / AfterFork_Parent / AfterFork_Child with the GIL
 *     held by the forking thread), so the child's interpreter is sound;
 *   - mpi: every rank loads the file itself;
 *   - coroutines: a task's thread state is its own, so concbench.sleep can
 *     release the GIL, detach it and yield on the scheduler's I/O interface;
 *     the next coroutine on that thread attaches its own. time.sleep there
 *     blocks the event loop, as it does in asyncio. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/workload.h"

#define MAX_FILES 16

const char *const cb_python_status = "CPython " PY_VERSION;

typedef struct pyfile {
	const cb_workload *wl;   /* as registered */
	PyObject *setup, *task, *post, *teardown;  /* owned, post/teardown may be NULL */
	cb_param_spec *spec;
	size_t nspec;
	char name[64], summary[256], checksum[256];
} pyfile;

static pyfile files[MAX_FILES];
static int nfiles;
static PyInterpreterState *interp;
static PyThreadState *fork_ts;
static __thread cb_io *current_io;   /* the task's, for concbench.sleep */
static int open_jobs;                 /* Python jobs set up in this process */
static __thread int held;             /* this thread is inside enter() */
static __thread bool fork_plain;      /* this fork skipped the handlers */

/* Attaches a fresh thread state and takes the GIL: any thread, any
 * coroutine, each its own, so that suspended Python frames never share
 * one. */
static PyThreadState *enter(void)
{
	PyThreadState *ts = PyThreadState_New(interp);
	PyEval_RestoreThread(ts);
	held++;
	return ts;
}

static void leave(PyThreadState *ts)
{
	held--;
	PyThreadState_Clear(ts);
	PyThreadState_DeleteCurrent();
}

/* "ValueError: ..." from the pending exception, which is cleared. */
static void exception_text(char *buf, size_t n)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	const char *tname = type ? ((PyTypeObject *)type)->tp_name : "error";
	PyObject *s = value ? PyObject_Str(value) : NULL;
	const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
	if (!text)
		PyErr_Clear();
	snprintf(buf, n, "%s%s%s", tname, text && *text ? ": " : "", text ? text : "");
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

static int py_fail(cb_error *err, int code, const char *what)
{
	char exc[700];
	exception_text(exc, sizeof exc);
	return cb_error_set(err, code, "%s: %s", what, exc);
}

/* ---- the concbench module: waits through the task's I/O interface ------ */

static PyObject *mod_sleep(PyObject *self, PyObject *arg)
{
	(void)self;
	double s = PyFloat_AsDouble(arg);
	if (s == -1.0 && PyErr_Occurred())
		return NULL;
	cb_io *io = current_io;
	if (!io) {   /* outside a task (setup, a module-level call): just wait */
		Py_BEGIN_ALLOW_THREADS
		struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
		nanosleep(&ts, NULL);
		Py_END_ALLOW_THREADS
		Py_RETURN_NONE;
	}
	int rc;
	Py_BEGIN_ALLOW_THREADS
	rc = cb_io_sleep(io, s);   /* may yield to other coroutines */
	Py_END_ALLOW_THREADS
	current_io = io;
	if (rc < 0) {
		errno = -rc;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
	{ "sleep", mod_sleep, METH_O,
	  "sleep(seconds): wait through concbench's I/O interface (yields under coroutines)" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef mod_def = {
	PyModuleDef_HEAD_INIT, "concbench", "concbench's I/O interface for Python workloads", -1,
	mod_methods, NULL, NULL, NULL, NULL,
};

static PyObject *mod_init(void) { return PyModule_Create(&mod_def); }

/* ---- fork: what os.fork does around fork() ------------------------------- */

/* Only where a Python job is open in this process, and only from a thread
 * that does not hold the GIL already (a task's own os.fork does this
 * itself): the forks of C workloads' cells, timed under processes, pay
 * nothing for an interpreter they never call. */
static void before_fork(void)
{
	fork_plain = open_jobs == 0 || held > 0;
	if (fork_plain)
		return;
	fork_ts = enter();
	PyOS_BeforeFork();
}

static void after_fork_parent(void)
{
	if (fork_plain)
		return;
	PyOS_AfterFork_Parent();
	leave(fork_ts);
}

/* The child keeps the forking thread's state, detached: CPython 3.11
 * cannot make a thread state again once an interpreter has had none (its
 * preallocated first one stays marked in use), and AfterFork_Child has
 * just deleted every other. */
static void after_fork_child(void)
{
	if (fork_plain)
		return;
	held = 0;
	PyOS_AfterFork_Child();
	PyEval_SaveThread();
}

static int init_python(cb_error *err)
{
	if (interp)
		return 0;
	if (PyImport_AppendInittab("concbench", mod_init) < 0)
		return cb_error_set(err, CB_EXIT_ENV, "python: cannot register the concbench module");
	PyConfig config;
	PyConfig_InitPythonConfig(&config);
	/* concbench owns signals (timeouts kill measuring processes) and its
	 * own argv. */
	config.install_signal_handlers = 0;
	config.parse_argv = 0;
	PyStatus st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		return cb_error_set(err, CB_EXIT_ENV, "python: cannot initialise the interpreter: %s",
		                    st.err_msg ? st.err_msg : "unknown reason");
	interp = PyThreadState_Get()->interp;
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	/* From here every call attaches its own thread state. */
	PyEval_SaveThread();
	return 0;
}

/* ---- the descriptor's functions ------------------------------------------- */

static pyfile *file_of(const cb_job *job)
{
	for (int i = 0; i < nfiles; i++)
		if (files[i].wl == job->wl)
			return &files[i];
	abort();
}

static PyObject *param_value(const cb_param_spec *s, double v)
{
	if (s->type == CB_PARAM_INT || s->type == CB_PARAM_BYTES)
		return PyLong_FromDouble(v);
	return PyFloat_FromDouble(v);
}

static int py_setup(cb_job *job, cb_error *err)
{
	pyfile *f = file_of(job);
	PyThreadState *ts = enter();
	int rc = -1;
	PyObject *params = PyDict_New(), *r = NULL;
	for (size_t i = 0; params && i < job->params.n; i++) {
		PyObject *v = param_value(&job->params.spec[i], job->params.v[i]);
		if (!v || PyDict_SetItemString(params, job->params.spec[i].name, v)) {
			Py_XDECREF(v);
			goto out;
		}
		Py_DECREF(v);
	}
	r = PyObject_CallOneArg(f->setup, params);
	if (!r)
		goto out;
	long long n = PyLong_AsLongLong(r);
	if (n == -1 && PyErr_Occurred())
		goto out;
	if (n < 1 || n > (long long)1e9) {
		cb_error_set(err, CB_EXIT_USAGE, "%s: setup() returned %lld tasks (valid: 1 to 1e9)", f->name, n);
		goto done;
	}
	job->ntasks = (size_t)n;
	job->state = f;
	open_jobs++;
	rc = 0;
	goto done;
out:
	py_fail(err, CB_EXIT_USAGE, f->name);
done:
	Py_XDECREF(r);
	Py_XDECREF(params);
	leave(ts);
	return rc;
}

static int py_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	const pyfile *f = job->state;
	PyThreadState *ts = enter();
	current_io = io;
	int rc = 0;
	PyObject *idx = PyLong_FromSize_t(i);
	PyObject *r = idx ? PyObject_CallOneArg(f->task, idx) : NULL;
	if (r && PyLong_Check(r)) {
		*out = PyLong_AsUnsignedLongLongMask(r);   /* the low 64 bits, negatives too */
		if (PyErr_Occurred())
			rc = -EIO;
	} else {
		rc = -EIO;   /* an exception, or not an int */
	}
	if (rc)
		PyErr_Clear();
	current_io = NULL;
	Py_XDECREF(r);
	Py_XDECREF(idx);
	leave(ts);
	return rc;
}

static uint64_t py_post(cb_job *job)
{
	const pyfile *f = job->state;
	if (!f->post)
		return cb_partials_hash(job);
	PyThreadState *ts = enter();
	uint64_t h = 0;
	PyObject *list = PyList_New((Py_ssize_t)job->ntasks), *r = NULL;
	for (size_t i = 0; list && i < job->ntasks; i++)
		PyList_SET_ITEM(list, (Py_ssize_t)i, PyLong_FromUnsignedLongLong(job->partials[i]));
	if (list)
		r = PyObject_CallOneArg(f->post, list);
	if (r && PyLong_Check(r))
		h = PyLong_AsUnsignedLongLongMask(r);
	else
		/* A broken post gives an answer no cell can match: the serial
		 * reference run gets one value, every measured run another, so
		 * every cell fails its checksum rather than passing. */
		h = cb_mix64(cb_partials_hash(job), job->reference_run ? 0xdeadULL : 0xbeefULL);
	PyErr_Clear();
	Py_XDECREF(r);
	Py_XDECREF(list);
	leave(ts);
	return h;
}

static void py_teardown(cb_job *job)
{
	const pyfile *f = job->state;
	if (!f)
		return;
	open_jobs--;
	if (!f->teardown)
		return;
	PyThreadState *ts = enter();
	PyObject *r = PyObject_CallNoArgs(f->teardown);
	Py_XDECREF(r);
	PyErr_Clear();
	leave(ts);
}

/* ---- loading a file -------------------------------------------------------- */

static const char *const type_names[] = { "int", "real", "time", "bytes" };

static int text_of(PyObject *v, char *buf, size_t n)
{
	PyObject *s = PyObject_Str(v);
	if (!s)
		return -1;
	const char *t = PyUnicode_AsUTF8(s);
	if (t)
		snprintf(buf, n, "%s", t);
	Py_DECREF(s);
	return t ? 0 : -1;
}

/* PARAMS = {"n": {"type": "int", "default": {"tiny": 20000, ...} or 5,
 *                 "min": 3, "max": 1e10, "help": "..."}, ...} */
static int read_params(pyfile *f, PyObject *mod, const char *path, cb_error *err)
{
	PyObject *params = PyObject_GetAttrString(mod, "PARAMS");
	if (!params) {
		PyErr_Clear();
		return 0;
	}
	int rc = -1;
	if (!PyDict_Check(params)) {
		cb_error_set(err, CB_EXIT_USAGE, "py:%s: PARAMS must be a dict of name -> {type, default, ...}", path);
		goto out;
	}
	f->nspec = (size_t)PyDict_Size(params);
	f->spec = cb_xcalloc(f->nspec + 1, sizeof *f->spec);
	PyObject *key, *val;
	Py_ssize_t pos = 0;
	for (size_t i = 0; PyDict_Next(params, &pos, &key, &val); i++) {
		cb_param_spec *s = &f->spec[i];
		const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
		if (!name || !PyDict_Check(val)) {
			PyErr_Clear();
			cb_error_set(err, CB_EXIT_USAGE, "py:%s: PARAMS entries must be \"name\": {\"type\": ..., "
			             "\"default\": ...}", path);
			goto out;
		}
		s->name = cb_xstrdup(name);
		s->type = CB_PARAM_REAL;
		s->min = -1e18;
		s->max = 1e18;
		PyObject *t = PyDict_GetItemString(val, "type"), *d = PyDict_GetItemString(val, "default");
		PyObject *lo = PyDict_GetItemString(val, "min"), *hi = PyDict_GetItemString(val, "max");
		PyObject *help = PyDict_GetItemString(val, "help");
		if (t) {
			const char *tn = PyUnicode_Check(t) ? PyUnicode_AsUTF8(t) : "";
			size_t k = 0;
			while (k < 4 && strcmp(tn, type_names[k]))
				k++;
			if (k == 4) {
				PyErr_Clear();
				cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has type '%s' (valid: int, real, "
				             "time, bytes)", path, name, tn ? tn : "?");
				goto out;
			}
			s->type = (cb_param_type)k;
		}
		if (s->type == CB_PARAM_TIME || s->type == CB_PARAM_BYTES)
			s->min = 0;
		if ((lo && (s->min = PyFloat_AsDouble(lo)) == -1 && PyErr_Occurred()) ||
		    (hi && (s->max = PyFloat_AsDouble(hi)) == -1 && PyErr_Occurred()))
			goto pyerr;
		char text[CB_NSIZES][64];
		if (!d) {
			cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has no default", path, name);
			goto out;
		}
		for (int z = 0; z < CB_NSIZES; z++) {
			PyObject *v = d;
			if (PyDict_Check(d)) {
				v = PyDict_GetItemString(d, cb_size_names[z]);
				if (!v)
					v = PyDict_GetItemString(d, "default");
				if (!v) {
					cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has no default for size %s",
					             path, name, cb_size_names[z]);
					goto out;
				}
			}
			if (text_of(v, text[z], sizeof text[z]))
				goto pyerr;
			s->dflt[z] = cb_xstrdup(text[z]);
		}
		s->help = cb_xstrdup(help && PyUnicode_Check(help) ? PyUnicode_AsUTF8(help) : "");
	}
	rc = 0;
	goto out;
pyerr:
	py_fail(err, CB_EXIT_USAGE, path);
out:
	Py_DECREF(params);
	return rc;
}

static void str_attr(PyObject *mod, const char *attr, char *buf, size_t n)
{
	PyObject *v = PyObject_GetAttrString(mod, attr);
	if (v && PyUnicode_Check(v))
		snprintf(buf, n, "%s", PyUnicode_AsUTF8(v));
	Py_XDECREF(v);
	PyErr_Clear();
}

static PyObject *callable_attr(PyObject *mod, const char *attr)
{
	PyObject *v = PyObject_GetAttrString(mod, attr);
	if (v && PyCallable_Check(v))
		return v;
	Py_XDECREF(v);
	PyErr_Clear();
	return NULL;
}

/* Runs the file as a module of its own (its directory on sys.path, so it
 * may import its neighbours). */
static PyObject *exec_file(const char *path, const char *modname, cb_error *err)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		cb_error_set(err, CB_EXIT_USAGE, "cannot open py:%s: %s", path, strerror(errno));
		return NULL;
	}
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	rewind(fp);
	char *src = cb_xmalloc((size_t)(len > 0 ? len : 0) + 1);
	size_t got = fread(src, 1, (size_t)(len > 0 ? len : 0), fp);
	src[got] = 0;
	fclose(fp);
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	PyObject *mod = NULL, *code = NULL, *r = NULL;
	PyObject *syspath = PySys_GetObject("path"), *d = PyUnicode_FromString(dir);
	if (syspath && d && !PySequence_Contains(syspath, d))
		PyList_Insert(syspath, 0, d);
	Py_XDECREF(d);
	code = Py_CompileString(src, path, Py_file_input);
	free(src);
	if (!code)
		goto fail;
	mod = PyImport_AddModule(modname);   /* borrowed, held by sys.modules */
	if (!mod)
		goto fail;
	Py_INCREF(mod);
	PyObject *globals = PyModule_GetDict(mod);
	PyObject *file = PyUnicode_FromString(path);
	if (file)
		PyDict_SetItemString(globals, "__file__", file);
	Py_XDECREF(file);
	PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
	r = PyEval_EvalCode(code, globals, globals);
	if (!r)
		goto fail;
	Py_DECREF(r);
	Py_DECREF(code);
	return mod;
fail:
	py_fail(err, CB_EXIT_USAGE, path);
	Py_XDECREF(mod);
	Py_XDECREF(code);
	return NULL;
}

static void runtime_of(cb_workload_origin *o)
{
	char ver[32];
	snprintf(ver, sizeof ver, "%s", Py_GetVersion());
	ver[strcspn(ver, " ")] = 0;
	snprintf(o->runtime, sizeof o->runtime, "CPython %s", ver);
	o->gil = 1;   /* before 3.13 there is no build without it */
	PyObject *sys = PyImport_ImportModule("sys");
	PyObject *fn = sys ? PyObject_GetAttrString(sys, "_is_gil_enabled") : NULL;
	PyObject *r = fn ? PyObject_CallNoArgs(fn) : NULL;
	if (r)
		o->gil = PyObject_IsTrue(r) == 1;
	PyErr_Clear();
	Py_XDECREF(r);
	Py_XDECREF(fn);
	Py_XDECREF(sys);
}

static const char *const kind_words[CB_NKINDS] = { "cpu", "memory", "io", "sync" };

int cb_python_load(const char *path, const cb_workload **out, cb_error *err)
{
	char abs[PATH_MAX], item[PATH_MAX + 8], sha[CB_SHA256_HEX];
	if (!realpath(path, abs))
		return cb_error_set(err, CB_EXIT_USAGE, "cannot open py:%s: %s", path, strerror(errno));
	snprintf(item, sizeof item, "py:%s", abs);
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(cb_workload_origin_of(files[i].wl)->item, item)) {
			*out = files[i].wl;
			return 0;
		}
	if (nfiles == MAX_FILES)
		return cb_error_set(err, CB_EXIT_USAGE, "too many Python workloads (at most %d)", MAX_FILES);
	if (cb_file_sha256(abs, sha, err) || init_python(err))
		return -1;
	pyfile *f = &files[nfiles];
	memset(f, 0, sizeof *f);
	cb_workload wl = { .abi = CB_WORKLOAD_ABI, .kind = CB_KIND_CPU, .pure_tasks = true };
	cb_workload_origin o = { .gil = -1 };
	char modname[80];
	snprintf(modname, sizeof modname, "concbench_workload_%d", nfiles);
	PyThreadState *ts = enter();
	int rc = -1;
	PyObject *mod = exec_file(abs, modname, err);
	if (!mod)
		goto out;
	/* The name: NAME, else py.<file name without .py>. */
	const char *base = strrchr(abs, '/') + 1;
	snprintf(f->name, sizeof f->name, "py.%.*s", (int)strcspn(base, "."), base);
	str_attr(mod, "NAME", f->name, sizeof f->name);
	snprintf(f->summary, sizeof f->summary, "Python workload %s", base);
	str_attr(mod, "SUMMARY", f->summary, sizeof f->summary);
	snprintf(f->checksum, sizeof f->checksum, "%s", "an ordered hash of every task's partial");
	str_attr(mod, "CHECKSUM", f->checksum, sizeof f->checksum);
	char kind[16] = "cpu";
	str_attr(mod, "KIND", kind, sizeof kind);
	int k = 0;
	while (k < CB_NKINDS && strcmp(kind, kind_words[k]))
		k++;
	if (k == CB_NKINDS) {
		cb_error_set(err, CB_EXIT_USAGE, "py:%s: KIND '%s' (valid: cpu, memory, io, sync)", path, kind);
		goto out;
	}
	f->setup = callable_attr(mod, "setup");
	f->task = callable_attr(mod, "task");
	f->post = callable_attr(mod, "post");
	f->teardown = callable_attr(mod, "teardown");
	if (!f->setup || !f->task) {
		cb_error_set(err, CB_EXIT_USAGE, "py:%s defines no %s (a Python workload defines setup(params) -> "
		             "ntasks and task(i) -> int, optionally post(partials) -> int)", path,
		             f->setup ? "task(i)" : "setup(params)");
		goto out;
	}
	if (read_params(f, mod, path, err))
		goto out;
	runtime_of(&o);
	rc = 0;
out:
	Py_XDECREF(mod);
	if (rc) {
		Py_XDECREF(f->setup);
		Py_XDECREF(f->task);
		Py_XDECREF(f->post);
		Py_XDECREF(f->teardown);
	}
	leave(ts);
	if (rc)
		return -1;
	wl.name = f->name;
	wl.summary = f->summary;
	wl.checksum = f->checksum;
	wl.kind = (cb_workload_kind)k;
	wl.params = f->spec;
	wl.nparams = f->nspec;
	wl.setup = py_setup;
	wl.task = py_task;
	wl.post = py_post;
	wl.teardown = py_teardown;
	bool taken = cb_loaded_find(wl.name) != NULL;
	for (const cb_workload *const *w = cb_workloads; *w; w++)
		taken |= !strcmp((*w)->name, wl.name);
	if (taken)
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s is called '%s', which is already taken (set NAME)",
		                    path, wl.name);
	snprintf(o.kind, sizeof o.kind, "python");
	snprintf(o.item, sizeof o.item, "%s", item);
	snprintf(o.path, sizeof o.path, "%s", abs);
	memcpy(o.sha256, sha, sizeof o.sha256);
	for (size_t i = 0; i < f->nspec; i++) {
		cb_params p = { 0 };
		cb_error e = { 0 };
		for (int z = 0; z < CB_NSIZES; z++) {
			int bad = cb_params_init(&p, f->spec, f->nspec, (cb_size)z, NULL, 0, NULL, wl.name, &e);
			cb_params_free(&p);
			if (bad)
				return cb_error_set(err, CB_EXIT_USAGE, "py:%s: default at size %s: %s", path,
				                    cb_size_names[z], e.msg);
		}
	}
	if (!(f->wl = cb_loaded_add(&wl, &o, NULL)))
		return cb_error_set(err, CB_EXIT_USAGE, "too many workloads loaded at run time");
	nfiles++;
	*out = f->wl;
	return 0;
}

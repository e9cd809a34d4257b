/* Python workloads (-w py:FILE.py): an embedded CPython runs a user's file
 * that defines setup(params) -> ntasks, task(i) -> partial and optionally
 * post(partials) -> checksum, behind the same descriptor as any workload.
 *
 * One interpreter per process; every call into Python takes the GIL for
 * the call's length, on the thread state its thread keeps (made on its
 * first call, outside the timed tasks of a pool; a coroutine's call makes
 * one of its own):
 *   - workers that are threads: they share that interpreter, so CPU-bound
 *     tasks take turns on the GIL, and a wait that releases it (time.sleep,
 *     concbench.sleep) overlaps;
 *   - workers that are processes (CB_STRATEGY_FORKS), and the runner's
 *     measuring process: fork copies the interpreter, and fork handlers do
 *     what os.fork does (PyOS_BeforeFork / AfterFork_Parent /
 *     AfterFork_Child with the GIL held by the forking thread), so the
 *     child's interpreter is sound;
 *   - executors under a launcher (CB_STRATEGY_EXTERNAL): every rank loads
 *     the file itself;
 *   - tasks that yield (CB_STRATEGY_YIELDS): a task's thread state is its
 *     own, so concbench.sleep can release the GIL, detach it and yield on
 *     the scheduler's I/O interface; the next coroutine on that thread
 *     attaches its own. time.sleep there blocks the event loop, as it does
 *     in asyncio.
 * A file whose task is `async def` runs on asyncio (or uvloop, LOOP =
 * "uvloop"): where tasks yield, each scheduler thread runs its share of the
 * coroutines as lanes of tasks in flight on a loop of its own; under the
 * other strategies each worker thread runs each task to completion on the
 * loop it keeps. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/topology.h"
#include "engine/workload.h"

#define MAX_FILES 16

const char *const cb_python_status = "CPython " PY_VERSION;

typedef struct pyfile {
	const cb_workload *wl;   /* as registered */
	PyObject *setup, *task, *post, *teardown;  /* owned, post/teardown may be NULL */
	bool async_task;          /* task is `async def` */
	cb_param_spec *spec;
	size_t nspec;
	char name[64], summary[256], checksum[256];
	char path[PATH_MAX];      /* absolute: where a task's traceback is in the file */
} pyfile;

static pyfile files[MAX_FILES];
static int nfiles;
static PyInterpreterState *interp;
static PyThreadState *fork_ts;
static __thread cb_io *current_io;   /* the task's, for concbench.sleep */
static int open_jobs;                 /* Python jobs set up in this process */
static __thread int held;             /* this thread is inside enter() */
static __thread bool fork_plain;      /* this fork skipped the handlers */
static pthread_key_t kept_key;        /* drops a thread's state at its exit */
static __thread PyThreadState *kept;  /* this thread's, across calls */
static __thread PyObject *kept_loop;  /* this thread's event loop (async tasks) */
static PyObject *new_loop;            /* makes one: asyncio's or uvloop's */
static PyObject *lanes_main;          /* the lanes' driver (concbench_runtime.lanes) */
static char loop_name[32];

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

/* The calling thread's own thread state, made on its first call and kept
 * until the thread ends: a pool's workers make theirs in the warmup, and a
 * task pays only for taking the GIL. Not where tasks yield: their suspended
 * frames each need their own (enter). */
static void enter_kept(void)
{
	if (!kept) {
		kept = PyThreadState_New(interp);
		pthread_setspecific(kept_key, kept);
	}
	PyEval_RestoreThread(kept);
	held++;
}

static void leave_kept(void)
{
	held--;
	PyEval_SaveThread();
}

/* Closes this thread's event loop, if it has one (the GIL held). */
static void close_loop(void)
{
	if (!kept_loop)
		return;
	PyObject *r = PyObject_CallMethod(kept_loop, "close", NULL);
	Py_XDECREF(r);
	Py_CLEAR(kept_loop);
	PyErr_Clear();
}

/* At the thread's exit: its loop closed, its state gone. */
static void drop_kept(void *p)
{
	PyThreadState *ts = p;
	if (ts != kept)
		return;   /* a state the fork took over */
	PyEval_RestoreThread(ts);
	close_loop();
	kept = NULL;
	PyThreadState_Clear(ts);
	PyThreadState_DeleteCurrent();
}

/* Tasks under a coroutine scheduler's I/O interface may suspend inside a
 * call; every other task runs to its end on its thread. */
static bool io_yields(const cb_io *io)
{
	return io && io->ops != &cb_io_blocking_ops && io->ops != &cb_io_nosleep_ops;
}

/* "ValueError: bad 7" for an exception, on one line. */
static void exception_words(PyObject *exc, char *buf, size_t n)
{
	PyObject *s = exc ? PyObject_Str(exc) : NULL;
	const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
	if (!text)
		PyErr_Clear();
	snprintf(buf, n, "%s%s%s", exc ? Py_TYPE(exc)->tp_name : "error", text && *text ? ": " : "",
	         text ? text : "");
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	Py_XDECREF(s);
}

/* The pending exception, which is cleared, with its traceback (new
 * reference; NULL if none). */
static PyObject *take_exception(void)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (value && tb)
		PyException_SetTraceback(value, tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	PyErr_Clear();
	return value;
}

/* "ValueError: ..." from the pending exception, which is cleared. */
static void exception_text(char *buf, size_t n)
{
	PyObject *exc = take_exception();
	exception_words(exc, buf, n);
	Py_XDECREF(exc);
}

/* Where the exception was raised in the file: the line of its deepest
 * frame there, 0 if none. */
static long line_in_file(PyObject *tb, const char *path)
{
	long line = 0;
	Py_XINCREF(tb);
	while (tb && tb != Py_None) {
		PyObject *fr = PyObject_GetAttrString(tb, "tb_frame");
		PyObject *code = fr ? PyObject_GetAttrString(fr, "f_code") : NULL;
		PyObject *fn = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
		const char *name = fn && PyUnicode_Check(fn) ? PyUnicode_AsUTF8(fn) : NULL;
		if (name && !strcmp(name, path)) {
			PyObject *ln = PyObject_GetAttrString(tb, "tb_lineno");
			if (ln)
				line = PyLong_AsLong(ln);
			Py_XDECREF(ln);
		}
		PyObject *next = PyObject_GetAttrString(tb, "tb_next");
		Py_XDECREF(fn);
		Py_XDECREF(code);
		Py_XDECREF(fr);
		Py_DECREF(tb);
		tb = next;
	}
	Py_XDECREF(tb);
	PyErr_Clear();
	return line > 0 ? line : 0;
}

/* A process pool's worker sends its traceback as text, the exception's
 * cause: 'File "PATH", line N' there, the last one. */
static long line_in_cause(PyObject *exc, const char *path)
{
	PyObject *cause = PyException_GetCause(exc);
	PyObject *s = cause ? PyObject_Str(cause) : NULL;
	const char *text = s ? PyUnicode_AsUTF8(s) : NULL;
	long line = 0;
	char key[PATH_MAX + 16];
	snprintf(key, sizeof key, "File \"%s\", line ", path);
	for (const char *p = text; p && (p = strstr(p, key)); p += strlen(key))
		line = strtol(p + strlen(key), NULL, 10);
	Py_XDECREF(s);
	Py_XDECREF(cause);
	PyErr_Clear();
	return line;
}

/* The failing task's words for the cell's error: "raised ValueError: bad 7
 * (at f.py line 12)" from an exception (taken, and cleared), or from the
 * pending one when exc is NULL. */
static void note_exception(const pyfile *f, PyObject *exc)
{
	if (exc)
		Py_INCREF(exc);
	else
		exc = take_exception();
	char words[700];
	exception_words(exc, words, sizeof words);
	PyObject *tb = exc ? PyException_GetTraceback(exc) : NULL;
	long line = line_in_file(tb, f->path);
	if (!line && exc)
		line = line_in_cause(exc, f->path);
	char where[PATH_MAX + 32] = "";
	if (line)
		snprintf(where, sizeof where, " (at %s line %ld)", strrchr(f->path, '/') + 1, line);
	cb_task_error_note("raised %s%s", words, where);
	PyErr_Clear();
	Py_XDECREF(tb);
	Py_XDECREF(exc);
}

/* A task's answer into *out: 0, or -EIO with the task's words noted. */
static int task_answer(const pyfile *f, PyObject *r, uint64_t *out)
{
	if (!r) {
		note_exception(f, NULL);
		return -EIO;
	}
	if (!PyLong_Check(r)) {
		cb_task_error_note("returned %s, not an int", Py_TYPE(r)->tp_name);
		return -EINVAL;
	}
	*out = PyLong_AsUnsignedLongLongMask(r);   /* the low 64 bits, negatives too */
	if (PyErr_Occurred()) {
		note_exception(f, NULL);
		return -EIO;
	}
	return 0;
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
 * itself): the forks of C workloads' cells, timed in forked workers, pay
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
	/* A loop's selector is shared with the parent across a fork: this
	 * thread makes a new one when it needs one (the old one is left as it
	 * is, the parent's). */
	kept_loop = NULL;
	if (fork_plain)
		return;
	held = 0;
	PyOS_AfterFork_Child();
	/* Every other state is gone, this thread's kept one too: the forking
	 * thread's becomes the one it keeps. */
	kept = fork_ts;
	pthread_setspecific(kept_key, kept);
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
	pthread_key_create(&kept_key, drop_kept);
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

/* A "measured" parameter that setup found 0 and measured (a calibration):
 * the value setup stored in params["name"] is recorded, so that the
 * results hold it and another process given it does the same work. */
static int measured_back(cb_job *job, PyObject *params)
{
	for (size_t i = 0; i < job->params.n; i++) {
		const cb_param_spec *s = &job->params.spec[i];
		if (s->type != CB_PARAM_MEASURED)
			continue;
		PyObject *v = PyDict_GetItemString(params, s->name);   /* borrowed */
		double d = v ? PyFloat_AsDouble(v) : job->params.v[i];
		if (d == -1.0 && PyErr_Occurred())
			return -1;
		if (d != job->params.v[i])
			cb_params_set(&job->params, s->name, d);
	}
	return 0;
}

static int py_setup(cb_job *job, cb_error *err)
{
	pyfile *f = file_of(job);
	enter_kept();
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
	if (!r || measured_back(job, params))
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
	leave_kept();
	return rc;
}

/* This thread's event loop, made on its first async task and kept. */
static PyObject *thread_loop(void)
{
	if (!kept_loop)
		kept_loop = PyObject_CallNoArgs(new_loop);
	return kept_loop;
}

/* task(i), and for an async def task its coroutine run to its end on the
 * thread's loop (asyncio.run's work, the loop kept between tasks). */
static PyObject *call_task(const pyfile *f, size_t i, bool fresh)
{
	PyObject *idx = PyLong_FromSize_t(i);
	PyObject *r = idx ? PyObject_CallOneArg(f->task, idx) : NULL;
	Py_XDECREF(idx);
	if (!r || !f->async_task)
		return r;
	/* fresh (under a coroutine scheduler, not a CB_STRATEGY_YIELDS
	 * strategy's own lanes): a loop of the call's own, as asyncio.run
	 * makes. */
	PyObject *loop = fresh ? PyObject_CallNoArgs(new_loop) : thread_loop();
	PyObject *v = loop ? PyObject_CallMethod(loop, "run_until_complete", "O", r) : NULL;
	if (fresh && loop) {
		PyObject *type, *val, *tb;
		PyErr_Fetch(&type, &val, &tb);
		PyObject *c = PyObject_CallMethod(loop, "close", NULL);
		Py_XDECREF(c);
		PyErr_Clear();
		PyErr_Restore(type, val, tb);
	}
	if (fresh)
		Py_XDECREF(loop);
	Py_DECREF(r);
	return v;
}

static int py_task(const cb_job *job, size_t i, cb_io *io, uint64_t *out)
{
	const pyfile *f = job->state;
	bool fresh = io_yields(io);
	PyThreadState *ts = NULL;
	if (fresh)
		ts = enter();
	else
		enter_kept();
	current_io = io;
	PyObject *r = call_task(f, i, fresh);
	int rc = task_answer(f, r, out);
	current_io = NULL;
	Py_XDECREF(r);
	if (fresh)
		leave(ts);
	else
		leave_kept();
	return rc;
}

static void str_attr(PyObject *mod, const char *attr, char *buf, size_t n);

/* ---- lanes: async def tasks in flight together on this thread's loop ---- */

/* concbench's Python side, a module of its own (concbench_runtime, in
 * sys.modules so that a process pool's workers find what it pickles):
 * the lanes of async tasks on a loop, and Python's executors as cells. */
static const char RUNTIME_SRC[] =
	"import asyncio, concurrent.futures as cf, functools, multiprocessing, os, struct, threading\n"
	"async def lanes(task, n, base, nxt, done):\n"
	"    async def lane(k):\n"
	"        while (i := nxt(k)) is not None:\n"
	"            try:\n"
	"                r = await task(i % base)\n"
	"            except BaseException as e:\n"
	"                done(k, i, None, e)\n"
	"                return\n"
	"            done(k, i, r, None)\n"
	"    await asyncio.gather(*[lane(k) for k in range(n)])\n"
	"_local = threading.local()\n"
	"def run_async(task, new_loop, i):\n"
	"    loop = getattr(_local, 'loop', None)\n"
	"    if loop is None:\n"
	"        loop = _local.loop = new_loop()\n"
	"    return loop.run_until_complete(task(i))\n"
	"def pin_next(fd, cpusets):\n"
	"    k, = struct.unpack('i', os.read(fd, 4))\n"
	"    if cpusets[k]:\n"
	"        os.sched_setaffinity(0, cpusets[k])\n"
	"class Pool:\n"
	"    def __init__(self, processes, cpusets, task, new_loop, ntasks, base):\n"
	"        n = len(cpusets)\n"
	"        r, w = os.pipe()\n"
	"        os.write(w, b''.join(struct.pack('i', k) for k in range(n)))\n"
	"        os.close(w)\n"
	"        try:\n"
	"            if processes:\n"
	"                self.ex = cf.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context('fork'),\n"
	"                                                 initializer=pin_next, initargs=(r, cpusets))\n"
	"                list(self.ex.map(int, range(n)))\n"
	"            else:\n"
	"                self.ex = cf.ThreadPoolExecutor(n, initializer=pin_next, initargs=(r, cpusets))\n"
	"                b = threading.Barrier(n)\n"
	"                list(self.ex.map(lambda _: b.wait(), range(n)))\n"
	"        finally:\n"
	"            os.close(r)\n"
	"        self.fn = functools.partial(run_async, task, new_loop) if new_loop else task\n"
	"        self.idx = [i % base for i in range(ntasks)]\n"
	"    def run(self):\n"
	"        out = []\n"
	"        try:\n"
	"            for r in self.ex.map(self.fn, self.idx, chunksize=1):\n"
	"                out.append(r)\n"
	"        except BaseException as e:\n"
	"            return out, e\n"
	"        return out, None\n"
	"    def close(self):\n"
	"        self.ex.shutdown(wait=True)\n";

static PyObject *runtime_mod;   /* concbench_runtime */

static PyObject *runtime_attr(const char *name)
{
	if (!runtime_mod) {
		PyObject *code = Py_CompileString(RUNTIME_SRC, "<concbench_runtime>", Py_file_input);
		PyObject *m = code ? PyImport_ExecCodeModule("concbench_runtime", code) : NULL;
		Py_XDECREF(code);
		if (!m)
			return NULL;
		runtime_mod = m;
	}
	return PyObject_GetAttrString(runtime_mod, name);
}

typedef struct lanes_ctx {
	const cb_job *job;
	cb_lanes *lanes;
} lanes_ctx;

static lanes_ctx *ctx_of(PyObject *cap) { return PyCapsule_GetPointer(cap, "concbench.lanes"); }

static PyObject *lanes_next(PyObject *cap, PyObject *k)
{
	lanes_ctx *c = ctx_of(cap);
	size_t i = cb_lanes_next(c->lanes, PyLong_AsSize_t(k));
	if (i == SIZE_MAX)
		Py_RETURN_NONE;
	return PyLong_FromSize_t(i);
}

/* done(k, i, result, exception) */
static PyObject *lanes_done(PyObject *cap, PyObject *const *a, Py_ssize_t n)
{
	lanes_ctx *c = ctx_of(cap);
	if (n != 4)
		return PyErr_Format(PyExc_TypeError, "done() takes 4 arguments");
	size_t k = PyLong_AsSize_t(a[0]), i = PyLong_AsSize_t(a[1]);
	int rc;
	if (a[3] != Py_None) {
		note_exception(c->job->state, a[3]);
		rc = -EIO;
	} else {
		rc = task_answer(c->job->state, a[2], &c->job->partials[i]);
	}
	cb_lanes_done(c->lanes, k, i, rc);
	Py_RETURN_NONE;
}

static PyMethodDef lanes_next_def = { "next", lanes_next, METH_O, NULL };
static PyMethodDef lanes_done_def = { "done", (PyCFunction)(void (*)(void))lanes_done, METH_FASTCALL, NULL };

static int py_run_lanes(const cb_job *job, cb_lanes *lanes, size_t nlanes)
{
	const pyfile *f = job->state;
	lanes_ctx c = { job, lanes };
	enter_kept();
	int rc = 0;
	PyObject *cap = PyCapsule_New(&c, "concbench.lanes", NULL);
	PyObject *nxt = cap ? PyCFunction_New(&lanes_next_def, cap) : NULL;
	PyObject *done = cap ? PyCFunction_New(&lanes_done_def, cap) : NULL;
	PyObject *coro = nxt && done ? PyObject_CallFunction(lanes_main, "OnnOO", f->task, (Py_ssize_t)nlanes,
	                                                    (Py_ssize_t)job->base_ntasks, nxt, done) : NULL;
	PyObject *loop = coro ? thread_loop() : NULL;
	PyObject *r = loop ? PyObject_CallMethod(loop, "run_until_complete", "O", coro) : NULL;
	if (!r) {
		note_exception(f, NULL);
		rc = -EIO;
	}
	Py_XDECREF(r);
	Py_XDECREF(coro);
	Py_XDECREF(done);
	Py_XDECREF(nxt);
	Py_XDECREF(cap);
	leave_kept();
	return rc;
}

/* LOOP = "asyncio" (the default) or "uvloop": what makes each thread's loop,
 * and the lanes' driver. */
static int open_loop(PyObject *mod, const char *path, cb_error *err)
{
	char want[32] = "asyncio";
	str_attr(mod, "LOOP", want, sizeof want);
	if (strcmp(want, "asyncio") && strcmp(want, "uvloop"))
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s: LOOP '%s' (valid: asyncio, uvloop)", path, want);
	if (new_loop && strcmp(want, loop_name))
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s: LOOP '%s', but another file of this run asked for "
		                    "'%s' (one loop per process)", path, want, loop_name);
	if (new_loop)
		return 0;
	PyObject *m = PyImport_ImportModule(want);
	if (!m) {
		PyErr_Clear();
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s: LOOP = '%s', but %s cannot be imported (install it, "
		                    "or LOOP = 'asyncio')", path, want, want);
	}
	new_loop = PyObject_GetAttrString(m, "new_event_loop");
	Py_DECREF(m);
	lanes_main = runtime_attr("lanes");
	if (!new_loop || !lanes_main) {
		Py_CLEAR(new_loop);
		return py_fail(err, CB_EXIT_ENV, "python: cannot set up the event loop");
	}
	snprintf(loop_name, sizeof loop_name, "%s", want);
	return 0;
}

/* ---- Python's executors as cells (cb_workload_origin's pool_*) -------- */

/* One list of OS PU indices per worker, empty when unpinned. */
static PyObject *cpusets_of(int workers, const cb_placement *place)
{
	PyObject *l = PyList_New(workers);
	for (int w = 0; l && w < workers; w++) {
		PyObject *one = PyList_New(0);
		hwloc_bitmap_t set = place && place->sets && w < place->workers ? place->sets[w] : NULL;
		if (set) {
			unsigned pu;
			hwloc_bitmap_foreach_begin(pu, set) {
				PyObject *v = PyLong_FromUnsignedLong(pu);
				if (v)
					PyList_Append(one, v);
				Py_XDECREF(v);
			}
			hwloc_bitmap_foreach_end();
		}
		PyList_SET_ITEM(l, w, one);
	}
	return l;
}

static void *py_pool_open(cb_job *job, bool processes, int workers, const cb_placement *place, char *what,
                          size_t nwhat, cb_error *err)
{
	const pyfile *f = job->state;
	enter_kept();
	PyObject *cls = runtime_attr("Pool");
	PyObject *sets = cls ? cpusets_of(workers, place) : NULL;
	PyObject *pool = sets ? PyObject_CallFunction(cls, "OOOOnn", processes ? Py_True : Py_False, sets, f->task,
	                                              f->async_task ? new_loop : Py_None, (Py_ssize_t)job->ntasks,
	                                              (Py_ssize_t)job->base_ntasks) : NULL;
	if (!pool)
		py_fail(err, CB_EXIT_ENV, processes ? "cannot start the ProcessPoolExecutor"
		                                    : "cannot start the ThreadPoolExecutor");
	else
		snprintf(what, nwhat, "concurrent.futures.%s(%d%s), map chunksize 1%s",
		         processes ? "ProcessPoolExecutor" : "ThreadPoolExecutor", workers,
		         processes ? ", fork" : "", f->async_task ? ", a loop per worker" : "");
	Py_XDECREF(sets);
	Py_XDECREF(cls);
	leave_kept();
	return pool;
}

static int py_pool_run(void *pool, cb_job *job, cb_error *err)
{
	const pyfile *f = job->state;
	enter_kept();
	int rc = 0;
	PyObject *r = PyObject_CallMethod(pool, "run", NULL);
	PyObject *out = r && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2 ? PyTuple_GET_ITEM(r, 0) : NULL;
	PyObject *exc = out ? PyTuple_GET_ITEM(r, 1) : NULL;
	if (!out) {
		rc = py_fail(err, CB_EXIT_FAIL, "the pool failed");
		goto done;
	}
	/* map stops at the first task that raised: the results before it. */
	Py_ssize_t n = PyList_GET_SIZE(out), bad = -1;
	for (Py_ssize_t i = 0; i < n && bad < 0; i++)
		if (task_answer(f, PyList_GET_ITEM(out, i), &job->partials[i]))
			bad = i;
	if (bad < 0 && exc != Py_None) {
		note_exception(f, exc);
		bad = n;
	}
	char said[400];
	if (bad >= 0 && cb_task_error_take(said, sizeof said))
		rc = cb_error_set(err, CB_EXIT_FAIL, "task %zd %s", bad, said);
	else if (bad >= 0)
		rc = cb_error_set(err, CB_EXIT_FAIL, "task %zd failed", bad);
done:
	Py_XDECREF(r);
	leave_kept();
	return rc;
}

static void py_pool_close(void *pool)
{
	enter_kept();
	PyObject *r = PyObject_CallMethod(pool, "close", NULL);
	Py_XDECREF(r);
	PyErr_Clear();
	Py_DECREF((PyObject *)pool);
	leave_kept();
}

static uint64_t py_post(cb_job *job)
{
	const pyfile *f = job->state;
	if (!f->post)
		return cb_partials_hash(job);
	enter_kept();
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
	leave_kept();
	return h;
}

static void py_teardown(cb_job *job)
{
	const pyfile *f = job->state;
	if (!f)
		return;
	open_jobs--;
	if (!f->teardown && !kept_loop)
		return;
	enter_kept();
	PyObject *r = f->teardown ? PyObject_CallNoArgs(f->teardown) : NULL;
	Py_XDECREF(r);
	close_loop();   /* what this process forks next carries none */
	PyErr_Clear();
	leave_kept();
}

/* ---- loading a file -------------------------------------------------------- */

/* PARAMS' "type" words and what each is. */
static const char *const type_names[] = { "int", "real", "time", "bytes", "measured" };
static const cb_param_type type_of[] = { CB_PARAM_INT, CB_PARAM_REAL, CB_PARAM_TIME, CB_PARAM_BYTES,
                                         CB_PARAM_MEASURED };
#define NTYPES (sizeof type_of / sizeof *type_of)

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
/* A parameter's default, one for every size ({"quick": ..., "default":
 * ...}) or one for all: 0, or -1 with err. */
static int read_defaults(cb_param_spec *s, PyObject *d, const char *path, const char *name, cb_error *err)
{
	char text[CB_NSIZES][64];
	if (!d)
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has no default", path, name);
	for (int z = 0; z < CB_NSIZES; z++) {
		PyObject *v = d;
		if (PyDict_Check(d)) {
			v = PyDict_GetItemString(d, cb_size_names[z]);
			if (!v)
				v = PyDict_GetItemString(d, "default");
			if (!v)
				return cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has no default for size %s",
				                    path, name, cb_size_names[z]);
		}
		if (text_of(v, text[z], sizeof text[z]))
			return py_fail(err, CB_EXIT_USAGE, path);
		s->dflt[z] = cb_xstrdup(text[z]);
	}
	return 0;
}

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
			while (k < NTYPES && strcmp(tn, type_names[k]))
				k++;
			if (k == NTYPES) {
				PyErr_Clear();
				cb_error_set(err, CB_EXIT_USAGE, "py:%s: parameter '%s' has type '%s' (valid: int, real, "
				             "time, bytes, measured)", path, name, tn ? tn : "?");
				goto out;
			}
			s->type = type_of[k];
		}
		if (s->type == CB_PARAM_TIME || s->type == CB_PARAM_BYTES)
			s->min = 0;
		if ((lo && (s->min = PyFloat_AsDouble(lo)) == -1 && PyErr_Occurred()) ||
		    (hi && (s->max = PyFloat_AsDouble(hi)) == -1 && PyErr_Occurred()))
			goto pyerr;
		if (read_defaults(s, d, path, name, err))
			goto out;
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

static bool is_coroutine_function(PyObject *fn)
{
	PyObject *inspect = PyImport_ImportModule("inspect");
	PyObject *r = inspect ? PyObject_CallMethod(inspect, "iscoroutinefunction", "O", fn) : NULL;
	bool yes = r && PyObject_IsTrue(r) == 1;
	Py_XDECREF(r);
	Py_XDECREF(inspect);
	PyErr_Clear();
	return yes;
}

/* What Python brings beside the tasks: its pools, and for an async def
 * task its loop, which the runtime's name then says. */
static void runtime_hooks(cb_workload_origin *o, const pyfile *f)
{
	o->pool_open = py_pool_open;
	o->pool_run = py_pool_run;
	o->pool_close = py_pool_close;
	if (!f->async_task)
		return;
	o->run_lanes = py_run_lanes;
	snprintf(o->loop, sizeof o->loop, "%s", loop_name);
	size_t len = strlen(o->runtime);
	snprintf(o->runtime + len, sizeof o->runtime - len, ", %s", loop_name);
}

static const char *const kind_words[CB_NKINDS] = { "cpu", "memory", "io", "sync" };

/* What the loaded module declares: its name, summary, checksum and kind
 * (*kind_out, an index of kind_words), its functions, its PARAMS, and
 * whether its task is a coroutine (then its event loop). 0, or -1 with
 * err; the functions taken are f's to release either way. */
static int read_module(pyfile *f, PyObject *mod, const char *abs, const char *path, int *kind_out,
                       cb_error *err)
{
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
	*kind_out = k;
	if (k == CB_NKINDS)
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s: KIND '%s' (valid: cpu, memory, io, sync)", path,
		                    kind);
	f->setup = callable_attr(mod, "setup");
	f->task = callable_attr(mod, "task");
	f->post = callable_attr(mod, "post");
	f->teardown = callable_attr(mod, "teardown");
	if (!f->setup || !f->task)
		return cb_error_set(err, CB_EXIT_USAGE, "py:%s defines no %s (a Python workload defines "
		                    "setup(params) -> ntasks and task(i) -> int, optionally post(partials) -> int)",
		                    path, f->setup ? "task(i)" : "setup(params)");
	if (read_params(f, mod, path, err))
		return -1;
	snprintf(f->path, sizeof f->path, "%s", abs);
	f->async_task = is_coroutine_function(f->task);
	return f->async_task && open_loop(mod, path, err) ? -1 : 0;
}

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
	int k = 0;
	if (read_module(f, mod, abs, path, &k, err))
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
	runtime_hooks(&o, f);
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

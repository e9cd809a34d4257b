/* concbench ab, the parent: for each cell of the plan, a measuring process
 * per side (ab_serve.c, started from each side's binary), both placed on
 * the same PUs by the one placement rule, both set up and warmed; then
 * pairs, each one repetition of each side in turn, the order (AB or BA)
 * drawn from a seeded generator, milliseconds apart. A side that fails,
 * dies or hangs fails the cell on both sides; its processes are killed
 * and reaped before the next cell. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/spin.h"
#include "engine/run.h"

/* The limits on a side's silence: for its setup (the plan, the serial
 * reference run, pools: --timeout, at least SETUP_FLOOR_S), then for each
 * warmup (--timeout, or READY_LIMIT_S), then per repetition a multiple of
 * the slowest warmup with a floor (the runner's rule), and for "end". */
#define READY_LIMIT_S 600.0
#define REP_FLOOR_S 60.0
#define REP_WARM_FACTOR 20.0
#define END_LIMIT_S 60.0
#define SETUP_FLOOR_S 60.0
/* At most one pair in this many of a pair of processes is set aside for
 * reduced capacity and taken again. */
#define AB_RETAKES_SHARE 4

typedef struct side_proc {
	const cb_ab_side *side;
	const char *label;     /* "BASE", "NEW" */
	pid_t pid;
	int to, from;
	char *buf;
	size_t len, cap;
	double warm_s;         /* the slowest warmup or settling pass */
	json_t *cell;          /* its "ready" cell, or NULL */
	json_t *reps;          /* where its repetitions go (the side's, borrowed) */
	json_t *aside;         /* where those of pairs set aside go (borrowed) */
	json_t *end;           /* its "end", or NULL */
	int round;             /* which pair of processes of the cell it is */
	unsigned long hash_seed;  /* its PYTHONHASHSEED, its twin's too (0: the caller's environment) */
	unsigned long layout_seed;  /* its address layout's seed (CB_AB_LAYOUT), its twin's too */
	json_t *layout;        /* what its hello said of its layout, or NULL */
	bool exited;
} side_proc;

extern char **environ;

/* The caller's own CB_AB_LAYOUT and CB_AB_PAD, which side_environ leaves out. */
static bool ab_var(const char *e)
{
	return !strncmp(e, "CB_AB_LAYOUT=", 13) || !strncmp(e, "CB_AB_PAD=", 10);
}

/* The environment a side starts with: the caller's, and the pair of
 * processes' own (both sides the same): its address layout's seed
 * (CB_AB_LAYOUT, ab_serve.c) and as much padding (CB_AB_PAD, 0 to 4095
 * bytes, which shifts the stack), and where the caller set no
 * PYTHONHASHSEED, its hash seed. A Python workload's interpreter draws a
 * hash seed per process, and each seed lays out its dictionaries its own
 * way: on the 2-vCPU VM one process of primes.py at tiny ran 11.6 ms and
 * the next 12.4 ms, the medians of 12 processes of one build spreading by
 * 3.2%, 1.2% with one seed for all. Addresses do the same: 5% more work
 * in primes.py was found in 12 and 11 of 19 cells with each process's
 * own, 16 and 16 with randomisation off for all. Twins with the same seed
 * and layout run alike, so the pair sees the code; each pair of processes
 * has its own, so a cell's estimate is not one layout's. Built before
 * fork, so that the child only calls execve; *own is where the strings it
 * made start (for free_environ). */
static char **side_environ(const side_proc *p, size_t *own)
{
	size_t count = 0;
	while (environ[count])
		count++;
	char **env = cb_xmalloc((count + 4) * sizeof *env);
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		if (!ab_var(environ[i]))
			env[n++] = environ[i];
	*own = n;
	size_t pad = (p->layout_seed >> 22) % 4096;
	char *padding = cb_xmalloc(pad + 1);
	memset(padding, 'x', pad);
	padding[pad] = 0;
	env[n++] = cb_xasprintf("CB_AB_LAYOUT=%lu", p->layout_seed);
	env[n++] = cb_xasprintf("CB_AB_PAD=%s", padding);
	free(padding);
	if (p->hash_seed)
		env[n++] = cb_xasprintf("PYTHONHASHSEED=%lu", p->hash_seed);
	env[n] = NULL;
	return env;
}

static void free_environ(char **env, size_t own)
{
	for (char **e = env + own; *e; e++)
		free(*e);
	free(env);
}

static int spawn(side_proc *p, cb_error *err)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC))
		return cb_error_set(err, CB_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return cb_error_set(err, CB_EXIT_ENV, "cannot create a pipe: %s", strerror(errno));
	}
	size_t own;
	char **env = side_environ(p, &own);
	char *const argv[] = { (char *)p->side->bin, (char *)CB_AB_WORKER_COMMAND, NULL };
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		/* Address space randomisation off (the layout is CB_AB_LAYOUT's),
		 * inherited by what the process forks and runs; where it is
		 * refused, each process keeps its own, and hello says so. */
		personality((unsigned long)personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execve(p->side->bin, argv, env);
		fprintf(stderr, "concbench: cannot run '%s': %s\n", p->side->bin, strerror(errno));
		_exit(127);
	}
	free_environ(env, own);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return cb_error_set(err, CB_EXIT_ENV, "cannot fork: %s", strerror(errno));
	}
	setpgid(pid, pid);
	p->pid = pid;
	p->to = in[1];
	p->from = out[0];
	return 0;
}

static int send_line(side_proc *p, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -1;
	size_t len = strlen(text);
	text[len] = '\n';
	int rc = 0;
	for (size_t off = 0; off < len + 1 && !rc;) {
		ssize_t n = write(p->to, text + off, len + 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else
			off += (size_t)n;
	}
	free(text);
	return rc;
}

/* The next line from p as JSON: 1 with *out, 0 at end of file (the process
 * ended), -1 past `limit` seconds of silence. */
static int read_json(side_proc *p, double limit, json_t **out)
{
	double end = cb_now() + limit;
	for (;;) {
		char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;
		if (nl) {
			*nl = 0;
			*out = json_loads(p->buf, 0, NULL);
			size_t used = (size_t)(nl - p->buf) + 1;
			memmove(p->buf, p->buf + used, p->len - used);
			p->len -= used;
			if (*out)
				return 1;
			continue;   /* not a protocol line */
		}
		double left = end - cb_now();
		if (left <= 0)
			return -1;
		struct pollfd pf = { .fd = p->from, .events = POLLIN };
		int pr = poll(&pf, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno != EINTR)
			return 0;
		if (pr <= 0)
			continue;
		if (p->len + 4096 > p->cap) {
			p->cap = p->cap ? p->cap * 2 : 1 << 16;
			p->buf = cb_xrealloc(p->buf, p->cap);
		}
		ssize_t n = read(p->from, p->buf + p->len, p->cap - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p->len += (size_t)n;
	}
}

/* Why p went quiet: its exit, its signal, or the limit. */
static void gone(side_proc *p, int got, double limit, const char *during, char *why, size_t n)
{
	if (got < 0) {
		snprintf(why, n, "the %s side made no progress in %.0f s (%s); its processes were killed",
		         p->label, limit, during);
		return;
	}
	kill(-p->pid, SIGKILL);
	int st = 0;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->exited = true;
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		snprintf(why, n, "the %s side's measuring process was killed by signal %d (%s) (%s)", p->label,
		         WTERMSIG(st), strsignal(WTERMSIG(st)), during);
	else if (WIFSIGNALED(st))
		snprintf(why, n, "the %s side's measuring process was killed (%s)", p->label, during);
	else
		snprintf(why, n, "the %s side's measuring process ended early, exit status %d (%s)", p->label,
		         WIFEXITED(st) ? WEXITSTATUS(st) : -1, during);
}

/* The next message that is not a warmup's; warmups are signs of progress
 * (the limit starts again) and their time sets the repetitions' limit. */
static int next_message(side_proc *p, double limit, const char *during, json_t **msg, char *why, size_t n)
{
	for (;;) {
		int got = read_json(p, limit, msg);
		if (got <= 0) {
			gone(p, got, limit, during, why, n);
			return -1;
		}
		json_t *w = json_object_get(*msg, "warm");
		if (!json_is_number(w))
			return 0;
		if (json_number_value(w) > p->warm_s)
			p->warm_s = json_number_value(w);
		json_decref(*msg);
	}
}

/* A message the side sends instead of the one expected: its error. */
static int unexpected(const side_proc *p, json_t *msg, const char *want, char *why, size_t n)
{
	const char *e = json_string_value(json_object_get(msg, "error"));
	if (e)
		snprintf(why, n, "%s side: %s", p->label, e);
	else
		snprintf(why, n, "the %s side sent no %s", p->label, want);
	json_decref(msg);
	return -1;
}

/* hello, the protocol's check, as the first thing either says. */
static int hello(side_proc *p, char *why, size_t n)
{
	json_t *msg = NULL;
	int got = read_json(p, READY_LIMIT_S, &msg);
	json_t *proto = got > 0 ? json_object_get(msg, "protocol") : NULL;
	const char *h = got > 0 ? json_string_value(json_object_get(msg, "hello")) : NULL;
	if (got > 0 && h && !strcmp(h, "concbench ab") && json_is_integer(proto) &&
	    json_integer_value(proto) == CB_AB_PROTOCOL) {
		json_t *layout = json_object_get(msg, "layout");
		if (json_is_object(layout))
			p->layout = json_incref(layout);
		json_decref(msg);
		return 0;
	}
	if (got > 0 && h && json_is_integer(proto))
		snprintf(why, n, "'%s' (%s) speaks A/B protocol %lld, this concbench %d: build both sides "
		         "from checkouts of the same protocol", p->side->bin, p->label,
		         (long long)json_integer_value(proto), CB_AB_PROTOCOL);
	else
		snprintf(why, n, "'%s' (%s) does not speak concbench's A/B protocol %d (no hello from '%s "
		         CB_AB_WORKER_COMMAND "'): it is not a concbench with the ab command", p->side->bin,
		         p->label, CB_AB_PROTOCOL, p->side->bin);
	if (msg)
		json_decref(msg);
	return -1;
}

/* What the side's measuring process is told: the cell, as this side has it. */
static json_t *cell_message(const cb_run *plan, const cb_cell *c, const cb_ab_side *s)
{
	const cb_run_config *cfg = s->cfg;
	json_t *params = json_array();
	for (size_t i = 0; i < cfg->nparams; i++)
		json_array_append_new(params, json_pack("[s, s]", cfg->params[i].key, cfg->params[i].value));
	json_t *cell = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:o, s:i, s:i, s:f}",
	                         "id", c->id, "workload", s->workload ? s->workload : cb_workload_item(c->job->wl),
	                         "strategy", c->strategy->name, "workers", c->workers,
	                         "concurrency", c->concurrency, "threads", c->threads,
	                         "pin", plan->cfg->pin.text, "schedule", plan->cfg->sched_text,
	                         "size", cb_size_names[plan->cfg->size],
	                         "scaling", plan->cfg->weak ? "weak" : "strong", "params", params,
	                         "warmup", plan->cfg->warmup, "reps", CB_AB_PAIRS, "t0", plan->t_start);
	if (plan->cfg->hosts)
		json_object_set_new(cell, "hosts", json_string(plan->cfg->hosts));
	return json_pack("{s:i, s:o}", "protocol", CB_AB_PROTOCOL, "cell", cell);
}

/* Starts a side and brings it to "ready". -1 with why; *fatal when the
 * binary itself is at fault (no hello), which no other cell would escape. */
static int start_side(const cb_run *plan, const cb_cell *c, side_proc *p, bool *fatal, char *why, size_t n)
{
	cb_error err = { 0 };
	if (spawn(p, &err)) {
		snprintf(why, n, "%s side: %s", p->label, err.msg);
		return -1;
	}
	if (hello(p, why, n)) {
		*fatal = true;
		return -1;
	}
	if (send_line(p, cell_message(plan, c, p->side))) {
		gone(p, 0, 0, "setting up", why, n);
		return -1;
	}
	/* The job's setup and serial reference run in this process are not
	 * a repetition: --timeout, a repetition's limit, starts after them. */
	double limit = plan->cfg->timeout_s > 0 ? plan->cfg->timeout_s : READY_LIMIT_S;
	json_t *msg;
	if (next_message(p, fmax(limit, SETUP_FLOOR_S), "setting up", &msg, why, n))
		return -1;
	if (!json_object_get(msg, "setup"))
		return unexpected(p, msg, "word that it was set up", why, n);
	json_decref(msg);
	if (next_message(p, limit, "warming up", &msg, why, n))
		return -1;
	json_t *cell = json_object_get(json_object_get(msg, "ready"), "cell");
	if (!json_is_object(cell))
		return unexpected(p, msg, "ready", why, n);
	p->cell = json_incref(cell);
	json_decref(msg);
	return 0;
}

static double rep_limit(const cb_run *plan, const side_proc *p)
{
	if (plan->cfg->timeout_s > 0)
		return plan->cfg->timeout_s;
	double w = REP_WARM_FACTOR * p->warm_s;
	return w > REP_FLOOR_S ? w : REP_FLOOR_S;
}

/* One repetition of side p: its record appended to p->reps, *wall and *at
 * its time and start. */
static int one_rep(const cb_run *plan, side_proc *p, int k, double *wall, double *at, char *why, size_t n)
{
	char during[48];
	snprintf(during, sizeof during, "pair %d", k + 1);
	if (send_line(p, json_pack("{s:i}", "rep", k))) {
		gone(p, 0, 0, during, why, n);
		return -1;
	}
	json_t *msg;
	double limit = rep_limit(plan, p);
	if (next_message(p, limit, during, &msg, why, n))
		return -1;
	json_t *rep = json_object_get(msg, "rep");
	if (!json_is_object(rep))
		return unexpected(p, msg, "repetition", why, n);
	*wall = json_number_value(json_object_get(rep, "wall_s"));
	*at = json_number_value(json_object_get(rep, "at_s"));
	json_object_set_new(rep, "round", json_integer(p->round));
	json_array_append(p->reps, rep);
	json_decref(msg);
	return 0;
}

/* Same PUs on both sides, or the pairs would compare two placements. */
static int same_placement(side_proc p[2], char *why, size_t n)
{
	json_t *a = json_object_get(p[0].cell, "placement"), *b = json_object_get(p[1].cell, "placement");
	if (json_equal(a, b))
		return 0;
	char *ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY), *tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(why, n, "the two sides placed the cell on different PUs (BASE %s, NEW %s)", ta ? ta : "?",
	         tb ? tb : "?");
	free(ta);
	free(tb);
	return -1;
}

/* Did either side's last repetition run at reduced capacity (a worker
 * that had less than CB_CAPACITY_FULL of its PU)? */
static bool pair_reduced(side_proc p[2])
{
	for (int s = 0; s < 2; s++) {
		json_t *rep = json_array_get(p[s].reps, json_array_size(p[s].reps) - 1);
		if (json_is_true(json_object_get(rep, "reduced_capacity")))
			return true;
	}
	return false;
}

/* One pair of one pair of processes (the k-th of its pairs) into `pairs`:
 * *again when it was set aside for reduced capacity and is to be taken
 * again (at most `retakes_max` of them, counted in *retakes); -1 with why
 * when a side failed. */
static int one_pair(const cb_run *plan, side_proc p[2], int k, int retakes_max, int *retakes, uint64_t *seed,
                    json_t *pairs, bool *again, char *why, size_t n)
{
	cb_error ierr = { 0 };
	*again = false;
	if (cb_runner_check_interrupt(&ierr)) {
		snprintf(why, n, "interrupted at pair %d", k + 1);
		return -1;
	}
	int first = (int)(cb_random(seed) & 1);
	double wall[2], at[2];
	for (int s = 0; s < 2; s++) {
		int side = s ? 1 - first : first;
		if (one_rep(plan, &p[side], k, &wall[side], &at[side], why, n))
			return -1;
	}
	json_t *pair = json_pack("{s:i, s:s, s:f, s:f, s:f, s:f}", "round", p[0].round, "order",
	                         first ? "BA" : "AB", "base_s", wall[0], "new_s", wall[1], "base_at_s", at[0],
	                         "new_at_s", at[1]);
	/* A worker of either side lost part of its PU: the pair is the
	 * machine's, set aside and taken again, at most one pair in
	 * AB_RETAKES_SHARE. One that stays is an ordinary pair: the reader
	 * leaves a repetition at reduced capacity out of a cell that has
	 * others, and the two sides' repetitions would no longer pair one for
	 * one, nor its pairs of processes hold as many pairs each. */
	bool reduced = pair_reduced(p);
	bool retake = reduced && *retakes < retakes_max;
	for (int s = 0; s < 2; s++) {
		size_t last = json_array_size(p[s].reps) - 1;
		json_t *rep = json_array_get(p[s].reps, last);
		json_object_set_new(rep, "reduced_capacity", json_boolean(retake));
		if (retake) {
			json_array_append(p[s].aside, rep);
			json_array_remove(p[s].reps, last);
		}
	}
	if (reduced)
		json_object_set_new(pair, retake ? "set_aside" : "reduced_capacity", json_true());
	if (retake) {
		(*retakes)++;
		*again = true;
	}
	json_array_append_new(pairs, pair);
	return 0;
}

/* The pairs of the cell's `k` pairs of processes, taken in turn: the i-th
 * pair of each pair of processes, then the (i+1)-th of each, so that every
 * pair of processes has its pairs spread over the whole cell. One process
 * can run 20-30% slow for a stretch of a few hundred milliseconds while
 * its twin, a millisecond away on the same PUs, does not (cpu.mandelbrot
 * on the 2-vCPU VM): pairs of processes measured one after the other
 * caught such a stretch in a run of 5-7 consecutive pairs and their
 * estimates differed by 2-4%, which compare must take for a difference
 * between processes. At most `most` pairs each, and past `budget_s` no
 * more once each has `least`. -1 with why when a side failed. */
static int run_pairs(const cb_run *plan, side_proc (*p)[2], int k, int least, int most, double budget_s,
                     uint64_t *seed, json_t *pairs, char *why, size_t n)
{
	int retakes[CB_AB_MAX_ROUNDS] = { 0 }, retakes_max = (most + AB_RETAKES_SHARE - 1) / AB_RETAKES_SHARE;
	double t0 = cb_now();
	for (int i = 0; i < most; i++) {
		if (i >= least && cb_now() - t0 > budget_s)
			break;
		for (int r = 0; r < k; r++) {
			bool again = true;
			while (again)
				if (one_pair(plan, p[r], i, retakes_max, &retakes[r], seed, pairs, &again, why, n))
					return -1;
		}
	}
	return 0;
}

/* "end" from both sides, then their exit. */
static int finish(side_proc p[2], char *why, size_t n)
{
	for (int s = 0; s < 2; s++) {
		json_t *msg;
		if (send_line(&p[s], json_pack("{s:b}", "end", 1))) {
			gone(&p[s], 0, 0, "ending", why, n);
			return -1;
		}
		if (next_message(&p[s], END_LIMIT_S, "ending", &msg, why, n))
			return -1;
		json_t *end = json_object_get(msg, "end");
		if (!json_is_object(end))
			return unexpected(&p[s], msg, "end", why, n);
		p[s].end = json_incref(end);
		json_decref(msg);
		json_t *more;
		if (read_json(&p[s], END_LIMIT_S, &more) > 0)
			json_decref(more);
		int st;
		while (waitpid(p[s].pid, &st, 0) < 0 && errno == EINTR)
			;
		p[s].exited = true;
		kill(-p[s].pid, SIGKILL);   /* anything of its group that outlived it */
	}
	return 0;
}

/* Kills what is left of both sides and reaps it, temp dirs included. */
static void stop_sides(side_proc p[2])
{
	for (int s = 0; s < 2; s++)
		if (p[s].pid > 0 && !p[s].exited) {
			kill(-p[s].pid, SIGKILL);
			kill(p[s].pid, SIGKILL);
		}
	for (int s = 0; s < 2; s++)
		if (p[s].pid > 0 && !p[s].exited) {
			cb_runner_after_kill(p[s].pid);
			p[s].exited = true;
		}
	cb_runner_sweep();
}

static void free_side(side_proc *p)
{
	if (p->to > 0)
		close(p->to);
	if (p->from > 0)
		close(p->from);
	free(p->buf);
	if (p->cell)
		json_decref(p->cell);
	if (p->end)
		json_decref(p->end);
	if (p->layout)
		json_decref(p->layout);
	memset(p, 0, sizeof *p);
}

/* What a side of a cell gathered over its pairs of processes. */
typedef struct side_rec {
	json_t *reps;   /* every repetition, in order, each with its round */
	json_t *aside;  /* those of the pairs set aside and taken again */
	json_t *cell;   /* the first "ready" cell, or NULL */
	json_t *end;    /* the last "end", or NULL */
} side_rec;

/* Each round's median (the unit other commands know), in round order. */
static json_t *round_medians(const json_t *reps, bool *ok)
{
	json_t *out = json_array(), *rep;
	size_t n = json_array_size(reps), i;
	double *w = cb_xmalloc((n + 1) * sizeof *w);
	for (int r = 0; r < CB_AB_MAX_ROUNDS; r++) {
		size_t k = 0;
		json_array_foreach(reps, i, rep)
			if (json_integer_value(json_object_get(rep, "round")) == r)
				w[k++] = json_number_value(json_object_get(rep, "wall_s"));
		if (k)
			json_array_append_new(out, json_real(cb_median(w, k)));
	}
	json_array_foreach(reps, i, rep)
		*ok &= json_is_true(json_object_get(rep, "checksum_ok"));
	free(w);
	return out;
}

/* The side's cell as results.json holds it: what its build said the cell
 * is (or, where it never got that far, the plan's), its repetitions and
 * what its end said. */
static json_t *side_cell(const cb_cell *c, const json_t *fallback, const side_rec *p, const char *error)
{
	json_t *cell = json_deep_copy(p->cell ? p->cell : fallback);
	size_t nreps = json_array_size(p->reps);
	bool ok = nreps > 0 && !error;
	json_object_set(cell, "reps", p->reps);
	json_object_set(cell, "reps_set_aside", p->aside);
	json_object_set_new(cell, "rounds", round_medians(p->reps, &ok));
	json_object_set_new(cell, "error", error ? json_string(error) : json_null());
	json_object_set_new(cell, "baseline_added", json_boolean(c->added_baseline));
	const char *sum = json_string_value(json_object_get(p->end, "checksum"));
	json_object_set_new(cell, "checksum", sum && nreps ? json_sprintf("%#018llx", strtoull(sum, NULL, 10))
	                                      : json_null());
	json_object_set_new(cell, "checksum_ok", json_boolean(ok));
	const char *note = json_string_value(json_object_get(p->end, "note"));
	if (note && *note)
		json_object_set_new(cell, "strategy_note", json_string(note));
	json_t *rec = json_object_get(p->end, "record"), *lat = json_object_get(p->end, "latency");
	if (json_is_object(rec))
		json_object_update_missing(cell, rec);
	if (json_array_size(lat) == 4)
		json_object_set_new(cell, "latency", json_pack("{s:O, s:O, s:O, s:O}", "p50_s", json_array_get(lat, 0),
		                    "p90_s", json_array_get(lat, 1), "p99_s", json_array_get(lat, 2),
		                    "max_s", json_array_get(lat, 3)));
	if (!ok)
		json_object_set_new(cell, "work_per_job", json_null());
	cb_results_cell_stats(cell);
	return cell;
}

/* One pair of processes (p[r]) or all of them in turn: started (every
 * other one starts NEW first) and checked for the same PUs, their pairs
 * (at least `least`, at most `most` each, past `budget_s` no more), their
 * end; whatever is left of them killed and reaped. */
static int some_rounds(const cb_run *plan, const cb_cell *c, side_proc (*p)[2], int k, int least, int most,
                       double budget_s, uint64_t *seed, json_t *pairs, bool *fatal, char *why, size_t n)
{
	int rc = 0;
	for (int r = 0; r < k && !rc; r++)
		for (int s = 0; s < 2 && !rc; s++)
			rc = start_side(plan, c, &p[r][p[r][0].round % 2 ? 1 - s : s], fatal, why, n);
	for (int r = 0; r < k && !rc; r++)
		rc = same_placement(p[r], why, n);
	if (!rc)
		rc = run_pairs(plan, p, k, least, most, budget_s, seed, pairs, why, n);
	for (int r = 0; r < k && !rc; r++)
		rc = finish(p[r], why, n);
	for (int r = 0; r < k; r++)
		stop_sides(p[r]);
	return rc;
}

static bool spread_rounds(const cb_cell *c, const cb_ab_opts *o)
{
	return o->order == CB_AB_SPREAD || (o->order == CB_AB_BY_KIND && c->job->wl->kind == CB_KIND_CPU);
}

/* The cell's k pairs of processes (cb_ab_order): spread, all at once;
 * together, one after the other, the first taking as many pairs as its
 * share of the budget allows and the others as many as it took. */
static int all_rounds(const cb_run *plan, const cb_cell *c, side_proc (*p)[2], int k, const cb_ab_opts *o,
                      uint64_t *seed, json_t *pairs, bool *fatal, char *why, size_t n)
{
	int most = (o->pairs + k - 1) / k;
	int least = (CB_AB_MIN_PAIRS + k - 1) / k;
	if (least < 2)
		least = 2;
	if (most < least)
		most = least;
	if (spread_rounds(c, o))
		return some_rounds(plan, c, p, k, least, most, o->cell_budget_s, seed, pairs, fatal, why, n);
	int rc = 0;
	for (int r = 0; r < k && !rc; r++) {
		rc = some_rounds(plan, c, p + r, 1, least, most, o->cell_budget_s / k, seed, pairs, fatal, why, n);
		if (!r)
			least = most = (int)json_array_size(p[0][0].reps);
	}
	return rc;
}

/* One cell on both sides, in o->processes (else CB_AB_ROUNDS) pairs of processes with as many
 * pairs each. *fatal (with why) when a side's binary cannot speak the
 * protocol at all. */
static void ab_cell(cb_run *plan, cb_cell *c, cb_ab_side side[2], const cb_ab_opts *o, uint64_t *seed,
                    const json_t *fallback, json_t *out, bool *fatal, char *why, size_t n)
{
	side_rec rec[2] = { { .reps = json_array(), .aside = json_array() }, { .reps = json_array(), .aside = json_array() } };
	side_proc p[CB_AB_MAX_ROUNDS][2];
	int k = o->processes > 0 ? o->processes : CB_AB_ROUNDS;
	static const char *const labels[2] = { "BASE", "NEW" };
	json_t *pairs = json_array();
	int rc = 0;
	why[0] = 0;
	/* Each pair of processes' hash seed and layout seed (side_environ),
	 * from the run's seed, the cell and the pair, without drawing on the
	 * pairs' order; the hash seed is drawn even where the caller's
	 * PYTHONHASHSEED stands, so that the layouts are the same either way. */
	bool own_seed = !getenv("PYTHONHASHSEED");
	json_t *seeds = json_array(), *layouts = json_array(), *shared = json_array(), *found = json_array();
	for (int r = 0; r < k; r++) {
		uint64_t st = o->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)((c - plan->cells) * CB_AB_MAX_ROUNDS + r + 1));
		unsigned long drawn = (unsigned long)(cb_random(&st) % 4294967295ull) + 1;
		unsigned long hs = own_seed ? drawn : 0, ls = (unsigned long)(cb_random(&st) & 0xffffffffffull);
		if (hs)
			json_array_append_new(seeds, json_integer((json_int_t)hs));
		json_array_append_new(layouts, json_integer((json_int_t)ls));
		for (int s = 0; s < 2; s++)
			p[r][s] = (side_proc){ .side = &side[s], .label = labels[s], .reps = json_array(),
			                       .aside = json_array(), .round = r, .hash_seed = hs, .layout_seed = ls };
	}
	if (c->error) {
		snprintf(why, n, "%s", c->error);
		rc = -1;
	} else {
		rc = all_rounds(plan, c, p, k, o, seed, pairs, fatal, why, n);
	}
	/* Whether each pair of processes' twins found the same addresses
	 * (null where either never said). */
	for (int r = 0; r < k; r++) {
		json_array_append_new(shared, p[r][0].layout && p[r][1].layout
		                              ? json_boolean(json_equal(p[r][0].layout, p[r][1].layout)) : json_null());
		json_array_append_new(found, p[r][0].layout ? json_incref(p[r][0].layout) : json_null());
	}
	/* Each side's repetitions in round order, as compare reads them. */
	for (int r = 0; r < k; r++)
		for (int s = 0; s < 2; s++) {
			json_array_extend(rec[s].reps, p[r][s].reps);
			json_array_extend(rec[s].aside, p[r][s].aside);
			json_decref(p[r][s].reps);
			json_decref(p[r][s].aside);
			if (!rec[s].cell && p[r][s].cell)
				rec[s].cell = json_incref(p[r][s].cell);
			if (p[r][s].end) {
				if (rec[s].end)
					json_decref(rec[s].end);
				rec[s].end = json_incref(p[r][s].end);
			}
			free_side(&p[r][s]);
		}
	for (int s = 0; s < 2; s++) {
		json_array_append_new(side[s].cells, side_cell(c, fallback, &rec[s], rc ? why : NULL));
		json_decref(rec[s].reps);
		json_decref(rec[s].aside);
		if (rec[s].cell)
			json_decref(rec[s].cell);
		if (rec[s].end)
			json_decref(rec[s].end);
	}
	json_array_append_new(out, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", c->id, "pairs", pairs,
	                                     "error", rc ? json_string(why) : json_null(),
	                                     "python_hash_seeds", own_seed ? seeds : json_null(),
	                                     "layout_seeds", layouts, "layouts", found, "layouts_shared", shared));
	if (!own_seed)
		json_decref(seeds);
}

int cb_ab_default_pairs(int ncells)
{
	return ncells > CB_AB_FEW_CELLS ? CB_AB_PAIRS : CB_AB_PAIRS_FEW;
}

int cb_ab_run(cb_run *plan, cb_ab_side side[2], const cb_ab_opts *o, json_t **pairs, cb_error *err)
{
	plan->t_start = cb_now();
	/* One rate of the spin chain for both sides' processes. */
	cb_spin_rate_shared();
	for (int i = 0; i < plan->ncells; i++)
		plan->cells[i].done = true;
	json_t *root = cb_results_json(plan), *fallback = json_object_get(root, "cells");
	/* The parent keeps only what describes each job (the runner's rule). */
	for (int j = 0; j < plan->njobs; j++)
		cb_job_release(plan->jobs[j]);
	int was_reaper = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &was_reaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	json_t *cells = json_array();
	uint64_t seed = o->seed;
	int rc = 0;
	for (int s = 0; s < 2; s++)
		side[s].cells = json_array();
	for (int i = 0; i < plan->ncells; i++) {
		cb_cell *c = &plan->cells[i];
		bool fatal = false;
		char why[1400];
		ab_cell(plan, c, side, o, &seed, json_array_get(fallback, (size_t)i), cells, &fatal, why, sizeof why);
		if (fatal) {
			rc = cb_error_set(err, CB_EXIT_USAGE, "%s", why);
			break;
		}
		json_t *last = json_array_get(cells, json_array_size(cells) - 1);
		cb_say(&plan->say, CB_SAY_PROGRESS, "[%d/%d cells] %s: %zu pairs%s%s", i + 1, plan->ncells, c->id,
		       json_array_size(json_object_get(last, "pairs")), *why ? ": FAILED: " : "", why);
		if (*why) {
			plan->failed = true;
			cb_say(&plan->say, CB_SAY_PROBLEM, "%s: %s", c->id, why);
		}
		cb_error ierr = { 0 };
		if (cb_runner_check_interrupt(&ierr)) {
			plan->interrupted = true;
			break;
		}
	}
	cb_say(&plan->say, CB_SAY_PROGRESS, "%s", "");
	sigaction(SIGPIPE, &old_pipe, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, was_reaper);
	json_decref(root);
	*pairs = json_pack("{s:s, s:i, s:I, s:s, s:s, s:o}", "schema", "concbench.ab-pairs/1", "protocol",
	                   CB_AB_PROTOCOL, "seed", (json_int_t)(o->seed & INT64_MAX), "base_bin", side[0].bin,
	                   "new_bin", side[1].bin, "cells", cells);
	return rc;
}

int cb_ab_write_side(const cb_run *plan, const cb_ab_side *side, const char *dir, cb_error *err)
{
	cb_run r = *plan;
	r.cfg = side->cfg;
	r.cells = NULL;
	r.ncells = r.njobs = r.cells_done = 0;
	r.jobs = NULL;
	r.interrupted = false;
	json_t *root = cb_results_json(&r), *config = json_object_get(root, "config");
	json_object_set(root, "cells", side->cells);
	json_object_set_new(root, "complete", json_boolean(!plan->interrupted &&
	                                                   json_array_size(side->cells) == (size_t)plan->ncells));
	json_object_set_new(config, "isolation", json_string("process per cell and side; A/B pairs (concbench ab)"));
	json_object_set_new(config, "reps", json_integer(CB_AB_PAIRS));
	json_object_set_new(root, "ab", json_pack("{s:s, s:s, s:i, s:s}", "side", side->name, "bin", side->bin,
	                                          "protocol", CB_AB_PROTOCOL, "pairs", "../pairs.json"));
	cb_results_derive(root);
	int rc = cb_results_write_json(dir, root, err);
	json_decref(root);
	return rc;
}

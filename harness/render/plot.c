/* Chart data and rendering: per workload, one scaling table, one table of
 * model curves and one phase table as .dat files next to the charts, then
 * one gnuplot run per chart and format. What the charts look like lives in
 * the plots/ templates; this file decides only which charts a workload gets. */
#include "render/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render/gnuplot.h"
#include "render/summary.h"
#include "render/timeline.h"

/* The series of one workload and parameter set: one set of charts. */
typedef struct wl_group {
	const cb_series **s;
	size_t n;
	char *name;   /* "cpu.primes", or "cpu.primes[n=10]" when needed */
	char *slug;   /* the name made safe for file names */
	bool io;
	double nmax;
} wl_group;

typedef struct chart_kind {
	const char *suffix, *template, *title;
	bool io;  /* for I/O workloads; the others for computing ones */
} chart_kind;

static const chart_kind chart_kinds[] = {
	{ "speedup", "speedup.gp", "%s: speedup vs workers", false },
	{ "efficiency", "efficiency.gp", "%s: parallel efficiency vs workers", false },
	{ "phases", "phases.gp", "%s: time per strategy at the largest worker count", false },
	{ "karp-flatt", "karp_flatt.gp", "%s: Karp-Flatt serial fraction vs workers", false },
	{ "throughput", "io_throughput.gp", "%s: throughput vs concurrency", true },
	{ "latency", "latency.gp", "%s: task latency percentiles vs concurrency", true },
};
static const chart_kind timeline_kind = { "timeline", "timeline.gp", "%s", false };
static const chart_kind heatmap_kind = { "summary-heatmap", "heatmap.gp", "%s", false };
#define NKINDS (sizeof chart_kinds / sizeof *chart_kinds)

char *cb_machine_caption(const cb_rdoc *d)
{
	char pus[32] = "";
	if (d->allowed_pus > 0)
		snprintf(pus, sizeof pus, " | %d PUs", d->allowed_pus);
	return cb_xasprintf("%s | %s%s | %s | %s", d->host, d->cpu_model, pus, d->kernel,
	                    d->created);
}

static char *slugify(const char *s)
{
	char *o = cb_xstrdup(s);
	for (char *p = o; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '_'))
			*p = '_';
	return o;
}

static void groups_build(const cb_series_set *set, wl_group **out, size_t *nout)
{
	wl_group *g = NULL;
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++) {
		const cb_series *s = &set->s[i];
		wl_group *grp = NULL;
		for (size_t j = 0; j < n && !grp; j++)
			if (!strcmp(g[j].s[0]->workload, s->workload) && !strcmp(g[j].s[0]->params, s->params))
				grp = &g[j];
		if (!grp) {
			g = cb_xrealloc(g, (n + 1) * sizeof *g);
			grp = &g[n++];
			memset(grp, 0, sizeof *grp);
			const char *br = strchr(s->label, '[');
			grp->name = br && br - s->label == (ptrdiff_t)strlen(s->workload)
			            ? cb_xasprintf("%s[%s]", s->workload, s->params) : cb_xstrdup(s->workload);
			grp->slug = slugify(grp->name);
			grp->io = s->kind && !strcmp(s->kind, "io");
		}
		grp->s = cb_xrealloc(grp->s, (grp->n + 1) * sizeof *grp->s);
		grp->s[grp->n++] = s;
		if (s->pts[s->npts - 1].n > grp->nmax)
			grp->nmax = s->pts[s->npts - 1].n;
	}
	*out = g;
	*nout = n;
}

static void groups_free(wl_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].s);
		free(g[i].name);
		free(g[i].slug);
	}
	free(g);
}

/* ---- .dat files ---- */

static int write_buf(const char *path, char *buf, size_t len, cb_error *err)
{
	int rc = cb_write_file_atomic(path, buf, len, err);
	free(buf);
	return rc;
}

static void put(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.8g", v);
	else
		fputs(" NaN", f);
}

/* One block per series: n, speedup lo hi, efficiency lo hi, Karp-Flatt,
 * throughput lo hi, latency p50 p90 p99 (ms). */
static int write_scaling(const wl_group *g, const char *path, cb_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "# concbench scaling data of %s: one block per series\n"
	        "# n speedup lo hi efficiency lo hi karp_flatt throughput lo hi p50_ms p90_ms p99_ms\n",
	        g->name);
	for (size_t i = 0; i < g->n; i++) {
		const cb_series *s = g->s[i];
		fprintf(f, "%s# series %s\n", i ? "\n\n" : "", s->label);
		for (size_t j = 0; j < s->npts; j++) {
			const cb_point *p = &s->pts[j];
			const cb_rcell *c = p->cell;
			fprintf(f, "%g", p->n);
			put(f, p->speedup), put(f, p->speedup_lo), put(f, p->speedup_hi);
			put(f, p->efficiency), put(f, p->speedup_lo / p->p), put(f, p->speedup_hi / p->p);
			put(f, p->karp_flatt), put(f, p->x), put(f, p->x_lo), put(f, p->x_hi);
			put(f, c->lat_p50 * 1e3), put(f, c->lat_p90 * 1e3), put(f, c->lat_p99 * 1e3);
			fputc('\n', f);
		}
	}
	fclose(f);
	return write_buf(path, buf, len, err);
}

/* The I/O bound's inputs from the least loaded cell of the group: its p50
 * latency is the task's own latency, without queueing. */
static void io_bound_inputs(const wl_group *g, double *lat, double *cores, double *cpu)
{
	const cb_rcell *best = NULL;
	for (size_t i = 0; i < g->n; i++) {
		const cb_rcell *c = g->s[i]->pts[0].cell;
		if (isfinite(c->lat_p50) && (!best || c->concurrency < best->concurrency))
			best = c;
	}
	*lat = best ? best->lat_p50 : NAN;
	*cores = best ? best->usable_pus : NAN;
	*cpu = best && best->ntasks > 0 ? best->cpu_s / (double)best->ntasks : 0;
}

/* Block 0: n, ideal, Amdahl (or Gustafson) from f, I/O bound; block i:
 * the USL fit of series i in speedup units, NaN where it has none. */
static int write_fits(const wl_group *g, double f, const char *path, cb_error *err)
{
	enum { SAMPLES = 80 };
	char *buf = NULL;
	size_t len = 0;
	double lat, cores, cpu, top = g->io ? g->nmax * 1.5 : g->nmax * 1.1;
	io_bound_inputs(g, &lat, &cores, &cpu);
	FILE *f_ = open_memstream(&buf, &len);
	fprintf(f_, "# concbench model curves of %s\n# n ideal amdahl io_bound\n", g->name);
	for (int k = 0; k <= SAMPLES; k++) {
		double n = g->io ? pow(top, (double)k / SAMPLES) : 1 + (top - 1) * k / SAMPLES;
		fprintf(f_, "%.6g %.6g", n, n);
		put(f_, g->s[0]->weak ? cb_gustafson_speedup(f, n) : cb_amdahl_speedup(f, n));
		put(f_, g->io ? cb_io_bound(n, lat, cores, cpu) : NAN);
		fputc('\n', f_);
	}
	for (size_t i = 0; i < g->n; i++) {
		const cb_series *s = g->s[i];
		fprintf(f_, "\n\n# USL fit of %s, as speedup\n", s->label);
		for (int k = 0; k <= SAMPLES; k++) {
			double n = g->io ? pow(top, (double)k / SAMPLES) : 1 + (top - 1) * k / SAMPLES;
			fprintf(f_, "%.6g", n);
			put(f_, s->has_usl ? cb_usl_eval(&s->usl, n) / s->x_base : NAN);
			fputc('\n', f_);
		}
	}
	fclose(f_);
	return write_buf(path, buf, len, err);
}

/* Seconds, milliseconds or microseconds, whichever keeps the bars readable. */
static double time_unit(const wl_group *g, const char **name)
{
	double most = 0;
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; j < g->s[i]->npts; j++)
			if (g->s[i]->pts[j].cell->max_s > most)
				most = g->s[i]->pts[j].cell->max_s;
	*name = most >= 10 ? "s" : most >= 0.01 ? "ms" : "us";
	return most >= 10 ? 1 : most >= 0.01 ? 1e3 : 1e6;
}

/* One row per series at its largest load: the medians of the three timed
 * phases and the wall-time median with its min-max whiskers. */
static int write_phases(const wl_group *g, const char *path, double scale, const char *unit,
                        cb_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "# concbench phases of %s at the largest worker count, in %s\n"
	        "# index label pre par post wall_median wall_min wall_max\n", g->name, unit);
	for (size_t i = 0; i < g->n; i++) {
		const cb_point *p = &g->s[i]->pts[g->s[i]->npts - 1];
		const cb_rcell *c = p->cell;
		fprintf(f, "%zu \"%s (%g)\"", i, g->s[i]->short_name, p->n);
		put(f, c->pre_s * scale), put(f, c->par_s * scale), put(f, c->post_s * scale);
		put(f, c->median_s * scale), put(f, c->min_s * scale), put(f, c->max_s * scale);
		fputc('\n', f);
	}
	fclose(f);
	return write_buf(path, buf, len, err);
}

/* ---- rendering ---- */

/* Variables every template of a group may use. */
static char *group_preamble(const cb_rdoc *d, const wl_group *g, const char *dir,
                            const char *plots, double f, const char *f_src, const char *unit)
{
	char *pre = NULL, *cap = cb_machine_caption(d), *names = NULL, *usl = NULL, *np = NULL, *p;
	for (size_t i = 0; i < g->n; i++) {
		p = cb_xasprintf("%s%s%zu", np ? np : "", i ? " " : "", g->s[i]->npts);
		free(np);
		np = p;
		p = cb_xasprintf("%s%s%s", names ? names : "", i ? " " : "", g->s[i]->short_name);
		free(names);
		names = p;
		p = cb_xasprintf("%s%s%d", usl ? usl : "", i ? " " : "", g->s[i]->has_usl);
		free(usl);
		usl = p;
	}
	double lat, cores, cpu;
	io_bound_inputs(g, &lat, &cores, &cpu);
	cb_gp_set_str(&pre, "plotdir", plots);
	cb_gp_set_str(&pre, "caption", cap);
	cb_gp_set_str(&pre, "workload", g->name);
	p = cb_xasprintf("%s/%s.scaling.dat", dir, g->slug), cb_gp_set_str(&pre, "scaling", p), free(p);
	p = cb_xasprintf("%s/%s.fits.dat", dir, g->slug), cb_gp_set_str(&pre, "fits", p), free(p);
	p = cb_xasprintf("%s/%s.phases.dat", dir, g->slug), cb_gp_set_str(&pre, "phases", p), free(p);
	cb_gp_set_str(&pre, "names", names);
	cb_gp_set_str(&pre, "has_usl", usl);
	cb_gp_set_str(&pre, "npoints", np);
	cb_gp_set_num(&pre, "nseries", (double)g->n);
	cb_gp_set_num(&pre, "nmax", g->nmax);
	cb_gp_set_num(&pre, "serial_f", f);
	cb_gp_set_str(&pre, "serial_f_src", f_src);
	cb_gp_set_num(&pre, "weak", g->s[0]->weak);
	cb_gp_set_str(&pre, "tunit", unit);
	cb_gp_set_num(&pre, "lat_ms", lat * 1e3);
	cb_gp_set_num(&pre, "cores", cores);
	cb_gp_set_num(&pre, "cpu_ms", cpu * 1e3);
	free(cap);
	free(names);
	free(usl);
	free(np);
	return pre;
}

static void chart_add(cb_chart_list *l, const wl_group *g, const chart_kind *k)
{
	l->c = cb_xrealloc(l->c, (l->n + 1) * sizeof *l->c);
	cb_chart *c = &l->c[l->n++];
	c->base = cb_xasprintf("%s-%s", g->slug, k->suffix);
	c->title = cb_xasprintf(k->title, g->name);
	c->workload = cb_xstrdup(g->name);
	c->cell = NULL;
	c->rendered = false;
}

/* Both formats of one chart, each drawn into a temp file and renamed over
 * the old chart only when whole; stops at the first failure. */
static int render(const char *pre, const char *dir, const char *plots, cb_chart *c,
                  const chart_kind *k, cb_error *err)
{
	static const char *const terms[] = { "png", "svg" };
	for (size_t t = 0; t < 2; t++) {
		char *base = cb_xasprintf("%s/%s", dir, c->base), *tmpbase = cb_gp_temp_path(base);
		char *path = cb_xasprintf("%s.%s", base, terms[t]);
		char *tmp = cb_xasprintf("%s.%s", tmpbase, terms[t]), *all = cb_xstrdup(pre);
		cb_gp_set_str(&all, "outbase", tmpbase);
		cb_gp_set_str(&all, "term", terms[t]);
		cb_gp_set_str(&all, "chart_title", c->title);
		int rc = cb_gnuplot_run(plots, k->template, all, err);
		if (rc)
			unlink(tmp);
		else
			rc = cb_gp_commit(tmp, path, terms[t], err);
		free(all);
		free(tmp);
		free(path);
		free(tmpbase);
		free(base);
		if (rc)
			return -1;
	}
	c->rendered = true;
	return 0;
}

/* The Amdahl curve uses the serial fraction measured on the serial cell;
 * without one, the best fitted one of the group's series. */
static double group_f(const wl_group *g, const char **src)
{
	*src = "measured";
	for (size_t i = 0; i < g->n; i++)
		if (isfinite(g->s[i]->f_measured))
			return g->s[i]->f_measured;
	double f = NAN;
	*src = "fitted";
	for (size_t i = 0; i < g->n; i++)
		if (g->s[i]->has_amdahl && (isnan(f) || g->s[i]->amdahl.f < f))
			f = g->s[i]->amdahl.f;
	return f;
}

/* Data errors go to err; rendering errors to rerr, which stops rendering
 * but not the data of the groups after it. A chart that could not be
 * written (CB_EXIT_FAIL, not CB_EXIT_ENV) is as fatal as a .dat file. */
/* The timeline of each series' largest load, where the run traced it. */
static int plot_timelines(const cb_rdoc *d, const wl_group *g, const json_t *trace, const char *dir,
                          const char *plots, cb_chart_list *out, cb_error *err, cb_error *rerr)
{
	char *cap = cb_machine_caption(d);
	int rc = 0;
	for (size_t i = 0; i < g->n && !rc; i++) {
		const cb_point *p = &g->s[i]->pts[g->s[i]->npts - 1];
		char *slug = slugify(g->s[i]->short_name);
		char *base = cb_xasprintf("%s-timeline-%s-n%g", g->slug, slug, p->n);
		char *dat = cb_xasprintf("%s/%s.dat", dir, base);
		int lanes = 0;
		double par_ms = 0;
		int w = cb_timeline_write(trace, p->cell->id, dat, &lanes, &par_ms, err);
		if (w < 0)
			rc = -1;
		if (w == 0) {
			out->c = cb_xrealloc(out->c, (out->n + 1) * sizeof *out->c);
			cb_chart *c = &out->c[out->n++];
			c->base = cb_xstrdup(base);
			c->title = cb_xasprintf("%s: task timeline of %s at %g (one traced repetition)", g->name,
			                        g->s[i]->short_name, p->n);
			c->workload = cb_xstrdup(g->name);
			c->cell = cb_xstrdup(p->cell->id);
			c->rendered = false;
			if (plots && !rerr->code) {
				char *pre = NULL;
				cb_gp_set_str(&pre, "plotdir", plots);
				cb_gp_set_str(&pre, "caption", cap);
				cb_gp_set_str(&pre, "timeline", dat);
				cb_gp_set_num(&pre, "nmax", 1);
				cb_gp_set_str(&pre, "strategy", g->s[i]->strategy);
				cb_gp_set_num(&pre, "lanes", lanes > 0 ? lanes : 1);
				cb_gp_set_num(&pre, "par_ms", par_ms > 0 ? par_ms : 1);
				render(pre, dir, plots, c, &timeline_kind, rerr);
				free(pre);
			}
		}
		free(slug);
		free(base);
		free(dat);
	}
	free(cap);
	return rc;
}

/* The summary heat map: workloads x strategies, one box per cell. */
static int plot_heatmap(const cb_rdoc *d, const cb_series_set *set, const char *dir, const char *plots,
                        cb_chart_list *out, cb_error *err, cb_error *rerr)
{
	cb_summary sm;
	cb_summary_build(set, &sm);
	int rc = 0;
	if (!sm.nrows || !sm.ncols)
		goto out;
	char *buf = NULL, *cols = NULL, *rows = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "# concbench summary heat map: col row colour label\n");
	for (size_t r = 0; r < sm.nrows; r++)
		for (size_t c = 0; c < sm.ncols; c++) {
			double v = sm.rows[r].value[c];
			if (!isfinite(v))
				continue;
			fprintf(f, "%zu %zu %.6g \"", c, r, sm.rows[r].rel[c]);
			fprintf(f, sm.rows[r].io ? "%.3g/s" : "%.2f", v);
			fprintf(f, "\"\n");
		}
	fclose(f);
	char *dat = cb_xasprintf("%s/summary-heatmap.dat", dir);
	rc = write_buf(dat, buf, len, err);
	for (size_t c = 0; c < sm.ncols; c++) {
		p = cb_xasprintf("%s%s%s", cols ? cols : "", c ? " " : "", sm.cols[c]);
		free(cols);
		cols = p;
	}
	for (size_t r = 0; r < sm.nrows; r++) {
		p = cb_xasprintf("%s%s%s", rows ? rows : "", r ? " " : "", sm.rows[r].workload);
		free(rows);
		rows = p;
	}
	if (!rc) {
		out->c = cb_xrealloc(out->c, (out->n + 1) * sizeof *out->c);
		cb_chart *c = &out->c[out->n++];
		c->base = cb_xstrdup("summary-heatmap");
		c->title = cb_xstrdup("efficiency (I/O: throughput) of every workload and strategy at its largest "
		                      "worker count");
		c->workload = cb_xstrdup("");
		c->cell = NULL;
		c->rendered = false;
		if (plots && !rerr->code) {
			char *pre = NULL, *cap = cb_machine_caption(d);
			cb_gp_set_str(&pre, "plotdir", plots);
			cb_gp_set_str(&pre, "caption", cap);
			cb_gp_set_str(&pre, "heat", dat);
			cb_gp_set_num(&pre, "nmax", 1);
			cb_gp_set_str(&pre, "colnames", cols);
			cb_gp_set_str(&pre, "rownames", rows);
			cb_gp_set_num(&pre, "ncols", (double)sm.ncols);
			cb_gp_set_num(&pre, "nrows", (double)sm.nrows);
			render(pre, dir, plots, c, &heatmap_kind, rerr);
			free(pre);
			free(cap);
		}
	}
	free(cols);
	free(rows);
	free(dat);
out:
	cb_summary_free(&sm);
	return rc;
}

static int plot_group(const cb_rdoc *d, const wl_group *g, const char *dir, const char *plots,
                      cb_chart_list *out, cb_error *err, cb_error *rerr)
{
	const char *unit, *f_src;
	double scale = time_unit(g, &unit), f = group_f(g, &f_src);
	char *p1 = cb_xasprintf("%s/%s.scaling.dat", dir, g->slug);
	char *p2 = cb_xasprintf("%s/%s.fits.dat", dir, g->slug);
	char *p3 = cb_xasprintf("%s/%s.phases.dat", dir, g->slug);
	char *pre = NULL;
	int rc = -1;
	if (write_scaling(g, p1, err) || write_fits(g, f, p2, err) ||
	    write_phases(g, p3, scale, unit, err))
		goto out;
	pre = plots ? group_preamble(d, g, dir, plots, f, f_src, unit) : NULL;
	for (size_t k = 0; k < NKINDS; k++) {
		if (chart_kinds[k].io != g->io)
			continue;
		chart_add(out, g, &chart_kinds[k]);
		/* After the first gnuplot failure the rest would fail alike. */
		if (pre && !rerr->code)
			render(pre, dir, plots, &out->c[out->n - 1], &chart_kinds[k], rerr);
	}
	rc = 0;
out:
	free(pre);
	free(p1);
	free(p2);
	free(p3);
	return rc;
}

int cb_plot_all(const cb_rdoc *doc, const cb_series_set *set, const char *dir,
                cb_chart_list *out, cb_error *err)
{
	wl_group *g = NULL;
	size_t ng = 0;
	char *plots = cb_plots_dir();
	cb_error render_err = { 0 };
	int rc = -1;
	json_t *trace = doc->path ? cb_timeline_load(doc->path) : NULL;
	if (!plots)
		cb_error_set(&render_err, CB_EXIT_ENV, "no chart templates found (looked in "
		             "$CONCBENCH_PLOTS, %s/plots and next to the executable)", CB_SOURCE_DIR);
	groups_build(set, &g, &ng);
	for (size_t i = 0; i < ng; i++)
		if (plot_group(doc, &g[i], dir, plots, out, err, &render_err) ||
		    (trace && plot_timelines(doc, &g[i], trace, dir, plots, out, err, &render_err)))
			goto out;
	if (plot_heatmap(doc, set, dir, plots, out, err, &render_err))
		goto out;
	if (render_err.code) {
		*err = render_err;
		goto out;
	}
	rc = 0;
out:
	groups_free(g, ng);
	free(plots);
	if (trace)
		json_decref(trace);
	return rc;
}

void cb_chart_list_free(cb_chart_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->c[i].base);
		free(list->c[i].title);
		free(list->c[i].workload);
		free(list->c[i].cell);
	}
	free(list->c);
	list->c = NULL;
	list->n = 0;
}

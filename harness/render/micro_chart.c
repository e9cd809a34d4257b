/* Chart data of a micro run (see micro_chart.h). The word lists grow with
 * the data: a name left off would shift every later block's label. */
#include "render/micro_chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/common.h"
#include "render/gnuplot.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static FILE *open_text(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	if (!f)
		abort();
	return f;
}

static void close_text(FILE *f)
{
	if (fclose(f))
		abort();
}

static int model_index(json_t *models, const char *m)
{
	size_t i;
	json_t *v;
	json_array_foreach(models, i, v)
		if (!strcmp(json_string_value(v), m))
			return (int)i;
	json_array_append_new(models, json_string(m));
	return (int)json_array_size(models) - 1;
}

static char *join(json_t *names)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_t *v;
	FILE *f = open_text(&buf, &len);
	json_array_foreach(names, i, v)
		fprintf(f, "%s%s", i ? " " : "", json_string_value(v));
	close_text(f);
	return buf;
}

void cb_micro_price_data(json_t *cells, cb_micro_chart *out)
{
	json_t *models = json_array(), *c, *mv;
	size_t i, m;
	int rows = 0;
	memset(out, 0, sizeof *out);
	json_array_foreach(cells, i, c)
		if (json_is_number(json_object_get(c, "ns_per_op")))
			model_index(models, str(c, "model"));
	FILE *f = open_text(&out->dat, &out->len);
	fprintf(f, "# concbench micro price list: y ns_per_op id, one block per model\n");
	json_array_foreach(models, m, mv) {
		fprintf(f, "# model %s\n", json_string_value(mv));
		int y = 0;
		const char *prev = NULL;
		json_array_foreach(cells, i, c) {
			json_t *ns = json_object_get(c, "ns_per_op");
			if (!json_is_number(ns))
				continue;
			const char *fam = str(c, "family");
			if (prev && strcmp(prev, fam))
				y++;
			prev = fam;
			if (!strcmp(str(c, "model"), json_string_value(mv)))
				fprintf(f, "%d %.6g \"%s\"\n", y, json_number_value(ns), str(c, "id"));
			y++;
		}
		rows = y;
		fprintf(f, "\n\n");
	}
	fprintf(f, "# family labels: y family\n");
	int y = 0;
	const char *prev = NULL;
	json_array_foreach(cells, i, c) {
		if (!json_is_number(json_object_get(c, "ns_per_op")))
			continue;
		const char *fam = str(c, "family");
		if (!prev || strcmp(prev, fam)) {
			if (prev)
				y++;
			fprintf(f, "%.2f \"%s\"\n", y - 0.75, fam);
		}
		prev = fam;
		y++;
	}
	close_text(f);
	out->words = join(models);
	out->count = rows;
	json_decref(models);
}

void cb_micro_locks_data(json_t *cells, cb_micro_chart *out)
{
	json_t *series = json_object(), *order = json_array(), *drawn = json_array(), *c, *p;
	size_t i;
	memset(out, 0, sizeof *out);
	json_array_foreach(cells, i, c) {
		const char *id = str(c, "id");
		const char *last = strrchr(id, '/');
		int k;
		char tail;
		if (strncmp(id, "sync/", 5) || !last || last < id + 5 ||
		    sscanf(last, "/n%d%c", &k, &tail) != 1 ||
		    !json_is_number(json_object_get(c, "ops_per_s")))
			continue;
		char *prim = cb_xasprintf("%.*s", (int)(last - id - 5), id + 5);
		json_t *s = json_object_get(series, prim);
		if (!s) {
			s = json_array();
			json_object_set_new(series, prim, s);
			json_array_append_new(order, json_string(prim));
		}
		json_array_append_new(s, json_pack("[i, f]", k,
		                                   json_number_value(json_object_get(c, "ops_per_s"))));
		free(prim);
	}
	FILE *f = open_text(&out->dat, &out->len);
	fprintf(f, "# concbench micro contended sync: threads ops_per_s, one block per primitive\n");
	json_array_foreach(order, i, p) {
		json_t *s = json_object_get(series, json_string_value(p)), *pt;
		size_t k;
		if (json_array_size(s) < 2)
			continue;   /* a primitive measured at one count is no series */
		fprintf(f, "# %s\n", json_string_value(p));
		json_array_foreach(s, k, pt)
			fprintf(f, "%lld %.6g\n", (long long)json_integer_value(json_array_get(pt, 0)),
			        json_real_value(json_array_get(pt, 1)));
		fprintf(f, "\n\n");
		json_array_append(drawn, p);
	}
	close_text(f);
	out->words = join(drawn);
	out->count = (int)json_array_size(drawn);
	json_decref(series);
	json_decref(order);
	json_decref(drawn);
}

void cb_micro_chart_free(cb_micro_chart *c)
{
	free(c->dat);
	free(c->words);
	memset(c, 0, sizeof *c);
}

int cb_micro_chart_draw(const char *dir, const char *name, const cb_micro_chart *data,
                        const char *words_var, bool rows, cb_error *err)
{
	static const char *const formats[] = { "png", "svg" };
	char *dat = cb_xasprintf("%s/%s.dat", dir, name), *out = cb_xasprintf("%s/%s", dir, name);
	char *tmpl = cb_xasprintf("%s.gp", name), *tmpbase = cb_gp_temp_path(out), *vars = NULL;
	int rc = cb_write_file_atomic(dat, data->dat, data->len, err);
	if (rc || data->count <= 0)
		goto out;
	cb_gp_set_str(&vars, "datafile", dat);
	cb_gp_set_str(&vars, "outbase", tmpbase);
	cb_gp_set_str(&vars, words_var, data->words);
	if (rows)
		cb_gp_set_num(&vars, "rows", data->count);
	rc = cb_gnuplot_template(tmpl, vars, err);
	for (size_t i = 0; i < 2; i++) {
		char *tmp = cb_xasprintf("%s.%s", tmpbase, formats[i]);
		char *path = cb_xasprintf("%s.%s", out, formats[i]);
		if (rc)
			unlink(tmp);
		else
			rc = cb_gp_commit(tmp, path, formats[i], err);
		free(tmp);
		free(path);
	}
out:
	free(vars);
	free(tmpbase);
	free(tmpl);
	free(out);
	free(dat);
	return rc;
}

/* Scaling analysis: pure functions, unit-tested with known answers. */
#include <math.h>

#include "analysis.h"

double cb_speedup(double t1, double tp)
{
	return t1 > 0 && tp > 0 ? t1 / tp : NAN;
}

double cb_efficiency(double speedup, double p)
{
	return p > 0 ? speedup / p : NAN;
}

double cb_amdahl_speedup(double f, double p)
{
	return p > 0 ? 1.0 / (f + (1.0 - f) / p) : NAN;
}

double cb_gustafson_speedup(double f, double p)
{
	return p - f * (p - 1.0);
}

double cb_scaled_speedup(double t1, double tp, double p)
{
	return p * cb_speedup(t1, tp);
}

/* Scaling analysis: pure functions, unit-tested with known answers. */
#include <math.h>

#include "analysis.h"

double cb_speedup(double t1, double tp)
{
	return t1 > 0 && tp > 0 ? t1 / tp : NAN;
}

double cb_efficiency(double speedup, int p)
{
	return p > 0 ? speedup / p : NAN;
}

double cb_amdahl_speedup(double f, int p)
{
	return p > 0 ? 1.0 / (f + (1.0 - f) / p) : NAN;
}

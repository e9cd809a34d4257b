/* Scaling analysis: pure functions over measured times and throughputs. */
#ifndef CB_ANALYSIS_H
#define CB_ANALYSIS_H

/* T1 / Tp; NAN when either is not positive. */
double cb_speedup(double t1, double tp);
/* S / p. */
double cb_efficiency(double speedup, double p);
/* Amdahl: 1 / (f + (1 - f) / p). */
double cb_amdahl_speedup(double f, double p);

/* Gustafson's prediction for weak scaling: S(p) = p - f (p - 1). */
double cb_gustafson_speedup(double f, double p);
/* Measured scaled speedup for weak scaling: S = p * t1 / tp. */
double cb_scaled_speedup(double t1, double tp, double p);

#endif

/* Scaling analysis: pure functions over measured times and throughputs. */
#ifndef CB_ANALYSIS_H
#define CB_ANALYSIS_H

/* T1 / Tp; NAN when either is not positive. */
double cb_speedup(double t1, double tp);
/* S / p. */
double cb_efficiency(double speedup, int p);
/* Amdahl: 1 / (f + (1 - f) / p). */
double cb_amdahl_speedup(double f, int p);

#endif

# I/O throughput against tasks in flight per strategy (log-log), with the
# bound min(c / latency, PUs / CPU time per task) that no strategy can pass.
# Data: scaling (columns 1 concurrency, 9 throughput, 10 lo, 11 hi),
# fits block 0 (column 4: the bound).
load plotdir.'/common.gp'
set xlabel 'concurrency c (tasks in flight, log scale)'
set ylabel 'throughput (tasks/s, log scale)'
set logscale xy 10
set xrange [0.8:nmax * 1.5]
set format y '10^{%L}'
bound_title = (lat_ms == lat_ms) ? sprintf('bound: min(c / %.3g ms, %g PUs / %.3g ms CPU)', lat_ms, cores, cpu_ms) : ''
plot fits index 0 using 1:4 with lines dt 2 lw 2 lc rgb '#000000' title bound_title, \
     for [i=1:nseries] scaling index (i - 1) using 1:9:10:11 with yerrorlines lw 2 pt spoint(i) ps 1.3 \
         lc rgb scolor(word(names, i)) title word(names, i).' (median, min–max)'

# Per-task latency percentiles against concurrency per strategy: p50
# solid, p90 dotted, p99 dashed. Queueing shows as p99 pulling away.
# Data: scaling (columns 1 concurrency, 12 p50, 13 p90, 14 p99, in ms).
load plotdir.'/common.gp'
set xlabel 'concurrency c (tasks in flight, log scale)'
set ylabel 'task latency (ms)'
set logscale x 10
set xrange [0.8:nmax * 1.5]
set yrange [0:*]
plot for [i=1:nseries] scaling index (i - 1) using 1:12 with linespoints dt 1 lw 2 pt spoint(i) ps 1.2 \
         lc rgb scolor(word(names, i)) title word(names, i).' p50', \
     for [i=1:nseries] scaling index (i - 1) using 1:13 with linespoints dt 3 lw 2 pt spoint(i) ps 0.9 \
         lc rgb scolor(word(names, i)) title word(names, i).' p90', \
     for [i=1:nseries] scaling index (i - 1) using 1:14 with linespoints dt 2 lw 2 pt spoint(i) ps 0.9 \
         lc rgb scolor(word(names, i)) title word(names, i).' p99'

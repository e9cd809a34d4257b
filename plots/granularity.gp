# Parallel efficiency against task duration, one line per strategy and
# worker count, with the METG(50%) of each marked: the smallest task a
# model runs at half efficiency (Task Bench's metric).
# Data: datafile, one block per series (columns 1 task duration in us,
# 2 efficiency, 3 lo, 4 hi), then one block of the series' METG(50%)
# (us, 0.5; 1e-30 where none was measured), one line per series; names:
# the series.
load plotdir.'/common.gp'
set logscale x 10
set xrange [xmin:xmax]
set xlabel 'task duration (us, log scale)'
set ylabel 'efficiency (serial time / (workers x time))'
set yrange [0:1.15]
set ytics 0.1
set format x '10^{%L}'
plot 0.5 with lines dt 2 lw 1.5 lc rgb '#999999' title '50% (METG)', \
     for [i=1:nseries] datafile index (i - 1) using 1:2:3:4 with yerrorlines lw 2 pt spoint(i) ps 1.1 \
         lc rgb scolor(word(names, i)) title word(names, i), \
     for [i=1:nseries] datafile index nseries every ::(i - 1)::(i - 1) using 1:2 \
         with points pt 7 ps 1.8 lc rgb scolor(word(names, i)) notitle

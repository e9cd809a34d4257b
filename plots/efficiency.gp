# Parallel efficiency E = S / min(N, PUs) per strategy with min-max error
# bars; 1 is perfect use of the processors a cell could use.
# Data: scaling (columns 1 n, 5 efficiency, 6 lo, 7 hi).
load plotdir.'/common.gp'
set xlabel 'workers N (threads or processes)'
set ylabel 'efficiency S / min(N, usable PUs)'
set xrange [0.8:nmax * 1.1]
set yrange [0:1.15]
set xtics 1
set ytics 0.2
plot 1 with lines dt 2 lw 1.5 lc rgb '#999999' title 'ideal (E = 1)', \
     for [i=1:nseries] scaling index (i - 1) using 1:5:6:7 with yerrorlines lw 2 pt spoint(i) ps 1.3 \
         lc rgb scolor(word(names, i)) title word(names, i)

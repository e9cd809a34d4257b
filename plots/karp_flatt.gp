# Karp-Flatt's experimentally determined serial fraction e(N) per strategy.
# Flat at the workload's serial fraction means Amdahl explains the loss;
# rising with N means overhead that grows with the workers.
# Data: scaling (columns 1 n, 8 karp_flatt; NaN at N = 1).
load plotdir.'/common.gp'
set xlabel 'workers N (threads or processes)'
set ylabel 'serial fraction e(N) = (1/S − 1/N) / (1 − 1/N)'
set xrange [0.8:nmax * 1.1]
set xtics 1
# Autoscaled, with room so that a line at f never sits on the border.
set autoscale y
set offsets 0, 0, graph 0.1, graph 0.1
set format y '%.3f'
f_title = (serial_f == serial_f) ? sprintf('serial fraction f = %.3f (%s)', serial_f, serial_f_src) : ''
plot (serial_f == serial_f ? serial_f : 1/0) with lines dt 2 lw 2 lc rgb '#000000' title f_title, \
     for [i=1:nseries] scaling index (i - 1) using 1:8 with linespoints lw 2 pt spoint(i) ps 1.3 \
         lc rgb scolor(word(names, i)) title (word(npoints, i) + 0 > 1 ? word(names, i) : '')

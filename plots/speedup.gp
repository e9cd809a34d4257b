# Speedup against the serial baseline per strategy, with min-max error
# bars, next to the ideal line, Amdahl's curve from the serial fraction
# (measured on the serial cell, else fitted) and each strategy's USL fit.
# Data: scaling (one block per series: n speedup lo hi ...), fits (block 0:
# n ideal amdahl; block i: USL of series i in speedup units).
load plotdir.'/common.gp'
set xlabel 'workers N (threads or processes)'
set ylabel (weak ? 'scaled speedup N·T_1 / T_N  (×)' : 'speedup T_1 / T_N  (×, against serial)')
set xrange [0.8:nmax * 1.1]
set yrange [0:*]
set xtics 1
amdahl_title = (serial_f == serial_f) ? sprintf('%s, f = %.3f (%s)', (weak ? 'Gustafson' : 'Amdahl'), serial_f, serial_f_src) : ''
plot fits index 0 using 1:2 with lines dt 2 lw 1.5 lc rgb '#999999' title 'ideal (S = N)', \
     fits index 0 using 1:3 with lines dt 1 lw 2 lc rgb '#000000' title amdahl_title, \
     for [i=1:nseries] fits index i using 1:2 with lines dt 3 lw 1.8 lc rgb scolor(word(names, i)) \
         title (word(has_usl, i) eq '1' ? word(names, i).' (USL fit)' : ''), \
     for [i=1:nseries] scaling index (i - 1) using 1:2:3:4 with yerrorlines lw 2 pt spoint(i) ps 1.3 \
         lc rgb scolor(word(names, i)) title word(names, i).' (median, min–max)'

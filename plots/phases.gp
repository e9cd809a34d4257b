# Time per strategy at its largest worker count, stacked into the serial
# pre phase, the parallel section and the serial post (merge) phase, with
# the wall time's median and min-max whiskers over the repetitions.
# Data: phases (index label pre par post wall_median wall_min wall_max), in tunit.
load plotdir.'/common.gp'
# The tic labels, 'strategy (workers)', name the x axis: a label under
# rotated tics would collide with the machine caption.
unset xlabel
set ylabel sprintf('time per repetition (%s)', tunit)
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.55
set xrange [-0.6:nseries - 0.4]
set yrange [0:*]
set grid noxtics
set xtics scale 0 rotate by -30 left
set bmargin 8
# Bars are drawn on top of each other, whole to part: post, then
# pre + parallel, then pre, which leaves the three phases stacked.
plot phases using 1:($3 + $4 + $5):xtic(2) with boxes lc rgb '#fdae6b' title 'post (serial merge)', \
     phases using 1:($3 + $4) with boxes lc rgb '#6baed6' title 'parallel section', \
     phases using 1:3 with boxes lc rgb '#74c476' title 'pre (serial)', \
     phases using 1:6:7:8 with yerrorbars lw 1.5 pt 7 ps 0.8 lc rgb '#000000' title 'wall: median, min–max'

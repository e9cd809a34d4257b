# Ratio chart of `concbench compare --chart FILE`: one row per cell, the
# ratio new/base of its medians with the bootstrap interval, coloured by
# verdict, over the band the threshold calls unchanged.
# Set by the caller (gnuplot -e): datafile, outfile, fmt ('png' or 'svg'),
# threshold (fraction), metric, better ('lower' or 'higher'), n (rows),
# xlo, xhi (x range, always holding 1), shift (common ratio of a changed
# machine state, 1 when none).
# Data columns: index ratio low high verdict(0..3) "cell".

height = 160 + 18 * n
if (fmt eq 'svg') {
	set terminal svg size 1000, height dynamic font 'sans,10'
} else {
	set terminal pngcairo size 1000, height font 'sans,10'
}
set output outfile

set title sprintf("new / base of the %s medians (%s is better), intervals from the bootstrap", metric, better)
set xlabel "ratio new / base"
set yrange [-1:n]
set xrange [xlo:xhi]
set ytics scale 0 font 'monospace,9'
set grid xtics lc rgb '#dddddd'
set key off

lo = 1 / (1 + threshold)
hi = 1 + threshold
set object 1 rectangle from lo, graph 0 to hi, graph 1 fillcolor rgb '#eef3ee' fillstyle solid noborder behind
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb '#888888' dashtype 2
if (shift != 1) {
	set arrow 2 from shift, graph 0 to shift, graph 1 nohead lc rgb '#1f77b4' dashtype 3
	set label 1 'machine state shift' at shift, graph 1 right offset -0.5, -1 tc rgb '#1f77b4'
}

# regressed red, improved green, noisy orange, unchanged grey
colour(v) = v == 0 ? 0xd62728 : v == 1 ? 0x2ca02c : v == 2 ? 0xff7f0e : 0x7f7f7f

plot datafile using 2:1:3:4:(colour($5)):ytic(6) with xerrorbars lc rgb variable pt 7 ps 0.8

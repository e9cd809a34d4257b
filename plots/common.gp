# Shared look of every concbench chart, loaded first by each template.
# The harness sets: term ('png' or 'svg'), outbase, chart_title, caption
# (the machine), plus the data variables each template documents.
set encoding utf8
if (term eq 'svg') {
    set terminal svg size 1000,600 dynamic enhanced font 'Helvetica,13' background rgb 'white'
    set output outbase.'.svg'
} else {
    set terminal pngcairo size 1000,600 enhanced font 'Helvetica,11' background rgb 'white'
    set output outbase.'.png'
}

set title chart_title font ',15' noenhanced
# The machine the numbers belong to, under the plot where it hides nothing.
set label 100 caption at screen 0.01, screen 0.02 left font ',9' textcolor rgb '#555555' noenhanced
set bmargin 6
# The key sits outside the plot area, to the right: it never covers data.
set key outside right top vertical Left reverse noenhanced samplen 2.5 spacing 1.2 box lc rgb '#cccccc'
set grid xtics ytics lc rgb '#e4e4e4' lt 1 lw 1
set border 3 lc rgb '#444444'
set tics nomirror
set errorbars 0.6

# One colour per strategy, the same on every chart.
strategy_of(s) = (strstrt(s, '/') > 0) ? s[1:strstrt(s, '/') - 1] : s
scolor(s) = strategy_of(s) eq 'serial'      ? 0x444444 : \
            strategy_of(s) eq 'threads'     ? 0x1b9e77 : \
            strategy_of(s) eq 'processes'   ? 0xd95f02 : \
            strategy_of(s) eq 'coroutines'  ? 0x7570b3 : \
            strategy_of(s) eq 'threadpool'  ? 0x66a61e : \
            strategy_of(s) eq 'processpool' ? 0xe6ab02 : \
            strategy_of(s) eq 'hybrid'      ? 0xe7298a : \
            strategy_of(s) eq 'mpi'         ? 0xa6761d : 0x1f78b4
spoint(i) = word('7 5 9 13 11 15 4 6', (i - 1) % 8 + 1) + 0

# The worker counts that were measured are the x tics.
nmax_tic = nmax

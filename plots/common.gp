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

# One colour per strategy, the same on every chart, from the strategy
# table: the harness sets strategy_names and strategy_colours (decimal
# RGB), a word each per strategy; a series is named after its strategy
# ('threads', 'coroutines/w1'). Other names get the default colour.
if (!exists('strategy_names')) { strategy_names = ''; strategy_colours = '' }
strategy_of(s) = (strstrt(s, '/') > 0) ? s[1:strstrt(s, '/') - 1] : s
sindex(s, i) = i > words(strategy_names) ? 0 : word(strategy_names, i) eq s ? i : sindex(s, i + 1)
scolor(s) = sindex(strategy_of(s), 1) > 0 ? word(strategy_colours, sindex(strategy_of(s), 1)) + 0 : 0x1f78b4
spoint(i) = word('7 5 9 13 11 15 4 6', (i - 1) % 8 + 1) + 0

# The worker counts that were measured are the x tics.
nmax_tic = nmax

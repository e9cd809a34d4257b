# The micro price list: one horizontal bar per benchmark, ns per operation
# on a log scale, grouped by family (in table order, top to bottom) and
# coloured by the model it prices. `concbench micro` writes the data and
# calls: gnuplot -e "datafile='…'; outbase='…'; models='m1 m2 …'; rows=N"
# datafile: one block per model (gnuplot `index`), rows `y ns_per_op "id"`,
# then a last block of family labels `y "family"`.
if (!exists("rows")) rows = 40
if (!exists("models")) models = "all"
nm = words(models)
height = 160 + rows * 13

set logscale x 10
set xrange [0.1:*]
set format x "%g"
set xlabel "ns per operation (log scale; for timers the whole wait, for contended locks per thread)"
set yrange [rows:-1.5]
set ytics nomirror font ",7"
set grid xtics mxtics lc rgb "#dddddd"
set key outside right top title "model" box
set style fill solid 0.85 border -1
# Twelve distinguishable colours, one per model (gnuplot's default cycle
# repeats after eight).
array palette[12] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52"]
do for [i=1:12] { set linetype i lc rgb palette[i] }
set title "concbench micro: the price list"

set terminal pngcairo size 1100, height font ",9" noenhanced
set output outbase.".png"
plot for [m=1:nm] datafile index (m-1) using 2:1:(0.1):2:($1-0.4):($1+0.4):ytic(3) \
        with boxxyerror lc m title word(models, m), \
     datafile index nm using (0.12):1:2 with labels left font ",8" textcolor rgb "#444444" notitle
set terminal svg size 1100, height dynamic font "sans,9" noenhanced
set output outbase.".svg"
replot

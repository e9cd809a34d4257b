# Contended synchronisation: operations per second of all threads together
# against the number of pinned threads, one line per primitive
# (sync/<primitive>/n<k> cells). `concbench micro` writes the data and
# calls: gnuplot -e "datafile='…'; outbase='…'; names='p1 p2 …'"
# datafile: one block per primitive (gnuplot `index`), rows `threads ops_per_s`.
if (!exists("names")) names = "all"
nn = words(names)

set xlabel "threads (pinned per --pin)"
set ylabel "operations per second, all threads (log scale)"
set logscale y 10
set xtics 1
set grid lc rgb "#dddddd"
set key outside right top
set title "concbench micro: contended synchronisation"

set terminal pngcairo size 1000, 600 font ",9" noenhanced
set output outbase.".png"
plot for [i=1:nn] datafile index (i-1) using 1:2 with linespoints lw 1.5 pt i ps 0.8 title word(names, i)
set terminal svg size 1000, 600 dynamic font "sans,9" noenhanced
set output outbase.".svg"
replot

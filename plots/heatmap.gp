# The whole run at a glance: workloads (rows) x strategies (columns) at
# each strategy's largest worker count. The colour is parallel efficiency
# for computing workloads, and for I/O workloads throughput as a share of
# the best strategy's on that row; the label is the value itself.
# Data: heat (col row colour "label"), with colnames and rownames (words,
# '|'-separated) and ncols, nrows.
load plotdir.'/common.gp'
unset key
unset grid
set border 0
set tics scale 0
set xrange [-0.5:ncols - 0.5]
set yrange [nrows - 0.5:-0.5]
set xtics () rotate by -25 left noenhanced
set ytics () noenhanced
do for [i=1:ncols] { set xtics add (word(colnames, i) (i - 1)) }
do for [i=1:nrows] { set ytics add (word(rownames, i) (i - 1)) }
set cbrange [0:1]
set cblabel 'efficiency (I/O rows: throughput / best on the row)'
set palette defined (0 '#d73027', 0.5 '#fee08b', 1 '#1a9850')
set bmargin 8
set lmargin 18
plot heat using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 0.9 border lc rgb '#ffffff', \
     heat using 1:2:4 with labels font ',10' tc rgb '#111111'

# The task timeline of one traced repetition of one cell (run --trace):
# one row per executor (worker; a coroutine scheduler with all its
# coroutines), time from the start of the parallel section on x. Tasks are
# solid bars; the time a task spent blocked in I/O is hatched at the end of
# its bar; a thin line alone means the executor waited (for work, for the
# others to finish, or to start).
# Data: timeline (block 0: lane 0 end; block 1: lane start end, tasks;
# block 2: lane start end, blocked), lanes, par_ms, strategy.
load plotdir.'/common.gp'
set key outside top center horizontal
set xlabel 'time from the start of the parallel section (ms)'
set ylabel 'executor'
set xrange [0:par_ms * 1.02]
set yrange [lanes - 0.5:-0.5]
set ytics 1 scale 0
set grid noytics
set style fill solid 1.0 noborder
bar_h = (lanes > 24) ? 0.45 : 0.32
plot timeline index 0 using (($2 + $3) / 2):1:2:3:($1 - 0.03):($1 + 0.03) with boxxyerror \
         lc rgb '#bbbbbb' title 'waiting (no task)', \
     timeline index 1 using (($2 + $3) / 2):1:2:3:($1 - bar_h):($1 + bar_h) with boxxyerror \
         lc rgb scolor(strategy) title 'running a task', \
     timeline index 2 using (($2 + $3) / 2):1:2:3:($1 - bar_h):($1 + bar_h) with boxxyerror \
         fs transparent pattern 4 border lc rgb '#333333' lc rgb '#333333' title 'blocked in I/O (per task, at its end)'

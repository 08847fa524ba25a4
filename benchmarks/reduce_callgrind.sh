#!/bin/bash
# instruction counts of reduce_bench's timed closures (8 calls per dtype: warm-up + 7), old vs new
for size in 1000 1000000; do
for row in sum mean sum_axes_inner sum_axes_outer mean_axes_outer logsumexp logsumexp_rows max max_axes_outer sum_to bias_backward; do
  for b in old new2; do  # /tmp/reduce_old: reduce_bench built at 787c053; /tmp/reduce_new2: at main
    REDUCE_BENCH_ROWS=$row REDUCE_BENCH_SIZES=$size REDUCE_BENCH_SECONDS=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cgr.out /tmp/reduce_$b > /dev/null 2>&1
    ir=$(callgrind_annotate --inclusive=yes /tmp/cgr.out 2>/dev/null | grep "reduce_bench::time" | head -1 | awk '{print $1}' | tr -d ,)
    echo "$row $size $b $ir"
  done
done; done

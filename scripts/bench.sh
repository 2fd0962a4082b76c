#!/usr/bin/env bash
# Benchmark: prodready vs ripgrep searching the same tree for the rules' literals.
# Needs hyperfine and rg (apt-get install hyperfine ripgrep). Generates the tree in /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${TREE:-/tmp/prodready-bench-tree}
FILES=${FILES:-10000}
if [ ! -d "$TREE" ]; then
  python3 scripts/gen_bench_tree.py "$TREE" "$FILES"
fi
echo "tree: $(find "$TREE" -name '*.ts' | wc -l) TypeScript files, $(du -sh --apparent-size "$TREE" | cut -f1)"
cargo build --release --quiet
BIN=./target/release/prodready
# The literals the built-in rules prefilter on (a representative superset).
LITS=(-e NestFactory -e helmet -e ThrottlerModule -e ThrottlerGuard -e ValidationPipe -e enableCors
      -e cors -e origin -e process.env -e SIGTERM -e enableShutdownHooks -e useLogger -e pino
      -e winston -e health -e ConfigModule -e APP_GUARD -e APP_PIPE -e useGlobal -e register
      -e prisma -e findMany -e findFirst -e findUnique -e @Controller -e Unsafe -e 'query(' -e 'raw(')
hyperfine -N --warmup 3 --runs 30 --export-json /tmp/prodready-bench.json \
  -n prodready "$BIN audit $TREE --fail-on never --format json" \
  -n rg "rg -i -l -F ${LITS[*]} $TREE"
python3 scripts/medians.py /tmp/prodready-bench.json
# The ratio that matters, robust to a drifting machine load: runs alternate, round by round.
python3 scripts/interleave.py 20 "prodready=$BIN audit $TREE --fail-on never --format json" \
  "rg=rg -i -l -F ${LITS[*]} $TREE"
/usr/bin/time -v "$BIN" audit "$TREE" --fail-on never --format json 2>&1 >/dev/null | grep -E 'Maximum resident|Elapsed'

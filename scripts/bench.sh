#!/usr/bin/env bash
# Whole-program benchmarks on this machine. Reports, with the commands that produce them:
#   classify --json throughput (one core, and --jobs 2), engine time per turn (p50/p99),
#   start-up to the first prompt, a whole 20-turn piped session, peak memory, and a plain
#   baseline (the exported rules applied with Python's re) with the speed ratio.
# Usage: scripts/bench.sh [LINES]   (default 1000000 lines in the generated corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
out=target/bench
mkdir -p "$out"
cargo build --release --quiet --bin rehearse --example bench_turns
bin=target/release/rehearse

# A large corpus of short utterances: the project's corpus lines, repeated with a counter
# so no two lines are identical.
python3 - "$n" "$out/corpus.txt" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
src = [l.split("\t", 1)[1] for l in open("tests/corpus/moves.tsv", encoding="utf-8").read().splitlines()[1:]]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        f.write(f"{src[i % len(src)]} ({i // len(src)})\n" if i >= len(src) else src[i] + "\n")
PY
bytes=$(wc -c < "$out/corpus.txt")
echo "corpus: $n lines, $bytes bytes ($out/corpus.txt)"

# The repeated corpus flatters lazy DFAs: after the first pass over the source lines
# every state they need is cached. A second corpus of new text: each line the start of
# one corpus line joined at a word boundary to the end of another (fixed seed), a tenth
# the size. Its figures are the ones to expect on text the rules have not seen.
m=$(( n / 10 ))
python3 - "$m" "$out/novel.txt" <<'PY'
import random, sys
m, path = int(sys.argv[1]), sys.argv[2]
src = [l.split("\t", 1)[1] for l in open("tests/corpus/moves.tsv", encoding="utf-8").read().splitlines()[1:]]
src += [l.split("\t", 1)[1] for l in open("tests/corpus/safety.tsv", encoding="utf-8").read().splitlines()[1:]]
rng = random.Random(7)
with open(path, "w", encoding="utf-8") as f:
    for _ in range(m):
        a, b = rng.choice(src).split(" "), rng.choice(src).split(" ")
        f.write(" ".join(a[: rng.randint(1, len(a))] + b[rng.randint(0, len(b) - 1):]) + "\n")
PY
echo "new-text corpus: $m lines, $(wc -c < "$out/novel.txt") bytes ($out/novel.txt)"

secs() { python3 -c "import time,subprocess,sys; t=time.perf_counter(); subprocess.run(sys.argv[1], shell=True, check=True); print(f'{time.perf_counter()-t:.3f}')" "$1"; }
rate() { python3 -c "print(f'{$1/$2:,.0f}')"; }

echo
echo "== classify --json, one core (taskset -c 0)"
t=$(secs "taskset -c 0 $bin classify --json < $out/corpus.txt > /dev/null")
echo "  $t s: $(rate "$n" "$t") lines/s   [taskset -c 0 $bin classify --json < corpus > /dev/null]"
if $bin classify --help | grep -q -- --jobs; then
  t2=$(secs "$bin classify --json --jobs 2 < $out/corpus.txt > $out/jobs2.jsonl")
  echo "  --jobs 2: $t2 s: $(rate "$n" "$t2") lines/s"
  $bin classify --json < "$out/corpus.txt" > "$out/jobs1.jsonl"
  cmp -s "$out/jobs1.jsonl" "$out/jobs2.jsonl" && echo "  --jobs 2 output identical to --jobs 1 (input order kept)"
fi

tn=$(secs "taskset -c 0 $bin classify --json < $out/novel.txt > /dev/null")
echo "  new text: $tn s: $(rate "$m" "$tn") lines/s   [taskset -c 0 $bin classify --json < novel > /dev/null]"
tn2=$(secs "$bin classify --json --jobs 2 < $out/novel.txt > /dev/null")
echo "  new text, --jobs 2: $tn2 s: $(rate "$m" "$tn2") lines/s"

echo
echo "== peak memory"
/usr/bin/time -f "  classify --json over the corpus: %M KB peak RSS" $bin classify --json < "$out/corpus.txt" > /dev/null
/usr/bin/time -f "  classify --json over the new-text corpus: %M KB peak RSS" $bin classify --json < "$out/novel.txt" > /dev/null
printf 'I miss you.\n' > "$out/one.txt"
/usr/bin/time -f "  classify --json, one line: %M KB peak RSS" $bin classify --json < "$out/one.txt" > /dev/null
printf 'I miss you.\nHow has work been?\n' > "$out/session2.txt"
/usr/bin/time -f "  a short piped session: %M KB peak RSS" $bin play --seed 1 --no-save < "$out/session2.txt" > /dev/null

echo
echo "== engine time per turn"
target/release/examples/bench_turns | sed 's/^/  /'

echo
echo "== start-up and a whole session"
python3 - "$bin" <<'PY'
import os, pty, sys, time, select, subprocess, statistics
binary = sys.argv[1]

def spawn():
    """A rehearsal in a pseudo-terminal: (pid, fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["REHEARSE_HOME"] = "/tmp/rehearse-bench-home"
        os.environ["NO_COLOR"] = "1"
        os.execv(binary, [binary, "play", "--seed", "1", "--no-save"])
    return pid, fd

samples = []
for _ in range(15):
    pid, fd = spawn()
    t = time.perf_counter()
    buf = b""
    while b"you> " not in buf:
        r, _, _ = select.select([fd], [], [], 10)
        if not r:
            break
        try:
            buf += os.read(fd, 4096)
        except OSError:
            break
    samples.append(time.perf_counter() - t)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    os.close(fd)
print(f"  start-up to the first prompt (pty): median {statistics.median(samples)*1000:.1f} ms over {len(samples)} runs")
# An interactive session's memory once the background thread has compiled every pattern.
pid, fd = spawn()
t = time.perf_counter()
while time.perf_counter() - t < 4:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            os.read(fd, 4096)
        except OSError:
            break
hwm = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
os.write(fd, b"\x04")
os.waitpid(pid, 0)
os.close(fd)
print(f"  an interactive session 4 s in (every pattern compiled): {hwm} KB peak RSS")
lines = "\n".join(["I miss you.", "How has work been?", "That makes sense.", "It sounds like a lot."] * 5) + "\n"
ts = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run([binary, "play", "--seed", "1", "--no-save"], input=lines.encode(), stdout=subprocess.DEVNULL, check=True)
    ts.append(time.perf_counter() - t)
print(f"  a whole 20-turn piped session: median {statistics.median(ts)*1000:.1f} ms")
PY

echo
echo "== plain baseline: exported rules with Python's re, line by line"
base_n=$(( n < 20000 ? n : 20000 ))
head -n "$base_n" "$out/corpus.txt" > "$out/corpus-small.txt"
$bin rules --json > "$out/rules.json"
tb=$(secs "python3 scripts/baseline_re.py $out/rules.json < $out/corpus-small.txt > /dev/null")
tr=$(secs "taskset -c 0 $bin classify --json < $out/corpus-small.txt > /dev/null")
echo "  python re: $base_n lines in $tb s: $(rate "$base_n" "$tb") lines/s"
echo "  rehearse:  $base_n lines in $tr s: $(rate "$base_n" "$tr") lines/s (includes start-up)"
echo "  ratio on the full corpus: $(python3 -c "print(f'{($n/$t)/($base_n/$tb):.0f}x')")"
head -n "$base_n" "$out/novel.txt" > "$out/novel-small.txt"
base_m=$(wc -l < "$out/novel-small.txt")
tbn=$(secs "python3 scripts/baseline_re.py $out/rules.json < $out/novel-small.txt > /dev/null")
echo "  python re on new text: $base_m lines in $tbn s: $(rate "$base_m" "$tbn") lines/s"
echo "  ratio on the new-text corpus: $(python3 -c "print(f'{($m/$tn)/($base_m/$tbn):.0f}x')")"

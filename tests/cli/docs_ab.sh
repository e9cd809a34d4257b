#!/usr/bin/env bash
# docs/ab.md's workflows work when copied: every ```yaml block parses, is a
# workflow with jobs and steps, installs through scripts/deps (which
# installs what CMakeLists.txt needs: every pkg_check_modules package's
# -dev package, nettle-dev and pkg-config among them) before anything is
# configured, and calls concbench ab only with options that ab --help lists.
set -u
source "$(dirname "$0")/common.bash"
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 yaml is not installed"; exit 77; }
"$CB" ab --help >"$tmp/help" || fail "ab --help failed"
python3 - "$SRC/docs/ab.md" "$SRC/scripts/deps" "$SRC/CMakeLists.txt" "$tmp/help" <<'EOF' || fail "docs/ab.md's workflows"
import re, sys, yaml
doc, deps, cmake, helpfile = (open(p).read() for p in sys.argv[1:5])
blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
bad = []
if len(blocks) != 2:
    bad.append(f"{len(blocks)} yaml blocks, want 2 (concbench's builds, your workload)")
# What scripts/deps installs, and what the build asks pkg-config for.
pkgs = set()
for line in re.search(r"packages=\((.*?)\n\)", deps, re.S).group(1).splitlines():
    pkgs.update(line.split("#")[0].split())
needed = {"pkg-config", "nettle-dev", "cmake", "libbenchmark-dev", "libhwloc-dev", "libjansson-dev",
          "libgsl-dev", "liburing-dev", "libcmocka-dev", "libboost-context-dev"}
for mod in re.findall(r"pkg_check_modules\(\w+ REQUIRED IMPORTED_TARGET (\S+)\)", cmake):
    needed.add({"nettle": "nettle-dev", "liburing": "liburing-dev"}.get(mod, f"lib{mod}-dev"))
if needed - pkgs:
    bad.append(f"scripts/deps lacks {sorted(needed - pkgs)}")
flags = set(re.findall(r"--[a-z][a-z-]+", open(sys.argv[4]).read()))
for i, text in enumerate(blocks, 1):
    wf = yaml.safe_load(text)
    if not isinstance(wf, dict) or "jobs" not in wf:
        bad.append(f"block {i} is not a workflow")
        continue
    for name, job in wf["jobs"].items():
        runs = [s.get("run", "") for s in job.get("steps", [])]
        deps_at = [k for k, r in enumerate(runs) if re.search(r"(^|\s|/)scripts/deps\b", r)]
        cmake_at = [k for k, r in enumerate(runs) if "cmake -S" in r]
        if not deps_at or not cmake_at or deps_at[0] > cmake_at[0]:
            bad.append(f"block {i} job {name}: no scripts/deps step before cmake")
        if any("apt-get install" in r for r in runs):
            bad.append(f"block {i} job {name}: installs by hand instead of scripts/deps")
        ab = [r for r in runs if re.search(r"concbench ab\b", r)]
        if not ab:
            bad.append(f"block {i} job {name}: no concbench ab step")
        for r in ab:
            for f in set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", "\n".join(l.split("#")[0] for l in r.splitlines()))) - flags:
                bad.append(f"block {i} job {name}: ab has no option {f}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
[ "$failures" -eq 0 ] && echo "docs/ab.md: 2 workflows parse, install through scripts/deps, call ab with its options"
exit $((failures > 0))

#!/usr/bin/env bash
# Builds and runs every Swift snippet in README.md and the DocC articles (Sources/SeqKit/SeqKit.docc) as a user would: each ```swift block is a whole
# program (a block that starts with `// Package.swift` is a dependency line instead, checked by being put into
# the generated package's manifest), compiled in a package that depends on SeqKit by path under the name
# `SeqKit`, and run from a fresh folder outside the SeqKit checkout. That folder holds what the snippets name:
# `Configs/tiny-gpt.json` (a small stand-in with the same keys, so the Train snippet runs in seconds),
# `Corpora/tiny.txt`, and `runs/tiny-gpt`, a checkpoint trained here with the freshly built `seqtrain`.
# A snippet that fails to compile, exits non-zero or crashes fails the check. Run: `make docs-check`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

work="$(mktemp -d "${TMPDIR:-/tmp}/seqkit-snippets.XXXXXX")"
trap 'rm -rf "$work"' EXIT
package="$work/snippets"
mkdir -p "$package/Sources" "$work/run/Configs" "$work/run/Corpora"
# The dependency is named after its folder: a link named SeqKit makes the docs' `package: "SeqKit"` hold
# whatever this checkout's folder is called.
ln -s "$root" "$work/SeqKit"

# One program per block; dependency lines collected from the Package.swift blocks.
python3 - "$package" README.md Sources/SeqKit/SeqKit.docc/*.md <<'PY'
import os, re, sys
package, files = sys.argv[1], sys.argv[2:]
products, programs = set(), []
for path in files:
    text = open(path, encoding="utf-8").read()
    for index, block in enumerate(re.findall(r"^```swift\n(.*?)^```$", text, flags=re.S | re.M), start=1):
        if block.startswith("// Package.swift"):
            products.update(re.findall(r'\.product\(name: "(\w+)", package: "SeqKit"\)', block))
            continue
        name = re.sub(r"\W", "", os.path.splitext(os.path.basename(path))[0]) + f"{index}"
        os.makedirs(f"{package}/Sources/{name}")
        with open(f"{package}/Sources/{name}/main.swift", "w", encoding="utf-8") as out:
            out.write(f"// {path}, Swift block {index}\n" + block)
        programs.append(name)
if not programs:
    sys.exit("check-snippets: found no Swift blocks")
deps = ", ".join(f'.product(name: "{p}", package: "SeqKit")' for p in sorted(products | {"SeqKit"}))
targets = ",\n        ".join(f'.executableTarget(name: "{p}", dependencies: [{deps}])' for p in programs)
with open(f"{package}/Package.swift", "w") as out:
    out.write(f"""// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Snippets",
    dependencies: [.package(path: "../SeqKit")],
    targets: [
        {targets}
    ]
)
""")
with open(f"{package}/programs.txt", "w") as out:
    out.write("\n".join(programs) + "\n")
PY

echo "== building $(wc -l < "$package/programs.txt") snippet programs"
swift build --package-path "$package" --scratch-path "$root/.build/doc-snippets" 2>&1 | tail -5
bin="$(swift build --package-path "$package" --scratch-path "$root/.build/doc-snippets" --show-bin-path)"

echo "== a checkpoint for the snippets to load"
seqtrain="$root/.build/debug/seqtrain"
[ -x "$seqtrain" ] || swift build --product seqtrain
cp Corpora/tiny.txt "$work/run/Corpora/tiny.txt"
cat > "$work/run/Configs/tiny-gpt.json" <<'JSON'
{
  "model": { "kind": "transformer", "contextLength": 32, "embeddingSize": 32, "layers": 1, "heads": 2 },
  "tokenizer": { "kind": "char" },
  "data": { "corpus": ["../Corpora/tiny.txt"], "validationFraction": 0.1 },
  "optimizer": { "kind": "adamw", "learningRate": 3e-3 },
  "schedule": { "kind": "constant", "warmupSteps": 5 },
  "training": { "batchSize": 8, "maxSteps": 40, "evalInterval": 20, "evalWindows": 4, "logInterval": 10 },
  "run": { "seed": 7 }
}
JSON
(cd "$work/run" && "$seqtrain" --config Configs/tiny-gpt.json --out runs/tiny-gpt --threads 1 > train.log 2>&1) ||
    { cat "$work/run/train.log"; echo "check-snippets: training the snippets' checkpoint failed" >&2; exit 1; }

failed=0
while read -r program; do
    echo "== $program"
    if ! (cd "$work/run" && SEQKIT_THREADS=1 "$bin/$program" > "$program.log" 2>&1); then
        tail -20 "$work/run/$program.log"
        echo "check-snippets: $program failed (its source: $(head -1 "$package/Sources/$program/main.swift"))" >&2
        failed=1
    else
        tail -3 "$work/run/$program.log"
    fi
done < "$package/programs.txt"
[ "$failed" -eq 0 ] || exit 1
echo "== every snippet compiled and ran"

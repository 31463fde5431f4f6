#!/usr/bin/env bash
# `make fmt-check`, second half: C# lines longer than .editorconfig's max_line_length fail the check. Neither the
# compiler nor `dotnet format` has a line-length rule for C#, so this script is the enforcement.
#
# Lines that were already too long when the rule arrived are listed, per file, in scripts/line-length-baseline.txt
# ("<count> <path>"): a file may keep at most that many long lines, never more, and a file not listed none at all.
# When you shorten lines in a listed file, lower its count (`scripts/check-line-length.sh --update` rewrites the list
# from the tree; review that diff: it must only go down).
set -euo pipefail
cd "$(dirname "$0")/.."

max=$(sed -n '/^\[\*\.cs\]/,/^\[/s/^max_line_length *= *\([0-9]*\).*/\1/p' .editorconfig | head -1)
[ -n "$max" ] || { echo "check-line-length: no max_line_length for [*.cs] in .editorconfig" >&2; exit 2; }
baseline=scripts/line-length-baseline.txt

counts() { git ls-files -co --exclude-standard '*.cs' | while read -r f; do [ -f "$f" ] && echo "$f"; done |
  xargs -r awk -v max="$max" 'length($0) > max { n[FILENAME]++ } END { for (f in n) print n[f], f }' | sort -k2; }

if [ "${1:-}" = "--update" ]; then
  counts > "$baseline"
  echo "wrote $baseline: $(wc -l < "$baseline") files, $(awk '{ s += $1 } END { print s + 0 }' "$baseline") long lines"
  exit 0
fi

failed=0
while read -r count file; do
  allowed=$(awk -v f="$file" '$2 == f { print $1 }' "$baseline" 2>/dev/null)
  if [ "$count" -gt "${allowed:-0}" ]; then
    failed=1
    echo "$file: $count lines longer than $max characters (allowed: ${allowed:-0}):" >&2
    awk -v max="$max" 'length($0) > max { printf "  %s:%d: %d characters\n", FILENAME, FNR, length($0) }' "$file" >&2
  fi
done < <(counts)
if [ "$failed" -ne 0 ]; then
  echo "check-line-length: wrap the lines above at $max characters (.editorconfig max_line_length)" >&2
  exit 1
fi
echo "line length: no new C# line over $max characters"

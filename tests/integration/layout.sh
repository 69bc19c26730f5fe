#!/bin/sh
# tests/integration/layout.sh: the check of src/'s shape (tools/lint/layout.sh,
# run by make lint) and the README's source map.
#
# The check runs on a scratch copy of the Makefile and src/, broken one way
# per case: each break must be found and named by file and line, and the
# real tree must pass.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"

t_setup
LAYOUT="sh $L2I_TOP/tools/lint/layout.sh"

# scratch: a fresh copy of the Makefile and src/ in $T/tree.
scratch() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree"
	cp "$L2I_TOP/Makefile" "$T/tree/"
	cp -R "$L2I_TOP/src" "$T/tree/src"
}

# finds NAME WANT: the check fails on $T/tree and says WANT.
finds() {
	_f_rc=0
	_f_out=$($LAYOUT "$T/tree" 2>&1) || _f_rc=$?
	if [ "$_f_rc" -eq 0 ]; then
		not_ok "$1" "the check passed; wanted it to find: $2"
		return
	fi
	check_contains "$1" "$_f_out" "$2"
}

check "the real tree is clean" $LAYOUT "$L2I_TOP"

scratch
check "a fresh copy is clean" $LAYOUT "$T/tree"

# The bottom layer reaching the top: the circle the layering rules out.
scratch
sed -i '0,/^#include "util\/log.h"/s//#include "util\/log.h"\n#include "cli\/daemon.h"/' \
    "$T/tree/src/util/xmem.c"
line=$(grep -n '#include "cli/daemon.h"' "$T/tree/src/util/xmem.c" | cut -d: -f1)
finds "an include that runs back up is found, by file and line" \
    "src/util/xmem.c:$line: #include \"cli/daemon.h\" runs back up"

# One step up is as wrong as many: the state store using the planner.
scratch
sed -i 's|#include "model/desired_user.h"|#include "plan/desired.h"|' "$T/tree/src/state/state_stage.h"
finds "the state store may not use the planner" \
    "src/state/state_stage.h:"
finds "... and the message says what the folder may use" \
    "state may use only itself and: util model config"

scratch
printf '#include "ldap/ldapsrc_int.h"\n' >> "$T/tree/src/sync/trust.c"
finds "another folder's private header is refused" \
    "src/sync/trust.c:$(wc -l < "$T/tree/src/sync/trust.c"): #include \"ldap/ldapsrc_int.h\": another folder's private header"

scratch
printf '#include "xmem.h"\n' >> "$T/tree/src/plan/plan.c"
finds "an include naming no folder is refused" "names no folder"

scratch
printf '#include "util/nosuch.h"\n' >> "$T/tree/src/plan/plan.c"
finds "an include of no header is refused" "\"util/nosuch.h\": no such header"

scratch
printf '/* stray */\n' > "$T/tree/src/stray.c"
finds "a file loose in src/ is refused" "src/stray.c: loose in src/"

scratch
mkdir "$T/tree/src/misc"
printf '/* misc */\n' > "$T/tree/src/misc/misc.c"
finds "a folder LAYERS does not list is refused" "in src/misc/, which LAYERS"

scratch
awk 'BEGIN { for (i = 0; i < 601; i++) print "/* line */" }' > "$T/tree/src/util/long.c"
finds "a file over 600 lines is refused" "src/util/long.c: 601 lines, over 600"
awk 'BEGIN { for (i = 0; i < 600; i++) print "/* line */" }' > "$T/tree/src/util/long.c"
check "... and one of 600 lines is not" $LAYOUT "$T/tree"

scratch
sed -i '/^LAYERS/d' "$T/tree/Makefile"
finds "a Makefile with no LAYERS line is an error" "no LAYERS line"

# The README's source map names each layer's folder and each module in it
# (a module: a .c file, or a header with no .c of its own).
readme=$(sed -n '/^## Source map/,/^## /p' "$L2I_TOP/README.md")
missing=
for d in "$L2I_TOP"/src/*/; do
	layer=$(basename "$d")
	case $readme in *"src/$layer/"*) ;; *) missing="$missing src/$layer/" ;; esac
	for f in "$d"*.c "$d"*.h; do
		[ -f "$f" ] || continue
		m=$(basename "$f"); m=${m%.[ch]}
		case $m in *_int) continue ;; esac
		case $readme in *"\`$m\`"*) ;; *) missing="$missing $m" ;; esac
	done
done
check_eq "the README's source map names every layer and module" "${missing# }" ""
stale=
for name in $(printf '%s\n' "$readme" | grep -o '`[a-z_0-9]*`' | tr -d '`' | sort -u); do
	ls "$L2I_TOP"/src/*/"$name".[ch] >/dev/null 2>&1 || stale="$stale $name"
done
check_eq "... and no module that is not in src/" "${stale# }" ""

t_done

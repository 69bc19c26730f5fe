#!/bin/sh
# banned.sh: the calls STYLE.md bans, and unchecked allocation, in src/.
#   sh tools/lint/banned.sh [FILE...]    (default: src/*/*.c src/*/*.h)
# Banned everywhere: sprintf vsprintf strcpy strcat strtok atoi atol atoll
# gets (unbounded, or no error report: use snprintf, xasprintf, strtol...).
# Allocation must go through xmem.h (it cannot return NULL), so a direct
# malloc calloc realloc reallocarray strdup strndup asprintf vasprintf is
# allowed only in src/util/xmem.c.  A line that really needs one carries
# "banned-ok: REASON" in a comment; the reason is required.
# Prints each hit as FILE:LINE: text; exits 1 when there is any.
set -u
cd "$(dirname "$0")/../.." || exit 2
[ $# -gt 0 ] || set -- src/*/*.c src/*/*.h
# awk has no \b: a name starts the line or follows a non-identifier byte.
banned='(^|[^A-Za-z0-9_])(v?sprintf|strcpy|strcat|strtok|atoi|atol|atoll|gets)[ \t]*[(]'
alloc='(^|[^A-Za-z0-9_])(malloc|calloc|realloc|reallocarray|strdup|strndup|v?asprintf)[ \t]*[(]'
hits=0
for f in "$@"; do
	[ -f "$f" ] || continue
	check_alloc=1
	[ "$f" = src/util/xmem.c ] && check_alloc=0
	# Comments are not code: /* ... */ on one line and comment lines
	# (" * text") are dropped before looking; the banned-ok mark is
	# looked for on the line as written.
	out=$(awk -v banned="$banned" -v alloc="$alloc" -v check_alloc="$check_alloc" '
	{
		code = $0
		gsub(/\/\*.*\*\//, "", code)
		if (code ~ /^[ \t]*\*/)
			code = ""
		if (code !~ banned && !(check_alloc && code ~ alloc))
			next
		if ($0 ~ /banned-ok: [^ ]/)
			next
		printf "%d:%s\n", NR, $0
	}' "$f")
	[ -n "$out" ] || continue
	printf '%s\n' "$out" | sed "s|^|$f:|"
	hits=$((hits + $(printf '%s\n' "$out" | wc -l)))
done
if [ "$hits" -gt 0 ]; then
	echo "banned.sh: $hits banned or unchecked call(s); see STYLE.md (use snprintf," \
	    "xasprintf, strtol, the xmem.h allocators)" >&2
	exit 1
fi
echo "banned.sh: no banned call in $# file(s)"

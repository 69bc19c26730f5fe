#!/bin/sh
# layout.sh: the shape of src/ (README.md, "Source map"), checked.
#   sh tools/lint/layout.sh [ROOT]      (default: the current directory)
#
# ROOT/Makefile's LAYERS line names the folders of src/, bottom first.  A
# folder may include its own headers and those of folders below it, never
# one above (that would make a circle possible) and never another folder's
# private *_int.h.  Every project include names its folder ("state/state.h"),
# so who uses whom is read off the #include lines alone.  Also: every source
# file sits in a listed folder, and none is over MAX_LINES lines (split by
# concern, STYLE.md).  Prints one line per finding, FILE:LINE: what; exits 1
# if there is any.
set -u
root=${1:-.}
MAX_LINES=600

layers=$(sed -n 's/^LAYERS[[:space:]]*:=[[:space:]]*//p' "$root/Makefile")
if [ -z "$layers" ]; then
	echo "$root/Makefile: no LAYERS line: nothing says how src/ is layered" >&2
	exit 1
fi

# rank NAME: the position of folder NAME in LAYERS (1 = bottom); 0 if unlisted.
rank() {
	_r=0 _i=0
	for _l in $layers; do
		_i=$((_i + 1))
		[ "$_l" = "$1" ] && _r=$_i
	done
	echo "$_r"
}

# below FOLDER: the folders FOLDER may use besides itself, for messages.
below() {
	_b=
	for _l in $layers; do
		[ "$_l" = "$1" ] && break
		_b="$_b $_l"
	done
	echo "${_b# }"
}

incs=$(mktemp)
trap 'rm -f "$incs"' EXIT
found=0
finding() {
	echo "$1"
	found=$((found + 1))
}

for f in "$root"/src/* "$root"/src/*/*; do
	[ -e "$f" ] || continue
	rel=${f#"$root"/}
	case "$rel" in
	src/*/*)
		folder=${rel#src/}; folder=${folder%%/*}
		[ "$(rank "$folder")" -gt 0 ] ||
			finding "$rel: in src/$folder/, which LAYERS in the Makefile does not list"
		;;
	src/*)
		[ -d "$f" ] && continue
		finding "$rel: loose in src/: every file belongs in a layer's folder"
		;;
	esac
done

for f in "$root"/src/*/*.c "$root"/src/*/*.h; do
	[ -f "$f" ] || continue
	rel=${f#"$root"/}
	folder=${rel#src/}; folder=${folder%%/*}
	mine=$(rank "$folder")
	[ "$mine" -gt 0 ] || continue
	n=$(wc -l < "$f")
	[ "$n" -le "$MAX_LINES" ] ||
		finding "$rel: $n lines, over $MAX_LINES: split it by concern"
	# Each quoted include as LINE:NAME.
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
	    sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1:\2/' > "$incs" || true
	while IFS=: read -r line inc; do
		case "$inc" in
		*/*) ;;
		*)
			finding "$rel:$line: #include \"$inc\" names no folder: write \"$folder/$inc\" or the folder it lives in"
			continue
			;;
		esac
		to=${inc%%/*}
		theirs=$(rank "$to")
		if [ "$theirs" -eq 0 ] || [ ! -f "$root/src/$inc" ]; then
			finding "$rel:$line: #include \"$inc\": no such header in src/"
		elif [ "$theirs" -gt "$mine" ]; then
			finding "$rel:$line: #include \"$inc\" runs back up: $folder may use only itself and: $(below "$folder")"
		elif [ "$to" != "$folder" ]; then
			case "$inc" in
			*_int.h) finding "$rel:$line: #include \"$inc\": another folder's private header" ;;
			esac
		fi
	done < "$incs"
done

[ "$found" -eq 0 ] || { echo "layout: $found finding(s)"; exit 1; }
echo "layout: clean ($(echo $layers | tr ' ' '<'))"

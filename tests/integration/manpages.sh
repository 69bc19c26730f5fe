#!/bin/sh
# manpages: the manual pages format without a warning (groff -man -ww -z)
# and cannot drift from the program: every command and option that
# `ldap2imocha --help` shows has an entry in ldap2imocha.8, every key of
# the sample config and of src/config_table.c has one in ldap2imocha.ini.5
# with the table's default, and both pages carry the program's version.
. "$L2I_TOP/tests/lib/common.sh"
t_setup
require_cmd groff "groff-base (or groff)"

M8=$L2I_TOP/man/ldap2imocha.8
M5=$L2I_TOP/man/ldap2imocha.ini.5
SAMPLE=$L2I_TOP/etc/ldap2imocha.ini.sample
TABLE=$L2I_TOP/src/config/config_table.c

for page in "$M8" "$M5"; do
	name=$(basename "$page")
	rc=0
	groff -man -ww -z "$page" >"$T/groff.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T/groff.out" ]; then
		ok "$name: groff -man -ww -z reports nothing"
	else
		not_ok "$name: groff -man -ww -z reports nothing" "exit: $rc" \
		    "$(head -n 20 "$T/groff.out")"
	fi
done

# entries PAGE: the tags of the page's .TP entries, one a line, as a reader
# sees them: "\-" is "-", "\%" and quotes dropped, first word only.
entries() {
	sed -e 's/\\-/-/g' -e 's/\\%//g' "$1" | awk '
		tag { sub(/^\.[A-Z]+[ \t]+/, ""); gsub(/"/, ""); split($0, w, /[ \t]/)
		      print w[1]; tag = 0; next }
		/^\.TP/ { tag = 1 }'
}
entries "$M8" | sort -u >"$T/entries8"
entries "$M5" | sort -u >"$T/entries5"

# --- ldap2imocha.8 against --help ---------------------------------------------

run_agent --help
check_eq "--help runs" "$RC" 0
cp "$T/out" "$T/help"
# Commands: the lines of the "commands:" block that start with a word.
awk '/^commands:/ { in_cmds = 1; next } /^$/ { in_cmds = 0 }
    in_cmds && /^  [a-z]/ { print $1 }' "$T/help" | sort -u >"$T/commands"
# Options: every -x or --word that follows a blank, "[", "(" or ",".
tr ' [(,' '\n\n\n\n' <"$T/help" | sed -n 's/^\(--*[a-z][a-z-]*\).*/\1/p' |
    sort -u >"$T/options"
check "--help lists some commands" test "$(wc -l <"$T/commands")" -ge 6
check "--help lists some options" test "$(wc -l <"$T/options")" -ge 5
missing=$(comm -23 "$T/commands" "$T/entries8" | tr '\n' ' ')
check_eq "every command of --help has an entry in ldap2imocha.8" "$missing" ""
missing=$(comm -23 "$T/options" "$T/entries8" | tr '\n' ' ')
check_eq "every option of --help has an entry in ldap2imocha.8" "$missing" ""
# And back: the page's COMMANDS section documents no command --help lacks.
sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$M8" >"$T/commands8"
entries "$T/commands8" | grep -v '^-' | sort -u >"$T/page_commands"
extra=$(comm -13 "$T/commands" "$T/page_commands" | tr '\n' ' ')
check_eq "ldap2imocha.8 documents no command --help lacks" "$extra" ""
codes=$(sed -n 's/^  \([0-9]\)  .*/\1/p' "$T/help")
check "--help lists the exit statuses" test -n "$codes"
missing=
for code in $codes; do
	grep -qx "\.B $code" "$M8" || missing="$missing $code"
done
check_eq "every exit status of --help has an entry in ldap2imocha.8" "$missing" ""

run_agent --version
version=$(sed -n 's/^ldap2imocha //p' "$T/out")
check "--version prints a version" test -n "$version"
for page in "$M8" "$M5"; do
	check_contains "$(basename "$page") is of version $version" \
	    "$(grep '^\.TH' "$page")" "\"ldap2imocha $version\""
done

# --- ldap2imocha.ini.5 against the sample and the table -----------------------

# Keys of the sample, commented out or not: "key = value" lines whose key is
# lower case ([business_units] examples are BU names, capitalised).
sed -n 's/^;\{0,1\}\([a-z_][a-z_]*\) =.*/\1/p' "$SAMPLE" | sort -u >"$T/sample_keys"
check "the sample has keys" test "$(wc -l <"$T/sample_keys")" -ge 30
missing=$(comm -23 "$T/sample_keys" "$T/entries5" | tr '\n' ' ')
check_eq "every key of the sample has an entry in ldap2imocha.ini.5" "$missing" ""

# Rows of the table: { "section", "key", TYPE, "default" or NULL, ...
sed -n 's/^[[:space:]]*{ "\([a-z_]*\)", "\([a-z_]*\)", [A-Z_]*, \(NULL\|"[^"]*"\).*/\2 \3/p' \
    "$TABLE" >"$T/table"
check "the table has keys" test "$(wc -l <"$T/table")" -ge 30
cut -d' ' -f1 "$T/table" | sort -u >"$T/table_keys"
missing=$(comm -23 "$T/table_keys" "$T/entries5" | tr '\n' ' ')
check_eq "every key of config_table.c has an entry in ldap2imocha.ini.5" "$missing" ""
missing=$(comm -13 "$T/table_keys" "$T/sample_keys" | tr '\n' ' ')
check_eq "the sample has no key the table lacks" "$missing" ""

# A key with a default is written  .BR key " = default"  (an empty default
# as  .BR key " ="); one without  .B key  alone.
bad=
while read -r key def; do
	case $def in
	NULL) want=".B $key" ;;
	'""') want=".BR $key \" =\"" ;;
	*) want=".BR $key \" = ${def#\"}" ;;
	esac
	grep -qxF -- "$want" "$M5" || bad="$bad $key($def)"
done <"$T/table"
check_eq "ldap2imocha.ini.5 gives each key the table's default" "$bad" ""

t_done

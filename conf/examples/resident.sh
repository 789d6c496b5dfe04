#!/bin/sh
# A resident handler for poold (mode = resident), in plain sh: one job per
# line on stdin (the placeholder values, tab-separated), one answer per
# line on stdout: "ok [message]", "fail [message]" or "retry [message]".
# [kind.greet] code = 1100, mode = resident,
#   exec = /usr/share/doc/poold/examples/resident.sh {1:word} {2:text}
while IFS="$(printf '\t')" read -r name text; do
	[ -n "$name" ] || { echo "fail no name"; continue; }
	echo "ok hello $name: $text"
done

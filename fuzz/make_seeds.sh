#!/bin/bash
# Regenerates the seed corpora in fuzz/corpus/<harness>/: control lines
# and INI files written out here, frame streams and journal files made by
# the project's own encoders through fuzz/seedgen.c.  The seeds are
# committed; run this after a format change and commit the result.
#
# Usage: fuzz/make_seeds.sh   (needs cc, libev-dev)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
corpus=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Inputs a harness once failed on (crash-*, README.md) are kept.
for h in fuzz_ctl fuzz_config fuzz_frames fuzz_journal; do
	mkdir -p "$corpus/$h"
	find "$corpus/$h" -type f ! -name 'crash-*' -delete
done

# ---- fuzz_ctl: a chunk script (fuzz/fuzz.h), then what the FIFO carries.
# The script "\x00" delivers the stream in reads as large as the splitter
# takes; "\x01\x00" one byte per read; others mix sizes.
ctl() { # NAME SCRIPT STREAM (printf format)
	# shellcheck disable=SC2059
	{ printf "$2"; printf "$3"; } >"$corpus/fuzz_ctl/$1"
}
ctl good-noop '\x00' 'noop\n'
ctl good-log '\x00' 'log hello world\n'
ctl good-backup '\x00' 'backup /etc/hosts\n'
ctl good-net-v4 '\x00' 'net 127.0.0.1:22\n'
ctl good-net-v6 '\x00' 'net [::1]:631\n'
ctl good-net-name '\x00' 'net localhost:80\n'
ctl good-codes '\x00' '1\n2 text by code\n3 /var/lib/poold\n4 example.org:443\n'
ctl good-batch-bytewise '\x01\x00' 'noop\nlog one\nbackup /etc\nnet 10.0.0.1:80\n'
ctl good-batch-mixed '\x03\x02\x80\x10' 'noop\nlog one\nbackup /etc\nnet 10.0.0.1:80\nnoop\n'
ctl good-crlf '\x00' 'noop\r\nlog windows line\r\n'
ctl good-blanks '\x00' '  log \t spaced  out \t\n\tnoop\t\n'
ctl good-utf8 '\x00' 'log h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80\n'
ctl bad-empty '\x00' '\n\n\n   \n\t\n\r\n'
ctl bad-noop-args '\x00' 'noop extra\n'
ctl bad-backup '\x00' 'backup etc/hosts\nbackup /etc/../shadow\nbackup\nbackup /a/..\n'
ctl bad-net '\x00' 'net 127.0.0.1\nnet ::1:22\nnet [::1]\nnet host:99999\nnet :80\nnet [::1:80\n'
ctl bad-task '\x00' 'frobnicate x\n4294967296 x\n0\n99\nNOOP\n'
ctl bad-nul '\x00' 'log a\x00b\nnoop\n'
ctl bad-control '\x00' 'log \x1b[31mred\nlog del\x7f\nlog bell\x07\n'
ctl bad-utf8 '\x00' 'log \xc0\xaf\nlog \xed\xa0\x80\nlog \xf4\x90\x80\x80\nlog \xe2\x82\nlog \xff\n'
ctl bad-unterminated '\x00' 'noop\nlog tail without a newline'
ctl good-key '\x00' 'key=nightly backup /etc\nkey=a.b_c:d/e@f+g-0 log x\n\t key=K \t noop\n'
ctl good-key-numeric '\x00' 'key=web:42 2 text by code\nkey=x log a=b c=d\n'
ctl bad-key '\x00' 'key= noop\nkey=a key=b noop\nkey=a\nkey=a \t\nkey=a!b noop\nKEY=a noop\nprio=1 noop\n=x noop\nkey=a=b noop\n'
ctl good-pri '\x00' 'pri=7 key=k1 log hi\npri=0 noop\nkey=a pri=9 backup /etc\n'
ctl bad-pri '\x00' 'pri=10 noop\npri= noop\npri=a noop\npri=1 pri=2 noop\npri=-1 noop\n'
k128=$(head -c 128 /dev/zero | tr '\0' k)
ctl edge-key-longest '\x00' "key=$k128 noop\\nkey=${k128}k noop\\n"
a4091=$(head -c 4091 /dev/zero | tr '\0' a)
a5000=$(head -c 5000 /dev/zero | tr '\0' a)
ctl edge-longest-line '\x00' "log $a4091\\nnoop\\n"
ctl edge-one-over '\x00' "log ${a4091}a\\nnoop\\n"
ctl edge-overlong '\x00' "log $a5000\\nnoop\\n"
ctl edge-overlong-chunks '\x02\x85\x00' "log $a5000\\nnoop\\n"
ctl edge-overlong-unterminated '\x00' "noop\\nlog $a5000"
ctl edge-args-at-limit '\x00' "log ${a4091:0:4080}\\nnoop\\n"
ctl edge-key-longest-line '\x00' "key=$k128 log ${a4091:0:3958}\\nnoop\\n"
ctl edge-args-over-limit '\x00' "log ${a4091:0:4081}\\nnoop\\n"
{ printf '\x00'; head -c 3000 /dev/zero | tr '\0' '\n'; } >"$corpus/fuzz_ctl/edge-many-empty"

# ---- fuzz_config: INI text.
cfg() { # NAME TEXT (printf format)
	# shellcheck disable=SC2059
	printf "$2" >"$corpus/fuzz_config/$1"
}
cp "$root/conf/poold.ini" "$corpus/fuzz_config/example"
if [ -f "$root/conf/poold-system.ini" ]; then
	cp "$root/conf/poold-system.ini" "$corpus/fuzz_config/example-system"
fi
cfg empty ''
cfg pool '[pool]\nworkers = 4\ninflight = 8\nqueue_limit = 1000\njob_timeout = 1.5s\nmax_attempts = 5\nmax_jobs_per_worker = 100\n'
cfg lists '[backup]\nallow = /etc /srv\n  /var/lib ; more\n\t/home\n[net]\nallow = 10.0.0.0/8:443 [::1]:22\n  192.168.1.1:* fe80::/10\n'
cfg paths '[control]\nfifo = ./run//ctl\nsocket = ../x/./s.sock\nmode = 0600\n[log]\nfile = /var/log/../log/jobs.log\n[journal]\nfile = j\nfsync = always\ninterval = 250ms\n'
cfg colon-and-comments '# comment\n[log]\nlevel: debug ; inline\njob_timeout = 2m\n[net]\ntimeout = 1h\n'
cfg bom '\xef\xbb\xbf[pool]\nworkers = auto\n'
cfg bad-section '[nope]\nkey = 1\n'
cfg bad-key '[pool]\nworkerz = 4\n'
cfg bad-duplicate '[pool]\nworkers = 4\nworkers = 5\n'
cfg bad-workers '[pool]\nworkers = 0\n'
cfg bad-workers-big '[pool]\nworkers = 5000\n'
cfg bad-count '[pool]\ninflight = -1\n'
cfg bad-count-exp '[pool]\nqueue_limit = 1e3\n'
cfg bad-duration '[pool]\njob_timeout = 5x\n'
cfg bad-duration-day '[pool]\nshutdown_timeout = 25h\n'
cfg bad-mode '[control]\nmode = 0777\n'
cfg bad-mode-digit '[control]\nmode = 9\n'
cfg bad-level '[log]\nlevel = loud\n'
cfg bad-fsync '[journal]\nfsync = sometimes\n'
cfg bad-empty-value '[pool]\nworkers =\n'
cfg bad-no-section 'workers = 4\n'
cfg bad-long-line "[log]\\nfile = /$(head -c 250 /dev/zero | tr '\0' x)\\n"
cfg bad-continuation '[pool]\nworkers = 4\n  8\n'
cfg bad-net-cidr '[net]\nallow = 10.0.0.0/33\n'
cfg bad-net-name '[net]\nallow = host.example\n'
cfg bad-net-port '[net]\nallow = 10.0.0.1:70000\n'
cfg bad-backup-many "[backup]\\nallow =$(for i in $(seq 1 33); do printf ' /d%s' "$i"; done)\\n"
cfg bad-fifo-is-socket '[control]\nfifo = a\nsocket = a\n'
cfg bad-log-is-fifo '[control]\nfifo = /run/p\n[log]\nfile = /run/p\n'
cfg bad-syntax '[pool\nworkers = 4\n'
cfg bad-net-timeout '[net]\ntimeout = 0\n'

# ---- fuzz_frames and fuzz_journal: from the real encoders.
cc -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Wno-unused-parameter -I"$root/common" -I"$root/common/include" -I"$root/worker" -I"$root/worker/kinds" -I"$root/daemon" \
	"$here/seedgen.c" "$root/common/proto.c" "$root/daemon/journal.c" "$root/daemon/journal_scan.c" "$root/daemon/journal_sync.c" "$root/common/buf.c" \
	"$root/daemon/queue.c" "$root/daemon/slab.c" "$root/daemon/results.c" "$root/daemon/later.c" "$root/daemon/timerheap.c" \
	"$root/daemon/unique.c" "$root/daemon/uniq.c" "$root/common/jobopt.c" "$root/daemon/source.c" "$root/common/log.c" "$root/common/fsutil.c" \
	-lev -o "$tmp/seedgen"
"$tmp/seedgen" frames "$corpus/fuzz_frames"
"$tmp/seedgen" journal "$corpus/fuzz_journal"
printf '\x00not a journal\n' >"$corpus/fuzz_journal/not-a-journal"
printf '\x00poold-journal-1' >"$corpus/fuzz_journal/short-magic"

for h in fuzz_ctl fuzz_config fuzz_frames fuzz_journal; do
	echo "$h: $(find "$corpus/$h" -type f | wc -l) seeds"
done

#!/bin/sh
# hardening.sh BINARY...: fail unless each ELF file carries the hardening the
# build promises (CMakeLists.txt, SYNACK_HARDEN): full RELRO (GNU_RELRO +
# BIND_NOW), position independence (DYN), and, for executables, the stack
# protector (__stack_chk_fail) or FORTIFY (__*_chk) in its imports.
set -eu
rc=0
for f in "$@"; do
	hdr=$(readelf -h "$f"); prog=$(readelf -lW "$f"); dyn=$(readelf -dW "$f")
	syms=$(readelf --dyn-syms -W "$f")
	echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' || { echo "$f: not PIE/PIC"; rc=1; }
	echo "$prog" | grep -q GNU_RELRO || { echo "$f: no GNU_RELRO"; rc=1; }
	echo "$dyn" | grep -Eq 'BIND_NOW|FLAGS.*NOW' || { echo "$f: no BIND_NOW"; rc=1; }
	echo "$syms" | grep -Eq '__stack_chk_fail|__[a-z]+_chk' || { echo "$f: no stack protector or FORTIFY imports"; rc=1; }
	[ $rc -eq 0 ] && echo "$f: PIE, full RELRO, stack protector/FORTIFY"
done
exit $rc

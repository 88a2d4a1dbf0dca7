#!/bin/bash
# install.sh BUILDDIR: `meson install` into a scratch root, then build and
# run a small program against the installed library with only what
# `pkg-config doppel` says. Prints "N passed, N failed".
set -u
build=$(readlink -f "${1:?usage: install.sh BUILDDIR}")
root=$(mktemp -d /tmp/doppel-install.XXXXXX)
trap 'rm -rf "$root"' EXIT
passed=0
failed=0
check() { if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $2"; fi; }

meson install -C "$build" --destdir "$root" >"$root/install.log" 2>&1
check $? "meson install: $(tail -n 5 "$root/install.log")"
for f in bin/doppel include/doppel.h share/man/man1/doppel.1; do
    [ -e "$root/usr/local/$f" ]; check $? "installed $f"
done
pc=$(dirname "$(find "$root" -name doppel.pc | head -n 1)")
[ -n "$pc" ]; check $? "doppel.pc installed"
cat >"$root/use.c" <<'C'
#include <doppel.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *t = "The harbour stayed closed on Tuesday after the storm.";
    dp_doc *a = NULL, *b = NULL;
    dp_comparison *c = NULL;
    if (dp_doc_create(t, strlen(t), NULL, &a, NULL) ||
        dp_doc_create(t, strlen(t), NULL, &b, NULL) ||
        dp_compare(a, b, NULL, &c))
        return 1;
    printf("%s %.2f %zu\n", dp_version(), dp_comparison_scores(c)->jaccard,
           dp_comparison_passages(c));
    dp_comparison_free(c);
    dp_doc_free(a);
    dp_doc_free(b);
    return 0;
}
C
flags=$(PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags --libs doppel)
check $? "pkg-config --cflags --libs doppel"
# (with a sysroot set, pkg-config already prefixes the libdir with it)
libdir=$(PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$root pkg-config --variable=libdir doppel)
cc "$root/use.c" $flags -Wl,-rpath,"$libdir" -o "$root/use" 2>"$root/cc.log"
check $? "compile against the installed library: $(head -c 400 "$root/cc.log")"
out=$("$root/use" 2>&1)
[ "$out" = "$(sed -n "s/^  version : '\(.*\)',/\1/p" "$(dirname "$0")/../meson.build") 1.00 1" ]
check $? "program output '$out'"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
